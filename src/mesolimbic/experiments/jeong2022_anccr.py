"""Jeong et al. (2022): unpredicted background rewards lower the dopamine cue response faster than extinction does — in this task neither CSC TD nor ANCCR gives this ordering (ANCCR does on the authors' own simulation design; see below).

Design: a cue is followed 3 s after its onset by a reward (magnitude 1);
inter-trial intervals (cue onset after the previous reward) are exponential with
mean 30 s, capped at 90 s, drawn anew for every agent (the task of the reference
simulations, ``simulateEvents`` with ``meanITI`` 30). 300 conditioning trials,
then 150 trials of one of three continuations, each a separate group of
agents: *control* (pairing goes on), *background rewards* (pairing goes on and
unpredicted rewards arrive in the inter-trial interval as a Poisson process with
mean interval 12 s, kept out of the cue–reward interval: contingency
degradation) and *extinction* (the cue, no reward).

Models: :class:`mesolimbic.models.ANCCR` on each agent's event log (cue and
reward as events in continuous time; defaults of the reference scripts, alpha
0.02, alpha_R 0.2, w 0.5, threshold 0.6, T = 1.2 times the mean inter-reward
interval of conditioning, 38 s) and TD(lambda) over a complete serial compound
(:class:`mesolimbic.models.TD`, alpha 0.1, gamma 0.98 per 0.1 s step, lambda 0.9 so
that 300 trials bring the cue response to its asymptote) through
``simulate`` on the same trials as a :class:`~mesolimbic.tasks.PavlovianDesign`:
the background rewards are trials without a cue, interleaved with the cue
trials. The cue response is the model's dopamine signal at the cue (ANCCR's DA
at the cue event; TD's error at cue onset), divided by each agent's mean over
the last 50 conditioning trials.

Signatures (Jeong et al. 2022, Fig. 4 and its analysis script
``cumsum_bgdrw_vs_extinction.m``): after conditioning, background rewards
reduce the dopamine cue response, and they reduce it faster than extinction
does (normalised cumulative cue response over the session lower with background
rewards than in extinction). ANCCR: a reward that no cue preceded lowers the
cue's predecessor contingency at once, while in extinction nothing updates the
predecessor representation (no reward arrives), so only the successor part
fades. CSC TD: the background rewards fall in the inter-trial state, whose value
is 0 by construction, so the cue's weights never see them; extinction removes
the cue's value trial by trial.

What the checks found (20 agents, seeds 0-3): CSC TD keeps its cue response
with background rewards (1.00 of the end of conditioning) and loses it in
extinction (0.26), as expected. ANCCR (checked against a literal transcription
of the authors' ``calculateANCCR.m`` loop to 1e-5, ``tests/test_anccr.py``)
keeps it too with background rewards (0.95-1.07) and loses about half in
extinction (0.49-0.59). This is a property of *this task*, not of ANCCR: the
authors' own simulation of the test (``simulation/figS10/
cuerewlearning_experiment.m``, background-reward case) differs in the task and
in T. There the cue-reward delay is 9 s with 3 s after the reward, a CS-
(never rewarded) is interleaved 1:1 with the CS+, background rewards come every
6 s on average but never within 6 s before a cue or 12 s after one, a session of
1000 random rewards precedes conditioning, each phase has 2000 CS+ trials, and
T is a per-event vector, 1.2 times each phase's mean inter-reward interval
(``simulateEvents``' IRI: 84 s in conditioning, 84/9 = 9.3 s with background
rewards). Run on that design (prototype, 4 agents), ANCCR's CS+ response over
the 2000 background-reward trials is 0.54-0.63 of the end of conditioning (0.0
if T is held at its conditioning value), after a transient rise over the first
~50 trials (to 0.8-3.5) caused by the abrupt fall of T: the cue's baseline
trace shrinks within seconds while M(cue<-reward), learned at rate 0.02 per
reward, still holds the long-T value, so PRC jumps. In this design (3 s delay,
background rewards every 12 s, no CS-, 150 test trials), the reference's T
rule (T falls from 39.6 s to 11.3 s) makes the cue response *rise* (2.0-2.5 over
the 150 test trials, 1.7 over 1500), and T fixed leaves it unchanged: the added
rewards lower the predecessor contingency, but they also raise the reward's
baseline, and SRC = PRC times the ratio of the reward's baseline to the cue's,
so the net contingency barely moves. The task is kept here (and both signatures
stay expected failures for ANCCR); moving it to the reference's figS10 design
is the open step. ANCCR's omission state, which the reference turns on in its
extinction case, is not implemented, so the extinction arm is not the
reference's either.

References: Jeong, H., Taylor, A., Floeder, J. R., Lohmann, M., Mihalas, S.,
Wu, B., Zhou, M., Burke, D. A. & Namboodiri, V. M. K. (2022). Mesolimbic
dopamine release conveys causal associations. Science 378:eabq6740. Qian, L. et
al. (2025). Prospective contingency explains behavior and dopamine signals
during associative learning. Nat Neurosci (TD with a learned inter-trial state
also shows the degradation effect; not the CSC TD used here).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..models import ANCCR, TD, EventLog
from ..results import single
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from .registry import Check, ExperimentResult, register

NAME = "jeong2022_anccr"
CITATION = ("Jeong, Taylor, Floeder, Lohmann, Mihalas, Wu, Zhou, Burke & Namboodiri (2022). Mesolimbic dopamine "
            "release conveys causal associations. Science 378:eabq6740")
N_COND, N_TEST, N_PRE = 300, 150, 50
DELAY, MEAN_ITI, MAX_ITI, BG_INTERVAL = 3.0, 30.0, 90.0, 12.0
GROUPS = ("control", "background rewards", "extinction")
ANCCR_LABEL, TD_LABEL = "ANCCR", "TD(λ), CSC"
MODELS = (ANCCR_LABEL, TD_LABEL)
TD_PARAMS = {"alpha": 0.1, "gamma": 0.98, "lam": 0.9}
DT = 0.1
#: T: 1.2 times the mean inter-reward interval of conditioning (the reference scripts' ``Tratio``)
T_CONST = 1.2 * (MEAN_ITI * (1 - np.exp(-MAX_ITI / MEAN_ITI)) + DELAY)
#: the end-of-test window (last 50 test trials) and the margin of the direction checks
LATE, MARGIN = 50, 0.1
WHY = {TD_LABEL: "CSC TD: background rewards fall in the inter-trial state (value 0, no features), so the cue's weights "
          "never see them and its response stays where conditioning left it, while extinction removes the cue's "
          "value trial by trial",
       ANCCR_LABEL: "ANCCR in this task (3 s delay, background rewards every 12 s, no CS-, T fixed): the added "
                    "rewards raise the reward's baseline trace, whose ratio to the cue's multiplies the successor "
                    "contingency and offsets the fall of the predecessor contingency, while in extinction only the "
                    "successor half fades; the reference's own simulation design (figS10, 9 s delay, background "
                    "rewards every 6 s, CS-, T per phase) does lower the cue response (0.54-0.63 over 2000 trials)"}


def _event_logs(group: str, n_agents: int, rng: np.random.Generator):
    """Each agent's events ``(kind, time, magnitude)`` (0 cue, 1 reward) and its cue times."""
    logs, cue_times = [], []
    for _ in range(n_agents):
        t, log, cues = 0.0, [], []
        for trial in range(N_COND + N_TEST):
            iti = rng.exponential(MEAN_ITI)
            if iti > MAX_ITI:
                iti = MAX_ITI
            test = trial >= N_COND
            if test and group == "background rewards":  # Poisson rewards in the ITI (not in the cue–reward interval)
                b = t + rng.exponential(BG_INTERVAL)
                while b < t + iti:
                    log.append((1, b, 1.0))
                    b += rng.exponential(BG_INTERVAL)
            t += iti
            log.append((0, t, 0.0))
            cues.append(len(log) - 1)
            if not (test and group == "extinction"):
                log.append((1, t + DELAY, 1.0))
            t += DELAY
        logs.append(log)
        cue_times.append(cues)
    return logs, np.asarray(cue_times)


