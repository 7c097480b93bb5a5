"""Fiorillo, Tobler & Schultz (2003), recorded and fitted: simulate, write NWB, read back, recover alpha and gamma.

Design: Fiorillo's five cues predicting reward at 2 s with probability p = 0,
.25, .5, .75 and 1, randomly interleaved (here 30 trials each per session, 100-ms
bins from -0.5 to 2.5 s). Each session (one per agent) is TD(0) with a complete
serial compound and its own alpha and gamma (spread over 0.15-0.45 and
0.90-0.98), simulated by ``mesolimbic.simulate``; its RPE is read out as fiber
photometry (a 0.05/0.5-s sensor kernel, a per-session gain and offset, Gaussian
noise of SD 0.5 x gain per bin), written as NWB files (pynwb with the
ndx-fiber-photometry series), read back, and fitted by per-session maximum
likelihood (``mesolimbic.neural.fit_neural``).

Checks (properties of the pipeline, not findings of the paper): the NWB round
trip returns the written signal exactly; the fit recovers each session's alpha
within 0.08 and gamma within 0.07 (the largest error over the sessions; at seeds
0-4 the largest errors were 0.03 and 0.05) and the gain within 25 % (0.14); and
the fitted model's response to a delivered reward is larger at p = .25 than at
p = 1, as the paper's neurons' was (Fig. 2). (Its CS
response is still near 0 at every p: TD(0) with a complete serial compound moves
value back one 100-ms step per trial, and 30 trials per cue do not reach the CS.)

Reference: Fiorillo, C. D., Tobler, P. N. & Schultz, W. (2003). Discrete coding of
reward probability and uncertainty by dopamine neurons. Science 299:1898-1902.
"""

from __future__ import annotations

import tempfile

import numpy as np
import xarray as xr

from ..models import TD
from ..simulate import simulate
from .fiorillo2003_probability import PROBS, US_TIME, _label
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register
from ..tasks import Cue, PavlovianDesign, Phase, TrialType

NAME = "fiorillo2003_recordings"
CITATION = ("Fiorillo, Tobler & Schultz (2003). Discrete coding of reward probability and uncertainty by "
            "dopamine neurons. Science 299:1898-1902")
TRIALS_PER_P = 30
NOISE = 0.5  # noise SD per 100-ms bin, in units of the session's gain
TOL = {"alpha": 0.08, "gamma": 0.07, "gain": 0.25}


def design() -> PavlovianDesign:
    tts = [TrialType(_label(p), cues=[Cue(f"cs_{p:g}", duration=US_TIME)], us_time=US_TIME, probability=p)
           for p in PROBS]
    return PavlovianDesign(tts, [Phase("recorded", {t.name: TRIALS_PER_P for t in tts}, order="random")],
                           dt=0.1, window=(-0.5, 2.5), name=NAME)


def generating(n: int, seed: int) -> dict:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2003]))
    return {"alpha": rng.permutation(np.linspace(0.15, 0.45, n)), "gamma": rng.permutation(np.linspace(0.90, 0.98, n)),
            "gain": rng.uniform(0.5, 2.0, n), "offset": rng.uniform(-0.5, 0.5, n)}


@register(NAME, "Recorded photometry round trip: simulate, NWB, read, fit, recover alpha and gamma", CITATION,
          default_agents=6, requires=("pynwb", "ndx_fiber_photometry"), extra="neural", topic="dopamine RPE")
