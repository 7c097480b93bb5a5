"""Sharded simulation: sweeps split into blocks of parameter sets (and of agents), run
in-process or on a Dask cluster, written to Zarr as they finish.

:func:`mesolimbic.simulate` and :func:`mesolimbic.instrumental.simulate_choices` come
here when given ``client=`` (a Dask cluster), ``store=`` (a Zarr store to write the
result into) or ``shard=`` (block sizes). The sweep is cut into shards — a block of
parameter sets x a block of agents — and each shard is one task
(:mod:`mesolimbic.cluster`): the session kernel run on that block alone
(:meth:`mesolimbic.session.Session.simulate` with ``agents=``).

**Same numbers.** Parameter sets share common random numbers (agent *i* sees the
same draws in every parameter set), so a block of parameter sets is exactly that
slice of the full run. A block of agents takes its agents' draws: for choice tasks
the slice of the per-agent keys split from the seed, for Pavlovian designs the rows
of the trial orders, rewards, ITIs and noise that one NumPy generator draws for all
agents (drawn in chunks up to the block's end; :meth:`CompiledDesign.sample_trials`).
Nothing depends on which worker runs a shard or when. Blocks of parameter sets are
bit-identical to the serial run (tested). Blocks of agents are bit-identical on the
step engine and for choice tasks; on the affine engine (linear Pavlovian learners)
the trial map is applied to the agents with one matrix product, and XLA computes a
product of another width with differently vectorised kernels, so values can differ
from the serial run by float32 rounding (about 1e-7 relative, tested). Agent blocks
are only used when one parameter set's agents do not fit in a shard.

**Where results go.** With ``store`` (a path, visible to the workers: a shared file
system for a remote cluster), the Dataset's layout is written first (a Zarr v2 group:
coordinates, attributes, empty arrays chunked by shard) into a staging store beside
``store``; each shard's task writes its region (``xarray.Dataset.to_zarr(region=)``)
as it finishes, so no process ever holds more than a shard; when every shard is in,
the staging store is renamed to ``store`` and opened lazily (dask-backed). So a sweep
larger than any one machine's memory completes, and ``store`` never holds a partial
result: a run that fails, is cancelled or is killed leaves ``store`` absent (a shard
that raised: the others' regions are kept in ``<store>.incomplete``, whose
``incomplete`` attribute names the missing shards). Without ``store`` the shards come
back to this process and are assembled in memory (an eager Dataset identical to the
serial run's).

**Shard size.** By default a shard's recorded values, times 3 (the copies on their
way from the compiled run to the Dataset), stay under :data:`SHARD_BYTES`
(``MESOLIMBIC_SHARD_BYTES``, e.g. ``512M``), with at least four shards per worker
thread where the sweep allows; ``shard={"param_set": 100, "agent": 1000}`` sets the
block sizes. The last block of a dimension is computed as a full-size block ending at
the end (its first rows overlap the previous block and are not written), so every
task has the same shapes and each worker compiles the session once.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import xarray as xr

from ._memory import check_memory, parse_bytes
from .io import fault_point
from ._seed import check_seed
from ._validate import check_count
from .results import provenance
from .session import Session, param_sets

__all__ = ["simulate_sharded", "plan_shards", "Plan", "SHARD_BYTES", "SHARD_ENV", "ZARR_FORMAT"]

SHARD_ENV = "MESOLIMBIC_SHARD_BYTES"
#: default memory of one shard (its recorded values x 3)
SHARD_BYTES = 256 * 2 ** 20
#: Zarr format of the stores written (v2: stable string types, readable by zarr-python 2 and 3)
ZARR_FORMAT = 2
#: largest Zarr chunk aimed for (a shard's region is split along ``trial`` to stay near it)
CHUNK_BYTES = 32 * 2 ** 20
STAGING_TAG = ".mesolimbic-staging-"


@dataclass(frozen=True)
class Plan:
    """``M`` parameter sets x ``N`` agents in blocks of ``pb`` x ``ab``."""

    M: int
    N: int
    pb: int
    ab: int

    @staticmethod
    def _blocks(n: int, b: int) -> list[tuple[int, int, int]]:
        """``(start, stop, write_from)`` per block: computed ``start:stop`` (always ``b`` long when
        ``n >= b``), written ``write_from:stop``."""
        out = []
        for w in range(0, n, b):
            stop = min(w + b, n)
            out.append((max(0, stop - b), stop, w))
        return out

    def shards(self) -> list[tuple[tuple[int, int, int], tuple[int, int, int]]]:
        return [(p, a) for p in self._blocks(self.M, self.pb) for a in self._blocks(self.N, self.ab)]

    @property
    def n_shards(self) -> int:
        return math.ceil(self.M / self.pb) * math.ceil(self.N / self.ab)


def shard_bytes() -> int:
    env = os.environ.get(SHARD_ENV, "").strip()
    return parse_bytes(env, SHARD_ENV) if env else SHARD_BYTES


def plan_shards(sess: Session, M: int, N: int, record, precision: str, shard: Mapping[str, int] | None = None,
                n_workers: int = 1, budget: int | None = None) -> Plan:
    """Block sizes for ``M`` parameter sets x ``N`` agents (see the module docstring)."""
    if shard is not None:
        unknown = set(shard) - {"param_set", "agent"}
        if unknown:
            raise ValueError(f"shard takes block sizes for 'param_set' and 'agent', got {sorted(unknown)}")
        pb = check_count("shard['param_set']", shard.get("param_set", M), 1)
        ab = check_count("shard['agent']", shard.get("agent", N), 1)
        return Plan(M, N, min(pb, M), min(ab, N))
    budget = shard_bytes() if budget is None else budget

    def cost(p, a):
        return 3 * sess.result_bytes(p, a, record, precision)

    if cost(1, N) <= budget:
        ab = N
        per = cost(1, N) - cost(0, N)
        pb = int(max(1, (budget - cost(0, N)) // max(per, 1)))
        pb = min(pb, M)
        if n_workers > 1:  # enough shards to keep every worker busy
            pb = min(pb, max(1, math.ceil(M / (4 * n_workers))))
    else:
        pb = 1
        ab = int(max(1, budget // max(cost(1, 1), 1)))
        ab = min(ab, N)
    return Plan(M, N, pb, ab)


# ----------------------------------------------------------------------------- the shard task
def _simulate_block(task, model, representation, params: dict, n_agents: int, seed: int, record, engine: str,
                    precision: str, p_block: tuple[int, int, int], a_block: tuple[int, int, int]) -> xr.Dataset:
    """The shard's simulation: parameter sets ``p_block[0]:p_block[1]`` (``params``) x agents
    ``a_block[0]:a_block[1]``."""
    a0, a1, _ = a_block
    agents = None if (a0, a1) == (0, n_agents) else (a0, a1)
    return Session(task, model, representation).simulate(params, n_agents=n_agents, seed=seed, record=record,
                                                         engine=engine, precision=precision, agents=agents)


def _part(ds: xr.Dataset, p_block, a_block, write_agent_vars: bool) -> xr.Dataset:
    """The rows of a shard's Dataset that it writes (past the overlap with the previous block),
    as the variables of its region: those over ``param_set``, and those over ``agent`` only
    (the trial sequences: the same in every parameter set) from the first block of parameter sets."""
    (m0, _, mw), (a0, _, aw) = p_block, a_block
    ds = ds.isel(param_set=slice(mw - m0, None), agent=slice(aw - a0, None))
    names = [v for v in ds.data_vars if "param_set" in ds[v].dims
             or ("agent" in ds[v].dims and write_agent_vars)]
    return ds[names].drop_vars(list(ds.coords))


def _region(p_block, a_block) -> dict:
    return {"param_set": slice(p_block[2], p_block[1]), "agent": slice(a_block[2], a_block[1])}


def _shard(task, model, representation, params: dict, n_agents: int, seed: int, record, engine: str,
           precision: str, p_block: tuple[int, int, int], a_block: tuple[int, int, int],
           store: str | None, write_agent_vars: bool):
    """One shard (runs on a worker, or in this process): simulate the block, keep the rows it
    writes, and write them into ``store``'s region (returns None) or return them."""
    if store is not None and not (Path(store) / ".zgroup").exists():
        raise RuntimeError(f"the staging store {store} is gone (the run was cancelled)")
    fault_point("shard")
    ds = _simulate_block(task, model, representation, params, n_agents, seed, record, engine, precision, p_block,
                         a_block)
    part = _part(ds, p_block, a_block, write_agent_vars)
    if store is None:
        return {v: part[v].values for v in part.data_vars}
    part.to_zarr(store, region=_region(p_block, a_block), mode="r+")
    return None


