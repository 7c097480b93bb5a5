"""Tonic dopamine and vigour (Niv, Daw, Joel & Dayan 2007): the average reward rate, reported by tonic dopamine, sets how fast to respond; and more dopamine is not better.

Design: (1) free-operant responding on a random-ratio schedule (30 % of
responses rewarded) with a vigour cost C_v / tau (C_v = 1): the latency is
sqrt(C_v / tonic), tonic = tonic_scale x the learned average reward rate (see
:mod:`mesolimbic.circuit.vigour`); 500 responses, 50 agents; reward sizes 0.5,
1 and 2 under normal dopamine, and reward 1 under 80 % dopamine depletion, normal
dopamine, and an agonist (gain 2). (2) Discrimination: cue A rewarded (+1) and
cue B never, 40 trials each, in the full circuit; the approach probabilities to
A and B are compared under depletion (0.8), normal dopamine and agonists (gain
2 and 4), with the circuit's aberrant salience at its default 0.5 and, for
contrast, at 0.

Signatures (Niv et al. 2007; Salamone & Correa 2002): a richer environment and
more tonic dopamine give shorter latencies; depletion gives slow, sparse
responding (the Parkinsonian side). "More dopamine is better" is false: raised
tonic dopamine lends salience to unrewarded cues, so discrimination between
rewarded and unrewarded cues peaks at the normal level and falls with
agonists (aberrant salience, Kapur 2003; the inverted U of Cools & D'Esposito
2011). That fall is an assumption of the circuit (aberrant_salience > 0), not an
emergent property: with aberrant_salience = 0, agonists leave discrimination
intact — reported as a check of its own so the dependence is visible.

References: Niv, Y., Daw, N. D., Joel, D. & Dayan, P. (2007). Tonic dopamine:
opportunity costs and the control of response vigor. Psychopharmacology
191:507-520. Salamone, J. D. & Correa, M. (2002). Behav Brain Res 137:3-25.
Kapur, S. (2003). Psychosis as a state of aberrant salience. Am J Psychiatry
160:13-23. Cools, R. & D'Esposito, M. (2011). Biol Psychiatry 69:e113-e125.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..circuit import Circuit, DopamineAgonist, DopamineDepletion, simulate_circuit, simulate_vigour
from ._circuit import PARAMS, by_type, design, last
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "niv2007_tonic_dopamine"
CITATION = ("Niv, Daw, Joel & Dayan (2007). Tonic dopamine: opportunity costs and the control of response vigor. "
            "Psychopharmacology 191:507-520")
MAGNITUDES = (0.5, 1.0, 2.0)
LEVELS = {"depleted": [DopamineDepletion(0.8)], "normal": [], "agonist x2": [DopamineAgonist(2.0)],
          "agonist x4": [DopamineAgonist(4.0)]}


def _latency(manips, reward, n_agents, seed):
    """Mean latency over the last 200 trials, and each agent's own."""
    ds = simulate_vigour(Circuit(manipulations=manips), reward=reward, n_agents=n_agents, seed=seed)
    late = ds.latency.isel(trial=slice(-200, None))
    return float(late.mean()), late.mean("trial").values.reshape(-1)  # one parameter set


@register(NAME, "Tonic dopamine sets vigour; raised dopamine degrades discrimination", CITATION, default_agents=50,
          topic="circuit & motivation")
