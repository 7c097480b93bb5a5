"""Token-level prediction errors of PPO-style RLHF: TD errors, GAE and KL estimates.

In PPO for language models (Ziegler et al. 2019; Ouyang et al. 2022) each
generated token is a time step; the reward model's score arrives at the last
token, a per-token KL penalty ``-beta KL_t`` is added at every token, and the
value head's TD error ``delta_t = r_t + gamma V_{t+1} - V_t`` is the critic's
RPE — the quantity Schultz, Dayan & Montague (1997) found in dopamine neurons.
Arrays here are batch-major ``[batch, tokens]`` with a ``mask`` of real tokens
(the usual layout of LM training code); internally the package's time-major
:func:`mesolimbic.rpe.gae` is used.

KL estimators from per-token log-probabilities under the policy and the
reference, for samples from the policy (Schulman 2020, "Approximating KL
divergence"): ``k1 = log p - log q`` (unbiased, high variance, can be negative),
``k2 = (log p - log q)^2 / 2`` (low variance, biased), ``k3 = (r - 1) - log r``
with ``r = q / p`` (unbiased, always >= 0).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ..rpe import gae

__all__ = ["token_advantages", "kl_estimates", "last_token", "first_occurrence", "rpe_share"]


def token_advantages(rewards, values, mask, *, gamma: float = 1.0, lam: float = 0.95) -> dict:
    """TD errors, GAE advantages and returns per token.

    ``rewards`` ``[B, T]`` (e.g. ``-beta KL_t`` plus the score on the last real token),
    ``values`` ``[B, T]`` (the value head at each token), ``mask`` ``[B, T]`` (1 on
    real tokens, contiguous from the start). The value after the last real token is
    0 (the episode ends). Returns ``delta``, ``advantage``, ``returns`` (advantage +
    value), each ``[B, T]`` and 0 on padding."""
    r, v, m = (jnp.asarray(a, jnp.float32) for a in (rewards, values, mask))
    if not (r.shape == v.shape == m.shape) or r.ndim != 2:
        raise ValueError(f"rewards, values and mask must be [batch, tokens] of one shape, got "
                         f"{r.shape}, {v.shape}, {m.shape}")
    bad = ~(jnp.isfinite(r) & jnp.isfinite(v)) & (m > 0)
    if bool(bad.any()):
        rows = sorted({int(i) for i in np.nonzero(np.asarray(bad))[0]})
        raise ValueError(f"rewards or values are NaN or infinite on real tokens of sequences {rows[:10]}")
    r, v = r * m, v * m
    nxt = jnp.concatenate([m[:, 1:], jnp.zeros_like(m[:, :1])], axis=1)  # is there a next real token
    values_tp1 = jnp.concatenate([v, jnp.zeros_like(v[:, :1])], axis=1)  # [B, T+1]
    discount = gamma * nxt
    adv = gae(r.T, discount.T, values_tp1.T, lam).T * m
    delta = (r + discount * values_tp1[:, 1:] - v) * m
    return {"delta": np.asarray(delta), "advantage": np.asarray(adv), "returns": np.asarray((adv + v) * m)}


def kl_estimates(logp_policy, logp_ref, mask=None) -> dict:
    """Per-token k1, k2, k3 estimates of KL(policy || reference) and their per-sequence sums."""
    lp, lq = jnp.asarray(logp_policy, jnp.float32), jnp.asarray(logp_ref, jnp.float32)
    m = jnp.ones_like(lp) if mask is None else jnp.asarray(mask, jnp.float32)
    log_ratio = lp - lq
    k1 = log_ratio
    k2 = 0.5 * log_ratio ** 2
    k3 = jnp.expm1(-log_ratio) + log_ratio
    out = {k: np.asarray(v * m) for k, v in (("k1", k1), ("k2", k2), ("k3", k3))}
    out.update({f"{k}_sum": v.sum(-1) for k, v in list(out.items())})
    return out


def last_token(mask) -> np.ndarray:
    """Boolean ``[..., T]``: True at the last real token of each sequence (where the score arrives)."""
    m = np.asarray(mask, bool)
    n = m.sum(-1)
    out = np.zeros_like(m)
    idx = np.clip(n - 1, 0, None)
    np.put_along_axis(out, idx[..., None], (n > 0)[..., None], axis=-1)
    return out


def first_occurrence(tokens, token_id: int, mask=None) -> np.ndarray:
    """Boolean ``[..., T]``: True at the first real occurrence of ``token_id`` in each sequence."""
    t = np.asarray(tokens)
    hit = (t == token_id) & (np.ones(t.shape, bool) if mask is None else np.asarray(mask, bool))
    return hit & (np.cumsum(hit, -1) == 1)


def rpe_share(delta, where, mask=None, axis=(-2, -1)) -> np.ndarray:
    """Share of the summed absolute prediction error that falls where ``where`` is True:
    ``sum |delta| [where] / sum |delta|`` over ``axis`` (default: rollouts and tokens),
    e.g. per PPO iteration. NaN where there is no error at all."""
    d = np.abs(np.asarray(delta, float))
    if mask is not None:
        d = d * np.asarray(mask, bool)
    w = np.asarray(where, bool)
    if w.shape != d.shape:
        raise ValueError(f"where has shape {w.shape} but delta has shape {d.shape}")
    tot = d.sum(axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (d * w).sum(axis) / tot, np.nan)