def _anccr(n_agents: int, seed: int) -> dict[str, np.ndarray]:
    """ANCCR's cue response, ``[trial, agent]`` per group (all groups in one vmapped run)."""
    rng = np.random.default_rng(seed)
    logs, cues = [], []
    for g in GROUPS:
        lg, c = _event_logs(g, n_agents, rng)
        logs += lg
        cues.append(c)
    model = ANCCR(2, beta=[0.0, 1.0])
    da = model.run(model.params(T=T_CONST), EventLog.from_lists(logs))["da"]
    out = {}
    for i, g in enumerate(GROUPS):
        rows = da[i * n_agents:(i + 1) * n_agents]
        out[g] = np.take_along_axis(rows, cues[i], axis=1).T
    return out


def td_design(group: str) -> PavlovianDesign:
    tts = [TrialType("CS+", [Cue("cue", duration=DELAY)], us_time=DELAY),
           TrialType("CS-", [Cue("cue", duration=DELAY)], us_time=DELAY, probability=0.0),
           TrialType("background", [], us_time=1.0)]
    test = {"control": {"CS+": N_TEST}, "extinction": {"CS-": N_TEST},
            # the expected number of background rewards over the test (mean ITI / mean interval per trial)
            "background rewards": {"CS+": N_TEST, "background": int(round(N_TEST * MEAN_ITI / BG_INTERVAL))}}[group]
    return PavlovianDesign(tts, [Phase("conditioning", {"CS+": N_COND}), Phase("test", test, order="random")],
                           dt=DT, window=(-0.5, DELAY + 1.0), name=f"{NAME} {group}")


