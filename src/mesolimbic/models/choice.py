"""Choice learners: one definition that samples actions, scores observed ones and yields RPEs.

A choice learner is ``init(params, n_actions) -> state``,
``policy(params, state) -> log-probabilities of the actions`` and
``step(params, state, {"action", "outcome"}) -> (state, outputs)``. Simulation
samples the action from ``policy``; fitting (later issues) takes the observed
action and sums ``log_prob`` — the same functions, never a second copy.
"""

from __future__ import annotations

from abc import abstractmethod

import jax
import jax.numpy as jnp

from .base import Model, Param

__all__ = ["DeltaRule", "ChoiceModel"]


class ChoiceModel(Model):
    """Base class of learners that choose among ``n_actions`` actions each trial."""

    level = "choice"
    linear = False

    @abstractmethod
    def policy(self, params, state, obs=0) -> jax.Array:
        """Log-probabilities ``[n_actions]`` of the next action, given the task's
        observation ``obs`` (the cue or state; 0 in single-state tasks)."""


class DeltaRule(ChoiceModel):
    r"""Rescorla–Wagner (delta-rule) values with softmax choice.

    .. math::
       P(a_t = a) &= (1 - \epsilon)\,\frac{\exp(\beta Q_t(a) + \kappa [a = a_{t-1}])}
                     {\sum_b \exp(\beta Q_t(b) + \kappa [b = a_{t-1}])} + \frac{\epsilon}{K}\\
       \delta_t &= r_t - Q_t(a_t), \qquad Q_{t+1}(a_t) = Q_t(a_t) + \alpha_\pm \delta_t

    Parameters: ``alpha`` in (0, 1] (or ``alpha_pos`` / ``alpha_neg`` for positive
    and negative errors, with ``separate_rates=True``), ``beta`` (inverse
    temperature) in (0, 50], ``kappa`` (choice perseveration, with
    ``perseveration=True``) in [-10, 10], ``epsilon`` (lapse, with
    ``lapse=True``) in [0, 1]. Unchosen values do not change. Q starts at 0.

    References: Rescorla & Wagner (1972); Sutton & Barto (2018), ch. 2; Daw
    (2011), Trial-by-trial data analysis using computational models;
    separate rates: Frank, Moustafa, Haughey, Curran & Hutchison (2007), PNAS
    104:16311; perseveration: Lau & Glimcher (2005), J Exp Anal Behav 84:555;
    lapse: Wilson & Collins (2019), eLife 8:e49547.
    """

    name = "delta_rule"

    def __init__(self, separate_rates: bool = False, perseveration: bool = False, lapse: bool = False) -> None:
        self.separate_rates, self.perseveration, self.lapse = bool(separate_rates), bool(perseveration), bool(lapse)
        ps = []
        if self.separate_rates:
            ps += [Param("alpha_pos", 0.3, 0.0, 1.0, low_open=True, doc="learning rate, positive RPE"),
                   Param("alpha_neg", 0.3, 0.0, 1.0, low_open=True, doc="learning rate, negative RPE")]
        else:
            ps.append(Param("alpha", 0.3, 0.0, 1.0, low_open=True, doc="learning rate"))
        ps.append(Param("beta", 5.0, 0.0, 50.0, low_open=True, doc="inverse temperature"))
        if self.perseveration:
            ps.append(Param("kappa", 0.0, -10.0, 10.0, doc="choice perseveration (stickiness)"))
        if self.lapse:
            ps.append(Param("epsilon", 0.0, 0.0, 1.0, doc="lapse rate"))
        self.params = tuple(ps)

    def options(self):
        return {"separate_rates": self.separate_rates, "perseveration": self.perseveration, "lapse": self.lapse}

    def init(self, params, n_actions, n_states=1):
        return {"q": jnp.zeros(n_actions, jnp.float32), "prev": jnp.zeros(n_actions, jnp.float32)}

    def policy(self, params, state, obs=0):
        logits = params["beta"] * state["q"]
        if self.perseveration:
            logits = logits + params["kappa"] * state["prev"]
        logp = jax.nn.log_softmax(logits)
        if self.lapse:
            k = state["q"].shape[0]
            logp = jnp.log((1.0 - params["epsilon"]) * jnp.exp(logp) + params["epsilon"] / k)
        return logp

    def step(self, params, state, inputs):
        """Learn from one trial. ``inputs``: ``action`` (int) and ``outcome``. Outputs the
        RPE, the values before the update and the log-probability of the action."""
        a, r = inputs["action"], inputs["outcome"]
        logp = self.policy(params, state)
        q = state["q"]
        delta = r - q[a]
        if self.separate_rates:
            alpha = jnp.where(delta >= 0, params["alpha_pos"], params["alpha_neg"])
        else:
            alpha = params["alpha"]
        new_q = q.at[a].add(alpha * delta)
        prev = jax.nn.one_hot(a, q.shape[0], dtype=jnp.float32)
        return {"q": new_q, "prev": prev}, {"rpe": delta, "q": q, "log_prob": logp[a], "p": jnp.exp(logp)}
