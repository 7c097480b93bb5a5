"""Fiorillo, Tobler & Schultz (2003): dopamine neurons code reward probability — and the ramp for uncertain reward.

Design: five cues predict reward at 2 s with probability p = 0, .25, .5, .75
and 1 (cue on until the reward time), 300 trials each, randomly interleaved;
measurements from the last 250 trials.

Signatures (paper, Fig. 2-3): the CS response rises with p; the response to a
delivered reward falls with p (1 - p); the dip at an omitted reward deepens
with p (-p). And a sustained activation that ramps up between CS and reward,
largest at p = .5.

Model: TD(0) with a complete serial compound (alpha = 0.3, gamma = 1). TD
produces the first three directly. For the ramp, Niv, Duff & Dayan (2005):
trial-to-trial prediction errors at the reward time propagate back through the
delay period; in RPE units they average to zero at every time step (the
symmetric readout shows no ramp), but dopamine neurons code negative errors
with a much smaller gain (Bayer & Glimcher 2005; here the default readout, 20
vs 4 Hz per unit), so averaged firing rises towards the reward, most for
p = .5, where errors are largest. Both readouts are shown.

References: Fiorillo, C. D., Tobler, P. N. & Schultz, W. (2003). Discrete coding
of reward probability and uncertainty by dopamine neurons. Science
299:1898-1902. Niv, Y., Duff, M. O. & Dayan, P. (2005). Dopamine, uncertainty and
TD learning. Behav Brain Funct 1:6.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .. import neurons
from ..models import TD
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "fiorillo2003_probability"
CITATION = ("Fiorillo, Tobler & Schultz (2003). Discrete coding of reward probability and uncertainty by "
            "dopamine neurons. Science 299:1898-1902")
PROBS = (0.0, 0.25, 0.5, 0.75, 1.0)
US_TIME = 2.0
PARAMS = {"alpha": 0.3, "gamma": 1.0, "lam": 0.0}
LATE_WINDOW = (1.5, 2.0)  # s: the last 500 ms before the reward
EARLY_WINDOW = (0.3, 0.8)


def _label(p: float) -> str:
    return f"p={p:g}"


def design() -> PavlovianDesign:
    tts = [TrialType(_label(p), cues=[Cue(f"cs_{p:g}", duration=US_TIME)], us_time=US_TIME, probability=p)
           for p in PROBS]
    return PavlovianDesign(tts, [Phase("training", {t.name: 300 for t in tts}, order="random")],
                           dt=0.1, window=(-0.5, 2.5), name=NAME)


def _spearman(x) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(np.arange(len(x)), x).statistic)


@register(NAME, "Reward probability: CS and reward responses, omission dip, and the uncertainty ramp", CITATION,
          default_agents=200, topic="dopamine RPE")
def run(n_agents: int = 200, seed: int = 0) -> ExperimentResult:
    sims = {}
    sim = single(simulate(design(), TD(), PARAMS, n_agents=n_agents, seed=seed))
    sims["TD(0)"] = sim
    late = sim.trial > sim.sizes["trial"] - 250
    rate = neurons.firing_rate(sim.rpe, latency=0.0)
    baseline = rate.attrs["baseline_rate"]
    prob = xr.DataArray(list(PROBS), dims="probability", name="probability")
    rows = {k: [] for k in ("cs", "reward", "omission", "rpe", "rate")}
    by_agent = {k: [] for k in rows}  # each agent's own mean, for the figure's confidence intervals
    for p in PROBS:
        m = (sim.trial_type == _label(p)) & late
        rows["cs"].append(float(sim.rpe_cs.where(m).mean()))
        rows["reward"].append(float(sim.rpe_us.where(m & (sim.reward > 0)).mean()))
        rows["omission"].append(float(sim.rpe_us.where(m & (sim.reward == 0)).mean()))
        rows["rpe"].append(sim.rpe.where(m).mean(["agent", "trial"]))
        rows["rate"].append(rate.where(m).mean(["agent", "trial"]))
        by_agent["cs"].append(sim.rpe_cs.where(m).mean("trial"))
        by_agent["reward"].append(sim.rpe_us.where(m & (sim.reward > 0)).mean("trial"))
        by_agent["omission"].append(sim.rpe_us.where(m & (sim.reward == 0)).mean("trial"))
        by_agent["rpe"].append(sim.rpe.where(m).mean("trial"))
        by_agent["rate"].append(rate.where(m).mean("trial"))
    ds = xr.Dataset({
        "cs_response": ("probability", rows["cs"]),
        "reward_response": ("probability", rows["reward"]),
        "omission_response": ("probability", rows["omission"]),
        "rpe": xr.concat(rows["rpe"], prob).drop_vars("phase", errors="ignore"),
        "firing_rate": xr.concat(rows["rate"], prob).drop_vars("phase", errors="ignore"),
    }, coords={"probability": list(PROBS)},
        attrs={"us_time": US_TIME, "baseline_rate": baseline,
               **{f"param_{k}": v for k, v in PARAMS.items()}})

    for key, var, long_name, units in (
            ("cs", "cs_response_by_agent", "RPE at CS onset, each agent's mean over its last trials", "a.u."),
            ("reward", "reward_response_by_agent", "RPE at a delivered reward, each agent's mean", "a.u."),
            ("omission", "omission_response_by_agent", "RPE at an omitted reward, each agent's mean", "a.u."),
            ("rpe", "rpe_by_agent", "RPE over the trial, each agent's mean", "a.u."),
            ("rate", "firing_rate_by_agent", "firing rate over the trial, each agent's mean", "Hz")):
        ds[var] = xr.concat(by_agent[key], prob).drop_vars("phase", errors="ignore").assign_attrs(
            long_name=long_name, units=units)
    for var, units in (("cs_response", "a.u."), ("reward_response", "a.u."), ("omission_response", "a.u."),
                       ("rpe", "a.u."), ("firing_rate", "Hz")):
        ds[var].attrs.setdefault("units", units)

    def window(var, w):
        return ds[var].sel(time=slice(w[0] - 1e-9, w[1] - 1e-9)).mean("time")

    ramp_rate = window("firing_rate", LATE_WINDOW) - baseline
    early_rate = window("firing_rate", EARLY_WINDOW) - baseline
    ramp_rpe = window("rpe", LATE_WINDOW)
    ds["ramp_firing"] = ramp_rate.assign_attrs(units="Hz", long_name="mean firing 1.5-2 s minus baseline")
    ds["ramp_rpe"] = ramp_rpe.assign_attrs(long_name="mean RPE 1.5-2 s")
    mid = ramp_rate.sel(probability=0.5)
    uncertain = ramp_rate.sel(probability=[0.25, 0.75]).max()
    tdm = "TD(0)"
    checks = [
        Check("cs_rises_with_p", "Spearman correlation of the CS response with p", _spearman(rows["cs"]), ">",
              0.99, model=tdm, kind="direction"),
        Check("cs_tracks_p", "max |CS response - p|", float(np.max(np.abs(np.array(rows["cs"]) - PROBS))), "<",
              0.05, model=tdm, kind="property"),
        Check("reward_falls_with_p", "Spearman correlation of the reward response with p (p > 0)",
              _spearman(rows["reward"][1:]), "<", -0.99, model=tdm, kind="direction"),
        Check("omission_deepens_with_p", "Spearman correlation of the omission response with p (p < 1)",
              _spearman(rows["omission"][:-1]), "<", -0.99, model=tdm, kind="direction"),
        Check("ramp_peaks_at_half", "late-delay firing at p = .5 minus the larger of p = .25, .75",
              float(mid - uncertain), ">", 0.0, unit="Hz", model="TD(0) + asymmetric readout", kind="direction",
              claim="interval"),
        Check("ramp_rises", "late-delay minus early-delay firing at p = .5",
              float(mid - early_rate.sel(probability=0.5)), ">", 0.1, unit="Hz", model="TD(0) + asymmetric readout", kind="direction"),
        Check("ramp_in_rpe", "mean RPE in the late delay at p = .5 (errors average to zero: no ramp)",
              float(ramp_rpe.sel(probability=0.5)), ">", 0.02, expected_failure=True,
              model="TD(0) + symmetric readout", kind="direction"),
    ]
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, representation="CSC",
                                                                                readout="default (20/4 Hz)"), sims=sims)


def figure(ds: xr.Dataset):
    """(a) CS, reward and omission responses against p; (b) mean RPE and (c) firing rate over
    the trial, full scale; (d) the delay period of (c) enlarged (its x range leaves out the CS
    and reward responses, so nothing is cut off). Mean over agents, 95 % CI."""
    from .. import plot
    from ..plot import mark_events, plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7.2), constrained_layout=True)
    (a, b), (c, d) = axes
    p = ds.probability.values
    for var, label, fmt, colour in (("cs_response_by_agent", "CS", "o-", plot.BLUE),
                                    ("reward_response_by_agent", "reward delivered", "s-", plot.GREEN),
                                    ("omission_response_by_agent", "reward omitted", "v-", plot.VERMILLION)):
        plot.errorbar(a, p, ds[var], "agent", fmt=fmt, color=colour, label=label)
    a.axhline(0, color=plot.GREY, lw=0.6)
    a.set_xlabel("reward probability p")
    a.set_ylabel("RPE (a.u.)")
    a.set_title("(a) Responses code p: CS ∝ p, reward ∝ 1 − p, omission ∝ −p", pad=14)
    a.legend()
    colours = plot.ordered(len(p))
    us = ds.attrs["us_time"]
    zoom = (EARLY_WINDOW[0] - 0.05, LATE_WINDOW[1] - 0.05)
    for pv, colour in zip(p, colours):
        plot.band(b, ds.time, ds.rpe_by_agent.sel(probability=pv), "agent", color=colour, label=f"p = {pv:g}")
        plot.band(c, ds.time, ds.firing_rate_by_agent.sel(probability=pv), "agent", color=colour,
                  label=f"p = {pv:g}")
        inside = ds.firing_rate_by_agent.sel(probability=pv, time=slice(*zoom))
        # p and 1 - p ramp alike (the error variance is p(1 - p)): dashes keep both in view
        plot.band(d, inside.time, inside, "agent", color=colour, label=f"p = {pv:g}" + (" (dashed)" if pv > 0.5 else ""),
                  **({"ls": (0, (4, 2)), "lw": 2.2} if pv > 0.5 else {}))
    b.set_ylabel("RPE (a.u.)")
    b.set_title("(b) Mean RPE (symmetric readout): no ramp", pad=14)
    c.set_ylabel("firing rate (Hz)")
    c.set_title("(c) Firing (dips 5× shallower than bursts)", pad=14)
    c.axvspan(*zoom, color="0.92", zorder=0, lw=0)
    c.annotate("enlarged in (d)", ((zoom[0] + zoom[1]) / 2, 0.62), xycoords=("data", "axes fraction"), ha="center",
               fontsize=8, color="0.3")
    for ax in (b, c):
        mark_events(ax, {"CS": 0.0, "R": us})
        ax.axhline(0 if ax is b else ds.attrs["baseline_rate"], color=plot.GREY, lw=0.6, ls=":")
    d.axhline(ds.attrs["baseline_rate"], color=plot.GREY, lw=0.8, ls=":", label="baseline")
    d.axvspan(*LATE_WINDOW, color="0.92", zorder=0, lw=0)
    d.annotate("ramp window", (sum(LATE_WINDOW) / 2, 0.97), xycoords=("data", "axes fraction"), ha="center",
               va="top", fontsize=8, color="0.3")
    d.set_ylabel("firing rate (Hz)")
    d.set_title("(d) Delay period of (c), enlarged: the ramp peaks at p = .5", pad=14)
    for ax in (b, c, d):
        ax.set_xlabel("time from CS onset (s)")
    b.legend(fontsize=7.5, loc="upper right")
    d.legend(fontsize=7.5, loc="upper left")
    fig.suptitle("Fiorillo, Tobler & Schultz (2003); the ramp as in Niv, Duff & Dayan (2005) — TD(0), CSC")
    plot.note(fig, f"Mean over {ds.sizes['agent']} agents of each agent's last 250 trials; error bars and bands: "
                   "95 % confidence interval of the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "probability": ("probability of reward after the cue", "1"),
    "cs_response": ("RPE at CS onset, mean over agents' last trials", "1", RN),
    "reward_response": ("RPE at a delivered reward, mean over agents", "1", RN),
    "omission_response": ("RPE at an omitted reward, mean over agents", "1", RN),
}