def _td(n_agents: int, seed: int) -> tuple[dict[str, np.ndarray], dict]:
    out, sims = {}, {}
    for g in GROUPS:
        sim = single(simulate(td_design(g), TD(), TD_PARAMS, n_agents=n_agents, seed=seed))
        sims[f"{TD_LABEL}, {g}"] = sim
        cue = sim.rpe.sel(time=0.0, method="nearest").where(sim.trial_type != "background")
        vals = cue.transpose("trial", "agent").values
        # keep the cue trials, in order (the background trials are interleaved in the test)
        out[g] = np.stack([v[np.isfinite(v)] for v in vals.T], axis=1)
    return out, sims


@register(NAME, "Background rewards vs extinction: the paper's faster fall of the cue response with "
          "background rewards, tested on ANCCR and CSC TD (neither gives it)", CITATION, default_agents=20, topic="dopamine RPE")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    raw = {ANCCR_LABEL: _anccr(n_agents, seed)}
    raw[TD_LABEL], sims = _td(n_agents, seed)
    # each agent's cue response relative to its mean over the last N_PRE conditioning trials
    norm = {m: {g: r / r[N_COND - N_PRE:N_COND].mean(0) for g, r in raw[m].items()} for m in MODELS}
    pre = {m: float(np.mean([raw[m][g][N_COND - N_PRE:N_COND].mean() for g in GROUPS])) for m in MODELS}
    late = {(m, g): norm[m][g][-LATE:].mean(0) for m in MODELS for g in GROUPS}  # [agent]
    whole = {(m, g): norm[m][g][N_COND:].mean(0) for m in MODELS for g in GROUPS}
    checks = []
    for m in MODELS:
        fail = True  # both models, as measured (see WHY); never tuned
        checks += [
            Check("background_rewards_lower_cue_response",
                  "mean cue response over the 150 test trials with background rewards, relative to the end of "
                  "conditioning (Jeong et al. Fig. 4: decreases)"
                  + (f" — expected failure: {WHY[m]}" if fail else ""),
                  float(whole[m, "background rewards"].mean()), "<", 1 - MARGIN, model=m, kind="direction",
                  expected_failure=fail),
            Check("background_faster_than_extinction",
                  "mean relative cue response over the 150 test trials, background rewards minus extinction "
                  "(Jeong et al. Fig. 4, cumulative cue response: lower with background rewards)"
                  + (f" — expected failure: {WHY[m]}" if fail else ""),
                  float((whole[m, "background rewards"] - whole[m, "extinction"]).mean()), "<", -MARGIN, model=m,
                  kind="direction", expected_failure=fail),
            Check("cue_response_acquired", "mean cue response over the last 50 conditioning trials (reward units)",
                  pre[m], ">", 0.2, model=m, kind="property"),
        ]
    n_tr = N_PRE + N_TEST
    trial = np.arange(-N_PRE, N_TEST) + 1
    ds = xr.Dataset({
        "cue_response": (("model", "group", "trial", "agent"),
                         [[norm[m][g][N_COND - N_PRE:N_COND + N_TEST] for g in GROUPS] for m in MODELS]),
        "cue_response_raw": (("model", "group", "trial", "agent"),
                             [[raw[m][g][N_COND - N_PRE:N_COND + N_TEST] for g in GROUPS] for m in MODELS]),
        "late_cue_response": (("model", "group", "agent"), [[late[m, g] for g in GROUPS] for m in MODELS]),
        "test_cue_response": (("model", "group", "agent"), [[whole[m, g] for g in GROUPS] for m in MODELS]),
    }, coords={"model": list(MODELS), "group": list(GROUPS), "trial": trial, "agent": np.arange(n_agents)},
        attrs={"T": T_CONST, "dt": DT, **{f"td_{k}": v for k, v in TD_PARAMS.items()}})
    assert ds.sizes["trial"] == n_tr
    params = dict(ANCCR(2, [0.0, 1.0]).params(T=T_CONST), td=TD_PARAMS, n_conditioning=N_COND, n_test=N_TEST,
                  delay=DELAY, mean_iti=MEAN_ITI, background_interval=BG_INTERVAL)
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=params, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    colours = {"control": plot.GREY, "background rewards": plot.BLUE, "extinction": plot.VERMILLION}
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), constrained_layout=True)
    for ax, m in zip(axes[:2], ds.model.values):
        for g in ds.group.values:
            plot.band(ax, ds.trial, ds.cue_response.sel(model=m, group=g), "agent", color=colours[g], label=g)
        ax.axvline(0.5, color=plot.GREY, ls=":", lw=1)
        ax.axhline(0, color=plot.GREY, lw=0.6)
        ax.set_xlabel("trial (0 = last conditioning trial)")
        ax.set_ylabel("cue response / end of conditioning")
        ax.set_title(f"{m}: dopamine at the cue")
        ax.legend(fontsize=7, loc="lower left")
    c = axes[2]
    width = 0.25
    for i, g in enumerate(ds.group.values):
        plot.bars(c, np.arange(ds.sizes["model"]) + (i - 1) * width, ds.test_cue_response.sel(group=g).transpose(
            "model", "agent"), "agent", width=width, color=colours[g], label=g)
    c.axhline(1, color=plot.GREY, ls=":", lw=1)
    c.set_xticks(np.arange(ds.sizes["model"]), ds.model.values)
    c.set_xlabel("model")
    c.set_ylabel("mean cue response over the test / end of conditioning")
    c.set_title("Test session (150 trials)")
    c.legend(fontsize=7)
    fig.suptitle("Jeong et al. (2022): contingency degradation vs extinction, ANCCR and CSC TD")
    plot.note(fig, f"{ds.sizes['agent']} agents per group and model, each with its own inter-trial intervals and "
                   "background-reward times (TD: control and background rewards coincide). Bands and error bars: 95 % confidence interval of the mean over agents.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "model": ("model of the dopamine signal", None),
    "group": ("what follows conditioning (a separate group of agents each)", None),
    "trial": ("cue trial from the end of conditioning (1 = first test trial)", "1"),
    "agent": ("simulated subject", "1"),
    "cue_response": ("dopamine response to the cue relative to the agent's last 50 conditioning trials", "1"),
    "cue_response_raw": ("dopamine response to the cue (ANCCR's DA, TD's error at cue onset)", "1",
                         "arbitrary: the model's reward units (a reward of magnitude 1 is 1)"),
    "late_cue_response": ("relative cue response, mean over the last 50 test trials", "1"),
    "test_cue_response": ("relative cue response, mean over the 150 test trials", "1"),
}
