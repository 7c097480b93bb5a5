"""What every learner is: declared parameters plus two pure functions.

A learner is ``init(params, spec) -> state`` and ``step(params, state, inputs) ->
(state, outputs)`` over explicit state (DESIGN.md, principle 1); choice learners
add ``policy(params, state, obs) -> log-probabilities``. ``spec`` (:class:`Spec`)
is what the task tells every learner at the start, the same for all of them:
the number of features or cues, of actions and of observable states. The one
session kernel (:mod:`mesolimbic.kernel`) runs ``step`` for simulation,
scoring, regressors and the circuit. Parameters are declared once, with their
allowed range, so the same declaration validates a user's value and bounds it
for an optimiser or a sampler. Outputs are declared with their meaning and units
(:class:`Output`), so every result carries them.

The learner protocol (what the kernel relies on):

===================  ==========================================================
``name``             short name recorded in results
``params``           tuple of :class:`Param`
``level``            ``"step"`` (real time, over the time steps of a Pavlovian
                     trial), ``"trial"`` (once per Pavlovian trial) or
                     ``"choice"`` (one choice per step of a choice task)
``linear``           the trial's outputs and final weights are affine in its
                     initial weights (enables the exact affine engine)
``outputs``          ``{name: Output}``: what ``step`` returns
``init``, ``step``   the model
``prepare``          optional per-design inputs (Pavlovian): static inputs, and
                     per-trial inputs such as a physiological state
``check_task``       refuses a task the learner cannot serve, naming both
===================  ==========================================================
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Mapping

import numpy as np

from .._validate import check_range

__all__ = ["Param", "Model", "Spec", "Output", "Prepared"]


@dataclass(frozen=True)
class Param:
    """A model parameter: name, default, allowed interval and meaning."""

    name: str
    default: float
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    doc: str = ""

    def validate(self, value: Any) -> np.ndarray:
        return check_range(self.name, value, self.low, self.high,
                           low_open=self.low_open, high_open=self.high_open)

    @property
    def interval(self) -> str:
        return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"


@dataclass(frozen=True)
class Spec:
    """What a task tells a learner at ``init``.

    ``n_features``: features per time step (real-time learners) or cues (trial-level
    learners) of a Pavlovian design; ``n_actions`` and ``n_states`` (observations)
    of a choice task; ``cues``: the cue names of a Pavlovian design."""

    n_features: int = 0
    n_actions: int = 0
    n_states: int = 1
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Output:
    """A declared output of ``step``: meaning, units, the dimensions beyond the step
    (e.g. ``("action",)``) and, for the circuit, the region it comes from. ``stage``:
    in a task with several stages per trial, a quantity of the trial recorded at that
    stage only, without a ``stage`` dimension (the hybrid learner's first-stage values,
    the two-step task's transition and reward probabilities)."""

    long_name: str
    units: str = "1"
    dims: tuple[str, ...] = ()
    region: str = ""
    stage: int | None = None

    def attrs(self) -> dict:
        a = {"long_name": self.long_name, "units": self.units}
        if self.region:
            a["region"] = self.region
        return a


@dataclass
class Prepared:
    """Inputs a learner derives from a compiled Pavlovian design before the run:
    ``static`` (the same at every step, e.g. cue saliences), ``per_trial``
    (``{name: [n_trials, ...]}``, e.g. a physiological state that changes between
    phases) and ``stim`` (``[n_types, S]`` added to the design's stimulation)."""

    static: dict = field(default_factory=dict)
    per_trial: dict = field(default_factory=dict)
    stim: Any = None


class Model(ABC):
    """Base class of learners (see the module docstring for the protocol)."""

    name: str = "model"
    params: tuple[Param, ...] = ()
    level: str = "step"
    linear: bool = False
    #: ``{output name: Output}``; outputs not declared are recorded without units
    outputs: dict = {}
    #: state entries recorded after the last trial of a Pavlovian run: ``{key: (variable, long name)}``
    final_state: dict = {}

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def validate_params(self, params: Mapping[str, Any] | None) -> dict[str, np.ndarray]:
        """Fill defaults and check every value against its declared range."""
        params = dict(params or {})
        unknown = set(params) - set(self.param_names)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {sorted(unknown)} for model {self.name!r}; "
                f"its parameters are {list(self.param_names)}"
            )
        return {p.name: p.validate(params.get(p.name, p.default)) for p in self.params}

    def options(self) -> dict[str, Any]:
        """Structural options (not fitted), recorded in the results' attrs."""
        return {}

    def prepare(self, compiled, representation) -> Prepared:
        """Per-design inputs (Pavlovian designs); none by default."""
        return Prepared()

    def check_task(self, task) -> None:
        """Raise a ValueError naming the learner and the task if the learner cannot serve
        ``task``. The default: Pavlovian learners run Pavlovian designs only."""
        from ..tasks.pavlovian import PavlovianDesign

        if self.level in ("step", "trial") and not isinstance(task, PavlovianDesign):
            raise ValueError(f"{self!r} is a Pavlovian learner (it has no policy to choose with); task "
                             f"{getattr(task, 'name', type(task).__name__)!r} needs a choice learner, e.g. "
                             f"models.DeltaRule() or models.QLearning()")

    @abstractmethod
    def init(self, params: Mapping[str, Any], spec: Spec) -> dict:
        """Initial state of one agent."""

    @abstractmethod
    def step(self, params: Mapping[str, Any], state: dict, inputs: dict) -> tuple[dict, dict]:
        """Advance one agent by one step; return the new state and the outputs."""

    def _key(self) -> tuple:
        return (type(self), repr(sorted(self.options().items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}({opts})"
