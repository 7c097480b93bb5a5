"""What every learner is: declared parameters plus two pure functions.

A model is ``init(params, n_features) -> state`` and
``step(params, state, inputs) -> (state, outputs)`` over explicit state
(DESIGN.md, principle 1). The same ``step`` drives simulation (here), and will
drive likelihoods, regressors and the circuit. Parameters are declared once,
with their allowed range, so the same declaration validates a user's value and
(later) bounds it for an optimiser or a sampler.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .._validate import check_range

__all__ = ["Param", "Model"]


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


class Model(ABC):
    """Base class of learners.

    Subclasses set ``name``, ``params`` (a tuple of :class:`Param`), ``level``
    (``"step"`` for real-time models run over the time steps of each trial,
    ``"trial"`` for trial-level models) and ``linear`` (True when, given a
    trial's inputs, the weights after the trial and every output are affine in
    the weights before it, with all other state reset at the trial start —
    this lets the simulator apply a whole trial as one matrix product, see
    :mod:`mesolimbic.simulate`).
    """

    name: str = "model"
    params: tuple[Param, ...] = ()
    level: str = "step"
    linear: bool = False

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

    def salience_vector(self, cue_names: tuple[str, ...]):
        """Per-cue learning-rate multipliers for trial-level models (1 for every cue here)."""
        import jax.numpy as jnp

        return jnp.ones(len(cue_names), jnp.float32)

    @abstractmethod
    def init(self, params: Mapping[str, Any], n_features: int) -> dict:
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
