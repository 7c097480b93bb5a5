"""A learner paired with a task, validated once and run by the one session kernel.

:class:`Session` checks at construction that the learner can serve the task
(Pavlovian learners on Pavlovian designs, choice learners on choice tasks, the
right number of actions and states, bootstrapping for multi-step tasks, the
stimulus pairs a learner knows) and raises one error naming both otherwise.
:meth:`Session.simulate` runs ``n_agents`` agents for each of ``M`` parameter
sets — agents and parameter sets ``vmap``-ed, the whole session compiled once —
and :meth:`Session.score` runs the same learner on observed behaviour.
Both are views of :func:`mesolimbic.kernel.scan_session`; the results are built
by :func:`mesolimbic.results.result_dataset`.
"""

from __future__ import annotations

import contextlib
import functools
import json
from typing import Any
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from ._memory import check_memory
from ._seed import check_seed, jax_key
from ._validate import check_choice, check_count
from .kernel import ChoiceWorld, PavlovianWorld, ReplayWorld, choice_world_state, observe, sample_action, scan_session
from .models.base import Model, Output, Spec
from .representations import CompleteSerialCompound, Representation
from .catalogue import task_class_name
from .results import json_default, result_dataset
from .tasks.pavlovian import CompiledDesign, PavlovianDesign
from .tasks.phases import ChoiceDesign, CompiledPhases, as_design

__all__ = ["Session", "param_sets", "precision_context", "next_steps"]

RECORD_PARTS = ("steps", "trials", "state")


def param_sets(model: Model, params: Mapping[str, Any] | None) -> tuple[dict[str, np.ndarray], int, bool]:
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


def precision_context(precision: str):
    """``jax.enable_x64`` for ``"float64"``; nothing for the default ``"float32"``."""
    check_choice("precision", precision, ("float32", "float64"))
    return jax.enable_x64(True) if precision == "float64" else contextlib.nullcontext()


def check_block(name: str, block, n: int) -> tuple[int, int] | None:
    """``block`` as ``(start, stop)`` with ``0 <= start < stop <= n`` (None: everything)."""
    if block is None:
        return None
    if isinstance(block, slice):
        if block.step not in (None, 1):
            raise ValueError(f"{name} must be a contiguous block, got a step of {block.step}")
        block = (0 if block.start is None else block.start, n if block.stop is None else block.stop)
    try:
        start, stop = (int(x) for x in block)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (start, stop), got {block!r}") from None
    if not 0 <= start < stop <= n:
        raise ValueError(f"{name} must satisfy 0 <= start < stop <= {n}, got ({start}, {stop})")
    return (start, stop) if (start, stop) != (0, n) else None


def _float(precision: str):
    return jnp.float64 if precision == "float64" else jnp.float32


def _cast_state(state, precision: str):
    """The initial learner state in the run's precision (floating leaves only)."""
    if precision != "float64":
        return state
    return jax.tree_util.tree_map(
        lambda a: jnp.asarray(a, jnp.float64) if jnp.issubdtype(jnp.asarray(a).dtype, jnp.floating) else a, state)


def _parse_record(record, default: str) -> tuple[str, ...]:
    if record is None:
        record = default
    parts = (record,) if isinstance(record, str) else tuple(record)
    for r in parts:
        check_choice("record", r, RECORD_PARTS)
    return parts


def _attrs_of(outputs: dict, name: str, extra: dict | None = None) -> dict:
    out = outputs.get(name)
    a = out.attrs() if isinstance(out, Output) else {}
    return {**a, **(extra or {})}


def _out_dims(decl: dict, name: str, extra_ndim: int) -> tuple[str, ...]:
    d = decl.get(name)
    dims = tuple(d.dims) if isinstance(d, Output) else ()
    if len(dims) != extra_ndim:
        dims = tuple(f"{name}_axis{i}" for i in range(extra_ndim))
    return dims


