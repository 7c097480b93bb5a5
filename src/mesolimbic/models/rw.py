"""The Rescorla–Wagner model: trial-level associative learning."""

from __future__ import annotations

from collections.abc import Mapping

import jax.numpy as jnp

from .._validate import check_range
from ..rpe import rescorla_wagner_error
from .base import Model, Output, Param, Prepared

__all__ = ["RescorlaWagner"]


class RescorlaWagner(Model):
    r"""Rescorla & Wagner (1972): one update per trial for every cue present.

    .. math::
       \delta = \lambda - \sum_{j \in \text{present}} V_j, \qquad
       \Delta V_i = \alpha\, s_i\, \beta\, \delta \quad (i \text{ present})

    ``lambda`` is the US magnitude delivered on the trial (0 when omitted),
    ``alpha`` the learning rate, ``s_i`` the salience of cue i (option
    ``salience``, 1 by default), and ``beta`` the US learning-rate factor,
    ``beta_reinforced`` on trials with a US and ``beta_nonreinforced`` on trials
    without (Rescorla & Wagner assumed the latter smaller). A cue is present when
    its intensity is above 0 anywhere in the trial.

    Reference: Rescorla, R. A. & Wagner, A. R. (1972). A theory of Pavlovian
    conditioning. In Black & Prokasy (eds.), *Classical Conditioning II*, 64-99.
    """

    name = "rw"
    level = "trial"
    linear = True
    params = (
        Param("alpha", 0.1, 0.0, 1.0, low_open=True, doc="learning rate"),
        Param("beta_reinforced", 1.0, 0.0, 1.0, low_open=True, doc="US factor on reinforced trials"),
        Param("beta_nonreinforced", 1.0, 0.0, 1.0, low_open=True, doc="US factor on non-reinforced trials"),
    )

    def __init__(self, salience: Mapping[str, float] | None = None) -> None:
        self.salience = dict(salience or {})
        for cue, s in self.salience.items():
            check_range(f"salience of cue {cue!r}", s, 0.0, 1.0, low_open=True)

    def options(self):
        return {"salience": self.salience}

    outputs = {"rpe": Output("Rescorla-Wagner prediction error", "a.u."),
               "value": Output("summed associative strength of the cues present", "a.u."),
               "weights": Output("associative strength V of each cue after the trial", "a.u.", dims=("cue",))}

    def salience_vector(self, cue_names) -> jnp.ndarray:
        unknown = set(self.salience) - set(cue_names)
        if unknown:
            raise ValueError(f"salience given for cue(s) {sorted(unknown)} not in the design; cues: {list(cue_names)}")
        return jnp.asarray([self.salience.get(c, 1.0) for c in cue_names], jnp.float32)

    def prepare(self, compiled, representation) -> Prepared:
        return Prepared(static={"salience": self.salience_vector(compiled.cue_names)})

    def init(self, params, spec):
        return {"w": jnp.zeros(spec.n_features, jnp.float32)}

    def step(self, params, state, inputs):
        """One trial. ``inputs``: ``x`` [C] cue presence (0/1), ``r`` US magnitude
        delivered, ``salience`` [C]."""
        x, r, s = inputs["x"], inputs["r"], inputs["salience"]
        w = state["w"]
        v = jnp.dot(w, x)
        delta = rescorla_wagner_error(r, v)
        beta = jnp.where(r != 0, params["beta_reinforced"], params["beta_nonreinforced"])
        w = w + params["alpha"] * beta * s * x * delta
        return {"w": w}, {"rpe": delta, "value": v, "weights": w}
