"""VTA GABA neurons as the source of the expectation that dopamine subtracts (Eshel et al. 2015)."""

from __future__ import annotations

import jax.numpy as jnp

from .._validate import check_choice
from ..rpe import td_error
from .base import Output, Param
from .td import TD

__all__ = ["GabaTD"]


class GabaTD(TD):
    r"""TD(lambda) in which the expectation reaches dopamine neurons as inhibition from VTA
    GABA neurons, and optogenetic drive of those GABA neurons acts on it.

    The GABA neurons carry the value of the current state,
    :math:`G_t = V_{t-1} + s_t` at step t, where :math:`s_t` is optogenetic drive of
    the GABA neurons (the design's ``stimulation``, read here as GABA-neuron
    stimulation: > 0 excitation, < 0 inhibition). Dopamine neurons combine reward,
    the new state's value and that inhibition:

    .. math::
       \text{subtractive:}\quad \delta_t = r_t + \gamma V_t - G_t
       = r_t + \gamma V_t - V_{t-1} - s_t \\
       \text{divisive:}\quad \delta_t = \frac{r_t + \gamma V_t - V_{t-1}}{1 + \kappa\, s_t}

    With no stimulation both are TD's error; the dopamine output ``rpe`` also
    teaches the weights, as in :class:`TD`. Eshel et al. (2015) found that
    expectation reduces dopamine reward responses by subtraction — the same
    amount at every reward size — and that exciting VTA GABA neurons reduces
    them subtractively too (while inhibiting them reduces the effect of
    expectation). ``combine="divisive"`` is the alternative they ruled out
    (shunting inhibition dividing the response: a reduction proportional to the
    response), kept to be tested against. Outputs: ``rpe`` (dopamine), ``gaba``
    (GABA input :math:`G_t`), ``value``. Parameters: those of :class:`TD`, and
    ``kappa`` in [0, 100] (divisive gain per unit stimulation) with
    ``combine="divisive"``.

    Reference: Eshel, N., Bukwich, M., Rao, V., Hemmelder, V., Tian, J. &
    Uchida, N. (2015). Arithmetic and local circuitry underlying dopamine
    prediction errors. Nature 525:243-246. Cohen, J. Y., Haesler, S., Vong, L.,
    Lowell, B. B. & Uchida, N. (2012). Neuron-type-specific signals for reward and
    punishment in the ventral tegmental area. Nature 482:85-88 (GABA neurons
    carry expectation).
    """

    name = "gaba_td"
    linear = False

    def __init__(self, combine: str = "subtractive", trace: str = "accumulating") -> None:
        super().__init__(trace=trace)
        self.combine = check_choice("combine", combine, ("subtractive", "divisive"))
        self.linear = False
        ps = list(TD.params)
        if self.combine == "divisive":
            ps.append(Param("kappa", 5.0, 0.0, 100.0, doc="divisive gain per unit GABA stimulation"))
        self.params = tuple(ps)

    def options(self):
        return {"combine": self.combine, "trace": self.trace}

    outputs = {"rpe": Output("dopamine: reward prediction error after the GABA input", "a.u."),
               "gaba": Output("VTA GABA input to dopamine neurons: expectation V(t-1) plus optogenetic drive",
                              "a.u.", region="vta_gaba"),
               "value": Output("value V(t) = w . x(t)", "a.u.")}

    def step(self, params, state, inputs):
        """One time step; ``inputs`` as for :class:`TD`, with ``stim`` read as GABA-neuron drive."""
        alpha, gamma, lam = params["alpha"], params["gamma"], params["lam"]
        x, r, reset = inputs["x"], inputs["r"], inputs["reset"]
        s = inputs.get("stim", 0.0)
        w = state["w"]
        e_prev = jnp.where(reset, 0.0, state["e"])
        x_prev = jnp.where(reset, 0.0, state["x_prev"])
        v_prev, v = jnp.dot(w, x_prev), jnp.dot(w, x)
        gaba = v_prev + s
        if self.combine == "subtractive":
            delta = td_error(gaba, r, gamma, v)
        else:
            delta = td_error(v_prev, r, gamma, v) / (1.0 + params["kappa"] * jnp.maximum(s, 0.0))
        w = w + alpha * delta * e_prev
        decayed = gamma * lam * e_prev
        e = decayed + x if self.trace == "accumulating" else jnp.maximum(decayed, x)
        return {"w": w, "e": e, "x_prev": x}, {"rpe": delta, "gaba": gaba, "value": v}
