"""Fast approximate hierarchical fit: empirical-Bayes EM with Laplace approximations (Huys et al. 2011).

On the unconstrained scale z (the MLE transform), subjects' parameters are
given a Gaussian group prior N(m, diag v). Each EM iteration (i) finds every
subject's MAP under the current prior (one batched L-BFGS over all subjects,
warm-started), (ii) approximates each posterior by a Gaussian at the mode with
covariance the inverse Hessian (Laplace), and (iii) sets the prior to the
moments of those posteriors: ``m = mean(z_s)``, ``v = mean(z_s^2 + diag S_s) - m^2``.
It stops when the prior changes by less than ``tol``. Each subject's Laplace
log evidence, ``LL + log prior - 1/2 log det(H / 2 pi)``, is returned for model
comparison (:func:`mesolimbic.fitting.compare.bms`).

Reference: Huys, Q. J. M., Cools, R., Gölzer, M., Friedel, E., Heinz, A., Dolan,
R. J. & Dayan, P. (2011). Disentangling the roles of approach, activation and
valence in instrumental and Pavlovian responding. PLoS Comput Biol 7:e1002028
(the EM procedure of its Methods).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .._validate import check_count
from .data import ChoiceData
from .likelihood import data_arrays, natural, subject_loglik
from .mle import _optimise, hessian_blocks
from .models import FitModel, get_model

__all__ = ["ApproxFit", "fit_approx"]


@dataclass
class ApproxFit:
    model: FitModel
    data: ChoiceData
    params: dict
    z: np.ndarray
    z_sd: np.ndarray
    prior_mean: np.ndarray
    prior_sd: np.ndarray
    loglik: np.ndarray
    log_evidence: np.ndarray
    iterations: int
    converged: bool

    def group(self) -> pd.DataFrame:
        """Group-level prior on z and the parameter at the prior mean."""
        th = np.asarray(natural(jnp.asarray(self.prior_mean[None], jnp.float32),
                                jnp.asarray(self.model.bounds(), jnp.float32)))[0]
        return pd.DataFrame({"parameter": list(self.model.param_names), "z_mean": self.prior_mean,
                             "z_sd": self.prior_sd, "at_group_mean": th})

    def table(self) -> pd.DataFrame:
        df = pd.DataFrame({"subjID": self.data.subjects})
        for j, k in enumerate(self.model.param_names):
            df[k] = self.params[k]
            df[f"{k}_z_sd"] = self.z_sd[:, j]
        df["loglik"], df["log_evidence"] = self.loglik, self.log_evidence
        df["n_trials"] = self.data.n_trials_subject
        return df

    def regressors(self):
        from .regressors import regressors

        return regressors(self.model, self.params, self.data)


def fit_approx(data: ChoiceData, model: FitModel | str, *, max_iter: int = 100, tol: float = 1e-2,
               seed: int = 0) -> ApproxFit:
    """Empirical-Bayes EM with Laplace approximations; see the module docstring."""
    model = get_model(model) if isinstance(model, str) else model
    max_iter = check_count("max_iter", max_iter, 1)
    names = model.param_names
    bounds = jnp.asarray(model.bounds(), jnp.float32)
    N, P = data.n_subjects, len(names)
    inputs = data_arrays(model, data)
    m, v = np.zeros(P), np.full(P, 4.0)  # a broad start on the z scale
    z = np.zeros((1, N, P))

    def nlp(zz, m_, v_):
        th = natural(zz, bounds)
        nll = -subject_loglik(model, {k: th[:, j] for j, k in enumerate(names)}, data, inputs)
        return (nll + 0.5 * jnp.sum((zz - m_) ** 2 / v_, -1)).sum()

    hess = jax.jit(lambda zz, m_, v_: hessian_blocks(lambda x: nlp(x, m_, v_), zz))
    converged, it, fns = False, 0, None
    for it in range(1, max_iter + 1):
        z, _, _, fns = _optimise(model, data, inputs, z, jnp.asarray(m, jnp.float32), jnp.asarray(v, jnp.float32),
                                 fns=fns)
        H = np.asarray(hess(jnp.asarray(z[0], jnp.float32), jnp.asarray(m, jnp.float32),
                            jnp.asarray(v, jnp.float32)), float)
        S = np.linalg.inv(H + 1e-6 * np.eye(P))
        var_s = np.clip(np.diagonal(S, axis1=1, axis2=2), 1e-8, None)
        m_new = z[0].mean(0)
        v_new = np.maximum((z[0] ** 2 + var_s).mean(0) - m_new ** 2, 1e-4)
        change = max(np.abs(m_new - m).max(), np.abs(np.sqrt(v_new) - np.sqrt(v)).max())
        m, v = m_new, v_new
        if change < tol:
            converged = True
            break
    zs = z[0]
    theta = np.asarray(natural(jnp.asarray(zs, jnp.float32), bounds), float)
    params = {k: theta[:, j] for j, k in enumerate(names)}
    ll = np.asarray(subject_loglik(model, params, data, inputs), float)
    H = np.asarray(hess(jnp.asarray(zs, jnp.float32), jnp.asarray(m, jnp.float32), jnp.asarray(v, jnp.float32)),
                   float)
    logprior = -0.5 * np.sum((zs - m) ** 2 / v + np.log(2 * np.pi * v), -1)
    logdet = np.array([np.linalg.slogdet(h / (2 * np.pi))[1] for h in H])
    S = np.linalg.inv(H + 1e-6 * np.eye(P))
    return ApproxFit(model, data, params, zs, np.sqrt(np.clip(np.diagonal(S, axis1=1, axis2=2), 0, None)), m,
                     np.sqrt(v), ll, ll + logprior - 0.5 * logdet, it, converged)
