"""Steinberg et al. (2013): a phasic dopamine signal is sufficient for learning — optogenetic unblocking.

Design (blocking with stimulation; three sets of cues in the same agents, so
the groups do not interact): pretraining A+, B+, C+ (60 each); compound
training AX+, BY+, CZ+ (60 each), where

* AX+ trials get VTA stimulation at the reward time ("paired"),
* BY+ trials get the same stimulation away from any cue (0.2 s before cue
  onset, standing in for the inter-trial interval: no cue is being processed),
* CZ+ trials get none (the standard blocking control);

test X, Y and Z alone. Extinction part: D+ and E+ in pretraining, then D- with
stimulation at the time the reward was due and E- without (20 each).

Signatures (paper, Figs. 2-4): paired stimulation unblocks X (X > Z); ITI
stimulation does not (Y ~ Z); stimulation at the time of the omitted reward
slows extinction (D keeps more value than E).

Model: TD(0.9) with a complete serial compound; stimulation adds 1 (a reward's
worth) to the RPE at the stimulated step, which is both what a dopamine neuron
reports and what drives learning.

Reference: Steinberg, E. E., Keiflin, R., Boivin, J. R., Witten, I. B.,
Deisseroth, K. & Janak, P. H. (2013). A causal link between prediction errors,
dopamine neurons and learning. Nat Neurosci 16:966-973.
"""

from __future__ import annotations

import dataclasses

from ..models import TD
from ..representations import CompleteSerialCompound
from ..simulate import simulate
from ..tasks import PavlovianDesign
from . import _associative as A
from ..results import single
from .registry import Check, ExperimentResult, register

NAME = "steinberg2013_optogenetic_unblocking"
CITATION = ("Steinberg, Keiflin, Boivin, Witten, Deisseroth & Janak (2013). A causal link between prediction "
            "errors, dopamine neurons and learning. Nat Neurosci 16:966-973")
STIM = 1.0
US_TIME = 1.0


def design() -> PavlovianDesign:
    base = PavlovianDesign.from_notation([
        ("pretraining", {"A+": 60, "B+": 60, "C+": 60, "D+": 60, "E+": 60}),
        ("compound", {"AX+": 60, "BY+": 60, "CZ+": 60}),
        ("extinction", {"D-": 20, "E-": 20}),
        ("test", {"X-": 1, "Y-": 1, "Z-": 1}, "sequential"),
    ], us_time=US_TIME, dt=0.1, name=NAME)
    stim = {"AX+": [(US_TIME, STIM)], "BY+": [(-0.2, STIM)], "D-": [(US_TIME, STIM)]}
    types = [dataclasses.replace(t, stimulation=stim.get(t.name, ())) for t in base.trial_types]
    return dataclasses.replace(base, trial_types=types)


@register(NAME, "Optogenetic unblocking: stimulation at reward time unblocks; in the ITI it does not", CITATION,
          default_agents=20, topic="dopamine RPE")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    sims = {}
    td = single(simulate(design(), TD(), A.TD_PARAMS, representation=CompleteSerialCompound(), n_agents=n_agents,
                  seed=seed, record="trials"))
    sims["TD"] = td
    x, y, z = (A.on(td, f"{c}-", "test") for c in "XYZ")
    pred = A.prediction(td).sel(trial=td.phase == "extinction")
    d_last = float(pred.where(td.trial_type == "D-").isel(trial=slice(-10, None)).mean())
    e_last = float(pred.where(td.trial_type == "E-").isel(trial=slice(-10, None)).mean())
    checks = A.tag("TD(λ) + stimulation", [
        Check("paired_unblocks", "prediction to X (stimulation at reward) minus to Z (no stimulation)", x - z, ">",
              0.2, kind="direction"),
        Check("iti_does_not_unblock", "|prediction to Y (stimulation away from cues) minus to Z|", abs(y - z), "<",
              0.05, kind="property"),
        Check("stimulation_slows_extinction", "late-extinction prediction, stimulated D minus unstimulated E",
              d_last - e_last, ">", 0.2, kind="direction"),
    ])
    return ExperimentResult(NAME, td, checks, lambda: figure(td),
                            params=dict(A.TD_PARAMS, representation="CSC", stimulation=STIM), sims=sims)


def figure(td):
    """Left: the TD prediction per trial type (mean over agents, 95 % CI); right: the tests,
    per agent (X, Y, Z on the test trial; D and E over the last 10 extinction trials)."""
    from .. import plot
    from ..plot import plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.4), constrained_layout=True, gridspec_kw={"width_ratios": [1.5, 1]})
    trial = td.trial.values
    colours = dict(zip(("AX+", "BY+", "CZ+", "D-", "E-"), (plot.GREEN, plot.ORANGE, plot.GREY, plot.PURPLE, plot.BLUE)))
    pred = A.prediction(td)
    plot.band(a, trial, pred.where(td.phase == "pretraining"), "agent", color=plot.BLACK, lw=1.3,
              label="A+ … E+ (pretraining)")
    same = plot.overlapping({t: pred.where(td.trial_type == t).mean("agent") for t in colours})  # BY+ = CZ+
    for t, c in colours.items():
        plot.band(a, trial, pred.where(td.trial_type == t), "agent", color=c,
                  label=f"{t} (dashed: = {same[t]})" if t in same else t, **(plot.DASHED if t in same else {"lw": 1.3}))
    a.set_xlim(trial[0] - 0.5, trial[-1] + 0.5)
    phase = td.phase.values
    bounds = [trial[i] - 0.5 for i in range(1, trial.size) if phase[i] != phase[i - 1]]
    names = [str(phase[0])] + [str(phase[i]) for i in range(1, trial.size) if phase[i] != phase[i - 1]]
    plot.label_phases(a, bounds, names)
    a.set_xlabel("trial")
    a.set_ylabel("predicted US before the US (a.u.)")
    a.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    a.set_title("Prediction on each trial type (TD(λ), CSC)", pad=24)
    ext = pred.sel(trial=td.phase == "extinction")
    per_agent = {"X\n(paired stim)": A.agents_on(td.assign(p=pred), "p", "X-", "test"),
                 "Y\n(ITI stim)": A.agents_on(td.assign(p=pred), "p", "Y-", "test"),
                 "Z\n(no stim)": A.agents_on(td.assign(p=pred), "p", "Z-", "test"),
                 "D\n(ext + stim)": ext.where(td.trial_type == "D-").isel(trial=slice(-10, None)).mean("trial"),
                 "E\n(ext)": ext.where(td.trial_type == "E-").isel(trial=slice(-10, None)).mean("trial")}
    for i, v in enumerate(per_agent.values()):
        plot.bars(b, [i], v.expand_dims("bar"), "agent", width=0.7,
                  color=(plot.GREEN, plot.ORANGE, plot.GREY, plot.PURPLE, plot.BLUE)[i])
    b.set_xticks(range(len(per_agent)), list(per_agent))
    b.set_xlabel("test (X, Y, Z) or late extinction (D, E)")
    b.set_ylabel("learned prediction (a.u.)")
    b.set_title("Test", pad=24)
    fig.suptitle("Steinberg et al. (2013): optogenetic unblocking and slowed extinction — TD(λ)")
    plot.note(fig, f"Mean over {td.sizes['agent']} agents; bands and error bars: 95 % confidence interval of the mean.")
    return fig
