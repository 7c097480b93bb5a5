"""Distributional reinforcement learning: a population of RPE channels with asymmetric learning rates."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import minimize

from .base import Model, Output, Param, Spec

__all__ = ["DistributionalRPE", "QuantileRPE", "expectiles", "quantiles", "decode_expectiles"]


class DistributionalRPE(Model):
    r"""A population of dopamine-like units, each with its own learning rates for
    positive and negative errors (Dabney et al. 2020).

    .. math::
       \delta_i = r - V_i, \qquad
       V_i \mathrel{+}= \begin{cases} \alpha^+_i\,\delta_i & \delta_i > 0\\ \alpha^-_i\,\delta_i & \delta_i \le 0
       \end{cases}, \qquad \alpha^+_i = 2\alpha\tau_i,\ \ \alpha^-_i = 2\alpha(1 - \tau_i)

    Unit *i* converges to the :math:`\tau_i`-expectile of the reward distribution,
    with :math:`\tau_i = \alpha^+_i / (\alpha^+_i + \alpha^-_i)` (its asymmetry); its
    *reversal point* — the reward at which its error changes sign — is that
    expectile. A unit with :math:`\tau = 0.5` is the classic single RPE channel and
    learns the mean. Parameters: ``alpha`` in (0, 0.5] (the mean learning rate);
    ``taus`` (the units' asymmetries, in (0, 1)) is structural.

    References: Dabney, W., Kurth-Nelson, Z., Uchida, N., Starkweather, C. K.,
    Hassabis, D., Munos, R. & Botvinick, M. (2020). A distributional code for value
    in dopamine-based reinforcement learning. Nature 577:671-675. Newey, W. K. &
    Powell, J. L. (1987). Asymmetric least squares estimation and testing.
    Econometrica 55:819-847 (expectiles).
    """

    name = "distributional_rpe"
    level = "trial"
    params = (Param("alpha", 0.02, 0.0, 0.5, low_open=True, doc="mean learning rate"),)

    def __init__(self, taus) -> None:
        taus = np.asarray(taus, float).ravel()
        if taus.size == 0 or np.any((taus <= 0) | (taus >= 1)):
            raise ValueError(f"taus must be asymmetries in (0, 1), got {taus.tolist()}")
        self.taus = tuple(taus.tolist())

    def options(self):
        return {"taus": self.taus}

    outputs = {"rpe": Output("prediction error of each unit", "a.u.", dims=("unit",)),
               "value": Output("value of each unit before the update (its expectile estimate)", "a.u.",
                               dims=("unit",))}

    def init(self, params, spec=None):
        return {"v": jnp.zeros(len(self.taus), jnp.float32)}

    def step(self, params, state, inputs):
        """One outcome ``r`` for every unit: returns each unit's error and value before the update."""
        taus = jnp.asarray(self.taus, jnp.float32)
        delta = inputs["r"] - state["v"]
        rate = 2.0 * params["alpha"] * jnp.where(delta > 0, taus, 1.0 - taus)
        return {"v": state["v"] + rate * delta}, {"rpe": delta, "value": state["v"]}

    def run(self, params, rewards) -> dict:
        """All units over a reward sequence ``[T]``: ``rpe`` and ``value`` ``[T, units]``
        (the session kernel replaying the rewards, one trial each)."""
        from ..kernel import ReplayWorld, scan_session

        p = {k: jnp.asarray(v, jnp.float32) for k, v in self.validate_params(params).items()}
        r = jnp.asarray(rewards, jnp.float32)
        if r.ndim != 1:
            raise ValueError(f"rewards must be a 1-D sequence, got shape {r.shape}")
        _, out = jax.jit(lambda p, r: scan_session(self, p, (self.init(p, Spec()), {}), {"r": r[:, None]},
                                                   ReplayWorld()))(p, r)
        return {k: np.asarray(v[:, 0]) for k, v in out.items()}


class QuantileRPE(DistributionalRPE):
    r"""A population of units that learn quantiles: quantile-regression distributional TD
    (Dabney, Rowland, Bellemare & Munos 2018), beside the expectile units of
    :class:`DistributionalRPE`.

    .. math::
       \delta_i = r - \theta_i, \qquad
       \theta_i \mathrel{+}= \alpha \,\big(\tau_i - \mathbb{1}[\delta_i < 0]\big)

    Only the *sign* of each unit's error moves it: up by :math:`\alpha\tau_i` after a
    better outcome, down by :math:`\alpha(1 - \tau_i)` after a worse one, so it
    settles where :math:`P(r < \theta_i) = \tau_i` — the :math:`\tau_i`-quantile (the
    gradient of the quantile, or "pinball", loss; Koenker & Bassett 1978). The
    reported ``rpe`` is the graded error :math:`\delta_i`; what teaches is its sign.
    Dabney et al. (2020) asked which of the two codes dopamine uses and found
    responses graded with the size of the error, as the expectile code needs.
    Parameters: ``alpha`` in (0, 0.5] (the step per reward); ``taus`` in (0, 1) are
    structural. Outputs: ``rpe`` and ``value`` per unit, as in
    :class:`DistributionalRPE`.

    References: Dabney, W., Rowland, M., Bellemare, M. G. & Munos, R. (2018).
    Distributional reinforcement learning with quantile regression. AAAI
    2892-2901. Koenker, R. & Bassett, G. (1978). Regression quantiles.
    Econometrica 46:33-50.
    """

    name = "quantile_rpe"
    params = (Param("alpha", 0.02, 0.0, 0.5, low_open=True, doc="step size of each unit's quantile"),)
    outputs = {"rpe": Output("prediction error of each unit", "a.u.", dims=("unit",)),
               "value": Output("value of each unit before the update (its quantile estimate)", "a.u.",
                               dims=("unit",))}

    def step(self, params, state, inputs):
        """One outcome ``r`` for every unit: each unit moves by the sign of its error."""
        taus = jnp.asarray(self.taus, jnp.float32)
        delta = inputs["r"] - state["v"]
        step = params["alpha"] * (taus - (delta < 0).astype(jnp.float32))
        return {"v": state["v"] + step}, {"rpe": delta, "value": state["v"]}


def quantiles(values, probs, taus) -> np.ndarray:
    """The ``tau``-quantiles of a discrete distribution: the smallest value whose
    cumulative probability reaches ``tau``."""
    values, probs = np.asarray(values, float), np.asarray(probs, float) / np.sum(probs)
    order = np.argsort(values)
    v, c = values[order], np.cumsum(probs[order])
    return np.array([v[min(int(np.searchsorted(c, t - 1e-12)), v.size - 1)] for t in np.atleast_1d(taus)])


def expectiles(values, probs, taus) -> np.ndarray:
    """The exact ``tau``-expectiles of a discrete distribution (solving the first-order
    condition ``tau E[(X - e)_+] = (1 - tau) E[(e - X)_+]`` by bisection)."""
    values, probs = np.asarray(values, float), np.asarray(probs, float) / np.sum(probs)
    out = []
    for t in np.atleast_1d(taus):
        lo, hi = values.min(), values.max()
        for _ in range(100):
            e = 0.5 * (lo + hi)
            g = t * np.sum(probs * np.maximum(values - e, 0)) - (1 - t) * np.sum(probs * np.maximum(e - values, 0))
            lo, hi = (e, hi) if g > 0 else (lo, e)
        out.append(0.5 * (lo + hi))
    return np.asarray(out)


def decode_expectiles(taus, points, n_samples: int = 100, seed: int = 0, n_restarts: int = 10) -> np.ndarray:
    """Impute a reward distribution from a population's reversal points: ``n_samples``
    values whose ``taus``-expectiles match ``points``.

    Least squares on the expectile conditions, as in Dabney et al. 2020's decoding:
    minimise ``sum_i c_i(z)^2`` with ``c_i(z) = mean_j [tau_i (z_j - e_i)_+ - (1 - tau_i)
    (e_i - z_j)_+]``, by L-BFGS from ``n_restarts`` random starts (the loss is
    piecewise quadratic with local minima), keeping the best. Computed in float64
    NumPy with tolerances set for the loss's scale (it is ~1e-5 at a poor start,
    so the optimiser's default absolute tolerances would stop far from a
    solution). Returns the sorted samples."""
    from .._validate import check_count

    n_samples, n_restarts = check_count("n_samples", n_samples, 1), check_count("n_restarts", n_restarts, 1)
    taus, points = np.asarray(taus, float).ravel(), np.asarray(points, float).ravel()
    if taus.shape != points.shape:
        raise ValueError(f"taus and points must have the same length, got {taus.size} and {points.size}")

    def loss(z):
        d = z[None, :] - points[:, None]
        w = np.where(d > 0, taus[:, None], 1.0 - taus[:, None])  # d c_i / d z_j = w_ij / n
        c = np.mean(w * d, axis=1)
        return float(np.sum(c ** 2)), 2.0 * (c[:, None] * w).sum(0) / z.size

    rng = np.random.default_rng(seed)
    spread = float(np.ptp(points)) or 1.0
    best = None
    for _ in range(n_restarts):
        z0 = float(np.mean(points)) + spread * rng.standard_normal(n_samples)
        res = minimize(loss, z0, jac=True, method="L-BFGS-B", options={"maxiter": 2000, "ftol": 0.0, "gtol": 1e-12})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None  # n_restarts >= 1
    return np.sort(best.x)
