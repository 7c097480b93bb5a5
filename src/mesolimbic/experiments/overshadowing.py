"""Overshadowing (Pavlov 1927; Mackintosh 1976): in a compound, the more salient cue takes the larger share.

Design: the compound AB+ (60 trials), with salience 0.5 for A and 0.25 for B in
Rescorla–Wagner; control cue C+ alone (60 trials, interleaved). Test: A, B and
C alone. RW predicts that each element of the compound ends below the
single-cue control (the compound shares lambda), and that the ratio V_A / V_B
equals the salience ratio (2) exactly, since both grow in proportion to their
salience from the same error. TD(lambda) (no salience parameter here: equal
intensities) shows the shared asymptote: each element ends near half of the
control.

References: Pavlov (1927). Conditioned Reflexes. Mackintosh (1976). Overshadowing
and stimulus intensity. Animal Learning & Behavior 4:186-192. Rescorla & Wagner (1972).
"""

from __future__ import annotations

from ..models import RescorlaWagner
from ..tasks import PavlovianDesign
from . import _associative as A
from .registry import Check, ExperimentResult, register

NAME = "overshadowing"
CITATION = "Mackintosh (1976). Overshadowing and stimulus intensity. Animal Learning & Behavior 4:186-192"
SALIENCE = {"A": 0.5, "B": 0.25}


def design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([("training", {"AB+": 60, "C+": 60}),
                                          ("test", {"A-": 1, "B-": 1, "C-": 1}, "sequential")], name=NAME)


@register(NAME, "Overshadowing: the more salient element takes more strength", CITATION, default_agents=20,
          topic="associative learning")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    rw, td = A.run_both(design(), n_agents, seed, rw_model=RescorlaWagner(salience=SALIENCE),
                        rw_params={"alpha": 0.4})
    va, vb, vc = (A.on(rw, f"{c}-", "test") for c in "ABC")
    ta, tb, tc = (A.on(td, f"{c}-", "test") for c in "ABC")
    checks = A.tag(A.RW, [
        Check("ratio_follows_salience", "V_A / V_B against the salience ratio 0.5/0.25 = 2: |ratio - 2|",
              abs(va / vb - 2.0), "<", 0.05, kind="property"),
        Check("overshadowed", "V_A / V_C (compound element vs single-cue control)", va / vc, "<", 0.8, kind="direction"),
    ]) + A.tag(A.TDL, [
        Check("overshadowed", "prediction to A / to the single-cue control C", ta / tc, "<", 0.8, kind="direction"),
        Check("shared_asymptote", "|(prediction to A + to B) / to C - 1| (the compound shares one US)",
              abs((ta + tb) / tc - 1.0), "<", 0.1, kind="property"),
    ])
    tests = {"A (salient)": ("A-", "test"), "B": ("B-", "test"), "C (alone)": ("C-", "test")}
    return A.result(NAME, "Overshadowing (salience A = 0.5, B = 0.25 in RW)", rw, td, checks, tests,
                    salience=SALIENCE)
