"""Bradley–Terry reward models: a reward learned from pairwise preferences recovers the true reward, up to a constant.

Design: 50 items (responses) with true rewards drawn from N(0, 1); comparisons
between random pairs are sampled from the Bradley–Terry model
P(i preferred to j) = sigmoid(r_i - r_j), for 250, 1,000 and 5,000 comparisons;
a tabular reward (one value per item, small ridge penalty 1e-3) is fitted by
maximum likelihood (:func:`mesolimbic.rlhf.fit_bradley_terry`), as a reward
model is trained in RLHF (Christiano et al. 2017).

Signatures: with enough comparisons the fitted reward correlates with the truth
(Pearson > 0.95 at 5,000); recovery improves with more comparisons; adding a
constant to every reward leaves the likelihood unchanged (only differences are
identified — the reason reward models are centred or normalised).

References: Bradley, R. A. & Terry, M. E. (1952). Biometrika 39:324-345.
Christiano, P. et al. (2017). Deep reinforcement learning from human
preferences. NeurIPS 30.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..rlhf import bradley_terry_loglik, fit_bradley_terry, sample_preferences
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "bradley_terry_recovery"
CITATION = "Christiano et al. (2017). Deep reinforcement learning from human preferences. NeurIPS 30"
N_ITEMS = 50
SIZES = (250, 1000, 5000)


@register(NAME, "Bradley–Terry reward model: fitted reward recovers the truth up to a constant", CITATION,
          default_agents=1, topic="RLHF")
def run(n_agents: int = 1, seed: int = 0) -> ExperimentResult:
    rng = np.random.default_rng(seed)
    true = rng.normal(size=N_ITEMS)
    fitted, r = [], []
    for n in SIZES:
        c, rej = sample_preferences(true, n, seed=seed + n)
        f = fit_bradley_terry(c, rej)
        fitted.append(f["reward"])
        r.append(float(np.corrcoef(f["reward"], true)[0, 1]))
    c, rej = sample_preferences(true, SIZES[-1], seed=seed)
    shift = float(np.abs(np.asarray(bradley_terry_loglik(true[c], true[rej]) -
                                    bradley_terry_loglik(true[c] + 3.7, true[rej] + 3.7))).max())
    m = "Bradley–Terry MLE (tabular)"
    checks = [
        Check("recovers_true_reward", f"Pearson r, fitted vs true reward, {SIZES[-1]} comparisons", r[-1], ">", 0.95,
              model=m, kind="property"),
        Check("more_comparisons_better", f"r at {SIZES[-1]} minus r at {SIZES[0]} comparisons", r[-1] - r[0], ">",
              0.0, model=m, kind="property"),
        Check("shift_invariant", "max |change in log-likelihood| when every reward is shifted by 3.7", shift, "<",
              1e-5, model=m, kind="property"),
    ]
    ds = xr.Dataset({"true_reward": ("item", true), "fitted_reward": (("n_comparisons", "item"), np.stack(fitted)),
                     "pearson_r": ("n_comparisons", r)},
                    coords={"item": np.arange(N_ITEMS), "n_comparisons": list(SIZES)},
                    attrs={})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params={"n_items": N_ITEMS, "l2": 1e-3})


def figure(ds):
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(1, ds.sizes["n_comparisons"], figsize=(11, 3.9), constrained_layout=True, sharey=True)
    for ax, n in zip(axes, ds.n_comparisons.values):
        t = ds.true_reward - ds.true_reward.mean()
        ax.plot(t, ds.fitted_reward.sel(n_comparisons=n), "o", ms=4, color=plot.BLUE, label="item")
        lim = float(np.abs(t).max()) * 1.1
        ax.plot([-lim, lim], [-lim, lim], color=plot.GREY, ls="--", lw=0.8, label="identity")
        ax.set_xlabel("true reward (centred)")
        ax.set_title(f"{n} comparisons: r = {float(ds.pearson_r.sel(n_comparisons=n)):.3f}")
    axes[0].set_ylabel("fitted reward (centred)")
    axes[0].legend(loc="upper left")
    fig.suptitle("Reward model from pairwise preferences (Bradley–Terry)")
    plot.note(fig, f"{ds.sizes['item']} items, one fit per number of comparisons.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "item": ("item compared (index)", "1"),
    "n_comparisons": ("number of pairwise comparisons fitted", "1"),
    "true_reward": ("true reward of the item that generated the comparisons", "1", RN),
    "fitted_reward": ("Bradley-Terry reward fitted to the comparisons", "1", RN),
    "pearson_r": ("Pearson correlation of fitted and true rewards", "1"),
}
