"""A learner whose teaching signal one action can drive directly: wireheading, the RL face of a hijacked dopamine signal."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .._validate import check_count, check_range
from .base import Param
from .choice import ChoiceModel, task_name

__all__ = ["HijackedDeltaRule"]


class HijackedDeltaRule(ChoiceModel):
    r"""Delta rule with softmax choice in which choosing ``hijack_action`` (a
    stimulation lever, a drug, a reward-model exploit) adds ``stim`` to the
    dopamine error directly, whatever the outcome.

    Non-compensable (Redish 2004; the default), as for a drug acting on dopamine
    itself:

    .. math:: \delta = \max(r_{\rm eff} - Q(a) + D,\ D) \quad (a = \text{hijack}), \qquad
              \delta = r - Q(a) \text{ otherwise}

    so :math:`Q(\text{hijack})` grows without bound. Compensable
    (``compensable=True``), as for stimulation that merely acts like a reward:
    :math:`\delta = r_{\rm eff} + D - Q(a)`, so :math:`Q \to r_{\rm eff} + D`.
    Countermeasures: ``penalty`` :math:`\lambda` subtracts from the hijacked
    action's outcome, :math:`r_{\rm eff} = r - \lambda` (like the KL penalty of
    RLHF); ``value_cap`` clips every value at a ceiling (an expected-value cap).
    Then :math:`Q(a) \mathrel{+}= \alpha\,\delta`; :math:`P(a) \propto e^{\beta Q(a)}`.
    Parameters: ``alpha`` in (0, 1], ``beta`` in (0, 50], ``stim`` >= 0, ``penalty`` >= 0.

    References: Olds, J. & Milner, P. (1954). Positive reinforcement produced by
    electrical stimulation of septal area and other regions of rat brain. J Comp
    Physiol Psychol 47:419-427. Redish, A. D. (2004). Science 306:1944-1947.
    Everitt, T. & Hutter, M. (2016). Avoiding wireheading with value reinforcement
    learning. AGI 2016, LNCS 9782:12-22.
    """

    name = "hijacked_delta_rule"
    params = (
        Param("alpha", 0.1, 0.0, 1.0, low_open=True, doc="learning rate"),
        Param("beta", 5.0, 0.0, 50.0, low_open=True, doc="inverse temperature"),
        Param("stim", 0.5, 0.0, math.inf, doc="dopamine added by the hijacked action"),
        Param("penalty", 0.0, 0.0, math.inf, doc="penalty on the hijacked action's outcome"),
    )

    def __init__(self, hijack_action: int = 1, compensable: bool = False, value_cap: float | None = None) -> None:
        self.hijack_action = check_count("hijack_action", hijack_action, 0)
        self.compensable = bool(compensable)
        self.value_cap = None if value_cap is None else float(check_range("value_cap", value_cap))

    def options(self):
        return {"hijack_action": self.hijack_action, "compensable": self.compensable, "value_cap": self.value_cap}

    max_states = 1

    def check_task(self, task) -> None:
        super().check_task(task)
        if self.hijack_action >= task.n_actions:
            raise ValueError(f"{self!r} hijacks action {self.hijack_action}, but task {task_name(task)!r} has only "
                             f"{task.n_actions} actions (0..{task.n_actions - 1})")

    def init(self, params, spec):
        if self.hijack_action >= spec.n_actions:
            raise ValueError(f"hijack_action must be in [0, {spec.n_actions - 1}], got {self.hijack_action}")
        return {"q": jnp.zeros(spec.n_actions, jnp.float32)}

    def policy(self, params, state, obs=0):
        return jax.nn.log_softmax(params["beta"] * state["q"])

    def step(self, params, state, inputs):
        a, r = inputs["action"], inputs["outcome"]
        q = state["q"]
        self._check_action(a, q.shape[0])
        logp = self.policy(params, state)
        hijacked = a == self.hijack_action
        r_eff = r - jnp.where(hijacked, params["penalty"], 0.0)
        d = jnp.where(hijacked, params["stim"], 0.0)
        natural = r_eff - q[a]
        delta = natural + d if self.compensable else jnp.where(hijacked, jnp.maximum(natural + d, d), natural)
        new = q.at[a].add(params["alpha"] * delta)
        if self.value_cap is not None:
            new = jnp.minimum(new, self.value_cap)
        return {"q": new}, {"rpe": delta, "q": q, "log_prob": logp[a], "p": jnp.exp(logp)}
