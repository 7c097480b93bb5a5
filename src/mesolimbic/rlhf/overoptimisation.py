"""Reward-model over-optimisation: the gold reward peaks and falls while the proxy keeps rising.

Gao, Schulman & Hilton (2023) measured, as a function of the distance from the
initial policy ``d = sqrt(KL)``, the gold reward of policies optimised against a
proxy reward model, and fitted (with R(0) = 0)

* best-of-n sampling: ``R(d) = d (alpha - beta d)``
* reinforcement learning: ``R(d) = d (alpha - beta log d)``

:func:`overoptimisation_report` takes logged series — proxy reward, gold reward
and KL — from this package or from any trainer's log history
(:func:`from_log_history` reads TRL-style ``log_history`` lists of dicts), and
reports the gold peak, the KL at which it occurs, and both fits.

Reference: Gao, L., Schulman, J. & Hilton, J. (2023). Scaling laws for reward
model overoptimization. ICML 2023, PMLR 202:10835-10866.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import curve_fit

__all__ = ["fit_gao", "overoptimisation_report", "from_log_history", "best_of_n_kl"]


def best_of_n_kl(n):
    """KL of best-of-n sampling from its base policy: ``log n - (n - 1) / n`` (Stiennon et al. 2020).

    Exact when no response has a noticeable share of the base policy's probability
    (a continuous reward); otherwise an upper bound on the true KL (Beirami et al.
    2024, Theoretical guarantees on the best-of-n alignment policy, arXiv:2401.01879).

    >>> from mesolimbic.rlhf import best_of_n_kl
    >>> best_of_n_kl([1, 2, 16]).round(3)
    array([0.   , 0.193, 1.835])
    """
    n = np.asarray(n, float)
    return np.log(n) - (n - 1) / n


def fit_gao(d, gold, form: str = "bon") -> dict:
    """Least-squares fit of ``R(d) = d (alpha - beta d)`` (``form="bon"``) or
    ``d (alpha - beta log d)`` (``"rl"``) to gold rewards measured relative to d = 0.
    Returns ``alpha``, ``beta``, ``r2`` and the predicted peak ``d_peak``."""
    d, gold = np.asarray(d, float), np.asarray(gold, float)
    if form not in ("bon", "rl"):
        raise ValueError(f"form must be 'bon' or 'rl', got {form!r}")
    if d.shape != gold.shape or d.ndim != 1 or d.size < 3:
        raise ValueError(f"d and gold must be 1-D of equal length >= 3, got {d.shape} and {gold.shape}")
    ok = d > 0
    if ok.sum() < 3:
        raise ValueError(f"fitting the Gao et al. form needs at least 3 points with d > 0, got {int(ok.sum())}")
    f = (lambda x, a, b: x * (a - b * x)) if form == "bon" else (lambda x, a, b: x * (a - b * np.log(x)))
    (a, b), _ = curve_fit(f, d[ok], gold[ok], p0=(1.0, 0.1), maxfev=20_000)
    resid = gold[ok] - f(d[ok], a, b)
    r2 = 1.0 - np.sum(resid ** 2) / max(np.sum((gold[ok] - gold[ok].mean()) ** 2), 1e-12)
    if form == "bon":
        peak = a / (2 * b) if b > 0 else np.inf
    else:
        peak = float(np.exp(a / b - 1)) if b > 0 else np.inf
    return {"alpha": float(a), "beta": float(b), "r2": float(r2), "d_peak": float(peak)}


def overoptimisation_report(kl, proxy, gold) -> dict:
    """Gold peak, the KL (and d) where it occurs, whether the proxy still rises after it,
    and both Gao et al. fits (on gold minus its value at the smallest KL)."""
    kl, proxy, gold = (np.asarray(a, float) for a in (kl, proxy, gold))
    if not (kl.shape == proxy.shape == gold.shape) or kl.ndim != 1:
        raise ValueError(f"kl, proxy and gold must be 1-D of equal length, got {kl.shape}, {proxy.shape}, {gold.shape}")
    order = np.argsort(kl)
    kl, proxy, gold = kl[order], proxy[order], gold[order]
    d = np.sqrt(np.maximum(kl, 0))
    i = int(np.argmax(gold))
    rel = gold - gold[0]
    return {"gold_peak": float(gold[i]), "kl_at_peak": float(kl[i]), "d_at_peak": float(d[i]),
            "gold_final": float(gold[-1]), "proxy_gain_after_peak": float(proxy[-1] - proxy[i]),
            "overoptimised": bool(i < len(gold) - 1 and gold[-1] < gold[i]),
            "fit_bon": _try_fit(d, rel, "bon"), "fit_rl": _try_fit(d, rel, "rl")}


def _try_fit(d, rel, form):
    try:
        return fit_gao(d, rel, form)
    except (ValueError, RuntimeError) as e:  # too few points, or no convergence: report, don't crash the monitor
        return {"alpha": np.nan, "beta": np.nan, "r2": np.nan, "d_peak": np.nan, "note": str(e)}


def from_log_history(history, kl_key: str = "kl", proxy_key: str = "reward", gold_key: str = "gold_reward"):
    """``(kl, proxy, gold)`` arrays from a list of dicts (e.g. a TRL trainer's
    ``state.log_history``), keeping the entries that have all three keys."""
    rows = [h for h in history if all(k in h for k in (kl_key, proxy_key, gold_key))]
    if not rows:
        keys = sorted({k for h in history for k in h})
        raise ValueError(f"no log entry has all of {kl_key!r}, {proxy_key!r}, {gold_key!r}; keys seen: {keys}")
    return tuple(np.array([h[k] for h in rows], float) for k in (kl_key, proxy_key, gold_key))
