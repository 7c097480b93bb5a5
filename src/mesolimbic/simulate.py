"""The batched runner: design x model x parameter sets x agents -> ``xarray.Dataset``.

One call simulates ``n_agents`` agents for each of ``M`` parameter sets. There
is no Python loop over agents, trials or time steps: agents and parameter sets
are ``jax.vmap``-ed (or batched in one matrix product), trials and steps are
``lax.scan``-ned, and the whole run is compiled once with ``jax.jit``.

Two engines run the *same* model ``step`` (nothing is written twice):

``"step"``
    scans the model's ``step`` over every time step of every trial. Works for
    every model.
``"affine"``
    for models that declare ``linear = True`` (e.g. :class:`~mesolimbic.models.TD`):
    given a trial's cues and its reward, the weights after the trial and every
    output of the trial are affine in the weights before it. The runner derives,
    once per parameter set and trial type, that exact map from the model's own
    ``step`` (``jax.jacfwd`` of the scanned trial), then advances all agents a
    whole trial at a time with one matrix product. A trial then costs one pass
    over the weights instead of one per step, and TD(lambda) costs the same as
    TD(0). It agrees with ``"step"`` to float precision (tested).

``engine="auto"`` picks ``"affine"`` when the model allows it. Agents with the
same index see the same trial sequence and reward draws in every parameter set
(common random numbers), so differences across a sweep come from the
parameters alone.
"""

from __future__ import annotations

import functools
import itertools
import json
from typing import Any, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from . import __version__
from ._validate import check_choice, check_count
from .models.base import Model
from .representations import CompleteSerialCompound, Representation
from .tasks.pavlovian import CompiledDesign, PavlovianDesign

__all__ = ["simulate", "sweep", "SUMMARIES"]

#: per-trial summaries recorded for real-time models, with their meaning
SUMMARIES = {
    "rpe_cs": "RPE at the first cue onset (NaN on trials without a cue)",
    "rpe_us": "RPE at the time the US is due (NaN on trials without a US time)",
    "value_cs": "value at the first cue onset",
    "value_pre_us": "value one step before the US is due: the learned prediction of the US",
}


def sweep(**grid: Sequence[float]) -> dict[str, np.ndarray]:
    """Cartesian product of parameter values, as equal-length arrays for :func:`simulate`.

    ``sweep(alpha=[0.1, 0.2], lam=[0, 0.9])`` gives 4 parameter sets.
    """
    names = list(grid)
    combos = list(itertools.product(*(np.atleast_1d(np.asarray(grid[n], float)) for n in names)))
    return {n: np.array([c[i] for c in combos]) for i, n in enumerate(names)}


def _param_sets(model: Model, params: Mapping[str, Any] | None) -> tuple[dict[str, np.ndarray], int, bool]:
    """Validate and broadcast parameters to ``[M]`` arrays; return (params, M, swept)."""
    checked = model.validate_params(params)
    sizes = {k: v.size for k, v in checked.items() if v.ndim > 0}
    for k, v in checked.items():
        if v.ndim > 1:
            raise ValueError(f"parameter {k} must be a scalar or a 1-D sequence of values, got shape {v.shape}")
    if len(set(sizes.values())) > 1:
        raise ValueError(
            f"swept parameters must have the same length (use mesolimbic.sweep for a grid), got {sizes}"
        )
    M = next(iter(sizes.values())) if sizes else 1
    if M == 0:
        raise ValueError(f"swept parameters must have at least one value, got {sizes}")
    out = {k: np.broadcast_to(v, (M,)).astype(float) for k, v in checked.items()}
    return out, M, bool(sizes)


# ----------------------------------------------------------------------------- real-time models
def _features(compiled: CompiledDesign, rep: Representation) -> np.ndarray:
    """``[K, S, F]`` features of each trial type; zero wherever the state is reset
    (after the US of ``reset_after_us`` types: the agent is in the inter-trial state)."""
    dt = compiled.design.dt
    feats = np.stack([rep.features(compiled.presence[k], dt) for k in range(len(compiled.type_names))])
    reset = compiled.reset_mask()
    reset[:, 0] = False  # the first step keeps its features; the reset concerns the state before it
    feats[reset] = 0.0
    return feats


