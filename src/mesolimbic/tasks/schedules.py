"""Free-operant reinforcement schedules in discrete time (Ferster & Skinner 1957).

Every time step the agent either waits (action 0) or responds (action 1, e.g. a
lever press), and each response costs ``cost``. The schedule decides which
responses are reinforced (outcome ``reward``):

* ``FR n`` — fixed ratio: the *n*-th response since the last reinforcer;
* ``VR n`` — variable ratio: the requirement is drawn afresh after each
  reinforcer with mean *n* (``draw="uniform"``: uniformly from 1 … 2n−1, the
  classic arithmetic tape; ``"geometric"``: constant probability 1/n per
  response, i.e. a random-ratio schedule);
* ``RR p`` — random ratio: each response is reinforced with probability *p*
  (the plain "30 % chance of reward per action" schedule is ``RR 0.3``);
* ``FI T`` — fixed interval: the first response once *T* steps have passed
  since the last reinforcer;
* ``VI T`` — variable interval: as FI with the interval drawn afresh with mean
  *T* (``"geometric"``, the default: the reinforcer is armed with probability
  1/T per step and held until collected — the constant-probability VI of
  Fleshler & Hoffman 1962; ``"uniform"``: 1 … 2T−1).

After ``n_steps`` steps of acquisition an optional extinction phase of
``n_extinction`` steps follows in which nothing is reinforced (the default
phases of the task: ``acquisition`` and ``extinction``; see
:mod:`mesolimbic.tasks.phases` for other arrangements).

The agent observes how long it has been since the last reinforcer and how many
responses it has made since (both capped); the observation is the single index
``min(time, time_cap) * (count_cap + 1) + min(count, count_cap)``. It knows
nothing about the schedule in force, so whatever rate, pause or scallop
appears has to be learned from these two clocks.

References: Ferster, C. B. & Skinner, B. F. (1957). Schedules of Reinforcement.
Appleton-Century-Crofts. Fleshler, M. & Hoffman, H. S. (1962). A progression for
generating variable-interval schedules. J Exp Anal Behav 5:529-530.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp

from .._validate import check_choice, check_count, check_range
from ..models.base import Output

__all__ = ["Schedule", "KINDS"]

#: the schedules: fixed, variable and random ratio; fixed and variable interval
KINDS = ("FR", "VR", "RR", "FI", "VI")


@dataclass(frozen=True)
class Schedule:
    """A reinforcement schedule (see the module docstring).

    Args:
      kind: ``"FR"``, ``"VR"``, ``"RR"``, ``"FI"`` or ``"VI"``.
      value: the ratio (FR, VR; >= 1), the probability (RR; in (0, 1]) or the
        interval in steps (FI, VI; >= 1).
      n_steps: steps of acquisition.
      n_extinction: steps of extinction that follow (no reinforcement).
      reward: outcome of a reinforced response (before the cost).
      cost: cost of each response, subtracted from the outcome.
      draw: how VR / VI requirements are drawn: ``"uniform"`` or ``"geometric"``
        (default: uniform for VR, geometric for VI).
      time_cap, count_cap: largest time / response count the agent can tell apart.
    """

    kind: str = "FR"
    value: float = 5
    n_steps: int = 4000
    n_extinction: int = 0
    reward: float = 1.0
    cost: float = 0.05
    draw: str | None = None
    time_cap: int = 30
    count_cap: int = 30
    name: str = "schedule"

    n_actions = 2  # 0 wait, 1 respond
    n_draws = 2  # uniforms the task needs per step
    n_stages = 1
    n_z = 0
    multi_step = True
    can_withhold = True  # extinction: no response is reinforced (responses still cost)
    time_dim = "step"
    emits = {"reinforced": Output("the response was reinforced"),
             "extinction": Output("the step belongs to an extinction phase (nothing is reinforced)")}

    def default_phases(self):
        """Acquisition, then extinction when ``n_extinction`` > 0."""
        from .phases import ChoicePhase

        phases = [ChoicePhase("acquisition", self.n_steps)]
        if self.n_extinction:
            phases.append(ChoicePhase("extinction", self.n_extinction, reinforce=False))
        return tuple(phases)

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        if self.kind == "RR":
            check_range("value (RR probability)", self.value, 0.0, 1.0, low_open=True)
        else:
            what = "ratio" if self.kind in ("FR", "VR") else "interval"
            check_range(f"value ({self.kind} {what})", self.value, 1.0, math.inf)
        if self.kind == "FR" or self.kind == "FI":
            if float(self.value) != int(self.value):
                raise ValueError(f"value of a fixed schedule must be a whole number, got {self.value!r}")
        draw = self.draw if self.draw is not None else ("geometric" if self.kind == "VI" else "uniform")
        object.__setattr__(self, "draw", check_choice("draw", draw, ("uniform", "geometric")))
        check_count("n_steps", self.n_steps, 1)
        check_count("n_extinction", self.n_extinction, 0)
        check_range("reward", self.reward)
        check_range("cost", self.cost, 0.0, math.inf)
        check_count("time_cap", self.time_cap, 1)
        check_count("count_cap", self.count_cap, 1)
        object.__setattr__(self, "value", float(self.value))

    @property
    def label(self) -> str:
        return f"{self.kind} {self.value:g}"

    @property
    def n_trials(self) -> int:
        """Steps in the session (acquisition + extinction)."""
        return self.n_steps + self.n_extinction

    @property
    def n_states(self) -> int:
        return (self.time_cap + 1) * (self.count_cap + 1)

    def _requirement(self, xp, u):
        """The next ratio or interval requirement, drawn from the uniform ``u``."""
        n = self.value
        if self.kind in ("FR", "FI") or self.kind == "RR":
            return xp.asarray(n, xp.float32) + 0 * u
        if self.draw == "uniform":
            return (1.0 + xp.floor(u * (2.0 * n - 1.0))).astype(xp.float32)
        if n <= 1.0:
            return xp.ones_like(u, dtype=xp.float32)
        # geometric with mean n: trials to the first success with probability 1/n
        return (1.0 + xp.floor(xp.log1p(-u) / math.log1p(-1.0 / n))).astype(xp.float32)

    def init(self, key=None, xp=jnp) -> dict:
        """Start of a session. The first VR / VI requirement is drawn from ``key``
        (a JAX key, or a NumPy Generator for the Gymnasium environment)."""
        u: Any
        if key is None:
            u = 0.5
        elif xp is jnp:
            import jax

            u = jax.random.uniform(key)
        else:
            u = key.random()
        return {"t": xp.zeros((), xp.int32), "since": xp.zeros((), xp.int32), "count": xp.zeros((), xp.int32),
                "req": self._requirement(xp, xp.asarray(u, xp.float32))}

    def observe(self, state: dict):
        """Index of (time since the last reinforcer, responses since it), both capped."""
        since = state["since"].clip(max=self.time_cap)
        count = state["count"].clip(max=self.count_cap)
        return since * (self.count_cap + 1) + count

    def transition(self, xp, state: dict, action, u, z=None, reinforce=None):
        """One step: ``action`` 1 responds, 0 waits. ``u``: two uniforms (the RR
        draw and the next requirement). Returns the new state, the outcome
        (reward if reinforced, minus the response cost) and info: ``reinforced``,
        ``extinction`` (nothing is reinforced on this step), ``done`` (False:
        the task never ends an episode). ``reinforce`` (given by the phase) says
        whether responses can be reinforced; without it, the steps after
        ``n_steps`` are extinction."""
        respond = xp.asarray(action) == 1
        since = state["since"] + 1
        count = state["count"] + respond.astype(xp.int32)
        if self.kind in ("FR", "VR"):
            due = count.astype(xp.float32) >= state["req"]
        elif self.kind == "RR":
            due = u[0] < self.value
        else:
            due = since.astype(xp.float32) >= state["req"]
        extinction = state["t"] >= self.n_steps if reinforce is None else ~xp.asarray(reinforce)
        reinforced = respond & due & ~extinction
        outcome = (xp.where(reinforced, self.reward, 0.0) - xp.where(respond, self.cost, 0.0)).astype(xp.float32)
        new = {"t": state["t"] + 1,
               "since": xp.where(reinforced, 0, since).astype(xp.int32),
               "count": xp.where(reinforced, 0, count).astype(xp.int32),
               "req": xp.where(reinforced, self._requirement(xp, u[1]), state["req"]).astype(xp.float32)}
        return new, outcome, {"reinforced": reinforced, "extinction": extinction, "done": xp.zeros((), bool)}

