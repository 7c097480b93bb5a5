"""Aversive learning: Pavlovian fear conditioning and signalled active avoidance.

* :func:`fear_conditioning` — a Pavlovian design in which a CS predicts a shock,
  coded as a negative US (``magnitude`` < 0), followed by extinction. Any
  Pavlovian learner runs it; the learned value of the CS goes negative
  (conditioned fear) and the RPE at the shock is negative.
* :class:`ActiveAvoidance` — signalled (discriminated) avoidance in discrete
  time: a warning signal comes on for ``warning_steps`` steps; a response
  during it (e.g. crossing to the other side of a shuttle box) turns it off and
  cancels the shock; otherwise the shock arrives at the end of the warning.
  This is the task of Mowrer's (1947) two-factor theory: fear of the warning is
  learned by Pavlovian conditioning, and the avoidance response is reinforced by
  the reduction of that fear (in TD terms, the positive prediction error of
  moving from a feared state to a safe one — Maia 2010).

References: Mowrer, O. H. (1947). On the dual nature of learning. Harvard
Educational Review 17:102-148. Solomon, R. L. & Wynne, L. C. (1953). Traumatic
avoidance learning. Psychol Monogr 67(4). Maia, T. V. (2010). Two-factor theory,
the actor-critic model, and conditioned avoidance. Learning & Behavior 38:50-67.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax.numpy as jnp

from .._validate import check_count, check_range
from ..models.base import Output
from .pavlovian import PavlovianDesign

__all__ = ["ActiveAvoidance", "fear_conditioning"]


def fear_conditioning(n_acquisition: int = 30, n_extinction: int = 30, shock: float = -1.0,
                      p_shock: float = 1.0, cs_duration: float = 1.0, dt: float = 0.2,
                      iti: float = 10.0) -> PavlovianDesign:
    """Cue A (the CS) followed after ``cs_duration`` s by a shock of size ``shock``
    (negative), with probability ``p_shock``, for ``n_acquisition`` trials; then
    ``n_extinction`` trials of A alone. Phases ``acquisition`` and ``extinction``."""
    check_range("shock", shock, -math.inf, 0.0, high_open=True)
    check_range("p_shock", p_shock, 0.0, 1.0, low_open=True)
    check_count("n_acquisition", n_acquisition, 1)
    check_count("n_extinction", n_extinction, 0)
    acq = "A+" if p_shock == 1.0 else f"A+{p_shock:g}"
    phases = [("acquisition", {acq: n_acquisition})]
    if n_extinction:
        phases.append(("extinction", {"A-": n_extinction}))
    return PavlovianDesign.from_notation(phases, us_time=cs_duration, dt=dt, magnitude=shock, iti=iti,
                                         name="fear_conditioning")


@dataclass(frozen=True)
class ActiveAvoidance:
    """Signalled active avoidance (see the module docstring).

    Each trial is ``warning_steps`` time steps long. Observation: the step of the
    warning (0 … ``warning_steps`` − 1), or ``warning_steps`` once the agent has
    avoided (the safe side, until the trial ends). Actions: ``n_actions``
    behaviours of which action 1 is the avoidance response and the others
    (0, 2, …) are whatever else the animal might do (freeze, groom, explore) —
    so that, as for a naive rat, the avoidance response is rare before learning.
    A response during the warning costs ``response_cost`` and moves to the safe
    state; without one the shock (``shock`` < 0) arrives on the last step, with
    probability ``p_shock``. The trial ends (``done``) on its last step. ``n_trials`` counts time
    steps (``n_episodes × warning_steps``); per-step info: ``avoided`` (this
    step's response avoided the shock), ``shocked``, ``episode``.
    """

    n_episodes: int = 100
    warning_steps: int = 3
    n_actions: int = 8
    shock: float = -1.0
    response_cost: float = 0.05
    p_shock: float = 1.0
    name: str = "active_avoidance"

    n_draws = 1
    n_stages = 1
    n_z = 0
    multi_step = True
    can_withhold = True  # extinction: the shock is off (the response still costs)
    emits = {"avoided": Output("this step's response avoided the shock"), "shocked": Output("a shock came"),
             "episode": Output("episode (trial of the warning signal) the step belongs to")}

    def __post_init__(self) -> None:
        check_count("n_episodes", self.n_episodes, 1)
        check_count("warning_steps", self.warning_steps, 1)
        check_count("n_actions", self.n_actions, 2)
        check_range("shock", self.shock, -math.inf, 0.0, high_open=True)
        check_range("response_cost", self.response_cost, 0.0, math.inf)
        check_range("p_shock", self.p_shock, 0.0, 1.0)

    @property
    def n_trials(self) -> int:
        return self.n_episodes * self.warning_steps

    @property
    def n_states(self) -> int:
        return self.warning_steps + 1

    def init(self, key=None, xp=jnp) -> dict:
        return {"t": xp.zeros((), xp.int32), "safe": xp.zeros((), bool)}

    def observe(self, state: dict):
        step = state["t"] % self.warning_steps
        return step + (self.warning_steps - step) * state["safe"]

    def transition(self, xp, state: dict, action, u, z=None, reinforce=True):
        """One step: ``action`` 1 responds. ``u`` decides a probabilistic shock;
        ``reinforce=False`` (extinction) turns the shock off."""
        step = state["t"] % self.warning_steps
        last = step == self.warning_steps - 1
        respond = (xp.asarray(action) == 1) & ~state["safe"]
        safe = state["safe"] | respond
        shocked = last & ~safe & (u < self.p_shock) & reinforce
        outcome = (xp.where(shocked, self.shock, 0.0) - xp.where(respond, self.response_cost, 0.0))
        new = {"t": state["t"] + 1, "safe": safe & ~last}
        return new, outcome.astype(xp.float32), {"avoided": respond, "shocked": shocked, "done": last,
                                                 "episode": state["t"] // self.warning_steps}
