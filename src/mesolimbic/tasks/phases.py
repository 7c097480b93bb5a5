"""Phases of a choice task: training blocks, test blocks without feedback, extinction,
parameter changes at a boundary, and stop criteria.

A :class:`ChoiceDesign` is a choice task (bandit, go/no-go, probabilistic selection,
schedule, avoidance, two-step) run in :class:`ChoicePhase` blocks::

    ChoiceDesign(ActiveAvoidance(n_episodes=200), [
        ChoicePhase("acquisition", 120 * 3, until=Streak("avoided", 10)),   # stop after 10 avoidances in a row
        ChoicePhase("extinction", 80 * 3, reinforce=False),                # shock off
    ])
    ChoiceDesign(ProbabilisticSelection(), [
        ChoicePhase("training", 180),
        ChoicePhase("test", 60, feedback=False, params={"rho": 0.5}),      # OpAL's rho changes at test only
    ])

* ``feedback=False`` — the learner is told that no outcome was shown (it does not
  learn from it; the outcome is still recorded);
* ``reinforce=False`` — the task withholds its reinforcer (reward or shock; costs
  of responding remain): extinction. Tasks that cannot withhold it refuse;
* ``params`` — parameter values that replace the learner's during the phase;
* ``until`` — a :class:`Streak` ends the phase early: after that, until the phase's
  last trial, the learner and the task are frozen and the trials are recorded as
  not ``valid`` (every agent still has the same number of trials, so results stay
  rectangular).

A task given without phases runs its own default phases (``task.default_phases()``:
training and test for the probabilistic selection task, acquisition and extinction
for a schedule with ``n_extinction``), or one phase, ``"session"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from collections.abc import Mapping, Sequence

import numpy as np

from .._validate import check_count, check_range

__all__ = ["ChoicePhase", "ChoiceDesign", "Streak", "as_design"]


@dataclass(frozen=True)
class Streak:
    """Stop criterion: ``n`` consecutive episodes (trials, in one-step tasks) in which
    the task reported ``event`` (an entry of its per-step information, e.g. ``"avoided"``,
    ``"correct"``)."""

    event: str
    n: int

    def __post_init__(self) -> None:
        if not isinstance(self.event, str) or not self.event:
            raise ValueError(f"Streak event must name an entry of the task's information, got {self.event!r}")
        check_count("Streak n", self.n, 1)


@dataclass(frozen=True)
class ChoicePhase:
    """A block of ``n_trials`` trials of a choice task (see the module docstring)."""

    name: str
    n_trials: int
    feedback: bool = True
    reinforce: bool = True
    params: Mapping[str, float] | None = None
    until: Streak | None = None

    def __post_init__(self) -> None:
        check_count(f"phase {self.name!r}: n_trials", self.n_trials, 1)
        for k, v in dict(self.params or {}).items():
            check_range(f"phase {self.name!r}: parameter {k}", v)
        if self.until is not None and not isinstance(self.until, Streak):
            raise ValueError(f"phase {self.name!r}: until must be a Streak(event, n), got {self.until!r}")
        # stored as sorted (name, value) pairs so that phases stay hashable; read with .overrides
        object.__setattr__(self, "params", tuple(sorted((str(k), float(v)) for k, v in dict(self.params or {}).items())))

    @property
    def overrides(self) -> dict[str, float]:
        """The parameter values this phase sets, ``{name: value}``."""
        return dict(self.params or {})  # a tuple of pairs after __post_init__

    def to_dict(self) -> dict:
        d = {"name": self.name, "n_trials": self.n_trials, "feedback": self.feedback, "reinforce": self.reinforce,
             "params": self.overrides}
        if self.until is not None:
            d["until"] = {"event": self.until.event, "n": self.until.n}
        return d


@dataclass(frozen=True)
class ChoiceDesign:
    """A choice task run in phases; the phases' trials add up to the session."""

    task: Any
    phases: tuple[ChoicePhase, ...]

    def __post_init__(self) -> None:
        phases = tuple(self.phases)
        if not phases:
            raise ValueError("a ChoiceDesign needs at least one phase")
        for ph in phases:
            if not isinstance(ph, ChoicePhase):
                raise ValueError(f"phases must be ChoicePhase objects, got {type(ph).__name__}")
            if not ph.reinforce and not getattr(self.task, "can_withhold", False):
                raise ValueError(f"phase {ph.name!r} withholds reinforcement (reinforce=False), but task "
                                 f"{getattr(self.task, 'name', type(self.task).__name__)!r} cannot withhold its "
                                 f"outcomes")
        names = [p.name for p in phases]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"phase names must be unique, got duplicates {dup}")
        total = sum(p.n_trials for p in phases)
        n = self.task.n_trials
        if total != n:
            raise ValueError(f"the phases have {total} trials in all but task {self.task.name!r} has n_trials={n}; "
                             f"make them equal")
        object.__setattr__(self, "phases", phases)

    @property
    def n_trials(self) -> int:
        return self.task.n_trials

    @property
    def name(self) -> str:
        return self.task.name

    def trial_phase(self) -> np.ndarray:
        """``[n_trials]`` phase index of each trial."""
        return np.repeat(np.arange(len(self.phases)), [p.n_trials for p in self.phases]).astype(np.int32)

    def phase_start(self) -> np.ndarray:
        """``[n_trials]`` True on the first trial of each phase."""
        out = np.zeros(self.n_trials, bool)
        out[np.cumsum([0] + [p.n_trials for p in self.phases[:-1]])] = True
        return out

    def check_params(self, param_names: Sequence[str], learner_name: str) -> None:
        for ph in self.phases:
            bad = sorted(set(ph.overrides) - set(param_names))
            if bad:
                raise ValueError(f"phase {ph.name!r} sets parameter(s) {bad}, which learner {learner_name!r} does not "
                                 f"have (its parameters: {list(param_names)})")

    def compiled(self, xp=None) -> CompiledPhases:
        return CompiledPhases(self)

    def to_dict(self) -> dict:
        return {"task": self.task.name, "phases": [p.to_dict() for p in self.phases]}


