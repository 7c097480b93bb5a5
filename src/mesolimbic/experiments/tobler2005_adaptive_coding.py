"""Tobler, Fiorillo & Schultz (2005): dopamine responses adapt to the expected range of reward.

Design: three cues each predict one of two equiprobable rewards, 1 s later:
small range 0.05 or 0.15, medium 0.15 or 0.45, large 0.5 or 1.5 (ranges 0.1,
0.3 and 1.0; 150 trials per cue, randomly interleaved). Measures from the last
300 trials.

Signature: the response to "the larger of the two outcomes" is about the same
for the three cues, although the absolute error (outcome minus the cue's mean)
differs tenfold.

Models: TD(0.9) with a complete serial compound (alpha = 0.1, gamma = 1). The
raw TD error scales with the range (expected failure: the finding needs
normalisation). An adaptive readout divides each cue's RPE by the spread it has
learned for that cue — the mean absolute RPE at reward over the cue's previous
trials — so the larger outcome gives ~ +1 and the smaller ~ -1 for every cue.
The same division with the spread the cue predicts (the range or the SD of its
outcomes, :func:`mesolimbic.neurons.adaptive_code` with
:func:`~mesolimbic.neurons.outcome_spread`) is the library readout; both are
checked.

Reference: Tobler, P. N., Fiorillo, C. D. & Schultz, W. (2005). Adaptive coding
of reward value by dopamine neurons. Science 307:1642-1645.
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

NAME = "tobler2005_adaptive_coding"
CITATION = "Tobler, Fiorillo & Schultz (2005). Adaptive coding of reward value by dopamine neurons. Science 307:1642-1645"
RANGES = {"small": (0.05, 0.15), "medium": (0.15, 0.45), "large": (0.5, 1.5)}
PARAMS = {"alpha": 0.1, "gamma": 1.0, "lam": 0.9}


def design() -> PavlovianDesign:
    tts, counts = [], {}
    for cue, outcomes in RANGES.items():
        for m in outcomes:
            name = f"{cue}_{m:g}"
            tts.append(TrialType(name, cues=[Cue(cue, duration=1.0)], us_time=1.0, magnitude=m))
            counts[name] = 75
    return PavlovianDesign(tts, [Phase("training", counts, order="random")], dt=0.1, window=(-0.3, 1.5), name=NAME)


def learned_spread(rpe_us: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean |RPE at reward| over each agent's previous trials of one cue: ``[agent, trial]``
    (NaN before the cue's first trial). Vectorised over agents and trials."""
    a = np.where(mask, np.abs(rpe_us), 0.0)
    n = np.cumsum(mask, axis=1) - mask  # previous trials only
    s = np.cumsum(a, axis=1) - a
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / n, np.nan)


@register(NAME, "Adaptive coding: normalising by the learned range equalises responses", CITATION,
          default_agents=50, topic="dopamine RPE")
