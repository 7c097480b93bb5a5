"""Starkweather et al. (2017): with variable reward timing, the RPE at reward falls with delay when reward is certain and rises when it may be omitted — belief-state TD does both, CSC TD does not.

Design: an odour (1 s) predicts a reward 1.2-2.8 s after its onset (nine
delays 0.2 s apart, Gaussian-weighted around 2 s, sd 0.5 s). Task 1: reward on
every trial (100 %); task 2: on 90 % of trials (10 % omissions, the delay
drawn as before). 1,500 trials per task, interleaved delays; each task a
separate group of agents; measured on rewarded trials of the last half.

Models, each TD(0) (alpha 0.1, gamma 0.98 per 0.1 s step):
belief-state TD (:class:`mesolimbic.models.BeliefTD`; Daw, Courville &
Touretzky 2006), whose state is the posterior over "in the interval, reward to
come" and "omission trial, nothing will come", given the task's delay
distribution and reward probability; and TD over a complete serial compound,
with the package's default delay line (running to the end of the trial) and
with the trial state reset at the reward (``reset_after_us``).

Signatures (Starkweather et al. 2017): in task 1 the dopamine
response to reward decreases with delay (the reward's hazard rises); in task 2
it increases (waiting without reward makes an omission trial more likely, so a
late reward is more surprising). Measured as the mean RPE at the three latest
delays minus the three earliest, with a 0.05 margin (5 % of the reward).

References: Starkweather, C. K., Babayan, B. M., Uchida, N. & Gershman, S. J.
(2017). Dopamine reward prediction errors reflect hidden-state inference across
time. Nat Neurosci 20:581-589. Daw, N. D., Courville, A. C. & Touretzky, D. S.
(2006). Representation and timing in theories of the dopamine system. Neural
Comput 18:1637-1677.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..models import TD, BeliefTD
from ..representations import CSC
from ..results import single
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "starkweather2017_belief_state"
CITATION = ("Starkweather, Babayan, Uchida & Gershman (2017). Dopamine reward prediction errors reflect hidden-state "
            "inference across time. Nat Neurosci 20:581-589")
DELAYS = np.round(np.arange(1.2, 2.81, 0.2), 1)
PROBS = np.exp(-(DELAYS - 2.0) ** 2 / (2 * 0.5 ** 2))
PROBS = PROBS / PROBS.sum()
TASKS = {"100 %": 1.0, "90 %": 0.9}
DT = 0.1
N_TRIALS = 1500
PARAMS = {"alpha": 0.1, "gamma": 0.98}
MARGIN = 0.05
BELIEF, CSC_TD, CSC_RESET = "belief-state TD", "TD, CSC", "TD, CSC reset at reward"
WHY = {
    CSC_TD: "the delay line keeps running after the reward, so the value at each time averages trials already "
            "rewarded; the RPE at reward is then about 1 minus the chance of reward at that moment — smallest at the "
            "most likely delay, U-shaped, with no trend",
    CSC_RESET: "its states are the elapsed time, and the reward step still counts as the interval state for that "
               "time, so the RPE at reward is about 1 minus the reward's hazard, which rises with delay in both tasks: "
               "nothing tells it that a long wait makes an omission trial likely",
}


def design(p_reward: float, reset: bool = False) -> PavlovianDesign:
    tts = [TrialType(f"d={d:g}", [Cue("odour", duration=1.0)], us_time=float(d), probability=p_reward,
                     reset_after_us=reset) for d in DELAYS]
    counts = {t.name: int(round(N_TRIALS * q)) for t, q in zip(tts, PROBS)}
    return PavlovianDesign(tts, [Phase("training", counts, order="random")], dt=DT, window=(-0.5, 4.0),
                           name=f"{NAME} {p_reward:.0%}")


def _rpe_by_delay(sim: xr.Dataset) -> xr.DataArray:
    """Each agent's mean RPE at reward for each delay: ``[delay, agent]``."""
    late = sim.trial > sim.sizes["trial"] // 2
    return xr.concat([sim.rpe.sel(time=d, method="nearest").where(
        (sim.trial_type == f"d={d:g}") & late & (sim.reward > 0)).mean("trial").drop_vars("time")
        for d in DELAYS], "delay")


@register(NAME, "Belief-state TD: RPE at reward falls with delay at 100 % reward and rises at 90 %; CSC TD cannot "
          "show the rise", CITATION, default_agents=30, topic="dopamine RPE")
