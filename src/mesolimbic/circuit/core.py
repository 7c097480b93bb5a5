"""The circuit: VTA, NAc, amygdala, PFC (and optionally LHb) wired in one step function.

:class:`Circuit` is a real-time learner like :class:`~mesolimbic.models.TD` — a
pure ``init``/``step`` over explicit state, batched over agents and parameter
sets — so the same Pavlovian designs run on it. :func:`simulate_circuit` runs it
and records every region's signal, per trial at cue onset and at the US (and
per time step on request), as named variables whose ``region`` attribute says
where each comes from. Manipulations are listed in the attrs.

One time step (``x``: the features present, ``r``: the US; ``e``: eligibility
traces; ``[.]_+`` the positive part). Amygdala, with its own valence errors::

    A+ = w+ . x,  A- = w- . x
    d+ = [r]_+  + gamma A+(t) - A+(t-1),   w+ += alpha_amygdala d+ e
    d- = [-r]_+ + gamma A-(t) - A-(t-1),   w- += alpha_amygdala d- e

NAc critic and VTA (the prediction compared is appetitive value minus fear)::

    P = w_nac . x - A-
    delta = r + gamma P(t) - P(t-1) + stimulation
    (drug at the US: delta = max(delta + D, D), Redish 2004)
    DA = burst_scale [delta]_+ + dip_scale min(delta, 0)   (via LHb when present)
    w_nac = max(w_nac + alpha_nac DA e, 0)                 (appetitive only)
    tonic = tonic_scale * rbar,  rbar += alpha_tonic (r - rbar)

Incentive salience at each step (Zhang et al. 2009): per feature, the cached
prediction of the outcome o = (w_nac - w-) x is transformed by the physiological
factor kappa of its cue — kappa o when o >= 0, o + log(kappa) x when o < 0 —
then ``wanting = incentive_gain [sum]_+ + min(sum, 0) + aberrant``, where
``aberrant = aberrant_salience * [incentive_gain - 1]_+`` whenever a cue is present:
dopamine raised above normal lends salience to whatever is there, rewarded or
not (the aberrant-salience hypothesis, Kapur 2003, Am J Psychiatry 160:13). Liking is the hedonic
reaction to the US itself, ``liking = liking_gain [r]_+ - [-r]_+``: dopamine does
not enter it. PFC: ``approach = sigmoid(beta_approach (wanting - threshold))``.
"""

from __future__ import annotations

import json
import math
from typing import Any
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from ..models.base import Model, Output, Prepared
from ..representations import Representation
from ..tasks.pavlovian import PavlovianDesign
from .manipulations import KNOBS, Lesion, Manipulation, Optogenetic, PhysiologicalState
from .regions import REGIONS

__all__ = ["Circuit", "simulate_circuit", "FULL"]

#: the regions of the default circuit (the lateral habenula is optional)
FULL = ("vta", "nac", "amygdala", "pfc")
#: signal -> (region, meaning)
SIGNALS = {
    "rpe": ("vta", "phasic dopamine: the TD error after burst/dip scaling"),
    "tonic": ("vta", "tonic dopamine: scaled running average of reward"),
    "value": ("vta", "the prediction VTA compares against: NAc value minus amygdala fear"),
    "value_nac": ("nac", "NAc critic value (appetitive)"),
    "wanting": ("nac", "incentive salience of what is present (Zhang et al. 2009)"),
    "liking": ("nac", "hedonic reaction to the US (opioid hotspot)"),
    "appetitive": ("amygdala", "appetitive association of what is present"),
    "fear": ("amygdala", "aversive association of what is present"),
    "approach": ("pfc", "probability of approaching what is present"),
    "lhb": ("lhb", "lateral habenula activity: the negative part of the error"),
}


UNITS = {"rpe": "a.u.", "tonic": "a.u.", "value": "a.u.", "value_nac": "a.u.", "wanting": "a.u.", "liking": "a.u.",
         "appetitive": "a.u.", "fear": "a.u.", "approach": "1", "lhb": "a.u."}


