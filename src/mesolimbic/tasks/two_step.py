"""The two-step task (Daw, Gershman, Seymour, Dayan & Dolan 2011, Neuron 69:1204).

Each trial: a first-stage choice between two actions; action a leads to
second-stage state a with the common transition probability (0.7) and to the
other state otherwise (rare); in the second-stage state a choice between two
actions is rewarded with a probability that drifts as a Gaussian random walk
(sd 0.025 per trial) reflected into [0.25, 0.75].

As with the bandit, :meth:`TwoStep.transition` is the task's logic given its
random draws, written once for both ``jax.numpy`` (batched simulation) and
``numpy`` (the Gymnasium environment).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_count, check_range

__all__ = ["TwoStep", "stay_probabilities", "STAY_CONDITIONS"]

#: the previous-trial conditions of the stay analysis, in the order returned
STAY_CONDITIONS = ("rewarded, common", "rewarded, rare", "unrewarded, common", "unrewarded, rare")


def stay_probabilities(choice1, common, reward, mask=None, p_choice2=None):
    """P(repeat the first-stage choice) after each previous-trial condition (Daw et al.
    2011, Fig. 2), pooled over every sequence; trials on the last axis.

    ``choice1`` (0/1), ``common`` (the transition was common), ``reward`` (> 0 is
    rewarded), ``mask`` (real trials; default all); ``p_choice2``: a model's
    one-step-ahead P(first-stage action 1), whose mean probability of repeating the
    previous choice is the prediction. Returns ``(observed, predicted, n)``, each of
    length 4 in the order of :data:`STAY_CONDITIONS` (``predicted`` None without a
    model; NaN where a condition never occurs)."""
    c, com, r = np.asarray(choice1), np.asarray(common, bool), np.asarray(reward) > 0
    ok = np.ones(c.shape, bool) if mask is None else np.asarray(mask, bool)
    ok = ok[..., 1:] & ok[..., :-1]
    prev_c, prev_com, prev_r = c[..., :-1], com[..., :-1], r[..., :-1]
    stay = (c[..., 1:] == prev_c).astype(float)
    if p_choice2 is not None:
        p2 = np.asarray(p_choice2, float)[..., 1:]
        p_stay = np.where(prev_c == 1, p2, 1 - p2)
    obs, pred, n = [], [], []
    for rew, com_ in ((True, True), (True, False), (False, True), (False, False)):
        sel = ok & (prev_r == rew) & (prev_com == com_)
        n.append(int(sel.sum()))
        obs.append(float(stay[sel].mean()) if sel.any() else np.nan)
        pred.append(float(p_stay[sel].mean()) if p_choice2 is not None and sel.any() else np.nan)
    return np.array(obs), (np.array(pred) if p_choice2 is not None else None), np.array(n)


@dataclass(frozen=True)
class TwoStep:
    """Parameters of the two-step task (defaults: Daw et al. 2011)."""

    n_trials: int = 200
    common: float = 0.7
    drift_sd: float = 0.025
    bounds: tuple[float, float] = (0.25, 0.75)
    initial: tuple[float, float, float, float] | None = None  # reward probabilities of (s0a0, s0a1, s1a0, s1a1)
    name: str = "two_step"

    def __post_init__(self) -> None:
        check_count("n_trials", self.n_trials, 1)
        check_range("common (transition probability)", self.common, 0.0, 1.0)
        check_range("drift_sd", self.drift_sd, 0.0, math.inf)
        lo, hi = self.bounds
        check_range("bounds low", lo, 0.0, 1.0)
        check_range("bounds high", hi, lo, 1.0)
        if self.initial is not None:
            if len(self.initial) != 4:
                raise ValueError(f"initial must give 4 reward probabilities, got {self.initial!r}")
            for i, p in enumerate(self.initial):
                check_range(f"initial[{i}]", p, lo, hi)

    @property
    def transition_matrix(self):
        """P(second-stage state | first-stage action): rows sum to 1."""
        c = self.common
        return ((c, 1 - c), (1 - c, c))

    def init(self, key: jax.Array | None = None, xp=jnp) -> dict:
        """Start state: given ``initial`` probabilities, or uniform draws within the bounds."""
        if self.initial is not None:
            p = xp.asarray(self.initial, xp.float32)
        elif xp is jnp:
            p = jax.random.uniform(key, (4,), minval=self.bounds[0], maxval=self.bounds[1])
        else:
            p = key.uniform(self.bounds[0], self.bounds[1], 4).astype(xp.float32)  # key: a numpy Generator
        return {"p": p, "t": xp.zeros((), xp.int32)}

    def draws(self, key: jax.Array) -> dict:
        k1, k2, k3 = jax.random.split(key, 3)
        return {"u_trans": jax.random.uniform(k1), "u_reward": jax.random.uniform(k2),
                "z": jax.random.normal(k3, (4,))}

    def second_stage(self, xp, a1, u_trans):
        """The second-stage state reached by ``a1``, and whether the transition was common."""
        common = u_trans < self.common
        return xp.where(common, a1, 1 - a1), common

    def outcome(self, xp, state: dict, s2, a2, u_reward, z) -> tuple[dict, object]:
        """Reward for ``a2`` in ``s2``, then the random walk of the four probabilities."""
        p = state["p"]
        which = xp.arange(4) == 2 * s2 + a2  # a mask, not a gather: cheaper under vmap
        reward = (u_reward < xp.sum(xp.where(which, p, 0.0))).astype(xp.float32)
        lo, hi = self.bounds
        x = p + self.drift_sd * z
        x = xp.where(x > hi, 2 * hi - x, x)
        x = xp.clip(xp.where(x < lo, 2 * lo - x, x), lo, hi).astype(xp.float32)
        return {"p": x, "t": state["t"] + 1}, reward
