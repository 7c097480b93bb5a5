"""Bayer & Glimcher (2005): dopamine firing codes positive errors steeply and negative errors shallowly.

Design: one cue predicts, 1 s later, a reward whose size is drawn on every trial
from 0, 0.25, 0.5, 0.75 and 1 (five trial types with the same cue, 120 trials
each, randomly interleaved). After learning, the RPE at reward time is the
reward minus the learned mean.

Signatures: (1) the relation of firing to the RPE has a much steeper slope for
positive than for negative errors (the firing floor near 0 Hz: dips cannot go
below silence), measured here by regressing Poisson spike counts in the 300 ms
after reward on the model's RPE; (2) behaviour and learning behave as if the
full, symmetric error is used — a learner that took its teaching signal from
the compressed firing (negative errors scaled by the readout's gain ratio,
4/20 = 0.2) would settle where its scaled errors balance, far above the mean
reward: it overestimates value. The checks compare both learners with the true
mean (0.5) and the second with its analytic fixed point.

Models: TD(0.9) with a complete serial compound (alpha = 0.05, gamma = 1), and
the same learner with ``negative_error_scale = 0.2``; default dopamine readout
(4 Hz baseline, 20 / 4 Hz per unit RPE, floor 0 Hz, 100-ms latency).

Reference: Bayer, H. M. & Glimcher, P. W. (2005). Midbrain dopamine neurons
encode a quantitative reward prediction error signal. Neuron 47:129-141.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.optimize import brentq

from .. import neurons
from ..models import TD
from ..simulate import simulate
from ..tasks import PavlovianDesign, Phase, TrialType
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "bayer2005_asymmetry"
CITATION = ("Bayer & Glimcher (2005). Midbrain dopamine neurons encode a quantitative reward prediction error "
            "signal. Neuron 47:129-141")
MAGNITUDES = (0.0, 0.25, 0.5, 0.75, 1.0)
PARAMS = {"alpha": 0.05, "gamma": 1.0, "lam": 0.9}
SCALE = 4.0 / 20.0  # the default readout's gain ratio for negative vs positive errors


def design() -> PavlovianDesign:
    tts = [TrialType(f"reward_{m:g}", cues=["cs"], us_time=1.0, magnitude=m) for m in MAGNITUDES]
    return PavlovianDesign(tts, [Phase("training", {t.name: 120 for t in tts}, order="random")],
                           dt=0.1, window=(-0.5, 2.0), name=NAME)


def fixed_point(scale: float) -> float:
    """Value V where the mean scaled error over the reward sizes is zero."""
    m = np.asarray(MAGNITUDES)

    def mean_error(v):
        e = m - v
        return float(np.mean(np.where(e < 0, scale * e, e)))

    return brentq(mean_error, 0.0, 1.0)


@register(NAME, "Firing floor: steep for positive errors, shallow for negative; learning uses the full error",
          CITATION, default_agents=50, topic="dopamine RPE")
def run(n_agents: int = 50, seed: int = 0) -> ExperimentResult:
    sims = {}
    d = design()
    full = single(simulate(d, TD(), PARAMS, n_agents=n_agents, seed=seed))
    sims["TD"] = full
    rect = single(simulate(d, TD(negative_error_scale=SCALE), PARAMS, n_agents=n_agents, seed=seed, record="trials"))
    sims["TD, learns from the rate"] = rect
    late = full.trial > full.sizes["trial"] - 300
    rate = neurons.firing_rate(full.rpe)
    baseline = rate.attrs["baseline_rate"]
    # per trial: RPE at reward, and the spike count in the 300 ms after it
    d_us = full.rpe_us.where(late)
    win = rate.sel(time=slice(1.0 - 1e-9, 1.3 - 1e-9))
    spikes = neurons.poisson_spikes(win.where(late, baseline).fillna(baseline), seed=seed + 1)
    counts = spikes.sum("spike_time") / 0.3  # Hz
    x = d_us.values.ravel()
    y = counts.values.ravel()
    ok = np.isfinite(x)
    x, y = x[ok], y[ok]
    pos, neg = x > 0.01, x < -0.01
    slope_pos = float(np.polyfit(x[pos], y[pos], 1)[0])
    slope_neg = float(np.polyfit(x[neg], y[neg], 1)[0])
    v_full = float(full.value_pre_us.where(late).mean())
    v_rect = float(rect.value_pre_us.where(late).mean())
    v_star = fixed_point(SCALE)
    checks = [
        Check("slope_asymmetry", "slope of firing on positive RPE / on negative RPE (Poisson spike counts)",
              slope_pos / slope_neg, ">", 2.0, model="TD(0.9) + dopamine readout", kind="property"),
        Check("full_error_learns_mean", "|learned value - mean reward 0.5|", abs(v_full - 0.5), "<", 0.05,
              model="TD(0.9) + dopamine readout", kind="property"),
        Check("rate_learner_overestimates", "learned value - mean reward 0.5 (teaching signal = compressed rate)",
              v_rect - 0.5, ">", 0.15, model="TD(0.9), learns from the rate", kind="property"),
        Check("rate_learner_at_fixed_point", f"|learned value - analytic fixed point {v_star:.3f}|",
              abs(v_rect - v_star), "<", 0.05, model="TD(0.9), learns from the rate", kind="property"),
    ]
    bins = np.linspace(-0.6, 0.6, 13)
    centre = 0.5 * (bins[1:] + bins[:-1])
    idx = np.digitize(x, bins) - 1
    binned = np.array([y[idx == i].mean() if np.any(idx == i) else np.nan for i in range(len(centre))])
    binned_sd = np.array([y[idx == i].std(ddof=1) if np.sum(idx == i) > 1 else np.nan for i in range(len(centre))])
    binned_n = np.array([np.sum(idx == i) for i in range(len(centre))])
    ds = xr.Dataset({
        "rpe_bin": ("rpe_bin", centre),
        "firing_by_rpe": ("rpe_bin", binned, {"units": "Hz", "long_name": "mean spike rate 0-300 ms after reward"}),
        "firing_by_rpe_sd": ("rpe_bin", binned_sd, {"units": "Hz", "long_name": "sd over trials of that rate"}),
        "firing_by_rpe_n": ("rpe_bin", binned_n, {"long_name": "trials in the bin"}),
        "value_full": full.value_pre_us.mean("agent"),
        "value_rate_learner": rect.value_pre_us.mean("agent"),
        "value_full_by_agent": full.value_pre_us.assign_attrs(
            long_name="learned value before the reward, learning from the full RPE, each agent", units="a.u."),
        "value_rate_learner_by_agent": rect.value_pre_us.assign_attrs(
            long_name="learned value before the reward, learning from the compressed rate, each agent", units="a.u."),
    }, attrs={"slope_positive_hz": slope_pos,
              "slope_negative_hz": slope_neg, "baseline_rate": baseline, "fixed_point_rate_learner": v_star,
              **{f"param_{k}": v for k, v in PARAMS.items()}})
    ds = ds.drop_vars("phase", errors="ignore")
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, negative_error_scale=SCALE), sims=sims)


def figure(ds: xr.Dataset):
    from scipy.stats import t as student_t

    from .. import plot
    from ..plot import plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.3), constrained_layout=True)
    n = ds.firing_by_rpe_n.values
    half = student_t.ppf(0.975, np.maximum(n - 1, 1)) * ds.firing_by_rpe_sd.values / np.sqrt(np.maximum(n, 1))
    a.errorbar(ds.rpe_bin, ds.firing_by_rpe, yerr=half, fmt="o", color=plot.BLACK, capsize=2.5, elinewidth=1,
               label="trials in the bin (mean, 95 % CI)")
    a.axhline(ds.attrs["baseline_rate"], color=plot.BLUE, ls=":", lw=0.8, label="baseline")
    a.axvline(0, color=plot.GREY, lw=0.6)
    a.set_xlabel("RPE at reward (a.u.)")
    a.set_ylabel("spike rate 0–300 ms after reward (Hz)")
    a.set_title(f"Slopes: {ds.attrs['slope_positive_hz']:.1f} Hz/unit (δ > 0) vs "
                f"{ds.attrs['slope_negative_hz']:.1f} (δ < 0)")
    a.legend(loc="upper left")
    plot.band(b, ds.trial, ds.value_full_by_agent, "agent", color=plot.BLUE, label="learns from the full RPE")
    plot.band(b, ds.trial, ds.value_rate_learner_by_agent, "agent", color=plot.VERMILLION,
              label="learns from the compressed rate")
    b.axhline(0.5, color=plot.GREY, ls="--", lw=0.8, label="mean reward")
    b.axhline(ds.attrs["fixed_point_rate_learner"], color=plot.VERMILLION, ls=":", lw=1,
              label="rate learner's fixed point")
    b.set_xlabel("trial")
    b.set_ylabel("learned value before the reward (a.u.)")
    b.legend(loc="lower right")
    b.set_title("Learning must use the full error")
    fig.suptitle("Bayer & Glimcher (2005): asymmetric firing, symmetric learning — TD(0.9)")
    plot.note(fig, f"Left: Poisson spike counts, trials of the last 300 of {ds.sizes['agent']} agents pooled by RPE bin. "
                   "Right: mean over agents, band 95 % confidence interval of the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "rpe_bin": ("centre of the bin of RPE at the reward", "1", RN),
    "firing_by_rpe_n": ("trials in the bin", "1"),
}
