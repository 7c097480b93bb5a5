"""Belief-state TD: TD learning over the posterior of a partially observable task's hidden states."""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from .._validate import check_range
from ..rpe import td_error
from .base import Model, Output, Param

__all__ = ["BeliefTD"]


class BeliefTD(Model):
    r"""TD(0) whose state is a belief over hidden states (Daw, Courville & Touretzky 2006;
    Starkweather, Babayan, Uchida & Gershman 2017).

    The task the agent believes in: a cue starts a trial; on a fraction
    ``p_reward`` of trials a reward follows after a delay drawn from
    ``delays`` / ``probs`` (seconds), and on the rest nothing comes and the
    animal is, unobserved, already back in the inter-trial interval. The hidden
    states are the interval states ``ISI_k`` (k steps since the cue, reward still
    to come) and ``OM`` (an omission trial: nothing will come). After k steps
    since the cue without a reward, the belief is

    .. math::
       b_{\text{ISI}_k} = \frac{p\,S(k)}{p\,S(k) + 1 - p}, \qquad
       b_{\text{OM}} = 1 - b_{\text{ISI}_k}, \qquad S(k) = P(\text{delay} > k\,dt)

    and once the reward is observed the agent is certainly in the inter-trial
    interval (V = 0, the package's convention). Value is linear in the belief,
    :math:`V_t = w \cdot b_t`, and learns from the TD error

    .. math::
       \delta_t = r_t + \gamma V_t - V_{t-1}, \qquad w \mathrel{+}= \alpha\, \delta_t\, b_{t-1}.

    When reward is certain (``p_reward`` = 1) the belief stays on ``ISI_k`` and the
    hazard of the reward rises with elapsed time, so a late reward is better
    predicted and its RPE smaller; when it may be omitted, waiting without reward
    shifts belief to ``OM``, so a late reward is *less* predicted and its RPE
    larger — the reversal Starkweather et al. found in dopamine neurons. The
    learner reads the time since the cue from the design's features: give it a
    complete serial compound of the one cue (``representations.CSC()``) so that
    feature k is on k steps after the cue.

    Args:
      delays: the reward times after the cue (s) the agent believes possible.
      probs: their probabilities (default: equal).
      p_reward: the probability that a trial is rewarded at all.
      dt: the design's time step (s), to place the delays on its steps.

    Parameters: ``alpha`` in (0, 1], ``gamma`` in [0, 1]. Outputs: ``rpe``,
    ``value`` and ``belief_isi`` (total belief in the interval states).

    References: Daw, N. D., Courville, A. C. & Touretzky, D. S. (2006).
    Representation and timing in theories of the dopamine system. Neural Comput
    18:1637-1677. Starkweather, C. K., Babayan, B. M., Uchida, N. & Gershman,
    S. J. (2017). Dopamine reward prediction errors reflect hidden-state
    inference across time. Nat Neurosci 20:581-589.
    """

    name = "belief_td"
    level = "step"
    linear = False
    params = (Param("alpha", 0.1, 0.0, 1.0, low_open=True, doc="learning rate"),
              Param("gamma", 0.98, 0.0, 1.0, doc="discount per time step"))
    outputs = {"rpe": Output("reward prediction error over the belief state", "a.u."),
               "value": Output("value V(t) = w . b(t)", "a.u."),
               "belief_isi": Output("belief that the trial is in its interval with reward still to come")}
    final_state: dict = {}

    def __init__(self, delays, probs=None, p_reward: float = 1.0, dt: float = 0.1) -> None:
        d = np.asarray(delays, float).ravel()
        if d.size == 0 or np.any(d <= 0):
            raise ValueError(f"delays must be positive times after the cue (s), got {d.tolist()}")
        p = np.full(d.size, 1.0 / d.size) if probs is None else np.asarray(probs, float).ravel()
        if p.shape != d.shape or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
            raise ValueError(f"probs must be {d.size} non-negative numbers summing to 1, got {p.tolist()}")
        self.delays, self.probs = tuple(d.tolist()), tuple(p.tolist())
        self.p_reward = float(check_range("p_reward", p_reward, 0.0, 1.0, low_open=True))
        self.dt = float(check_range("dt", dt, 0.0, np.inf, low_open=True))

    def options(self):
        return {"delays": self.delays, "probs": self.probs, "p_reward": self.p_reward, "dt": self.dt}

    @functools.lru_cache(maxsize=8)
    def belief_isi(self, n_steps: int) -> np.ndarray:
        """``b_ISI`` after k = 0 .. n_steps-1 steps since the cue without a reward."""
        steps = np.rint(np.asarray(self.delays) / self.dt).astype(int)
        k = np.arange(n_steps)
        survival = np.array([np.sum(np.asarray(self.probs)[steps > j]) for j in k])
        num = self.p_reward * survival
        den = num + 1.0 - self.p_reward
        # past the last possible delay (certain reward that has not come): no interval state left
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0).astype(np.float32)

    def init(self, params, spec):
        return {"w": jnp.zeros(spec.n_features + 1, jnp.float32), "b_prev": jnp.zeros(spec.n_features + 1,
                                                                                         jnp.float32),
                "rewarded": jnp.zeros((), bool)}

    def step(self, params, state, inputs):
        """One time step. ``inputs``: ``x`` (CSC of the cue: feature k on k steps after it), ``r``, ``reset``."""
        x, r, reset = inputs["x"], inputs["r"], inputs["reset"]
        b_isi = jnp.asarray(self.belief_isi(x.shape[-1]))
        rewarded = jnp.where(reset, False, state["rewarded"]) | (r != 0)
        in_trial = jnp.sum(x) > 0
        isi = x * b_isi
        om = jnp.where(in_trial, 1.0 - jnp.sum(isi), 0.0)
        b = jnp.where(rewarded, 0.0, jnp.concatenate([isi, om[None]]))
        b_prev = jnp.where(reset, 0.0, state["b_prev"])
        w = state["w"]
        v_prev, v = jnp.dot(w, b_prev), jnp.dot(w, b)
        delta = td_error(v_prev, r, params["gamma"], v) + inputs.get("stim", 0.0)
        w = w + params["alpha"] * delta * b_prev
        return {"w": w, "b_prev": b, "rewarded": rewarded}, {"rpe": delta, "value": v, "belief_isi": jnp.sum(isi) *
                                                             (1.0 - rewarded)}