class Session:
    """``learner`` on ``task`` (a :class:`~mesolimbic.tasks.PavlovianDesign`, a choice
    task or a :class:`~mesolimbic.tasks.phases.ChoiceDesign`), with ``representation``
    (real-time Pavlovian learners; default: complete serial compound)."""

    representation: Representation | None  # None for a choice task

    def __init__(self, task, learner: Model, representation: Representation | None = None) -> None:
        if not isinstance(learner, Model):
            raise ValueError(f"model must be a mesolimbic learner (e.g. models.TD() or models.DeltaRule()), got "
                             f"{type(learner).__name__}")
        self.pavlovian = isinstance(task, PavlovianDesign)
        if not self.pavlovian and not (isinstance(task, ChoiceDesign) or hasattr(task, "transition")):
            raise ValueError(f"task must be a PavlovianDesign or a choice task (bandit, two-step, go/no-go, "
                             f"schedule...), got {type(task).__name__}")
        learner.check_task(task.task if isinstance(task, ChoiceDesign) else task)
        if representation is not None and not isinstance(representation, Representation):
            raise ValueError(f"representation must be a mesolimbic Representation, got "
                             f"{type(representation).__name__}")
        self.learner = learner
        if self.pavlovian:
            self.design = task
            self.representation = representation if representation is not None else CompleteSerialCompound()
        else:
            self.design = as_design(task)
            self.design.check_params(learner.param_names, learner.name)
            for ph in self.design.phases:
                if ph.until is not None and ph.until.event not in getattr(self.design.task, "emits", {}):
                    raise ValueError(f"phase {ph.name!r} stops on event {ph.until.event!r}, which task "
                                     f"{self.design.name!r} does not report (it reports "
                                     f"{sorted(getattr(self.design.task, 'emits', {}))})")
            self.representation = None

    @property
    def task(self):
        return self.design if self.pavlovian else self.design.task

    # ------------------------------------------------------------------ simulate
    def simulate(self, params: Mapping[str, Any] | None = None, *, n_agents: int = 1, seed: int = 0,
                 record=None, engine: str = "auto", precision: str = "float32",
                 agents: tuple[int, int] | None = None, streams: str = "common") -> xr.Dataset:
        """Simulate ``n_agents`` agents per parameter set (see :func:`mesolimbic.simulate`).

        ``agents=(start, stop)`` simulates only agents ``start .. stop - 1`` of the
        ``n_agents``, with the random draws they get in the full run (so the block is
        that slice of the full result; the ``agent`` coordinate keeps the full run's
        numbers). Sharded runs (:mod:`mesolimbic.sweeps`) use it.

        ``streams``: ``"common"`` (default) gives agent *i* the same random numbers in every
        parameter set (common random numbers: differences across a sweep come from the
        parameters alone); ``"independent"`` (choice tasks) gives every parameter set its own
        streams — what a data set of different *subjects* needs (one parameter set per
        subject), whose group-level statistics would otherwise all share one reward sequence
        and one set of choice draws."""
        n_agents = check_count("n_agents", n_agents, 1)
        seed = check_seed("seed", seed)
        check_choice("engine", engine, ("auto", "step", "affine"))
        check_choice("streams", streams, ("common", "independent"))
        if streams == "independent" and self.pavlovian:
            raise ValueError("streams='independent' is for choice tasks; a Pavlovian design's parameter sets share "
                             "its trial order by construction")
        agents = check_block("agents", agents, n_agents)
        P_np, M, _ = param_sets(self.learner, params)
        with precision_context(precision):
            if self.pavlovian:
                parts = _parse_record(record, "steps")
                return _simulate_pavlovian(self, P_np, n_agents, seed, parts, engine, precision, agents)
            parts = _parse_record(record, "trials")
            if engine == "affine":
                raise ValueError(f"engine 'affine' runs linear Pavlovian learners; {self.learner.name!r} on a "
                                 f"choice task runs on the step engine")
            return _simulate_choices(self, P_np, n_agents, seed, parts, precision, agents, streams)

    def result_bytes(self, n_param_sets: int, n_agents: int, record=None, precision: str = "float32") -> int:
        """About how many bytes the recorded values of ``n_param_sets`` x ``n_agents`` take (the
        estimate the memory check before a run multiplies by 3; sharded runs size their
        shards with it)."""
        if self.pavlovian:
            compiled = self.design.compile()
            parts = _parse_record(record, "steps")
            return _pavlovian_bytes(self.learner, self.design, compiled, self.representation, n_param_sets,
                                    n_agents, parts, precision)
        return _choice_bytes(self.design.task, n_param_sets, n_agents, _parse_record(record, "trials"), precision)

    # ------------------------------------------------------------------ score
    def score(self, data: xr.Dataset, params: Mapping[str, Any] | None = None) -> xr.DataArray:
        """Log-probability of every recorded choice in ``data`` (a simulation of a choice
        task, or any Dataset with ``cue``, ``choice``, ``outcome`` and, where they
        matter, ``feedback``, ``done`` and ``valid``) under the learner with ``params``
        (default: the parameter values on ``data``'s ``param_set`` coordinate)."""
        if self.pavlovian:
            raise ValueError("score needs a choice task: Pavlovian learners make no choices to score")
        task = self.design.task
        if params is None:
            params = {k: data[k].values for k in self.learner.param_names if k in data.coords}
        P_np, M, _ = param_sets(self.learner, params)
        if "param_set" in data.dims and data.sizes["param_set"] != M and M != 1:
            raise ValueError(f"data have {data.sizes['param_set']} parameter sets, params give {M}")
        n_st = getattr(task, "n_stages", 1)
        lead = ("param_set", "agent", "trial") + (("stage",) if n_st > 1 else ())
        ds = data
        for d in ("param_set", "agent"):
            if d not in ds.dims:
                ds = ds.expand_dims(d)
        xs = step_inputs(ds, lead, n_st)
        choice = xs["action"]
        if np.any((choice < 0) | (choice >= task.n_actions)):
            raise ValueError(f"choices must be in 0..{task.n_actions - 1} (0-based)")
        shape = tuple(ds.sizes[d] for d in lead)
        mask = ds["valid"].transpose(*lead).values.astype(bool) if "valid" in ds else np.ones(shape, bool)
        mask_t = mask if n_st == 1 else mask[..., 0]
        P = {k: jnp.asarray(v, jnp.float32) for k, v in P_np.items()}
        Mp = ds.sizes["param_set"]
        if M == 1 and Mp > 1:
            P = {k: jnp.broadcast_to(v, (Mp,)) for k, v in P.items()}
        spec = Spec(n_actions=task.n_actions, n_states=getattr(task, "n_states", 1))
        run = _score_runner(self.learner, spec, n_st, self.design)
        if ds.sizes["trial"] != self.design.n_trials:
            raise ValueError(f"the data have {ds.sizes['trial']} trials, task {task.name!r} has {self.design.n_trials}")
        lp = np.asarray(run(P, {k: jnp.asarray(v) for k, v in xs.items()}, jnp.asarray(mask_t),
                            jnp.asarray(self.design.trial_phase())))
        lp = np.where(mask, lp if n_st > 1 else lp[..., 0], 0.0)
        return xr.DataArray(lp, dims=lead, coords={d: ds[d] for d in lead if d in ds.coords},
                            attrs={"long_name": "log-probability of the recorded choice under the model",
                                   "units": "1"})


