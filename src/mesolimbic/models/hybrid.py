"""The hybrid model-based / model-free learner of the two-step task."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .base import Param
from .choice import ChoiceModel, _log_softmax

__all__ = ["HybridTwoStep"]


class HybridTwoStep(ChoiceModel):
    r"""Daw, Gershman, Seymour, Dayan & Dolan (2011): a weighted mix of model-based
    and model-free (SARSA(lambda)) values at the first stage.

    Second stage (state s, action a2, reward r): :math:`\delta_2 = r - Q_2(s, a_2)`,
    :math:`Q_2(s, a_2) \mathrel{+}= \alpha_2 \delta_2`.
    First stage, model-free (SARSA(lambda)): :math:`\delta_1 = Q_2(s, a_2) - Q_{MF}(a_1)`,
    :math:`Q_{MF}(a_1) \mathrel{+}= \alpha_1 \delta_1 + \alpha_1 \lambda \delta_2`.
    Model-based: :math:`Q_{MB}(a) = \sum_s \hat T(s \mid a) \max_{a'} Q_2(s, a')`, with the
    transition model learned by counting, :math:`\hat T(s \mid a) = (n_{a s} + 1) / (n_a + 2)`.
    Choice:

    .. math::
       P(a_1) \propto \exp\big(\beta_1 [w Q_{MB}(a_1) + (1 - w) Q_{MF}(a_1)] + p\,[a_1 = a_1^{prev}]\big),
       \qquad P(a_2 \mid s) \propto \exp(\beta_2 Q_2(s, a_2))

    Parameters (hBayesDM ``ts_par7`` names in brackets): ``alpha1`` [a1], ``alpha2``
    [a2] in (0, 1]; ``lam`` [lambda] and ``w`` in [0, 1]; ``beta1``, ``beta2`` in
    (0, 50]; ``persev`` [pi] in [-10, 10]. Values start at 0.

    Options, for one-to-one comparison with hBayesDM's ``ts_par4/6/7`` Stan models:
    ``transition=0.7`` fixes :math:`\hat T` at the common-transition probability
    instead of learning it; ``trace_after_update=True`` applies the eligibility
    update with the second-stage error recomputed *after* the second-stage update,
    :math:`Q_{MF}(a_1) \mathrel{+}= \alpha_1 \lambda (r - Q_2'(s, a_2)) = \alpha_1
    \lambda (1 - \alpha_2) \delta_2`, as hBayesDM's code does (Daw et al. use
    :math:`\delta_2` before the update); ``shared=True`` uses one learning rate
    ``alpha`` and one inverse temperature ``beta`` for both stages (``ts_par4``).

    Reference: Daw, N. D., Gershman, S. J., Seymour, B., Dayan, P. & Dolan, R. J.
    (2011). Model-based influences on humans' choices and striatal prediction
    errors. Neuron 69:1204-1215.
    """

    name = "hybrid_two_step"
    params = (
        Param("alpha1", 0.5, 0.0, 1.0, low_open=True, doc="first-stage learning rate"),
        Param("alpha2", 0.5, 0.0, 1.0, low_open=True, doc="second-stage learning rate"),
        Param("lam", 0.6, 0.0, 1.0, doc="eligibility of the second-stage error for the first stage"),
        Param("beta1", 5.0, 0.0, 50.0, low_open=True, doc="first-stage inverse temperature"),
        Param("beta2", 5.0, 0.0, 50.0, low_open=True, doc="second-stage inverse temperature"),
        Param("w", 0.5, 0.0, 1.0, doc="model-based weight"),
        Param("persev", 0.0, -10.0, 10.0, doc="first-stage perseveration"),
    )

    def __init__(self, transition="learned", trace_after_update: bool = False, shared: bool = False) -> None:
        if transition != "learned":
            if isinstance(transition, str) or not 0.0 < float(transition) < 1.0:
                raise ValueError(f"transition must be 'learned' or a common-transition probability in (0, 1), "
                                 f"got {transition!r}")
            transition = float(transition)
        self.transition, self.trace_after_update, self.shared = transition, bool(trace_after_update), bool(shared)
        if self.shared:
            by = {p.name: p for p in type(self).params}
            self.params = (Param("alpha", 0.5, 0.0, 1.0, low_open=True, doc="learning rate, both stages"),
                           Param("beta", 5.0, 0.0, 50.0, low_open=True, doc="inverse temperature, both stages"),
                           by["lam"], by["w"], by["persev"])

    def options(self):
        return {"transition": self.transition, "trace_after_update": self.trace_after_update, "shared": self.shared}

    def _rates(self, params):
        """(alpha1, alpha2, beta1, beta2), shared or per stage."""
        if self.shared:
            return params["alpha"], params["alpha"], params["beta"], params["beta"]
        return params["alpha1"], params["alpha2"], params["beta1"], params["beta2"]

    def init(self, params, n_actions=2):
        return {"q_mf": jnp.zeros(2, jnp.float32), "q2": jnp.zeros((2, 2), jnp.float32),
                "counts": jnp.zeros((2, 2), jnp.float32), "prev": jnp.zeros(2, jnp.float32)}

    def transition_model(self, state):
        if self.transition != "learned":
            p = self.transition
            return jnp.array([[p, 1.0 - p], [1.0 - p, p]], jnp.float32)
        c = state["counts"]
        return (c + 1.0) / (c.sum(1, keepdims=True) + 2.0)

    def q_mb(self, state):
        return self.transition_model(state) @ state["q2"].max(1)

    def policy(self, params, state):
        """First-stage log-probabilities."""
        q = params["w"] * self.q_mb(state) + (1.0 - params["w"]) * state["q_mf"]
        return _log_softmax(self._rates(params)[2] * q + params["persev"] * state["prev"])

    def policy2(self, params, state, s2):
        """Second-stage log-probabilities in state ``s2``."""
        return _log_softmax(self._rates(params)[3] * state["q2"][s2])

    def step(self, params, state, inputs):
        """Learn from one trial: ``a1``, ``s2``, ``a2``, ``reward``. Outputs both RPEs,
        the log-probability of both choices and the first-stage values."""
        a1, s2, a2, r = inputs["a1"], inputs["s2"], inputs["a2"], inputs["reward"]
        for name, x in (("a1", a1), ("s2", s2), ("a2", a2)):
            if not isinstance(x, jax.core.Tracer) and int(x) not in (0, 1):
                raise ValueError(f"{name} must be 0 or 1, got {x!r}")
        logp1 = self.policy(params, state)
        logp = logp1[a1] + self.policy2(params, state, s2)[a2]
        q_mb = self.q_mb(state)
        q_mf, q2 = state["q_mf"], state["q2"]
        alpha1, alpha2, _, _ = self._rates(params)
        delta1 = q2[s2, a2] - q_mf[a1]
        delta2 = r - q2[s2, a2]
        trace = delta2 * (1.0 - alpha2) if self.trace_after_update else delta2  # r - Q2 after its update
        q_mf = q_mf.at[a1].add(alpha1 * delta1 + alpha1 * params["lam"] * trace)
        q2 = q2.at[s2, a2].add(alpha2 * delta2)
        counts = state["counts"].at[a1, s2].add(1.0)
        new = {"q_mf": q_mf, "q2": q2, "counts": counts, "prev": jax.nn.one_hot(a1, 2, dtype=jnp.float32)}
        return new, {"rpe1": delta1, "rpe2": delta2, "log_prob": logp, "p1": jnp.exp(logp1), "q_mb": q_mb,
                     "q_mf": state["q_mf"]}

