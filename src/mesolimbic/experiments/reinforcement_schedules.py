"""Reinforcement schedules: response rate, post-reinforcement pause, the fixed-interval scallop and the partial-reinforcement extinction effect from one TD learner.

Design: six schedules in discrete time — continuous reinforcement (CRF = FR 1),
FR 5, VR 5, RR 0.3 (a 30 % chance of reward per response), FI 10 and VI 10
steps — each 4000 steps of acquisition followed by 400 steps of extinction.
Each step the agent waits or responds (cost 0.1 per response, reward 1). Learner:
tabular SARSA (alpha 0.1, softmax beta 10, gamma 0.95 per step) whose state is
the time and the response count since the last reinforcer (capped at 30); it is
not told the schedule. Measured on the last 1000 acquisition steps and the
extinction phase, 100 simulated subjects per schedule.

Signatures (Ferster & Skinner 1957; reviewed by Zeiler 1977 and Staddon 2016):
(1) ratio schedules sustain higher response rates than interval schedules
(the FR 5 / VR 5 and FI 10 / VI 10 pairs here earn about the same reinforcement
rate); (2) fixed ratio shows a post-reinforcement pause, variable ratio
hardly any; (3) variable schedules give steadier local response rates than fixed
ones; (4) fixed interval shows the scallop, responding accelerating through the
interval (quarter-life above the 0.25 of uniform responding; Herrnstein &
Morse 1957; Schneider 1969 found break-and-run in single intervals);
(5) after partial reinforcement responding persists longer in extinction than
after continuous reinforcement (the partial-reinforcement extinction effect,
Humphreys 1939; Mackintosh 1974).

References: Ferster, C. B. & Skinner, B. F. (1957). Schedules of Reinforcement.
Humphreys, L. G. (1939). The effect of random alternation of reinforcement on
the acquisition and extinction of conditioned eyelid reactions. J Exp Psychol
25:141-158. Schneider, B. A. (1969). A two-state analysis of fixed-interval
responding in the pigeon. J Exp Anal Behav 12:677-687. Zeiler, M. (1977).
Schedules of reinforcement: the controlling variables. In Handbook of Operant
Behavior, 201-232. Rummery & Niranjan (1994); Sutton & Barto (2018) §6.4 (SARSA).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..instrumental import simulate_choices
from ..models import SARSA
from ..tasks.schedules import Schedule
from ..results import single
from .registry import Check, ExperimentResult, register

NAME = "reinforcement_schedules"
CITATION = "Ferster & Skinner (1957). Schedules of Reinforcement. Appleton-Century-Crofts"
SCHEDULES = (("FR", 1), ("FR", 5), ("VR", 5), ("RR", 0.3), ("FI", 10), ("VI", 10))
PARAMS = {"alpha": 0.1, "beta": 10.0, "gamma": 0.95}
COST = 0.1
N_ACQ, N_EXT, WINDOW = 4000, 400, 1000
MAX_LAG = 20  # time-since-reinforcer bins shown and used for the local rate
EXT_BIN = 20


def _measures(ds: xr.Dataset, task: Schedule) -> dict:
    resp = ds.choice.values.astype(float)  # [agent, step]
    since = ds.cue.values // (task.count_cap + 1)  # time since the last reinforcer, at each step
    late = slice(N_ACQ - WINDOW, N_ACQ)
    r, s = resp[:, late], since[:, late]
    by_lag = np.array([r[s == k].mean() if (s == k).sum() >= 20 else np.nan for k in range(MAX_LAG)])
    # latency from a reinforcer to the next response, over all reinforcers of the window
    lat = []
    for a in range(resp.shape[0]):
        rf = np.flatnonzero(ds.reinforced.values[a, late])
        presses = np.flatnonzero(r[a])
        nxt = np.searchsorted(presses, rf + 1)
        ok = nxt < presses.size
        lat.extend((presses[nxt[ok]] - rf[ok]).tolist())
    ext = resp[:, N_ACQ:].reshape(resp.shape[0], -1, EXT_BIN).mean((0, 2))
    # each agent's own, for the figure's confidence intervals
    with np.errstate(invalid="ignore"):
        lag_agents = np.stack([np.where((s == k).sum(1) > 0, (r * (s == k)).sum(1) / np.maximum((s == k).sum(1), 1),
                                        np.nan) if np.isfinite(by_lag[k]) else np.full(r.shape[0], np.nan)
                               for k in range(MAX_LAG)], 1)
    return {"rate": r.mean(), "reinforcers": ds.reinforced.values[:, late].mean(), "by_lag": by_lag,
            "pause": float(np.mean(lat)) if lat else np.nan, "extinction": ext,
            "rate_agents": r.mean(1), "by_lag_agents": lag_agents,
            "extinction_agents": resp[:, N_ACQ:].reshape(resp.shape[0], -1, EXT_BIN).mean(2)}


def _quarter_life(p: np.ndarray) -> float:
    """Fraction of the interval elapsed when a quarter of its responses have been made
    (Herrnstein & Morse 1957), interpolated linearly within each time bin, so that
    uniform responding gives exactly 0.25 (a binned reading gives 0.3 for it)."""
    c = np.concatenate([[0.0], np.cumsum(p) / np.sum(p)])  # cumulative share at the bin edges 0..n
    k = int(np.argmax(c >= 0.25))  # first edge at or past a quarter
    t = (k - 1) + (0.25 - c[k - 1]) / (c[k] - c[k - 1])
    return float(t / p.size)


@register(NAME, "Reinforcement schedules: ratio vs interval rates, FR pause, FI scallop, partial-reinforcement "
          "extinction effect", CITATION, default_agents=100, topic="instrumental")
def run(n_agents: int = 100, seed: int = 0) -> ExperimentResult:
    model = SARSA()
    labels, m, sims = [], [], {}
    for kind, value in SCHEDULES:
        task = Schedule(kind, value, n_steps=N_ACQ, n_extinction=N_EXT, cost=COST)
        labels.append(task.label if task.label != "FR 1" else "CRF")
        sims[labels[-1]] = single(simulate_choices(task, model, PARAMS, n_agents=n_agents, seed=seed))
        m.append(_measures(sims[labels[-1]], task))
    get = dict(zip(labels, m))
    rate = {k: v["rate"] for k, v in get.items()}
    local_sd = {k: float(np.nanstd(v["by_lag"][:12])) for k, v in get.items()}
    ql = _quarter_life(get["FI 10"]["by_lag"][:10])
    ext_late = {k: float(v["extinction"][-100 // EXT_BIN:].mean()) for k, v in get.items()}
    # persistence over the whole extinction phase, relative to the rate at the end of acquisition
    persistence = {k: float(v["extinction"].mean()) / rate[k] for k, v in get.items()}
    learner = "SARSA (time & count since reinforcer)"
    checks = [
        Check("ratio_above_interval", "response rate: smaller of FR 5, VR 5 minus larger of FI 10, VI 10 "
              "(reinforcement rates about equal)",
              min(rate["FR 5"], rate["VR 5"]) - max(rate["FI 10"], rate["VI 10"]), ">", 0.0, model=learner, kind="direction"),
        Check("fr_post_reinforcement_pause", "FR 5: latency to the first response after a reinforcer / mean "
              "inter-response time in the run (5-9 steps after it)",
              get["FR 5"]["pause"] * float(np.nanmean(get["FR 5"]["by_lag"][5:10])), ">", 1.5, model=learner, kind="direction"),
        Check("fr_pause_longer_than_vr", "latency to the first response after a reinforcer, FR 5 / VR 5",
              get["FR 5"]["pause"] / get["VR 5"]["pause"], ">", 1.0, model=learner, kind="direction"),
        Check("variable_steadier_ratio", "spread (SD) of P(respond) over time since reinforcer, FR 5 minus VR 5",
              local_sd["FR 5"] - local_sd["VR 5"], ">", 0.0, model=learner, kind="direction"),
        Check("variable_steadier_interval", "spread (SD) of P(respond) over time since reinforcer, FI 10 minus VI 10",
              local_sd["FI 10"] - local_sd["VI 10"], ">", 0.0, model=learner, kind="direction"),
        Check("fi_scallop", "FI 10 quarter-life, interpolated (fraction of the interval to a quarter of its "
              "responses; uniform responding: exactly 0.25); its 95 % interval over seeds above 0.25", ql, ">", 0.25,
              model=learner, kind="direction", claim="interval"),
        Check("extinction_happens", "CRF: response rate late in extinction / at the end of acquisition",
              ext_late["CRF"] / rate["CRF"], "<", 0.5, model=learner, kind="direction"),
        Check("partial_reinforcement_extinction_effect",
              "persistence (mean P(respond) over the whole extinction phase / rate at the end of acquisition), "
              "RR 0.3 (partial) minus CRF (continuous); its 95 % interval over seeds above 0",
              persistence["RR 0.3"] - persistence["CRF"], ">", 0.0, model=learner, kind="direction",
              claim="interval"),
    ]
    ds = xr.Dataset({
        "response_rate": ("schedule", [rate[k] for k in labels], {"long_name": "responses per step"}),
        "reinforcement_rate": ("schedule", [get[k]["reinforcers"] for k in labels],
                               {"long_name": "reinforcers per step"}),
        "pause": ("schedule", [get[k]["pause"] for k in labels],
                  {"long_name": "steps from a reinforcer to the next response"}),
        "p_respond_by_lag": (("schedule", "lag"), np.stack([get[k]["by_lag"] for k in labels]),
                             {"long_name": "P(respond) by steps since the last reinforcer"}),
        "extinction_curve": (("schedule", "ext_step"), np.stack([get[k]["extinction"] for k in labels]),
                             {"long_name": "P(respond) in extinction"}),
        "response_rate_by_agent": (("schedule", "agent"), np.stack([get[k]["rate_agents"] for k in labels]),
                                   {"long_name": "responses per step, each agent's own"}),
        "p_respond_by_lag_by_agent": (("schedule", "agent", "lag"), np.stack([get[k]["by_lag_agents"] for k in labels]),
                                      {"long_name": "P(respond) by steps since the last reinforcer, each agent"}),
        "extinction_curve_by_agent": (("schedule", "agent", "ext_step"),
                                      np.stack([get[k]["extinction_agents"] for k in labels]),
                                      {"long_name": "P(respond) in extinction, each agent"}),
    }, coords={"schedule": labels, "lag": np.arange(MAX_LAG), "agent": np.arange(n_agents),
               "ext_step": EXT_BIN * np.arange(N_EXT // EXT_BIN) + EXT_BIN / 2},
        attrs={"cost": COST, **PARAMS,
               "fi_quarter_life": ql})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params={**PARAMS, "cost": COST,
                                                                          "schedules": ", ".join(labels)}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    # ratio schedules blue, interval schedules vermillion, continuous black; variable ones lighter / dashed
    colors = dict(zip(ds.schedule.values, [plot.BLACK, plot.BLUE, plot.SKY, plot.GREEN, plot.VERMILLION, plot.ORANGE]))
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(14, 4.3), constrained_layout=True)
    x = np.arange(ds.sizes["schedule"])
    for i, s in enumerate(ds.schedule.values):
        plot.bars(a, [i], ds.response_rate_by_agent.sel(schedule=s).expand_dims("bar"), "agent", color=colors[s],
                  center=[float(ds.response_rate.sel(schedule=s))])
    a.set_xticks(x, ds.schedule.values)
    a.set_xlabel("schedule")
    a.set_ylabel("responses per step")
    a.set_title("Steady-state response rate")
    for s in ("FR 5", "VR 5", "FI 10", "VI 10"):
        plot.band(b, ds.lag, ds.p_respond_by_lag_by_agent.sel(schedule=s), "agent", marker="o", ms=3, color=colors[s],
                  label=s, **({"ls": "--"} if s.startswith("V") else {}))
    b.set_xlabel("steps since the last reinforcer")
    b.set_ylabel("P(respond)")
    b.set_ylim(0, 1.02)
    b.set_title(f"Pause and scallop (FI quarter-life {ds.attrs['fi_quarter_life']:.2f})")
    b.legend(loc="lower right")
    for s in ds.schedule.values:
        plot.band(c, ds.ext_step, ds.extinction_curve_by_agent.sel(schedule=s), "agent", color=colors[s], label=s,
                  lw=1.5)
    c.set_xlabel("step of extinction")
    c.set_ylabel("P(respond)")
    c.set_ylim(0, 1.02)
    c.set_title("Extinction (partial vs continuous)")
    c.legend(loc="upper right", ncol=2)
    fig.suptitle("Reinforcement schedules — tabular SARSA, response cost 0.1")
    plot.note(fig, f"Last {WINDOW} steps of acquisition (left, middle); {ds.sizes['agent']} agents per schedule; "
                   f"extinction in bins of {EXT_BIN} steps. Error bars and bands: 95 % confidence interval of the mean "
                   "over agents.")
    return fig
