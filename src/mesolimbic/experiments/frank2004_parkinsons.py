"""Parkinson's disease on and off medication in the circuit (Frank, Seeberger & O'Reilly 2004): dopamine depletion favours learning to avoid, L-DOPA favours learning to choose.

Design: the probabilistic selection task (AB 80/20, CD 70/30, EF 60/40, 60
training trials per pair; then all novel pairs without feedback), learned by the
circuit's action-selection loop — the Go/NoGo (D1/D2) opponent actor of OpAL
(Collins & Frank 2014; critic rate 0.1, Go and NoGo rates 0.1, beta 1) — whose
learning rates and Go/NoGo balance are set by the circuit's dopamine: Go
learning scales with bursts, NoGo learning with dips, and the tonic level sets
rho (see :meth:`mesolimbic.circuit.Circuit.actor`). Groups: control; Parkinson's
off medication (80 % dopamine depletion); on medication (the same depletion
plus L-DOPA with gain 5, which restores the released dopamine while tonic
occupancy masks the dips). 500 simulated patients per group.

Signatures (Frank et al. 2004): off medication patients avoid B better than
they choose A; on medication they choose A better than they avoid B;
medication raises choose-A and lowers avoid-B. (At beta 2 the off-medication
difference is a tie, 0.764 vs 0.766 with seed 0; only beta 1 is checked.)

References: Frank, M. J., Seeberger, L. C. & O'Reilly, R. C. (2004). By carrot or by
stick: cognitive reinforcement learning in parkinsonism. Science 306:1940-1943.
Frank, M. J. (2005). Dynamic dopamine modulation in the basal ganglia. J Cogn
Neurosci 17:51-72. Collins, A. G. E. & Frank, M. J. (2014). Psychol Rev 121:337-366.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..circuit import Circuit, DopamineDepletion, LDopa, Manipulation
from ..instrumental import simulate_choices
from ..tasks.pst import PAIRS, ProbabilisticSelection, choose_a_avoid_b
from ..results import single
from .registry import Check, ExperimentResult, register

NAME = "frank2004_parkinsons"
CITATION = ("Frank, Seeberger & O'Reilly (2004). By carrot or by stick: cognitive reinforcement learning in "
            "parkinsonism. Science 306:1940-1943")
GROUPS: dict[str, list[Manipulation]] = {"control": [], "PD off": [DopamineDepletion(0.8)], "PD on L-DOPA": [DopamineDepletion(0.8), LDopa(5.0)]}
BETA = 1.0


@register(NAME, "Parkinson's on/off medication in the circuit: Go/NoGo learning under dopamine", CITATION,
          default_agents=500, topic="circuit & motivation")
def run(n_agents: int = 500, seed: int = 0) -> ExperimentResult:
    task = ProbabilisticSelection()
    acc, used, sims, per_agent = {}, {}, {}, {}
    for group, manips in GROUPS.items():
        model, params = Circuit(manipulations=manips).actor(beta=BETA, pairs=PAIRS)
        used[group] = params
        sims[group] = single(simulate_choices(task, model, params, n_agents=n_agents, seed=seed))
        r = choose_a_avoid_b(sims[group])
        acc[group] = (float(r["choose_a"]), float(r["avoid_b"]))
        per_agent[group] = choose_a_avoid_b(sims[group].transpose("agent", "trial", ...), per_agent=True)
    off, on = acc["PD off"], acc["PD on L-DOPA"]
    m = "circuit actor (OpAL under dopamine)"
    checks = [
        Check("off_avoid_b_above_choose_a", "off medication: avoid B minus choose A", off[1] - off[0], ">", 0.0, model=m, kind="direction"),
        Check("on_choose_a_above_avoid_b", "on medication: choose A minus avoid B", on[0] - on[1], ">", 0.0, model=m, kind="direction"),
        Check("medication_raises_choose_a", "choose A: on minus off", on[0] - off[0], ">", 0.03, model=m, kind="direction"),
        Check("medication_lowers_avoid_b", "avoid B: off minus on", off[1] - on[1], ">", 0.03, model=m, kind="direction"),
    ]
    groups = list(GROUPS)
    out = xr.Dataset({
        "choose_a": ("group", [acc[g][0] for g in groups]),
        "avoid_b": ("group", [acc[g][1] for g in groups]),
        **{k: ("group", [used[g][k] for g in groups]) for k in ("alpha_go", "alpha_nogo", "rho")},
        "choose_a_by_agent": (("group", "agent"), np.stack([per_agent[g]["choose_a"] for g in groups]),
                              {"long_name": "test accuracy choosing A, each agent's own"}),
        "avoid_b_by_agent": (("group", "agent"), np.stack([per_agent[g]["avoid_b"] for g in groups]),
                             {"long_name": "test accuracy avoiding B, each agent's own"}),
    }, coords={"group": groups, "agent": np.arange(n_agents)}, attrs={"beta": BETA})
    return ExperimentResult(NAME, out, checks, lambda: figure(out), params={
        "beta": BETA, "groups": {g: [x.to_dict() for x in ms] for g, ms in GROUPS.items()}}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, ax = plt.subplots(figsize=(7.5, 4.4), constrained_layout=True)
    x = np.arange(ds.sizes["group"])
    plot.bars(ax, x - 0.2, ds.choose_a_by_agent, "agent", width=0.4, color=plot.GREEN, label="choose A",
              center=ds.choose_a.values)
    plot.bars(ax, x + 0.2, ds.avoid_b_by_agent, "agent", width=0.4, color=plot.VERMILLION, label="avoid B",
              center=ds.avoid_b.values)
    ax.set_xticks(x, [f"{g}\nα_go {a:.2f}, α_nogo {b:.2f}, ρ {r:+.2f}" for g, a, b, r in
                      zip(ds.group.values, ds.alpha_go.values, ds.alpha_nogo.values, ds.rho.values)], fontsize=8)
    ax.set_xlabel("group (the circuit actor's parameters under that dopamine level)")
    ax.set_ylim(0.5, 0.9)
    ax.set_ylabel("test accuracy (P correct)")
    ax.legend(loc="upper left")
    ax.set_title("Choose A vs avoid B in the probabilistic selection test")
    fig.suptitle("Frank, Seeberger & O'Reilly (2004): Parkinson's off / on L-DOPA — the circuit's Go/NoGo actor")
    plot.note(fig, f"{ds.sizes['agent']} agents per group; error bars: 95 % confidence interval of the mean. "
                   "The y axis starts at 0.5 (chance).")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "choose_a": ("test accuracy choosing A (the most rewarded stimulus), mean over agents", "1"),
    "avoid_b": ("test accuracy avoiding B (the least rewarded stimulus), mean over agents", "1"),
    "choose_a_by_agent": ("test accuracy choosing A, each agent's own", "1"),
    "avoid_b_by_agent": ("test accuracy avoiding B, each agent's own", "1"),
    "alpha_go": ("Go (D1) learning rate set by the group's dopamine", "1"),
    "alpha_nogo": ("NoGo (D2) learning rate set by the group's dopamine", "1"),
    "rho": ("Go/NoGo balance rho set by the tonic dopamine level", "1"),
}
