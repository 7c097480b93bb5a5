"""Average-reward reinforcement learning: tonic dopamine as the experienced reward rate."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .base import Output, Param
from .choice import LOG_PROB, P, Q, RPE, ChoiceModel

__all__ = ["AverageRewardSARSA"]


class AverageRewardSARSA(ChoiceModel):
    r"""Differential (average-reward) SARSA: values relative to the average reward
    rate, which is the opportunity cost of time (Niv, Daw, Joel & Dayan 2007).

    .. math::
       \delta_t &= r_t - \bar R_t + Q(s_{t+1}, a_{t+1}) - Q(s_t, a_t), \qquad
       Q(s_t, a_t) \mathrel{+}= \alpha\,\delta_t\\
       \bar R_{t+1} &= \bar R_t + \alpha_R\,(r_t - \bar R_t), \qquad
       P(a \mid s) \propto \exp(\beta\, Q(s, a))

    There is no discount: each step of time costs :math:`\bar R`, the reward per
    step the agent has been earning. Niv et al. proposed that this average, a
    slowly varying quantity, is signalled by *tonic* dopamine, and the phasic
    error :math:`\delta` by phasic dopamine; a high reward rate makes idling
    expensive, so the agent responds faster and more often wherever responding
    pays (Niv et al. derive it for latencies in a semi-Markov model; this
    learner is its discrete-time form: waiting one step costs :math:`\bar R`).
    :math:`\bar R` is tracked as the running average of the outcomes (not with
    :math:`\delta`, as in Sutton & Barto's differential SARSA), so it is read
    off directly as the reward rate. Like :class:`~mesolimbic.models.SARSA`, the next action is
    drawn before the update; at the end of an episode (``done``) the bootstrap
    term is 0. Outputs: ``rpe`` (phasic), ``avg_reward`` (tonic, before the
    update), ``q``, ``p``, ``log_prob``. Parameters: ``alpha`` in (0, 1],
    ``beta`` in (0, 50], ``alpha_r`` in (0, 1] (rate of the reward-rate estimate).

    References: Niv, Y., Daw, N. D., Joel, D. & Dayan, P. (2007). Tonic dopamine:
    opportunity costs and the control of response vigor. Psychopharmacology
    191:507-520. Schwartz, A. (1993). A reinforcement learning method for
    maximizing undiscounted rewards. ICML. Sutton & Barto (2018), §10.3
    (differential semi-gradient SARSA).
    """

    name = "average_reward_sarsa"
    needs_next_action = True
    bootstraps = True
    params = (Param("alpha", 0.1, 0.0, 1.0, low_open=True, doc="learning rate of the action values"),
              Param("beta", 10.0, 0.0, 50.0, low_open=True, doc="inverse temperature"),
              Param("alpha_r", 0.01, 0.0, 1.0, low_open=True, doc="learning rate of the average reward rate"))
    outputs = {"rpe": RPE, "q": Q, "log_prob": LOG_PROB, "p": P,
               "avg_reward": Output("average reward rate before the update (tonic dopamine)", "reward/step")}

    def init(self, params, spec):
        return {"q": jnp.zeros((spec.n_states, spec.n_actions), jnp.float32), "rbar": jnp.zeros((), jnp.float32)}

    def policy(self, params, state, obs=0):
        return jax.nn.log_softmax(params["beta"] * state["q"][obs])

    def step(self, params, state, inputs):
        """Learn from one step. ``inputs``: ``obs``, ``action``, ``outcome``, ``next_obs``,
        ``next_action`` and ``done``."""
        s, a, r = inputs.get("obs", 0), inputs["action"], inputs["outcome"]
        q, rbar = state["q"], state["rbar"]
        self._check_action(a, q.shape[1])
        logp = self.policy(params, state, s)
        done = jnp.asarray(inputs.get("done", True))
        nxt = jnp.where(done, 0.0, q[inputs.get("next_obs", 0), inputs.get("next_action", 0)])
        delta = r - rbar + nxt - q[s, a]
        new = {"q": q.at[s, a].add(params["alpha"] * delta), "rbar": rbar + params["alpha_r"] * (r - rbar)}
        return new, {"rpe": delta, "q": q[s], "log_prob": logp[a], "p": jnp.exp(logp), "avg_reward": rbar}
