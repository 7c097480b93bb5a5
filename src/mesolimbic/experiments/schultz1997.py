"""Schultz, Dayan & Montague (1997), Fig. 1: dopamine neurons report a reward prediction error.

Design (paper): a conditioned stimulus (CS, light) followed by juice reward about
1 s later. Before learning, reward with no prediction excites the neurons
("reward_unpredicted"); after learning, the CS excites them and the predicted
reward does not ("reward_predicted"); when the predicted reward is omitted,
activity is depressed at the time it was due ("reward_omitted").

Model (the paper's own account): TD(0) with a complete serial compound from CS
onset, alpha = 0.2, gamma = 0.98, 0.1-s time steps; 150 CS-reward training
trials, then a probe phase of 50 randomly interleaved trials (40 CS-reward,
5 CS-omission, 5 free reward with no CS): probes are rare, as in the recordings,
because frequent omissions lower the learned prediction and the model then
(correctly) answers the delivered reward with a burst (cf. Fiorillo et al. 2003).
Even 10% omissions leave a residual: the mean RPE to the predicted reward in the
probe phase is about 0.1 (a tenth of the unpredicted response; about +0.8 Hz in
the 300-ms window; 0.12 of the burst to free reward), which the check
"no_response_at_reward" reports as measured against a quarter of that burst.
RPE -> firing by the default dopamine readout (4 Hz baseline, asymmetric gains, 0-Hz floor, 100-ms latency).

Checks compare firing in 300-ms windows after CS onset and after the reward
time with the baseline, and the transfer of the RPE from reward to CS over
training.

Reference: Schultz, W., Dayan, P. & Montague, P. R. (1997). A neural substrate
of prediction and reward. Science 275, 1593-1599.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from .. import neurons
from ..models import TD
from ..representations import CompleteSerialCompound
from ..simulate import simulate
from ..tasks import Phase, PavlovianDesign, TrialType
from ..results import single
from .registry import Check, ExperimentResult, register

NAME = "schultz1997"
CITATION = "Schultz, Dayan & Montague (1997). A neural substrate of prediction and reward. Science 275:1593-1599"
US_TIME = 1.0
PARAMS = {"alpha": 0.2, "gamma": 0.98, "lam": 0.0}
CONDITIONS = {  # condition -> probe trial type
    "reward_unpredicted": "free_reward",
    "reward_predicted": "paired",
    "reward_omitted": "omission",
}
TITLES = {
    "reward_unpredicted": "No prediction\nReward occurs",
    "reward_predicted": "Reward predicted\nReward occurs",
    "reward_omitted": "Reward predicted\nNo reward occurs",
}
WINDOW = 0.3  # s, response window after an event (covers the 100-ms latency)
N_RASTER = 15


def design(n_training: int = 150) -> PavlovianDesign:
    """The Schultz (1997) design: CS at 0 s, reward at 1 s, 0.1-s steps from -1 to 2 s."""
    return PavlovianDesign(
        name=NAME,
        trial_types=[
            TrialType("paired", cues=["light"], us_time=US_TIME),
            TrialType("omission", cues=["light"], us_time=US_TIME, probability=0.0),
            TrialType("free_reward", us_time=US_TIME),
        ],
        phases=[
            Phase("training", {"paired": n_training}),
            Phase("probe", {"paired": 40, "omission": 5, "free_reward": 5}, order="random"),
        ],
        dt=0.1,
        window=(-1.0, 2.0),
        iti=(4.0, 8.0),
    )


def _window_mean(da: xr.DataArray, start: float) -> float:
    return float(da.sel(time=slice(start - 1e-9, start + WINDOW - 1e-9)).mean())


@register(NAME, "Dopamine neurons report a reward prediction error (Fig. 1)", CITATION, default_agents=200,
          topic="dopamine RPE")
def run(n_agents: int = 200, seed: int = 0) -> ExperimentResult:
    sims = {}
    sim = single(simulate(design(), TD(), PARAMS, representation=CompleteSerialCompound(),
                   n_agents=n_agents, seed=seed, record="steps"))
    sims["TD(0)"] = sim
    rate = neurons.firing_rate(sim.rpe)
    baseline = float(rate.attrs["baseline_rate"])
    probe = sim.phase == "probe"

    rpe_c, rate_c, raster_c, psth_c, rate_agents = [], [], [], [], []
    for ttype in CONDITIONS.values():
        mask = (sim.trial_type == ttype) & probe
        rpe_c.append(sim.rpe.where(mask).mean(["agent", "trial"]))
        rate_c.append(rate.where(mask).mean(["agent", "trial"]))
        rate_agents.append(rate.where(mask).mean("trial"))  # each agent's mean, for the figure's bands
        # individual trials for the raster and PSTH: stack agent x trial, keep this condition
        trials = rate.stack(sample=("agent", "trial"))
        trials = trials.isel(sample=np.flatnonzero(mask.stack(sample=("agent", "trial")).values))
        trials = trials.isel(sample=slice(0, 200)).drop_vars(["sample", "agent", "trial", "phase", "trial_type"],
                                                             errors="ignore")
        spikes = neurons.poisson_spikes(trials, seed=seed + len(raster_c) + 1)
        raster_c.append(spikes.isel(sample=slice(0, N_RASTER)).rename(sample="raster_trial")
                        .drop_vars("raster_trial", errors="ignore"))
        psth_c.append(neurons.psth(spikes, bin_width=0.05))
    n_raster = min(r.sizes["raster_trial"] for r in raster_c)  # few agents: as many rows as every condition has
    raster_c = [r.isel(raster_trial=slice(0, n_raster)) for r in raster_c]
    cond = xr.DataArray(list(CONDITIONS), dims="condition", name="condition")
    training = sim.phase == "training"
    learning = sim.rpe.sel(trial=training).mean("agent")

    ds = xr.Dataset(
        {
            "rpe": xr.concat(rpe_c, cond).assign_attrs(long_name="reward prediction error (TD error)",
                                                        units="a.u."),
            "firing_rate": xr.concat(rate_c, cond).assign_attrs(long_name="dopamine neuron firing rate",
                                                                 units="Hz"),
            "firing_rate_by_agent": xr.concat(rate_agents, cond).drop_vars(["phase"], errors="ignore").assign_attrs(
                long_name="dopamine neuron firing rate, each agent's mean over its probe trials", units="Hz"),
            "spikes": xr.concat(raster_c, cond).astype(np.int8).assign_attrs(long_name="raster spike trains"),
            "psth": xr.concat(psth_c, cond).rename(time="psth_time").assign_attrs(
                long_name="PSTH of up to 200 probe trials", units="Hz"),
            "rpe_learning": learning.drop_vars(["phase"], errors="ignore").assign_attrs(
                long_name="RPE over training trials (mean over agents)"),
        },
        attrs={
            "citation": CITATION, "us_time": US_TIME, "baseline_rate": baseline,
            "model": "td", "representation": "csc",
            **{f"param_{k}": v for k, v in PARAMS.items()},
            "mesolimbic_version": sim.attrs["mesolimbic_version"],
            "design": sim.attrs["design"],
        },
    )
    ds["time"].attrs = {"units": "s", "long_name": "time from CS onset"}

    fr = ds.firing_rate
    burst_free = _window_mean(fr.sel(condition="reward_unpredicted"), US_TIME) - baseline
    burst_cs_pred = _window_mean(fr.sel(condition="reward_predicted"), 0.0) - baseline
    at_reward_pred = _window_mean(fr.sel(condition="reward_predicted"), US_TIME) - baseline
    burst_cs_om = _window_mean(fr.sel(condition="reward_omitted"), 0.0) - baseline
    dip_om = _window_mean(fr.sel(condition="reward_omitted"), US_TIME) - baseline
    first, last = sim.isel(trial=0), sim.sel(trial=training).isel(trial=-1)
    us_first = float(first.rpe_us.mean())
    checks = [
        Check("reward_unpredicted.burst_at_reward", "free reward excites: rate in 0-300 ms after reward minus baseline",
              burst_free, ">", 3.0, "Hz", kind="direction"),
        Check("reward_predicted.burst_at_cs", "after training the CS excites: rate 0-300 ms after CS minus baseline",
              burst_cs_pred, ">", 3.0, "Hz", kind="direction"),
        Check("reward_predicted.no_response_at_reward", "predicted reward: |rate after reward minus baseline| as a "
              "share of the burst to unpredicted reward (the recordings show none; a quarter would be plain to see)",
              abs(at_reward_pred) / burst_free, "<", 0.25, kind="direction"),
        Check("reward_omitted.burst_at_cs", "omission trials start with the CS burst",
              burst_cs_om, ">", 3.0, "Hz", kind="direction"),
        Check("reward_omitted.dip_at_reward_time", "omitted reward depresses firing at the time it was due",
              dip_om, "<", -0.5, "Hz", kind="direction"),
        Check("asymmetry.dip_smaller_than_burst", "|dip at omission| / burst to free reward (floor at 0 Hz)",
              abs(dip_om) / burst_free, "<", 0.5, kind="property"),
        Check("learning.rpe_moves_to_cs", "RPE at CS on the last training trial / RPE at reward on the first",
              float(last.rpe_cs.mean()) / us_first, ">", 0.5, kind="direction"),
        Check("learning.rpe_leaves_reward", "RPE at reward on the last training trial / on the first",
              float(last.rpe_us.mean()) / us_first, "<", 0.1, kind="direction"),
    ]
    checks = [dataclasses.replace(c, model="TD(0)") for c in checks]
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, representation="CSC"), sims=sims)


def figure(ds: xr.Dataset):
    """Raster and PSTH per condition, as in the paper's Fig. 1 (with the model's rate, mean over
    agents and its 95 % CI, over the PSTH), plus the learning heat map."""
    from .. import plot
    from ..plot import mark_events, plt, psth_bars, raster, rpe_heatmap

    conds = list(ds.condition.values)
    fig = plt.figure(figsize=(13, 5.8), constrained_layout=True)
    gs = fig.add_gridspec(2, len(conds) + 1, height_ratios=[1.2, 1], width_ratios=[1] * len(conds) + [1.15])
    ymax = max(float(ds.psth.max()), float(ds.firing_rate_by_agent.mean("agent").max())) * 1.1
    first_r = first_p = None
    for j, c in enumerate(conds):
        events = {"CS": 0.0, "R": ds.attrs["us_time"]} if c != "reward_unpredicted" else {"R": ds.attrs["us_time"]}
        if c == "reward_omitted":
            events = {"CS": 0.0, "(no R)": ds.attrs["us_time"]}
        ax_r = fig.add_subplot(gs[0, j], sharey=first_r)
        raster(ax_r, ds.spikes.sel(condition=c).astype(bool))
        mark_events(ax_r, events)
        ax_r.set_title(TITLES[c], pad=14)
        ax_r.set_xticklabels([])
        ax_r.set_xlabel("")
        if j == 0:
            ax_r.set_ylabel(f"{ds.sizes['raster_trial']} probe trials (one per row)")
            first_r = ax_r
        ax_p = fig.add_subplot(gs[1, j], sharey=first_p)
        psth_bars(ax_p, ds.psth.sel(condition=c).rename(psth_time="time"), color="0.6",
                  baseline=ds.attrs["baseline_rate"])
        plot.band(ax_p, ds.time, ds.firing_rate_by_agent.sel(condition=c), "agent", color=plot.VERMILLION,
                  lw=1.2, drawstyle="steps-post", label="model rate (mean, 95 % CI)")
        mark_events(ax_p, events, top=False)
        ax_p.set_ylim(0, ymax)
        ax_p.set_xlabel("time from CS onset (s)")
        ax_r.sharex(ax_p)  # the raster above reads off the PSTH's time axis (its own tick labels hidden)
        ax_r.tick_params(labelbottom=False)
        if j == 0:
            ax_p.set_ylabel("firing rate (Hz)")
            ax_p.legend(loc="upper left", fontsize=7.5)
            first_p = ax_p
        else:
            plt.setp(ax_p.get_yticklabels(), visible=False)
    ax_h = fig.add_subplot(gs[:, -1])
    im = rpe_heatmap(ax_h, ds.rpe_learning)
    mark_events(ax_h, {"CS": 0.0, "R": ds.attrs["us_time"]})
    ax_h.set_xlabel("time from CS onset (s)")
    ax_h.set_ylabel("training trial")
    ax_h.set_title("Learning: the RPE moves\nfrom reward to CS", pad=14)
    fig.colorbar(im, ax=ax_h, label="RPE (a.u., mean over agents)", shrink=0.8)
    fig.suptitle("Schultz, Dayan & Montague (1997), Fig. 1 — TD(0) model, simulated dopamine neuron")
    plot.note(fig, f"Rasters: {ds.sizes['raster_trial']} probe trials with Poisson spikes; PSTH (grey, 50-ms bins): "
                   f"up to 200 probe trials; line: the model's rate, mean over {ds.sizes['agent']} agents, band 95 % "
                   "CI of the mean; dotted: baseline.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "spikes": ("raster spike trains: spikes in the time bin", "1"),
    "spike_time": ("time from cue onset, raster bins", "s"),
    "psth_time": ("time from cue onset, PSTH bins", "s"),
}
