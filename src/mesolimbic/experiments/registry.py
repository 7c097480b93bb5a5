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
from collections.abc import Callable

import xarray as xr

from .._version import __version__

__all__ = ["Check", "Experiment", "ExperimentResult", "KINDS", "CLAIMS", "TOPICS", "register", "get", "names",
           "all_experiments", "robustness"]

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}

#: what a check can be: only findings and directions count as reproducing a paper
KINDS = {
    "finding": "a number or effect size from the paper (figure or table cited), with the threshold derived from it",
    "direction": "the paper gives a sign or an ordering only; the check tests that",
    "property": "a model identity or wiring test: true by construction or by mathematics, not a reproduction",
}
#: the topics findings are grouped by (report, documentation), in reading order, with what each covers
TOPICS = {
    "dopamine RPE": "dopamine neurons report a reward prediction error: timing, probability, blocking, delay",
    "associative learning": "Pavlovian cue competition with Rescorla–Wagner and TD side by side, and RW's known failures",
    "instrumental": "choice: reversal, two-step, go/no-go, probabilistic selection, reinforcement schedules",
    "aversive": "fear conditioning and avoidance",
    "circuit & motivation": "the VTA–NAc–amygdala–PFC circuit under lesions, drugs and physiological state",
    "distributional": "a population of RPE channels with diverse asymmetries",
    "RLHF": "reward models, over-optimisation and token-level RPEs in language-model training",
}

#: how a check must hold over seeds
CLAIMS = {
    "every seed": "passes at every seed run",
    "interval": "the 95 % interval of the measured value across seeds lies beyond the threshold",
}


@dataclass(frozen=True)
class Check:
    """One named comparison of a measured number with the paper's signature.

    ``kind`` says what the check is (:data:`KINDS`): a ``finding`` (with ``source``,
    the figure or table and how the threshold follows from it), a ``direction`` or
    a ``property``. ``claim`` says how it must hold across seeds (:data:`CLAIMS`).
    """

    name: str
    description: str
    measured: float
    comparison: str
    threshold: float
    unit: str = ""
    expected_failure: bool = False
    model: str = ""
    kind: str = ""
    source: str = ""
    claim: str = "every seed"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"check {self.name!r} must declare its kind, one of {sorted(KINDS)}; got {self.kind!r}")
        if self.kind == "finding" and not self.source:
            raise ValueError(f"check {self.name!r} is a finding: give its source (figure or table, and how the "
                             f"threshold follows from it)")
        if self.claim not in CLAIMS:
            raise ValueError(f"check {self.name!r}: claim must be one of {sorted(CLAIMS)}, got {self.claim!r}")
        if self.comparison not in _OPS:
            raise ValueError(f"check {self.name!r}: comparison must be one of {sorted(_OPS)}, got {self.comparison!r}")

    @property
    def reproduces(self) -> bool:
        """True for checks that count as reproducing the paper (findings and directions)."""
        return self.kind in ("finding", "direction")

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
                "model": self.model, "kind": self.kind, "source": self.source, "claim": self.claim}


@dataclass
class ExperimentResult:
    name: str
    dataset: xr.Dataset
    checks: list[Check]
    figure: Callable[[], object] = field(repr=False)

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
        """Per model, judged on its ``finding`` and ``direction`` checks: ``reproduced``,
        ``reproduced (+N expected failure[s])`` when the model reproduces some signatures
        and is known not to produce others, ``expected failure`` when it reproduces none
        of them (as known), ``properties only`` when it has no finding or direction check,
        and ``fails`` when any check it should pass (of any kind) fails."""
        out: dict[str, str] = {}
        for m in dict.fromkeys(c.model for c in self.checks):
            cs = [c for c in self.checks if c.model == m]
            repro = [c for c in cs if c.reproduces]
            n_x = sum(c.status == "expected failure" for c in repro)
            n_ok = sum(c.status in ("pass", "unexpected pass") for c in repro)
            if any(c.status == "fail" for c in cs):
                out[m] = "fails"
            elif not repro:
                out[m] = "properties only"
            elif n_x and n_ok:
                out[m] = f"reproduced (+{n_x} expected failure{'s' if n_x > 1 else ''})"
            elif n_x:
                out[m] = "expected failure"
            else:
                out[m] = "reproduced"
        return out

    def counts(self) -> dict[str, int]:
        """Number of checks of each kind."""
        return {k: sum(c.kind == k for c in self.checks) for k in KINDS}


