"""Relative validity (Wagner, Logan, Haberlandt & Price 1968): a cue's strength depends on the better predictors around it.

Design (two groups of cues in the same agents, 50 trials of each type,
interleaved): correlated — AX+ and BX- (A is the valid predictor, X is
reinforced on half its trials); uncorrelated — CY+0.5 and DY+0.5 (no cue is
better than Y; Y is also reinforced on half its trials). Test: X and Y alone.
The finding: X, in the correlated group, ends weaker than Y.

Rescorla–Wagner produces it with a smaller learning-rate factor on
non-reinforced trials (beta_nonreinforced = 0.5 < beta_reinforced = 1), as
Rescorla & Wagner (1972) assumed; with equal factors both X and Y settle at
1/3 of lambda and the effect vanishes (measured here as a second RW variant).
TD(lambda) here has one learning rate, so it behaves like the equal-rate RW —
shown as an expected failure with that reason.

References: Wagner, A. R., Logan, F. A., Haberlandt, K. & Price, T. (1968).
Stimulus selection in animal discrimination learning. J Exp Psychol
76:171-180. Rescorla & Wagner (1972).
"""

from __future__ import annotations

from ..models import RescorlaWagner
from ..simulate import simulate
from ..tasks import PavlovianDesign
from . import _associative as A
from ..results import single
from .registry import Check, ExperimentResult, register

NAME = "relative_validity"
CITATION = ("Wagner, Logan, Haberlandt & Price (1968). Stimulus selection in animal discrimination learning. "
            "J Exp Psychol 76:171-180")
RW_PARAMS = {"alpha": 0.1, "beta_reinforced": 1.0, "beta_nonreinforced": 0.5}


def design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([
        ("training", {"AX+": 50, "BX-": 50, "CY+0.5": 50, "DY+0.5": 50}),
        ("test", {"X-": 1, "Y-": 1}, "sequential"),
    ], name=NAME)


@register(NAME, "Relative validity: a cue is weaker beside a better predictor", CITATION, default_agents=100,
          topic="associative learning")
def run(n_agents: int = 100, seed: int = 0) -> ExperimentResult:
    d = design()
    rw, td = A.run_both(d, n_agents, seed, rw_params=RW_PARAMS)
    equal = single(simulate(d, RescorlaWagner(), {"alpha": 0.1}, n_agents=n_agents, seed=seed))
    x, y = A.on(rw, "X-", "test"), A.on(rw, "Y-", "test")
    ex, ey = A.on(equal, "X-", "test"), A.on(equal, "Y-", "test")
    tx, ty = A.on(td, "X-", "test"), A.on(td, "Y-", "test")
    checks = [
        Check("x_weaker_than_y", "V_X (correlated) / V_Y (uncorrelated)", x / y, "<", 0.85, model=A.RW, kind="direction"),
        Check("x_weaker_than_y", "V_X / V_Y with equal rates on reinforced and non-reinforced trials",
              ex / ey, "<", 0.85, expected_failure=True, model="RW, equal betas", kind="direction"),
        Check("x_weaker_than_y", "prediction to X / to Y (one learning rate: no asymmetry)", tx / ty, "<", 0.85,
              expected_failure=True, model=A.TDL, kind="direction"),
    ]
    tests = {"X (correlated)": ("X-", "test"), "Y (uncorrelated)": ("Y-", "test")}
    return A.result(NAME, "Relative validity (RW: beta- = 0.5 beta+)", rw, td, checks, tests,
                    sims={"RW, equal betas": equal}, rw_equal_betas={"alpha": 0.1})
