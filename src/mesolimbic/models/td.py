"""Temporal-difference learning in real time: TD(lambda) over a trial's time steps."""

from __future__ import annotations

import jax.numpy as jnp

from .._validate import check_choice, check_range
from ..rpe import td_error
from .base import Model, Output, Param

__all__ = ["TD"]


class TD(Model):
    r"""Linear TD(lambda) run over the time steps of each trial.

    With features ``x_t`` from a representation and weights ``w``, the value of
    the state at step t is ``V_t = w . x_t`` and, at every step,

    .. math::
       \delta_t &= r_t + \gamma V_t - V_{t-1}
                  \quad (\text{with } V_{t-1} = w\cdot x_{t-1} \text{ under the current } w)\\
       w &\leftarrow w + \alpha\,\delta_t\, e_{t-1}\\
       e_t &= \gamma\lambda\, e_{t-1} + x_t \quad\text{(accumulating)},\qquad
       e_t = \max(\gamma\lambda\, e_{t-1},\, x_t) \quad\text{(replacing)}

    ``delta_t`` is reported at the time of step t, the time the new state and
    the reward are observed: the dopamine response (Schultz, Dayan & Montague
    1997, Science 275:1593; Montague, Dayan & Sejnowski 1996). With lambda = 0
    and a complete serial compound this is the tabular update
    ``V[s] += alpha (r + gamma V[s'] - V[s])`` (Sutton & Barto 2018, eq. 6.2;
    traces: ch. 12; replacing traces: Singh & Sutton 1996).

    Optogenetic stimulation (``TrialType.stimulation``) adds its size to
    ``delta_t`` at the stimulated step: the RPE that is reported and that drives
    learning (Steinberg et al. 2013, Nat Neurosci 16:966).

    Trial boundaries: each trial starts from the inter-trial state, whose
    features are zero (V = 0) and where traces are cleared; after the last step
    the agent returns to it, ``delta = 0 - V_{T-1}``, and that terminal update is
    applied (it is not reported).

    Parameters: ``alpha`` in (0, 1], ``gamma`` in [0, 1], ``lam`` in [0, 1].

    Args:
      trace: ``"accumulating"`` (default) or ``"replacing"``.
      negative_error_scale: factor on negative errors in the *update* only,
        ``w += alpha * s(delta) * e`` with ``s(delta) = delta`` for delta >= 0 and
        ``negative_error_scale * delta`` otherwise. 1 (default) is TD; a value
        below 1 is a learner that reads its teaching signal off a dopamine firing
        rate whose dips are compressed (Bayer & Glimcher 2005): it overestimates
        values. The reported ``rpe`` is always the full delta. Makes the model
        nonlinear (simulated step by step).
    """

    name = "td"
    level = "step"
    linear = True
    params = (
        Param("alpha", 0.1, 0.0, 1.0, low_open=True, doc="learning rate"),
        Param("gamma", 0.98, 0.0, 1.0, doc="discount per time step"),
        Param("lam", 0.0, 0.0, 1.0, doc="eligibility-trace decay lambda"),
    )

    def __init__(self, trace: str = "accumulating", negative_error_scale: float = 1.0) -> None:
        self.trace = check_choice("trace", trace, ("accumulating", "replacing"))
        self.negative_error_scale = float(check_range("negative_error_scale", negative_error_scale, 0.0, 1.0))
        self.linear = self.negative_error_scale == 1.0

    def options(self):
        opts = {"trace": self.trace}
        if self.negative_error_scale != 1.0:
            opts["negative_error_scale"] = self.negative_error_scale
        return opts

    outputs = {"rpe": Output("reward prediction error (TD error)", "a.u."),
               "value": Output("value V(t) = w . x(t)", "a.u.")}
    final_state = {"w": ("weights", "weights after the last trial")}

    def init(self, params, spec):
        z = jnp.zeros(spec.n_features, jnp.float32)
        return {"w": z, "e": z, "x_prev": z}

    def step(self, params, state, inputs):
        """One time step. ``inputs``: ``x`` [F] features, ``r`` reward, ``reset``
        (True at a trial's first step: the previous state is the ITI, V = 0)."""
        alpha, gamma, lam = params["alpha"], params["gamma"], params["lam"]
        x, r, reset = inputs["x"], inputs["r"], inputs["reset"]
        w = state["w"]
        e_prev = jnp.where(reset, 0.0, state["e"])
        x_prev = jnp.where(reset, 0.0, state["x_prev"])
        v_prev = jnp.dot(w, x_prev)
        v = jnp.dot(w, x)
        # stimulation of dopamine neurons adds to the error that drives learning
        delta = td_error(v_prev, r, gamma, v) + inputs.get("stim", 0.0)
        teach = delta if self.linear else jnp.where(delta < 0, self.negative_error_scale * delta, delta)
        w = w + alpha * teach * e_prev
        decayed = gamma * lam * e_prev
        e = decayed + x if self.trace == "accumulating" else jnp.maximum(decayed, x)
        return {"w": w, "e": e, "x_prev": x}, {"rpe": delta, "value": v}
