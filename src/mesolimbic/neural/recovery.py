"""Simulated recordings from known parameters, and parameter recovery through the fit.

:func:`simulate_recordings` draws each session's trial sequence from the design
(:meth:`CompiledDesign.sample_trials`), runs the learner with that session's
parameters through the session kernel (the same function the fit uses) and draws
the readout: photometry ``y = b + g (h * delta) + N(0, sigma^2)``, spike counts
``Poisson(f dt)``, behaviour from the logistic or Poisson link (see
:mod:`mesolimbic.neural.observation`). :func:`parameter_recovery` samples
parameters, simulates, fits, and reports the correlation of true and fitted values.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .._seed import check_seed
from .._validate import check_count
from ..tasks.pavlovian import PavlovianDesign
from .fit import NeuralFit, fit_neural
from .io import NeuralData
from .observation import DIP_RATIO, KERNELS, firing_rate_jax, get_neural_model, kernel_matrix, signal_function

__all__ = ["simulate_recordings", "parameter_recovery", "recovery_figure", "sample_parameters"]


def simulate_recordings(design: PavlovianDesign, model, params: dict, readout: str = "photometry", *,
                        seed: int = 0, kernel=KERNELS["photometry"], latency: float = 0.1,
                        link: str = "logistic", iti: float = 2.0) -> NeuralData:
    """Recordings of ``N`` sessions; ``params``: ``{name: [N]}`` for the model's fitted parameters
    and the readout's (photometry ``gain``, ``offset``, ``sigma``; spikes ``baseline``, ``gain``;
    behaviour ``b0``, ``b1``). CS onsets are laid back to back with windows ``iti`` s apart."""
    model = get_neural_model(model)
    seed = check_seed("seed", seed)
    N = len(np.atleast_1d(next(iter(params.values()))))
    compiled = design.compile()
    types, reward, _ = compiled.sample_trials(seed, N)
    f = signal_function(model, design)
    p = {k: jnp.asarray(np.broadcast_to(params[k], (N,)), jnp.float32) for k in model.fitted}
    p.update({k: jnp.full(N, v, jnp.float32) for k, v in model.fixed.items()})
    sig = jax.jit(jax.vmap(f))(p, jnp.asarray(types), jnp.asarray(reward))
    rpe = np.asarray(sig["rpe"], float)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(5)[4])
    pr = {k: np.broadcast_to(np.asarray(v, float), (N,))[:, None, None] for k, v in params.items()}
    if readout == "photometry":
        K = kernel_matrix(design.n_steps, design.dt, *kernel)
        y = pr["offset"] + pr["gain"] * (rpe @ K.T) + pr["sigma"] * rng.standard_normal(rpe.shape)
    elif readout == "spikes":
        shift = int(round(latency / design.dt))
        rate = np.asarray(firing_rate_jax(jnp.asarray(rpe), pr["baseline"], pr["gain"], shift, DIP_RATIO))
        y = rng.poisson(rate * design.dt).astype(float)
    else:
        eta = pr["b0"][..., 0] + pr["b1"][..., 0] * np.asarray(sig["anticipation"], float)
        y = (rng.random(eta.shape) < 1 / (1 + np.exp(-eta))).astype(float) if link == "logistic" \
            else rng.poisson(np.exp(eta)).astype(float)
        y = y[..., None]
    t0, t1 = design.window
    cs = np.broadcast_to(-t0 + 1.0 + np.arange(types.shape[1]) * ((t1 - t0) + iti), types.shape).copy()
    return NeuralData(design, readout, np.asarray([f"sub{i + 1:02d}" for i in range(N)], dtype=object),
                      types, reward.astype(np.float32), y, np.ones(types.shape, bool), cs)


#: generating ranges for recovery (uniform), per parameter
RANGES = {"alpha": (0.05, 0.5), "gamma": (0.7, 0.98), "lam": (0.0, 0.9), "gain": (0.5, 2.0), "offset": (-0.5, 0.5),
          "baseline": (2.0, 6.0), "b0": (-3.0, -1.0), "b1": (2.0, 6.0)}


def sample_parameters(model, readout: str, n: int, seed: int = 0, noise: float = 0.5, gain_spikes=(10.0, 30.0)):
    """Generating parameters drawn uniformly from :data:`RANGES` (spike gain from ``gain_spikes``
    Hz per unit RPE); photometry's noise SD is ``noise`` times the session's gain."""
    model = get_neural_model(model)
    rng = np.random.default_rng(np.random.SeedSequence(check_seed("seed", seed)).spawn(6)[5])
    out = {k: rng.uniform(*RANGES[k], n) for k in model.fitted}
    if readout == "photometry":
        out.update(gain=rng.uniform(*RANGES["gain"], n), offset=rng.uniform(*RANGES["offset"], n))
        out["sigma"] = noise * out["gain"]
    elif readout == "spikes":
        out.update(baseline=rng.uniform(*RANGES["baseline"], n), gain=rng.uniform(*gain_spikes, n))
    else:
        out.update(b0=rng.uniform(*RANGES["b0"], n), b1=rng.uniform(*RANGES["b1"], n))
    return out


def parameter_recovery(design: PavlovianDesign, model="td0", readout: str = "photometry", *, n_subjects: int = 20,
                       seed: int = 0, noise: float = 0.5, n_starts: int = 3, **fit_kwargs):
    """Simulate ``n_subjects`` sessions from sampled parameters, fit, and return
    ``(table of true and fitted values, {param: Pearson r}, fit)``."""
    n_subjects = check_count("n_subjects", n_subjects, 3)
    truth = sample_parameters(model, readout, n_subjects, seed, noise)
    data = simulate_recordings(design, model, truth, readout, seed=seed)
    fit: NeuralFit = fit_neural(data, model, n_starts=n_starts, seed=seed, **fit_kwargs)
    tab = pd.DataFrame({"subject": [str(s) for s in data.subjects]})
    r = {}
    for k, v in truth.items():
        tab[f"{k}_true"], tab[f"{k}_fit"] = v, fit.params[k]
        ok = np.isfinite(fit.params[k])
        r[k] = float(np.corrcoef(v[ok], fit.params[k][ok])[0, 1]) if ok.sum() > 2 and np.std(v) > 0 else float("nan")
    return tab, r, fit


def recovery_figure(tab: pd.DataFrame, r: dict, title: str = ""):
    """True against fitted value of each parameter, with the identity line and r."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    names = [k for k in r if np.isfinite(r[k]) and k != "sigma"]
    fig, axes = plt.subplots(1, len(names), figsize=(3.0 * len(names), 3.0), squeeze=False)
    for ax, k in zip(axes[0], names):
        x, y = tab[f"{k}_true"], tab[f"{k}_fit"]
        ax.scatter(x, y, s=12)
        lim = [min(x.min(), y.min()), max(x.max(), y.max())]
        ax.plot(lim, lim, "k--", lw=0.8)
        ax.set_title(f"{k}: r = {r[k]:.2f}")
        ax.set_xlabel("true")
        ax.set_ylabel("fitted")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
