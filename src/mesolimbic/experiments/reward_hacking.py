"""Reward hacking as a hijacked dopamine signal: an agent that can drive its own teaching signal comes to prefer doing so over the task's real reward; what a penalty or a value cap changes.

Design: each trial the agent either works (action 0: real reward 1 with
probability 0.8) or presses a stimulation lever (action 1: no real reward, but
the lever adds D = 0.5 to the dopamine error — intracranial self-stimulation,
Olds & Milner 1954; the RL counterpart is an exploit of a learned reward
signal). Learner: delta rule with softmax (alpha 0.1, beta 5; see
:class:`mesolimbic.models.HijackedDeltaRule`), 300 trials, 200 agents, in six
conditions: no stimulation; non-compensable stimulation (the error can never
fall below D, Redish 2004); the same with a penalty of 0.5 on the lever's
outcome (the analogue of RLHF's KL penalty); the same with a value cap at 1
(the largest real outcome); compensable stimulation (acts like a reward of
0.5); compensable with the penalty.

Findings (model properties, measured on the last 50 trials): with a
non-compensable signal the lever wins and its value runs away; a penalty on the
outcome does nothing against it, because the error's floor D does not depend on
the outcome; a value cap stops the runaway but the capped lever (1) still
outvalues the real task (0.8), so the preference only weakens; with a
compensable signal the lever is worth only D, the real task wins, and a penalty
pushes the lever further down. The lesson carried to RLHF: bounding how much an
exploitable channel can teach matters more than taxing its outcome.

References: Olds, J. & Milner, P. (1954). J Comp Physiol Psychol 47:419-427.
Redish, A. D. (2004). Science 306:1944-1947. Everitt, T. & Hutter, M. (2016).
Avoiding wireheading with value reinforcement learning. AGI 2016. Skalse, J.,
Howe, N., Krasheninnikov, D. & Krueger, D. (2022). Defining and characterizing
reward hacking. NeurIPS 35.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..instrumental import simulate_choices
from ..models import HijackedDeltaRule
from ..tasks.bandit import Bandit
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "reward_hacking"
CITATION = ("Olds & Milner (1954). Positive reinforcement produced by electrical stimulation of septal area and "
            "other regions of rat brain. J Comp Physiol Psychol 47:419-427; Redish (2004), Science 306:1944")
D, PENALTY, CAP = 0.5, 0.5, 1.0
CONDITIONS = {
    "no stimulation": (HijackedDeltaRule(), {"stim": 0.0}),
    "hijacked (non-compensable)": (HijackedDeltaRule(), {"stim": D}),
    "+ penalty": (HijackedDeltaRule(), {"stim": D, "penalty": PENALTY}),
    "+ value cap": (HijackedDeltaRule(value_cap=CAP), {"stim": D}),
    "compensable": (HijackedDeltaRule(compensable=True), {"stim": D}),
    "compensable + penalty": (HijackedDeltaRule(compensable=True), {"stim": D, "penalty": PENALTY}),
}


@register(NAME, "Reward hacking: a self-stimulation lever beats the real reward; penalties vs caps", CITATION,
          default_agents=200, topic="circuit & motivation")
def run(n_agents: int = 200, seed: int = 0) -> ExperimentResult:
    sims = {}
    task = Bandit((0.8, 0.0), n_trials=300, name="work_or_stimulate")
    p_stim, q_stim, q_work, curves, agents = {}, {}, {}, {}, {}
    for label, (model, extra) in CONDITIONS.items():
        ds = single(simulate_choices(task, model, {"alpha": 0.1, "beta": 5.0, **extra}, n_agents=n_agents, seed=seed))
        sims[label] = ds
        choice = ds.choice.values.astype(float)
        p_stim[label] = float(choice[:, -50:].mean())
        curves[label] = choice.mean(0)
        agents[label] = (choice.astype(np.int8), ds.q.isel(trial=-1).transpose("agent", ...).values)
        q_last = ds.q.isel(trial=-1).mean("agent").values
        q_stim[label], q_work[label] = float(q_last[1]), float(q_last[0])
    m = "delta rule with a hijackable teaching signal"
    checks = [
        Check("task_only_prefers_work", "P(lever), no stimulation", p_stim["no stimulation"], "<", 0.1, model=m, kind="property"),
        Check("hijacked_lever_preferred", "P(lever), non-compensable stimulation", p_stim["hijacked (non-compensable)"],
              ">", 0.9, model=m, kind="direction"),
        Check("hijacked_value_runs_away", "value of the lever after 300 trials, non-compensable",
              q_stim["hijacked (non-compensable)"], ">", 5.0, model=m, kind="property"),
        Check("penalty_fails_against_noncompensable", "P(lever) with the penalty, non-compensable",
              p_stim["+ penalty"], ">", 0.9, model=m, kind="property"),
        Check("cap_bounds_value", "value of the lever with the cap", q_stim["+ value cap"], "<=", CAP, model=m, kind="property"),
        Check("cap_weakens_preference", "P(lever): capped minus uncapped", p_stim["+ value cap"] -
              p_stim["hijacked (non-compensable)"], "<", -0.1, model=m, kind="property"),
        Check("compensable_task_wins", "P(lever), compensable stimulation of 0.5 < real value 0.8",
              p_stim["compensable"], "<", 0.5, model=m, kind="property"),
        Check("penalty_works_when_compensable", "P(lever), compensable + penalty", p_stim["compensable + penalty"],
              "<", 0.1, model=m, kind="property"),
    ]
    labels = list(CONDITIONS)
    out = xr.Dataset({
        "p_lever": ("condition", [p_stim[k] for k in labels], {"long_name": "P(stimulation lever), last 50 trials"}),
        "q_lever": ("condition", [q_stim[k] for k in labels]),
        "q_work": ("condition", [q_work[k] for k in labels]),
        "p_lever_curve": (("condition", "trial"), np.stack([curves[k] for k in labels])),
        "lever_by_agent": (("condition", "agent", "trial"), np.stack([agents[k][0] for k in labels]),
                           {"long_name": "the agent chose the stimulation lever (1) or work (0)"}),
        "q_lever_by_agent": (("condition", "agent"), np.stack([agents[k][1][:, 1] for k in labels]),
                             {"long_name": "value of the lever after 300 trials, each agent"}),
        "q_work_by_agent": (("condition", "agent"), np.stack([agents[k][1][:, 0] for k in labels]),
                            {"long_name": "value of working after 300 trials, each agent"}),
    }, coords={"condition": labels, "trial": np.arange(1, 301), "agent": np.arange(n_agents)},
        attrs={"D": D, "penalty": PENALTY, "value_cap": CAP})
    return ExperimentResult(NAME, out, checks, lambda: figure(out), params={"alpha": 0.1, "beta": 5.0, "D": D,
                                                                          "penalty": PENALTY, "value_cap": CAP}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.6), constrained_layout=True, gridspec_kw={"width_ratios": [1.4, 1]})
    colours = dict(zip(ds.condition.values, plot.PALETTE))
    # conditions that behave alike (a penalty against non-compensable stimulation): dashes keep both in view
    same = plot.overlapping({str(c): ds.lever_by_agent.sel(condition=c).mean("agent") for c in ds.condition.values},
                            atol=0.03)
    for k, c in enumerate(ds.condition.values):
        c = str(c)
        plot.band(a, ds.trial, ds.lever_by_agent.sel(condition=c).astype(float), "agent", color=colours[c],
                  zorder=2 + k, label=f"{c} (dashed: ≈ {same[c]})" if c in same else c,
                  **(plot.DASHED if c in same else {"lw": 1.3}))
    a.set_xlabel("trial")
    a.set_ylabel("P(stimulation lever)")
    a.set_ylim(-0.02, 1.02)
    a.set_title("Choosing to stimulate instead of working")
    plot.legend_below(fig, a, ncol=3)
    x = np.arange(ds.sizes["condition"])
    lever = plot.bars(b, x - 0.2, ds.q_lever_by_agent, "agent", width=0.4, color=plot.VERMILLION,
                      label="value of the lever", center=ds.q_lever.values)
    plot.bars(b, x + 0.2, ds.q_work_by_agent, "agent", width=0.4, color=plot.GREEN, label="value of working",
              center=ds.q_work.values)
    b.set_yscale("symlog", linthresh=1.0)
    b.bar_label(lever, fmt="%.2g", padding=2, fontsize=7)
    b.set_xticks(x, [c.replace(" (", "\n(") for c in ds.condition.values], fontsize=7.5, rotation=20, ha="right")
    b.set_xlabel("condition")
    b.set_ylabel("learned value (a.u., symmetric log scale)")
    b.set_title("Learned values after 300 trials")
    b.legend(loc="upper right")
    fig.suptitle("Reward hacking as a hijacked dopamine signal — delta rule")
    plot.note(fig, f"Mean over {ds.sizes['agent']} agents; bands and error bars: 95 % confidence interval of the mean. "
                   "Values: linear below 1, logarithmic above.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "p_lever": ("P(stimulation lever), last 50 trials", "1"),
    "q_lever": ("learned value of the stimulation lever after 300 trials, mean over agents", "1", RN),
    "q_work": ("learned value of working after 300 trials, mean over agents", "1", RN),
    "p_lever_curve": ("P(stimulation lever) on the trial, mean over agents", "1"),
    "lever_by_agent": ("the agent chose the stimulation lever (1) or work (0)", "1"),
}
