"""Posterior (or point-fit) predictive checks: the model's one-step-ahead choice
probabilities against the observed choices, as a learning curve."""

from __future__ import annotations

import numpy as np

__all__ = ["ppc_figure"]


def ppc_figure(data, predicted, band=None, title: str = ""):
    """Observed share of choices of option 2 per trial (mean over sequences) against the
    model's mean predicted probability (``predicted``: ``[sequence, trial]``); ``band``:
    ``(low, high)`` arrays of the same shape for an interval of the prediction's mean."""
    from ..plot import plt

    mask = data.mask
    obs = np.where(mask, (data.choice == 1).astype(float), np.nan)
    pred = np.where(mask, predicted, np.nan)
    t = np.arange(1, mask.shape[1] + 1)
    fig, ax = plt.subplots(figsize=(8, 3.6), constrained_layout=True)
    k = 5  # smoothing window (trials)
    def smooth(y):  # centred moving mean that does not sag at the ends
        ok = np.isfinite(y)
        return np.convolve(np.where(ok, y, 0), np.ones(k), "same") / np.maximum(np.convolve(ok, np.ones(k), "same"), 1)

    ax.plot(t, smooth(np.nanmean(obs, 0)), color="k", lw=1.5, label="observed (5-trial mean)")
    ax.plot(t, smooth(np.nanmean(pred, 0)), color="tab:orange", lw=1.5, label="model, one step ahead")
    if band is not None:
        lo, hi = (np.nanmean(np.where(mask, b, np.nan), 0) for b in band)
        ax.fill_between(t, smooth(lo), smooth(hi), color="tab:orange", alpha=0.25, lw=0, label="95% interval")
    ax.set_ylim(0, 1)
    ax.set_xlabel("trial")
    ax.set_ylabel("P(choose option 2)" if data.task != "gng" else "P(go)")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(title or f"Predictive check: {data.task}", fontsize=10)
    return fig
