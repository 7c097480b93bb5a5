"""Fit Pavlovian learners to recordings: per-session MLE/MAP, Laplace draws, LOO model comparison.

The likelihood of a session is the learner run over its recorded trials by the
session kernel (:func:`mesolimbic.neural.observation.signal_function`) followed by
the readout's observation model; every session and every random start is its own
optimisation, all evaluated together in one batched JAX call per step by the
package's L-BFGS (:func:`mesolimbic.fitting.mle.batched_lbfgs`, the optimiser of
the choice fits), so one bad session cannot move another's estimates.

Parameters are optimised on an unconstrained scale, ``theta = lo + (hi - lo)
sigmoid(z)``: the learner's parameters within its declared ranges (``alpha`` from
0.005, ``gamma`` in [0.3, 0.999]), and the readout's within ranges set from each
session's own data (photometry: offset between the signal's minimum and maximum,
gain up to twice its range, noise SD up to twice its SD; spikes: baseline up to
five times the mean rate, gain up to twice the largest rate; behaviour: ``b0`` in
[-10, 10], ``b1`` in [0, 20]). ``prior_sd`` gives MAP with a N(0, prior_sd^2) prior
on z. Standard errors: the inverse Hessian of each session's negative
log-likelihood on the natural scale (NaN on a bound). AIC = 2k - 2 LL and BIC =
k ln(n) - 2 LL with n the session's observations (time bins, or trials for
behaviour). The Hessian is taken on z by central differences of the compiled
gradient (the optimiser's own function: no second compilation, which through the
nested scans costs more than the fit) and mapped to the natural scale at the
optimum, ``Cov(theta) = J Cov(z) J``, ``J = d theta / d z``.

:meth:`NeuralFit.to_inference_data` draws from each session's Laplace
approximation (Gaussian on z, inverse Hessian on z) and stores the per-trial
log-likelihood, so :func:`compare_models` can rank learners by PSIS-LOO over
trials (Vehtari, Gelman & Gabry 2017, Stat Comput 27:1413) as well as by AIC/BIC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import xarray as xr

from .._seed import check_seed
from .._validate import check_choice, check_count, check_range
from ..fitting.mle import CONVERGED, batched_lbfgs, random_starts
from .io import NeuralData
from .observation import (DIP_RATIO, KERNELS, OBS_PARAMS, NeuralModel, behaviour_loglik, get_neural_model,
                          kernel_matrix, photometry_loglik, signal_function, spikes_loglik)

__all__ = ["NeuralFit", "fit_neural", "compare_models", "observation_bounds", "session_loglik_function"]


@dataclass
class NeuralFit:
    model: NeuralModel
    data: NeuralData
    readout: str
    params: dict  # name -> [N]
    se: dict
    loglik: np.ndarray
    status: list
    method: str
    options: dict = field(default_factory=dict)
    z: np.ndarray | None = None  # [N, P] unconstrained optimum
    bounds: np.ndarray | None = None  # [N, P, 2]
    hessian_z: np.ndarray | None = None  # [N, P, P] of the negative log-likelihood on z

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.params)

    @property
    def n_params(self) -> int:
        return len(self.params)

    @property
    def converged(self) -> bool:
        return all(s == CONVERGED for s in self.status)

    @property
    def aic(self) -> np.ndarray:
        return 2 * self.n_params - 2 * self.loglik

    @property
    def bic(self) -> np.ndarray:
        return self.n_params * np.log(self.data.n_obs_subject) - 2 * self.loglik

    def table(self) -> pd.DataFrame:
        """One row per session, in the columns of the choice fits'
        (:func:`~mesolimbic.fitting.parameter_table`): ``subjID`` (the session's subject),
        ``method``, estimates, their standard errors as ``<name>_sd``, LL, AIC, BIC,
        ``log_evidence`` (NaN: not computed), trials, then ``n_obs`` (recorded samples) and status."""
        df = pd.DataFrame({"subjID": [str(s) for s in self.data.subjects], "method": self.method})
        for k in self.params:
            df[k] = self.params[k]
        for k in self.params:
            df[f"{k}_sd"] = self.se[k]
        df["loglik"], df["aic"], df["bic"] = self.loglik, self.aic, self.bic
        df["log_evidence"] = np.nan
        df["n_trials"], df["n_obs"] = self.data.n_trials_subject, self.data.n_obs_subject
        df["status"] = self.status
        return df

    def signals(self) -> dict[str, np.ndarray]:
        """The fitted learner's ``rpe`` and ``value`` ``[N, T, S]`` and ``anticipation`` ``[N, T]``
        on every recorded trial (NaN on padding)."""
        f = signal_function(self.model, self.data.design)
        p = {k: jnp.asarray(self.params[k], jnp.float32) for k in self.model.fitted}
        p.update({k: jnp.full(self.data.n_subjects, v, jnp.float32) for k, v in self.model.fixed.items()})
        out = jax.jit(jax.vmap(f))(p, jnp.asarray(self.data.trial_type), jnp.asarray(self.data.reward))
        m = self.data.mask
        return {k: np.where(m.reshape(m.shape + (1,) * (np.ndim(v) - 2)), np.asarray(v, float), np.nan)
                for k, v in out.items()}

    def regressors(self) -> pd.DataFrame:
        """Trial-wise regressors of the fitted model: one row per session and trial with the RPE at
        CS onset (``rpe_cs``) and at the US time (``rpe_us``; at the grid step of the design's US),
        the anticipatory value and the session time of CS onset (``cs_time``) and of the US
        (``us_time``) — the table :func:`mesolimbic.neural.glm.bids_events` turns into BIDS events."""
        sig = self.signals()
        compiled = self.data.design.compile()
        names = np.asarray(compiled.type_names)
        rows = []
        for i, s in enumerate(self.data.subjects):
            n = int(self.data.mask[i].sum())
            ty = self.data.trial_type[i, :n]
            cs, us = compiled.cs_step[ty], compiled.us_step[ty]
            rpe = sig["rpe"][i, :n]
            t = np.arange(n)
            rows.append(pd.DataFrame({
                "subjID": str(s), "trial": t + 1, "trial_type": names[ty], "reward": self.data.reward[i, :n],
                "rpe_cs": np.where(cs >= 0, rpe[t, np.maximum(cs, 0)], np.nan),
                "rpe_us": np.where(us >= 0, rpe[t, np.maximum(us, 0)], np.nan),
                "value": sig["anticipation"][i, :n],
                "cs_time": self.data.cs_time[i, :n],
                "us_time": self.data.cs_time[i, :n] + np.where(us >= 0, compiled.times[np.maximum(us, 0)], np.nan)}))
        return pd.concat(rows, ignore_index=True)

    def to_dataset(self) -> xr.Dataset:
        """Estimates, standard errors and fit statistics as an ``xarray.Dataset`` over ``subject``."""
        tab = self.table().drop(columns="method").set_index("subjID")
        ds = xr.Dataset({c: ("subject", tab[c].to_numpy()) for c in tab.columns},
                        coords={"subject": tab.index.to_numpy().astype(str)})
        ds.attrs.update({"model": self.model.name, "readout": self.readout, "method": self.method,
                         **{k: str(v) for k, v in self.options.items()}})
        return ds

    def to_inference_data(self, n_draws: int = 400, seed: int = 0):
        """ArviZ ``InferenceData``: ``posterior`` draws (one chain) from each session's Laplace
        approximation on the unconstrained scale, mapped to the natural scale, and
        ``log_likelihood`` per (subject, trial) at every draw (for LOO)."""
        import arviz as az

        n_draws = check_count("n_draws", n_draws, 2)
        fns = _fns(self.model, self.data, self.readout, self.options)
        N, P = self.z.shape
        bounds = jnp.asarray(self.bounds, jnp.float32)
        H = self.hessian_z
        rng = np.random.default_rng(check_seed("seed", seed))
        draws = np.empty((n_draws, N, P))
        for s in range(N):
            Hs = 0.5 * (H[s] + H[s].T)
            w, V = np.linalg.eigh(Hs)
            w = np.where(np.isfinite(w) & (w > 1e-6), w, 1e-6)  # flat directions: unit-variance on z
            draws[:, s] = self.z[s] + (rng.standard_normal((n_draws, P)) / np.sqrt(w)) @ V.T
        theta = np.asarray(jax.jit(jax.vmap(lambda z: _natural(z, bounds)))(jnp.asarray(draws, jnp.float32)))
        pointwise = np.asarray(jax.jit(jax.vmap(fns["pointwise"]))(jnp.asarray(theta, jnp.float32)), float)
        pointwise = np.where(self.data.mask[None], pointwise, 0.0)
        subj = [str(s) for s in self.data.subjects]
        post = {k: theta[None, :, :, j] for j, k in enumerate(self.names)}
        return az.from_dict(posterior=post, log_likelihood={"y": pointwise[None]},
                            coords={"subject": subj, "trial": np.arange(1, pointwise.shape[-1] + 1)},
                            dims={**{k: ["subject"] for k in self.names}, "y": ["subject", "trial"]},
                            attrs={"model": self.model.name, "readout": self.readout, "approximation": "laplace"})


def _hessian_fd(fg, z: np.ndarray, R: int, h: float = 1e-2) -> np.ndarray:
    """``[N, P, P]`` Hessians at ``z [N, P]`` by central differences of the batched gradient ``fg``
    (which evaluates ``R`` copies of the ``N`` rows)."""
    N, P = z.shape
    H = np.zeros((N, P, P))
    for j in range(P):
        step = np.zeros(P)
        step[j] = h
        gp = fg(np.tile(z + step, (R, 1)))[1][:N]
        gm = fg(np.tile(z - step, (R, 1)))[1][:N]
        H[:, :, j] = (gp - gm) / (2 * h)
    return 0.5 * (H + H.transpose(0, 2, 1))


def _natural(z, bounds):
    return bounds[..., 0] + (bounds[..., 1] - bounds[..., 0]) * jax.nn.sigmoid(z)


def observation_bounds(data: NeuralData, readout: str, link: str = "logistic") -> np.ndarray:
    """``[N, P_obs, 2]`` ranges of the readout's parameters, from each session's data."""
    out = []
    for i in range(data.n_subjects):
        y = data.signal[i][data.mask[i]]
        y = y[np.isfinite(y)]
        if y.size == 0:
            raise ValueError(f"session {data.subjects[i]!r} has no finite signal value")
        if readout == "photometry":
            lo, hi, sd = float(y.min()), float(y.max()), float(y.std())
            R = max(hi - lo, 1e-6)
            out.append([(0.0, 2.0 * R), (lo, hi), (1e-3 * max(sd, 1e-6), 2.0 * max(sd, 1e-6))])  # gain, offset, sigma
        elif readout == "spikes":
            dt = data.design.dt
            out.append([(0.05, max(5.0 * y.mean() / dt, 1.0)), (0.0, max(2.0 * y.max() / dt, 1.0))])
        else:
            out.append([(-10.0, 10.0), (0.0, 20.0)])
    return np.asarray(out, float)


def _fns(model: NeuralModel, data: NeuralData, readout: str, options: dict):
    """Jittable per-session functions of the natural parameters ``theta [N, P]``."""
    f = signal_function(model, data.design)
    names = model.fitted + OBS_PARAMS[readout]
    nl = len(model.fitted)
    types, reward = jnp.asarray(data.trial_type), jnp.asarray(data.reward, jnp.float32)
    y, mask = jnp.asarray(data.signal, jnp.float32), jnp.asarray(data.mask)
    dt = data.design.dt
    if readout == "photometry":
        K = jnp.asarray(kernel_matrix(data.design.n_steps, dt, *options["kernel"]))
    shift = int(round(options.get("latency", 0.0) / dt))

    def one(th, ty, rw, yy, mm):
        p = {k: th[j] for j, k in enumerate(model.fitted)}
        p.update({k: jnp.asarray(v, jnp.float32) for k, v in model.fixed.items()})
        sig = f(p, ty, rw)
        o = th[nl:]
        if readout == "photometry":
            ll = photometry_loglik(sig["rpe"], yy, K, o[0], o[1], o[2])
        elif readout == "spikes":
            ll = spikes_loglik(sig["rpe"], yy, dt, o[0], o[1], shift)
        else:
            ll = behaviour_loglik(sig["anticipation"], yy[:, 0], o[0], o[1], options["link"])
        return jnp.where(mm, ll, 0.0)

    pointwise = lambda theta: jax.vmap(one)(theta, types, reward, y, mask)  # noqa: E731
    return {"names": names, "pointwise": pointwise, "per_subject": lambda theta: pointwise(theta).sum(-1)}


def session_loglik_function(data: NeuralData, model: str | NeuralModel = "td0", *, readout: str | None = None,
                            kernel=("photometry"), latency: float = 0.1, link: str = "logistic"):
    """``(names, f)``: the parameter names and ``f(theta [N, P]) -> LL [N]`` (jittable), for
    checks and custom fits."""
    model = get_neural_model(model)
    fns = _fns(model, data, readout or data.readout, _options(readout or data.readout, kernel, latency, link))
    return fns["names"], fns["per_subject"]


def _logit(theta, bounds):
    lo, hi = bounds[..., 0], bounds[..., 1]
    u = np.clip((theta - lo) / (hi - lo), 0.02, 0.98)  # inside the ranges, off the flat tails
    return np.log(u) - np.log1p(-u)


def _readout_start(readout, options, data, sig):
    """Readout parameters ``[G, N, P_obs]`` that fit the data best for each grid point's learner
    signals: least squares for photometry (exact: the Gaussian MLE of gain, offset, sigma) and
    for the spike rate, a few Newton (IRLS) steps for behaviour's GLM."""
    y = np.where(data.mask[..., None], data.signal, np.nan)[None]  # [1, N, T, S]
    ok = np.isfinite(y)
    if readout == "behaviour":
        x, yy, ok1 = sig["anticipation"], np.nan_to_num(y[..., 0]), ok[..., 0]
        b = np.zeros(x.shape[:2] + (2,))
        b[..., 0] = -1.0
        X = np.stack([np.ones_like(x), x], -1) * ok1[..., None]
        for _ in range(15):
            eta = b[..., 0, None] + b[..., 1, None] * x
            if options["link"] == "logistic":
                m = 1 / (1 + np.exp(-eta))
                w = m * (1 - m)
            else:
                m = np.exp(np.clip(eta, -20, 20))
                w = m
            g = np.einsum("gntp,gnt->gnp", X, (yy - m) * ok1)
            H = np.einsum("gntp,gnt,gntq->gnpq", X, w * ok1, X) + 1e-3 * np.eye(2)
            b = np.clip(b + np.linalg.solve(H, g[..., None])[..., 0], -10, 20)
        return b
    x = sig["rpe"]
    if readout == "photometry":
        K = kernel_matrix(data.design.n_steps, data.design.dt, *options["kernel"])
        x = x @ K.T
    else:
        shift = int(round(options["latency"] / data.design.dt))
        if shift:
            x = np.concatenate([np.zeros(x.shape[:-1] + (shift,)), x[..., :-shift]], -1)
        x = np.maximum(x, 0) - DIP_RATIO * np.maximum(-x, 0)
        y = y / data.design.dt
    n = ok.sum((2, 3))
    xm = np.where(ok, x, 0.0).sum((2, 3)) / n
    ym = np.nansum(y, (2, 3)) / n
    dx, dy = np.where(ok, x - xm[..., None, None], 0.0), np.where(ok, y - ym[..., None, None], 0.0)
    gain = (dx * dy).sum((2, 3)) / np.maximum((dx * dx).sum((2, 3)), 1e-12)
    offset = ym - gain * xm
    if readout == "photometry":
        sd = np.sqrt(((dy - gain[..., None, None] * dx) ** 2).sum((2, 3)) / n)
        return np.stack([gain, offset, sd], -1)
    return np.stack([offset, gain], -1)


def _grid_start(model, data, readout, options, fns, bounds_np, per_axis: int = 5) -> np.ndarray:
    """The first start ``[N, P]`` on the unconstrained scale: the best point of a grid over the
    learner's parameters (``per_axis`` values each, evenly spaced on z in [-2.5, 2.5]), each with
    the readout's parameters set to their best fit given the learner's signals. A grid, because
    the likelihood of discounting is flat where the CS response vanishes (a low ``gamma``) and a
    start there does not find the way out."""
    f = signal_function(model, data.design)
    nl, N = len(model.fitted), data.n_subjects
    zs = np.linspace(-2.5, 2.5, per_axis)
    grid_z = np.stack(np.meshgrid(*[zs] * nl, indexing="ij"), -1).reshape(-1, nl)  # [G, nl]
    lb = bounds_np[0, :nl]
    grid = lb[:, 0] + (lb[:, 1] - lb[:, 0]) / (1 + np.exp(-grid_z))
    G = grid.shape[0]
    p = {k: jnp.asarray(np.repeat(grid[:, j], N), jnp.float32) for j, k in enumerate(model.fitted)}
    p.update({k: jnp.full(G * N, v, jnp.float32) for k, v in model.fixed.items()})
    ty = jnp.asarray(np.tile(data.trial_type, (G, 1)))
    rw = jnp.asarray(np.tile(data.reward, (G, 1)), jnp.float32)
    sig = jax.jit(jax.vmap(f))(p, ty, rw)
    sig = {k: np.asarray(v, float).reshape((G, N) + v.shape[1:]) for k, v in sig.items() if k != "value"}
    obs = _readout_start(readout, options, data, sig)  # [G, N, P_obs]
    lo, hi = bounds_np[None, :, nl:, 0], bounds_np[None, :, nl:, 1]
    obs = np.clip(np.nan_to_num(obs, nan=0.0), lo + 0.02 * (hi - lo), hi - 0.02 * (hi - lo))
    theta = np.concatenate([np.broadcast_to(grid[:, None], (G, N, nl)), obs], -1)
    ll = np.asarray(jax.jit(jax.vmap(fns["per_subject"]))(jnp.asarray(theta, jnp.float32)), float)
    best = np.argmax(np.where(np.isfinite(ll), ll, -np.inf), 0)
    return _logit(theta[best, np.arange(N)], bounds_np)


def _options(readout, kernel, latency, link) -> dict:
    if readout == "photometry":
        if isinstance(kernel, str):
            kernel = KERNELS[check_choice("kernel", kernel, tuple(KERNELS))]
        rise, decay = (float(x) for x in kernel)
        check_range("kernel rise", rise, 0.0)
        check_range("kernel decay", decay, rise, np.inf, low_open=True)
        return {"kernel": (rise, decay)}
    if readout == "spikes":
        return {"latency": float(check_range("latency", latency, 0.0)), "dip_ratio": DIP_RATIO}
    return {"link": check_choice("link", link, ("logistic", "poisson"))}


def fit_neural(data: NeuralData, model: str | NeuralModel = "td0", *, readout: str | None = None,
               kernel="photometry", latency: float = 0.1, link: str = "logistic", n_starts: int = 5,
               seed: int = 0, prior_sd: float | None = None, maxiter: int = 1000,
               empirical_bayes: int = 0) -> NeuralFit:
    """Fit ``model`` (``td0``, ``tdlambda``, ``td-microstimulus``, ``rw`` or a :class:`NeuralModel`)
    to every session of ``data`` through its readout (default: the data's). ``kernel``: the
    photometry impulse response, ``"photometry"``, ``"voltammetry"`` or ``(rise, decay)`` s;
    ``latency``: the spike readout's response latency (s); ``link``: behaviour's ``"logistic"``
    (0/1 responses) or ``"poisson"`` (counts).

    ``empirical_bayes`` > 0: a hierarchical fit by empirical Bayes (Laplace EM, as Huys et al.
    2011, PLoS Comput Biol 7:e1002028): the learner's parameters on z get a group prior
    N(m, v) per parameter, and ``empirical_bayes`` rounds alternate MAP fits of every session
    with the update of m and v from the sessions' modes and Laplace variances (the readout's
    parameters stay per session, unpenalised). The group mean and SD (on z, and the mean on the
    natural scale) are in ``options``; the method is ``"eb"``."""
    model = get_neural_model(model)
    readout = check_choice("readout", readout or data.readout, ("photometry", "spikes", "behaviour"))
    if readout != data.readout:
        raise ValueError(f"readout {readout!r} does not match the data's ({data.readout!r})")
    n_starts = check_count("n_starts", n_starts, 1)
    if prior_sd is not None:
        check_range("prior_sd", prior_sd, 0.0, np.inf, low_open=True)
    seed = check_seed("seed", seed)
    options = _options(readout, kernel, latency, link)
    if readout == "behaviour" and options["link"] == "logistic":
        y = data.signal[data.mask][..., 0]
        y = y[np.isfinite(y)]
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("behaviour with the logistic link needs responses coded 0/1; use link='poisson' for counts")
    fns = _fns(model, data, readout, options)
    names = fns["names"]
    N, P = data.n_subjects, len(names)
    bounds_np = np.concatenate([np.broadcast_to(model.bounds(), (N, len(model.fitted), 2)),
                                observation_bounds(data, readout, link)], 1)
    bounds = jnp.asarray(bounds_np, jnp.float32)
    z0 = random_starts(data.subjects, n_starts, P, seed)
    z0[0] = _grid_start(model, data, readout, options, fns, bounds_np)
    R = n_starts

    nl = len(model.fitted)
    eb = int(check_count("empirical_bayes", empirical_bayes, 0))
    if eb and prior_sd is not None:
        raise ValueError("give prior_sd (MAP) or empirical_bayes (a fitted group prior), not both")
    # prior on z: mean m [P], inverse variance w [P] (0: none); arguments, so EB does not recompile
    prior = {"m": np.zeros(P), "w": np.zeros(P)}
    if prior_sd is not None:
        prior["w"][:] = 1.0 / prior_sd ** 2
    if eb:
        prior["w"][:nl] = 1.0 / 4.0  # the first round: N(0, 2^2) on the learner's z

    def per(z, m, w):  # [R, N, P] -> [R, N] negative log-posterior
        out = jax.vmap(lambda zz: -fns["per_subject"](_natural(zz, bounds)))(z)
        return out + 0.5 * jnp.sum(w * (z - m) ** 2, -1)

    vg = jax.jit(jax.value_and_grad(lambda z, m, w: (lambda t: (t.sum(), t))(per(z, m, w)), has_aux=True))

    def fg(x):
        (_, val), g = vg(jnp.asarray(x.reshape(R, N, P), jnp.float32), jnp.asarray(prior["m"], jnp.float32),
                         jnp.asarray(prior["w"], jnp.float32))
        return np.asarray(val, float).ravel(), np.asarray(g, float).reshape(-1, P)

    x, fval, status = batched_lbfgs(fg, z0.reshape(-1, P), maxiter=maxiter)
    group = []
    for _ in range(eb):
        xr_ = x.reshape(R, N, P)
        bst = np.argmin(np.where(np.isfinite(fval.reshape(R, N)), fval.reshape(R, N), np.inf), 0)
        zb_ = xr_[bst, np.arange(N)]
        ok = np.isfinite(fval.reshape(R, N)).any(0)
        Hp = _hessian_fd(fg, zb_, R)
        var = np.array([np.diag(np.linalg.pinv(h))[:nl] for h in Hp])
        var = np.where(np.isfinite(var) & (var > 0), var, 0.0)
        m = zb_[ok, :nl].mean(0)
        v = np.maximum((zb_[ok, :nl] ** 2 + var[ok]).mean(0) - m ** 2, 1e-3)
        group.append((m, v))
        prior["m"][:nl], prior["w"][:nl] = m, 1.0 / v
        x, fval, status = batched_lbfgs(fg, np.tile(zb_, (R, 1)), maxiter=maxiter)
    x, fval, status = x.reshape(R, N, P), fval.reshape(R, N), status.reshape(R, N)
    finite = np.isfinite(fval)
    best = np.argmin(np.where(finite, fval, np.inf), 0)
    zb = x[best, np.arange(N)]
    st = [str(status[best[i], i]) if finite[:, i].any() else
          "failed: non-finite log-likelihood from every start (check this session's data)" for i in range(N)]
    theta = np.asarray(_natural(jnp.asarray(zb, jnp.float32), bounds), float)
    theta[~finite.any(0)] = np.nan
    if not prior["w"].any():
        ll = -fval[best, np.arange(N)]
    else:
        ll = np.asarray(jax.jit(fns["per_subject"])(jnp.asarray(theta, jnp.float32)), float)
    ll[~finite.any(0)] = np.nan
    # standard errors: the Hessian on z by central differences of the compiled gradient (no
    # second compilation), less the prior's, mapped to the natural scale at the optimum
    # (where the gradient vanishes: Cov(theta) = J Cov(z) J with J = d theta / d z)
    Hz = _hessian_fd(fg, zb, R) - np.diag(prior["w"])
    lo, hi = bounds_np[..., 0], bounds_np[..., 1]
    sg = 1 / (1 + np.exp(-zb))
    J = (hi - lo) * sg * (1 - sg)
    interior = (theta - lo > 1e-3 * (hi - lo)) & (hi - theta > 1e-3 * (hi - lo))
    se = np.full((N, P), np.nan)
    for s in range(N):
        try:
            d = J[s] ** 2 * np.diag(np.linalg.inv(Hz[s]))
            se[s] = np.where(interior[s] & (d > 0), np.sqrt(np.abs(d)), np.nan)
        except np.linalg.LinAlgError:
            continue
    if eb:
        m, v = group[-1]
        lb = model.bounds()
        options = dict(options, group_mean_z=dict(zip(model.fitted, m.tolist())),
                       group_sd_z=dict(zip(model.fitted, np.sqrt(v).tolist())),
                       group_mean=dict(zip(model.fitted, (lb[:, 0] + (lb[:, 1] - lb[:, 0]) / (1 + np.exp(-m))).tolist())),
                       group_rounds=[[a.tolist(), b.tolist()] for a, b in group])
    return NeuralFit(model, data, readout, {k: theta[:, j] for j, k in enumerate(names)},
                     {k: se[:, j] for j, k in enumerate(names)}, ll, st,
                     "eb" if eb else "map" if prior_sd is not None else "mle", options, zb, bounds_np, Hz)


def compare_models(data: NeuralData, models=("td0", "tdlambda", "rw"), *, loo: bool = True, n_draws: int = 400,
                   seed: int = 0, **fit_kwargs) -> tuple[pd.DataFrame, dict]:
    """Fit each model and rank them: summed LL, AIC, BIC and (with ``loo``) PSIS-LOO's elpd over
    trials from the Laplace draws (higher is better), with its standard error. Returns the table
    (best first by LOO, else by BIC) and ``{model: NeuralFit}``."""
    import arviz as az

    fits, rows = {}, []
    for m in models:
        fit = fit_neural(data, m, seed=seed, **fit_kwargs)
        fits[fit.model.name] = fit
        row = {"model": fit.model.name, "k": fit.n_params, "loglik": fit.loglik.sum(), "aic": fit.aic.sum(),
               "bic": fit.bic.sum(), "converged": fit.converged}
        if loo:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = az.loo(fit.to_inference_data(n_draws=n_draws, seed=seed), pointwise=True)
            row.update(elpd_loo=float(res.elpd_loo), se_loo=float(res.se),
                       pareto_k_over_0_7=int((np.asarray(res.pareto_k) > 0.7).sum()))
        rows.append(row)
    tab = pd.DataFrame(rows)
    tab = tab.sort_values("elpd_loo", ascending=False) if loo else tab.sort_values("bic")
    return tab.reset_index(drop=True), fits
