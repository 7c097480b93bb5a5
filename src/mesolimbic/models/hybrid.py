"""The hybrid model-based / model-free learner of the two-step task."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .base import Output, Param
from .choice import LOG_PROB, ChoiceModel, P, _log_softmax, task_name

__all__ = ["HybridTwoStep"]


class HybridTwoStep(ChoiceModel):
    r"""Daw, Gershman, Seymour, Dayan & Dolan (2011): a weighted mix of model-based
    and model-free (SARSA(lambda)) values at the first stage.

    The two-step task is a two-stage choice task (:class:`~mesolimbic.tasks.two_step.TwoStep`):
    observation 0 is the first stage, 1 and 2 the second-stage states, and the
    learner steps once per stage, like any choice learner. First stage (action
    :math:`a_1`, reaching state :math:`s` where :math:`a_2` is chosen next; a SARSA
    step): :math:`\delta_1 = Q_2(s, a_2) - Q_{MF}(a_1)`,
    :math:`Q_{MF}(a_1) \mathrel{+}= \alpha_1 \delta_1`, and the transition is counted.
    Second stage (reward r): :math:`\delta_2 = r - Q_2(s, a_2)`,
    :math:`Q_2(s, a_2) \mathrel{+}= \alpha_2 \delta_2`, and the eligibility trace carries
    it back to the first stage, :math:`Q_{MF}(a_1) \mathrel{+}= \alpha_1 \lambda \delta_2`.
    Model-based: :math:`Q_{MB}(a) = \sum_s \hat T(s \mid a) \max_{a'} Q_2(s, a')`, with the
    transition model learned by counting, :math:`\hat T(s \mid a) = (n_{a s} + 1) / (n_a + 2)`.
    Choice:

    .. math::
       P(a_1) \propto \exp\big(\beta_1 [w Q_{MB}(a_1) + (1 - w) Q_{MF}(a_1)] + \kappa\,[a_1 = a_1^{prev}]\big),
       \qquad P(a_2 \mid s) \propto \exp(\beta_2 Q_2(s, a_2))

    Parameters (hBayesDM ``ts_par7`` names in brackets): ``alpha1`` [a1], ``alpha2``
    [a2] in (0, 1]; ``lam`` [lambda] and ``w`` in [0, 1]; ``beta1``, ``beta2`` in
    (0, 50]; ``kappa`` [pi] (first-stage perseveration) in [-10, 10]. Values start at 0.

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
    params: tuple[Param, ...] = (
        Param("alpha1", 0.5, 0.0, 1.0, low_open=True, doc="first-stage learning rate"),
        Param("alpha2", 0.5, 0.0, 1.0, low_open=True, doc="second-stage learning rate"),
        Param("lam", 0.6, 0.0, 1.0, doc="eligibility of the second-stage error for the first stage"),
        Param("beta1", 5.0, 0.0, 50.0, low_open=True, doc="first-stage inverse temperature"),
        Param("beta2", 5.0, 0.0, 50.0, low_open=True, doc="second-stage inverse temperature"),
        Param("w", 0.5, 0.0, 1.0, doc="model-based weight"),
        Param("kappa", 0.0, -10.0, 10.0, doc="first-stage perseveration"),
    )
    needs_next_action = True
    bootstraps = True
    n_actions_needed = 2
    outputs = {"rpe": Output("reward prediction error: delta_1 at the first stage, delta_2 at the second"),
               "log_prob": LOG_PROB, "p": P,
               "q_mb": Output("model-based first-stage values before the trial", dims=("action",), stage=0),
               "q_mf": Output("model-free first-stage values before the trial", dims=("action",), stage=0)}

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
                           by["lam"], by["w"], by["kappa"])

    def options(self):
        return {"transition": self.transition, "trace_after_update": self.trace_after_update, "shared": self.shared}

    def check_task(self, task) -> None:
        super().check_task(task)
        if getattr(task, "n_stages", 1) != 2 or getattr(task, "n_states", 1) != 3:
            raise ValueError(f"{self!r} learns the two-step task (two stages: observation 0 at the first, 1/2 "
                             f"in the second-stage states); task {task_name(task)!r} is not of that shape")

    def _rates(self, params):
        """(alpha1, alpha2, beta1, beta2), shared or per stage."""
        if self.shared:
            return params["alpha"], params["alpha"], params["beta"], params["beta"]
        return params["alpha1"], params["alpha2"], params["beta1"], params["beta2"]

    def init(self, params, spec):
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

    def policy(self, params, state, obs=0, stage: int | None = None):
        """Log-probabilities at the first stage (``obs`` 0) or in second-stage state ``obs - 1``
        (``stage``, a plain int, when the caller knows the stage: only its policy is computed)."""
        if stage is not None:
            return self._policy1(params, state) if stage == 0 else self._policy2(params, state, jnp.clip(obs - 1, 0, 1))
        if isinstance(obs, int):  # a known stage: compute only its policy
            return self._policy1(params, state) if obs == 0 else self._policy2(params, state, obs - 1)
        return jnp.where(obs == 0, self._policy1(params, state), self._policy2(params, state, jnp.clip(obs - 1, 0, 1)))

    def _policy1(self, params, state):
        q = params["w"] * self.q_mb(state) + (1.0 - params["w"]) * state["q_mf"]
        return _log_softmax(self._rates(params)[2] * q + params["kappa"] * state["prev"])

    def _policy2(self, params, state, s2):
        q = state["q2"][s2] if isinstance(s2, int) else jnp.sum(state["q2"] * _one_hot(s2)[:, None], 0)
        return _log_softmax(self._rates(params)[3] * q)

    def step(self, params, state, inputs):
        """One stage. First stage: ``obs`` 0, ``action`` a1, and the state reached
        (``next_obs`` = 1 + s2) with the action taken there (``next_action``). Second
        stage: ``obs`` 1 + s2, ``action`` a2, ``outcome`` the reward. Outputs the stage's
        RPE, the log-probability of the action and the first-stage values."""
        obs, a, r = inputs["obs"], inputs["action"], inputs["outcome"]
        for name, x in (("obs", obs), ("action", a)):
            if not isinstance(x, jax.core.Tracer) and int(x) not in ((0, 1, 2) if name == "obs" else (0, 1)):
                raise ValueError(f"{name} must be {'0, 1 or 2' if name == 'obs' else '0 or 1'}, got {x!r}")
        stage = inputs.get("stage")  # a plain int when the kernel unrolls the trial: one branch is computed
        first = obs == 0 if not isinstance(stage, int) else stage == 0
        alpha1, alpha2, _, _ = self._rates(params)
        q_mf, q2 = state["q_mf"], state["q2"]
        out = {"q_mb": self.q_mb(state), "q_mf": q_mf}
        # indexing by one-hot masks rather than gathers and scatters: the same numbers, and under
        # vmap on the CPU about a third fewer kernels per step (forward and gradient)
        chosen = _one_hot(a)
        if first is not False:  # first stage: SARSA step towards the value of the second-stage choice that follows
            s_next = _one_hot(jnp.clip(inputs.get("next_obs", 1) - 1, 0, 1))
            pair = s_next[:, None] * _one_hot(inputs.get("next_action", 0))[None, :]
            delta1 = jnp.sum(q2 * pair) - jnp.sum(q_mf * chosen)
            stage1 = {"q_mf": q_mf + alpha1 * delta1 * chosen, "q2": q2,
                      "counts": state["counts"] + chosen[:, None] * s_next[None, :], "prev": chosen}
            logp1 = self._policy1(params, state)
        if first is not True:  # second stage: the reward, carried back to the first-stage choice by the trace
            s2 = jnp.clip(obs - 1, 0, 1)
            pair = _one_hot(s2)[:, None] * chosen[None, :]
            delta2 = r - jnp.sum(q2 * pair)
            trace = delta2 * (1.0 - alpha2) if self.trace_after_update else delta2  # r - Q2 after its update
            # ``prev`` is the first-stage choice of this trial (set at its first stage)
            stage2 = {"q_mf": q_mf + alpha1 * params["lam"] * trace * state["prev"],
                      "q2": q2 + alpha2 * delta2 * pair, "counts": state["counts"], "prev": state["prev"]}
            logp2 = self._policy2(params, state, s2)
        if first is True:
            new, delta, logp = stage1, delta1, logp1
        elif first is False:
            new, delta, logp = stage2, delta2, logp2
        else:
            new = {k: jnp.where(first, stage1[k], stage2[k]) for k in stage1}
            delta, logp = jnp.where(first, delta1, delta2), jnp.where(first, logp1, logp2)
        return new, {"rpe": delta, "log_prob": jnp.sum(logp * chosen), "p": jnp.exp(logp), **out}


def _one_hot(i) -> jax.Array:
    """``i`` (0 or 1, traced or not) as a float one-hot vector of length 2."""
    return jax.nn.one_hot(i, 2, dtype=jnp.float32)
