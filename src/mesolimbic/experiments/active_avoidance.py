"""Signalled active avoidance: two-factor learning in an actor-critic — avoidance rises as shocks become rare, fear first grows then fades while avoidance persists.

Design: 150 trials; a warning signal lasts 3 time steps and the shock (-1)
arrives at its end unless the agent makes the avoidance response (one of 8
possible behaviours, response cost 0.05), which turns the warning off. Learners:
actor-critic with discounting (alpha_critic = alpha_actor = 0.2, beta 3,
gamma 0.95) — Maia's (2010) reading of two-factor theory: the critic learns the
fear of the warning (negative value), the actor is reinforced by the positive
TD error of escaping from the feared state to safety — and tabular SARSA (alpha
0.2, beta 5, gamma 0.95) for comparison. 200 simulated subjects each.

Signatures: avoidance responding rises as shocks become rare (Solomon & Wynne
1953); fear of the warning signal peaks early and then declines while avoidance
stays high (Kamin, Brimer & Black 1963; Mineka 1979) — fear is needed to learn
avoidance but not to keep it; the avoidance response itself is followed by a
positive prediction error (dopamine release at successful avoidance: Oleson,
Gentry, Chioma & Cheer 2012).

References: Mowrer (1947); Solomon, R. L. & Wynne, L. C. (1953). Psychol Monogr
67(4). Kamin, L. J., Brimer, C. J. & Black, A. H. (1963). Conditioned
suppression as a monitor of fear of the CS in the course of avoidance training.
J Comp Physiol Psychol 56:497-501. Maia, T. V. (2010). Two-factor theory, the
actor-critic model, and conditioned avoidance. Learning & Behavior 38:50-67.
Oleson, E. B., Gentry, R. N., Chioma, V. C. & Cheer, J. F. (2012). Subsecond
dopamine release in the nucleus accumbens predicts conditioned punishment and
its successful avoidance. J Neurosci 32:14804-14808.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from ..instrumental import simulate_choices
from ..models import SARSA, ActorCritic
from ..tasks.aversive import ActiveAvoidance
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "active_avoidance"
CITATION = "Maia (2010). Two-factor theory, the actor-critic model, and conditioned avoidance. Learn Behav 38:50-67"
TASK = ActiveAvoidance(n_episodes=150, warning_steps=3, n_actions=8, response_cost=0.05)
AC_PARAMS = {"alpha_critic": 0.2, "alpha_actor": 0.2, "beta": 3.0, "gamma": 0.95}
SARSA_PARAMS = {"alpha": 0.2, "beta": 5.0, "gamma": 0.95}
AC, SA = "actor-critic (two-factor)", "SARSA"


def _per_episode(ds: xr.Dataset, var: str) -> np.ndarray:
    v = ds[var].values
    return v.reshape(v.shape[0], TASK.n_episodes, TASK.warning_steps, *v.shape[2:])


@register(NAME, "Active avoidance: avoidance rises as shocks become rare; fear peaks then fades (two-factor theory)",
          CITATION, default_agents=200, topic="aversive")
def run(n_agents: int = 200, seed: int = 0) -> ExperimentResult:
    sims = {}
    ac = single(simulate_choices(TASK, ActorCritic(discounted=True), AC_PARAMS, n_agents=n_agents, seed=seed))
    sims["actor-critic"] = ac
    sa = single(simulate_choices(TASK, SARSA(), SARSA_PARAMS, n_agents=n_agents, seed=seed))
    sims["SARSA"] = sa
    curves = {}
    for label, ds in ((AC, ac), (SA, sa)):
        curves[label] = {"avoid": _per_episode(ds, "avoided").any(-1).mean(0),
                         "shock": _per_episode(ds, "shocked").any(-1).mean(0)}
    fear = -_per_episode(ac, "value")[:, :, 0].mean(0)  # critic's value of the warning onset
    avoided = _per_episode(ac, "avoided")
    rpe = _per_episode(ac, "rpe")
    early = slice(10, 50)
    relief = float(rpe[:, early][avoided[:, early]].mean())
    peak = int(np.argmax(fear))
    checks = []
    for label in (AC, SA):
        c = curves[label]
        checks += [
            Check("avoidance_rises", "P(avoid): last 20 trials minus first 10",
                  float(c["avoid"][-20:].mean() - c["avoid"][:10].mean()), ">", 0.4, model=label, kind="direction"),
            Check("shocks_become_rare", "P(shock) over the last 20 trials", float(c["shock"][-20:].mean()),
                  "<", 0.2, model=label, kind="direction"),
        ]
    checks += [
        Check("fear_acquired", "peak fear of the warning (-V of its onset, critic)", float(fear.max()), ">", 0.2,
              model=AC, kind="direction"),
        Check("fear_fades_while_avoidance_persists", "fear over the last 20 trials / peak fear",
              float(fear[-20:].mean() / fear.max()), "<", 0.5, model=AC, kind="direction"),
        Check("relief_rpe_at_avoidance", "mean RPE on avoidance responses, trials 10-49", relief, ">", 0.1, model=AC, kind="direction"),
    ]
    per_agent = {label: {"avoid": _per_episode(d, "avoided").any(-1), "shock": _per_episode(d, "shocked").any(-1)}
                 for label, d in ((AC, ac), (SA, sa))}  # for the figure's confidence intervals
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # agents that did not avoid on an episode: NaN
        rpe_avoid_agents = np.nanmean(np.where(avoided, rpe, np.nan), axis=2)
    ds = xr.Dataset({
        "avoided_by_agent": (("model", "agent", "episode"), np.stack([per_agent[m]["avoid"] for m in (AC, SA)]).astype(
            np.int8), {"long_name": "the agent avoided the shock on the episode (1) or not (0)"}),
        "shocked_by_agent": (("model", "agent", "episode"), np.stack([per_agent[m]["shock"] for m in (AC, SA)]).astype(
            np.int8), {"long_name": "the agent was shocked on the episode (1) or not (0)"}),
        "fear_by_agent": (("agent", "episode"), -_per_episode(ac, "value")[:, :, 0],
                          {"long_name": "−V(warning onset), actor-critic critic, each agent"}),
        "rpe_avoid_by_agent": (("agent", "episode"), rpe_avoid_agents,
                               {"long_name": "RPE on avoidance responses (actor-critic), each agent; NaN: no avoidance"}),
        "p_avoid": (("model", "episode"), np.stack([curves[m]["avoid"] for m in (AC, SA)])),
        "p_shock": (("model", "episode"), np.stack([curves[m]["shock"] for m in (AC, SA)])),
        "fear": ("episode", fear, {"long_name": "−V(warning onset), actor-critic critic"}),
        "rpe_avoid": ("episode", np.nanmean(np.where(avoided, rpe, np.nan), axis=(0, 2)),
                      {"long_name": "mean RPE on avoidance responses (actor-critic)"}),
    }, coords={"model": [AC, SA], "episode": np.arange(1, TASK.n_episodes + 1), "agent": np.arange(n_agents)},
        attrs={"fear_peak_episode": peak + 1})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds),
                            params={"actor_critic": AC_PARAMS, "sarsa": SARSA_PARAMS,
                                    "warning_steps": TASK.warning_steps, "n_actions": TASK.n_actions,
                                    "response_cost": TASK.response_cost}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for m, colour in zip(ds.model.values, (plot.BLUE, plot.GREEN)):
        plot.band(a, ds.episode, ds.avoided_by_agent.sel(model=m).astype(float), "agent", color=colour,
                  label=f"P(avoid), {m}")
        plot.band(a, ds.episode, ds.shocked_by_agent.sel(model=m).astype(float), "agent", color=colour, ls=":",
                  label=f"P(shock), {m}")
    a.set_xlabel("trial")
    a.set_ylabel("probability")
    a.set_ylim(0, 1.02)
    a.set_title("Avoidance is acquired as shocks become rare")
    a.legend(loc="center right")
    plot.band(b, ds.episode, ds.fear_by_agent, "agent", color=plot.VERMILLION, label="fear of the warning (−V)")
    plot.band(b, ds.episode, ds.rpe_avoid_by_agent, "agent", color=plot.PURPLE, label="RPE at the avoidance response")
    b.axhline(0, color=plot.GREY, lw=0.6)
    b.set_xlabel("trial")
    b.set_ylabel("actor-critic's critic (a.u.)")
    b.set_title("Fear rises, then fades; avoidance is reinforced by relief")
    b.legend(loc="upper right")
    fig.suptitle("Signalled active avoidance (two-factor theory as actor-critic)")
    plot.note(fig, f"Mean over {ds.sizes['agent']} agents (RPE: over the agents that avoided on that trial); bands: "
                   "95 % confidence interval of the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "episode": ("episode number (1-based)", "1"),
    "avoided_by_agent": ("the agent avoided the shock on the episode (1) or not (0)", "1"),
    "shocked_by_agent": ("the agent was shocked on the episode (1) or not (0)", "1"),
    "fear_by_agent": ("-V(warning onset), actor-critic critic, each agent", "1", RN),
    "rpe_avoid_by_agent": ("RPE on avoidance responses (actor-critic), each agent; NaN: no avoidance", "1", RN),
    "p_avoid": ("probability of avoiding the shock on the episode, mean over agents", "1"),
    "p_shock": ("probability of being shocked on the episode, mean over agents", "1"),
    "fear": ("-V(warning onset), actor-critic critic", "1", RN),
    "rpe_avoid": ("mean RPE on avoidance responses (actor-critic)", "1", RN),
}
