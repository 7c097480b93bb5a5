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
    tests = {"X (paired stim)": x, "Y (ITI stim)": y, "Z (no stim)": z, "D (ext + stim)": d_last,
             "E (ext)": e_last}
    return ExperimentResult(NAME, td, checks, lambda: figure(td, tests),
                            params=dict(A.TD_PARAMS, representation="CSC", stimulation=STIM), sims=sims)


def figure(td, tests):
    from ..plot import plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.9), constrained_layout=True)
    for t, c in (("AX+", "tab:green"), ("BY+", "tab:orange"), ("CZ+", "tab:gray"), ("D-", "tab:purple"),
                 ("E-", "tab:brown")):
        cur = A.curve(td, t)
        ok = cur.notnull().values
        a.plot(td.trial.values[ok], cur.values[ok], ".", ms=3, color=c, label=t)
    a.set_xlabel("trial")
    a.set_ylabel("prediction before the US")
    a.legend(fontsize=8, frameon=False, markerscale=3)
    a.set_title("Compound and extinction phases", fontsize=10)
    labels = list(tests)
    b.bar(range(len(labels)), [tests[k] for k in labels],
          color=["tab:green", "tab:orange", "tab:gray", "tab:purple", "tab:brown"])
    b.set_xticks(range(len(labels)), labels, fontsize=8, rotation=12)
    b.set_ylabel("learned prediction")
    b.set_title("Test", fontsize=10)
    fig.suptitle("Steinberg et al. (2013): optogenetic unblocking and slowed extinction — TD(λ)", fontsize=11)
    return fig