def _trial_fn(model: Model, p: dict, x: jax.Array, events: jax.Array, rho: jax.Array):
    """The model's step scanned over one trial (plus the terminal return to the ITI).

    ``events`` is ``[3, S]``: the US indicator (scaled by the delivered magnitude
    ``rho``), the stimulation added to the RPE, and where the state is reset to
    the inter-trial state (always at the first step).
    """
    S, F = x.shape
    zero = jnp.zeros(1, x.dtype)
    inputs = {
        "x": jnp.concatenate([x, jnp.zeros((1, F), x.dtype)]),
        "r": jnp.concatenate([events[0] * rho, zero]),
        "stim": jnp.concatenate([events[1], zero]),
        "reset": jnp.concatenate([events[2] > 0, jnp.zeros(1, bool)]),
    }

    def run(state):
        state, out = jax.lax.scan(lambda s, i: model.step(p, s, i), state, inputs)
        return state, {k: v[:S] for k, v in out.items()}

    return run


def _summary_rows(compiled: CompiledDesign):
    """Per trial type, the step index read for each summary and whether it exists."""
    cs, us = compiled.cs_step, compiled.us_step
    idx = np.stack([np.maximum(cs, 0), np.maximum(us, 0), np.maximum(cs, 0), np.maximum(us - 1, 0)], 1)
    ok = np.stack([cs >= 0, us >= 0, cs >= 0, us >= 1], 1)
    return idx.astype(np.int32), ok  # [K, 4]


def _trial_classes(feats, events, rows):
    """Group trial types whose trial runs identically up to the reward delivered.

    Returns the class of each type and, per class, its features, US vector and
    summary rows.
    """
    keys, cls, first = {}, [], []
    for k in range(feats.shape[0]):
        key = (feats[k].tobytes(), events[k].tobytes(), rows[0][k].tobytes(), rows[1][k].tobytes())
        if key not in keys:
            keys[key] = len(first)
            first.append(k)
        cls.append(keys[key])
    first = np.asarray(first)
    return np.asarray(cls, np.int32), feats[first], events[first], (rows[0][first], rows[1][first])


@functools.lru_cache(maxsize=64)
def _step_runner(model: Model, record_steps: bool):
    """Compiled step engine for one model (cached: later calls skip compilation)."""

    def run(P, feats, events, row_idx, row_ok, types, reward):
        F = feats.shape[-1]

        def agent(p, types1, reward1):
            def trial(state, inp):
                ty, rho = inp
                state, out = _trial_fn(model, p, feats[ty], events[ty], rho)(state)
                sig = jnp.stack([out["rpe"], out["rpe"], out["value"], out["value"]])  # [4, S]
                summ = jnp.where(row_ok[ty], sig[jnp.arange(4), row_idx[ty]], jnp.nan)
                steps = (out["rpe"], out["value"]) if record_steps else None
                return state, (summ, steps)

            state, (summ, steps) = jax.lax.scan(trial, model.init(p, F), (types1, reward1))
            return state["w"], summ, steps

        over_agents = jax.vmap(agent, in_axes=(None, 0, 0))
        w, summ, steps = jax.vmap(over_agents, in_axes=(0, None, None))(P, types, reward)
        # w [M, N, F]; summ [M, N, NT, 4]; steps ([M, N, NT, S], ...)
        out = {"weights": w, "summary": jnp.moveaxis(summ, -1, 0)}
        if record_steps:
            out["rpe"], out["value"] = steps
        return out

    return jax.jit(run)


