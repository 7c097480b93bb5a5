"""Multi-armed bandits and probabilistic reversal learning, as pure JAX task functions.

One definition serves both uses: :meth:`Bandit.init` / :meth:`Bandit.step` are
pure functions over an explicit state (batched with ``jax.vmap`` by
:func:`mesolimbic.instrumental.simulate_choices`), and
:class:`mesolimbic.envs.BanditEnv` wraps the same functions as a Gymnasium
environment for external agents.

* stationary: fixed reward probabilities;
* restless: each arm's probability takes a Gaussian random-walk step every
  trial, reflected into ``bounds`` (Daw, O'Doherty, Dayan, Seymour & Dolan 2006
  used a Gaussian-payoff variant);
* reversal: the probabilities are reversed (the vector is flipped) every
  ``reversal_every`` trials, or after ``reversal_criterion`` consecutive choices
  of the better arm (as in many probabilistic reversal-learning studies, e.g.
  Cools, Clark, Owen & Robbins 2002).

Outcomes are ``reward_value`` on a win and ``loss_value`` otherwise (hBayesDM's
bandit2arm data code them 1 / -1; the default here is 1 / 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from .._validate import check_count, check_range
from ..models.base import Output

__all__ = ["Bandit", "reversal_learning"]


@dataclass(frozen=True)
class Bandit:
    """A k-armed Bernoulli bandit (see the module docstring).

    Args:
      probabilities: initial win probability of each arm.
      n_trials: trials per session.
      drift_sd: standard deviation of the per-trial random walk (0: stationary).
      bounds: reflecting bounds of the random walk.
      reversal_every: reverse the probabilities every this many trials.
      reversal_criterion: reverse after this many consecutive better-arm choices.
      reward_value, loss_value: outcome on a win and on a loss.
    """

    probabilities: tuple[float, ...] = (0.8, 0.2)
    n_trials: int = 200
    drift_sd: float = 0.0
    bounds: tuple[float, float] = (0.0, 1.0)
    reversal_every: int | None = None
    reversal_criterion: int | None = None
    reward_value: float = 1.0
    loss_value: float = 0.0
    name: str = "bandit"

    def __post_init__(self) -> None:
        object.__setattr__(self, "probabilities", tuple(float(p) for p in self.probabilities))
        if len(self.probabilities) < 2:
            raise ValueError(f"probabilities must list at least 2 arms, got {self.probabilities!r}")
        for i, p in enumerate(self.probabilities):
            check_range(f"probabilities[{i}]", p, 0.0, 1.0)
        check_count("n_trials", self.n_trials, 1)
        check_range("drift_sd", self.drift_sd, 0.0, math.inf)
        lo, hi = self.bounds
        check_range("bounds low", lo, 0.0, 1.0)
        check_range("bounds high", hi, lo, 1.0)
        if self.reversal_every is not None:
            check_count("reversal_every", self.reversal_every, 1)
        if self.reversal_criterion is not None:
            check_count("reversal_criterion", self.reversal_criterion, 1)
        check_range("reward_value", self.reward_value)
        check_range("loss_value", self.loss_value)

    n_states = 1
    n_stages = 1
    n_draws = 1
    multi_step = False
    can_withhold = True  # extinction: every choice ends in the loss outcome
    emits = {"p_reward": Output("reward probability of each arm", dims=("action",)),
             "correct": Output("the chosen arm was the better one"),
             "reversed": Output("a reversal followed the trial")}

    @property
    def n_actions(self) -> int:
        return len(self.probabilities)

    @property
    def n_z(self) -> int:
        """Normal draws per step (the random walk of each arm)."""
        return self.n_actions if self.drift_sd > 0 else 0

    def observe(self, state: dict):
        """A bandit has a single state."""
        return 0

    def init(self, key: jax.Array | None = None, xp=jnp) -> dict:
        """Task state at the start of a session (the start is fixed; ``key`` is unused)."""
        return {"p": xp.asarray(self.probabilities, xp.float32), "streak": xp.zeros((), xp.int32),
                "t": xp.zeros((), xp.int32), "reversals": xp.zeros((), xp.int32)}

    def step(self, state: dict, action: jax.Array, key: jax.Array) -> tuple[dict, jax.Array, dict]:
        """Deliver the outcome of ``action`` and advance the task by one trial (JAX).

        Returns the new state, the outcome and info (``p`` before the trial,
        ``correct``: whether the action was the better arm, ``reversed``: whether
        a reversal happened after this trial).
        """
        k_win, k_walk = jax.random.split(key)
        u = jax.random.uniform(k_win)
        z = jax.random.normal(k_walk, state["p"].shape)
        return self.transition(jnp, state, action, u, z)

    def transition(self, xp, state: dict, action, u, z=None, reinforce=True) -> tuple[dict, Any, dict]:
        """The task's logic given its random draws: ``u`` ~ U(0, 1) decides the win,
        ``z`` ~ N(0, 1) per arm drives the random walk. ``xp`` is the array module
        (``jax.numpy`` for the batched simulator, ``numpy`` for the Gymnasium
        environment), so both run this one definition. ``reinforce=False``
        (extinction) withholds wins."""
        p = state["p"]
        win = (u < p[action]) & reinforce
        outcome = xp.where(win, self.reward_value, self.loss_value).astype(xp.float32)
        correct = p[action] >= xp.max(p)
        streak = xp.where(correct, state["streak"] + 1, 0)
        t = state["t"] + 1
        reverse = xp.zeros((), bool)
        if self.reversal_every is not None:
            reverse = reverse | (t % self.reversal_every == 0)
        if self.reversal_criterion is not None:
            reverse = reverse | (streak >= self.reversal_criterion)
        new_p = xp.where(reverse, p[::-1], p)
        streak = xp.where(reverse, 0, streak)
        if self.drift_sd > 0:
            lo, hi = self.bounds
            x = new_p + self.drift_sd * z
            x = xp.where(x > hi, 2 * hi - x, x)  # reflect
            new_p = xp.clip(xp.where(x < lo, 2 * lo - x, x), lo, hi).astype(xp.float32)
        new_state = {"p": new_p, "streak": streak, "t": t, "reversals": state["reversals"] + reverse}
        return new_state, outcome, {"p": p, "correct": correct, "reversed": reverse}


def reversal_learning(n_trials: int = 200, p_high: float = 0.8, reversal_every: int | None = 40,
                      reversal_criterion: int | None = None) -> Bandit:
    """Probabilistic reversal learning: two arms, ``p_high`` / ``1 - p_high``, reversed on a
    fixed schedule (default every 40 trials) or after a run of correct choices."""
    check_range("p_high", p_high, 0.5, 1.0)
    return Bandit((p_high, 1.0 - p_high), n_trials=n_trials, reversal_every=reversal_every,
                  reversal_criterion=reversal_criterion, name="reversal_learning")
