"""Dask: ``mesolimbic reproduce`` on a 2-worker local cluster against serial, and a sweep larger than a memory budget.

Two measurements, each against a baseline taken in the same run (nothing is asserted):

(a) ``mesolimbic reproduce`` of a set of experiments, as the command a user types:
    once in-process (serial, the default) and once with ``--workers 2`` (a local Dask
    cluster of two single-threaded worker processes, started and stopped by the
    command, so its start-up is in the time). Prints both wall times, their ratio and
    whether the two summary.json files agree on every check's measured value. Each
    experiment is one task, so on a 2-core machine the ideal ratio is 2x; the issue
    expects >= 1.6x. The load average is printed at the start and end: on a shared
    machine the ratio says little when the load is above the number of cores.

(b) a Pavlovian TD sweep whose full per-step Dataset (``Session.result_bytes``, the
    recorded values of every parameter set x agent) is ``--ratio`` (default 3.2) times
    ``--budget-gib`` (default 4 GiB), sent to a local cluster of ``--sweep-workers``
    (default 2) workers and written to Zarr (``store=``). The shard size
    (``MESOLIMBIC_SHARD_BYTES``) is set to a quarter of the budget (at most the
    default 256 MiB). Prints the sweep's size against the budget, each worker's peak
    resident memory (``ru_maxrss`` of the worker process, read on the worker with
    ``client.run``: the high-water mark over the whole run, JAX runtime included) and
    this process's (it runs the first shard and writes the store's layout), the
    time, the store's size on disk, and whether the first and last parameter sets
    read back from the store equal a serial run of those parameter sets.
    ``--enforce`` also gives every worker ``memory_limit=budget`` (Dask then pauses a
    worker at 80 % of it and restarts one at 95 %).

    python benchmarks/bench_dask.py                      # both parts, default sizes
    python benchmarks/bench_dask.py --skip-sweep [--all | --only schultz1997,kamin1969_blocking]
    python benchmarks/bench_dask.py --skip-reproduce --budget-gib 0.5   # a quick sweep (1.6 GiB)

Measured: see docs/design.md, "Running on a cluster: what is sharded", for the numbers of one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: a set of independent experiments that takes a few minutes serially on the 2-core machine (short and long ones)
DEFAULT_EXPERIMENTS = ["schultz1997", "kamin1969_blocking", "fiorillo2003_probability", "daw2011_two_step",
                       "frank2004_pst", "kobayashi2008_delay", "redish2004_addiction", "niv2007_tonic_dopamine",
                       "berridge_wanting_liking", "active_avoidance", "reinforcement_schedules",
                       "reward_hacking_addiction"]
GIB = 2 ** 30


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" (1, 5, 15 min; {os.cpu_count()} cores)"
    except OSError:
        return "unavailable"


def peak_rss() -> int:
    """This process's peak resident memory in bytes (the high-water mark since it started)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def current_rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def gib(n: float) -> str:
    return f"{n / GIB:.2f} GiB"


# ----------------------------------------------------------------------------- (a) reproduce
def _cli(args: list[str]) -> tuple[float, int, str]:
    cmd = [sys.executable, "-c", "from mesolimbic.cli import main; main()", *args]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    return time.perf_counter() - t0, p.returncode, (p.stdout + p.stderr)


def _measured(summary: Path) -> dict:
    d = json.loads(summary.read_text())
    return {(e, c["model"], c["name"]): c["measured"] for e, x in d["experiments"].items() for c in x["checks"]}


