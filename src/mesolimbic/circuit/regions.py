"""The regions of the reward circuit: what each one computes, and the anatomical claim it stands for.

Each region is a small object that declares its parameters (with ranges, like a
learner) and the signals it outputs. The arithmetic of one time step lives in
:meth:`mesolimbic.circuit.Circuit.step`, where the wiring between regions is
visible in one place; the classes here document and validate.

* :class:`VTA` — the phasic dopamine signal is the TD error of the circuit's
  prediction (Schultz, Dayan & Montague 1997); the tonic level is a running
  average of reward (Niv, Daw, Joel & Dayan 2007).
* :class:`NAc` — ventral striatum as the critic: the appetitive value of cues,
  learned from the dopamine error (O'Doherty et al. 2004), and the site where
  cached value becomes incentive salience, "wanting" (Berridge & Robinson 1998;
  Zhang et al. 2009). Its hedonic hotspot (with ventral pallidum) generates
  "liking" through opioid, not dopamine, signalling (Peciña & Berridge 2005).
* :class:`Amygdala` — valence: separate appetitive and aversive associations of
  cues, each learned from its own outcome-driven error (Paton, Belova, Morrison
  & Salzman 2006; aversive prediction errors reach the amygdala from the
  periaqueductal grey, McNally, Johansen & Blair 2011). The aversive association
  (fear) is subtracted from the prediction that VTA compares against.
* :class:`PFC` — turns the incentive value of what is present into action:
  here the probability of approaching a cue, a softmax/logistic policy; in
  choice tasks the policy of the Go/NoGo actor (:meth:`Circuit.actor`); and where
  a task has a model (the two-step task) the model-based values and their
  weight in the choice (:meth:`Circuit.planner`; Daw et al. 2011, Smittenaar et
  al. 2013).
* :class:`LHb` — lateral habenula: fires when outcomes are worse than predicted
  and inhibits dopamine neurons, carrying the negative part of the error
  (Matsumoto & Hikosaka 2007). Without it in the circuit, VTA computes its
  negative errors itself; lesioning it removes the dips.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models.base import Param

__all__ = ["Region", "VTA", "NAc", "Amygdala", "PFC", "LHb", "REGIONS"]


@dataclass(frozen=True)
class Region:
    """One region of the circuit: its ``name``, its parameters (``params``), the signals it
    outputs (``outputs``), the regions it needs as input (``needs``) and the ``claim`` it
    stands for, with the papers behind it."""

    name: str
    params: tuple[Param, ...]
    outputs: tuple[str, ...]
    needs: tuple[str, ...]
    claim: str


#: the ventral tegmental area: phasic dopamine as the TD error, tonic dopamine as the average reward
VTA = Region(
    "vta",
    (Param("gamma", 0.98, 0.0, 1.0, doc="discount per time step"),
     Param("lam", 0.9, 0.0, 1.0, doc="eligibility-trace decay"),
     Param("alpha_tonic", 0.01, 0.0, 1.0, doc="rate of the running average of reward (tonic level)")),
    ("rpe", "tonic"),
    (),
    "Phasic dopamine = TD error of the prediction (Schultz, Dayan & Montague 1997, Science 275:1593); tonic "
    "dopamine = average reward rate (Niv, Daw, Joel & Dayan 2007, Psychopharmacology 191:507).",
)
#: the nucleus accumbens: the critic's value, incentive salience (wanting) and liking
NAc = Region(
    "nac",
    (Param("alpha_nac", 0.1, 0.0, 1.0, doc="critic learning rate"),
     Param("aberrant_salience", 0.5, 0.0, 10.0, doc="salience lent to any cue per unit of dopamine gain above 1")),
    ("value_nac", "wanting", "liking"),
    ("vta",),
    "Ventral striatum as critic (O'Doherty et al. 2004, Science 304:452) and incentive salience "
    "(Berridge & Robinson 1998, Brain Res Rev 28:309; Zhang et al. 2009, PLoS Comput Biol 5:e1000437); "
    "opioid hedonic hotspot for liking (Peciña & Berridge 2005, J Neurosci 25:11777).",
)
#: the amygdala: appetitive and aversive cue associations
Amygdala = Region(
    "amygdala",
    (Param("alpha_amygdala", 0.1, 0.0, 1.0, doc="learning rate of the valence associations"),),
    ("appetitive", "fear"),
    (),
    "Separate appetitive and aversive cue associations (Paton et al. 2006, Nature 439:865); aversive "
    "errors from the periaqueductal grey (McNally, Johansen & Blair 2011, Trends Neurosci 34:283).",
)
#: the prefrontal cortex: approach as a softmax over incentive values
PFC = Region(
    "pfc",
    (Param("beta_approach", 5.0, 0.0, 50.0, low_open=True, doc="inverse temperature of approach"),
     Param("approach_threshold", 0.1, -10.0, 10.0, doc="incentive value at which approach is 50%")),
    ("approach",),
    ("nac",),
    "Value-based choice as a softmax over incentive values (Daw et al. 2006, Nature 441:876; Rangel, "
    "Camerer & Montague 2008, Nat Rev Neurosci 9:545); model-based control in the two-step task depends on "
    "dorsolateral PFC (Smittenaar et al. 2013, Neuron 80:914).",
)
#: the lateral habenula: the negative part of the error, inhibiting dopamine neurons
LHb = Region(
    "lhb",
    (),
    ("lhb",),
    ("vta",),
    "Lateral habenula signals negative prediction errors and inhibits dopamine neurons (Matsumoto & "
    "Hikosaka 2007, Nature 447:1111).",
)

#: region name -> :class:`Region`
REGIONS = {r.name: r for r in (VTA, NAc, Amygdala, PFC, LHb)}
