"""One per-subject parameter table for every fitting method.

:func:`parameter_table` returns the same columns whether the fit is a maximum-likelihood or
MAP fit (:func:`~mesolimbic.fitting.fit_mle`), the empirical-Bayes Laplace fit
(:func:`~mesolimbic.fitting.fit_approx`) or a hierarchical posterior
(:func:`~mesolimbic.fitting.fit_hierarchical`), so tables from different methods can be
stacked and compared row by row. It is hBayesDM's ``allIndPars`` (subject ID and one column
per parameter) with the uncertainty and the fit's quality next to each subject:

``subjID``, ``method``; one column per parameter (the point estimate: MLE/MAP mode, Laplace
mode, posterior mean or median); ``<parameter>_sd`` (its uncertainty on the natural scale:
the asymptotic standard error from the Hessian for MLE/MAP, the Laplace posterior SD mapped
through the parameter's transform by the delta method for ``approx``, the posterior SD for
``hierarchical``); ``loglik`` (the subject's log-likelihood at the point estimate); ``aic``
and ``bic`` (MLE and MAP only: the others do not estimate each subject on its own, so a
per-subject AIC would be wrong — NaN); ``log_evidence`` (``approx`` only: the Laplace
marginal likelihood; NaN otherwise); ``n_trials``; ``status`` (``"converged"`` or why not:
the optimiser's status, or for ``hierarchical`` the subject's worst R-hat and bulk ESS
against 1.01 and 400).

``names="hbayesdm"`` uses hBayesDM's parameter names (``A``, ``tau``, ...) where the model
mirrors an hBayesDM model, so the table reads like ``allIndPars``.

Reference: Ahn, W.-Y., Haines, N. & Zhang, L. (2017). Revealing neurocomputational
mechanisms of reinforcement learning and decision-making with the hBayesDM package.
Comput Psychiatry 1:24-57.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validate import check_choice
from .models import FitModel, get_model

__all__ = ["parameter_table", "label_map"]

RHAT_MAX, ESS_MIN = 1.01, 400


def label_map(model: FitModel, names: str = "mesolimbic") -> dict:
    """Parameter name -> the label used in tables and posteriors: the package's own name, or
    hBayesDM's (``names="hbayesdm"``) where the model declares one."""
    check_choice("names", names, ("mesolimbic", "hbayesdm"))
    if names == "mesolimbic":
        return {k: k for k in model.param_names}
    return {k: model.hbayes[k][0] for k in model.param_names}


def _is_idata(fit) -> bool:
    return hasattr(fit, "posterior") and hasattr(fit, "attrs")


def parameter_table(fit, *, data=None, names: str = "mesolimbic", stat: str = "mean") -> pd.DataFrame:
    """Per-subject table with the same columns for every method (see the module docstring).

    ``fit``: an ``MLEFit``, an ``ApproxFit`` or the ``InferenceData`` of
    :func:`~mesolimbic.fitting.fit_hierarchical`. ``data``: the fitted ``ChoiceData``
    (needed for a hierarchical fit's log-likelihood at the point estimate; the other fits
    carry their data). ``stat``: the hierarchical point estimate, ``"mean"`` or ``"median"``.
    """
    check_choice("stat", stat, ("mean", "median"))
    if _is_idata(fit):
        return _hierarchical_table(fit, data, names, stat)
    model, d = fit.model, fit.data
    labels = label_map(model, names)
    df = pd.DataFrame({"subjID": d.subjects, "method": getattr(fit, "method", "approx")})
    sd = _approx_sd(fit) if not hasattr(fit, "se") else {k: np.asarray(fit.se[k], float) for k in model.param_names}
    for k in model.param_names:
        df[labels[k]] = np.asarray(fit.params[k], float)
    for k in model.param_names:
        df[f"{labels[k]}_sd"] = sd[k]
    df["loglik"] = np.asarray(fit.loglik, float)
    nan = np.full(d.n_subjects, np.nan)
    df["aic"] = np.asarray(fit.aic, float) if hasattr(fit, "aic") else nan
    df["bic"] = np.asarray(fit.bic, float) if hasattr(fit, "bic") else nan
    df["log_evidence"] = np.asarray(fit.log_evidence, float) if hasattr(fit, "log_evidence") else nan
    df["n_trials"] = d.n_trials_subject
    df["status"] = fit.status if fit.status is not None else ["converged" if fit.converged else "not converged"] * len(df)
    return df


def _approx_sd(fit) -> dict:
    """Delta method: ``theta = lo + (hi - lo) sigmoid(z)``, so ``sd(theta) ~ (hi - lo) s (1 - s) sd(z)``."""
    b = fit.model.bounds()
    z, zsd = np.asarray(fit.z, float), np.asarray(fit.z_sd, float)
    s = 1.0 / (1.0 + np.exp(-z))
    sd = (b[:, 1] - b[:, 0]) * s * (1 - s) * zsd
    return {k: sd[:, j] for j, k in enumerate(fit.model.param_names)}


def _hierarchical_table(idata, data, names: str, stat: str) -> pd.DataFrame:
    import logging

    import arviz as az

    from .likelihood import data_arrays, subject_loglik

    model = get_model(idata.attrs["model"])
    labels = label_map(model, names)
    post = idata.posterior
    own = idata.attrs.get("names", "mesolimbic")
    var = label_map(model, own)  # the names the posterior was written with
    subjects = [str(s) for s in post["subject"].values]
    red = (lambda v: v.mean(("chain", "draw"))) if stat == "mean" else (lambda v: v.median(("chain", "draw")))
    df = pd.DataFrame({"subjID": subjects, "method": "hierarchical"})
    point = {k: np.asarray(red(post[var[k]]), float) for k in model.param_names}
    for k in model.param_names:
        df[labels[k]] = point[k]
    for k in model.param_names:
        df[f"{labels[k]}_sd"] = np.asarray(post[var[k]].std(("chain", "draw")), float)
    if data is None:
        raise ValueError("a hierarchical fit's table needs data= (the fitted ChoiceData) for the log-likelihood "
                         "at the point estimate")
    if [str(s) for s in data.subjects] != subjects:
        raise ValueError(f"data= holds subjects {list(map(str, data.subjects))[:5]}..., the fit {subjects[:5]}...")
    import jax.numpy as jnp

    p = {k: jnp.asarray(v, jnp.float32) for k, v in point.items()}
    df["loglik"] = np.asarray(subject_loglik(model, p, data, data_arrays(model, data)), float)
    df["aic"] = df["bic"] = df["log_evidence"] = np.nan
    df["n_trials"] = data.n_trials_subject
    log = logging.getLogger("arviz")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        chains, draws = int(post.sizes["chain"]), int(post.sizes["draw"])
        vars_ = [var[k] for k in model.param_names]
        rhat = az.rhat(post[vars_]) if chains >= 2 and draws >= 4 else None
        ess = az.ess(post[vars_], method="bulk") if draws >= 4 else None
    finally:
        log.setLevel(level)
    status = []
    for i in range(len(subjects)):
        why = []
        if rhat is None:
            why.append("R-hat needs >= 2 chains")
        else:
            r = max(float(rhat[v].values[i]) for v in vars_)
            if not r <= RHAT_MAX:
                why.append(f"R-hat {r:.3f} > {RHAT_MAX}")
        if ess is not None:
            e = min(float(ess[v].values[i]) for v in vars_)
            if not e >= ESS_MIN:
                why.append(f"bulk ESS {e:.0f} < {ESS_MIN}")
        status.append("converged" if not why else "not converged: " + "; ".join(why))
    df["status"] = status
    return df
