"""The registry of published findings: one module per finding, run by name.

An :class:`Experiment` declares its citation and a ``run(n_agents, seed)`` that
returns an :class:`ExperimentResult`: the labelled Dataset, the named checks
(each a measured number against a threshold taken from the paper's signature)
and a figure. The same registry drives the tests and the command line.

Experiments are discovered: every module of this package whose name does not
start with an underscore is imported, and its ``@register`` adds it. The
registry attaches the same provenance to every result — experiment, title,
citation, seed, agents, package version, parameters — and, for each simulation
the experiment hands back (``ExperimentResult.sims``), that simulation's own
provenance (model and options, parameters, design or task, representation,
precision), so an experiment's ``.nc`` says how every number in it was made.
"""

from __future__ import annotations

import functools
import importlib
import json
import operator
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

import xarray as xr

from .._version import __version__

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
    model: str = ""

    @property
    def passed(self) -> bool:
        return bool(_OPS[self.comparison](self.measured, self.threshold))

    @property
    def status(self) -> str:
        """``pass``, ``fail``, ``expected failure`` (the model is known not to produce it)
        or ``unexpected pass`` (an expected failure that passed)."""
        if self.expected_failure:
            return "unexpected pass" if self.passed else "expected failure"
        return "pass" if self.passed else "fail"

    def line(self) -> str:
        status = self.status.upper() if self.status in ("pass", "fail") else self.status
        unit = f" {self.unit}" if self.unit else ""
        return (f"[{status}] {self.name}: {self.measured:.3g}{unit} {self.comparison} "
                f"{self.threshold:g}{unit} — {self.description}")

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "measured": self.measured,
                "comparison": self.comparison, "threshold": self.threshold, "unit": self.unit,
                "passed": self.passed, "expected_failure": self.expected_failure, "status": self.status,
                "model": self.model}


@dataclass
class ExperimentResult:
    name: str
    dataset: xr.Dataset
    checks: list[Check]
    figure: Callable[[], "object"] = field(repr=False)

    params: dict = field(default_factory=dict)
    #: the simulations the result was derived from, by label; their provenance is kept
    sims: dict = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """True when every check that should pass passes (expected failures may fail)."""
        return all(c.passed or c.expected_failure for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not (c.passed or c.expected_failure)]

    def model_status(self) -> dict[str, str]:
        """Per model: ``reproduced``, ``fails`` or ``expected failure``.

        A model fails if any check it should pass fails; it is an expected failure
        when its expected-failure checks fail as expected.
        """
        out: dict[str, str] = {}
        for m in dict.fromkeys(c.model for c in self.checks):
            cs = [c for c in self.checks if c.model == m]
            if any(c.status == "fail" for c in cs):
                out[m] = "fails"
            elif any(c.status == "expected failure" for c in cs):
                out[m] = "expected failure"
            else:
                out[m] = "reproduced"
        return out


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    citation: str
    run: Callable[..., ExperimentResult] = field(repr=False)
    default_agents: int = 200
    description: str = ""
    requires: tuple[str, ...] = ()
    extra: str = ""

    def missing(self) -> str | None:
        """None when the experiment can run here; else a note naming the extra to install."""
        from ..rlhf._extras import available

        if available(*self.requires):
            return None
        return f"needs the optional extra: pip install 'mesolimbic[{self.extra}]'"


_REGISTRY: dict[str, Experiment] = {}


def register(name: str, title: str, citation: str, default_agents: int = 200, description: str = "",
             requires: tuple[str, ...] = (), extra: str = ""):
    """Decorator: register ``run(n_agents=..., seed=...)`` as experiment ``name``.

    ``description`` is the design in one paragraph (shown in the report); by
    default the first paragraph of the defining module's docstring after its title.
    ``requires`` lists modules of an optional ``extra`` the experiment needs; where
    they are missing, ``mesolimbic reproduce`` skips it with a note.
    """

    def deco(run):
        desc = description
        if not desc:
            import sys

            doc = (sys.modules[run.__module__].__doc__ or "").strip().split("\n\n")
            desc = " ".join(doc[1].split()) if len(doc) > 1 else ""

        @functools.wraps(run)
        def with_provenance(n_agents: int = default_agents, seed: int = 0) -> ExperimentResult:
            result = run(n_agents=n_agents, seed=seed)
            attach_provenance(result, name, title, citation, n_agents, seed)
            return result

        _REGISTRY[name] = Experiment(name, title, citation, with_provenance, default_agents, desc, tuple(requires),
                                     extra)
        return with_provenance

    return deco


#: the provenance of a simulation that an experiment's result keeps
SIM_PROVENANCE = ("model", "model_options", "params", "n_agents", "n_param_sets", "design", "task", "task_spec",
                  "phases", "representation", "precision", "engine", "record", "seed", "mesolimbic_version")


def attach_provenance(result: ExperimentResult, name: str, title: str, citation: str, n_agents: int,
                      seed: int) -> None:
    """The same attributes on every experiment's Dataset: what it is, how it was made."""
    from ..results import json_default, seed_attr

    ds = result.dataset
    ds.attrs.update(experiment=name, title=title, citation=citation, seed=seed_attr(seed), n_agents=int(n_agents),
                    mesolimbic_version=__version__,
                    params=json.dumps(result.params, default=json_default))
    if result.sims:
        ds.attrs["simulations"] = json.dumps(
            {label: {k: sim.attrs[k] for k in SIM_PROVENANCE if k in sim.attrs} for label, sim in result.sims.items()},
            default=json_default)


def _load_all() -> None:
    """Import every experiment module of this package (importing registers)."""
    from .. import experiments

    for mod in pkgutil.iter_modules(experiments.__path__):
        if not mod.name.startswith("_") and mod.name != "registry":
            importlib.import_module(f"{experiments.__name__}.{mod.name}")


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
