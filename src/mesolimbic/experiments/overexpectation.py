"""Overexpectation (Rescorla 1970; Kremer 1978): reinforcing a compound of two trained cues weakens both.

Design: A+ and B+ interleaved (40 each) until each predicts the US alone; then
the compound AB+ (30 trials), still reinforced. Test: A and B alone.

Rescorla–Wagner: on AB+ the summed prediction (about 2 lambda) exceeds the
US (lambda), the error is negative, and both cues lose strength although every
compound trial is reinforced — a prediction that was confirmed (Kremer 1978).
TD(lambda) with a complete serial compound inherits the summed error.

References: Rescorla, R. A. (1970). Reduction in the effectiveness of
reinforcement after prior excitatory conditioning. Learning and Motivation
1:372-381. Kremer, E. F. (1978). J Exp Psychol Anim Behav Process 4:22-36.
"""

from __future__ import annotations

import numpy as np

from ..tasks import PavlovianDesign
from . import _associative as A
from .registry import Check, ExperimentResult, register

NAME = "overexpectation"
CITATION = ("Kremer (1978). The Rescorla-Wagner model: losses in associative strength in compound "
            "conditioned stimuli. J Exp Psychol Anim Behav Process 4:22-36")


def design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([
        ("elements", {"A+": 40, "B+": 40}),
        ("probe_before", {"A-": 1}, "sequential"),
        ("compound", {"AB+": 30}),
        ("test", {"A-": 1, "B-": 1}, "sequential"),
    ], name=NAME)


@register(NAME, "Overexpectation: a reinforced compound of trained cues loses strength", CITATION,
          default_agents=20, topic="associative learning")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    rw, td = A.run_both(design(), n_agents, seed)
    checks, vals = [], {}
    for model, ds in ((A.RW, rw), (A.TDL, td)):
        before, after = A.on(ds, "A-", "probe_before"), A.on(ds, "A-", "test")
        first_ab = float(A.prediction(ds).isel(trial=int(np.flatnonzero(ds.phase.values == "compound")[0])).mean())
        vals[model] = {"A before compound": before, "A after compound": after, "B after compound": A.on(ds, "B-", "test"),
                       "AB on first compound trial": first_ab}
        checks += A.tag(model, [
            Check("compound_overpredicts", "prediction on the first AB+ trial (the US is worth 1)", first_ab, ">", 1.3, kind="property"),
            Check("elements_lose_strength", "prediction to A after / before the reinforced compound", after / before,
                  "<", 0.8, kind="direction"),
        ])
    tests = {"AB, first\ncompound trial": ("AB+", "compound", "first"), "A before\ncompound": ("A-", "probe_before"),
             "A after\ncompound": ("A-", "test"), "B after\ncompound": ("B-", "test")}
    return A.result(NAME, "Overexpectation (A+, B+ then AB+)", rw, td, checks, tests)
