"""Conditioned inhibition (Pavlov 1927; Rescorla 1969): a cue that signals the absence of an expected US goes negative.

Design: A+ and AX- interleaved (60 each) make X an inhibitor; B+ (30,
interleaved) trains a separate excitor. Tests (Rescorla 1969):

* summation — the compound BX, not reinforced, predicts less than B alone;
* retardation — X+ acquisition (5 trials) leaves X below a novel cue N given the
  same 5 N+ trials.

Rescorla–Wagner drives V_X towards -lambda (the error on AX- trials is
0 - (V_A + V_X)); TD(lambda) with a complete serial compound does the same with
its delay-line weights. Summation and retardation are read on test trials
placed in separate agents' blocks at the end (summation first, then the
retardation phase).

References: Rescorla, R. A. (1969). Pavlovian conditioned inhibition.
Psychological Bulletin 72:77-94. Rescorla & Wagner (1972).
"""

from __future__ import annotations

import numpy as np

from ..tasks import PavlovianDesign
from . import _associative as A
from .registry import Check, ExperimentResult, register

NAME = "conditioned_inhibition"
CITATION = "Rescorla (1969). Pavlovian conditioned inhibition. Psychological Bulletin 72:77-94"


def design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([
        ("training", {"A+": 60, "AX-": 60, "B+": 30}),
        ("summation_test", {"B-": 1, "BX-": 1}, "sequential"),
        ("retardation", {"X+": 5, "N+": 5}),
    ], name=NAME)


@register(NAME, "Conditioned inhibition: summation and retardation tests", CITATION, default_agents=20,
          topic="associative learning")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    rw, td = A.run_both(design(), n_agents, seed)
    checks, vals = [], {}
    for model, ds in ((A.RW, rw), (A.TDL, td)):
        b, bx = A.on(ds, "B-", "summation_test"), A.on(ds, "BX-", "summation_test")
        ax = A.on(ds, "AX-", "training")
        # retardation: the best prediction over each agent's 5 X+ (or N+) trials
        pred = A.prediction(ds).sel(trial=ds.phase == "retardation")
        x5 = float(pred.where(ds.trial_type == "X+").max("trial").mean())
        n5 = float(pred.where(ds.trial_type == "N+").max("trial").mean())
        vals[model] = {"B": b, "BX": bx, "X+ (after 5)": x5, "N+ (after 5)": n5}
        checks += A.tag(model, [
            Check("summation", "prediction to BX / to B alone", bx / b, "<", 0.5, kind="direction"),
            Check("retardation", "best prediction over 5 reinforced X trials minus over 5 for a novel cue N",
                  x5 - n5, "<", -0.1, kind="direction"),
            Check("inhibitor_cancels_excitor", "mean prediction on AX- training trials", ax, "<", 0.3, kind="direction"),
        ])
    last_training = int(np.flatnonzero(rw.phase.values == "training")[-1])
    vx = float(rw.weights.sel(cue="X").isel(trial=last_training).mean())
    checks.append(Check("inhibitor_negative", "V_X at the end of training", vx, "<", -0.5, model=A.RW, kind="direction"))
    tests = {"B": ("B-", "summation_test"), "BX": ("BX-", "summation_test"),
             "X+\n(best of 5)": ("X+", "retardation", "max"), "N+\n(best of 5)": ("N+", "retardation", "max")}
    return A.result(NAME, "Conditioned inhibition (A+, AX-; summation with B, retardation)", rw, td, checks,
                    tests, curves=["A+", "AX-", "B+", "X+", "N+"])