def robustness(checks_by_seed: dict[int, list[Check]]) -> list[dict]:
    """The checks of one experiment run at several seeds: per check, the pass rate, the
    mean, sd and 95 % interval of the measured value, and whether it holds as its
    ``claim`` says (every seed, or the interval beyond the threshold). Checks are
    matched by name and model."""
    import math

    seeds = sorted(checks_by_seed)
    first = checks_by_seed[seeds[0]]
    out = []
    for c in first:
        same = [next(x for x in checks_by_seed[s] if x.name == c.name and x.model == c.model) for s in seeds]
        vals = [x.measured for x in same]
        finite = [v for v in vals if math.isfinite(v)]
        n = len(finite)
        mean = sum(finite) / n if n else math.nan
        sd = math.sqrt(sum((v - mean) ** 2 for v in finite) / (n - 1)) if n > 1 else math.nan
        half = 1.96 * sd / math.sqrt(n) if n > 1 else math.nan
        lo, hi = mean - half, mean + half
        pass_rate = sum(x.passed for x in same) / len(same)
        if c.claim == "interval":
            beyond = lo if c.comparison in (">", ">=") else hi
            holds = n > 1 and _OPS[c.comparison](beyond, c.threshold)
        else:
            holds = pass_rate == 1.0
        expected = "fails" if c.expected_failure else "holds"
        out.append({"name": c.name, "model": c.model, "kind": c.kind, "claim": c.claim,
                    "expected_failure": c.expected_failure, "seeds": seeds, "measured": vals,
                    "pass_rate": pass_rate, "mean": mean, "sd": sd, "ci95": [lo, hi],
                    "holds": bool(holds), "as_expected": bool(holds) if expected == "holds" else
                    (pass_rate == 0.0 if c.claim == "every seed" else not holds)})
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
    #: one of :data:`TOPICS` (empty for an experiment registered without one)
    topic: str = ""

    def missing(self) -> str | None:
        """None when the experiment can run here; else a note naming the extra to install."""
        from ..rlhf._extras import available

        if available(*self.requires):
            return None
        return f"needs the optional extra: pip install 'mesolimbic[{self.extra}]'"


_REGISTRY: dict[str, Experiment] = {}


def register(name: str, title: str, citation: str, default_agents: int = 200, description: str = "",
             requires: tuple[str, ...] = (), extra: str = "", topic: str = ""):
    """Decorator: register ``run(n_agents=..., seed=...)`` as experiment ``name``.

    ``description`` is the design in one paragraph (shown in the report); by
    default the first paragraph of the defining module's docstring after its title.
    ``requires`` lists modules of an optional ``extra`` the experiment needs; where
    they are missing, ``mesolimbic reproduce`` skips it with a note. ``topic``: one of
    :data:`TOPICS`, the group the finding is shown in (report, documentation).

    The result's ``figure()`` draws in the package's figure style
    (:func:`mesolimbic.plot.style`).
    """
    if topic and topic not in TOPICS:
        raise ValueError(f"experiment {name!r}: topic must be one of {list(TOPICS)}, got {topic!r}")

    def deco(run):
        desc = description
        if not desc:
            import sys

            doc = (sys.modules[run.__module__].__doc__ or "").strip().split("\n\n")
            desc = " ".join(doc[1].split()) if len(doc) > 1 else ""

        @functools.wraps(run)
        def with_provenance(n_agents: int = default_agents, seed: int = 0) -> ExperimentResult:
            import sys

            result = run(n_agents=n_agents, seed=seed)
            attach_provenance(result, name, title, citation, n_agents, seed,
                              getattr(sys.modules[run.__module__], "VARIABLES", None))
            result.figure = _styled(result.figure)
            return result

        _REGISTRY[name] = Experiment(name, title, citation, with_provenance, default_agents, desc, tuple(requires),
                                     extra, topic)
        return with_provenance

    return deco


def _styled(draw):
    """``draw`` run inside the package's figure style (matplotlib is imported only when drawing)."""

    @functools.wraps(draw)
    def figure():
        from ..plot import style

        with style():
            return draw()

    return figure


