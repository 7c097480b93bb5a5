"""Guitart-Masip et al. (2012): a Pavlovian bias couples action to valence in the go/no-go task.

Design: the orthogonalised go/no-go task (go-to-win, no-go-to-win,
go-to-avoid-losing, no-go-to-avoid-losing; the correct action is followed by
the favourable outcome on 80% of trials), 60 trials per cue, shuffled.
Learner: Q-learning with a go bias and a Pavlovian bias ``pi`` that adds the
cue's learned value to the "go" weight (hBayesDM gng_m4; ep = 0.1, b = 0,
rho_rew = rho_pun = 3, xi = 0.05), with pi = 0, 0.5 and 1.5 — one sweep, 500
simulated subjects each.

Signature (paper, Fig. 2): learning is better when action and valence agree
(go to win, no-go to avoid losing) than when they conflict (no-go to win, go to
avoid losing). Measured as the interaction (go-to-win - no-go-to-win) -
(go-to-avoid - no-go-to-avoid) in accuracy: zero without a Pavlovian bias,
growing with pi.

Reference: Guitart-Masip, M., Huys, Q. J. M., Fuentemilla, L., Dayan, P.,
Duzel, E. & Dolan, R. J. (2012). Go and no-go learning in reward and
punishment: interactions between affect and effect. NeuroImage 62:154-166.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..instrumental import simulate_choices
from ..models import PavlovianBiasGoNoGo
from ..tasks.gonogo import CUES, GoNoGo
from .registry import Check, ExperimentResult, register

NAME = "guitart_masip2012_gonogo"
CITATION = ("Guitart-Masip, Huys, Fuentemilla, Dayan, Duzel & Dolan (2012). Go and no-go learning in reward and "
            "punishment: interactions between affect and effect. NeuroImage 62:154-166")
PIS = (0.0, 0.5, 1.5)
PARAMS = {"alpha": 0.1, "go_bias": 0.0, "sensitivity_rew": 3.0, "sensitivity_pun": 3.0, "epsilon": 0.05}


@register(NAME, "Go/no-go: a Pavlovian bias helps congruent and hurts conflicting action-valence pairs",
          CITATION, default_agents=500, topic="instrumental")
def run(n_agents: int = 500, seed: int = 0) -> ExperimentResult:
    sims = {}
    sim = simulate_choices(GoNoGo(), PavlovianBiasGoNoGo(), dict(PARAMS, pi=np.array(PIS)), n_agents=n_agents,
                           seed=seed)
    sims["gng"] = sim
    acc = np.array([[float(sim.correct.where(sim.cue == c).isel(param_set=i).mean()) for c in range(4)]
                    for i in range(len(PIS))])
    inter = (acc[:, 0] - acc[:, 1]) - (acc[:, 2] - acc[:, 3])
    model = "Q-learning + Pavlovian bias"
    checks = [
        Check("no_bias_no_interaction", "|action x valence interaction in accuracy| with pi = 0", abs(float(inter[0])),
              "<", 0.05, model=model, kind="property"),
        Check("bias_interaction", "action x valence interaction with pi = 1.5", float(inter[2]), ">", 0.3,
              model=model, kind="direction"),
        Check("interaction_grows_with_pi", "interaction at pi = 0.5 minus at pi = 0", float(inter[1] - inter[0]), ">",
              0.05, model=model, kind="property"),
        Check("conflict_hurts", "accuracy on no-go-to-win (conflict) minus go-to-win (congruent), pi = 1.5",
              float(acc[2, 1] - acc[2, 0]), "<", -0.2, model=model, kind="direction"),
    ]
    by_agent = np.stack([[sim.correct.where(sim.cue == c).isel(param_set=i).mean("trial").values for c in range(4)]
                         for i in range(len(PIS))])
    ds = xr.Dataset({"accuracy": (("pi", "cue"), acc), "interaction": ("pi", inter),
                     "accuracy_by_agent": (("pi", "cue", "agent"), by_agent,
                                           {"long_name": "P(correct), each agent's own"})},
                    coords={"pi": list(PIS), "cue": list(CUES), "agent": np.arange(by_agent.shape[-1])},
                    attrs={"n_agents": n_agents,
                           **{f"param_{k}": v for k, v in PARAMS.items()}})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, pi=PIS), sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(1, ds.sizes["pi"], figsize=(11, 4.0), constrained_layout=True, sharey=True)
    colours = [plot.GREEN, plot.SKY, plot.VERMILLION, plot.ORANGE]
    for ax, pi in zip(axes, ds.pi.values):
        for k in range(4):
            plot.bars(ax, [k], ds.accuracy_by_agent.sel(pi=pi).isel(cue=k).expand_dims("bar"), "agent",
                      color=colours[k], center=[float(ds.accuracy.sel(pi=pi).isel(cue=k))])
        ax.set_xticks(range(4), ["go\nto win", "no-go\nto win", "go\nto avoid", "no-go\nto avoid"])
        ax.set_xlabel("condition")
        ax.axhline(0.5, color=plot.GREY, lw=0.6)
        ax.set_ylim(0, 1)
        ax.set_title(f"π = {pi:g}: interaction {float(ds.interaction.sel(pi=pi)):.2f}")
    axes[0].set_ylabel("P(correct)")
    fig.suptitle("Guitart-Masip et al. (2012) orthogonalised go/no-go — Q-learning + Pavlovian bias π")
    plot.note(fig, f"{ds.sizes['agent']} agents per π, pooled over trials; error bars: 95 % confidence interval from "
                   "the spread between agents.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "pi": ("Pavlovian bias weight pi of the simulated agents", "1"),
    "cue": ("cue: go or no-go to win or to avoid losing", None),
    "accuracy": ("P(correct response) to the cue, mean over agents", "1"),
    "accuracy_by_agent": ("P(correct), each agent's own", "1"),
    "interaction": ("action x valence interaction of P(correct)", "1"),
}
