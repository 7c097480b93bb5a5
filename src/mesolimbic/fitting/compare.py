"""Model comparison: information criteria for point fits, PSIS-LOO / WAIC for Bayesian
fits, and random-effects Bayesian model selection with (protected) exceedance
probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, logsumexp

__all__ = ["bms", "compare_fits", "loo_table"]


def bms(log_evidence, alpha0: float = 1.0, n_samples: int = 100_000, seed: int = 0, max_iter: int = 1000) -> dict:
    """Random-effects Bayesian model selection (Stephan, Penny, Daunizeau, Moran &
    Friston 2009) on a ``[subjects, models]`` matrix of log evidences (e.g. -BIC/2,
    or Laplace evidences from :func:`~mesolimbic.fitting.approx.fit_approx`).

    Returns ``alpha`` (the Dirichlet posterior over model frequencies),
    ``expected_frequency``, ``exceedance`` (P that each model is the most frequent),
    ``bor`` (Bayesian omnibus risk: the posterior probability that all models are
    equally frequent) and ``protected_exceedance`` ``= (1 - bor) xp + bor / K``
    (Rigoux, Stephan, Friston & Daunizeau 2014, NeuroImage 84:971)."""
    L = np.asarray(log_evidence, float)
    if L.ndim != 2 or L.shape[1] < 2:
        raise ValueError(f"log_evidence must be [subjects, models] with at least 2 models, got shape {L.shape}")
    if not np.all(np.isfinite(L)):
        raise ValueError("log_evidence has non-finite values")
    N, K = L.shape
    a0 = np.full(K, float(alpha0))
    a = a0.copy()
    for _ in range(max_iter):
        logu = L + digamma(a) - digamma(a.sum())
        g = np.exp(logu - logsumexp(logu, axis=1, keepdims=True))
        a_new = a0 + g.sum(0)
        if np.abs(a_new - a).max() < 1e-8:
            a = a_new
            break
        a = a_new
    r = a / a.sum()
    draws = np.random.default_rng(seed).dirichlet(a, n_samples)
    xp = np.bincount(draws.argmax(1), minlength=K) / n_samples
    # free energies of the random-effects model (F1) and of the null, equal frequencies (F0)
    logu = L + digamma(a) - digamma(a.sum())
    g = np.exp(logu - logsumexp(logu, axis=1, keepdims=True))
    elog_r = digamma(a) - digamma(a.sum())
    kl_dir = (gammaln(a.sum()) - gammaln(a).sum() - gammaln(a0.sum()) + gammaln(a0).sum()
              + np.sum((a - a0) * elog_r))
    F1 = np.sum(g * (L + elog_r - np.log(np.clip(g, 1e-300, None)))) - kl_dir
    F0 = np.sum(logsumexp(L, axis=1) - np.log(K))
    bor = 1.0 / (1.0 + np.exp(np.clip(F1 - F0, -700, 700)))
    return {"alpha": a, "expected_frequency": r, "exceedance": xp, "bor": float(bor),
            "protected_exceedance": (1 - bor) * xp + bor / K, "responsibilities": g}


def compare_fits(fits: dict) -> pd.DataFrame:
    """Point fits (MLE/MAP) of the same data by several models: summed log-likelihood,
    AIC and BIC per model, and BMS on -BIC/2 per subject."""
    names = list(fits)
    subj = [list(map(str, f.data.subjects)) for f in fits.values()]
    if any(s != subj[0] for s in subj):
        raise ValueError("all fits must be of the same subjects")
    bic = np.stack([np.asarray(fits[n].bic) for n in names], 1)
    res = bms(-bic / 2)
    return pd.DataFrame({"model": names, "n_params": [fits[n].n_params for n in names],
                         "loglik": [float(np.sum(fits[n].loglik)) for n in names],
                         "aic": [float(np.sum(fits[n].aic)) for n in names], "bic": bic.sum(0),
                         "bms_expected_frequency": res["expected_frequency"], "bms_exceedance": res["exceedance"],
                         "bms_protected_exceedance": res["protected_exceedance"]}).sort_values("bic")


def loo_table(idatas: dict, per: str = "subject") -> pd.DataFrame:
    """PSIS-LOO comparison of hierarchical fits (ArviZ ``compare``) with the pointwise unit
    either the subject (as hBayesDM reports LOOIC; a fit with the per-trial log-likelihood is
    summed per subject first) or the trial (the fits need ``per_trial=True``)."""
    import arviz as az

    if per not in ("subject", "trial"):
        raise ValueError(f"per must be 'subject' or 'trial', got {per!r}")
    prepared = {}
    for name, idata in idatas.items():
        if "log_likelihood" not in idata.groups() or "choice" not in idata.log_likelihood:
            raise ValueError(f"fit {name!r} has no log-likelihood of the choices (log_likelihood.choice)")
        ll = idata.log_likelihood["choice"]
        if per == "trial" and "obs" not in ll.dims:
            raise ValueError(f"fit {name!r} has the log-likelihood per subject; fit with per_trial=True to "
                             f"compare per trial")
        if per == "subject" and "obs" in ll.dims:
            by = ll.groupby("subject").sum()
            idata = az.InferenceData(posterior=idata.posterior, log_likelihood=by.to_dataset(name="choice"))
        prepared[name] = idata
    return az.compare(prepared, ic="loo")