# ----------------------------------------------------------------------------- the layout
def _layout(probe: xr.Dataset, model, P_np: dict, seed: int, N: int) -> tuple[dict, dict, dict]:
    """From a one-parameter-set, one-agent run: ``(variables, coords, attrs)`` of the full result,
    variables as ``{name: (dims, shape, dtype, attrs)}`` (those over neither ``param_set`` nor
    ``agent`` keep their values), coordinates with their values."""
    M = len(next(iter(P_np.values()))) if P_np else 1
    variables = {}
    for name, v in probe.data_vars.items():
        shape = tuple(M if d == "param_set" else N if d == "agent" else probe.sizes[d] for d in v.dims)
        variables[name] = (v.dims, shape, v.dtype, dict(v.attrs), None if {"param_set", "agent"} & set(v.dims)
                           else v.values)
    coords = {}
    for name, c in probe.coords.items():
        if name == "param_set":
            coords[name] = ("param_set", np.arange(M), dict(c.attrs))
        elif name == "agent":
            coords[name] = ("agent", np.arange(N), dict(c.attrs))
        elif name in P_np and c.dims == ("param_set",):
            coords[name] = ("param_set", np.asarray(P_np[name], float), dict(c.attrs))
        elif {"param_set", "agent"} & set(c.dims):
            raise ValueError(f"coordinate {name!r} over {c.dims} cannot be sharded")
        else:
            coords[name] = (c.dims, c.values, dict(c.attrs))
    attrs = {k: v for k, v in probe.attrs.items() if k != "agent_block" and not k.startswith("param_")}
    attrs.update(provenance(model, P_np, seed, N))
    return variables, coords, attrs