class Circuit(Model):
    """The reward circuit as one learner (the equations of one time step are in the
    docstring of :mod:`mesolimbic.circuit.core`).

    References: each region's claim names its papers (:data:`~mesolimbic.circuit.REGIONS`):
    Schultz, Dayan & Montague (1997) for the VTA error; O'Doherty et al. (2004) and
    Berridge & Robinson (1998) for the NAc critic and incentive salience; Zhang, Berridge,
    Tindell, Smith & Aldridge (2009) for its dependence on physiological state; Redish (2004)
    for drugs; Niv, Daw, Joel & Dayan (2007) for tonic dopamine.

    Args:
      regions: which regions exist: any of ``"vta"``, ``"nac"``, ``"amygdala"``,
        ``"pfc"``, ``"lhb"`` (default: the first four). A region without the
        region it needs as input (NAc and LHb need VTA, PFC needs NAc) is an error.
      manipulations: :mod:`mesolimbic.circuit.manipulations` objects, composed.
    """

    level = "step"
    linear = False
    name = "circuit"

    def __init__(self, regions: Sequence[str] = FULL, manipulations: Sequence[Manipulation] = ()) -> None:
        regions = tuple(dict.fromkeys(regions))
        unknown = [r for r in regions if r not in REGIONS]
        if unknown:
            raise ValueError(f"unknown region(s) {unknown}; the regions are {sorted(REGIONS)}")
        if not regions:
            raise ValueError(f"a circuit needs at least one region of {sorted(REGIONS)}")
        for r in regions:
            missing = [n for n in REGIONS[r].needs if n not in regions]
            if missing:
                raise ValueError(f"region {r!r} needs {missing} as input, which the circuit does not have; "
                                 f"add it or remove {r!r}")
        self.regions = regions
        manips = tuple(manipulations)
        for m in manips:
            if not isinstance(m, Manipulation):
                raise ValueError(f"manipulations must be mesolimbic.circuit manipulations, got {type(m).__name__}")
            if m.region not in regions:
                raise ValueError(f"{type(m).__name__} acts on region {m.region!r}, which this circuit does not have "
                                 f"(its regions: {list(regions)})")
        self.manipulations = manips
        self.lesioned = frozenset(m.region for m in manips if isinstance(m, Lesion))
        knobs = dict(KNOBS)
        for m in manips:
            for k, v in m.knobs().items():
                knobs[k] = knobs[k] + v if k in ("tonic_offset", "drug") else knobs[k] * v
        self.knobs = knobs
        self.params = tuple(p for r in regions for p in REGIONS[r].params)
        self.outputs = {k: Output(SIGNALS[k][1], UNITS[k], region=SIGNALS[k][0]) for k in self.signals()}

    final_state = {"w_nac": ("w_nac", "NAc critic weights after the last trial"),
                   "w_pos": ("w_pos", "amygdala appetitive weights after the last trial"),
                   "w_neg": ("w_neg", "amygdala aversive weights after the last trial")}

    def options(self):
        return {"regions": list(self.regions), "manipulations": [m.to_dict() for m in self.manipulations]}

    def works(self, region: str) -> bool:
        return region in self.regions and region not in self.lesioned

    def prepare(self, compiled, representation) -> Prepared:
        """The circuit's per-design inputs: optogenetic pulses (added to the design's
        stimulation) and the physiological state of each cue's features, per trial
        (``kappa_mult`` / ``kappa_add``; 1 / 0 where no state is manipulated)."""
        names_t = list(compiled.type_names)
        stim = None
        for m in self.manipulations:
            if isinstance(m, Optogenetic):
                if m.trial_types:
                    bad = set(m.trial_types) - set(names_t)
                    if bad:
                        raise ValueError(f"Optogenetic trial_types {sorted(bad)} are not in the design ({names_t})")
                t0, t1 = compiled.design.window
                if not t0 <= m.at < t1:
                    raise ValueError(f"Optogenetic at={m.at} s is outside the design's window [{t0}, {t1})")
                step = min(compiled.design.step_of(m.at), compiled.n_steps - 1)
                stim = np.zeros((len(names_t), compiled.n_steps), np.float32) if stim is None else stim
                for k, tn in enumerate(names_t):
                    if m.trial_types is None or tn in m.trial_types:
                        stim[k, step] += m.size
        F = representation.n_features(len(compiled.cue_names), compiled.n_steps, compiled.design.dt)
        NT = compiled.n_trials
        k_mult = np.ones((NT, F), np.float32)  # per trial: the state can change between phases
        k_add = np.zeros((NT, F), np.float32)
        cues = list(compiled.cue_names)
        phase_names = set(compiled.phase_names)
        states = [m for m in self.manipulations if isinstance(m, PhysiologicalState)]
        owners = _cue_of_features(compiled, representation) if states else None  # [C, F]
        for m in states:
            missing = [c for c in m.cues if c not in cues]
            if missing:
                raise ValueError(f"PhysiologicalState names cue(s) {missing} that the design does not have ({cues})")
            missing = sorted(set(m.phases or ()) - phase_names)
            if missing:
                raise ValueError(f"PhysiologicalState names phase(s) {missing} that the design does not have "
                                 f"({sorted(phase_names)})")
            when = np.isin(compiled.trial_phase, m.phases) if m.phases else np.ones(NT, bool)
            assert owners is not None  # computed above whenever there is a PhysiologicalState
            for c in m.cues:
                own = owners[cues.index(c)]
                k_mult[np.ix_(when, own)] *= m.kappa
                k_add[np.ix_(when, own)] += math.log(m.kappa)
        return Prepared(per_trial={"kappa_mult": k_mult, "kappa_add": k_add}, stim=stim)

    def init(self, params, spec):
        z = jnp.zeros(spec.n_features, jnp.float32)
        return {"w_nac": z, "w_pos": z, "w_neg": z, "e": z, "x_prev": z, "rbar": jnp.zeros((), jnp.float32)}

    def step(self, params, state, inputs):
        """One time step. ``inputs``: ``x``, ``r``, ``reset``, ``stim`` as for TD, and
        ``kappa_mult`` / ``kappa_add`` per feature (the physiological state)."""
        K = self.knobs
        gamma = params.get("gamma", 0.98)
        x, r, reset = inputs["x"], inputs["r"], inputs["reset"]
        e_prev = jnp.where(reset, 0.0, state["e"])
        x_prev = jnp.where(reset, 0.0, state["x_prev"])
        r_pos, r_neg = jnp.maximum(r, 0.0), jnp.maximum(-r, 0.0)
        zero = jnp.zeros((), jnp.float32)
        w_pos, w_neg, w_nac = state["w_pos"], state["w_neg"], state["w_nac"]

        # --- amygdala: valence-specific associations, each with its own outcome-driven error
        if self.works("amygdala"):
            ap, fear = jnp.dot(w_pos, x), jnp.dot(w_neg, x)
            fear_prev = jnp.dot(w_neg, x_prev)
            d_pos = r_pos + gamma * ap - jnp.dot(w_pos, x_prev)
            d_neg = r_neg + gamma * fear - fear_prev
            w_pos = w_pos + params["alpha_amygdala"] * d_pos * e_prev
            w_neg = w_neg + params["alpha_amygdala"] * d_neg * e_prev
        else:
            ap = fear = fear_prev = zero

        # --- NAc critic value
        if self.works("nac"):
            v, v_prev = jnp.dot(w_nac, x), jnp.dot(w_nac, x_prev)
        else:
            v = v_prev = zero
        pred, pred_prev = v - fear, v_prev - fear_prev

        # --- VTA: the TD error of the prediction, the drug, LHb and dopamine scaling
        delta = r + gamma * pred - pred_prev + inputs.get("stim", 0.0)
        if K["drug"] > 0:
            delta = jnp.where(r != 0, jnp.maximum(delta + K["drug"], K["drug"]), delta)
        neg = jnp.minimum(delta, 0.0)
        if "lhb" in self.regions:
            lhb = zero - neg if self.works("lhb") else zero
            neg = -lhb
        else:
            lhb = zero
        da = K["burst_scale"] * jnp.maximum(delta, 0.0) + K["dip_scale"] * neg
        rbar = state["rbar"] + params.get("alpha_tonic", 0.0) * (r - state["rbar"])
        tonic = K["tonic_scale"] * rbar + K["tonic_offset"]
        if not self.works("vta"):
            da, tonic = zero, zero

        # --- NAc learns from dopamine; incentive salience and liking
        if self.works("nac"):
            o = (w_nac - w_neg) * x  # cached prediction of the outcome, per feature
            transformed = jnp.where(o >= 0, inputs["kappa_mult"] * o, o + inputs["kappa_add"] * x)
            s = jnp.sum(transformed)
            # tonic dopamine above normal lends salience to whatever is present (Kapur 2003)
            aberrant = params["aberrant_salience"] * max(K["incentive_gain"] - 1.0, 0.0) * (jnp.sum(x) > 0)
            wanting = K["incentive_gain"] * jnp.maximum(s, 0.0) + jnp.minimum(s, 0.0) + aberrant
            liking = K["liking_gain"] * r_pos - r_neg
            w_nac = jnp.maximum(w_nac + params["alpha_nac"] * da * e_prev, 0.0)
        else:
            wanting = liking = zero
        approach = (jax.nn.sigmoid(params["beta_approach"] * (wanting - params["approach_threshold"]))
                    if self.works("pfc") else jnp.full((), 0.5, jnp.float32))

        lam = params.get("lam", 0.0)
        e = gamma * lam * e_prev + x
        new = {"w_nac": w_nac, "w_pos": w_pos, "w_neg": w_neg, "e": e, "x_prev": x, "rbar": rbar}
        out = {"rpe": da, "tonic": tonic, "value": pred, "value_nac": v, "wanting": wanting, "liking": liking,
               "appetitive": ap, "fear": fear, "approach": approach, "lhb": lhb}
        return new, {k: out[k] for k in self.outputs}

    def actor(self, alpha_critic: float = 0.1, alpha_go: float = 0.1, alpha_nogo: float = 0.1, beta: float = 1.0,
              pairs=None):
        """The circuit's action-selection loop for choice tasks: the Go/NoGo (D1/D2)
        opponent actor of :class:`~mesolimbic.models.OpAL` under this circuit's dopamine.

        Bursts drive Go learning and dips NoGo learning, so the phasic scalings set
        the rates, ``alpha_go * burst_scale`` and ``alpha_nogo * dip_scale``; the tonic
        level sets the Go/NoGo balance at choice, ``rho = (t - 1) / (t + 1)`` with
        ``t = tonic_scale`` (so that ``beta_G / beta_N = t``). Returns ``(model, params)``
        for :func:`mesolimbic.instrumental.simulate_choices`. Needs PFC (the policy)
        and VTA (the teaching signal)."""
        from ..models import OpAL

        for r in ("pfc", "vta"):
            if r not in self.regions:
                raise ValueError(f"the actor needs region {r!r}, which this circuit does not have")
        K = self.knobs
        vta = self.works("vta")
        t = K["tonic_scale"]
        params = {"alpha_critic": alpha_critic,
                  "alpha_go": min(1.0, alpha_go * K["burst_scale"]) if vta else 1e-6,
                  "alpha_nogo": min(1.0, alpha_nogo * K["dip_scale"]) if vta else 1e-6,
                  "beta": beta if self.works("pfc") else 1e-6, "rho": (t - 1.0) / (t + 1.0)}
        return OpAL(pairs), params

    def planner(self, w: float = 0.5, alpha1: float = 0.5, alpha2: float = 0.5, lam: float = 0.6,
                beta1: float = 5.0, beta2: float = 5.0, kappa: float = 0.0):
        """The circuit on a task with a model-based component (the two-step task): the
        hybrid learner of :class:`~mesolimbic.models.HybridTwoStep` under this circuit.

        PFC holds the task model and computes the model-based values; its weight in the
        choice is ``w``. Without PFC (absent or lesioned) control is model-free only,
        ``w = 0`` — the direction of dorsolateral-PFC disruption in humans (Smittenaar et
        al. 2013, Neuron 80:914), made absolute here. Tonic dopamine shifts the balance
        towards model-based control, ``logit(w_eff) = logit(w) + log(tonic_scale)``, the
        direction of L-DOPA in Wunderlich, Smittenaar & Dolan (2012, Neuron 75:418); this
        odds form is this package's assumption, not a fitted law. Phasic dopamine scales
        the model-free learning rates (``burst_scale``). Returns ``(model, params)`` for
        :func:`mesolimbic.simulate` on the two-step task. Needs VTA (the teaching signal)."""
        from ..models import HybridTwoStep

        if "vta" not in self.regions:
            raise ValueError("the planner needs region 'vta', which this circuit does not have")
        for name, v in (("w", w), ("alpha1", alpha1), ("alpha2", alpha2), ("lam", lam)):
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")
        K = self.knobs
        t = K["tonic_scale"]
        if not self.works("pfc"):
            w_eff = 0.0
        elif w in (0.0, 1.0):
            w_eff = float(w)
        else:
            w_eff = t * w / (t * w + 1.0 - w)
        scale = K["burst_scale"] if self.works("vta") else 0.0
        params = {"w": w_eff, "alpha1": float(np.clip(alpha1 * scale, 1e-6, 1.0)),
                  "alpha2": float(np.clip(alpha2 * scale, 1e-6, 1.0)), "lam": lam, "beta1": beta1, "beta2": beta2,
                  "kappa": kappa}
        return HybridTwoStep(), params

    def signals(self) -> list[str]:
        """The signals this circuit records (those of its regions)."""
        return [k for k, (reg, _) in SIGNALS.items() if reg in self.regions or k == "value"]


