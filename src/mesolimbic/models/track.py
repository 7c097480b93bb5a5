"""TD learning along a track to a reward, with an uncertain sense of position."""

from __future__ import annotations

import jax.numpy as jnp

from .._validate import check_range
from ..rpe import td_error
from .base import Model, Output, Param

__all__ = ["TrackTD"]


class TrackTD(Model):
    r"""TD(0) over position on a linear track whose end is rewarded, with position uncertainty
    that sensory feedback shrinks as the goal nears (after Mikhael, Kim, Uchida & Gershman 2022;
    Kim et al. 2020).

    The track has positions :math:`0 .. L-1` and the goal :math:`L`; a trial starts at the
    step the agent enters the track from the inter-trial interval (V = 0) and ends at the goal,
    where the reward :math:`r = 1` is delivered and the value is 0 (the package's convention).
    The world says which position :math:`x_t` the agent is in at each step, so a manipulation
    changes which state follows which: a *teleport* skips positions, a *pause* repeats one, a
    doubled *speed* advances two positions per step. The agent does not know :math:`x_t`
    exactly: it reads its position as

    .. math::
       \hat x_t = \operatorname{clip}\big(\operatorname{round}(x_t + \sigma_t\,\epsilon_t),\, 0,\, L-1\big),
       \qquad \sigma_t = \sigma\,\frac{L - x_t}{L}, \qquad \epsilon_t \sim N(0, 1),

    so the estimate is poor far from the goal and sharp near it (the goal's landmarks
    grow as it approaches: sensory feedback). Value is a table over estimated positions,
    :math:`V_t = w[\hat x_t]` on the track and 0 off it, learned from the TD error

    .. math::
       \delta_t = r_t + \gamma V_t - V_{t-1}, \qquad w[\hat x_{t-1}] \mathrel{+}= \alpha\,\ell_t\,\delta_t,

    reported at step t (the first step on the track gives :math:`\gamma V_0`, the response to
    the track's onset). :math:`\ell_t` (the input ``learn``, 1 by default) lets probe trials
    leave the weights as they are. With :math:`\sigma = 0` this is tabular TD: the values
    converge to :math:`V(x) = \gamma^{L-1-x}` (convex in position) and the TD error along the
    way to 0. With :math:`\sigma > 0` the estimate of where one is averages values over
    neighbouring positions, more widely far from the goal, and the TD error aligned to the
    true position stays negative early and positive late: a ramp that learning does not
    remove. Either way the TD error of a teleport is about the change in value,
    :math:`\gamma V(x') - V(x)`, of a pause :math:`-(1-\gamma) V(x)`, and of a doubled speed
    :math:`\gamma V(x+2) - V(x)`; a "dopamine = value" readout is :math:`V_t` itself
    (the ``value`` output).

    Args:
      n_positions: L, the positions before the goal.

    Parameters: ``alpha`` in (0, 1], ``gamma`` in [0, 1], ``sigma`` >= 0 (position
    uncertainty at the start of the track, in positions). Inputs per step: ``pos`` (the
    true position, -1 off the track, L at the goal), ``noise`` (the standard normal
    :math:`\epsilon_t`), ``r``, ``start`` (1 at the trial's first step) and optionally
    ``learn``. Outputs: ``rpe``, ``value`` and ``pos_estimate``.

    References: Kim, H. R., Malik, A. N., Mikhael, J. G., Bech, P., Tsutsui-Kimura, I., Sun,
    F., Zhang, Y., Li, Y., Watabe-Uchida, M., Gershman, S. J. & Uchida, N. (2020). A unified
    framework for dopamine signals across timescales. Cell 183:1600-1616. Mikhael, J. G.,
    Kim, H. R., Uchida, N. & Gershman, S. J. (2022). The role of state uncertainty in the
    dynamics of dopamine. Curr Biol 32:1077-1087.
    """

    name = "track_td"
    level = "step"
    linear = False
    params = (Param("alpha", 0.1, 0.0, 1.0, low_open=True, doc="learning rate"),
              Param("gamma", 0.95, 0.0, 1.0, doc="discount per time step"),
              Param("sigma", 0.0, 0.0, doc="position uncertainty at the track's start (positions)"))
    outputs = {"rpe": Output("TD error over the estimated position", "a.u."),
               "value": Output("value of the estimated position, V(t) = w[x_hat(t)]", "a.u."),
               "pos_estimate": Output("estimated position on the track (-1 off the track)", "1")}
    final_state: dict = {}

    def __init__(self, n_positions: int = 40) -> None:
        self.n_positions = int(check_range("n_positions", n_positions, 1, 10_000))

    def options(self):
        return {"n_positions": self.n_positions}

    def init(self, params, spec=None):
        return {"w": jnp.zeros(self.n_positions, jnp.float32), "v_prev": jnp.zeros((), jnp.float32),
                "i_prev": jnp.zeros((), jnp.int32), "on_prev": jnp.zeros((), bool)}

    def step(self, params, state, inputs):
        """One time step: inputs ``pos``, ``noise``, ``r``, ``start`` (and ``learn``)."""
        L = self.n_positions
        pos = jnp.asarray(inputs["pos"], jnp.float32)
        on = (pos >= 0) & (pos < L)
        sd = params["sigma"] * jnp.clip(L - pos, 0.0, L) / L
        i = jnp.clip(jnp.round(pos + sd * inputs["noise"]), 0, L - 1).astype(jnp.int32)
        w = state["w"]
        v = jnp.where(on, w[i], 0.0)
        start = jnp.asarray(inputs["start"], bool)
        v_prev = jnp.where(start, 0.0, state["v_prev"])
        delta = td_error(v_prev, inputs["r"], params["gamma"], v)
        learn = jnp.asarray(inputs.get("learn", 1.0), jnp.float32)
        upd = jnp.where(state["on_prev"] & ~start, params["alpha"] * learn * delta, 0.0)
        w = w.at[state["i_prev"]].add(upd)
        return ({"w": w, "v_prev": v, "i_prev": i, "on_prev": on},
                {"rpe": delta, "value": v, "pos_estimate": jnp.where(on, i, -1)})