# ----------------------------------------------------------------------------- scoring
def next_steps(x: np.ndarray, n_st: int) -> np.ndarray:
    """The next step's value of ``x`` ``[..., trials, stages]`` (the last step: itself)."""
    flat = x.reshape(x.shape[:-2] + (-1,))
    nxt = np.concatenate([flat[..., 1:], flat[..., -1:]], axis=-1)
    return nxt.reshape(x.shape)


def step_inputs(ds: xr.Dataset, lead: tuple[str, ...], n_st: int) -> dict[str, np.ndarray]:
    """The learner's inputs per step ``[param_set, agent, trial, stage]`` from a recorded Dataset."""
    def get(name, default, dtype):
        if name in ds:
            v = ds[name].transpose(*lead).values.astype(dtype)
        else:
            v = np.full(tuple(ds.sizes[d] for d in lead), default, dtype)
        return v if n_st > 1 else v[..., None]

    obs, action = get("cue", 0, np.int32), get("choice", 0, np.int32)
    done = get("done", True, bool)
    done.reshape(done.shape[:-2] + (-1,))[..., -1] = True  # the data end the last episode
    return {"obs": obs, "action": action, "outcome": get("outcome", 0.0, np.float32),
            "feedback": get("feedback", True, bool), "done": done, "next_obs": next_steps(obs, n_st),
            "next_action": next_steps(action, n_st)}