def run(n_agents: int = 50, seed: int = 0) -> ExperimentResult:
    sims = {}
    sim = single(simulate(design(), TD(), PARAMS, n_agents=n_agents, seed=seed, record="trials"))
    sims["TD"] = sim
    late = (sim.trial > sim.sizes["trial"] - 300).values
    tt = sim.trial_type.values
    rpe = sim.rpe_us.values
    raw, norm = {}, {}
    raw_agents, norm_agents = {}, {}  # each agent's mean, for the figure's confidence intervals
    for cue, (lo, hi) in RANGES.items():
        mask = np.char.startswith(tt.astype(str), cue + "_")
        spread = learned_spread(rpe, mask)
        for m in (lo, hi):
            sel = (tt == f"{cue}_{m:g}") & late[None, :]
            raw[(cue, m)] = float(rpe[sel].mean())
            coded = neurons.adaptive_code(rpe, spread)
            norm[(cue, m)] = float(coded[sel].mean())
            with np.errstate(invalid="ignore"):
                raw_agents[(cue, m)] = np.nanmean(np.where(sel, rpe, np.nan), axis=1)
                norm_agents[(cue, m)] = np.nanmean(np.where(sel, coded, np.nan), axis=1)
    larger_raw = np.array([raw[(c, RANGES[c][1])] for c in RANGES])
    larger_norm = np.array([norm[(c, RANGES[c][1])] for c in RANGES])
    smaller_norm = np.array([norm[(c, RANGES[c][0])] for c in RANGES])
    checks = [
        Check("raw_scales_with_range", "raw RPE to the larger outcome, large / small range cue",
              float(larger_raw[-1] / larger_raw[0]), ">", 5.0, model="TD(0.9)", kind="property"),
        Check("similar_response_to_larger", "max / min over cues of the RPE to the larger outcome (raw)",
              float(larger_raw.max() / larger_raw.min()), "<", 1.5, expected_failure=True, model="TD(0.9)", kind="direction"),
        Check("similar_response_to_larger", "max / min over cues of the normalised response to the larger outcome",
              float(larger_norm.max() / larger_norm.min()), "<", 1.5, model="TD(0.9) + adaptive readout", kind="property"),
        Check("smaller_outcome_depresses", "max over cues of the normalised response to the smaller outcome",
              float(smaller_norm.max()), "<", -0.5, model="TD(0.9) + adaptive readout", kind="property"),
    ]
    # the library readout with the spread the cue predicts (its two equiprobable outcomes): range and SD
    fixed = {kind: np.array([neurons.adaptive_code(raw[(c, RANGES[c][1])], neurons.outcome_spread(RANGES[c], kind=kind))
                             for c in RANGES]) for kind in ("range", "sd")}
    for kind, label in (("range", "range"), ("sd", "SD")):
        checks.append(Check("similar_response_to_larger", f"max / min over cues of the response to the larger outcome "
                            f"divided by the {label} of the cue's outcomes (neurons.adaptive_code)",
                            float(fixed[kind].max() / fixed[kind].min()), "<", 1.5,
                            model=f"TD(0.9) + {label}-normalised readout", kind="property"))
    cues = list(RANGES)
    ds = xr.Dataset({
        "raw_rpe": (("cue", "outcome"), [[raw[(c, m)] for m in RANGES[c]] for c in cues]),
        "normalised_response": (("cue", "outcome"), [[norm[(c, m)] for m in RANGES[c]] for c in cues]),
        "magnitude": (("cue", "outcome"), [list(RANGES[c]) for c in cues]),
        "raw_rpe_by_agent": (("cue", "outcome", "agent"), [[raw_agents[(c, m)] for m in RANGES[c]] for c in cues],
                             {"long_name": "RPE at the outcome, each agent's mean over its last 300 trials",
                              "units": "a.u."}),
        "normalised_response_by_agent": (("cue", "outcome", "agent"),
                                         [[norm_agents[(c, m)] for m in RANGES[c]] for c in cues],
                                         {"long_name": "RPE / learned spread, each agent's mean", "units": "1"}),
    }, coords={"cue": cues, "outcome": ["smaller", "larger"], "agent": sim.agent.values},
        attrs={**{f"param_{k}": v for k, v in PARAMS.items()}})
    for kind in ("range", "sd"):
        ds[f"larger_{kind}_normalised"] = ("cue", fixed[kind], {"long_name": f"RPE to the larger outcome / {kind} "
                                                                 "of the cue's outcomes", "units": "1"})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, representation="CSC"), sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.1), constrained_layout=True)
    x = np.arange(ds.sizes["cue"])
    for ax, var, title in ((axes[0], "raw_rpe_by_agent", "Raw RPE: scales with the range"),
                           (axes[1], "normalised_response_by_agent", "Normalised by the learned spread")):
        plot.bars(ax, x - 0.2, ds[var].sel(outcome="smaller"), "agent", width=0.4, label="smaller outcome",
                  color=plot.BLUE)
        plot.bars(ax, x + 0.2, ds[var].sel(outcome="larger"), "agent", width=0.4, label="larger outcome",
                  color=plot.VERMILLION)
        ax.set_xticks(x, [f"{c}\n({a:g} or {b:g})" for c, (a, b) in zip(ds.cue.values, ds.magnitude.values)])
        ax.set_xlabel("cue (its two equiprobable outcomes)")
        ax.axhline(0, color=plot.GREY, lw=0.6)
        ax.set_title(title)
    axes[0].set_ylabel("RPE at the outcome (a.u.)")
    axes[1].set_ylabel("RPE / learned spread (1)")
    fig.suptitle("Tobler, Fiorillo & Schultz (2005): adaptive coding of reward value — TD(0.9), CSC")
    plot.legend_below(fig)
    plot.note(fig, f"Last 300 trials; mean over {ds.sizes['agent']} agents, error bars: 95 % confidence interval of "
                   "the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "outcome": ("outcome of the cue's pair (smaller or larger)", None),
    "raw_rpe": ("RPE at the outcome, mean over agents' last 300 trials", "1", RN),
    "normalised_response": ("RPE / learned spread of the cue's outcomes, mean over agents", "1"),
    "magnitude": ("reward magnitude of the outcome", "1", RN),
}