def run(n_agents: int = 50, seed: int = 0) -> ExperimentResult:
    sims = {}
    mag_runs = [_latency([], m, n_agents, seed) for m in MAGNITUDES]
    level_runs = {k: _latency(v, 1.0, n_agents, seed) for k, v in LEVELS.items() if k != "agonist x4"}
    by_mag = [r[0] for r in mag_runs]
    by_level = {k: r[0] for k, r in level_runs.items()}
    d = design({"A+": ("A", 1.0), "B-": ("B", 0.0)}, [("training", {"A+": 40, "B-": 40})], NAME)
    disc, disc_agents = {}, {}
    for ab in (0.5, 0.0):
        for k, manips in LEVELS.items():
            ds = single(simulate_circuit(d, Circuit(manipulations=manips), {**PARAMS, "aberrant_salience": ab},
                                  n_agents=max(1, n_agents // 5), seed=seed))
            sims[f"{k}, aberrant salience {ab}"] = ds
            disc[(ab, k)] = (last(ds, "approach_cs", "A+"), last(ds, "approach_cs", "B-"))
            disc_agents[(ab, k)] = (by_type(ds, "approach_cs", "A+")[:, -5:].mean(1) -
                                    by_type(ds, "approach_cs", "B-")[:, -5:].mean(1))
    gap = {k: v[0] - v[1] for k, v in disc.items()}
    m = "circuit (tonic DA = reward rate; aberrant salience)"
    checks = [
        Check("richer_is_faster", "latency at reward 2 / at reward 0.5", by_mag[2] / by_mag[0], "<", 0.5, model=m, kind="property"),
        Check("agonist_is_faster", "latency, agonist x2 / normal", by_level["agonist x2"] / by_level["normal"], "<",
              0.8, model=m, kind="property"),
        Check("depletion_is_slow", "latency, depleted / normal", by_level["depleted"] / by_level["normal"], ">", 1.5,
              model=m, kind="property"),
        Check("discrimination_best_at_normal", "P(approach A) - P(approach B): normal minus the best other level",
              gap[(0.5, "normal")] - max(g for (ab, k), g in gap.items() if ab == 0.5 and k != "normal"), ">", 0.1,
              model=m, kind="direction"),
        Check("more_dopamine_is_not_better", "discrimination, agonist x4 / normal", gap[(0.5, "agonist x4")] /
              gap[(0.5, "normal")], "<", 0.5, model=m, kind="direction"),
        Check("without_aberrant_salience_agonist_harmless", "same ratio with aberrant_salience = 0 (the fall is an "
              "assumption)", gap[(0.0, "agonist x4")] / gap[(0.0, "normal")], ">", 0.9, model=m, kind="property"),
    ]
    levels = list(LEVELS)
    out = xr.Dataset({
        "latency_by_reward": ("reward", by_mag, {"units": "s"}),
        "latency_by_dopamine": ("vigour_level", [by_level[k] for k in by_level], {"units": "s"}),
        "approach_a": (("aberrant_salience", "dopamine"), [[disc[(ab, k)][0] for k in levels] for ab in (0.5, 0.0)]),
        "approach_b": (("aberrant_salience", "dopamine"), [[disc[(ab, k)][1] for k in levels] for ab in (0.5, 0.0)]),
        "latency_by_reward_by_agent": (("reward", "agent"), np.stack([r[1] for r in mag_runs]),
                                       {"units": "s", "long_name": "latency, each agent's last 200 trials"}),
        "latency_by_dopamine_by_agent": (("vigour_level", "agent"), np.stack([r[1] for r in level_runs.values()]),
                                         {"units": "s", "long_name": "latency, each agent's last 200 trials"}),
        "discrimination_by_agent": (("aberrant_salience", "dopamine", "subject"),
                                    [[disc_agents[(ab, k)] for k in levels] for ab in (0.5, 0.0)],
                                    {"long_name": "P(approach A) - P(approach B), each agent's last 5 trials"}),
    }, coords={"reward": list(MAGNITUDES), "vigour_level": list(by_level), "dopamine": levels,
               "aberrant_salience": [0.5, 0.0]}, attrs={})
    return ExperimentResult(NAME, out, checks, lambda: figure(out), params={**PARAMS, "levels": {
        k: [x.to_dict() for x in v] for k, v in LEVELS.items()}}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, (a, b, c) = plt.subplots(1, 3, figsize=(14, 4.3), constrained_layout=True)
    plot.errorbar(a, ds.reward, ds.latency_by_reward_by_agent, "agent", fmt="o-", color=plot.BLACK,
                  center=ds.latency_by_reward.values)
    a.set_xlabel("reward size (a.u.)")
    a.set_ylabel("latency to respond (s)")
    a.set_title("Richer environment → faster")
    x = np.arange(ds.sizes["vigour_level"])
    for i, (lvl, colour) in enumerate(zip(ds.vigour_level.values, (plot.BLUE, plot.GREY, plot.VERMILLION))):
        plot.bars(b, [i], ds.latency_by_dopamine_by_agent.sel(vigour_level=lvl).expand_dims("bar"), "agent",
                  color=colour, center=[float(ds.latency_by_dopamine.sel(vigour_level=lvl))])
    b.set_xticks(x, ds.vigour_level.values)
    b.set_xlabel("tonic dopamine")
    b.set_ylabel("latency to respond (s)")
    b.set_title("Tonic dopamine sets vigour")
    x = np.arange(ds.sizes["dopamine"])
    for ab, fmt, colour in zip(ds.aberrant_salience.values, ("o-", "s:"), (plot.PURPLE, plot.GREY)):
        g = ds.approach_a.sel(aberrant_salience=ab) - ds.approach_b.sel(aberrant_salience=ab)
        plot.errorbar(c, x, ds.discrimination_by_agent.sel(aberrant_salience=ab), "subject", fmt=fmt, color=colour,
                      label=f"aberrant salience {ab:g}", center=g.values)
    c.set_xticks(x, ds.dopamine.values)
    c.set_xlabel("tonic dopamine")
    c.set_ylabel("P(approach A) − P(approach B)")
    c.set_title("Discrimination: more dopamine is not better")
    c.legend(loc="lower left")
    fig.suptitle("Tonic dopamine: vigour and salience (Niv et al. 2007; Kapur 2003) — circuit")
    plot.note(fig, f"Latencies: {ds.sizes['agent']} agents, last 200 trials; discrimination: {ds.sizes['subject']} "
                   "agents, last 5 trials of each cue. Error bars: 95 % confidence interval of the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "reward": ("reward magnitude", "1", RN),
    "vigour_level": ("tonic dopamine manipulation", None),
    "dopamine": ("tonic dopamine manipulation", None),
    "aberrant_salience": ("aberrant incentive salience added to an unrewarded cue", "1", RN),
    "latency_by_reward": ("response latency, mean over agents' last 200 trials, by reward magnitude", "s"),
    "latency_by_dopamine": ("response latency, mean over agents' last 200 trials, by tonic dopamine", "s"),
    "approach_a": ("P(approach the rewarded cue A), last 5 trials", "1"),
    "approach_b": ("P(approach the unrewarded cue B), last 5 trials", "1"),
    "discrimination_by_agent": ("P(approach A) - P(approach B), each agent's last 5 trials", "1"),
}
