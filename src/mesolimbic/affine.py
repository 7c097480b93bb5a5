"""The exact affine engine for linear real-time learners (e.g. TD(lambda) with any linear code).

A learner that declares ``linear = True`` promises that, given a trial's cues and
the reward delivered, its weights after the trial and every output of the
trial are affine in its weights before it. This engine derives, once per
parameter set and trial type, that exact map *from the learner's own step*
(``jax.jacfwd`` of :func:`mesolimbic.kernel.run_trial` on the trial), then
advances all agents a whole trial at a time with one matrix product. A trial
then costs one pass over the weights instead of one per time step, and TD(λ)
costs the same as TD(0). It agrees with the step engine to float precision
(tested); it is the one loop over trials besides the session kernel, kept
because it is exact and about ten times faster for linear learners.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .kernel import PavlovianWorld, run_trial
from .models.base import Spec

__all__ = ["affine_run"]

SUMMARIES = ("rpe_cs", "rpe_us", "value_cs", "value_us", "value_pre_us")


def _trial_maps(model, P, feats, events, precision):
    """Exact affine map of one trial, per parameter set and trial type.

    For weights ``w0`` and delivered reward ``rho``: ``w_end = A w0 + b rho + c``
    and likewise for the per-step ``rpe`` and ``value``.
    """
    K, S, F = feats.shape
    dt = jnp.float64 if precision == "float64" else jnp.float32

    def maps(p, x, ev):
        world = PavlovianWorld("step", x[None], ev[None], None, record_steps=True)

        def g(w0, rho):
            state0 = dict(model.init(p, Spec(n_features=F)), w=w0)
            state0 = jax.tree_util.tree_map(lambda a: a.astype(dt) if jnp.issubdtype(a.dtype, jnp.floating) else a,
                                            state0)
            (state, _), out = run_trial(model, p, (state0, {}), {"type": jnp.zeros((), jnp.int32), "rho": rho}, world)
            return state["w"], out["rpe"][:S], out["value"][:S]

        w0 = jnp.zeros(F, dt)
        rho0 = jnp.zeros((), dt)
        c = g(w0, rho0)
        A = jax.jacfwd(g, argnums=0)(w0, rho0)
        b = jax.jacfwd(g, argnums=1)(w0, rho0)
        return A, b, c

    per_type = jax.vmap(maps, in_axes=(None, 0, 0))
    return jax.vmap(per_type, in_axes=(0, None, None))(P, feats, events)


@functools.lru_cache(maxsize=64)
def _affine_runner(model, phase_types, phase_counts, record_steps: bool, precision: str):
    """Compiled affine engine for one learner and phase structure (cached)."""
    dt = jnp.float64 if precision == "float64" else jnp.float32

    def run(P, feats, events, row_idx, row_ok, types, reward):
        K, S, F = feats.shape
        M = next(iter(P.values())).shape[0]
        N = types.shape[0]
        (Aw, Ar, Av), (bw, br, bv), (cw, cr, cv) = _trial_maps(model, P, feats, events, precision)
        ks = np.arange(K)

        def rows_of(r, v):  # the summary rows of each trial type: [M, K, 5, ...]
            return jnp.stack([r[:, ks, row_idx[:, 0]], r[:, ks, row_idx[:, 1]], v[:, ks, row_idx[:, 0]],
                              v[:, ks, row_idx[:, 1]], v[:, ks, row_idx[:, 2]]], axis=2)

        Rs, rb, rc = rows_of(Ar, Av), rows_of(br, bv), rows_of(cr, cv)
        ok = jnp.stack([row_ok[:, 0], row_ok[:, 1], row_ok[:, 0], row_ok[:, 1], row_ok[:, 2]], axis=1)
        rc = jnp.where(ok[None], rc, jnp.nan)

        # One matrix per trial type maps [w; rho; 1] (F + 2 rows) to every quantity the trial
        # produces: the new weights (F rows), the summaries and, when recording steps, rpe (S) and
        # value (S). A trial is then one GEMM.
        def block(A, bb, c):
            return jnp.concatenate([A, bb[..., None], c[..., None]], axis=-1)

        parts = [block(Aw, bw, cw), block(Rs, rb, rc)]
        if record_steps:
            parts += [block(Ar, br, cr), block(Av, bv, cv)]
        G = jnp.concatenate(parts, axis=2)  # [M, K, R, F + 2]
        R = G.shape[2]
        nsum = len(SUMMARIES)

        W = jnp.zeros((M, F, N), dt)  # agents on the contiguous axis
        ones = jnp.ones((M, 1, N), dt)
        outs_all = []
        start = 0
        for ids, counts in zip(phase_types, phase_counts):
            n = sum(counts)
            ty_p = types[:, start:start + n].T  # [n, N]
            rho_p = reward[:, start:start + n].T
            start += n
            ids = list(ids)
            G_p = G[:, ids].reshape(M, len(ids) * R, F + 2)  # only the types this phase uses

            def trial(W, inp, ids=ids, G_p=G_p):
                ty, rho = inp
                W_aug = jnp.concatenate([W, jnp.broadcast_to(rho, (M, 1, N)), ones], axis=1)
                y = jnp.einsum("mrf,mfn->mrn", G_p, W_aug).reshape(M, len(ids), R, N)
                out = y[:, 0]
                for j, k in enumerate(ids[1:], start=1):
                    out = jnp.where(ty == k, y[:, j], out)
                return out[:, :F], out[:, F:]

            W, rest = jax.lax.scan(trial, W, (ty_p, rho_p))
            outs_all.append(rest)  # [n, M, R - F, N]
        rest = jnp.concatenate(outs_all)  # [NT, M, R - F, N]
        summ = jnp.transpose(rest[:, :, :nsum], (2, 1, 3, 0))  # [nsum, M, N, NT]
        rec = {name: summ[i] for i, name in enumerate(SUMMARIES)}
        if record_steps:
            rec["rpe"] = jnp.transpose(rest[:, :, nsum:nsum + S], (1, 3, 0, 2))  # [M, N, NT, S]
            rec["value"] = jnp.transpose(rest[:, :, nsum + S:], (1, 3, 0, 2))
        return {"w": jnp.transpose(W, (0, 2, 1))}, rec

    return jax.jit(run)


def affine_run(model, P, feats, events, rows, types, reward, phase_classes, phase_counts, record_steps, precision):
    """Run a linear learner with the affine engine; returns the final weights and the
    per-trial records, as the step engine does."""
    dt = jnp.float64 if precision == "float64" else jnp.float32
    run = _affine_runner(model, phase_classes, phase_counts, record_steps, precision)
    return run(P, jnp.asarray(feats, dt), jnp.asarray(events, dt), jnp.asarray(rows[0]), jnp.asarray(rows[1]),
               types, reward)
