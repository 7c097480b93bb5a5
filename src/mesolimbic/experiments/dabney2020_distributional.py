"""A distributional code for value (Dabney et al. 2020): dopamine units with diverse asymmetries learn diverse expectiles, and the population encodes the whole reward distribution.

Design: a population of 40 units with asymmetries tau = alpha+ / (alpha+ +
alpha-) spread evenly over 0.05-0.95 (mean learning rate 0.01) sees 20,000
rewards from each of two distributions: the seven magnitudes of Dabney et al.'s
variable-magnitude task (0.1, 0.3, 1.2, 2.5, 5, 10, 20; equal probabilities
here) and a bimodal distribution (0.5, 1, 1.5 or 8.5, 9, 9.5, equal
probabilities). Reversal points are read as each unit's value averaged over the
last 2,000 rewards. The distribution is decoded from the reversal points by
finding 100 samples whose expectiles match them. A single classic RPE channel
(tau = 0.5) is the comparison.

Signatures: each unit's reversal point converges to the tau-expectile of the
reward distribution; reversal points are diverse and increase with the unit's
asymmetry (Dabney et al. 2020, Fig. 3); decoding the population recovers the
shape of the distribution — here the two modes and the empty gap between them —
which a single channel, whose reversal point is the mean (inside the gap),
cannot.

Reference: Dabney, W., Kurth-Nelson, Z., Uchida, N., Starkweather, C. K.,
Hassabis, D., Munos, R. & Botvinick, M. (2020). A distributional code for value
in dopamine-based reinforcement learning. Nature 577:671-675.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import spearmanr, wasserstein_distance

from ..models.distributional import DistributionalRPE, decode_expectiles, expectiles
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "dabney2020_distributional"
CITATION = ("Dabney et al. (2020). A distributional code for value in dopamine-based reinforcement learning. "
            "Nature 577:671-675")
TAUS = np.linspace(0.05, 0.95, 40)
ALPHA = 0.01
N_REWARDS, WINDOW = 20_000, 2_000
DISTRIBUTIONS = {
    "variable magnitude": (np.array([0.1, 0.3, 1.2, 2.5, 5.0, 10.0, 20.0]), np.full(7, 1 / 7)),
    "bimodal": (np.array([0.5, 1.0, 1.5, 8.5, 9.0, 9.5]), np.full(6, 1 / 6)),
}
GAP = (3.0, 7.0)


@register(NAME, "Distributional RPE: diverse asymmetries learn expectiles; the population decodes the distribution",
          CITATION, default_agents=1, topic="distributional")
def run(n_agents: int = 1, seed: int = 0) -> ExperimentResult:
    model = DistributionalRPE(TAUS)
    rng = np.random.default_rng(seed)
    res = {}
    for name, (vals, probs) in DISTRIBUTIONS.items():
        rewards = rng.choice(vals, size=N_REWARDS, p=probs)
        learnt = model.run({"alpha": ALPHA}, rewards)
        rev = learnt["value"][-WINDOW:].mean(0)
        truth = expectiles(vals, probs, TAUS)
        decoded = decode_expectiles(TAUS, rev, seed=seed)
        res[name] = {"reversal": rev, "expectile": truth, "decoded": decoded,
                     "w1": wasserstein_distance(decoded, vals, v_weights=probs),
                     "w1_single": wasserstein_distance([float(np.mean(rewards))], vals, v_weights=probs),
                     "span": float(np.ptp(vals))}
    checks = []
    for name, r in res.items():
        checks.append(Check(f"converges_to_expectiles_{name.replace(' ', '_')}", "max |reversal point - tau-expectile| / reward range",
                            float(np.abs(r["reversal"] - r["expectile"]).max() / r["span"]), "<", 0.03,
                            model="distributional RPE", kind="property"))
    vm = res["variable magnitude"]
    bi = res["bimodal"]
    in_gap = float(np.mean((bi["decoded"] > GAP[0]) & (bi["decoded"] < GAP[1])))
    checks += [
        Check("reversal_points_diverse", "spread of reversal points / reward range (variable magnitude)",
              float(np.ptp(vm["reversal"]) / vm["span"]), ">", 0.5, model="distributional RPE", kind="property"),
        Check("reversal_point_tracks_asymmetry", "Spearman correlation of tau with reversal point",
              float(spearmanr(TAUS, vm["reversal"]).statistic), ">", 0.95, model="distributional RPE", kind="property"),
        Check("decoded_distribution_is_bimodal", f"share of decoded samples in the empty gap {GAP}", in_gap, "<", 0.1,
              model="distributional RPE", kind="direction"),
        Check("population_beats_single_channel", "Wasserstein distance to the truth: decoded population / one "
              "channel (the mean), bimodal", bi["w1"] / bi["w1_single"], "<", 0.3, model="distributional RPE", kind="direction"),
    ]
    names = list(res)
    out = xr.Dataset({
        "reversal_point": (("distribution", "unit"), np.stack([res[n]["reversal"] for n in names])),
        "expectile": (("distribution", "unit"), np.stack([res[n]["expectile"] for n in names])),
        "decoded": (("distribution", "sample"), np.stack([res[n]["decoded"] for n in names])),
        "w1_decoded": ("distribution", [res[n]["w1"] for n in names]),
        "w1_single_channel": ("distribution", [res[n]["w1_single"] for n in names]),
    }, coords={"distribution": names, "unit": np.arange(TAUS.size), "tau": ("unit", TAUS),
               "sample": np.arange(100)}, attrs={"alpha": ALPHA,
                                                "n_rewards": N_REWARDS})
    return ExperimentResult(NAME, out, checks, lambda: figure(out), params={"alpha": ALPHA, "n_units": TAUS.size})


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), constrained_layout=True)
    for name, color in zip(ds.distribution.values, (plot.BLUE, plot.PURPLE)):
        axes[0].plot(ds.tau, ds.reversal_point.sel(distribution=name), "o", ms=3.5, color=color,
                     label=f"{name}: units")
        axes[0].plot(ds.tau, ds.expectile.sel(distribution=name), "-", color=color, lw=1,
                     label=f"{name}: τ-expectile")
    axes[0].set_xlabel("asymmetry τ = α⁺/(α⁺+α⁻)")
    axes[0].set_ylabel("reversal point (reward units)")
    axes[0].set_title("Each unit learns its expectile")
    axes[0].legend(loc="upper left")
    for ax, name in zip(axes[1:], ds.distribution.values):
        vals, probs = DISTRIBUTIONS[str(name)]
        ax.hist(ds.decoded.sel(distribution=name), bins=40, density=True, color="0.65",
                label="decoded from the units")
        ymax = ax.get_ylim()[1]
        ax.vlines(vals, 0, ymax * probs / probs.max(), color=plot.VERMILLION, lw=2,
                  label="true rewards (height ∝ probability)")
        ax.axvline(float(np.sum(vals * probs)), color=plot.BLACK, ls="--", lw=1, label="single channel (the mean)")
        ax.set_title(f"Decoding: {name}")
        ax.set_xlabel("reward (reward units)")
        ax.set_ylabel("probability density of decoded samples")
    fig.suptitle("Distributional dopamine (Dabney et al. 2020) — a population of 40 asymmetric RPE units")
    plot.legend_below(fig, axes[1])
    plot.note(fig, f"One population; reversal points: each unit's mean value over the last rewards of "
                   f"{ds.attrs['n_rewards']}; decoded: {ds.sizes['sample']} samples.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "distribution": ("reward distribution", None),
    "unit": ("model dopamine unit (index)", "1"),
    "tau": ("asymmetry of the unit, alpha+ / (alpha+ + alpha-)", "1"),
    "sample": ("sample of the decoded distribution (index)", "1"),
    "reversal_point": ("reversal point of the unit: the reward at which its RPE changes sign", "1", RN),
    "expectile": ("true tau-expectile of the reward distribution", "1", RN),
    "decoded": ("sample of the reward distribution decoded from the reversal points", "1", RN),
    "w1_decoded": ("Wasserstein-1 distance, decoded vs true reward distribution", "1", RN),
    "w1_single_channel": ("Wasserstein-1 distance, a single-value (mean) code vs true reward distribution", "1", RN),
}
