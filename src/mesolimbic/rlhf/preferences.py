"""Reward models from pairwise preferences: the Bradley–Terry likelihood and its fit.

A human prefers response i over j with probability

.. math:: P(i \\succ j) = \\sigma(r_i - r_j)

(Bradley & Terry 1952), the model behind reward-model training in RLHF
(Christiano et al. 2017; Ouyang et al. 2022). Only reward *differences* enter:
adding a constant to every reward leaves the likelihood unchanged, so a fitted
reward is identified up to a shift (fixed here by centring, or by the linear
model's lack of an intercept).

References: Bradley, R. A. & Terry, M. E. (1952). Rank analysis of incomplete block
designs. Biometrika 39:324-345. Christiano, P., Leike, J., Brown, T. B., Martic,
M., Legg, S. & Amodei, D. (2017). Deep reinforcement learning from human
preferences. NeurIPS 30.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import minimize

from .._validate import check_range

__all__ = ["bradley_terry_loglik", "fit_bradley_terry", "sample_preferences", "preference_pairs"]


def bradley_terry_loglik(r_chosen, r_rejected):
    """Log-likelihood of each comparison, ``log sigma(r_chosen - r_rejected)`` (elementwise)."""
    return jax.nn.log_sigmoid(jnp.asarray(r_chosen) - jnp.asarray(r_rejected))


def sample_preferences(reward, n_comparisons: int, *, seed: int = 0, temperature: float = 1.0):
    """Draw ``n_comparisons`` random pairs of items and a Bradley–Terry choice for each,
    from the true ``reward`` per item (``temperature`` scales the noise). Returns
    ``(chosen, rejected)`` item indices."""
    reward = np.asarray(reward, float)
    if reward.ndim != 1 or reward.size < 2:
        raise ValueError(f"reward must be 1-D with at least 2 items, got shape {reward.shape}")
    if not np.all(np.isfinite(reward)):
        raise ValueError(f"reward has NaN or infinite values at items {np.flatnonzero(~np.isfinite(reward))[:10].tolist()}")
    check_range("temperature", temperature, 0.0, np.inf, low_open=True)
    rng = np.random.default_rng(seed)
    i = rng.integers(0, reward.size, n_comparisons)
    j = (i + rng.integers(1, reward.size, n_comparisons)) % reward.size  # j != i
    p_i = 1.0 / (1.0 + np.exp(-(reward[i] - reward[j]) / temperature))
    i_wins = rng.random(n_comparisons) < p_i
    return np.where(i_wins, i, j), np.where(i_wins, j, i)


def fit_bradley_terry(chosen, rejected, features=None, *, l2: float = 1e-3) -> dict:
    """Maximum-likelihood reward from comparisons.

    Tabular (``features=None``): one reward per item (indices in ``chosen`` /
    ``rejected``), centred to mean 0. Linear: ``features`` ``[items, d]``, reward
    ``= features @ w``. ``l2`` is a small ridge penalty (it also fixes items never
    compared). Returns ``reward`` per item, ``w`` (linear), ``loglik`` and
    ``accuracy`` (share of comparisons the fitted reward orders correctly)."""
    chosen, rejected = np.asarray(chosen, int), np.asarray(rejected, int)
    if chosen.shape != rejected.shape or chosen.ndim != 1:
        raise ValueError(f"chosen and rejected must be 1-D and of equal length, got {chosen.shape}, {rejected.shape}")
    check_range("l2", l2, 0.0, np.inf)
    n_items = int(max(chosen.max(), rejected.max())) + 1
    X = jnp.eye(n_items) if features is None else jnp.asarray(features, jnp.float32)
    if X.shape[0] < n_items:
        raise ValueError(f"features has {X.shape[0]} rows but items go up to index {n_items - 1}")

    def nll(w):
        r = X @ w
        return -jnp.sum(bradley_terry_loglik(r[chosen], r[rejected])) + l2 * jnp.sum(w ** 2)

    vg = jax.jit(jax.value_and_grad(nll))
    res = minimize(lambda w: tuple(np.asarray(a, float) for a in vg(jnp.asarray(w, jnp.float32))),
                   np.zeros(X.shape[1]), jac=True, method="L-BFGS-B")
    w = res.x
    r = np.asarray(X @ w, float)
    if features is None:
        r = r - r.mean()
    return {"reward": r, "w": w, "loglik": float(np.sum(np.asarray(bradley_terry_loglik(r[chosen], r[rejected])))),
            "accuracy": float(np.mean(r[chosen] > r[rejected])), "converged": bool(res.success)}


def preference_pairs(data):
    """Check and normalise text preference data: a DataFrame, a dict of lists or a list
    of dicts with ``chosen`` and ``rejected`` texts (and optionally ``prompt``,
    prepended to both). Returns a DataFrame with ``chosen`` and ``rejected``.

    Raises ValueError naming the problem: a missing column (listing those present),
    columns of different lengths, non-text or empty texts (with the row numbers),
    or no pairs at all."""
    import pandas as pd

    if isinstance(data, dict):
        lengths = {k: len(v) for k, v in data.items() if hasattr(v, "__len__") and not isinstance(v, str)}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"preference columns have different lengths: {lengths}")
        df = pd.DataFrame(data)
    elif isinstance(data, pd.DataFrame):
        df = data
    else:
        df = pd.DataFrame(list(data))
    missing = [c for c in ("chosen", "rejected") if c not in df.columns]
    if missing:
        raise ValueError(f"preference data has no {' or '.join(repr(m) for m in missing)} column; columns present: "
                         f"{sorted(map(str, df.columns))}")
    if len(df) == 0:
        raise ValueError("preference data has no pairs")
    cols = ["prompt", "chosen", "rejected"] if "prompt" in df.columns else ["chosen", "rejected"]
    for c in cols:
        bad = [i for i, t in enumerate(df[c]) if not isinstance(t, str)]
        if bad:
            raise ValueError(f"{c!r} must hold texts; rows {bad[:10]} are not strings (e.g. {df[c].iloc[bad[0]]!r})")
    for c in ("chosen", "rejected"):
        empty = [i for i, t in enumerate(df[c]) if not t.strip()]
        if empty:
            raise ValueError(f"{c!r} has empty texts in rows {empty[:10]}{' ...' if len(empty) > 10 else ''}")
    out = df[["chosen", "rejected"]].reset_index(drop=True).copy()
    if "prompt" in df.columns:
        p = df["prompt"].reset_index(drop=True)
        out["chosen"] = (p + " " + out["chosen"]).str.strip()
        out["rejected"] = (p + " " + out["rejected"]).str.strip()
    return out