def replay_choices(learner, p, xs: dict, mask, spec: Spec, keep: tuple[str, ...] | None = None,
                   phase=None, phases=None, trailing_padding: bool = False):
    """The learner's outputs on observed steps ``xs`` (``{input: [trials, stages]}``),
    state frozen where ``mask`` ``[trials]`` is False, with the parameter values of each
    trial's ``phase`` (``phases``: :class:`~mesolimbic.tasks.phases.CompiledPhases`):
    ``{output: [trials, stages, ...]}``.

    ``trailing_padding``: the caller promises that masked trials only come after the last
    real one (fitting data: :class:`~mesolimbic.fitting.ChoiceData` pads at the end), so
    no real trial follows a masked one and the state need not be frozen: the outputs of
    the real trials are the same, for fewer operations per step (the padded trials'
    outputs are then not meaningful; callers mask them)."""
    n_st = xs["action"].shape[1]
    x = dict(xs) if trailing_padding else {**xs, "mask": mask}
    if phases is not None:
        x["phase"] = phase
    _, rec = scan_session(learner, p, (learner.init(p, spec), {}), x,
                          ReplayWorld(n_steps=n_st, keep=keep, phases=phases))
    return rec


@functools.lru_cache(maxsize=32)
def _score_runner(learner, spec: Spec, n_st: int, design: ChoiceDesign):
    def one(p, xs, mask, phase):
        phases = CompiledPhases(design)
        return replay_choices(learner, p, xs, mask, spec, keep=("log_prob",), phase=phase,
                              phases=phases)["log_prob"]

    return jax.jit(jax.vmap(jax.vmap(one, in_axes=(None, 0, 0, None)), in_axes=(0, 0, 0, None)))


# ----------------------------------------------------------------------------- Pavlovian designs
def _check_run_memory(what: str, n_bytes: int) -> None:
    """Refuse, before anything is allocated, a run whose results would not fit in memory:
    the estimate counts the recorded values, times 3 for the copies on their way from
    the compiled run to the Dataset (device buffers, host arrays, xarray)."""
    check_memory(3 * int(n_bytes), what)


def features(compiled: CompiledDesign, rep: Representation) -> np.ndarray:
    """``[K, S, F]`` features of each trial type; zero wherever the state is reset
    (after the US of ``reset_after_us`` types: the agent is in the inter-trial state)."""
    dt = compiled.design.dt
    feats = np.stack([rep.features(compiled.presence[k], dt) for k in range(len(compiled.type_names))])
    reset = compiled.reset_mask()
    reset[:, 0] = False  # the first step keeps its features; the reset concerns the state before it
    feats[reset] = 0.0
    return feats


def summary_rows(compiled: CompiledDesign):
    """Per trial type, the step read for the summaries at the first cue onset, at the US
    and one step before the US, and whether each exists: ``([K, 3] int32, [K, 3] bool)``."""
    cs, us = compiled.cs_step, compiled.us_step
    idx = np.stack([np.maximum(cs, 0), np.maximum(us, 0), np.maximum(us - 1, 0)], 1)
    ok = np.stack([cs >= 0, us >= 0, us >= 1], 1)
    return idx.astype(np.int32), ok


def trial_classes(feats, events, rows):
    """Group trial types whose trial runs identically up to the reward delivered (e.g. a
    CS's rewarded and omission trials): the class of each type and, per class, its
    features, events and summary rows."""
    keys, cls, first = {}, [], []
    for k in range(feats.shape[0]):
        key = (feats[k].tobytes(), events[k].tobytes(), rows[0][k].tobytes(), rows[1][k].tobytes())
        if key not in keys:
            keys[key] = len(first)
            first.append(k)
        cls.append(keys[key])
    first = np.asarray(first)
    return np.asarray(cls, np.int32), feats[first], events[first], (rows[0][first], rows[1][first])


def noise_draws(seed: int, n_agents: int, n_trials: int, names,
                agents: tuple[int, int] | None = None) -> dict[str, np.ndarray]:
    """Standard normal draws ``[n_agents, n_trials]`` for a learner's noise inputs (e.g.
    motor noise), from the fourth stream of the design's seed (the first three give the
    trial order, the rewards and the ITIs). ``agents=(start, stop)``: only those rows, with
    the values of the full draw (drawn in chunks of rows up to the block's end)."""
    if not names:
        return {}
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(4)[3])
    if agents is None:
        return {k: rng.standard_normal((n_agents, n_trials), dtype=np.float32) for k in names}
    start, stop = agents
    out = {}
    for i, k in enumerate(names):
        block = np.empty((stop - start, n_trials), np.float32)
        end = stop if i == len(names) - 1 else n_agents  # later names need the generator past every row
        for lo in range(0, end, CompiledDesign.SAMPLE_CHUNK):
            hi = min(lo + CompiledDesign.SAMPLE_CHUNK, end)
            chunk = rng.standard_normal((hi - lo, n_trials), dtype=np.float32)
            a, b = max(lo, start), min(hi, stop)
            if a < b:
                block[a - start:b - start] = chunk[a - lo:b - lo]
        out[k] = block
    return out


