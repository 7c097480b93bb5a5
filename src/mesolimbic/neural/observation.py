r"""The learner's signals on a recorded session, and the readout as an observation model.

:func:`signal_function` runs a Pavlovian learner over a recorded sequence of trial
types and rewards through the session kernel (:func:`mesolimbic.kernel.scan_session`
with a :class:`~mesolimbic.kernel.PavlovianWorld`), so the RPE and value that enter
a likelihood are those of :func:`mesolimbic.simulate`. A trial-level learner
(Rescorla–Wagner) is placed on the time grid as its own account of the phasic
response: the prediction ``V`` at CS onset (the error of the CS, which arrives
unpredicted from the inter-trial state) and ``delta = r - V`` at the time the US is
due (Rescorla & Wagner 1972; the trial-level reading of Schultz, Dayan & Montague
1997).

Observation models (per-session parameters, one log-likelihood per trial):

* **photometry / voltammetry** (:func:`photometry_loglik`) — the signal is a
  linear readout of the RPE filtered by the sensor's (or the release and
  clearance's) impulse response ``h``,

  .. math:: y_{t,s} = b + g\,(h * \delta_t)_s + \varepsilon_{t,s},\qquad
            \varepsilon \sim \mathcal N(0, \sigma^2)

  with gain ``g`` and offset ``b`` per session (the arbitrary scale of dF/F or of a
  voltammetric current) and ``h`` a difference of exponentials normalised to peak 1,
  convolved within the trial window. Defaults: rise 0.05 s, decay 0.5 s for
  genetically encoded dopamine sensors (dLight1: Patriarchi et al. 2018, Science
  360:eaat4422; GRAB-DA: Sun et al. 2018, Cell 174:481); voltammetric dopamine
  transients decay over ~1 s (Phillips et al. 2003, Nature 422:614). The linear
  RPE readout of dopamine release follows Hart et al. (2014, J Neurosci 34:698).
* **spikes** (:func:`spikes_loglik`) — counts per bin are Poisson with the rate of
  :func:`mesolimbic.neurons.firing_rate` (its linear form, latency in whole bins),

  .. math:: n_{t,s} \sim \text{Poisson}(f_{t,s}\,\Delta t),\qquad
            f = \max\big(f_{\min},\, f_0 + g_+ [\delta]_+ - \rho\, g_+ [-\delta]_+\big)

  with baseline ``f0`` and burst gain ``g+`` fitted per unit, the dip/burst ratio
  ``rho`` fixed (0.2, the readout's 4/20 Hz: Bayer & Glimcher 2005, Neuron 47:129)
  and ``f_min`` = 0.1 Hz (a silenced cell still has a rate above zero, so a stray
  spike does not make the likelihood vanish).
* **behaviour** (:func:`behaviour_loglik`) — conditioned responding on trial t
  from the mean value over the CS–US interval ``\bar V_t`` (anticipatory licking,
  approach: Rescorla & Wagner 1972; Schultz, Dayan & Montague 1997):
  ``"logistic"`` link, ``P(CR) = \sigma(b_0 + b_1 \bar V_t)`` for responses coded
  0/1; ``"poisson"`` link, counts ``~ Poisson(\exp(b_0 + b_1 \bar V_t))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from ..kernel import PavlovianWorld, scan_session
from ..models.base import Spec
from ..models.rw import RescorlaWagner
from ..models.td import TD
from ..representations import CompleteSerialCompound, Microstimulus, Representation
from ..session import features, summary_rows
from ..tasks.pavlovian import PavlovianDesign

__all__ = ["NeuralModel", "NEURAL_MODELS", "get_neural_model", "signal_function", "kernel_matrix",
           "photometry_loglik", "spikes_loglik", "behaviour_loglik", "OBS_PARAMS", "KERNELS"]

#: impulse responses (rise, decay) in seconds
KERNELS = {"photometry": (0.05, 0.5), "voltammetry": (0.1, 1.0)}
MIN_RATE = 0.1  # Hz
DIP_RATIO = 0.2


@dataclass(frozen=True)
class NeuralModel:
    """A learner with a representation, the parameters fitted and the ones held fixed."""

    name: str
    learner: object
    fitted: tuple[str, ...]
    fixed: dict = field(default_factory=dict)
    representation: Representation | None = None
    doc: str = ""

    def bounds(self) -> np.ndarray:
        ps = {p.name: p for p in self.learner.params}
        out = []
        for k in self.fitted:
            lo, hi = ps[k].low, ps[k].high
            if k == "alpha":
                lo = 0.005  # an open bound at 0: keep the optimiser off a flat likelihood
            if k == "gamma":
                lo, hi = 0.3, 0.999
            out.append((lo, hi))
        return np.asarray(out, float)


NEURAL_MODELS = {
    "td0": NeuralModel("td0", TD(), ("alpha", "gamma"), {"lam": 0.0},
                       doc="TD(0) with a complete serial compound (Schultz, Dayan & Montague 1997)"),
    "tdlambda": NeuralModel("tdlambda", TD(), ("alpha", "gamma", "lam"),
                            doc="TD(lambda), accumulating traces, complete serial compound (Sutton 1988)"),
    "td-microstimulus": NeuralModel("td-microstimulus", TD(), ("alpha", "gamma"), {"lam": 0.0},
                                    Microstimulus(), doc="TD(0) with microstimuli (Ludvig, Sutton & Kehoe 2008)"),
    "rw": NeuralModel("rw", RescorlaWagner(), ("alpha",), {"beta_reinforced": 1.0, "beta_nonreinforced": 1.0},
                      doc="Rescorla-Wagner (1972), trial-level, CS response = V, US response = r - V"),
}


def get_neural_model(name: str | NeuralModel) -> NeuralModel:
    if isinstance(name, NeuralModel):
        return name
    if name not in NEURAL_MODELS:
        raise ValueError(f"unknown model {name!r} for neural fitting; choose one of {sorted(NEURAL_MODELS)}")
    return NEURAL_MODELS[name]


def signal_function(model: NeuralModel, design: PavlovianDesign):
    """``f(p, types [T], reward [T]) -> {"rpe": [T, S], "value": [T, S], "anticipation": [T]}``: the
    learner run over the recorded trials by the session kernel (``p``: every learner parameter as
    a scalar). ``anticipation`` is the mean value over the steps from CS onset to the step before
    the US (0 for trial types without both)."""
    learner = model.learner
    compiled = design.compile()
    rep = model.representation or CompleteSerialCompound()
    S = compiled.n_steps
    cs, us = compiled.cs_step, compiled.us_step
    # steps of the CS-US interval, per trial type
    span = np.zeros((len(cs), S), np.float32)
    for k in range(len(cs)):
        if cs[k] >= 0 and us[k] > cs[k]:
            span[k, cs[k]:us[k]] = 1.0 / (us[k] - cs[k])
    span = jnp.asarray(span)
    prep = learner.prepare(compiled, rep)
    static = {k: jnp.asarray(v) for k, v in prep.static.items()}
    if learner.level == "trial":
        present = jnp.asarray((compiled.presence > 0).any(axis=1).astype(np.float32))
        world = PavlovianWorld("trial", present, jnp.zeros((1, 3, 1)), None, static)
        spec = Spec(n_features=present.shape[-1])
        at_cs = jnp.asarray(np.eye(S, dtype=np.float32)[np.maximum(cs, 0)] * (cs >= 0)[:, None])
        at_us = jnp.asarray(np.eye(S, dtype=np.float32)[np.maximum(us, 0)] * (us >= 0)[:, None])

        def f(p, types, reward):
            (_, _), rec = scan_session(learner, p, (learner.init(p, spec), {}), {"type": types, "rho": reward}, world)
            v, d = rec["value"], rec["rpe"]
            rpe = v[:, None] * at_cs[types] + d[:, None] * at_us[types]
            value = v[:, None] * (span[types] > 0)
            return {"rpe": rpe, "value": value, "anticipation": v * (span[types].sum(1) > 0)}
        return f
    feats = jnp.asarray(features(compiled, rep))
    events = jnp.asarray(compiled.event_vectors())
    rows = tuple(jnp.asarray(r) for r in summary_rows(compiled))
    world = PavlovianWorld("step", feats, events, rows, static, record_steps=True)
    spec = Spec(n_features=feats.shape[-1])

    def f(p, types, reward):
        (_, _), rec = scan_session(learner, p, (learner.init(p, spec), {}), {"type": types, "rho": reward}, world)
        value = rec["value"]
        return {"rpe": rec["rpe"], "value": value, "anticipation": (value * span[types]).sum(1)}
    return f


def kernel_matrix(n_steps: int, dt: float, rise: float, decay: float) -> np.ndarray:
    """``K [S, S]`` with ``(K @ x)_s = sum_{j<=s} h_{s-j} x_j``: the causal convolution, within a trial,
    with ``h_k = exp(-k dt/decay) - exp(-k dt/rise)`` normalised to peak 1 (``rise = 0``: a pure
    exponential decay, ``h_0 = 1``)."""
    k = np.arange(n_steps) * dt
    h = np.exp(-k / decay) - (np.exp(-k / rise) if rise > 0 else 0.0)
    if rise > 0:  # the peak of the continuous kernel, so h does not depend on where the grid falls
        tp = rise * decay / (decay - rise) * np.log(decay / rise)
        h = h / (np.exp(-tp / decay) - np.exp(-tp / rise))
    idx = np.arange(n_steps)[:, None] - np.arange(n_steps)[None, :]
    return np.where(idx >= 0, h[np.clip(idx, 0, None)], 0.0).astype(np.float32)


#: observation parameters per readout (their bounds are set from each session's data)
OBS_PARAMS = {"photometry": ("gain", "offset", "sigma"), "spikes": ("baseline", "gain"),
              "behaviour": ("b0", "b1")}


def photometry_loglik(rpe, y, K, gain, offset, sigma):
    """Per-trial Gaussian log-likelihood ``[T]`` of ``y [T, S]`` (NaN: not observed) given the RPE."""
    mu = offset + gain * (rpe @ K.T)
    ok = jnp.isfinite(y)
    r = jnp.where(ok, y - mu, 0.0)
    return jnp.sum(jnp.where(ok, -0.5 * (r / sigma) ** 2 - jnp.log(sigma) - 0.5 * jnp.log(2 * jnp.pi), 0.0), -1)


def firing_rate_jax(rpe, baseline, gain, shift: int, dip_ratio: float = DIP_RATIO):
    """The linear firing-rate readout of :func:`mesolimbic.neurons.firing_rate` in JAX, latency
    ``shift`` steps (the first steps take the baseline), floored at ``MIN_RATE``."""
    if shift > 0:
        rpe = jnp.concatenate([jnp.zeros(rpe.shape[:-1] + (shift,), rpe.dtype), rpe[..., :-shift]], -1)
    f = baseline + gain * jnp.maximum(rpe, 0.0) - dip_ratio * gain * jnp.maximum(-rpe, 0.0)
    return jnp.maximum(f, MIN_RATE)


def spikes_loglik(rpe, n, dt, baseline, gain, shift: int):
    """Per-trial Poisson log-likelihood ``[T]`` of counts ``n [T, S]`` (NaN: not observed)."""
    lam = firing_rate_jax(rpe, baseline, gain, shift) * dt
    ok = jnp.isfinite(n)
    nn = jnp.where(ok, n, 0.0)
    return jnp.sum(jnp.where(ok, nn * jnp.log(lam) - lam - jax.scipy.special.gammaln(nn + 1.0), 0.0), -1)


def behaviour_loglik(vbar, y, b0, b1, link: str):
    """Per-trial log-likelihood ``[T]`` of responses ``y [T]`` (NaN: not observed) given the value."""
    eta = b0 + b1 * vbar
    ok = jnp.isfinite(y)
    yy = jnp.where(ok, y, 0.0)
    if link == "logistic":
        ll = yy * jax.nn.log_sigmoid(eta) + (1.0 - yy) * jax.nn.log_sigmoid(-eta)
    else:
        ll = yy * eta - jnp.exp(eta) - jax.scipy.special.gammaln(yy + 1.0)
    return jnp.where(ok, ll, 0.0)
