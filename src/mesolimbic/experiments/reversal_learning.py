"""Probabilistic reversal learning: accuracy collapses after each reversal and recovers, faster with a higher learning rate.

Design: two arms rewarded with probability 0.8 / 0.2, reversed every 40 trials,
200 trials (four reversals inside the session). Learner: delta rule with
softmax choice (beta = 5), learning rates alpha = 0.1, 0.3, 0.6 — one
parameter sweep, 200 simulated subjects each.

Signatures (e.g. Cools, Clark, Owen & Robbins 2002; the standard account in
computational psychiatry): after a reversal accuracy falls far below chance
(the learned values now point to the wrong arm) and recovers as the values
re-learn; recovery is faster with a higher learning rate. Measured on the
accuracy curve aligned to the reversals and averaged over them.

References: Cools, R., Clark, L., Owen, A. M. & Robbins, T. W. (2002). Defining
the neural mechanisms of probabilistic reversal learning using event-related
functional magnetic resonance imaging. J Neurosci 22:4563-4567. Rescorla &
Wagner (1972); Sutton & Barto (2018), ch. 2.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import spearmanr

from ..instrumental import simulate_choices
from ..models import DeltaRule
from ..tasks.bandit import reversal_learning as task
from .registry import Check, ExperimentResult, register

NAME = "reversal_learning"
CITATION = ("Cools, Clark, Owen & Robbins (2002). Defining the neural mechanisms of probabilistic reversal "
            "learning using event-related fMRI. J Neurosci 22:4563-4567")
ALPHAS = (0.1, 0.3, 0.6)
BETA = 5.0
EVERY = 40
LAG = np.arange(-10, 30)


@register(NAME, "Reversal learning: accuracy dips after each reversal and recovers faster with higher α",
          CITATION, default_agents=200, topic="instrumental")
def run(n_agents: int = 200, seed: int = 0) -> ExperimentResult:
    sims = {}
    sim = simulate_choices(task(n_trials=200, reversal_every=EVERY), DeltaRule(),
                           {"alpha": np.array(ALPHAS), "beta": BETA}, n_agents=n_agents, seed=seed)
    sims["delta rule"] = sim
    acc = sim.correct.astype(float).mean("agent").values  # [alpha, trial]
    starts = [EVERY * k for k in range(1, 200 // EVERY) if EVERY * k + LAG[-1] < 200]  # 0-based first reversed trial
    aligned = np.stack([acc[:, s + LAG] for s in starts]).mean(0)  # [alpha, lag]
    before = aligned[:, (LAG >= -5) & (LAG < 0)].mean(1)
    after = aligned[:, (LAG >= 0) & (LAG < 3)].mean(1)
    early = aligned[:, (LAG >= 0) & (LAG < 10)].mean(1)

    def to_criterion(curve):
        post = curve[LAG >= 0]
        hit = np.flatnonzero(post >= 0.7)
        return float(hit[0]) if hit.size else float(post.size)

    ttc = np.array([to_criterion(aligned[i]) for i in range(len(ALPHAS))])
    model = "delta rule + softmax"
    checks = [
        Check("dip_after_reversal", "smallest over alphas of (accuracy 5 trials before - first 3 after a reversal)",
              float((before - after).min()), ">", 0.5, model=model, kind="direction"),
        Check("recovers", "smallest over alphas of the accuracy 20-29 trials after a reversal",
              float(aligned[:, LAG >= 20].mean(1).min()), ">", 0.65, model=model, kind="direction"),
        Check("faster_with_higher_alpha", "Spearman correlation of alpha with trials to 70% correct",
              float(spearmanr(ALPHAS, ttc).statistic), "<", -0.99, model=model, kind="property"),
        Check("early_accuracy_rises_with_alpha", "Spearman correlation of alpha with accuracy in trials 0-9",
              float(spearmanr(ALPHAS, early).statistic), ">", 0.99, model=model, kind="property"),
    ]
    correct = sim.correct.transpose("param_set", "agent", "trial").values
    aligned_agents = np.stack([correct[:, :, s + LAG] for s in starts]).astype(float).mean(0)  # [alpha, agent, lag]
    ds = xr.Dataset({
        "accuracy": (("alpha", "trial"), acc),
        "correct": (("alpha", "agent", "trial"), correct.astype(np.int8),
                    {"long_name": "the better arm was chosen (1) or not (0), each agent"}),
        "accuracy_aligned_by_agent": (("alpha", "agent", "lag"), aligned_agents,
                                      {"long_name": "each agent's accuracy aligned to reversals"}),
        "accuracy_aligned": (("alpha", "lag"), aligned, {"long_name": "accuracy aligned to reversals"}),
        "trials_to_criterion": ("alpha", ttc, {"long_name": "trials after a reversal to 70% correct"}),
    }, coords={"alpha": list(ALPHAS), "trial": sim.trial.values, "lag": LAG, "agent": np.arange(correct.shape[1])},
        attrs={"beta": BETA, "reversal_every": EVERY})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params={"alpha": ALPHAS, "beta": BETA,
                                                                          "p": "0.8 / 0.2", "reversal_every": EVERY}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.2), constrained_layout=True, gridspec_kw={"width_ratios": [2, 1]})
    colours = plot.ordered(ds.sizes["alpha"])
    for al, colour in zip(ds.alpha.values, colours):
        plot.band(a, ds.trial, ds.correct.sel(alpha=al).astype(float), "agent", color=colour, lw=1, label=f"α = {al:g}")
        plot.band(b, ds.lag, ds.accuracy_aligned_by_agent.sel(alpha=al), "agent", color=colour, label=f"α = {al:g}")
    for t in range(ds.attrs["reversal_every"], int(ds.trial.max()), ds.attrs["reversal_every"]):
        a.axvline(t + 0.5, color=plot.GREY, ls="--", lw=0.8)
    b.axvline(-0.5, color=plot.GREY, ls="--", lw=0.8)
    for ax in (a, b):
        ax.axhline(0.5, color="0.7", lw=0.6)
        ax.set_ylim(0, 1)
        ax.set_ylabel("P(choose the better arm)")
    a.set_xlabel("trial")
    a.set_title("Session (reversals dashed)")
    b.set_xlabel("trials from reversal")
    b.set_title("Aligned to reversals")
    fig.suptitle(f"Probabilistic reversal learning (0.8 / 0.2) — delta rule + softmax, β = {ds.attrs['beta']:g}")
    plot.legend_below(fig)
    plot.note(fig, f"Mean over {ds.sizes['agent']} agents per α; bands: 95 % confidence interval of the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "alpha": ("learning rate alpha of the simulated agents", "1"),
    "lag": ("trials since the reversal (negative: before it)", "1"),
    "accuracy": ("P(choose the better arm) on the trial, mean over agents", "1"),
    "correct": ("the better arm was chosen (1) or not (0), each agent", "1"),
    "accuracy_aligned": ("accuracy aligned to reversals", "1"),
    "accuracy_aligned_by_agent": ("each agent's accuracy aligned to reversals", "1"),
    "trials_to_criterion": ("trials after a reversal to 70% correct", "1"),
}