def _chunks(dims, shape, itemsize: int, pb: int, ab: int) -> tuple[int, ...]:
    ch = [pb if d == "param_set" else ab if d == "agent" else s for d, s in zip(dims, shape)]
    if "trial" in dims:
        i = dims.index("trial")
        rest = itemsize * math.prod(c for j, c in enumerate(ch) if j != i)
        ch[i] = int(max(1, min(shape[i], CHUNK_BYTES // max(rest, 1))))
    return tuple(ch)


def _write_template(path: Path, variables, coords, attrs, plan: Plan) -> None:
    import dask.array as da

    data, encoding = {}, {}
    for name, (dims, shape, dtype, vattrs, values) in variables.items():
        if values is not None:
            data[name] = (dims, values, vattrs)
            continue
        ch = _chunks(dims, shape, np.dtype(dtype).itemsize, plan.pb, plan.ab)
        data[name] = (dims, da.empty(shape, dtype=dtype, chunks=ch), vattrs)
        encoding[name] = {"chunks": ch}
    tmpl = xr.Dataset(data, coords, attrs)
    tmpl.to_zarr(str(path), compute=False, mode="w-", zarr_format=ZARR_FORMAT, encoding=encoding,
                 consolidated=True)


def _rmtree(path: Path) -> None:
    for _ in range(5):  # a writer may still be finishing a chunk
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return


def _label(P_np: dict, p: tuple[int, int, int], a: tuple[int, int, int], N: int) -> str:
    lo, hi = p[2], p[1]
    text = f"parameter set {lo}" if hi - lo == 1 else f"parameter sets {lo}-{hi - 1}"
    vals = []
    for k, v in P_np.items():
        block = np.asarray(v[lo:hi], float)
        if np.ptp(np.asarray(v, float)) > 0:
            vals.append(f"{k}={block[0]:g}" if block.min() == block.max() else f"{k} {block.min():g}..{block.max():g}")
    if vals:
        text += f" ({', '.join(vals)})"
    if (a[2], a[1]) != (0, N):
        text += f", agents {a[2]}-{a[1] - 1}"
    return text


def _incomplete(staging: Path, store: Path, failures) -> Path:
    import zarr

    dest = store.with_name(store.name + ".incomplete")
    if dest.exists():
        _rmtree(dest)
    os.replace(staging, dest)
    g = zarr.open_group(str(dest), mode="r+", zarr_format=ZARR_FORMAT)
    g.attrs["incomplete"] = json.dumps([{"shard": f.label, "error": f.error} for f in failures])
    zarr.consolidate_metadata(str(dest), zarr_format=ZARR_FORMAT)
    return dest


def simulate_sharded(task, model, params: Mapping[str, Any] | None = None, *, representation=None,
                     n_agents: int = 1, seed: int = 0, record=None, engine: str = "auto",
                     precision: str = "float32", client=None, store=None, shard: Mapping[str, int] | None = None,
                     progress: bool = False) -> xr.Dataset:
    """:func:`mesolimbic.simulate` in shards (see the module docstring): the same arguments,
    and ``client`` (a ``distributed.Client``, a scheduler address or an executor; None:
    in this process), ``store`` (a Zarr store path to write to; the result then comes back
    lazily), ``shard`` (block sizes), ``progress`` (a progress bar over the shards on stderr)."""
    from .cluster import Task, TasksFailed, executor, progress_bar

    sess = Session(task, model, representation)
    n_agents = check_count("n_agents", n_agents, 1)
    seed = check_seed("seed", seed)
    P_np, M, _ = param_sets(model, params)
    if store is not None:
        store = Path(os.fspath(store)).expanduser().absolute()
        if store.exists():
            raise FileExistsError(f"store {store} already exists; remove it or choose another path")
        if not store.parent.is_dir():
            raise ValueError(f"store {store}: folder {store.parent} does not exist")
        try:
            import dask.array  # noqa: F401
            import zarr  # noqa: F401
        except ImportError as e:
            raise ImportError(f"writing a sweep to a Zarr store needs dask and zarr, which are not installed; "
                              f"install the optional extra: pip install 'mesolimbic[dask]' ({e})") from e
    ex = executor(client)
    try:
        plan = plan_shards(sess, M, n_agents, record, precision, shard, ex.n_workers)
        shards = plan.shards()
        # the first shard runs here: the result's layout comes from it (and its values are kept)
        p, a = shards[0]
        first = _simulate_block(task, model, representation, {k: v[p[0]:p[1]] for k, v in P_np.items()}, n_agents,
                                seed, record, engine, precision, p, a)
        variables, coords, attrs = _layout(first, model, P_np, seed, n_agents)
        first = _part(first, p, a, True)
        if store is None:
            check_memory(sess.result_bytes(M, n_agents, record, precision),
                         f"assembling {M} parameter sets x {n_agents} agents in memory (pass store= to write "
                         f"them to Zarr instead)")
            arrays = {k: (np.empty(shape, dtype) if values is None else values)
                      for k, (dims, shape, dtype, _, values) in variables.items()}
            staging = None
        else:
            staging = store.with_name(f".{store.name}{STAGING_TAG}{uuid.uuid4().hex[:12]}")
        tasks = []
        for p, a in shards[1:]:
            block = {k: v[p[0]:p[1]] for k, v in P_np.items()}
            tasks.append(Task(f"shard-{p[2]}-{a[2]}", _label(P_np, p, a, n_agents), _shard,
                              (task, model, representation, block, n_agents, seed, record, engine, precision, p, a,
                               None if staging is None else str(staging), p[2] == 0)))

        def fill(p, a, value: dict) -> None:
            for k, v in value.items():
                dims = variables[k][0]
                idx = tuple(slice(p[2], p[1]) if d == "param_set" else slice(a[2], a[1]) if d == "agent"
                            else slice(None) for d in dims)
                arrays[k][idx] = v

        def arrived(t, value) -> None:
            if value is not None:  # shards written to the store return nothing
                fill(t.args[9], t.args[10], value)

        committed = False
        try:
            if staging is None:
                fill(*shards[0], {k: first[k].values for k in first.data_vars})
            else:
                _write_template(staging, variables, coords, attrs, plan)
                first.to_zarr(str(staging), region=_region(*shards[0]), mode="r+")
            del first
            with progress_bar(f"simulating {len(shards)} shards", len(shards), enabled=bool(progress)) as bar:
                bar(1, len(shards), "the first shard (run here)")
                _, failures = ex.run(tasks, on_result=arrived,
                                     on_progress=lambda i, n, label: bar(i + 1, n + 1, label))
            if failures:
                note = ""
                if staging is not None:
                    kept = _incomplete(staging, store, failures)
                    committed = True
                    note = f"; the other shards' results are in {kept}"
                raise TasksFailed(failures, len(shards), note)
            if staging is not None:
                if store.exists():
                    raise FileExistsError(f"store {store} appeared while the sweep ran; its result is not written")
                os.replace(staging, store)
                committed = True
        finally:
            if staging is not None and not committed:
                _rmtree(staging)
    finally:
        if ex is not client:
            ex.close()
    if store is not None:
        return xr.open_zarr(str(store), consolidated=True)
    data = {k: (variables[k][0], arrays[k], variables[k][3]) for k in variables}
    return xr.Dataset(data, coords, attrs)