def _scalar_outputs(model) -> tuple[str, ...]:
    return tuple(k for k, o in model.outputs.items() if not o.dims)


@functools.lru_cache(maxsize=64)
def _pavlovian_runner(model: Model, level: str, record_steps: bool, record_state: bool, precision: str):
    """Compiled step engine for one learner (cached: later calls skip compilation)."""
    keys = _scalar_outputs(model) if level == "step" else ()

    def run(P, feats, events, rows, static, per_trial, types, reward, noise):
        spec = Spec(n_features=feats.shape[-1])
        world = PavlovianWorld(level, feats, events, rows, static, record_steps, keys)

        def agent(p, types1, reward1, noise1):
            state0 = _cast_state(model.init(p, spec), precision)
            xs = {"type": types1, "rho": reward1, **per_trial, **noise1}
            (state, _), rec = scan_session(model, p, (state0, {}), xs, world, record_state)
            return {k: state[k] for k in model.final_state}, rec

        over_agents = jax.vmap(agent, in_axes=(None, 0, 0, 0))
        return jax.vmap(over_agents, in_axes=(0, None, None, None))(P, types, reward, noise)

    return jax.jit(run)


def _pavlovian_bytes(model, design, compiled, rep, M, n_agents, parts, precision) -> int:
    F = rep.n_features(len(compiled.cue_names), compiled.n_steps, design.dt) if model.level == "step" else \
        len(compiled.cue_names)
    per_value = len(model.outputs) * (compiled.n_steps if "steps" in parts else 3) + F * ("state" in parts)
    return (M * n_agents * compiled.n_trials * per_value * (8 if precision == "float64" else 4)
            + n_agents * compiled.n_trials * 24)


