"""The classic failures of the Rescorla–Wagner model, shown honestly (Miller, Barnet & Grahame 1995).

Five findings that Rescorla–Wagner — and TD(lambda) with a complete serial
compound, which shares its error-correcting update and has no attention, no
clock between trials and no learning about absent cues — does not produce. Each
is registered as its own experiment; its checks state the finding and are
marked as expected failures, so the report shows "this model does not produce
it" with the measured number and the reason. (They are kept in one file because
they share the same few lines of machinery.)

Reference: Miller, R. R., Barnet, R. C. & Grahame, N. J. (1995). Assessment of
the Rescorla-Wagner model. Psychological Bulletin 117:363-386.
"""

from __future__ import annotations

import numpy as np

from ..tasks import PavlovianDesign
from . import _associative as A
from .registry import Check, ExperimentResult, register

REVIEW = "Miller, Barnet & Grahame (1995). Assessment of the Rescorla-Wagner model. Psychol Bull 117:363-386"


def _both(name, title, design, n_agents, seed, measure, check, tests_label, tests=None):
    """Run both models, apply ``measure(ds) -> value``; the check is an expected failure. The
    figure's test panel shows ``tests`` (see :func:`._associative.result`), by default the
    measured value of each model under ``tests_label``."""
    rw, td = A.run_both(design, n_agents, seed)
    checks, values = [], []
    for model, ds in ((A.RW, rw), (A.TDL, td)):
        value = measure(ds)
        values.append(value)
        checks.append(Check(**check, measured=value, expected_failure=True, model=model, kind="direction"))
    return A.result(name, title, rw, td, checks, tests or {tests_label: tuple(values)})


def latent_inhibition_design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([("preexposure", {"A-": 30}), ("acquisition", {"A+": 10, "B+": 10})])


@register("latent_inhibition", "Latent inhibition: preexposure slows acquisition (RW fails)",
          "Lubow & Moore (1959). Latent inhibition. J Comp Physiol Psychol 52:415-419", default_agents=50,
          description="Design: A alone, not reinforced (30 trials), then A+ and a novel cue B+ interleaved "
                      "(10 each). The finding: the preexposed cue is learned more slowly. Without a US, the "
                      "Rescorla–Wagner error during preexposure is 0 - 0 = 0, so nothing is learned and "
                      "acquisition of A and B is identical; TD(lambda) likewise. Attention-based models "
                      "(Mackintosh 1975; Pearce & Hall 1980) produce it.", topic="associative learning")
def latent_inhibition(n_agents: int = 50, seed: int = 0) -> ExperimentResult:
    def measure(ds):
        return A.on(ds, "A+", "acquisition") / A.on(ds, "B+", "acquisition")

    return _both("latent_inhibition", "Latent inhibition (A- preexposure, then A+ vs novel B+)",
                 latent_inhibition_design(), n_agents, seed, measure,
                 dict(name="preexposed_slower", comparison="<", threshold=0.9,
                      description="mean prediction during acquisition, preexposed A / novel B (no US: no error, "
                                  "nothing learned in preexposure)"), "A / B during acquisition",
                 {"A (preexposed)": ("A+", "acquisition"), "B (novel)": ("B+", "acquisition")})


def inhibitor_extinction_design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([
        ("training", {"A+": 50, "AX-": 50, "B+": 30}),
        ("probe_before", {"BX-": 1}, "sequential"),
        ("x_alone", {"X-": 30}),
        ("probe_after", {"BX-": 1}, "sequential"),
    ])


@register("extinction_of_inhibition", "Presenting an inhibitor alone does not extinguish it (RW fails)",
          "Zimmer-Hart & Rescorla (1974). Extinction of Pavlovian conditioned inhibition. J Comp Physiol Psychol "
          "86:837-845", default_agents=20,
          description="Design: A+ / AX- make X an inhibitor (B+ trains an excitor for the summation test); "
                      "then X alone, not reinforced (30 trials). The finding: X still inhibits (BX stays below "
                      "B). Rescorla–Wagner predicts that X alone, with V_X < 0 and lambda = 0, has a positive "
                      "error and returns to 0, losing its inhibition; TD(lambda) does the same.",
          topic="associative learning")
