"""Ludvig, Sutton & Kehoe (2008): with microstimuli, timing precision falls with the CS-US interval.

Design: four brief cues (0.2 s, trace conditioning) each predicting reward
after its own interval, 0.5, 1, 2 or 4 s (0.1-s steps); 300 training trials
each, then a probe phase with the trained trials (40 each) and omission probes
(5 each), randomly interleaved.

Signatures (model, compared with the recordings of reward-time coding, e.g.
Fiorillo, Newsome & Schultz 2008): as the interval grows, the dip at an
omitted reward becomes shallower and broader (spread in time), and the
residual response to the delivered reward grows — timing is scalar-like.

Models: TD(0.9) (alpha = 0.2, gamma = 0.98) with microstimuli (10 per cue,
sigma = 0.08, trace time constant 2 s, plus presence) against the same learner
with a complete serial compound, whose timing is exact at every interval. The
microstimulus code times even the 0.5-s interval coarsely here (a residual
reward response of about 0.7 at the end of training): the trend is the model's
claim, not the level. The residual is read on the last 100 training trials,
before the omission probes lower the predictions.

References: Ludvig, E. A., Sutton, R. S. & Kehoe, E. J. (2008). Stimulus
representation and the timing of reward-prediction errors in models of the
dopamine system. Neural Comput 20:3034-3054. Fiorillo, C. D., Newsome, W. T. &
Schultz, W. (2008). The temporal precision of reward prediction in dopamine
neurons. Nat Neurosci 11:966-973.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import spearmanr

from ..models import TD
from ..representations import CompleteSerialCompound, Microstimulus
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "ludvig2008_microstimulus"
CITATION = ("Ludvig, Sutton & Kehoe (2008). Stimulus representation and the timing of reward-prediction errors in "
            "models of the dopamine system. Neural Comput 20:3034-3054")
INTERVALS = (0.5, 1.0, 2.0, 4.0)
PARAMS = {"alpha": 0.2, "gamma": 0.98, "lam": 0.9}
REPS = {"TD(0.9), microstimuli": Microstimulus(tau=2.0), "TD(0.9), CSC": CompleteSerialCompound()}


def design() -> PavlovianDesign:
    tts = []
    for i in INTERVALS:
        cue = Cue(f"cs_{i:g}s", duration=0.2)
        tts += [TrialType(f"isi_{i:g}s", cues=[cue], us_time=i),
                TrialType(f"isi_{i:g}s_omitted", cues=[cue], us_time=i, probability=0.0)]
    return PavlovianDesign(tts, [
        Phase("training", {f"isi_{i:g}s": 300 for i in INTERVALS}, order="random"),
        Phase("probe", {**{f"isi_{i:g}s": 40 for i in INTERVALS},
                        **{f"isi_{i:g}s_omitted": 5 for i in INTERVALS}}, order="random"),
    ], dt=0.1, window=(-0.5, max(INTERVALS) + 1.5), name=NAME)


def _rho(y) -> float:
    return float(spearmanr(np.arange(len(y)), y).statistic)


@register(NAME, "Microstimuli: omission dips get shallower and broader with the interval", CITATION,
          default_agents=20, topic="dopamine RPE")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    sims = {}
    d = design()
    interval = xr.DataArray(list(INTERVALS), dims="interval", name="interval", attrs={"units": "s"})
    out, checks = {}, []
    for label, rep in REPS.items():
        sim = single(simulate(d, TD(), PARAMS, representation=rep, n_agents=n_agents, seed=seed))
        sims[label] = sim
        probe = sim.phase == "probe"
        t = sim.time.values
        omitted = xr.concat([sim.rpe.where(probe & (sim.trial_type == f"isi_{i:g}s_omitted")).mean(["agent", "trial"])
                             for i in INTERVALS], interval).drop_vars("phase", errors="ignore")
        omitted_agents = xr.concat([sim.rpe.where(probe & (sim.trial_type == f"isi_{i:g}s_omitted")).mean("trial")
                                    for i in INTERVALS], interval).drop_vars("phase", errors="ignore")
        # residual reward response at the end of training (before the omission probes lower predictions)
        late = (sim.phase == "training") & (sim.trial > int((sim.phase == "training").sum()) - 100)
        residual = np.array([float(sim.rpe_us.where(late & (sim.trial_type == f"isi_{i:g}s")).mean())
                             for i in INTERVALS])
        neg = np.where(t > 0.25, np.maximum(-omitted.values, 0.0), 0.0)  # negative RPE mass after the cue
        centre = (neg * t).sum(1) / neg.sum(1)
        spread = np.sqrt((neg * (t - centre[:, None]) ** 2).sum(1) / neg.sum(1))
        depth = -omitted.values.min(1)
        out[label] = (omitted, residual, spread, depth, omitted_agents)
        if "microstimuli" in label:
            checks += [
                Check("dip_shallower", "Spearman correlation of the omission-dip depth with the interval",
                      _rho(depth), "<", -0.99, model=label, kind="direction"),
                Check("dip_broader", "Spearman correlation of the dip's spread in time with the interval",
                      _rho(spread), ">", 0.99, model=label, kind="direction"),
                Check("residual_reward_grows", "Spearman correlation of the residual reward RPE with the interval",
                      _rho(residual), ">", 0.99, model=label, kind="direction"),
                Check("spread_ratio", "dip spread at 4 s / at 0.5 s", float(spread[-1] / spread[0]), ">", 1.5,
                      model=label, kind="direction"),
            ]
        else:
            checks += [
                Check("exact_timing", "max residual reward RPE over intervals (exact timing, no interval effect)",
                      float(np.abs(residual).max()), "<", 0.05, model=label, kind="property"),
                Check("dip_keeps_depth", "omission-dip depth at 4 s / at 0.5 s (no loss of precision)",
                      float(depth[-1] / depth[0]), ">", 0.8, model=label, kind="property"),
            ]
    labels = xr.DataArray(list(REPS), dims="model")
    ds = xr.Dataset({
        "omission_rpe": xr.concat([out[k][0] for k in REPS], labels).assign_attrs(
            long_name="RPE on omission probes, mean over agents", units="a.u."),
        "omission_rpe_by_agent": xr.concat([out[k][4] for k in REPS], labels).assign_attrs(
            long_name="RPE on omission probes, each agent's mean", units="a.u."),
        "residual_reward_rpe": (("model", "interval"), np.stack([out[k][1] for k in REPS])),
        "dip_spread": (("model", "interval"), np.stack([out[k][2] for k in REPS]), {"units": "s"}),
        "dip_depth": (("model", "interval"), np.stack([out[k][3] for k in REPS])),
    }, coords={"interval": interval}, attrs={"n_agents": n_agents,
                                             **{f"param_{k}": v for k, v in PARAMS.items()}})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds),
                            params=dict(PARAMS, microstimuli="n=10, sigma=0.08, tau=2 s, presence"), sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7), constrained_layout=True)
    colours = plot.ordered(ds.sizes["interval"])
    for j, m in enumerate(ds.model.values):
        ax = axes[0, j]
        for k, i in enumerate(ds.interval.values):
            plot.band(ax, ds.time, ds.omission_rpe_by_agent.sel(model=m, interval=i), "agent", color=colours[k],
                      label=f"{i:g} s")
            ax.axvline(i, color=colours[k], lw=0.8, ls=":")
        ax.axhline(0, color=plot.GREY, lw=0.6)
        ax.set_title(f"{m}: omission probes")
        ax.set_xlabel("time from CS onset (s)")
        ax.set_ylabel("RPE (a.u.)")
        ax.legend(title="interval (dotted: when\nthe reward was due)", loc="upper right")
    c, d = axes[1]
    for m, fmt, colour in zip(ds.model.values, ("o-", "s--"), (plot.BLUE, plot.VERMILLION)):
        c.plot(ds.interval, ds.dip_spread.sel(model=m), fmt, color=colour, label=str(m))
        d.plot(ds.interval, ds.residual_reward_rpe.sel(model=m), fmt, color=colour, label=str(m))
    c.set_ylabel("spread of the omission dip in time (s)")
    c.set_title("The dip broadens with the interval")
    d.set_ylabel("RPE at the delivered reward, end of training (a.u.)")
    d.set_title("The reward is less predicted at long intervals")
    for ax in (c, d):
        ax.set_xlabel("CS–US interval (s)")
        ax.legend(loc="upper left")
    fig.suptitle("Ludvig, Sutton & Kehoe (2008): microstimuli and the timing of prediction errors — TD(0.9)")
    plot.note(fig, f"Top: mean over {ds.sizes['agent']} agents, band 95 % confidence interval of the mean. "
                   "Bottom: measured on the mean curves.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "interval": ("interval from cue onset to reward", "s"),
    "residual_reward_rpe": ("RPE left at the delivered reward after training", "1", RN),
    "dip_spread": ("temporal spread (width) of the RPE dip after an omitted reward", "s"),
    "dip_depth": ("depth of the RPE dip after an omitted reward (most negative RPE)", "1", RN),
}
