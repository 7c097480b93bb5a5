"""Fast approximate hierarchical fit: empirical-Bayes EM with Laplace approximations (Huys et al. 2011).

On the unconstrained scale z (the MLE transform), subjects' parameters are
given a Gaussian group prior N(m, diag v). Each EM iteration (i) finds every
subject's MAP under the current prior (one batched L-BFGS over all subjects,
warm-started), (ii) approximates each posterior by a Gaussian at the mode with
covariance the inverse Hessian (Laplace), and (iii) sets the prior to the
moments of those posteriors: ``m = mean(z_s)``, ``v = mean(z_s^2 + diag S_s) - m^2``
(over the subjects whose log-likelihood is finite: one that is not is reported in
``status`` and left out, so it cannot pull the prior and with it the others).
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

from .._seed import check_seed
from .._validate import check_count
from .data import ChoiceData
from .likelihood import data_arrays, natural, subject_loglik
from .mle import CONVERGED, _optimise, hessian_blocks
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
    converged: bool  # the group prior settled (EM), see ``status`` for each subject's MAP
    status: list | None = None  # per subject: "converged", or why not (see mle.batched_lbfgs)

    @property
    def not_converged(self) -> dict:
        """Subject ID -> status, for the subjects whose last MAP did not converge or failed."""
        return {s: st for s, st in zip(self.data.subjects, self.status or []) if st != CONVERGED}

    def group(self) -> pd.DataFrame:
        """Group-level prior on z and the parameter at the prior mean."""
        th = np.asarray(natural(jnp.asarray(self.prior_mean[None], jnp.float32),
                                jnp.asarray(self.model.bounds(), jnp.float32)))[0]
        return pd.DataFrame({"parameter": list(self.model.param_names), "z_mean": self.prior_mean,
                             "z_sd": self.prior_sd, "at_group_mean": th})

    def table(self, names: str = "mesolimbic") -> pd.DataFrame:
        """One row per subject, the same columns for every method
        (:func:`~mesolimbic.fitting.parameter_table`): modes, their Laplace SDs on the natural
        scale as ``<name>_sd``, log-likelihood, log evidence, trials, status."""
        from .tables import parameter_table

        return parameter_table(self, names=names)

    def regressors(self):
        from .regressors import regressors

        return regressors(self.model, self.params, self.data)


def fit_approx(data: ChoiceData, model: FitModel | str, *, max_iter: int = 100, tol: float = 1e-2,
               seed: int = 0) -> ApproxFit:
    """Empirical-Bayes EM with Laplace approximations; see the module docstring."""
    model = get_model(model) if isinstance(model, str) else model
    max_iter = check_count("max_iter", max_iter, 1)
    check_seed("seed", seed)  # the EM is deterministic; the seed is checked for a uniform interface
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
    status = np.full(N, CONVERGED, dtype=object)
    for it in range(1, max_iter + 1):
        z, per, st, fns = _optimise(model, data, inputs, z, jnp.asarray(m, jnp.float32), jnp.asarray(v, jnp.float32),
                                    fns=fns)
        status = st[0]
        # a subject whose objective is not finite at its MAP is left out of the group prior, so it
        # cannot move the others (their estimates are those of fitting them without it)
        ok = np.isfinite(per[0])
        if not ok.any():
            raise ValueError(f"{model.name}: no subject has a finite log-likelihood; check the data's outcomes")
        H = np.asarray(hess(jnp.asarray(z[0], jnp.float32), jnp.asarray(m, jnp.float32),
                            jnp.asarray(v, jnp.float32)), float)
        S = np.linalg.inv(H[ok] + 1e-6 * np.eye(P))
        var_s = np.clip(np.diagonal(S, axis1=1, axis2=2), 1e-8, None)
        m_new = z[0][ok].mean(0)
        v_new = np.maximum((z[0][ok] ** 2 + var_s).mean(0) - m_new ** 2, 1e-4)
        change = max(np.abs(m_new - m).max(), np.abs(np.sqrt(v_new) - np.sqrt(v)).max())
        m, v = m_new, v_new
        if change < tol:
            converged = True
            break
    zs = z[0]
    failed = ~np.isfinite(per[0])
    status[failed] = "failed: non-finite log-likelihood (check this subject's data); left out of the group prior"
    theta = np.asarray(natural(jnp.asarray(zs, jnp.float32), bounds), float)
    theta[failed] = np.nan
    params = {k: theta[:, j] for j, k in enumerate(names)}
    ll = np.asarray(subject_loglik(model, params, data, inputs), float)
    H = np.asarray(hess(jnp.asarray(zs, jnp.float32), jnp.asarray(m, jnp.float32), jnp.asarray(v, jnp.float32)),
                   float)
    H[failed] = np.eye(P)  # placeholders: their evidence and spread are reported as NaN below
    logprior = -0.5 * np.sum((zs - m) ** 2 / v + np.log(2 * np.pi * v), -1)
    logdet = np.array([np.linalg.slogdet(h / (2 * np.pi))[1] for h in H])
    S = np.linalg.inv(H + 1e-6 * np.eye(P))
    z_sd = np.sqrt(np.clip(np.diagonal(S, axis1=1, axis2=2), 0, None))
    z_sd[failed] = np.nan
    evidence = ll + logprior - 0.5 * logdet
    evidence[failed] = np.nan
    return ApproxFit(model, data, params, zs, z_sd, m, np.sqrt(v), ll, evidence, it, converged,
                     [str(x) for x in status])
