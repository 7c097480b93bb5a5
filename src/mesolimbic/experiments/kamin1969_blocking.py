"""Kamin (1969): blocking — a cue added to an already-predictive cue learns little.

Design: the blocking group learns A+ (30 trials), then the compound AB+ (30
trials); the control group gets the compound CD+ (30 trials) with no
pretraining. Test: B alone and D alone, not reinforced. The signature is a much
weaker response to the blocked cue B than to the control cue D. Both groups run
in the same agents (cues A, B and C, D never co-occur, so they do not interact).

Models: Rescorla–Wagner (alpha = 0.2) — the error on AB+ trials is already ~0,
so B gains nothing — and TD(lambda) with a complete serial compound, which
inherits the same summed error.

References: Kamin, L. J. (1969). Predictability, surprise, attention and
conditioning. In Campbell & Church (eds.), Punishment and Aversive Behavior,
279-296. Rescorla & Wagner (1972).
"""

from __future__ import annotations

from ..tasks import PavlovianDesign
from . import _associative as A
from .registry import Check, ExperimentResult, register

NAME = "kamin1969_blocking"
CITATION = ("Kamin (1969). Predictability, surprise, attention and conditioning. In Punishment and "
            "Aversive Behavior, 279-296")


def design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([
        ("pretraining", {"A+": 30}),
        ("compound", {"AB+": 30, "CD+": 30}),
        ("test", {"B-": 1, "D-": 1}, "sequential"),
    ], name=NAME)


@register(NAME, "Blocking: a redundant cue learns little", CITATION, default_agents=20, topic="associative learning")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    rw, td = A.run_both(design(), n_agents, seed)
    checks = []
    for model, ds in ((A.RW, rw), (A.TDL, td)):
        b, d = A.on(ds, "B-", "test"), A.on(ds, "D-", "test")
        checks += A.tag(model, [
            Check("blocked_vs_control", "prediction to the blocked cue B / to the control cue D", b / d, "<", 0.25, kind="direction"),
            Check("control_learned", "the control cue D predicts the US", d, ">", 0.3, kind="direction"),
        ])
    tests = {"B (blocked)": ("B-", "test"), "D (control)": ("D-", "test")}
    return A.result(NAME, "Kamin (1969): blocking", rw, td, checks, tests)