def _trial_maps(model, P, feats, events):
    """Exact affine map of one trial, per parameter set and trial type.

    For weights ``w0`` and delivered reward ``rho``: ``w_end = A w0 + b rho + c``
    and likewise for the per-step ``rpe`` and ``value``. Derived from the model's
    own step with ``jax.jacfwd`` (exact, since the trial is affine in (w0, rho)).
    """
    K, S, F = feats.shape

    def maps(p, x, ev):
        def g(w0, rho):
            state0 = dict(model.init(p, F), w=w0)
            state, out = _trial_fn(model, p, x, ev, rho)(state0)
            return state["w"], out["rpe"], out["value"]

        w0 = jnp.zeros(F, jnp.float32)
        rho0 = jnp.zeros((), jnp.float32)
        c = g(w0, rho0)
        A = jax.jacfwd(g, argnums=0)(w0, rho0)
        b = jax.jacfwd(g, argnums=1)(w0, rho0)
        return A, b, c

    per_type = jax.vmap(maps, in_axes=(None, 0, 0))
    return jax.vmap(per_type, in_axes=(0, None, None))(P, jnp.asarray(feats), jnp.asarray(events))


@functools.lru_cache(maxsize=64)
def _affine_runner(model: Model, phase_types, phase_counts, record_steps: bool):
    """Compiled affine engine for one model and phase structure (cached)."""

    def run(P, feats, events, row_idx, row_ok, types, reward):
        K, S, F = feats.shape
        M = next(iter(P.values())).shape[0]
        N = types.shape[0]
        (Aw, Ar, Av), (bw, br, bv), (cw, cr, cv) = _trial_maps(model, P, feats, events)
        # summary rows: [M, K, 4, F] and offsets [M, K, 4]
        ks = np.arange(K)

        def rows_of(r, v):  # the 4 summary rows of each trial type: [M, K, 4, ...]
            return jnp.stack([r[:, ks, row_idx[:, 0]], r[:, ks, row_idx[:, 1]],
                              v[:, ks, row_idx[:, 2]], v[:, ks, row_idx[:, 3]]], axis=2)

        Rs, rb, rc = rows_of(Ar, Av), rows_of(br, bv), rows_of(cr, cv)
        rc = jnp.where(row_ok[None], rc, jnp.nan)

        # One matrix per trial type maps [w; rho; 1] (F + 2 rows) to every quantity
        # the trial produces: the new weights (F rows), the 4 summaries and, when
        # recording steps, rpe (S) and value (S). A trial is then one GEMM.
        def block(A, bb, c):
            return jnp.concatenate([A, bb[..., None], c[..., None]], axis=-1)

        parts = [block(Aw, bw, cw), block(Rs, rb, rc)]
        if record_steps:
            parts += [block(Ar, br, cr), block(Av, bv, cv)]
        G = jnp.concatenate(parts, axis=2)  # [M, K, R, F + 2]
        R = G.shape[2]

        W = jnp.zeros((M, F, N), jnp.float32)  # agents on the contiguous axis
        ones = jnp.ones((M, 1, N), jnp.float32)
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
        out = {"weights": jnp.transpose(W, (0, 2, 1)),
               "summary": jnp.transpose(rest[:, :, :4], (2, 1, 3, 0))}  # [4, M, N, NT]
        if record_steps:
            out["rpe"] = jnp.transpose(rest[:, :, 4:4 + S], (1, 3, 0, 2))  # [M, N, NT, S]
            out["value"] = jnp.transpose(rest[:, :, 4 + S:], (1, 3, 0, 2))
        return out

    return jax.jit(run)


# ----------------------------------------------------------------------------- trial-level models
def _run_trial_level(model, P, compiled, types, reward):
    x_type = jnp.asarray((compiled.presence > 0).any(axis=1).astype(np.float32))  # [K, C]
    sal = model.salience_vector(compiled.cue_names)
    C = x_type.shape[1]

    def agent(p, types1, reward1):
        def trial(state, inp):
            ty, rho = inp
            return model.step(p, state, {"x": x_type[ty], "r": rho, "salience": sal})

        return jax.lax.scan(trial, model.init(p, C), (types1, reward1))

    f = jax.vmap(jax.vmap(agent, in_axes=(None, 0, 0)), in_axes=(0, None, None))
    _, out = jax.jit(f)(P, types, reward)
    return out