#: the provenance of a simulation that an experiment's result keeps
SIM_PROVENANCE = ("model", "model_options", "params", "n_agents", "n_param_sets", "design", "task", "task_spec",
                  "phases", "representation", "precision", "engine", "record", "seed", "mesolimbic_version")


#: CF ``long_name``/``units`` of the coordinates and variables that many experiments share, by
#: name. Only these names and those in an experiment module's own ``VARIABLES`` are filled in:
#: there is no fallback for an unknown name, so a variable nobody described stays without
#: ``long_name``/``units`` and ``tests/test_metadata.py`` names it. ``units=None``: a text label,
#: which CF gives no units.
COMMON_VARIABLES: dict[str, tuple[str, str | None]] = {
    "agent": ("simulated agent (index)", "1"),
    "trial": ("trial number", "1"),
    "phase": ("phase of the training design", None),
    "trial_type": ("trial type (the cues presented, and whether rewarded)", None),
    "cue": ("conditioned stimulus (cue)", None),
    "condition": ("experimental condition", None),
    "model": ("model variant", None),
    "group": ("group of simulated subjects", None),
    "learner": ("learning rule", None),
    "feature": ("stimulus feature", None),
}

#: what ``units="1"`` means where a variable was in the model's arbitrary reward units
REWARD_UNITS_NOTE = "arbitrary: the model's reward units (a reward of magnitude 1 is 1)"


def is_text(da) -> bool:
    """A label variable (strings, objects): CF gives it a ``long_name`` but no ``units``."""
    return da.dtype.kind in "OUS"


def describe(ds, variables: dict | None = None) -> None:
    """Fill in missing ``long_name``/``units`` of ``ds``'s variables and coordinates from the
    experiment's own ``variables`` (name -> (long_name, units) or (long_name, units, note)), then
    :data:`COMMON_VARIABLES`; attributes already set are kept. ``units="a.u."`` becomes "1" with a
    ``units_note``. ``<name>_by_agent`` takes ``<name>``'s units where it has none. Names found in
    neither table are left as they are."""
    table = {**COMMON_VARIABLES, **(variables or {})}
    names = list(ds.data_vars) + list(ds.coords)
    for v in names:
        da = ds[v]
        entry = table.get(v)
        if entry is not None:
            long_name, units, *note = entry
            da.attrs.setdefault("long_name", long_name)
            if units is not None and not is_text(da):
                da.attrs.setdefault("units", units)
            if note:
                da.attrs.setdefault("units_note", note[0])
        if da.attrs.get("units") == "a.u.":
            da.attrs["units"] = "1"
            da.attrs.setdefault("units_note", REWARD_UNITS_NOTE)
    for v in names:
        base = v[:-len("_by_agent")] if v.endswith("_by_agent") else None
        if base in ds.variables and "units" in ds[base].attrs and "units" not in ds[v].attrs:
            ds[v].attrs["units"] = ds[base].attrs["units"]
            if "units_note" in ds[base].attrs:
                ds[v].attrs.setdefault("units_note", ds[base].attrs["units_note"])


def attach_provenance(result: ExperimentResult, name: str, title: str, citation: str, n_agents: int,
                      seed: int, variables: dict | None = None) -> None:
    """The same attributes on every experiment's Dataset: what it is, how it was made, and
    CF-1.10 ``long_name``/``units`` of its variables (see :func:`describe`)."""
    from ..results import json_default, seed_attr

    ds = result.dataset
    describe(ds, variables)
    ds.attrs.update(Conventions="CF-1.10", experiment=name, title=title, citation=citation, seed=seed_attr(seed),
                    n_agents=int(n_agents),
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


def did_you_mean(name: str, choices) -> str:
    """`` — did you mean 'x'?`` for the closest of ``choices`` (empty when none is close)."""
    import difflib

    close = difflib.get_close_matches(str(name), list(choices), n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def get(name: str) -> Experiment:
    _load_all()
    if name not in _REGISTRY:
        raise ValueError(f"unknown experiment {name!r}{did_you_mean(name, _REGISTRY)} "
                         f"(`mesolimbic list` names all {len(_REGISTRY)})")
    return _REGISTRY[name]


def names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def all_experiments() -> list[Experiment]:
    return [get(n) for n in names()]
