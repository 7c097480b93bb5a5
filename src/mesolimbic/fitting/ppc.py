"""Posterior (or point-fit) predictive checks: the model's one-step-ahead choice
probabilities against the observed choices, as a learning curve, and for the
two-step task as stay probabilities after rewarded / unrewarded, common / rare
trials (the signature of Daw et al. 2011)."""

from __future__ import annotations

import numpy as np

__all__ = ["ppc_figure", "stay_table"]


def stay_table(data, predicted=None):
    """Two-step stay probabilities by the previous trial's reward and transition:
    :func:`mesolimbic.tasks.two_step.stay_probabilities` on fitted data.

    Observed: the share of first-stage choices that repeat the previous one.
    Predicted (``predicted``: the model's one-step-ahead P(first-stage option 2),
    ``[sequence, trial]``): the mean probability of repeating it. Returns a
    DataFrame with ``reward`` (rewarded / unrewarded), ``transition`` (common /
    rare), ``observed``, ``predicted`` and ``n`` (trials)."""
    import pandas as pd

    from ..tasks.two_step import stay_probabilities as stay

    if data.task != "ts" or "state2" not in data.extra:
        raise ValueError(f"stay probabilities need two-step data (task 'ts'), got task {data.task!r}")
    obs, pred, n = stay(data.choice, data.extra["state2"] == data.choice, data.outcome, data.mask, predicted)
    return pd.DataFrame({"reward": ["rewarded", "rewarded", "unrewarded", "unrewarded"],
                         "transition": ["common", "rare", "common", "rare"], "n": n, "observed": obs,
                         "predicted": pred if pred is not None else np.full(4, np.nan)})


def ppc_figure(data, predicted, band=None, title: str = ""):
    """Observed share of choices of option 2 per trial (mean over sequences) against the
    model's mean predicted probability (``predicted``: ``[sequence, trial]``); ``band``:
    ``(low, high)`` arrays of the same shape for an interval of the prediction's mean."""
    from ..plot import plt, stay_bars

    mask = data.mask
    obs = np.where(mask, (data.choice == 1).astype(float), np.nan)
    pred = np.where(mask, predicted, np.nan)
    t = np.arange(1, mask.shape[1] + 1)
    if data.task == "ts":
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 3.6), constrained_layout=True,
                                      gridspec_kw={"width_ratios": [2, 1]})
        st = stay_table(data, predicted)
        stay_bars(ax2, st.observed.to_numpy(), st.predicted.to_numpy())
        ax2.set_ylim(0, 1)
        ax2.set_ylabel("P(repeat first-stage choice)")
        ax2.set_title("Stay probabilities", fontsize=10)
        ax2.legend(fontsize=7, frameon=False)
    else:
        fig, ax = plt.subplots(figsize=(8, 3.6), constrained_layout=True)
    k = 5  # smoothing window (trials)
    def smooth(y):  # centred moving mean that does not sag at the ends
        ok = np.isfinite(y)
        w = np.ones(min(k, len(y)))  # np.convolve 'same' returns the longer input's length
        return np.convolve(np.where(ok, y, 0), w, "same") / np.maximum(np.convolve(ok, w, "same"), 1)

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