def as_design(task) -> ChoiceDesign:
    """A task as a :class:`ChoiceDesign`: itself, or with its default phases."""
    if isinstance(task, ChoiceDesign):
        return task
    if hasattr(task, "default_phases"):
        return ChoiceDesign(task, tuple(task.default_phases()))
    return ChoiceDesign(task, (ChoicePhase("session", task.n_trials),))


class CompiledPhases:
    """The phases as arrays the kernel indexes by phase (inside ``jit``)."""

    def __init__(self, design: ChoiceDesign) -> None:
        import jax.numpy as jnp

        ph = design.phases
        self.feedback = jnp.asarray([p.feedback for p in ph])
        self.reinforce = jnp.asarray([p.reinforce for p in ph])
        self._flags = {"feedback": [bool(p.feedback) for p in ph], "reinforce": [bool(p.reinforce) for p in ph]}
        self.has_stop = any(p.until is not None for p in ph)
        self.limit = jnp.asarray([p.until.n if p.until else np.iinfo(np.int32).max for p in ph], jnp.int32)
        self._events = [(i, p.until.event) for i, p in enumerate(ph) if p.until is not None]
        names = sorted({k for p in ph for k in p.overrides})
        self._override = {k: (jnp.asarray([k in p.overrides for p in ph]),
                              jnp.asarray([float(p.overrides.get(k, math.nan)) for p in ph], jnp.float32))
                          for k in names}

    def flag(self, name: str, phase):
        """``feedback`` or ``reinforce`` in ``phase``: a plain bool when every phase has the same
        value (the common single-phase session: no per-step gather), else an array lookup."""
        values = self._flags[name]
        if all(v == values[0] for v in values):
            return values[0]
        return getattr(self, name)[phase]

    def params(self, p: dict, phase) -> dict:
        if not self._override:
            return p
        import jax.numpy as jnp

        out = dict(p)
        for k, (on, val) in self._override.items():
            out[k] = jnp.where(on[phase], val[phase].astype(jnp.asarray(p[k]).dtype), p[k])
        return out

    def event(self, info: dict, phase):
        import jax.numpy as jnp

        ev = jnp.zeros((), bool)
        for i, key in self._events:
            if key not in info:
                raise ValueError(f"stop criterion event {key!r} is not reported by the task (it reports "
                                 f"{sorted(info)})")
            ev = ev | ((phase == i) & jnp.asarray(info[key], bool))
        return ev
