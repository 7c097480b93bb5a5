"""Reward prediction errors: pure functions over arrays.

Conventions (as in other JAX RL building blocks such as rlax):

* arrays are **time-major**: axis 0 is time, any further axes are batch axes
  and broadcast elementwise (or ``jax.vmap`` the function);
* the suffix says the time index: ``v_tm1`` is the value of the state left at
  t-1, ``r_t`` and ``discount_t`` come with the transition into the state
  whose value is ``v_t``;
* ``discount_t`` is gamma times a continuation flag (0 at episode ends).

These functions compute the signal that Schultz, Dayan & Montague (1997)
identified with phasic dopamine: the difference between what happened and
what was predicted.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike

__all__ = [
    "td_error",
    "rescorla_wagner_error",
    "discounted_returns",
    "n_step_returns",
    "lambda_returns",
    "generalized_advantage_estimation",
    "gae",
]


def _shapes_match(**arrays: Array) -> None:
    shapes = {k: jnp.shape(v) for k, v in arrays.items()}
    first = next(iter(shapes.values()))
    if any(s != first for s in shapes.values()):
        desc = ", ".join(f"{k}{list(s)}" for k, s in shapes.items())
        raise ValueError(f"arrays must have the same shape, got {desc}")


def _time_major(name: str, x: Array) -> None:
    if jnp.ndim(x) < 1:
        raise ValueError(f"{name} must have a time axis (axis 0), got a scalar")


def td_error(v_tm1: ArrayLike, r_t: ArrayLike, discount_t: ArrayLike, v_t: ArrayLike) -> Array:
    r"""Temporal-difference error (Sutton 1988; Sutton & Barto 2018, eq. 6.5).

    .. math:: \delta_t = r_t + \gamma_t V(s_t) - V(s_{t-1})

    Elementwise; all arguments broadcast to a common shape. With
    ``discount_t = 0`` it reduces to the Rescorla–Wagner error ``r_t - v_tm1``.

    Args:
      v_tm1: value of the state left, V(s_{t-1}).
      r_t: reward received on the transition.
      discount_t: gamma_t (0 where the episode ends).
      v_t: value of the state entered, V(s_t).

    Returns:
      delta_t, the reward prediction error, in the broadcast shape.

    Example: an unpredicted reward is a positive error, an omitted predicted one a
    negative error, and a cue that raises the prediction an error of its own:

    >>> from mesolimbic.rpe import td_error
    >>> td_error(v_tm1=[0.0, 1.0, 0.0], r_t=[1.0, 0.0, 0.0], discount_t=[0.0, 0.0, 0.9], v_t=[0.0, 0.0, 1.0])
    Array([ 1. , -1. ,  0.9], dtype=float32)
    """
    v_tm1, r_t, discount_t, v_t = map(jnp.asarray, (v_tm1, r_t, discount_t, v_t))
    return r_t + discount_t * v_t - v_tm1


def rescorla_wagner_error(r_t: ArrayLike, v_t: ArrayLike) -> Array:
    r"""Rescorla–Wagner prediction error (Rescorla & Wagner 1972).

    .. math:: \delta = \lambda - \sum_{i \in \text{present}} V_i

    ``r_t`` is the asymptote lambda supported by the US on this trial (its
    magnitude, 0 when omitted); ``v_t`` is the summed associative strength of
    the cues present (the prediction). Elementwise.
    """
    return jnp.asarray(r_t) - jnp.asarray(v_t)


def discounted_returns(r_t: ArrayLike, discount_t: ArrayLike, v_last: ArrayLike = 0.0) -> Array:
    r"""Discounted returns to the end of the sequence, bootstrapped from ``v_last``.

    .. math:: G_t = r_t + \gamma_t G_{t+1},\qquad G_{T} = v_{\text{last}}

    Shapes: ``r_t`` and ``discount_t`` are ``[T, ...]``; ``v_last`` broadcasts
    to ``r_t[0]``. (Sutton & Barto 2018, eq. 3.9.)

    >>> from mesolimbic.rpe import discounted_returns
    >>> discounted_returns(r_t=[0.0, 0.0, 1.0], discount_t=[0.5, 0.5, 0.5])
    Array([0.25, 0.5 , 1.  ], dtype=float32)
    """
    r_t = jnp.asarray(r_t)
    discount_t = jnp.asarray(discount_t)
    _time_major("r_t", r_t)
    _shapes_match(r_t=r_t, discount_t=discount_t)
    v_last = jnp.broadcast_to(jnp.asarray(v_last, r_t.dtype), r_t.shape[1:])

    def back(g, inp):
        r, d = inp
        g = r + d * g
        return g, g

    _, g = jax.lax.scan(back, v_last, (r_t, discount_t), reverse=True)
    return g


def n_step_returns(r_t: ArrayLike, discount_t: ArrayLike, v_t: ArrayLike, n: int) -> Array:
    r"""n-step bootstrapped returns (Sutton & Barto 2018, eq. 7.1).

    .. math::
       G^{(n)}_t = \sum_{k=0}^{n-1} \Big(\prod_{j<k} \gamma_{t+j}\Big) r_{t+k}
                 + \Big(\prod_{j<n} \gamma_{t+j}\Big) v_{t+n-1}

    where ``v_t`` is the value of the state entered at step t. Near the end of
    the sequence the horizon is truncated and the last value ``v_{T-1}``
    bootstraps. ``n = 1`` gives the one-step target ``r_t + gamma_t v_t``; ``n >= T``
    gives the Monte-Carlo return bootstrapped from ``v_{T-1}``.

    Shapes: all three ``[T, ...]``; returns ``[T, ...]``.

    >>> from mesolimbic.rpe import n_step_returns
    >>> n_step_returns([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [10.0, 10.0, 10.0], n=1)
    Array([11., 11., 11.], dtype=float32)
    >>> n_step_returns([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [10.0, 10.0, 10.0], n=2)
    Array([12., 12., 11.], dtype=float32)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    r_t, discount_t, v_t = map(jnp.asarray, (r_t, discount_t, v_t))
    _time_major("r_t", r_t)
    _shapes_match(r_t=r_t, discount_t=discount_t, v_t=v_t)
    T = r_t.shape[0]
    # G^(1)_t = r_t + g_t v_t;  G^(m)_t = r_t + g_t G^(m-1)_{t+1}, and at the last
    # step the horizon is truncated: G^(m)_{T-1} = G^(1)_{T-1}.
    g1 = r_t + discount_t * v_t
    g = g1
    for _ in range(min(n, T) - 1):
        g = jnp.concatenate([r_t[:-1] + discount_t[:-1] * g[1:], g1[-1:]], axis=0)
    return g


def lambda_returns(
    r_t: ArrayLike, discount_t: ArrayLike, v_t: ArrayLike, lambda_: ArrayLike = 1.0
) -> Array:
    r"""lambda-returns, computed backwards (Sutton & Barto 2018, eq. 12.3 and §12.5).

    .. math::
       G^\lambda_t = r_t + \gamma_t\big[(1-\lambda) v_t + \lambda G^\lambda_{t+1}\big],
       \qquad G^\lambda_{T-1} = r_{T-1} + \gamma_{T-1} v_{T-1}

    ``v_t`` is the value of the state entered at step t. ``lambda_ = 0`` gives the
    one-step TD target; ``lambda_ = 1`` the Monte-Carlo return bootstrapped from
    the last value. ``lambda_`` may be a scalar or broadcast to ``r_t``.

    Shapes: ``[T, ...]`` for ``r_t``, ``discount_t``, ``v_t``; returns ``[T, ...]``.

    >>> from mesolimbic.rpe import lambda_returns
    >>> lambda_returns([0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.5, 0.5, 0.0], lambda_=0.0)
    Array([0.5, 0.5, 1. ], dtype=float32)
    >>> lambda_returns([0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.5, 0.5, 0.0], lambda_=1.0)
    Array([1., 1., 1.], dtype=float32)
    """
    r_t, discount_t, v_t = map(jnp.asarray, (r_t, discount_t, v_t))
    _time_major("r_t", r_t)
    _shapes_match(r_t=r_t, discount_t=discount_t, v_t=v_t)
    lam = jnp.broadcast_to(jnp.asarray(lambda_, r_t.dtype), r_t.shape)

    def back(g_next, inp):
        r, d, v, lam_t = inp
        g = r + d * ((1.0 - lam_t) * v + lam_t * g_next)
        return g, g

    _, g = jax.lax.scan(back, v_t[-1], (r_t, discount_t, v_t, lam), reverse=True)
    return g


def generalized_advantage_estimation(
    r_t: ArrayLike, discount_t: ArrayLike, values: ArrayLike, lambda_: ArrayLike = 0.95
) -> Array:
    r"""Generalised advantage estimation (Schulman, Moritz, Levine, Jordan & Abbeel 2016).

    .. math::
       \delta_t = r_t + \gamma_t V(s_{t+1}) - V(s_t),\qquad
       \hat A_t = \sum_{l\ge 0} \Big(\prod_{j<l} \gamma_{t+j}\lambda\Big) \delta_{t+l}
                = \delta_t + \gamma_t \lambda \hat A_{t+1}

    Shapes: ``r_t`` and ``discount_t`` are ``[T, ...]``; ``values`` is ``[T+1, ...]``
    (the value of every state visited, including the last one bootstrapped).
    ``lambda_ = 0`` gives the TD errors; ``lambda_ = 1`` the discounted return
    minus the baseline ``V(s_t)``. Returns the advantages ``[T, ...]``; add
    ``values[:-1]`` to obtain the lambda-returns.

    >>> from mesolimbic.rpe import gae
    >>> gae(r_t=[0.0, 1.0], discount_t=[1.0, 0.0], values=[0.5, 0.5, 0.0], lambda_=1.0)
    Array([0.5, 0.5], dtype=float32)
    """
    r_t, discount_t, values = map(jnp.asarray, (r_t, discount_t, values))
    _time_major("r_t", r_t)
    _shapes_match(r_t=r_t, discount_t=discount_t)
    if values.shape != (r_t.shape[0] + 1,) + r_t.shape[1:]:
        raise ValueError(
            f"values must have shape [T+1, ...] = {[r_t.shape[0] + 1, *r_t.shape[1:]]}, "
            f"got {list(values.shape)}"
        )
    deltas = td_error(values[:-1], r_t, discount_t, values[1:])
    lam = jnp.broadcast_to(jnp.asarray(lambda_, r_t.dtype), r_t.shape)

    def back(a_next, inp):
        d, g, lam_t = inp
        a = d + g * lam_t * a_next
        return a, a

    _, adv = jax.lax.scan(back, jnp.zeros_like(r_t[0]), (deltas, discount_t, lam), reverse=True)
    return adv


gae = generalized_advantage_estimation
