"""Daw et al. (2011): the two-step task separates model-based from model-free choice.

Design: the two-step task (common transitions 0.7, second-stage reward
probabilities drifting in [0.25, 0.75], sd 0.025), 200 trials. Learner: the
hybrid model (alpha1 = alpha2 = 0.5, lambda = 0.6, beta1 = beta2 = 5, no
perseveration) with model-based weight w = 0 (pure model-free), 0.5 and 1 (pure
model-based) — one sweep, 1000 simulated subjects each.

Signature (paper, Fig. 2): the probability of repeating the first-stage choice.
A model-free learner repeats rewarded choices whatever the transition (main
effect of reward); a model-based learner repeats a rewarded choice after a
common transition but switches after a rare one (reward x transition
interaction). Humans show both. Measured as the usual contrasts of the four
stay probabilities.

Reference: Daw, N. D., Gershman, S. J., Seymour, B., Dayan, P. & Dolan, R. J.
(2011). Model-based influences on humans' choices and striatal prediction
errors. Neuron 69:1204-1215.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..models import HybridTwoStep
from ..simulate import simulate
from ..tasks.two_step import STAY_CONDITIONS as CONDITIONS
from ..tasks.two_step import stays_by_agent
from ..tasks.two_step import TwoStep, stays_of
from .registry import Check, ExperimentResult, register

NAME = "daw2011_two_step"
CITATION = ("Daw, Gershman, Seymour, Dayan & Dolan (2011). Model-based influences on humans' choices and striatal "
            "prediction errors. Neuron 69:1204-1215")
WEIGHTS = (0.0, 0.5, 1.0)
PARAMS = {"alpha1": 0.5, "alpha2": 0.5, "lam": 0.6, "beta1": 5.0, "beta2": 5.0, "kappa": 0.0}


@register(NAME, "Two-step task: model-free reward effect vs model-based reward x transition interaction",
          CITATION, default_agents=1000, topic="instrumental")
def run(n_agents: int = 1000, seed: int = 0) -> ExperimentResult:
    sims = {}
    sim = simulate(TwoStep(), HybridTwoStep(), dict(PARAMS, w=np.array(WEIGHTS)), n_agents=n_agents, seed=seed)
    sims["hybrid"] = sim
    stay = stays_of(sim)
    reward_effect = (stay[:, 0] + stay[:, 1]) / 2 - (stay[:, 2] + stay[:, 3]) / 2
    interaction = (stay[:, 0] - stay[:, 1]) - (stay[:, 2] - stay[:, 3])
    checks = [
        Check("model_free.reward_effect", "stay after reward minus after no reward (w = 0)", float(reward_effect[0]),
              ">", 0.1, model="hybrid, w = 0 (model-free)", kind="property"),
        Check("model_free.no_interaction", "|reward x transition interaction| (w = 0)", abs(float(interaction[0])),
              "<", 0.05, model="hybrid, w = 0 (model-free)", kind="property"),
        Check("model_based.interaction", "reward x transition interaction (w = 1)", float(interaction[2]), ">", 0.2,
              model="hybrid, w = 1 (model-based)", kind="property"),
        Check("model_based.rare_reward_switch", "stay after rewarded rare minus after unrewarded rare (w = 1)",
              float(stay[2, 1] - stay[2, 3]), "<", 0.0, model="hybrid, w = 1 (model-based)", kind="property"),
        Check("hybrid.both", "reward effect and interaction both positive (w = 0.5): the smaller of the two",
              float(min(reward_effect[1], interaction[1])), ">", 0.05, model="hybrid, w = 0.5", kind="direction"),
    ]
    ds = xr.Dataset({"stay": (("w", "condition"), stay), "reward_effect": ("w", reward_effect),
                     "interaction": ("w", interaction),
                     "stay_by_agent": (("w", "agent", "condition"), stays_by_agent(sim),
                                       {"long_name": "P(repeat the first-stage choice), each agent's own"})},
                    coords={"w": list(WEIGHTS), "condition": list(CONDITIONS), "agent": np.arange(n_agents)},
                    attrs={"n_agents": n_agents,
                           **{f"param_{k}": v for k, v in PARAMS.items()}})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, w=WEIGHTS), sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt, stay_bars

    fig, axes = plt.subplots(1, ds.sizes["w"], figsize=(11, 4.0), constrained_layout=True, sharey=True)
    for ax, w in zip(axes, ds.w.values):
        _, lo, hi = plot._centred(*plot.mean_ci(ds.stay_by_agent.sel(w=w), "agent")[:3], ds.stay.sel(w=w).values)
        stay_bars(ax, ds.stay.sel(w=w).values, err=(lo, hi))
        ax.set_ylim(0.3, 0.9)
        ax.set_title({0.0: "w = 0: model-free", 0.5: "w = 0.5: hybrid", 1.0: "w = 1: model-based"}.get(float(w),
                     f"w = {w:g}"))
    axes[0].set_ylabel("P(repeat first-stage choice)")
    fig.suptitle("Daw et al. (2011) two-step task: stay probabilities — hybrid MB/MF learner")
    plot.legend_below(fig, title="previous transition")
    plot.note(fig, f"{ds.sizes['agent']} agents per w, stays pooled over their trials; error bars: 95 % confidence "
                   "interval from the spread between agents. The y axis starts at 0.3.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "w": ("model-based weight w of the simulated agents", "1"),
    "stay": ("P(repeat the first-stage choice) after each transition x reward condition", "1"),
    "stay_by_agent": ("P(repeat the first-stage choice), each agent's own", "1"),
    "reward_effect": ("main effect of reward on P(stay) (model-free signature)", "1"),
    "interaction": ("reward x transition interaction on P(stay) (model-based signature)", "1"),
}