def _simulate_pavlovian(sess: Session, P_np, n_agents, seed, parts, engine, precision, agents=None) -> xr.Dataset:
    from .affine import affine_run

    model, design, rep = sess.learner, sess.design, sess.representation
    assert rep is not None  # a Pavlovian session always has one
    compiled = design.compile()
    M = len(next(iter(P_np.values()))) if P_np else 1
    a0, a1 = agents if agents is not None else (0, n_agents)
    _check_run_memory(f"simulating {a1 - a0} agents x {M} parameter sets x {compiled.n_trials} trials",
                      _pavlovian_bytes(model, design, compiled, rep, M, a1 - a0, parts, precision))
    prep = model.prepare(compiled, rep)
    types, reward, iti = compiled.sample_trials(seed, n_agents, agents)
    fdt = _float(precision)
    noise = {k: jnp.asarray(v, fdt) for k, v in noise_draws(seed, n_agents, compiled.n_trials,
                                                             getattr(model, "noise_inputs", ()), agents).items()}
    P = {k: jnp.asarray(v, fdt) for k, v in P_np.items()}
    NT = compiled.n_trials
    record_steps, record_state = "steps" in parts, "state" in parts
    names = np.asarray(compiled.type_names)
    variables: dict[str, tuple] = {
        "trial_type": (("agent", "trial"), names[types], {"long_name": "trial type"}),
        "reward": (("agent", "trial"), reward, {"long_name": "US magnitude delivered", "units": "a.u."}),
        "iti": (("agent", "trial"), iti, {"long_name": "inter-trial interval before the trial", "units": "s"}),
    }
    coords: dict[str, Any] = {"trial": ("trial", np.arange(1, NT + 1), {"long_name": "trial", "units": "1"}),
                              "phase": ("trial", compiled.trial_phase, {"long_name": "phase of the design"})}
    lead = ("param_set", "agent", "trial")
    extra = {"design": design.to_json(), "precision": precision, "record": list(parts)}
    if agents is not None:
        coords["agent"] = np.arange(a0, a1)
        extra["agent_block"] = [a0, a1]
    static = {k: jnp.asarray(v) for k, v in prep.static.items()}

    if model.level == "trial":
        if np.any(compiled.stimulation != 0) or prep.stim is not None:
            raise ValueError(f"the design stimulates at given times within trials; model {model.name!r} is "
                             f"trial-level and has no time within a trial (use a real-time model such as TD)")
        cues_present = (compiled.presence > 0).any(axis=1).astype(np.float32)  # [K, C]
        per_trial: dict[str, Any] = {k: jnp.asarray(v) for k, v in prep.per_trial.items()}
        run = _pavlovian_runner(model, "trial", False, record_state, precision)
        final, rec = run(P, jnp.asarray(cues_present, fdt), jnp.zeros((1, 3, 1), fdt), None, static, per_trial,
                         jnp.asarray(types), jnp.asarray(reward, fdt), noise)
        coords["cue"] = ("cue", list(compiled.cue_names), {"long_name": "cue"})
        state = rec.pop("state", None)
        for k, v in rec.items():
            v = np.asarray(v)
            dims = lead + _out_dims({**model.outputs, "weights": Output("", dims=("cue",))}, k, v.ndim - 3)
            variables[k] = (dims, v, _attrs_of(model.outputs, k))
        _add_state(variables, state, lead, compiled.cue_names, "cue")
        return result_dataset(variables, coords, model=model, params=P_np, seed=seed, n_agents=n_agents,
                              **extra, engine="step")

    feats = features(compiled, rep)
    events = compiled.event_vectors()  # [K, 3, S]: US indicator, stimulation, reset
    if prep.stim is not None:
        events = events.copy()
        events[:, 1] += prep.stim
    rows = summary_rows(compiled)
    if engine == "affine" and not model.linear:
        raise ValueError(f"engine 'affine' needs a linear model; {model.name!r} is not (use engine='step')")
    use = "affine" if (engine in ("auto", "affine") and model.linear and not prep.per_trial and not record_state
                       and not noise) else "step"
    # Features that are zero in every step of every trial type never enter a value, a trace or
    # an update: run without them (exact) and give them weight 0 after.
    F = feats.shape[-1]
    active = np.flatnonzero(np.any(feats != 0, axis=(0, 1)))
    per_trial = {k: np.asarray(v) for k, v in prep.per_trial.items()}
    if active.size:
        feats_run = feats[..., active]
        per_trial = {k: v[..., active] if v.ndim == 2 and v.shape[-1] == F else v for k, v in per_trial.items()}
    else:  # no cue at all (e.g. free rewards only): one feature that is always zero
        feats_run = np.zeros(feats.shape[:2] + (1,), np.float32)
        per_trial = {k: np.zeros(v.shape[:-1] + (1,), v.dtype) if v.ndim == 2 and v.shape[-1] == F else v
                     for k, v in per_trial.items()}
    per_trial = {k: jnp.asarray(v) for k, v in per_trial.items()}
    cls, feats_c, events_c, rows_c = trial_classes(feats_run, events, rows)
    types_c = jnp.asarray(cls[types])
    if use == "affine":
        phase_classes = tuple(tuple(sorted({int(cls[k]) for k in ids})) for ids in compiled.phase_types)
        final, rec = affine_run(model, P, feats_c, events_c, rows_c, types_c, jnp.asarray(reward, fdt),
                                phase_classes, compiled.phase_counts, record_steps, precision)
    else:
        run = _pavlovian_runner(model, "step", record_steps, record_state, precision)
        final, rec = run(P, jnp.asarray(feats_c, fdt), jnp.asarray(events_c, fdt),
                         (jnp.asarray(rows_c[0]), jnp.asarray(rows_c[1])), static, per_trial, types_c,
                         jnp.asarray(reward, fdt), noise)
    coords["time"] = ("time", compiled.times.astype(float), {"units": "s", "long_name": "time from CS onset"})
    coords["feature"] = ("feature", rep.labels(compiled.cue_names, compiled.n_steps, design.dt),
                         {"long_name": "feature of the representation"})
    state = rec.pop("state", None) if isinstance(rec, dict) else None
    for k, v in rec.items():
        v = np.asarray(v)
        base, _, where = k.rpartition("_")
        if k == "value_pre_us":
            attrs = {"long_name": "value one step before the US is due: the learned prediction of the US",
                     "units": _attrs_of(model.outputs, "value").get("units", "1")}
            variables[k] = (lead, v, attrs)
        elif where in ("cs", "us") and base in model.outputs:
            a = _attrs_of(model.outputs, base)
            a["long_name"] = f"{a.get('long_name', base)}, at {'the first cue onset' if where == 'cs' else 'the US time'}"
            variables[k] = (lead, v, a)
        else:  # per-step signals
            variables[k] = (lead + ("time",), v, _attrs_of(model.outputs, k))
    for key, (var, long_name) in model.final_state.items():
        w = np.zeros(np.shape(final[key])[:-1] + (F,), np.asarray(final[key]).dtype)
        if active.size:
            w[..., active] = np.asarray(final[key])
        variables[var] = (("param_set", "agent", "feature"), w, {"long_name": long_name, "units": "a.u."})
    if state is not None:
        state = {k: _scatter_features(np.asarray(v), active, F, feats_run.shape[-1]) for k, v in state.items()}
    _add_state(variables, state, lead, None, "feature")
    return result_dataset(variables, coords, model=model, params=P_np, seed=seed, n_agents=n_agents,
                          representation=json.dumps(rep.to_dict(), default=json_default), **extra, engine=use)