def _cue_of_features(compiled, rep: Representation) -> np.ndarray:
    """``[n_cues, F]``: which features belong to each cue (found by switching the cue on alone)."""
    pres = compiled.presence  # [K, S, C]
    F = rep.n_features(pres.shape[-1], compiled.n_steps, compiled.design.dt)
    owners = []
    for c in range(pres.shape[-1]):
        alone = np.zeros_like(pres)
        alone[..., c] = pres[..., c]
        owners.append(np.any(np.stack([rep.features(alone[k], compiled.design.dt) for k in range(len(pres))]) != 0,
                             axis=(0, 1)))
    return np.stack(owners) if owners else np.zeros((0, F), bool)


def simulate_circuit(design: PavlovianDesign, circuit: Circuit, params: Mapping[str, Any] | None = None, *,
                     representation: Representation | None = None, n_agents: int = 1, seed: int = 0,
                     record="trials", precision: str = "float32") -> xr.Dataset:
    """Run ``circuit`` on a Pavlovian ``design``: :func:`mesolimbic.simulate` with the
    circuit's signals recorded per trial by default.

    Returns a Dataset over ``param_set`` x ``agent`` x ``trial`` with every region's
    signal at the first cue onset (``<signal>_cs``) and at the US time
    (``<signal>_us``), each with its ``region``; with ``record="steps"`` also every
    signal at every time step (dimension ``time``). Weights after the last trial:
    ``w_nac``, ``w_pos``, ``w_neg`` over ``feature``. Parameters sweep as in
    :func:`mesolimbic.simulate`.
    """
    from ..simulate import simulate

    if not isinstance(circuit, Circuit):
        raise ValueError(f"circuit must be a mesolimbic.circuit.Circuit, got {type(circuit).__name__}")
    ds = simulate(design, circuit, params, representation=representation, n_agents=n_agents, seed=seed,
                  record=record, precision=precision)
    ds.attrs.update(regions=json.dumps(list(circuit.regions)),
                    manipulations=json.dumps([m.to_dict() for m in circuit.manipulations]),
                    lesioned=json.dumps(sorted(circuit.lesioned)))
    return ds