# ----------------------------------------------------------------------------- the public call
def simulate(
    design: PavlovianDesign,
    model: Model,
    params: Mapping[str, Any] | None = None,
    *,
    representation: Representation | None = None,
    n_agents: int = 1,
    seed: int = 0,
    record: str = "steps",
    engine: str = "auto",
) -> xr.Dataset:
    """Simulate ``n_agents`` agents per parameter set on a Pavlovian design.

    Args:
      design: the :class:`~mesolimbic.tasks.PavlovianDesign`.
      model: a learner, e.g. ``models.TD()`` or ``models.RescorlaWagner()``.
      params: parameter values; omitted ones take the model's defaults. A value
        that is a 1-D sequence sweeps it: all swept parameters must have the same
        length M (use :func:`sweep` for a grid) and results gain a ``param_set``
        dimension with the values as coordinates.
      representation: feature code for real-time models (default: complete serial
        compound). Ignored by trial-level models.
      n_agents: agents per parameter set.
      seed: seed of every random draw (trial order, reward delivery, ITI).
      record: ``"steps"`` keeps ``rpe`` and ``value`` at every time step of every
        trial; ``"trials"`` keeps only per-trial summaries (see :data:`SUMMARIES`),
        so large runs need little memory. Trial-level models record per trial.
      engine: ``"auto"``, ``"step"`` or ``"affine"`` (see the module docstring).

    Returns:
      An ``xarray.Dataset`` with dimensions ``agent``, ``trial`` and, as recorded,
      ``time`` (seconds from CS onset), ``cue``, ``feature`` and ``param_set``;
      attrs hold the model, its parameters, the design, the seed and the package
      version.
    """
    if not isinstance(design, PavlovianDesign):
        raise ValueError(f"design must be a PavlovianDesign, got {type(design).__name__}")
    if not isinstance(model, Model):
        raise ValueError(f"model must be a mesolimbic model (e.g. models.TD()), got {type(model).__name__}")
    n_agents = check_count("n_agents", n_agents, 1)
    seed = check_count("seed", seed, 0)
    record = check_choice("record", record, ("steps", "trials"))
    engine = check_choice("engine", engine, ("auto", "step", "affine"))
    P_np, M, swept = _param_sets(model, params)
    compiled = design.compile()
    types, reward, iti = compiled.sample_trials(seed, n_agents)
    P = {k: jnp.asarray(v, jnp.float32) for k, v in P_np.items()}
    NT = compiled.n_trials

    dims_a = (("param_set",) if swept else ()) + ("agent", "trial")
    squeeze = (lambda a: np.asarray(a)) if swept else (lambda a: np.asarray(a)[0])
    data: dict[str, Any] = {}
    coords: dict[str, Any] = {
        "agent": np.arange(n_agents),
        "trial": np.arange(1, NT + 1),
        "phase": ("trial", compiled.trial_phase),
    }
    if swept:
        coords["param_set"] = np.arange(M)
        for k, v in P_np.items():
            coords[k] = ("param_set", v)

    types_np = np.asarray(types)
    names = np.asarray(compiled.type_names)
    if compiled.agent_invariant:
        coords["trial_type"] = ("trial", names[types_np[0]])
    else:
        data["trial_type"] = (("agent", "trial"), names[types_np])
    data["reward"] = (("agent", "trial"), np.asarray(reward),
                      {"long_name": "US magnitude delivered", "units": "a.u."})
    data["iti"] = (("agent", "trial"), np.asarray(iti), {"long_name": "inter-trial interval before the trial", "units": "s"})

    attrs: dict[str, Any] = {
        "model": model.name,
        "model_options": json.dumps(model.options()),
        "design": design.to_json(),
        "seed": seed,
        "n_agents": n_agents,
        "mesolimbic_version": __version__,
        "dt": design.dt,
        "params": json.dumps({k: v.tolist() if swept else float(v[0]) for k, v in P_np.items()}),
    }
    for k, v in P_np.items():
        if not swept or np.all(v == v[0]):
            attrs[f"param_{k}"] = float(v[0])

    if model.level == "trial":
        if np.any(compiled.stimulation != 0):
            raise ValueError(f"the design stimulates at given times within trials; model {model.name!r} is "
                             f"trial-level and has no time within a trial (use a real-time model such as TD)")
        out = _run_trial_level(model, P, compiled, types, reward)
        coords["cue"] = list(compiled.cue_names)
        data["rpe"] = (dims_a, squeeze(out["rpe"]), {"long_name": "Rescorla-Wagner prediction error"})
        data["value"] = (dims_a, squeeze(out["value"]), {"long_name": "summed associative strength of the cues present"})
        data["weights"] = (dims_a + ("cue",), squeeze(out["weights"]),
                           {"long_name": "associative strength V of each cue after the trial"})
        attrs["record"] = "trials"
        attrs["engine"] = "step"
        return xr.Dataset(data, coords, attrs)

    rep = representation if representation is not None else CompleteSerialCompound()
    if not isinstance(rep, Representation):
        raise ValueError(f"representation must be a mesolimbic Representation, got {type(rep).__name__}")
    feats = _features(compiled, rep)
    events = compiled.event_vectors()  # [K, 3, S]: US indicator, stimulation, reset
    rows = _summary_rows(compiled)
    if engine == "affine" and not model.linear:
        raise ValueError(f"engine 'affine' needs a linear model; {model.name!r} is not (use engine='step')")
    use = "affine" if engine in ("auto", "affine") and model.linear else "step"
    # Features that are zero in every step of every trial type never enter a value,
    # a trace or an update: run without them (exact) and give them weight 0 after.
    active = np.flatnonzero(np.any(feats != 0, axis=(0, 1)))
    feats_run = feats[..., active] if active.size else feats[..., :1]
    # Trial types that differ only in reward probability or magnitude (e.g. rewarded
    # and omission trials of one CS) run the same trial: group them into classes.
    cls, feats_c, events_c, rows_c = _trial_classes(feats_run, events, rows)
    types_c = jnp.asarray(cls[types_np])
    phase_classes = tuple(tuple(sorted({int(cls[k]) for k in ids})) for ids in compiled.phase_types)
    if use == "affine":
        runner = _affine_runner(model, phase_classes, compiled.phase_counts, record == "steps")
    else:
        runner = _step_runner(model, record == "steps")
    out = runner(P, jnp.asarray(feats_c), jnp.asarray(events_c), jnp.asarray(rows_c[0]), jnp.asarray(rows_c[1]),
                 types_c, jnp.asarray(reward))
    w_full = np.zeros(np.shape(out["weights"])[:-1] + (feats.shape[-1],), np.float32)
    if active.size:
        w_full[..., active] = np.asarray(out["weights"])
    out["weights"] = w_full

    coords["time"] = ("time", compiled.times.astype(float), {"units": "s", "long_name": "time from CS onset"})
    coords["feature"] = rep.labels(compiled.cue_names, compiled.n_steps, design.dt)
    summ = np.asarray(out["summary"])  # [4, M, N, NT]
    for q, (name, desc) in enumerate(SUMMARIES.items()):
        data[name] = (dims_a, summ[q] if swept else summ[q, 0], {"long_name": desc})
    if record == "steps":
        data["rpe"] = (dims_a + ("time",), squeeze(out["rpe"]), {"long_name": "reward prediction error (TD error)"})
        data["value"] = (dims_a + ("time",), squeeze(out["value"]), {"long_name": "value V(t) = w . x(t)"})
    data["weights"] = ((("param_set",) if swept else ()) + ("agent", "feature"), squeeze(out["weights"]),
                       {"long_name": "weights after the last trial"})
    attrs.update(representation=json.dumps(rep.to_dict()), record=record, engine=use)
    return xr.Dataset(data, coords, attrs)
