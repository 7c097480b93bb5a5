"""Kobayashi & Schultz (2008): the dopamine response to a cue falls with the delay to reward.

Design: four cues, each followed by reward after its own delay D = 2, 4, 8 or
16 s (0.5-s steps), 200 trials each, randomly interleaved. The CS response is
the RPE at cue onset, averaged over the last 100 trials.

Models: TD(0.9) with a complete serial compound (alpha = 0.3). With one
discount factor gamma per step, the learned CS response is exactly gamma^D
(D in steps): exponential decay. With a population of learners whose gamma is
spread uniformly on [0, 1] (here 200 values at the midpoints of equal bins,
the parameter sweep of one simulate call), the mean response is
integral_0^1 gamma^D dgamma = 1/(1 + D): hyperbolic decay, the discounting that
Kobayashi & Schultz reported in the recordings (Kurth-Nelson & Redish 2009
proposed this population account). With imprecise timing (microstimuli,
trace time constant 4 s) the reward itself is predicted less well at long
delays, so the response to the reward grows with delay, as recorded.

References: Kobayashi, S. & Schultz, W. (2008). Influence of reward delays on
responses of dopamine neurons. J Neurosci 28:7837-7846. Kurth-Nelson, Z. &
Redish, A. D. (2009). Temporal-difference reinforcement learning with
distributed representations. PLoS One 4:e7362.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..models import TD
from ..representations import Microstimulus
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "kobayashi2008_delay"
CITATION = ("Kobayashi & Schultz (2008). Influence of reward delays on responses of dopamine neurons. "
            "J Neurosci 28:7837-7846")
DELAYS = (2, 4, 8, 16)  # s
DT = 0.5
GAMMA_SINGLE = 0.9
N_GAMMA = 200


def design() -> PavlovianDesign:
    tts = [TrialType(f"delay_{D}s", cues=[Cue(f"cs_{D}s", duration=float(D))], us_time=float(D)) for D in DELAYS]
    return PavlovianDesign(tts, [Phase("training", {t.name: 200 for t in tts}, order="random")],
                           dt=DT, window=(-1.0, max(DELAYS) + 1.0), name=NAME)


def _late_mean(ds, var, over=("agent", "trial")):
    late = ds.trial > ds.sizes["trial"] - 400
    return xr.concat([ds[var].where((ds.trial_type == f"delay_{D}s") & late).mean(list(over))
                      for D in DELAYS], dim=xr.DataArray(list(DELAYS), dims="delay", name="delay"))


@register(NAME, "CS response falls with delay: exponential for one γ, hyperbolic for a population", CITATION,
          default_agents=1, topic="dopamine RPE")
def run(n_agents: int = 1, seed: int = 0) -> ExperimentResult:
    sims = {}
    d = design()
    gammas = (np.arange(N_GAMMA) + 0.5) / N_GAMMA
    pop = simulate(d, TD(), {"alpha": 0.3, "gamma": gammas, "lam": 0.9}, n_agents=n_agents, seed=seed,
                   record="trials")
    sims["population of gammas"] = pop
    one_gamma = single(simulate(d, TD(), {"alpha": 0.3, "gamma": GAMMA_SINGLE, "lam": 0.9}, n_agents=n_agents, seed=seed,
                      record="trials"))
    sims["one gamma"] = one_gamma
    ms = single(simulate(d, TD(), {"alpha": 0.1, "gamma": 0.98, "lam": 0.9}, representation=Microstimulus(tau=4.0),
                  n_agents=max(n_agents, 5), seed=seed, record="trials"))
    sims["microstimuli"] = ms
    steps = np.asarray(DELAYS) / DT
    cs_pop = _late_mean(pop, "rpe_cs").mean("param_set")
    cs_single = _late_mean(one_gamma, "rpe_cs")
    us_ms, cs_ms = _late_mean(ms, "rpe_us"), _late_mean(ms, "rpe_cs")
    hyperbola = 1.0 / (1.0 + steps)
    slope, intercept = np.polyfit(steps, np.log(cs_single.values), 1)
    p_slope, p_int = np.polyfit(steps, np.log(cs_pop.values), 1)
    exp_fit_pop = np.exp(p_int + p_slope * steps)
    checks = [
        Check("single_gamma_exponential", "|fitted log-slope per step - log(gamma)| for gamma = 0.9",
              abs(slope - np.log(GAMMA_SINGLE)), "<", 0.005, model="TD(0.9), one γ", kind="property"),
        Check("population_hyperbolic", "max |mean CS response - 1/(1 + D)| over delays (D in steps)",
              float(np.abs(cs_pop.values - hyperbola).max()), "<", 0.005, model="TD(0.9), γ ~ U[0, 1]", kind="property"),
        Check("population_not_exponential", "max relative error of the best exponential fit to the population",
              float(np.max(np.abs(exp_fit_pop - cs_pop.values) / cs_pop.values)), ">", 0.1,
              model="TD(0.9), γ ~ U[0, 1]", kind="property"),
        Check("cs_response_falls", "CS response at 16 s / at 2 s (microstimuli)",
              float(cs_ms.values[-1] / cs_ms.values[0]), "<", 0.9, model="TD(0.9), microstimuli", kind="direction"),
        Check("reward_response_grows", "RPE to the reward at 16 s minus at 2 s (imprecise timing)",
              float(us_ms.values[-1] - us_ms.values[0]), ">", 0.1, model="TD(0.9), microstimuli", kind="direction"),
    ]
    ds = xr.Dataset({
        "cs_response_single_gamma": cs_single, "cs_response_population": cs_pop,
        "hyperbola": ("delay", hyperbola), "cs_response_microstimuli": cs_ms, "us_response_microstimuli": us_ms,
        "cs_response_microstimuli_by_agent": _late_mean(ms, "rpe_cs", ["trial"]).assign_attrs(
            long_name="RPE at CS onset, microstimuli, each agent's mean over its last trials", units="a.u."),
        "us_response_microstimuli_by_agent": _late_mean(ms, "rpe_us", ["trial"]).assign_attrs(
            long_name="RPE at the reward, microstimuli, each agent's mean over its last trials", units="a.u."),
    }, attrs={"dt": DT, "gamma_single": GAMMA_SINGLE, "n_gamma": N_GAMMA, "n_agents_microstimuli": ms.sizes["agent"],
              "n_agents_csc": one_gamma.sizes["agent"]})
    ds["delay"].attrs["units"] = "s"
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds),
                            params={"alpha": 0.3, "lam": 0.9, "gamma (single)": GAMMA_SINGLE,
                                    "gamma (population)": f"{N_GAMMA} values uniform on (0, 1)", "dt": DT,
                                    "microstimulus tau": 4.0}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    D = ds.delay.values
    fine = np.linspace(D.min(), D.max(), 200)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.3), constrained_layout=True)
    a.plot(D, ds.cs_response_single_gamma, "o", color=plot.BLUE, label="one γ = 0.9 per step")
    a.plot(fine, ds.attrs["gamma_single"] ** (fine / ds.attrs["dt"]), color=plot.BLUE, lw=1, label="γ^(D/dt)")
    a.plot(D, ds.cs_response_population, "s", color=plot.VERMILLION,
           label=f"population of {ds.attrs['n_gamma']}, γ ~ U[0, 1]")
    a.plot(fine, 1 / (1 + fine / ds.attrs["dt"]), color=plot.VERMILLION, lw=1, label="1 / (1 + D/dt)")
    a.set_xlabel("CS–reward delay D (s)")
    a.set_ylabel("RPE at CS onset (a.u., log scale)")
    a.set_yscale("log")
    a.set_title("CS response: exponential vs hyperbolic (CSC)")
    a.legend(loc="upper right")
    plot.errorbar(b, D, ds.cs_response_microstimuli_by_agent, "agent", fmt="o-", color=plot.BLUE, label="at CS onset")
    plot.errorbar(b, D, ds.us_response_microstimuli_by_agent, "agent", fmt="s-", color=plot.GREEN, label="at reward")
    b.set_xlabel("CS–reward delay D (s)")
    b.set_ylabel("RPE (a.u.)")
    b.set_title("Microstimuli: the reward is less predicted at long delays")
    b.legend(loc="center right")
    fig.suptitle("Kobayashi & Schultz (2008): reward delay and the dopamine response — TD(0.9)")
    plot.note(fig, f"Last 400 trials. Left: {ds.attrs['n_agents_csc']} agent(s), exact curves as lines. Right: mean over "
                   f"{ds.attrs['n_agents_microstimuli']} agents, error bars 95 % confidence interval of the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "delay": ("delay from cue onset to reward", "s"),
    "hyperbola": ("hyperbolic fit 1/(1 + k D) to the population's CS response", "1", RN),
}