def run(n_agents: int = 6, seed: int = 0) -> ExperimentResult:
    from ..neural import fit_neural, read_nwb, write_nwb
    from ..neural.io import NeuralData
    from ..neural.observation import KERNELS, kernel_matrix

    d = design()
    n = max(int(n_agents), 3)
    truth = generating(n, seed)
    # one parameter set per session; every session sees its own agent's trial order (agent = 1)
    sim = simulate(d, TD(), {"alpha": truth["alpha"], "gamma": truth["gamma"], "lam": 0.0}, n_agents=1, seed=seed,
                   record="steps").isel(agent=0)
    rpe = sim.rpe.transpose("param_set", "trial", "time").values.astype(float)
    K = kernel_matrix(d.n_steps, d.dt, *KERNELS["photometry"])
    rng = np.random.default_rng(np.random.SeedSequence([seed, 22]))
    g, b = truth["gain"][:, None, None], truth["offset"][:, None, None]
    y = b + g * (rpe @ K.T) + NOISE * g * rng.standard_normal(rpe.shape)
    names = [t.name for t in d.trial_types]
    types = np.array([[names.index(str(x)) for x in sim.trial_type.values]] * n, np.int32)
    reward = np.broadcast_to(sim.reward.values, types.shape).astype(np.float32)
    data = NeuralData(d, "photometry", np.array([f"s{i + 1}" for i in range(n)], object), types, reward, y,
                      np.ones(types.shape, bool))
    with tempfile.TemporaryDirectory() as tmp:
        write_nwb(data, tmp)
        back = read_nwb(tmp, "photometry", design=d)
    order = np.argsort([str(s) for s in back.subjects])  # files are read in name order
    roundtrip = float(np.max(np.abs(back.signal[order] - data.signal)))
    fit = fit_neural(back, "td0", n_starts=1, seed=seed)
    est = {k: np.asarray(fit.params[k])[np.argsort(order)] for k in ("alpha", "gamma", "gain")}
    err = {k: np.abs(est[k] - truth[k]) / (truth[k] if k == "gain" else 1.0) for k in est}
    sig = fit.signals()
    compiled = d.compile()
    rewarded = back.reward > 0
    us_resp = [float(np.nanmean(np.where((back.trial_type == i) & rewarded, sig["rpe"][..., compiled.us_step[i]],
                                         np.nan))) if PROBS[i] > 0 else np.nan for i in range(len(PROBS))]
    ds = xr.Dataset({
        **{f"{k}_true": ("session", truth[k]) for k in ("alpha", "gamma", "gain")},
        **{f"{k}_fit": ("session", est[k]) for k in est},
        **{f"{k}_se": ("session", np.asarray(fit.se[k])[np.argsort(order)]) for k in est},
        "fitted_reward_response": ("probability", us_resp),
        "mean_signal": (("probability", "time"), np.stack([np.nanmean(np.where(back.trial_type[..., None] == i,
                                                                               back.signal, np.nan), (0, 1))
                                                            for i in range(len(PROBS))])),
    }, coords={"session": [f"s{i + 1}" for i in range(n)], "probability": list(PROBS), "time": d.times},
        attrs={"noise_sd_over_gain": NOISE, "trials_per_probability": TRIALS_PER_P,
               "nwb_roundtrip_max_abs_diff": roundtrip, "fit_status": ",".join(fit.status)})
    m = "TD(0) + photometry readout"
    checks = [
        Check("nwb_round_trip_exact", "max |signal read back from NWB - signal written|", roundtrip, "<", 1e-9,
              model=m, kind="property"),
        Check("alpha_recovered", "largest |fitted - generating alpha| over sessions", float(err["alpha"].max()), "<",
              TOL["alpha"], model=m, kind="property"),
        Check("gamma_recovered", "largest |fitted - generating gamma| over sessions", float(err["gamma"].max()), "<",
              TOL["gamma"], model=m, kind="property"),
        Check("gain_recovered", "largest relative error of the fitted gain", float(err["gain"].max()), "<",
              TOL["gain"], model=m, kind="property"),
        Check("fitted_reward_response_falls_with_p", "fitted model's response to a delivered reward at p = .25 "
              "minus at p = 1", float(us_resp[1] - us_resp[4]), ">", 0.0, model=m, kind="direction"),
    ]
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds),
                            params={"noise_sd_over_gain": NOISE, "kernel": list(KERNELS["photometry"]),
                                    "trials_per_probability": TRIALS_PER_P, "tolerances": TOL},
                            sims={"TD(0)": sim})


def figure(ds: xr.Dataset):
    from ..plot import plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), constrained_layout=True)
    a = axes[0]
    for p in ds.probability.values:
        a.plot(ds.time, ds.mean_signal.sel(probability=p), label=f"p = {p:g}")
    a.set_xlabel("time from CS (s)")
    a.set_ylabel("photometry (read back from NWB)")
    a.legend(fontsize=7, frameon=False)
    for a, k in zip(axes[1:], ("alpha", "gamma")):
        a.errorbar(ds[f"{k}_true"], ds[f"{k}_fit"], yerr=ds[f"{k}_se"], fmt="o")
        lim = [float(min(ds[f"{k}_true"].min(), ds[f"{k}_fit"].min())),
               float(max(ds[f"{k}_true"].max(), ds[f"{k}_fit"].max()))]
        a.plot(lim, lim, "k--", lw=0.8)
        a.set_xlabel(f"generating {k}")
        a.set_ylabel(f"fitted {k}")
    fig.suptitle("Fiorillo et al. (2003) as simulated photometry: written as NWB, read back, fitted by TD(0) "
                 "(bars: standard errors)")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "session": ("recording session (one simulated animal)", None),
    "probability": ("probability of reward after the cue", "1"),
    "time": ("time from cue onset", "s"),
    "alpha_true": ("learning rate alpha that generated the session", "1"),
    "gamma_true": ("discount factor gamma that generated the session", "1"),
    "gain_true": ("photometry gain (signal per unit of RPE) that generated the session", "1"),
    "alpha_fit": ("learning rate alpha fitted to the session by maximum likelihood", "1"),
    "gamma_fit": ("discount factor gamma fitted to the session by maximum likelihood", "1"),
    "gain_fit": ("photometry gain fitted to the session by maximum likelihood", "1"),
    "alpha_se": ("standard error of the fitted alpha", "1"),
    "gamma_se": ("standard error of the fitted gamma", "1"),
    "gain_se": ("standard error of the fitted gain", "1"),
    "fitted_reward_response": ("fitted model's RPE at a delivered reward (NaN at p = 0)", "1", RN),
    "mean_signal": ("photometry signal read back from NWB, mean over sessions and trials of the cue", "1",
    "arbitrary photometry units (gain x filtered RPE + offset + noise)"),
}
