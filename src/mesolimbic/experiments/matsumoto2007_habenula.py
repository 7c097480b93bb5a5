"""Matsumoto & Hikosaka (2007): the lateral habenula, a tonically active cell that reward inhibits and its absence excites, mirrors dopamine.

Design: every trial starts with a fixation point (1 s before the target); a
target then predicts a reward 1 s later (90 %: one trial in ten the reward is
omitted) or predicts nothing; rare free rewards and free air puffs (magnitude
-0.5) come without any cue. 400 + 400 cued trials and 60 + 60 free outcomes,
randomly interleaved; measured on the last half. Model: TD(0) with a complete
serial compound (alpha 0.2, gamma 1); the fixation point carries the average
expectation, so the no-reward target is worse than expected.

Readouts of the same RPE: dopamine (:func:`mesolimbic.neurons.firing_rate`,
4 Hz baseline) and the lateral habenula (:func:`mesolimbic.neurons.habenula_rate`:
a 25 Hz baseline that positive errors lower and negative errors raise). The
package's circuit so far read LHb as the rectified negative error, silent at
baseline: it is run as the comparison and cannot be inhibited by a reward.
Trial by trial, spike counts 0-0.4 s from the target are drawn as Poisson
counts of each readout's rate.

Signatures (Matsumoto & Hikosaka 2007, Figs 1-3): LHb neurons fire tonically;
the reward-predicting target inhibits and the no-reward target excites them;
an unexpected reward inhibits and an omitted reward excites them — opposite
to dopamine neurons — and their responses are anti-correlated with dopamine's.
Aversive outcomes excite LHb (Matsumoto & Hikosaka 2009, Nat Neurosci 12:77).

References: Matsumoto, M. & Hikosaka, O. (2007). Lateral habenula as a source
of negative reward signals in dopamine neurons. Nature 447:1111-1115.
Matsumoto, M. & Hikosaka, O. (2009). Representation of negative motivational
value in the primate lateral habenula. Nat Neurosci 12:77-84.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .. import neurons
from ..models import TD
from ..results import single
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from .registry import Check, ExperimentResult, register

NAME = "matsumoto2007_habenula"
CITATION = ("Matsumoto & Hikosaka (2007). Lateral habenula as a source of negative reward signals in dopamine "
            "neurons. Nature 447:1111-1115")
PARAMS = {"alpha": 0.2, "gamma": 1.0, "lam": 0.0}
US = 1.0
TYPES = ("reward target", "no-reward target", "free reward", "free air puff")
COUNT_WINDOW = (0.0, 0.4)  # s from the event (both readouts' latencies fall inside)
MODEL = "TD(0) + LHb with a baseline"
OLD = "TD(0) + LHb = [-RPE]+ (no baseline)"


def design() -> PavlovianDesign:
    fix = Cue("fixation", onset=-1.0, duration=None)
    tts = [TrialType("reward target", [fix, Cue("target_reward", duration=US)], us_time=US, probability=0.9),
           TrialType("no-reward target", [fix, Cue("target_none", duration=US)], us_time=US, probability=0.0),
           TrialType("free reward", [], us_time=US),
           TrialType("free air puff", [], us_time=US, magnitude=-0.5)]
    counts = {"reward target": 400, "no-reward target": 400, "free reward": 60, "free air puff": 60}
    return PavlovianDesign(tts, [Phase("training", counts, order="random")], dt=0.1, window=(-1.5, 2.0), name=NAME)


def _window(rate: xr.DataArray, t0: float) -> xr.DataArray:
    return rate.sel(time=slice(t0 + COUNT_WINDOW[0] - 1e-9, t0 + COUNT_WINDOW[1] - 1e-9)).mean("time")


@register(NAME, "Lateral habenula: tonic firing inhibited by reward, excited by omission and punishment, "
          "anti-correlated with dopamine", CITATION, default_agents=100, topic="circuit & motivation")
def run(n_agents: int = 100, seed: int = 0) -> ExperimentResult:
    sim = single(simulate(design(), TD(), PARAMS, n_agents=n_agents, seed=seed))
    late = sim.trial > sim.sizes["trial"] // 2
    da = neurons.firing_rate(sim.rpe, latency=0.1)
    lhb = neurons.habenula_rate(sim.rpe, latency=0.05)
    old = neurons.habenula_rate(sim.rpe, baseline=0.0, gain_positive=0.0, gain_negative=15.0, latency=0.05)
    f0, l0 = da.attrs["baseline_rate"], lhb.attrs["baseline_rate"]
    tt = sim.trial_type
    rewarded = sim.reward != 0

    def event(rate, kind, t, extra=None):
        m = (tt == kind) & late
        if extra is not None:
            m = m & extra
        return float(_window(rate, t).where(m).mean())

    def event_agents(rate, kind, t, extra=None):
        m = (tt == kind) & late
        if extra is not None:
            m = m & extra
        return _window(rate, t).where(m).mean("trial")

    rows, agent_rows = {}, {}
    for lab, rate in (("dopamine", da), ("lhb", lhb), ("lhb_old", old)):
        agent_rows[lab] = {"reward target: target": event_agents(rate, "reward target", 0.0),
                           "no-reward target: target": event_agents(rate, "no-reward target", 0.0),
                           "reward target: reward": event_agents(rate, "reward target", US, rewarded),
                           "reward target: omission": event_agents(rate, "reward target", US, ~rewarded),
                           "free reward": event_agents(rate, "free reward", US),
                           "free air puff": event_agents(rate, "free air puff", US)}
        rows[lab] = {"reward target: target": event(rate, "reward target", 0.0),
                     "no-reward target: target": event(rate, "no-reward target", 0.0),
                     "reward target: reward": event(rate, "reward target", US, rewarded),
                     "reward target: omission": event(rate, "reward target", US, ~rewarded),
                     "free reward": event(rate, "free reward", US),
                     "free air puff": event(rate, "free air puff", US)}
    events = list(rows["lhb"])
    # trial by trial, over cued trials: the rates at the target and at the outcome (noise-free readouts of one
    # RPE), and Poisson spike counts at the target (reward vs no-reward target, half each)
    rng = np.random.default_rng(seed)
    cued = ((tt == "reward target") | (tt == "no-reward target")) & late
    dur = COUNT_WINDOW[1] - COUNT_WINDOW[0]

    def per_trial(rate, t):
        v = _window(rate, t).where(cued).values.ravel()
        return v[np.isfinite(v)]

    at_events = np.concatenate([sim.rpe.sel(time=t, method="nearest").where(cued).values.ravel() for t in (0.0, US)])
    at_events = at_events[np.isfinite(at_events)]
    rate_da, rate_lhb = neurons.firing_rate(at_events), neurons.habenula_rate(at_events)
    from scipy.stats import spearmanr

    r_rates = float(spearmanr(rate_da, rate_lhb).statistic)
    n_da, n_lhb = rng.poisson(per_trial(da, 0.0) * dur), rng.poisson(per_trial(lhb, 0.0) * dur)
    r_all = float(np.corrcoef(n_da, n_lhb)[0, 1])
    lhb_r, old_r, d = rows["lhb"], rows["lhb_old"], rows["dopamine"]
    checks = [
        Check("lhb_inhibited_by_reward_target", "LHb at the reward-predicting target minus baseline (Hz)",
              lhb_r["reward target: target"] - l0, "<", 0.0, unit="Hz", model=MODEL, kind="direction"),
        Check("lhb_excited_by_no_reward_target", "LHb at the no-reward target minus baseline (Hz)",
              lhb_r["no-reward target: target"] - l0, ">", 0.0, unit="Hz", model=MODEL, kind="direction"),
        Check("lhb_inhibited_by_free_reward", "LHb after an unpredicted reward minus baseline (Hz)",
              lhb_r["free reward"] - l0, "<", 0.0, unit="Hz", model=MODEL, kind="direction"),
        Check("lhb_excited_by_omission", "LHb at an omitted reward minus baseline (Hz)",
              lhb_r["reward target: omission"] - l0, ">", 0.0, unit="Hz", model=MODEL, kind="direction"),
        Check("lhb_excited_by_air_puff", "LHb after an unpredicted air puff minus baseline (Hz)",
              lhb_r["free air puff"] - l0, ">", 0.0, unit="Hz", model=MODEL, kind="direction"),
        Check("dopamine_opposite", "dopamine at the no-reward target minus baseline (Hz; the mirror of LHb)",
              d["no-reward target: target"] - f0, "<", 0.0, unit="Hz", model=MODEL, kind="direction"),
        Check("anti_correlated_rates", "Spearman r of the dopamine and LHb rates at the target and outcome "
              "steps, trial by trial over the cued trials (both read out one RPE, with opposite signs)", r_rates, "<", -0.9,
              model=MODEL, kind="property"),
        Check("anti_correlated_spike_counts", "Pearson r of dopamine and LHb Poisson spike counts 0-0.4 s from the "
              "target, cued trials; its 95 % interval over seeds below 0", r_all, "<", 0.0, model=MODEL,
              kind="direction", claim="interval"),
        Check("lhb_inhibited_by_free_reward", "LHb after an unpredicted reward minus its (zero) baseline: a cell "
              "silent at baseline cannot be inhibited", old_r["free reward"] - 0.0, "<", 0.0, unit="Hz", model=OLD,
              kind="direction", expected_failure=True),
    ]
    ds = xr.Dataset({
        "response": (("readout", "event"), [[rows[k][e] for e in events] for k in ("dopamine", "lhb", "lhb_old")],
                     {"long_name": "mean rate 0-0.4 s after the event", "units": "Hz"}),
        "dopamine_rate": xr.concat([da.where((tt == k) & late).mean("trial") for k in TYPES], "trial_kind").assign_attrs(
            long_name="dopamine rate, each agent's mean over its trials of each kind (last half)", units="Hz"),
        "lhb_rate": xr.concat([lhb.where((tt == k) & late).mean("trial") for k in TYPES], "trial_kind").assign_attrs(
            long_name="LHb rate, each agent's mean over its trials of each kind (last half)", units="Hz"),
        "response_by_agent": xr.concat([xr.concat([agent_rows[k][e] for e in events], "event")
                                        for k in ("dopamine", "lhb", "lhb_old")], "readout").assign_attrs(
            long_name="mean rate 0-0.4 s from the event, each agent", units="Hz"),
        "counts_dopamine": ("count_trial", n_da[:2000]),
        "counts_lhb": ("count_trial", n_lhb[:2000]),
    }, coords={"readout": ["dopamine", "LHb (baseline)", "LHb = [-RPE]+"], "event": events,
               "trial_kind": list(TYPES)},
        attrs={"dopamine_baseline": f0, "lhb_baseline": l0, "r_counts": r_all, "r_rates": r_rates,
               **{f"param_{k}": v for k, v in PARAMS.items()}})
    ds = ds.drop_vars([v for v in ("phase",) if v in ds.coords])
    ds = ds.assign_coords(event=events)
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, representation="CSC"),
                            sims={"TD(0)": sim})


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.4), constrained_layout=True)
    for k, col in zip(("reward target", "no-reward target"), (plot.BLUE, plot.VERMILLION)):
        plot.band(a, ds.time, ds.lhb_rate.sel(trial_kind=k), "agent", color=col, label=f"LHb, {k}")
        plot.band(a, ds.time, ds.dopamine_rate.sel(trial_kind=k), "agent", color=col, ls="--",
                  label=f"dopamine, {k}")
    a.axhline(ds.attrs["lhb_baseline"], color=plot.GREY, lw=0.6)
    a.axhline(ds.attrs["dopamine_baseline"], color=plot.GREY, lw=0.6, ls="--")
    plot.mark_events(a, {"fix": -1.0, "target": 0.0, "outcome": 1.0})
    a.set_xlabel("time from target onset (s)")
    a.set_ylabel("firing rate (Hz)")
    a.set_title("Mean rate: LHb mirrors dopamine (10 % omissions)", pad=14)
    a.legend(fontsize=7, loc="upper left")
    ev = ds.event.values
    x = np.arange(ev.size)
    for i, (r, col) in enumerate(zip(ds.readout.values, (plot.BLUE, plot.VERMILLION, plot.GREY))):
        base = ds.attrs["dopamine_baseline"] if i == 0 else ds.attrs["lhb_baseline"] if i == 1 else 0.0
        plot.bars(b, x + (i - 1) * 0.27, ds.response_by_agent.isel(readout=i) - base, "agent", width=0.27,
                  color=col, label=r)
    b.axhline(0, color=plot.GREY, lw=0.6)
    b.set_xticks(x, [e.replace("no-reward target", "no-rew. target").replace("reward target", "rew. target")
                     .replace(": ", "\n") for e in ev], fontsize=7)
    b.set_xlabel("event")
    b.set_ylabel("change from baseline (Hz)")
    b.set_title("Responses 0-0.4 s from each event")
    b.legend(fontsize=7)
    jit = np.random.default_rng(0).uniform(-0.3, 0.3, (2, ds.sizes["count_trial"]))
    c.scatter(ds.counts_dopamine + jit[0], ds.counts_lhb + jit[1], s=3, alpha=0.3, color=plot.BLUE)
    c.set_xlabel("dopamine spikes (0-0.4 s from the target)")
    c.set_ylabel("LHb spikes")
    c.set_title(f"Trial by trial: spike counts r = {ds.attrs['r_counts']:.2f}, rates r = {ds.attrs['r_rates']:.2f}")
    fig.suptitle("Matsumoto & Hikosaka (2007): lateral habenula with a baseline, TD(0) RPE")
    plot.note(fig, f"Last half of training; {ds.sizes['agent']} agents. Bands and error bars: 95 % confidence interval "
                   "of the mean over agents. Right: Poisson counts of single cued trials (jittered).")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "readout": ("readout of the RPE (dopamine or lateral habenula model)", None),
    "event": ("trial kind and event the rate is measured at", None),
    "trial_kind": ("kind of trial", None),
    "counts_dopamine": ("Poisson spike count of the dopamine readout 0-0.4 s after the target, one cued trial", "1"),
    "counts_lhb": ("Poisson spike count of the LHb readout 0-0.4 s after the target, one cued trial", "1"),
}
