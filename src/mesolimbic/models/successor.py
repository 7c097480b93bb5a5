"""Successor-representation TD: a vector of sensory prediction errors beside the scalar RPE."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .base import Model, Output, Param, Prepared

__all__ = ["SuccessorTD"]


class SuccessorTD(Model):
    r"""TD learning of the successor representation over sensory features (Dayan 1993;
    Gardner, Schoenbaum & Gershman 2018), with values read from it.

    With features :math:`x_t` (a cue code in which the outcomes' sensory identities
    are cues too, e.g. a "banana pellet" cue at the time of the pellet), the
    successor matrix :math:`M` predicts the discounted features to come,
    :math:`\psi_t = M x_t \approx \sum_{k \ge 1} \gamma^{k-1} x_{t+k}`, and learns
    from a *vector* of sensory prediction errors; reward weights :math:`R` learn
    what each feature is worth:

    .. math::
       \boldsymbol\delta_t &= x_t + \gamma M x_t - M x_{t-1}, \qquad
       M \mathrel{+}= \alpha\, \boldsymbol\delta_t\, x_{t-1}^\top\\
       R &\mathrel{+}= \alpha_R\,(r_t - R\cdot x_t)\, x_t, \qquad V_t = R \cdot \psi_t, \qquad
       \delta_t = r_t + \gamma V_t - V_{t-1}

    :math:`\delta_t` is the scalar RPE of the value the SR gives; the vector
    :math:`\boldsymbol\delta_t` responds when a predicted outcome is replaced by one
    of a different identity but the same value, where the scalar error is zero —
    the identity-unblocking and sensory-prediction-error results that Gardner et
    al. explain by dopamine carrying (components of) the vector (Takahashi et al.
    2017; Sharpe et al. 2017). ``identities``: the cue names of the outcomes'
    sensory identities; the learner reports, per identity, the vector error and
    the prediction summed over that cue's features (``spe_<name>``,
    ``psi_<name>``), and the norm of the whole vector (``spe_norm``).
    Parameters: ``alpha`` (SR) and ``alpha_r`` (reward weights) in (0, 1],
    ``gamma`` in [0, 1].

    References: Dayan, P. (1993). Improving generalization for temporal
    difference learning: the successor representation. Neural Comput 5:613-624.
    Gardner, M. P. H., Schoenbaum, G. & Gershman, S. J. (2018). Rethinking
    dopamine as generalized prediction error. Proc R Soc B 285:20181645.
    Takahashi, Y. K. et al. (2017). Dopamine neurons respond to errors in the
    prediction of sensory features of expected rewards. Neuron 95:1395-1405.
    """

    name = "successor_td"
    level = "step"
    linear = False
    params = (Param("alpha", 0.1, 0.0, 1.0, low_open=True, doc="learning rate of the successor matrix"),
              Param("alpha_r", 0.1, 0.0, 1.0, low_open=True, doc="learning rate of the reward weights"),
              Param("gamma", 0.98, 0.0, 1.0, doc="discount per time step"))
    def __init__(self, identities=()) -> None:
        self.identities = tuple(str(i) for i in identities)
        out = {"rpe": Output("scalar reward prediction error of the SR value", "a.u."),
               "value": Output("value V(t) = R . M x(t)", "a.u."),
               "spe_norm": Output("norm of the vector of sensory prediction errors", "a.u.")}
        for i in self.identities:
            out[f"spe_{i}"] = Output(f"sensory prediction error summed over the features of {i!r}", "a.u.")
            out[f"psi_{i}"] = Output(f"predicted discounted occurrence of {i!r}", "a.u.")
        self.outputs = out

    def options(self):
        return {"identities": self.identities}

    def prepare(self, compiled, representation) -> Prepared:
        cues = list(compiled.cue_names)
        missing = [i for i in self.identities if i not in cues]
        if missing:
            raise ValueError(f"SuccessorTD identities {missing} are not cues of the design (its cues: {cues}); "
                             f"give each outcome's sensory identity as a cue at the outcome's time")
        labels = representation.labels(compiled.cue_names, compiled.n_steps, compiled.design.dt)
        # per trial (constant), so the session restricts it to the features a design uses, like the weights
        n = compiled.n_trials
        return Prepared(per_trial={f"identity_{i}": np.tile(np.array([lab.split("@")[0] == i for lab in labels],
                                                                     np.float32), (n, 1)) for i in self.identities})

    def init(self, params, spec):
        F = spec.n_features
        return {"m": jnp.zeros((F, F), jnp.float32), "r": jnp.zeros(F, jnp.float32),
                "x_prev": jnp.zeros(F, jnp.float32)}

    def step(self, params, state, inputs):
        """One time step. ``inputs``: ``x``, ``r``, ``reset`` and each identity's feature mask."""
        alpha, alpha_r, gamma = params["alpha"], params["alpha_r"], params["gamma"]
        x, r, reset = inputs["x"], inputs["r"], inputs["reset"]
        m, rw = state["m"], state["r"]
        x_prev = jnp.where(reset, 0.0, state["x_prev"])
        psi_prev, psi = m @ x_prev, m @ x
        spe = x + gamma * psi - psi_prev
        v_prev, v = jnp.dot(rw, psi_prev), jnp.dot(rw, psi)
        delta = r + gamma * v - v_prev
        m = m + alpha * jnp.outer(spe, x_prev)
        rw = rw + alpha_r * (r - jnp.dot(rw, x)) * x
        out = {"rpe": delta, "value": v, "spe_norm": jnp.sqrt(jnp.sum(spe ** 2))}
        for i in self.identities:
            mask = inputs.get(f"identity_{i}", jnp.zeros_like(x))
            out[f"spe_{i}"], out[f"psi_{i}"] = jnp.dot(mask, spe), jnp.dot(mask, psi)
        return {"m": m, "r": rw, "x_prev": x}, out
