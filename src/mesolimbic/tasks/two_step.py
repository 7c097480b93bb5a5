"""The two-step task (Daw, Gershman, Seymour, Dayan & Dolan 2011, Neuron 69:1204).

Each trial: a first-stage choice between two actions; action a leads to
second-stage state a with the common transition probability (0.7) and to the
other state otherwise (rare); in the second-stage state a choice between two
actions is rewarded with a probability that drifts as a Gaussian random walk
(sd 0.025 per trial) reflected into [0.25, 0.75].

The task is a two-stage choice task like any other (two steps per trial, the
second ending the episode), so every choice learner and the one session kernel
run it. As with the bandit, :meth:`TwoStep.transition` is the task's logic given
its random draws, written once for both ``jax.numpy`` (batched simulation) and
``numpy`` (the Gymnasium environment).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_count, check_range
from ..models.base import Output

__all__ = ["TwoStep", "stay_probabilities", "stays_of", "stays_by_agent", "STAY_CONDITIONS"]

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


def stays_of(ds) -> np.ndarray:
    """``[param_set, 4]`` stay probabilities (:func:`stay_probabilities`) of a two-step
    simulation (a Dataset with a ``stage`` dimension), pooled over its agents."""
    c1 = ds.choice.sel(stage=0).transpose("param_set", "agent", "trial").values
    common = ds.common.transpose("param_set", "agent", "trial").values  # a per-trial record
    reward = ds.outcome.sel(stage=1).transpose("param_set", "agent", "trial").values
    return np.stack([stay_probabilities(c1[i], common[i], reward[i])[0] for i in range(c1.shape[0])])


def stays_by_agent(ds) -> np.ndarray:
    """``[param_set, agent, 4]``: each agent's own stay probabilities (as
    :func:`stay_probabilities`, on that agent's trials; NaN where a condition never occurs)."""
    c = ds.choice.sel(stage=0).transpose("param_set", "agent", "trial").values
    com = ds.common.transpose("param_set", "agent", "trial").values.astype(bool)
    r = ds.outcome.sel(stage=1).transpose("param_set", "agent", "trial").values > 0
    stay = (c[..., 1:] == c[..., :-1]).astype(float)
    out = []
    for rew, com_ in ((True, True), (True, False), (False, True), (False, False)):
        sel = (r[..., :-1] == rew) & (com[..., :-1] == com_)
        n = sel.sum(-1)
        with np.errstate(invalid="ignore"):
            out.append(np.where(n > 0, (stay * sel).sum(-1) / np.maximum(n, 1), np.nan))
    return np.stack(out, -1)


@dataclass(frozen=True)
class TwoStep:
    """The two-step task as a two-stage choice task (defaults: Daw et al. 2011).

    Each trial has two steps. Observation 0: the first stage, where action
    ``a1`` leads to second-stage state ``s2`` (commonly ``a1``); observation
    ``1 + s2``: the second stage, where action ``a2`` is rewarded with the
    option's drifting probability, and the trial (an episode) ends. Per-step
    information: ``common`` (the transition was common) and ``p_reward`` (the four
    options' reward probabilities before the trial). Draws: one uniform per step
    (the transition, then the reward) and four normals per trial (the random walk).
    """

    n_trials: int = 200
    common: float = 0.7
    drift_sd: float = 0.025
    bounds: tuple[float, float] = (0.25, 0.75)
    initial: tuple[float, float, float, float] | None = None  # reward probabilities of (s0a0, s0a1, s1a0, s1a1)
    name: str = "two_step"

    n_actions = 2
    n_states = 3  # the first stage and the two second-stage states
    n_stages = 2
    n_draws = 1
    n_z = 4
    multi_step = True
    can_withhold = True  # extinction: no second-stage choice is rewarded
    emits = {"common": Output("the first-stage transition was common", stage=0),
             "p_reward": Output("reward probability of each second-stage option before the trial",
                                dims=("option",), stage=0)}

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

    def init(self, key: Any = None, xp=jnp) -> dict:
        """Start state: given ``initial`` probabilities, or uniform draws within the bounds
        (``key``: a JAX key, or a NumPy Generator with ``xp=numpy``)."""
        if self.initial is not None:
            p = xp.asarray(self.initial, xp.float32)
        elif xp is jnp:
            p = jax.random.uniform(key, (4,), minval=self.bounds[0], maxval=self.bounds[1])
        else:
            p = key.uniform(self.bounds[0], self.bounds[1], 4).astype(xp.float32)  # key: a numpy Generator
        return {"p": p, "t": xp.zeros((), xp.int32), "stage": xp.zeros((), xp.int32), "s2": xp.zeros((), xp.int32),
                "common": xp.ones((), bool)}

    def observe(self, state: dict, stage: int | None = None):
        """0 at the first stage, ``1 + s2`` in second-stage state ``s2`` (``stage``: the
        stage when the caller knows it, a plain int; then only that case is computed)."""
        if stage == 0:
            return 0
        if stage == 1:
            return 1 + state["s2"]
        return state["stage"] * (1 + state["s2"])

    def second_stage(self, xp, a1, u_trans):
        """The second-stage state reached by ``a1``, and whether the transition was common."""
        common = u_trans < self.common
        return xp.where(common, a1, 1 - a1), common

    def transition(self, xp, state: dict, action, u, z=None, reinforce=True, stage: int | None = None):
        """One stage. First stage: ``u`` decides the transition (outcome 0, the episode
        goes on). Second stage: ``u`` decides the reward of option ``(s2, action)``, the
        four probabilities take a random-walk step (``z``), and the episode ends.

        ``stage`` (a plain int, when the caller knows which stage this is — the session
        kernel does, it unrolls the two stages) computes only that stage; without it the
        stage is read from ``state`` and both are computed and selected."""
        if stage == 0:
            return self._first(xp, state, action, u)
        if stage == 1:
            return self._second(xp, state, action, u, z, reinforce)
        first = state["stage"] == 0
        a, r1, i1 = self._first(xp, state, action, u)
        b, r2, i2 = self._second(xp, state, action, u, z, reinforce)
        new = {k: xp.where(first, a[k], b[k]) for k in a}
        return new, xp.where(first, r1, r2), {"common": xp.where(first, i1["common"], i2["common"]), "p": state["p"],
                                              "done": ~first}

    def _first(self, xp, state, action, u):
        s2, common = self.second_stage(xp, action, u)
        new = {"p": state["p"], "t": state["t"], "stage": xp.ones_like(state["stage"]), "s2": s2, "common": common}
        return new, xp.zeros((), xp.float32), {"common": common, "p": state["p"], "done": False}

    def _second(self, xp, state, action, u, z, reinforce):
        p = state["p"]
        which = xp.arange(4) == 2 * state["s2"] + action  # a mask, not a gather: cheaper under vmap
        win = (u < xp.sum(xp.where(which, p, 0.0))) & reinforce
        reward = win.astype(xp.float32)
        lo, hi = self.bounds
        x = p + self.drift_sd * (xp.zeros(4, xp.float32) if z is None else z)
        x = xp.where(x > hi, 2 * hi - x, x)
        x = xp.clip(xp.where(x < lo, 2 * lo - x, x), lo, hi).astype(xp.float32)
        new = {"p": x, "t": state["t"] + 1, "stage": xp.zeros_like(state["stage"]), "s2": state["s2"],
               "common": state["common"]}
        return new, reward, {"common": state["common"], "p": p, "done": True}
