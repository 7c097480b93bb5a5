"""Acquisition and extinction curves: the Rescorla–Wagner closed form.

Design: 40 A+ trials, then 40 A- trials (extinction).

For one cue, Rescorla–Wagner gives V_n = lambda (1 - (1 - alpha)^n) during
acquisition and V_n = V_0 (1 - alpha)^n during extinction: negatively
accelerated curves. The checks compare the simulated strengths with this closed
form (maximum absolute difference), and show that TD(lambda) with a complete
serial compound traces the same shape (its prediction rises, then falls back).
Extinction as unlearning is itself a model claim the data contradict
(spontaneous recovery; see rw_expected_failures).

Reference: Rescorla, R. A. & Wagner, A. R. (1972). A theory of Pavlovian
conditioning. In Classical Conditioning II, 64-99.
"""

from __future__ import annotations

import numpy as np

from ..tasks import PavlovianDesign
from . import _associative as A
from .registry import Check, ExperimentResult, register

NAME = "rw_acquisition_extinction"
CITATION = "Rescorla & Wagner (1972). A theory of Pavlovian conditioning. In Classical Conditioning II, 64-99"
N = 40


def design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([("acquisition", {"A+": N}), ("extinction", {"A-": N})], name=NAME)


@register(NAME, "Acquisition and extinction follow the Rescorla–Wagner closed form", CITATION, default_agents=5,
          topic="associative learning")
def run(n_agents: int = 5, seed: int = 0) -> ExperimentResult:
    rw, td = A.run_both(design(), n_agents, seed)
    alpha = A.RW_PARAMS["alpha"]
    n = np.arange(1, N + 1)
    v = rw.weights.sel(cue="A").mean("agent").values
    acq, ext = 1 - (1 - alpha) ** n, (1 - (1 - alpha) ** N) * (1 - alpha) ** n
    td_pred = A.prediction(td).mean("agent").values
    checks = A.tag(A.RW, [
        Check("acquisition_closed_form", "max |V_n - (1 - (1-alpha)^n)| over acquisition",
              float(np.abs(v[:N] - acq).max()), "<", 1e-4, kind="property"),
        Check("extinction_closed_form", "max |V_n - V_0 (1-alpha)^n| over extinction",
              float(np.abs(v[N:] - ext).max()), "<", 1e-4, kind="property"),
    ]) + A.tag(A.TDL, [
        Check("acquired", "prediction on the last acquisition trial", float(td_pred[N - 1]), ">", 0.8, kind="direction"),
        Check("extinguished", "prediction on the last extinction trial / on the last acquisition trial",
              float(td_pred[-1] / td_pred[N - 1]), "<", 0.2, kind="direction"),
    ])
    tests = {"end of acquisition": (float(v[N - 1]), float(td_pred[N - 1])),
             "end of extinction": (float(v[-1]), float(td_pred[-1]))}
    return A.result(NAME, "Acquisition and extinction (Rescorla & Wagner 1972)", rw, td, checks, tests)
