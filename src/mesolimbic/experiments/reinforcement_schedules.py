"""Reinforcement schedules: response rate, post-reinforcement pause, the fixed-interval scallop and the partial-reinforcement extinction effect from one TD learner.

Two learners are compared on the same schedules: discounted SARSA and the
average-reward agent of Niv, Daw, Joel & Dayan (2007), whose tonic dopamine is
the average reward rate (the opportunity cost of time); and each on a VI
schedule *yoked* to its own VR 5 (mean interval = its VR 5 inter-reinforcer
time), the classic test that ratio schedules sustain more responding than
interval schedules at the same reinforcement rate (Zuriff 1970; Catania,
Matthews, Silverman & Yohalem 1977). Both learners show it: the issue that
asked for the average-reward agent said discounted SARSA could not, and with
yoking it does (VR 5 minus yoked VI 0.14-0.15 responses per step at seeds 0-3,
the average-reward agent 0.08-0.09). The average-reward agent fails two
signatures discounted SARSA shows (its expected failures say why).

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
Niv, Y., Daw, N. D., Joel, D. & Dayan, P. (2007). Tonic dopamine: opportunity
costs and the control of response vigor. Psychopharmacology 191:507-520.
Catania, A. C., Matthews, T. J., Silverman, P. J. & Yohalem, R. (1977). Yoked
variable-ratio and variable-interval responding in pigeons. J Exp Anal Behav
28:155-161. Zuriff, G. E. (1970). A comparison of variable-ratio and
variable-interval schedules of reinforcement. J Exp Anal Behav 13:369-374.
Gibbon, J. (1977). Scalar expectancy theory and Weber's law in animal timing.
Psychol Rev 84:279-325.
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
from ..models import SARSA, AverageRewardSARSA
from ..tasks.schedules import Schedule
from ..results import single
from .registry import Check, ExperimentResult, register

NAME = "reinforcement_schedules"
CITATION = "Ferster & Skinner (1957). Schedules of Reinforcement. Appleton-Century-Crofts"
SCHEDULES = (("FR", 1), ("FR", 5), ("VR", 5), ("RR", 0.3), ("FI", 10), ("VI", 10))
PARAMS = {"alpha": 0.1, "beta": 10.0, "gamma": 0.95}
AR_PARAMS = {"alpha": 0.1, "beta": 10.0, "alpha_r": 0.01}
YOKED = "VI yoked"
#: learner key: (model, parameters, label in the checks, {check known to fail: why})
LEARNERS = {
    "sarsa": (SARSA(), PARAMS, "SARSA (time & count since reinforcer)", {}),
    "average_reward": (AverageRewardSARSA(), AR_PARAMS, "average-reward SARSA (Niv et al. 2007)", {
        "fr_pause_longer_than_vr": "its pause after a reinforcer is about as long on VR 5 as on FR 5 (ratio 0.92-0.96 "
        "at seeds 0-3): with no discount a reinforcer five responses away loses only the reward-rate cost of the "
        "steps to it, the same after either schedule's reinforcer; discounted SARSA's longer FR pause comes from "
        "discounting that distant reinforcer",
        "fi_accelerates_before_due": "with an exact clock and no discount a premature response is a pure cost at "
        "every lag before the due step, so P(respond) stays flat (falling slightly, -0.07 to -0.08) and jumps at the "
        "due step: a step, not a scallop (the quarter-life check passes on that jump alone); the gradual "
        "acceleration of averaged FI records is usually put down to timing uncertainty (scalar timing, Gibbon "
        "1977), which neither learner's clock has"}),
}
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


def _learner(model, params, n_agents: int, seed: int) -> tuple[dict, list[str], dict]:
    """One learner on every schedule, and on a VI schedule yoked to its own VR 5 reinforcement rate."""
    labels, get, sims = [], {}, {}
    for kind, value in SCHEDULES:
        task = Schedule(kind, value, n_steps=N_ACQ, n_extinction=N_EXT, cost=COST)
        label = task.label if task.label != "FR 1" else "CRF"
        labels.append(label)
        sims[label] = single(simulate_choices(task, model, params, n_agents=n_agents, seed=seed))
        get[label] = _measures(sims[label], task)
    # yoked interval: the mean interval is the mean inter-reinforcer time this learner earned on VR 5
    interval = 1.0 / get["VR 5"]["reinforcers"]
    task = Schedule("VI", round(interval, 2), n_steps=N_ACQ, n_extinction=N_EXT, cost=COST)
    sims[YOKED] = single(simulate_choices(task, model, params, n_agents=n_agents, seed=seed))
    get[YOKED] = _measures(sims[YOKED], task)
    get[YOKED]["interval"] = interval
    return get, labels + [YOKED], sims


def _checks(get: dict, learner: str, why: dict) -> tuple[list, dict]:
    """The checks of one learner; ``why``: {check name: the reason it is expected to fail}."""
    rate = {k: v["rate"] for k, v in get.items()}
    local_sd = {k: float(np.nanstd(v["by_lag"][:12])) for k, v in get.items()}
    ql = _quarter_life(get["FI 10"]["by_lag"][:10])
    fi = get["FI 10"]["by_lag"][:9]  # the nine steps before the due one
    rise = float(np.mean(fi[6:9]) - np.mean(fi[0:3]))
    ext_late = {k: float(v["extinction"][-100 // EXT_BIN:].mean()) for k, v in get.items()}
    # persistence over the whole extinction phase, relative to the rate at the end of acquisition
    persistence = {k: float(v["extinction"].mean()) / rate[k] for k, v in get.items()}
    yoke = get[YOKED]["reinforcers"] / get["VR 5"]["reinforcers"]

    def C(name, desc, measured, op, thr, **kw):
        d = desc + (f" — expected failure: {why[name]}" if name in why else "")
        return Check(name, d, measured, op, thr, model=learner, expected_failure=name in why, **kw)

    checks = [
        C("ratio_above_interval", "response rate: smaller of FR 5, VR 5 minus larger of FI 10, VI 10 "
          "(reinforcement rates about equal)",
          min(rate["FR 5"], rate["VR 5"]) - max(rate["FI 10"], rate["VI 10"]), ">", 0.0, kind="direction"),
        C("yoked_reinforcement_rate", "reinforcers per step, VI yoked to VR 5 / VR 5 (the yoke holds: within 0.85-1.15)",
          abs(yoke - 1.0), "<", 0.15, kind="property"),
        C("ratio_above_yoked_interval", "response rate, VR 5 minus the VI yoked to its reinforcement rate "
          "(Zuriff 1970; Catania et al. 1977; Niv et al. 2007 Fig. 4); its 95 % interval over seeds above 0",
          rate["VR 5"] - rate[YOKED], ">", 0.0, kind="direction", claim="interval"),
        C("fr_post_reinforcement_pause", "FR 5: latency to the first response after a reinforcer / mean "
          "inter-response time in the run (5-9 steps after it)",
          get["FR 5"]["pause"] * float(np.nanmean(get["FR 5"]["by_lag"][5:10])), ">", 1.5, kind="direction"),
        C("fr_pause_longer_than_vr", "latency to the first response after a reinforcer, FR 5 / VR 5",
          get["FR 5"]["pause"] / get["VR 5"]["pause"], ">", 1.0, kind="direction"),
        C("variable_steadier_ratio", "spread (SD) of P(respond) over time since reinforcer, FR 5 minus VR 5",
          local_sd["FR 5"] - local_sd["VR 5"], ">", 0.0, kind="direction"),
        C("variable_steadier_interval", "spread (SD) of P(respond) over time since reinforcer, FI 10 minus VI 10",
          local_sd["FI 10"] - local_sd["VI 10"], ">", 0.0, kind="direction"),
        C("fi_scallop", "FI 10 quarter-life, interpolated (fraction of the interval to a quarter of its "
          "responses; uniform responding: exactly 0.25); its 95 % interval over seeds above 0.25", ql, ">", 0.25,
          kind="direction", claim="interval"),
        C("fi_accelerates_before_due", "FI 10: P(respond) 6-8 steps minus 0-2 steps after a reinforcer (responding "
          "accelerates through the interval, before the due step); its 95 % interval over seeds above 0", rise, ">",
          0.0, kind="direction", claim="interval"),
        C("extinction_happens", "CRF: response rate late in extinction / at the end of acquisition",
          ext_late["CRF"] / rate["CRF"], "<", 0.5, kind="direction"),
        C("partial_reinforcement_extinction_effect",
          "persistence (mean P(respond) over the whole extinction phase / rate at the end of acquisition), "
          "RR 0.3 (partial) minus CRF (continuous); its 95 % interval over seeds above 0",
          persistence["RR 0.3"] - persistence["CRF"], ">", 0.0, kind="direction", claim="interval"),
    ]
    return checks, {"fi_quarter_life": ql}


@register(NAME, "Reinforcement schedules: ratio vs (yoked) interval rates, FR pause, FI scallop, "
          "partial-reinforcement extinction effect — discounted SARSA vs the average-reward agent", CITATION,
          default_agents=100, topic="instrumental")
def run(n_agents: int = 100, seed: int = 0) -> ExperimentResult:
    checks, per, sims = [], {}, {}
    for key, (model, params, label, why) in LEARNERS.items():
        get, labels, s = _learner(model, params, n_agents, seed)
        sims.update({f"{key}: {k}": v for k, v in s.items()})
        c, extra = _checks(get, label, why)
        checks += c
        per[key] = (get, extra)
        if key == "average_reward":
            tonic = {k: float(s[k].avg_reward.values[:, N_ACQ - WINDOW:N_ACQ].mean()) for k in labels}
            net = {k: float(s[k].outcome.values[:, N_ACQ - WINDOW:N_ACQ].mean()) for k in labels}
            err = max(abs(tonic[k] - net[k]) for k in labels)
            tonic_rate = [tonic[k] for k in labels]
            checks.append(Check("tonic_is_reward_rate", "largest |average-reward estimate (tonic dopamine) minus "
                                "the net reward per step earned| over schedules, last 1000 acquisition steps",
                                err, "<", 0.02, model=label, kind="property"))
    learners = list(LEARNERS)
    def stack(f):
        return np.stack([[f(per[k][0][s]) for s in labels] for k in learners])
    ds = xr.Dataset({
        "response_rate": (("learner", "schedule"), stack(lambda g: g["rate"]), {"long_name": "responses per step"}),
        "reinforcement_rate": (("learner", "schedule"), stack(lambda g: g["reinforcers"]),
                               {"long_name": "reinforcers per step"}),
        "pause": (("learner", "schedule"), stack(lambda g: g["pause"]),
                  {"long_name": "steps from a reinforcer to the next response"}),
        "p_respond_by_lag": (("learner", "schedule", "lag"), stack(lambda g: g["by_lag"]),
                             {"long_name": "P(respond) by steps since the last reinforcer"}),
        "extinction_curve": (("learner", "schedule", "ext_step"), stack(lambda g: g["extinction"]),
                             {"long_name": "P(respond) in extinction"}),
        "response_rate_by_agent": (("learner", "schedule", "agent"), stack(lambda g: g["rate_agents"]),
                                   {"long_name": "responses per step, each agent"}),
        "p_respond_by_lag_by_agent": (("learner", "schedule", "agent", "lag"), stack(lambda g: g["by_lag_agents"]),
                                      {"long_name": "P(respond) by steps since the last reinforcer, each agent"}),
        "extinction_curve_by_agent": (("learner", "schedule", "agent", "ext_step"),
                                      stack(lambda g: g["extinction_agents"]),
                                      {"long_name": "P(respond) in extinction, each agent"}),
        "tonic_dopamine": ("schedule", tonic_rate, {"long_name": "average-reward estimate of the "
                                                    "average-reward agent (tonic dopamine), last 1000 acquisition steps",
                                                    "units": "1", "units_note": "the model's reward units per step"}),
        "fi_quarter_life": ("learner", [per[k][1]["fi_quarter_life"] for k in learners]),
        "yoked_interval": ("learner", [per[k][0][YOKED]["interval"] for k in learners],
                           {"long_name": "mean interval of the VI yoked to VR 5, in steps", "units": "1"}),
    }, coords={"learner": learners, "schedule": labels, "lag": np.arange(MAX_LAG), "agent": np.arange(n_agents),
               "ext_step": EXT_BIN * np.arange(N_EXT // EXT_BIN) + EXT_BIN / 2},
        attrs={"cost": COST, **{f"sarsa_{k}": v for k, v in PARAMS.items()},
               **{f"average_reward_{k}": v for k, v in AR_PARAMS.items()}})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params={
        **PARAMS, **{f"ar_{k}": v for k, v in AR_PARAMS.items()}, "cost": COST, "schedules": ", ".join(labels)},
        sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    # ratio schedules blue / green, interval schedules vermillion / orange, the yoked VI purple
    col = {"CRF": plot.BLACK, "FR 5": plot.BLUE, "VR 5": plot.SKY, "RR 0.3": plot.GREEN, "FI 10": plot.VERMILLION,
           "VI 10": plot.ORANGE, YOKED: plot.PURPLE}
    dash = {"sarsa": "--", "average_reward": "-"}
    name = {"sarsa": "discounted SARSA", "average_reward": "average-reward"}
    fig, (a, b, c, d) = plt.subplots(1, 4, figsize=(18, 4.6), constrained_layout=True)
    x = np.arange(ds.sizes["schedule"])
    for i, k in enumerate(ds.learner.values):
        for j, s in enumerate(ds.schedule.values):
            plot.bars(a, [j + (i - 0.5) * 0.4], ds.response_rate_by_agent.sel(learner=k, schedule=s).expand_dims("bar"),
                      "agent", width=0.4, color=col[s], hatch="//" if k == "sarsa" else None, edgecolor="white")
    a.set_xticks(x, ds.schedule.values, rotation=30)
    a.set_xlabel("schedule (hatched: discounted SARSA)")
    a.set_ylabel("responses per step")
    a.set_title("Steady-state response rate")
    for k in ds.learner.values:
        for s in ("FR 5", "FI 10"):
            plot.band(b, ds.lag, ds.p_respond_by_lag_by_agent.sel(learner=k, schedule=s), "agent", marker="o", ms=3,
                      color=col[s], ls=dash[k], label=f"{s}, {name[k]}")
    b.set_xlabel("steps since the last reinforcer")
    b.set_ylabel("P(respond)")
    b.set_ylim(0, 1.02)
    b.set_title("FR pause and FI pattern")
    b.legend(loc="lower right", fontsize=7)
    ticks = []
    for i, k in enumerate(ds.learner.values):
        for j, s in enumerate(("VR 5", YOKED)):
            pos = 2.4 * i + j
            ticks.append((pos, f"{s}\n{'SARSA' if k == 'sarsa' else 'avg. reward'}"))
            plot.bars(c, [pos], ds.response_rate_by_agent.sel(learner=k, schedule=s).expand_dims("bar"), "agent",
                      color=col[s], hatch="//" if k == "sarsa" else None, edgecolor="white")
    c.set_xticks([t for t, _ in ticks], [lab for _, lab in ticks], fontsize=7)
    c.set_xlabel("schedule, learner")
    c.set_ylabel("responses per step")
    c.set_title("Ratio vs yoked interval (same reinforcers)")
    for k in ds.learner.values:
        for s in ("CRF", "RR 0.3"):
            plot.band(d, ds.ext_step, ds.extinction_curve_by_agent.sel(learner=k, schedule=s), "agent", color=col[s],
                      ls=dash[k], label=f"{s}, {name[k]}")
    d.set_xlabel("step of extinction")
    d.set_ylabel("P(respond)")
    d.set_ylim(0, 1.02)
    d.set_title("Extinction (partial vs continuous)")
    d.legend(loc="upper right", fontsize=7)
    fig.suptitle(f"Reinforcement schedules — discounted SARSA vs the average-reward agent (Niv et al. 2007), "
                 f"response cost {COST}")
    plot.note(fig, f"Last {WINDOW} steps of acquisition (left three panels); {ds.sizes['agent']} agents per schedule "
                   f"and learner; extinction in bins of {EXT_BIN} steps. Error bars and bands: 95 % confidence interval "
                   "of the mean over agents.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "schedule": ("schedule of reinforcement", None),
    "lag": ("steps since the last reinforcer", "1"),
    "ext_step": ("step of extinction (centre of the bin)", "1"),
    "response_rate": ("responses per step", "1"),
    "reinforcement_rate": ("reinforcers per step", "1"),
    "pause": ("steps from a reinforcer to the next response", "1"),
    "p_respond_by_lag": ("P(respond) by steps since the last reinforcer", "1"),
    "extinction_curve": ("P(respond) in extinction", "1"),
    "fi_quarter_life": ("FI quarter-life: fraction of the interval elapsed at a quarter of its responses", "1"),
}