def _scatter_features(v: np.ndarray, active: np.ndarray, F: int, F_run: int) -> np.ndarray:
    """A state entry over the run's active features back onto all ``F`` features."""
    if v.ndim >= 4 and v.shape[-1] == F_run and active.size:
        out = np.zeros(v.shape[:-1] + (F,), v.dtype)
        out[..., active] = v
        return out
    return v


def _add_state(variables, state, lead, cue_names, feature_dim):
    """Record the learner's state after each trial as ``state_<key>``."""
    if state is None:
        return
    for k, v in state.items():
        v = np.asarray(v)
        extra = v.ndim - 3
        dims = ((feature_dim,) if extra == 1 and feature_dim else tuple(f"state_{k}_axis{i}" for i in range(extra)))
        variables[f"state_{k}"] = (lead + dims, v, {"long_name": f"learner state {k!r} after the trial"})


# ----------------------------------------------------------------------------- choice tasks
@functools.lru_cache(maxsize=32)
def _choice_runner(design: ChoiceDesign, model: Model, record_state: bool, precision: str,
                   independent: bool = False):
    task = design.task
    T, n_st = task.n_trials, getattr(task, "n_stages", 1)
    D, nz = 1 + getattr(task, "n_draws", 1), getattr(task, "n_z", 0)
    sarsa = getattr(model, "needs_next_action", False)  # a ChoiceModel attribute (the session checked the pair)
    spec = Spec(n_actions=task.n_actions, n_states=getattr(task, "n_states", 1))

    def session(p, key, phase, start):
        phases = CompiledPhases(design)
        k_task, k_u, k_z, k_0 = jax.random.split(key, 4)
        # every random number of the session in two vectorised draws (far cheaper than a key per trial)
        u = jax.random.uniform(k_u, (T, n_st * D)).reshape(T, n_st, D)  # choice, then the task's draws
        z = jax.random.normal(k_z, (T, nz))  # random walks: once per trial, seen by every stage
        ls0 = _cast_state(model.init(p, spec), precision)
        w0 = choice_world_state(task, k_task, has_stop=phases.has_stop)
        world = ChoiceWorld(task, phases, sarsa, n_st, model, per_trial_records(task, model))
        if sarsa:  # a SARSA learner's first action, drawn before the first step
            p0 = phases.params(p, phase[0])
            obs0 = observe(task, w0["task"], 0)
            w0["next"] = sample_action(world.policy(model, p0, ls0, obs0, 0), jax.random.uniform(k_0))
        _, rec = scan_session(model, p, (ls0, w0), {"u": u, "z": z, "phase": phase, "start": start}, world,
                              record_state)
        return rec

    over_agents = jax.vmap(session, in_axes=(None, 0, None, None))
    # common random numbers: one key per agent, shared by the parameter sets; else a key per both
    return jax.jit(jax.vmap(over_agents, in_axes=(0, 0 if independent else None, None, None)))


CHOICE_VARS = {"cue": Output("cue / state shown (0-based index; 1-based in the hBayesDM TSV tables)"),
               "choice": Output("action taken (0-based index; 1-based in the hBayesDM TSV tables)"),
               "outcome": Output("outcome delivered (reward minus costs; negative: punishment)", "a.u."),
               "feedback": Output("the outcome was shown"), "done": Output("the step ended an episode"),
               "valid": Output("the step was run (False after a phase's stop criterion was met)")}


