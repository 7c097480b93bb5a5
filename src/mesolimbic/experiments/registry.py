"""The registry of published findings: one module per finding, run by name.

An :class:`Experiment` declares its citation and a ``run(n_agents, seed)`` that
returns an :class:`ExperimentResult`: the labelled Dataset, the named checks
(each a measured number against a threshold taken from the paper's signature)
and a figure. The same registry drives the tests and the command line.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Callable

import xarray as xr

__all__ = ["Check", "Experiment", "ExperimentResult", "register", "get", "names", "all_experiments"]

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@dataclass(frozen=True)
class Check:
    """One named comparison of a measured number with the paper's signature."""

    name: str
    description: str
    measured: float
    comparison: str
    threshold: float
    unit: str = ""
    expected_failure: bool = False

    @property
    def passed(self) -> bool:
        return bool(_OPS[self.comparison](self.measured, self.threshold))

    def line(self) -> str:
        status = "PASS" if self.passed else ("expected failure" if self.expected_failure else "FAIL")
        unit = f" {self.unit}" if self.unit else ""
        return (f"[{status}] {self.name}: {self.measured:.3g}{unit} {self.comparison} "
                f"{self.threshold:g}{unit} — {self.description}")

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "measured": self.measured,
                "comparison": self.comparison, "threshold": self.threshold, "unit": self.unit,
                "passed": self.passed, "expected_failure": self.expected_failure}


@dataclass
class ExperimentResult:
    name: str
    dataset: xr.Dataset
    checks: list[Check]
    figure: Callable[[], "object"] = field(repr=False)

    @property
    def ok(self) -> bool:
        """True when every check that should pass passes."""
        return all(c.passed or c.expected_failure for c in self.checks)


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    citation: str
    run: Callable[..., ExperimentResult] = field(repr=False)
    default_agents: int = 200


_REGISTRY: dict[str, Experiment] = {}


def register(name: str, title: str, citation: str, default_agents: int = 200):
    """Decorator: register ``run(n_agents=..., seed=...)`` as experiment ``name``."""

    def deco(run):
        _REGISTRY[name] = Experiment(name, title, citation, run, default_agents)
        return run

    return deco


def _load_all() -> None:
    from . import schultz1997  # noqa: F401  (importing registers)


def get(name: str) -> Experiment:
    _load_all()
    if name not in _REGISTRY:
        raise ValueError(f"unknown experiment {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def all_experiments() -> list[Experiment]:
    return [get(n) for n in names()]
