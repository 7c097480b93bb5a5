"""Per-subject maximum likelihood (or MAP) for every subject at once.

Parameters are optimised on an unconstrained scale, ``theta = low + (high - low)
sigmoid(z)``, with the learner's declared ranges. Subjects are independent, so
the summed negative log-likelihood has a block-diagonal Hessian and one
L-BFGS run over all subjects (and all random starts, stacked) finds every
subject's optimum; gradients come from JAX through the learner's own step.
The best of ``n_starts`` starts is kept per subject. Standard errors come from
the inverse Hessian of each subject's negative log-likelihood on the natural
scale (NaN when the estimate sits on a bound or the Hessian is not positive
definite); the per-subject Hessian blocks are P Hessian-vector products of the
summed objective, so the cost does not grow with the square of the number of
subjects. ``prior_sd`` turns MLE into MAP with a N(0, prior_sd^2) prior on z.
AIC = 2k - 2 LL, BIC = k ln(n) - 2 LL, with n the subject's number of trials.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from scipy.optimize import minimize

from .._validate import check_count, check_range
from .data import ChoiceData
from .likelihood import data_arrays, natural, subject_loglik
from .models import FitModel, get_model

__all__ = ["MLEFit", "fit_mle", "hessian_blocks"]


@dataclass
class MLEFit:
    model: FitModel
    data: ChoiceData
    params: dict  # name -> [subject]
    se: dict
    loglik: np.ndarray
    converged: bool
    method: str

    @property
    def n_params(self) -> int:
        return len(self.params)

    @property
    def aic(self) -> np.ndarray:
        return 2 * self.n_params - 2 * self.loglik

    @property
    def bic(self) -> np.ndarray:
        return self.n_params * np.log(self.data.n_trials_subject) - 2 * self.loglik

    def table(self) -> pd.DataFrame:
        """One row per subject: estimates, standard errors, LL, AIC, BIC, trials."""
        df = pd.DataFrame({"subjID": self.data.subjects})
        for k in self.params:
            df[k] = self.params[k]
            df[f"{k}_se"] = self.se[k]
        df["loglik"], df["aic"], df["bic"] = self.loglik, self.aic, self.bic
        df["n_trials"] = self.data.n_trials_subject
        return df

    def regressors(self, onsets=None) -> pd.DataFrame:
        from .regressors import regressors

        return regressors(self.model, self.params, self.data)


def hessian_blocks(f, x):
    """Per-row Hessian blocks ``[N, P, P]`` of ``f(x) = sum_n f_n(x_n)`` at ``x`` ``[N, P]``
    (P Hessian-vector products of the sum)."""
    g = jax.grad(f)
    cols = [jax.jvp(g, (x,), (jnp.zeros_like(x).at[:, j].set(1.0),))[1] for j in range(x.shape[1])]
    return jnp.stack(cols, axis=-1)


def _objective(model, data, inputs, shape, with_prior: bool):
    """Jitted ``(value_and_grad, per-subject)`` of the summed negative log-posterior over
    ``z`` of ``shape`` ``[R, N, P]``, taking the prior mean and variance as arguments
    (so an EM loop that changes the prior does not recompile)."""
    names = model.param_names
    bounds = jnp.asarray(model.bounds(), jnp.float32)
    R, N, P = shape

    def per(zflat, m, v):
        z = zflat.reshape(R, N, P)

        def one(zs):
            theta = natural(zs, bounds)
            return -subject_loglik(model, {k: theta[:, j] for j, k in enumerate(names)}, data, inputs)

        out = jax.vmap(one)(z)
        if with_prior:
            out = out + 0.5 * jnp.sum((z - m) ** 2 / v, -1)
        return out

    return jax.jit(jax.value_and_grad(lambda z, m, v: per(z, m, v).sum())), jax.jit(per)


def _optimise(model, data, inputs, z0, prior_mean=None, prior_var=None, maxiter=2000, fns=None):
    """Minimise the summed per-subject negative log-posterior over ``z0`` ``[R, N, P]``;
    returns the optimum, the per-start, per-subject objective, success, and the
    compiled functions (pass them back as ``fns`` to reuse them)."""
    with_prior = prior_mean is not None
    vg, per = fns if fns is not None else _objective(model, data, inputs, z0.shape, with_prior)
    m = jnp.asarray(0.0 if prior_mean is None else prior_mean, jnp.float32)
    v = jnp.asarray(1.0 if prior_var is None else prior_var, jnp.float32)

    def f(z):
        val, g = vg(jnp.asarray(z, jnp.float32), m, v)
        return float(val), np.asarray(g, float)

    res = minimize(f, np.asarray(z0, float).ravel(), jac=True, method="L-BFGS-B",
                   options={"maxiter": maxiter, "gtol": 1e-6})
    z = res.x.reshape(z0.shape)
    return z, np.asarray(per(jnp.asarray(z.ravel(), jnp.float32), m, v)), bool(res.success), (vg, per)


def fit_mle(data: ChoiceData, model: FitModel | str, *, n_starts: int = 5, seed: int = 0,
            prior_sd: float | None = None, maxiter: int = 2000) -> MLEFit:
    """Fit ``model`` to every subject of ``data`` by maximum likelihood (MAP with ``prior_sd``)."""
    model = get_model(model) if isinstance(model, str) else model
    n_starts = check_count("n_starts", n_starts, 1)
    if prior_sd is not None:
        check_range("prior_sd", prior_sd, 0.0, np.inf, low_open=True)
    names = model.param_names
    bounds = jnp.asarray(model.bounds(), jnp.float32)
    N, P = data.n_subjects, len(names)
    inputs = data_arrays(model, data)
    rng = np.random.default_rng(seed)
    z0 = rng.normal(0.0, 1.0, (n_starts, N, P))
    z0[0] = 0.0  # one start at the middle of every range
    prior = (None, None) if prior_sd is None else (0.0, prior_sd ** 2)
    z, per, ok, _ = _optimise(model, data, inputs, z0, *prior, maxiter=maxiter)
    zb = z[np.argmin(per, 0), np.arange(N)]
    theta = np.asarray(natural(jnp.asarray(zb, jnp.float32), bounds), float)
    params = {k: theta[:, j] for j, k in enumerate(names)}
    ll = np.asarray(subject_loglik(model, params, data, inputs), float)
    # standard errors: inverse of each subject's Hessian block on the natural scale
    nll = lambda th: -subject_loglik(model, {k: th[:, j] for j, k in enumerate(names)}, data, inputs).sum()  # noqa: E731
    H = np.asarray(jax.jit(lambda th: hessian_blocks(nll, th))(jnp.asarray(theta, jnp.float32)), float)
    lo, hi = model.bounds().T
    interior = (theta - lo > 1e-3 * (hi - lo)) & (hi - theta > 1e-3 * (hi - lo))
    se = np.full((N, P), np.nan)
    for s in range(N):
        try:
            d = np.diag(np.linalg.inv(H[s]))
            se[s] = np.where(interior[s] & (d > 0), np.sqrt(np.abs(d)), np.nan)
        except np.linalg.LinAlgError:
            continue  # a singular Hessian: this subject's standard errors stay NaN
    return MLEFit(model, data, params, {k: se[:, j] for j, k in enumerate(names)}, ll, ok,
                  "map" if prior_sd is not None else "mle")
