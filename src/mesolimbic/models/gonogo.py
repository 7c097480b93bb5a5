"""Go/no-go learner with a Pavlovian bias (Guitart-Masip et al. 2012)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .base import Param
from .choice import ChoiceModel

__all__ = ["PavlovianBiasGoNoGo"]


class PavlovianBiasGoNoGo(ChoiceModel):
    r"""Instrumental values plus a go bias and a Pavlovian bias from the cue's value.

    .. math::
       W(s, \text{go}) &= Q(s, \text{go}) + b + \pi V(s), \qquad W(s, \text{no-go}) = Q(s, \text{no-go})\\
       P(\text{go} \mid s) &= (1 - \xi)\,\sigma\big(W(s,\text{go}) - W(s,\text{no-go})\big) + \xi/2\\
       Q(s, a) &\mathrel{+}= \epsilon\,(\rho\, r - Q(s, a)), \qquad V(s) \mathrel{+}= \epsilon\,(\rho\, r - V(s))

    with :math:`\rho = \rho_{rew}` for rewards and :math:`\rho_{pun}` for
    punishments (hBayesDM ``gng_m4``; ``variant="m1"``, ``"m2"``, ``"m3"`` give hBayesDM's
    nested models: no biases and one sensitivity ``rho``; plus ``b``; plus ``pi``). Parameters: ``xi`` (irreducible noise) in
    [0, 1], ``ep`` (learning rate) in (0, 1], ``b`` (go bias) and ``pi``
    (Pavlovian bias) in [-20, 20], ``rho_rew``, ``rho_pun`` (outcome sensitivities)
    in (0, 50]. A positive ``pi`` makes reward-predicting cues invigorate "go" and
    punishment-predicting cues suppress it. Values start at 0. Actions: 0 no-go, 1 go.

    Reference: Guitart-Masip, M., Huys, Q. J. M., Fuentemilla, L., Dayan, P.,
    Duzel, E. & Dolan, R. J. (2012). Go and no-go learning in reward and
    punishment: interactions between affect and effect. NeuroImage 62:154-166.
    """

    name = "gonogo_pavlovian_bias"
    _ALL = (
        Param("xi", 0.05, 0.0, 1.0, doc="irreducible noise"),
        Param("ep", 0.2, 0.0, 1.0, low_open=True, doc="learning rate"),
        Param("b", 0.5, -20.0, 20.0, doc="go bias"),
        Param("pi", 0.5, -20.0, 20.0, doc="Pavlovian bias"),
        Param("rho", 5.0, 0.0, 50.0, low_open=True, doc="outcome sensitivity"),
        Param("rho_rew", 5.0, 0.0, 50.0, low_open=True, doc="reward sensitivity"),
        Param("rho_pun", 5.0, 0.0, 50.0, low_open=True, doc="punishment sensitivity"),
    )
    #: hBayesDM's nested go/no-go models: m1 RW + noise; m2 + go bias; m3 + Pavlovian bias;
    #: m4 with separate reward and punishment sensitivities (the default)
    VARIANTS = {"m1": ("xi", "ep", "rho"), "m2": ("xi", "ep", "b", "rho"), "m3": ("xi", "ep", "b", "pi", "rho"),
                "m4": ("xi", "ep", "b", "pi", "rho_rew", "rho_pun")}

    def __init__(self, variant: str = "m4") -> None:
        from .._validate import check_choice

        self.variant = check_choice("variant", variant, tuple(self.VARIANTS))
        keep = self.VARIANTS[self.variant]
        self.params = tuple(p for p in self._ALL if p.name in keep)

    def options(self):
        return {"variant": self.variant}

    def init(self, params, n_actions=2, n_states=4):
        return {"q": jnp.zeros((n_states, 2), jnp.float32), "v": jnp.zeros(n_states, jnp.float32)}

    def policy(self, params, state, obs=0):
        q, v = state["q"][obs], state["v"][obs]
        w_go = q[1] + params.get("b", 0.0) + params.get("pi", 0.0) * v
        p_go = (1.0 - params["xi"]) * jax.nn.sigmoid(w_go - q[0]) + params["xi"] / 2.0
        return jnp.log(jnp.stack([1.0 - p_go, p_go]))

    def step(self, params, state, inputs):
        """Learn from one trial: ``obs`` (cue), ``action``, ``outcome``."""
        s, a, r = inputs["obs"], inputs["action"], inputs["outcome"]
        self._check_action(a, 2)
        logp = self.policy(params, state, s)[a]
        if "rho" in params:
            rho = params["rho"]
        else:
            rho = jnp.where(r > 0, params["rho_rew"], jnp.where(r < 0, params["rho_pun"], 0.0))
        target = rho * r
        q, v = state["q"], state["v"]
        delta = target - q[s, a]
        delta_v = target - v[s]
        q = q.at[s, a].add(params["ep"] * delta)
        v = v.at[s].add(params["ep"] * delta_v)
        return {"q": q, "v": v}, {"rpe": delta, "rpe_pavlovian": delta_v, "log_prob": logp,
                                  "p": jnp.exp(self.policy(params, state, s))}