def run(n_agents: int = 30, seed: int = 0) -> ExperimentResult:
    sims, rpe, rpe_agents = {}, {}, {}
    for task, p in TASKS.items():
        runs = {BELIEF: (design(p), BeliefTD(DELAYS, PROBS, p_reward=p, dt=DT), PARAMS, CSC()),
                CSC_TD: (design(p), TD(), dict(PARAMS, lam=0.0), None),
                CSC_RESET: (design(p, reset=True), TD(), dict(PARAMS, lam=0.0), None)}
        for label, (d, model, params, rep) in runs.items():
            sim = single(simulate(d, model, params, representation=rep, n_agents=n_agents, seed=seed))
            sims[f"{label}, {task}"] = sim
            by_agent = _rpe_by_delay(sim)
            rpe_agents[label, task] = by_agent
            # pooled over agents' rewarded trials (agents have different numbers of each delay)
            rpe[label, task] = by_agent.mean("agent").values
    checks = []
    trend = {k: float(v[-3:].mean() - v[:3].mean()) for k, v in rpe.items()}
    for label in (BELIEF, CSC_TD, CSC_RESET):
        fail_100 = label == CSC_TD
        fail_90 = label in (CSC_TD, CSC_RESET)
        checks += [
            Check("rpe_falls_with_delay_at_100", "task 1 (100 %): mean RPE at reward, three latest delays minus three "
                  "earliest (Starkweather et al.: decreases)" + (f" — expected failure: {WHY[label]}" if fail_100
                                                                  else ""),
                  trend[label, "100 %"], "<", -MARGIN, model=label, kind="direction", expected_failure=fail_100),
            Check("rpe_rises_with_delay_at_90", "task 2 (90 %): the same difference (Starkweather et al.: increases)"
                  + (f" — expected failure: {WHY[label]}" if fail_90 else ""),
                  trend[label, "90 %"], ">", MARGIN, model=label, kind="direction", expected_failure=fail_90),
        ]
    b90 = sims[f"{BELIEF}, 90 %"]
    late = b90.trial > b90.sizes["trial"] // 2
    om = (b90.reward == 0) & late
    belief = b90.belief_isi.where(om).mean(["agent", "trial"])
    drop = float(belief.sel(time=1.1, method="nearest") - belief.sel(time=2.9, method="nearest"))
    checks.append(Check("belief_shifts_to_omission", "belief in the interval state on omission trials, 1.1 s minus "
                        "2.9 s after the cue (task 2)", drop, ">", 0.5, model=BELIEF, kind="property"))
    labels = [BELIEF, CSC_TD, CSC_RESET]
    ds = xr.Dataset({
        "rpe_at_reward": (("model", "task", "delay"), [[rpe[m, t] for t in TASKS] for m in labels],
                          {"long_name": "RPE at reward (rewarded trials, last half)"}),
        "rpe_at_reward_by_agent": xr.concat([xr.concat([rpe_agents[m, t] for t in TASKS], "task") for m in labels],
                                            "model").drop_vars([c for c in ("phase",) if c in rpe_agents[BELIEF,
                                                                "100 %"].coords]).assign_attrs(
            long_name="RPE at reward, each agent's mean (rewarded trials, last half)"),
        "trend": (("model", "task"), [[trend[m, t] for t in TASKS] for m in labels],
                  {"long_name": "mean RPE at the 3 latest minus the 3 earliest delays"}),
        "delay_prob": ("delay", PROBS, {"long_name": "probability of each delay"}),
        "belief_isi_omission": belief.drop_vars("phase", errors="ignore").assign_attrs(
            long_name="belief in the interval state on omission trials (task 2, belief-state TD)"),
    }, coords={"model": labels, "task": list(TASKS), "delay": ("delay", DELAYS, {"units": "s"})},
        attrs={**{f"param_{k}": v for k, v in PARAMS.items()}, "dt": DT})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, dt=DT, n_trials=N_TRIALS),
                            sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    colours = {BELIEF: plot.BLUE, CSC_TD: plot.VERMILLION, CSC_RESET: plot.GREEN}
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), constrained_layout=True)
    for ax, task in zip(axes[:2], ds.task.values):
        for m in ds.model.values:
            plot.band(ax, ds.delay, ds.rpe_at_reward_by_agent.sel(model=m, task=task).transpose("delay", "agent"),
                      "agent", color=colours[m], marker="o", label=m)
        ax.set_xlabel("reward delay after odour onset (s)")
        ax.set_ylabel("RPE at reward")
        ax.set_title(f"Task {'1' if task == '100 %' else '2'}: reward on {task} of trials")
        ax.legend(fontsize=7)
    c = axes[2]
    c.plot(ds.time, ds.belief_isi_omission, color=colours[BELIEF])
    c2 = c.twinx()
    c2.bar(ds.delay, ds.delay_prob, width=0.12, color=plot.GREY, alpha=0.35)
    c2.set_ylabel("P(delay)")
    c2.spines["right"].set_visible(True)
    c.set_zorder(c2.get_zorder() + 1)
    c.patch.set_visible(False)
    c.set_xlabel("time from odour onset (s)")
    c.set_ylabel("belief: reward still to come")
    c.set_title("Task 2, omission trials: belief drains as time passes")
    fig.suptitle("Starkweather et al. (2017): belief-state TD vs complete-serial-compound TD")
    plot.note(fig, f"Rewarded trials of the last half; {ds.sizes['agent']} agents per task and model. Bands: 95 % "
                   "confidence interval of the mean over agents.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "task": ("task (reward always delivered, or sometimes omitted)", None),
    "delay": ("delay from cue onset to reward", "s"),
    "rpe_at_reward": ("RPE at reward (rewarded trials, last half)", "1", RN),
    "trend": ("mean RPE at the 3 latest minus the 3 earliest delays", "1", RN),
    "delay_prob": ("probability of each delay", "1"),
}
