"""Posterior (or point-fit) predictive checks: the model's one-step-ahead choice
probabilities against the observed choices, as a learning curve, and for the
two-step task as stay probabilities after rewarded / unrewarded, common / rare
trials (the signature of Daw et al. 2011)."""

from __future__ import annotations

import numpy as np

__all__ = ["ppc_figure", "stay_probabilities"]


def stay_probabilities(data, predicted=None):
    """Two-step stay probabilities by the previous trial's reward and transition.

    Observed: the share of first-stage choices that repeat the previous one.
    Predicted (``predicted``: the model's one-step-ahead P(first-stage option 2),
    ``[sequence, trial]``): the mean probability of repeating it. Returns a
    DataFrame with ``reward`` (rewarded / unrewarded), ``transition`` (common /
    rare), ``observed``, ``predicted`` and ``n`` (trials)."""
    import pandas as pd

    if data.task != "ts" or "state2" not in data.extra:
        raise ValueError(f"stay probabilities need two-step data (task 'ts'), got task {data.task!r}")
    c, s2, r, m = data.choice, data.extra["state2"], data.outcome, data.mask
    prev_c, prev_s2, prev_r = c[:, :-1], s2[:, :-1], r[:, :-1]
    ok = m[:, 1:] & m[:, :-1]
    stay = (c[:, 1:] == prev_c).astype(float)
    if predicted is not None:
        p2 = np.asarray(predicted, float)[:, 1:]
        p_stay = np.where(prev_c == 1, p2, 1 - p2)
    rows = []
    for rew, rname in ((1, "rewarded"), (0, "unrewarded")):
        for common, tname in ((True, "common"), (False, "rare")):
            sel = ok & ((prev_r > 0) == bool(rew)) & ((prev_s2 == prev_c) == common)
            rows.append({"reward": rname, "transition": tname, "n": int(sel.sum()),
                         "observed": float(stay[sel].mean()) if sel.any() else np.nan,
                         "predicted": float(p_stay[sel].mean()) if (predicted is not None and sel.any()) else np.nan})
    return pd.DataFrame(rows)


def ppc_figure(data, predicted, band=None, title: str = ""):
    """Observed share of choices of option 2 per trial (mean over sequences) against the
    model's mean predicted probability (``predicted``: ``[sequence, trial]``); ``band``:
    ``(low, high)`` arrays of the same shape for an interval of the prediction's mean."""
    from ..plot import plt

    mask = data.mask
    obs = np.where(mask, (data.choice == 1).astype(float), np.nan)
    pred = np.where(mask, predicted, np.nan)
    t = np.arange(1, mask.shape[1] + 1)
    if data.task == "ts":
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 3.6), constrained_layout=True,
                                      gridspec_kw={"width_ratios": [2, 1]})
        st = stay_probabilities(data, predicted)
        x = np.arange(2)
        for j, (tname, col) in enumerate((("common", "tab:blue"), ("rare", "tab:red"))):
            sub = st[st.transition == tname]
            ax2.bar(x + (j - 0.5) * 0.38, sub.observed, 0.36, color=col, alpha=0.55, label=f"observed, {tname}")
            ax2.plot(x + (j - 0.5) * 0.38, sub.predicted, "o", color="k", ms=5,
                     label="model" if j == 0 else None)
        ax2.set_xticks(x, ["rewarded", "unrewarded"])
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
