"""Go/no-go learner with a Pavlovian bias (Guitart-Masip et al. 2012)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .base import Output, Param
from .choice import LOG_PROB, RPE, ChoiceModel, P

__all__ = ["PavlovianBiasGoNoGo"]


class PavlovianBiasGoNoGo(ChoiceModel):
    r"""Instrumental values plus a go bias and a Pavlovian bias from the cue's value.

    .. math::
       W(s, \text{go}) &= Q(s, \text{go}) + b + \pi V(s), \qquad W(s, \text{no-go}) = Q(s, \text{no-go})\\
       P(\text{go} \mid s) &= (1 - \epsilon)\,\sigma\big(W(s,\text{go}) - W(s,\text{no-go})\big) + \epsilon/2\\
       Q(s, a) &\mathrel{+}= \alpha\,(\rho\, r - Q(s, a)), \qquad V(s) \mathrel{+}= \alpha\,(\rho\, r - V(s))

    with :math:`\rho = \rho_{rew}` for rewards and :math:`\rho_{pun}` for
    punishments (hBayesDM ``gng_m4``; ``variant="m1"``, ``"m2"``, ``"m3"`` give hBayesDM's
    nested models: no biases and one sensitivity; plus the go bias; plus the Pavlovian
    bias). Parameters, in the package's vocabulary (hBayesDM's names in brackets):
    ``epsilon`` [xi] (lapse: irreducible noise) in [0, 1], ``alpha`` [ep] (learning
    rate) in (0, 1], ``go_bias`` [b] and ``pi`` (Pavlovian bias) in [-20, 20],
    ``sensitivity`` [rho] or ``sensitivity_rew`` [rhoRew], ``sensitivity_pun`` [rhoPun]
    (outcome sensitivities) in (0, 50]. A positive ``pi`` makes reward-predicting cues
    invigorate "go" and punishment-predicting cues suppress it. Values start at 0.
    Actions: 0 no-go, 1 go.

    Reference: Guitart-Masip, M., Huys, Q. J. M., Fuentemilla, L., Dayan, P.,
    Duzel, E. & Dolan, R. J. (2012). Go and no-go learning in reward and
    punishment: interactions between affect and effect. NeuroImage 62:154-166.
    """

    name = "gonogo_pavlovian_bias"
    _ALL = (
        Param("epsilon", 0.05, 0.0, 1.0, doc="lapse (irreducible noise)"),
        Param("alpha", 0.2, 0.0, 1.0, low_open=True, doc="learning rate"),
        Param("go_bias", 0.5, -20.0, 20.0, doc="go bias"),
        Param("pi", 0.5, -20.0, 20.0, doc="Pavlovian bias"),
        Param("sensitivity", 5.0, 0.0, 50.0, low_open=True, doc="outcome sensitivity"),
        Param("sensitivity_rew", 5.0, 0.0, 50.0, low_open=True, doc="reward sensitivity"),
        Param("sensitivity_pun", 5.0, 0.0, 50.0, low_open=True, doc="punishment sensitivity"),
    )
    #: hBayesDM's nested go/no-go models: m1 RW + noise; m2 + go bias; m3 + Pavlovian bias;
    #: m4 with separate reward and punishment sensitivities (the default)
    VARIANTS = {"m1": ("epsilon", "alpha", "sensitivity"), "m2": ("epsilon", "alpha", "go_bias", "sensitivity"),
                "m3": ("epsilon", "alpha", "go_bias", "pi", "sensitivity"),
                "m4": ("epsilon", "alpha", "go_bias", "pi", "sensitivity_rew", "sensitivity_pun")}
    n_actions_needed = 2
    outputs = {"rpe": RPE, "rpe_pavlovian": Output("prediction error of the cue's Pavlovian value"),
               "log_prob": LOG_PROB, "p": P}

    def __init__(self, variant: str = "m4") -> None:
        from .._validate import check_choice

        self.variant = check_choice("variant", variant, tuple(self.VARIANTS))
        keep = self.VARIANTS[self.variant]
        self.params = tuple(p for p in self._ALL if p.name in keep)

    def options(self):
        return {"variant": self.variant}

    def init(self, params, spec):
        return {"q": jnp.zeros((spec.n_states, 2), jnp.float32), "v": jnp.zeros(spec.n_states, jnp.float32)}

    def policy(self, params, state, obs=0):
        q, v = state["q"][obs], state["v"][obs]
        w_go = q[1] + params.get("go_bias", 0.0) + params.get("pi", 0.0) * v
        d, eps = w_go - q[0], params["epsilon"]
        # each probability from its own sigmoid: 1 - p_go would lose the small no-go
        # probability to float32 cancellation when P(go) is near 1
        return jnp.log(jnp.stack([(1.0 - eps) * jax.nn.sigmoid(-d) + eps / 2.0,
                                  (1.0 - eps) * jax.nn.sigmoid(d) + eps / 2.0]))

    def step(self, params, state, inputs):
        """Learn from one trial: ``obs`` (cue), ``action``, ``outcome``."""
        s, a, r = inputs["obs"], inputs["action"], inputs["outcome"]
        self._check_action(a, 2)
        logp = self.policy(params, state, s)[a]
        if "sensitivity" in params:
            rho = params["sensitivity"]
        else:
            rho = jnp.where(r > 0, params["sensitivity_rew"], jnp.where(r < 0, params["sensitivity_pun"], 0.0))
        target = rho * r
        q, v = state["q"], state["v"]
        delta = target - q[s, a]
        delta_v = target - v[s]
        q = q.at[s, a].add(params["alpha"] * delta)
        v = v.at[s].add(params["alpha"] * delta_v)
        return {"q": q, "v": v}, {"rpe": delta, "rpe_pavlovian": delta_v, "log_prob": logp,
                                  "p": jnp.exp(self.policy(params, state, s))}