def bench_reproduce(chosen: list[str], workers: int) -> None:
    print(f"(a) mesolimbic reproduce of {len(chosen)} experiments: {', '.join(chosen)}")
    print(f"    load average at start: {load()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    times = {}
    try:
        for label, extra in [("serial (in-process)", []), (f"local cluster, --workers {workers}",
                                                            ["--workers", str(workers)])]:
            out = tmp / ("serial" if not extra else "cluster")
            wall, rc, text = _cli(["reproduce", "--only", ",".join(chosen), "--out", str(out), *extra])
            times[label] = (wall, out)
            note = "" if rc == 0 else f" (exit code {rc}: {' '.join(text.strip().splitlines()[-1:])[:160]})"
            print(f"    {label:<28} {wall:8.1f} s{note}")
            if not (out / "summary.json").exists():
                print(f"    no summary.json written; output:\n{text[-2000:]}")
                return
        (ts, s_out), (tc, c_out) = times.values()
        a, b = _measured(s_out / "summary.json"), _measured(c_out / "summary.json")
        differ = sorted(k for k in a.keys() | b.keys() if a.get(k, "missing") != b.get(k, "missing"))
        print(f"    ratio serial / cluster: {ts / tc:.2f}x   (ideal {workers}x; the issue expects >= 1.6x)")
        print(f"    checks whose measured value differs between the two summary.json: {len(differ)} of {len(a)}")
        for k in differ:
            print(f"      {k[0]} / {k[1]} / {k[2]}: serial {a.get(k, 'missing')!r}, cluster {b.get(k, 'missing')!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"    load average at end:   {load()}")


# ----------------------------------------------------------------------------- (b) a sweep above the budget
def _design():
    import mesolimbic as ml

    return ml.PavlovianDesign.from_notation([("training", {"A+": 12, "B-": 4}), ("probe", {"A+": 4, "A-": 2})])


def _worker_memory() -> dict:
    """Run on each worker: its current and peak resident memory (bytes)."""
    return {"rss": current_rss(), "peak": peak_rss()}


def _warm_up() -> int:
    """Run on each worker before the sweep: import mesolimbic and run a tiny simulation (the JAX
    runtime a shard needs anyway); returns the worker's resident memory after it."""
    import mesolimbic as ml

    ml.simulate(_design(), ml.TD(), None, n_agents=2, seed=0)
    return current_rss()


def bench_sweep(budget: int, ratio: float, n_agents: int, workers: int, enforce: bool, folder: Path | None,
                keep: bool) -> None:
    import distributed

    import mesolimbic as ml
    from mesolimbic.session import Session
    from mesolimbic.sweeps import SHARD_BYTES, SHARD_ENV, plan_shards

    design, model = _design(), ml.TD()
    sess = Session(design, model)
    per_set = sess.result_bytes(2, n_agents) - sess.result_bytes(1, n_agents)
    n_sets = math.ceil((ratio * budget - sess.result_bytes(0, n_agents)) / per_set)
    n_lam = 10
    n_alpha = math.ceil(n_sets / n_lam)
    P = ml.sweep(alpha=np.linspace(0.01, 0.6, n_alpha), lam=np.linspace(0.0, 0.95, n_lam))
    M = len(P["alpha"])
    full = sess.result_bytes(M, n_agents)
    os.environ[SHARD_ENV] = str(min(SHARD_BYTES, budget // 4))
    plan = plan_shards(sess, M, n_agents, None, "float32", None, workers)
    print(f"(b) a sweep of {M} parameter sets x {n_agents} agents (TD, {design.compile().n_trials} trials, every time "
          f"step recorded): full Dataset {gib(full)} = {full / budget:.2f}x the budget of {gib(budget)}")
    print(f"    {plan.n_shards} shards of {plan.pb} parameter sets x {plan.ab} agents "
          f"({SHARD_ENV}={gib(int(os.environ[SHARD_ENV]))}); {workers} local workers"
          f"{', memory_limit = the budget' if enforce else ''}")
    print(f"    load average at start: {load()}")
    base = Path(tempfile.mkdtemp(prefix="bench-dask-sweep-", dir=folder))
    store = base / "sweep.zarr"
    try:
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None, memory_limit=budget if enforce else 0,
                                      silence_logs=50) as cluster, \
                distributed.Client(cluster) as client:
            before = client.run(_warm_up)
            t0 = time.perf_counter()
            got = ml.simulate(design, model, P, n_agents=n_agents, seed=11, client=client, store=store)
            wall = time.perf_counter() - t0
            mem = client.run(_worker_memory)
        print(f"    completed in {wall:.1f} s ({full / wall / 2 ** 20:.0f} MiB/s), lazily opened: "
              f"{type(got.rpe.data).__module__.split('.')[0]}-backed, dims {dict(got.sizes)}")
        disk = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
        print(f"    store on disk: {gib(disk)} (compressed) at {store}")
        for i, (addr, m) in enumerate(sorted(mem.items())):
            print(f"    worker {i}: peak resident {gib(m['peak'])} = {m['peak'] / budget:.0%} of the budget "
                  f"(after the warm-up, before the sweep: {gib(before[addr])}, so the sweep added at most "
                  f"{gib(m['peak'] - before[addr])}; now {gib(m['rss'])})")
        print(f"    this process (first shard, the store's layout, the checks below): peak resident "
              f"{gib(peak_rss())} = {peak_rss() / budget:.0%} of the budget")
        worst = max(m["peak"] for m in mem.values())
        print(f"    largest worker peak / budget: {worst / budget:.2f} -> "
              f"{'under the budget' if worst < budget else 'OVER the budget'}")
        for sl in (slice(0, 2), slice(M - 2, M)):
            serial = ml.simulate(design, model, {k: v[sl] for k, v in P.items()}, n_agents=n_agents, seed=11)
            part = got.isel(param_set=sl).load()
            same = all(np.array_equal(serial[v].values, part[v].values) for v in serial.data_vars
                       if "param_set" in serial[v].dims)
            print(f"    parameter sets {sl.start}-{sl.stop - 1} from the store equal a serial run of them: {same}")
        del got, part, serial
    finally:
        print(f"    load average at end:   {load()}")
        if not keep:
            shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated experiments for (a) (default: a set of 12, a few minutes serially)")
    ap.add_argument("--all", action="store_true", help="(a) over every registered experiment")
    ap.add_argument("--workers", type=int, default=2, help="(a) local workers (default 2)")
    ap.add_argument("--skip-reproduce", action="store_true")
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--budget-gib", type=float, default=4.0, help="(b) memory budget per worker (default 4)")
    ap.add_argument("--ratio", type=float, default=3.2, help="(b) full Dataset / budget (default 3.2)")
    ap.add_argument("--agents", type=int, default=1000, help="(b) agents per parameter set (default 1000)")
    ap.add_argument("--sweep-workers", type=int, default=2, help="(b) local workers (default 2)")
    ap.add_argument("--enforce", action="store_true", help="(b) give each worker memory_limit = the budget")
    ap.add_argument("--dir", type=Path, help="(b) folder for the Zarr store (default: the temporary folder)")
    ap.add_argument("--keep", action="store_true", help="(b) keep the Zarr store")
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each line as it is measured, also into a file
    if a.workers < 1 or a.sweep_workers < 1 or a.budget_gib <= 0 or a.ratio <= 0 or a.agents < 1:
        ap.error("--workers, --sweep-workers, --agents must be >= 1; --budget-gib and --ratio > 0")
    print(f"bench_dask on {os.cpu_count()} cores, python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M %Z')}")
    if not a.skip_reproduce:
        from mesolimbic.experiments import get, names

        chosen = names() if a.all else [n.strip() for n in a.only.split(",") if n.strip()] if a.only \
            else DEFAULT_EXPERIMENTS
        missing = {n: get(n).missing() for n in chosen}
        chosen = [n for n in chosen if not missing[n]]
        for n, why in missing.items():
            if why:
                print(f"    skipped {n}: {why}")
        bench_reproduce(chosen, a.workers)
    if not a.skip_sweep:
        bench_sweep(int(a.budget_gib * GIB), a.ratio, a.agents, a.sweep_workers, a.enforce, a.dir, a.keep)


if __name__ == "__main__":
    main()
