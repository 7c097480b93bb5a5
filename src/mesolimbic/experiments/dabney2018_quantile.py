"""Quantile vs expectile distributional codes (Dabney et al. 2018; 2020): both learn the reward distribution; only the expectile code needs graded errors.

Design: two populations of 40 units with tau spread evenly over 0.05-0.95 see
the same 20,000 rewards from each of the two distributions of
``dabney2020_distributional`` (seven magnitudes 0.1-20; a bimodal one, 0.5-1.5
or 8.5-9.5): quantile-regression units (:class:`mesolimbic.models.QuantileRPE`,
step 0.02 per reward) and expectile units (:class:`~mesolimbic.models.DistributionalRPE`,
mean rate 0.01). Reversal points are each unit's value averaged over the last
2,000 rewards. The teaching signal is each unit's change of value per reward.

Signatures: quantile units converge to the tau-quantiles (Dabney, Rowland,
Bellemare & Munos 2018), expectile units to the tau-expectiles; a quantile
population *is* a sample of the distribution, so its reversal points alone
recover the two modes of the bimodal distribution. Dabney et al. (2020)
distinguished the two codes in dopamine neurons: responses grew with the size
of the error beyond its sign, as the expectile code's update does; the quantile
code moves each unit by the sign only — its expected failure.

References: Dabney, W., Rowland, M., Bellemare, M. G. & Munos, R. (2018).
Distributional reinforcement learning with quantile regression. AAAI
2892-2901. Dabney, W., Kurth-Nelson, Z., Uchida, N., Starkweather, C. K.,
Hassabis, D., Munos, R. & Botvinick, M. (2020). A distributional code for value
in dopamine-based reinforcement learning. Nature 577:671-675.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import wasserstein_distance

from ..models.distributional import DistributionalRPE, QuantileRPE, expectiles, quantiles
from .dabney2020_distributional import DISTRIBUTIONS, GAP, N_REWARDS, TAUS, WINDOW
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "dabney2018_quantile"
CITATION = ("Dabney, Rowland, Bellemare & Munos (2018). Distributional reinforcement learning with quantile "
            "regression. AAAI 2892-2901")
MODELS = {"quantile": (QuantileRPE(TAUS), {"alpha": 0.02}, quantiles, "quantile units (QR-TD)"),
          "expectile": (DistributionalRPE(TAUS), {"alpha": 0.01}, expectiles, "expectile units")}


def _graded(delta: np.ndarray, dv: np.ndarray) -> float:
    """Mean |update| for the largest third of positive errors / for the smallest third."""
    pos = delta > 0
    d, u = delta[pos], np.abs(dv[pos])
    lo, hi = np.quantile(d, [1 / 3, 2 / 3])
    return float(u[d >= hi].mean() / u[d <= lo].mean())


@register(NAME, "Quantile vs expectile distributional RPE: both learn the distribution; only the expectile "
          "update is graded with the error", CITATION, default_agents=1, topic="distributional")
def run(n_agents: int = 1, seed: int = 0) -> ExperimentResult:
    rng = np.random.default_rng(seed)
    rewards = {name: rng.choice(v, size=N_REWARDS, p=p) for name, (v, p) in DISTRIBUTIONS.items()}
    rev, truth, graded, w1 = {}, {}, {}, {}
    checks = []
    for key, (model, params, target, label) in MODELS.items():
        for name, (vals, probs) in DISTRIBUTIONS.items():
            out = model.run(params, rewards[name])
            rev[key, name] = out["value"][-WINDOW:].mean(0)
            truth[key, name] = target(vals, probs, TAUS)
            span = float(np.ptp(vals))
            err = float(np.median(np.abs(rev[key, name] - truth[key, name])) / span)
            checks.append(Check(f"converges_to_{key}s_{name.replace(' ', '_')}",
                                f"median over units of |reversal point - tau-{key}| / reward range", err, "<", 0.03,
                                model=label, kind="property"))
            if name == "variable magnitude":
                mid = int(np.argmin(np.abs(TAUS - 0.5)))
                v = out["value"][:, mid]
                graded[key] = _graded(out["rpe"][:-1, mid], np.diff(v))
        vals, probs = DISTRIBUTIONS["bimodal"]
        w1[key] = wasserstein_distance(rev[key, "bimodal"], vals, v_weights=probs)
    vals, probs = DISTRIBUTIONS["bimodal"]
    single = wasserstein_distance([float(np.mean(rewards["bimodal"]))], vals, v_weights=probs)
    in_gap = float(np.mean((rev["quantile", "bimodal"] > GAP[0]) & (rev["quantile", "bimodal"] < GAP[1])))
    checks += [
        Check("reversal_points_are_the_distribution", "Wasserstein distance of the quantile units' reversal points "
              "(taken as samples) to the bimodal distribution / that of one channel at the mean",
              float(w1["quantile"] / single), "<", 0.3, model=MODELS["quantile"][3], kind="direction"),
        Check("reversal_points_avoid_the_gap", f"share of quantile units' reversal points in the empty gap {GAP}",
              in_gap, "<", 0.1, model=MODELS["quantile"][3], kind="property"),
        Check("update_graded_with_error", "tau = 0.5 unit, variable magnitudes: mean |update| after the largest "
              "third of positive errors / after the smallest third (Dabney et al. 2020: dopamine responses scale "
              "with the error)", graded["expectile"], ">", 1.5, model=MODELS["expectile"][3], kind="direction"),
        Check("update_graded_with_error", "the same ratio for the quantile unit — expected failure: a quantile unit "
              "moves by the sign of its error only (ratio 1), which is how Dabney et al. (2020) told the codes apart",
              graded["quantile"], ">", 1.5, model=MODELS["quantile"][3], kind="direction", expected_failure=True),
    ]
    names = list(DISTRIBUTIONS)
    ds = xr.Dataset({
        "reversal_point": (("model", "distribution", "tau"), [[rev[k, n] for n in names] for k in MODELS]),
        "target": (("model", "distribution", "tau"), [[truth[k, n] for n in names] for k in MODELS],
                   {"long_name": "tau-quantile (quantile units) or tau-expectile (expectile units)"}),
        "update_gradation": ("model", [graded[k] for k in MODELS]),
    }, coords={"model": list(MODELS), "distribution": names, "tau": TAUS},
        attrs={"n_rewards": N_REWARDS, "window": WINDOW})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params={"n_units": len(TAUS),
                                                                          "quantile_alpha": 0.02,
                                                                          "expectile_alpha": 0.01})


def figure(ds: xr.Dataset):
    from ..plot import plt

    blue, verm, grey = "#0072B2", "#D55E00", "0.45"
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.0), constrained_layout=True)
    for ax, name in zip(axes[:2], ds.distribution.values):
        for k, col in zip(ds.model.values, (blue, verm)):
            ax.plot(ds.tau, ds.reversal_point.sel(model=k, distribution=name), "o", ms=3, color=col,
                    label=f"{k} units")
            ax.plot(ds.tau, ds.target.sel(model=k, distribution=name), "-", color=col, lw=1, label=f"true {k}s")
        ax.set_xlabel("unit asymmetry tau")
        ax.set_ylabel("reversal point")
        ax.set_title(f"{name} distribution")
        ax.legend(frameon=False, fontsize=7)
    c = axes[2]
    c.bar([0, 1], ds.update_gradation, color=[blue, verm])
    c.axhline(1, color=grey, lw=0.6)
    c.set_xticks([0, 1], [f"{k} unit (tau 0.5)" for k in ds.model.values])
    c.set_xlabel("population")
    c.set_ylabel("|update|, large / small positive errors")
    c.set_title("Graded teaching signal? (dopamine: yes)")
    fig.suptitle("Quantile (Dabney et al. 2018) vs expectile (Dabney et al. 2020) distributional RPE")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "distribution": ("reward distribution", None),
    "tau": ("quantile or expectile level tau of the unit", "1"),
    "reversal_point": ("reversal point of the unit: the reward at which its prediction error changes sign", "1", RN),
    "target": ("tau-quantile (quantile units) or tau-expectile (expectile units)", "1", RN),
    "update_gradation": ("update after the largest third of positive errors / after the smallest third", "1"),
}