def per_trial_records(task, model) -> dict[str, int]:
    """``{name: stage}`` of the outputs a multi-stage task or its learner declares with a
    ``stage`` (:class:`~mesolimbic.models.base.Output`): recorded once per trial."""
    if getattr(task, "n_stages", 1) == 1:
        return {}
    decl = {**getattr(task, "emits", {}), **model.outputs}
    return {k: o.stage for k, o in decl.items() if getattr(o, "stage", None) is not None}


def _choice_bytes(task, M, n_agents, parts, precision) -> int:
    T, n_st = task.n_trials, getattr(task, "n_stages", 1)
    per_step = 12 + 3 * task.n_actions + (task.n_actions * getattr(task, "n_states", 1) if "state" in parts else 0)
    return M * n_agents * T * n_st * per_step * (8 if precision == "float64" else 4)


def _simulate_choices(sess: Session, P_np, n_agents, seed, parts, precision, agents=None,
                      streams: str = "common") -> xr.Dataset:
    design, model = sess.design, sess.learner
    task = design.task
    T, n_st = task.n_trials, getattr(task, "n_stages", 1)
    M = len(next(iter(P_np.values()))) if P_np else 1
    a0, a1 = agents if agents is not None else (0, n_agents)
    _check_run_memory(f"simulating {a1 - a0} agents x {M} parameter sets x {T} trials of {task.name!r}",
                      _choice_bytes(task, M, a1 - a0, parts, precision))
    fdt = _float(precision)
    P = {k: jnp.asarray(v, fdt) for k, v in P_np.items()}
    independent = streams == "independent"
    if independent:  # a key per parameter set and agent (a block of agents takes its slice)
        keys = jax.random.split(jax_key(seed, 1), M * n_agents).reshape(M, n_agents, -1)
        keys = keys[:, a0:a1] if agents is not None else keys
    else:
        keys = jax.random.split(jax_key(seed), n_agents)  # one key per agent: a block takes its slice
        if agents is not None:
            keys = keys[a0:a1]
    phase = jnp.asarray(design.trial_phase())
    start = jnp.asarray(design.phase_start())
    rec = _choice_runner(design, model, "state" in parts, precision, independent)(P, keys, phase, start)
    rec = jax.tree_util.tree_map(np.asarray, rec)
    state = rec.pop("state", None)
    lead = ("param_set", "agent", "trial") + (("stage",) if n_st > 1 else ())
    decl = {**CHOICE_VARS, **getattr(task, "emits", {}), **model.outputs}
    once = per_trial_records(task, model)
    variables: dict[str, tuple] = {}
    for k, v in rec.items():
        if n_st == 1:
            v = v[:, :, :, 0]
        if k in ("choice", "cue"):
            v = v.astype(np.int16)
        lead_k = lead[:3] if k in once else lead
        dims = lead_k + _out_dims(decl, k, v.ndim - len(lead_k))
        variables[k] = (dims, v, _attrs_of(decl, k))
    if state is not None:
        _add_state(variables, state, ("param_set", "agent", "trial"), None, None)
    coords: dict[str, Any] = {
        "trial": ("trial", np.arange(1, T + 1), {"long_name": getattr(task, "time_dim", "trial"), "units": "1"}),
        "phase": ("trial", np.asarray([p.name for p in design.phases])[design.trial_phase()],
                  {"long_name": "phase of the session"}),
        "action": ("action", np.arange(task.n_actions), {"long_name": "action (0-based index; 1-based in the TSV "
                                                                         "tables)", "units": "1"}),
    }
    if n_st > 1:
        coords["stage"] = ("stage", np.arange(n_st), {"long_name": "stage of the trial (0: first)", "units": "1"})
    if agents is not None:
        coords["agent"] = np.arange(a0, a1)
    spec = {k: v for k, v in vars(task).items()}
    return result_dataset(variables, coords, model=model, params=P_np, seed=seed, n_agents=n_agents,
                          task=task.name, task_class=task_class_name(task), streams=streams,
                          task_spec=json.dumps(spec, default=json_default),
                          phases=json.dumps([p.to_dict() for p in design.phases]), precision=precision,
                          record=list(parts), agent_block=None if agents is None else [a0, a1])