def extinction_of_inhibition(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    def measure(ds):
        b = A.on(ds, "B+", "training")
        return (b - A.on(ds, "BX-", "probe_after")) / (b - A.on(ds, "BX-", "probe_before"))

    return _both("extinction_of_inhibition", "Extinction of conditioned inhibition (X- alone after A+/AX-)",
                 inhibitor_extinction_design(), n_agents, seed, measure,
                 dict(name="inhibition_survives", comparison=">", threshold=0.8,
                      description="summation deficit (B - BX) after / before the X-alone trials"),
                 "inhibition kept (fraction)",
                 {"B": ("B+", "training"), "BX before\nX alone": ("BX-", "probe_before"),
                  "BX after\nX alone": ("BX-", "probe_after")})


def spontaneous_recovery_design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([("acquisition", {"A+": 30}), ("extinction", {"A-": 30}),
                                          ("test_after_rest", {"A-": 1})])


@register("spontaneous_recovery", "Extinguished responding recovers with time (RW fails)",
          "Pavlov (1927). Conditioned Reflexes. Oxford University Press; Rescorla (2004). Spontaneous recovery. "
          "Learn Mem 11:501-509", default_agents=5,
          description="Design: A+ (30), A- (30), then a test after a rest (the retention interval is not "
                      "represented: neither model has a clock between trials). The finding: the response "
                      "recovers. Both models treat extinction as unlearning, so nothing comes back; models with "
                      "extinction as new, context-dependent learning (Bouton 2004; Redish et al. 2007; "
                      "Gershman, Blei & Niv 2010) produce it.", topic="associative learning")
def spontaneous_recovery(n_agents: int = 5, seed: int = 0) -> ExperimentResult:
    def measure(ds):
        last_ext = int(np.flatnonzero(ds.phase.values == "extinction")[-1])
        return A.on(ds, "A-", "test_after_rest") / float(A.prediction(ds).isel(trial=last_ext).mean())

    return _both("spontaneous_recovery", "Spontaneous recovery (A+, A-, rest, test)",
                 spontaneous_recovery_design(), n_agents, seed, measure,
                 dict(name="response_recovers", comparison=">", threshold=1.5,
                      description="prediction at test / on the last extinction trial"), "test / end of extinction",
                 {"last extinction\ntrial": ("A-", "extinction", "last"), "test after\nrest": ("A-", "test_after_rest")})


def backward_blocking_design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([
        ("compound", {"AB+": 30, "CD+": 30}),
        ("a_alone", {"A+": 30}),
        ("test", {"B-": 1, "D-": 1}, "sequential"),
    ])


@register("backward_blocking", "Training A alone after AB+ weakens B (RW fails)",
          "Shanks (1985). Forward and backward blocking in human contingency judgement. Q J Exp Psychol 37B:1-21",
          default_agents=20,
          description="Design: the compounds AB+ and CD+ (30 each), then A+ alone (30); test B and the control "
                      "D. The finding: B ends weaker than D (retrospective revaluation). Rescorla–Wagner and "
                      "TD(lambda) change only the cues present, so B is untouched by A+ trials. Van Hamme & "
                      "Wasserman (1994) let absent cues learn with a negative rate; Bayesian (Kalman-filter) "
                      "learners produce it through the learned negative covariance of A and B (Dayan & Kakade "
                      "2001).", topic="associative learning")
def backward_blocking(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    def measure(ds):
        return A.on(ds, "B-", "test") / A.on(ds, "D-", "test")

    return _both("backward_blocking", "Backward blocking (AB+, then A+; test B vs control D)",
                 backward_blocking_design(), n_agents, seed, measure,
                 dict(name="b_weaker_than_control", comparison="<", threshold=0.7,
                      description="prediction to B / to the control D (absent cues do not learn)"), "B / D",
                 {"B (A alone after AB+)": ("B-", "test"), "D (control)": ("D-", "test")})


def pree_design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([
        ("acquisition", {"A+": 40, "B+0.5": 80}),
        ("extinction", {"A-": 10, "B-": 10}),
    ])


@register("partial_reinforcement_extinction", "Intermittent reward makes extinction slower (RW fails)",
          "Humphreys (1939). The effect of random alternation of reinforcement on the acquisition and extinction "
          "of conditioned eyelid reactions. J Exp Psychol 25:141-158", default_agents=50,
          description="Design: A reinforced on every trial (40), B on half of its trials (80), interleaved; "
                      "then both extinguished (10 trials each, interleaved). The finding (partial-reinforcement "
                      "extinction effect): responding to B persists longer. Rescorla–Wagner multiplies each "
                      "strength by (1 - alpha) on every extinction trial, so both keep the same fraction of "
                      "their value; TD(lambda) likewise. Models that learn about the reward's variance or infer "
                      "a change of state (Courville, Daw & Touretzky 2006; Gershman, Blei & Niv 2010) produce it.",
          topic="associative learning")
def partial_reinforcement_extinction(n_agents: int = 50, seed: int = 0) -> ExperimentResult:
    def retained(ds, reinforced, extinguished):
        pred = A.prediction(ds)
        acq = pred.sel(trial=ds.phase == "acquisition").isel(trial=slice(-30, None))
        ext = pred.sel(trial=ds.phase == "extinction").isel(trial=slice(-10, None))
        before = float(acq.where(ds.trial_type == reinforced).mean())
        late = float(ext.where(ds.trial_type == extinguished).mean())
        return late / before

    def measure(ds):
        return retained(ds, "B+0.5", "B-") / retained(ds, "A+", "A-")

    return _both("partial_reinforcement_extinction", "Partial-reinforcement extinction effect (A+ vs B+50%)",
                 pree_design(), n_agents, seed, measure,
                 dict(name="partial_extinguishes_slower", comparison=">", threshold=1.2,
                      description="fraction of the acquired prediction kept late in extinction, partial B / "
                                  "continuous A"), "kept fraction B / A")


