"""Past one machine: the same numbers on a real Dask cluster, and faults handled.

The fixture starts a real cluster on the loopback interface — a ``dask scheduler``
process and two ``dask worker`` processes (single-threaded, no nanny), on random free
ports (the scheduler picks its port and writes it to a scheduler file) — with bounded
waits, and stops them even when a test fails (the scheduler also has an idle timeout
and the workers a death timeout, should this process itself be killed). Against it:

* ``mesolimbic reproduce --scheduler`` of five experiments writes the serial run's
  summary.json (timings aside) and the same result files;
* a sweep of 1,000 parameter sets sent to the cluster, written to Zarr, equals the
  serial Dataset — while one worker process is killed mid-run;
* a task that raises is named and the others' results are kept;
* an unreachable scheduler is one line and exit 2 within 10 s; ``--workers 0`` is refused;
* Ctrl-C during ``reproduce --workers 2`` exits 130 with one line, leaves the folder as
  it was and no worker process behind.
"""

from __future__ import annotations

import json
import operator
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

distributed = pytest.importorskip("distributed")
pytest.importorskip("zarr")

import mesolimbic as ml  # noqa: E402
from mesolimbic.io import STAGING_PREFIX  # noqa: E402

SRC = str(Path(ml.__file__).resolve().parents[1])
# five of the quickest experiments (Pavlovian RW/TD, and the RLHF best-of-n one)
EXPS = ["overshadowing", "kamin1969_blocking", "relative_validity", "conditioned_inhibition", "gao2023_overoptimisation"]
WAIT = 120  # seconds: the longest any start-up may take on a loaded 2-core machine


def _env(**extra) -> dict:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg",
               JAX_PLATFORMS="cpu")
    for k in ("MESOLIMBIC_FAULT_PAUSE", "MESOLIMBIC_SCHEDULER"):
        env.pop(k, None)
    env.update(extra)
    return env


def _wait(cond, what: str, timeout: float = WAIT, procs=()) -> None:
    t0 = time.monotonic()
    while not cond():
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"{what}: a cluster process ended (rc {p.returncode})")
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


class Cluster:
    """A scheduler and worker processes on 127.0.0.1 (see the module docstring)."""

    def __init__(self, folder: Path, n_workers: int = 2, **env):
        self.folder = folder
        self.env = _env(**env)
        self.scheduler = None
        self.workers: list[subprocess.Popen] = []
        self.address = ""
        self.n_workers = n_workers

    def _spawn(self, name: str, *args) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")
        try:
            return subprocess.Popen([sys.executable, "-m", "dask", *args], env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, cwd=self.folder)
        finally:
            log.close()

    def start(self) -> Cluster:
        sfile = self.folder / "scheduler.json"
        self.scheduler = self._spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                     "--no-dashboard", "--scheduler-file", str(sfile), "--idle-timeout", "900")

        def ready():
            try:
                self.address = json.loads(sfile.read_text())["address"]
                return True
            except (OSError, ValueError, KeyError):
                return False

        _wait(ready, "the scheduler's address", procs=[self.scheduler])
        assert self.address.startswith("tcp://127.0.0.1:"), self.address
        for i in range(self.n_workers):
            self.workers.append(self._spawn(f"w{i}", "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                                            "--no-nanny", "--no-dashboard", "--name", f"w{i}",
                                            "--death-timeout", "60"))
        with self.client() as c:
            _wait(lambda: len(c.scheduler_info()["workers"]) == self.n_workers, "the workers",
                  procs=[self.scheduler, *self.workers])
        return self

    def client(self):
        return distributed.Client(self.address, timeout=30, set_as_default=False)

    def stop(self) -> None:
        """Workers first (they close at once while their scheduler is there), then the scheduler;
        SIGKILL for any that has not ended within 10 s."""
        for group in (self.workers, [self.scheduler]):
            for p in group:
                if p is not None and p.poll() is None:
                    p.terminate()
            for p in group:
                if p is None:
                    continue
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.folder.glob("*.log")))


@contextmanager
def dask_cluster(folder: Path, n_workers: int = 2, **env):
    folder.mkdir(parents=True, exist_ok=True)
    c = Cluster(folder, n_workers, **env)
    try:
        yield c.start()
    except BaseException:
        print(c.logs())
        raise
    finally:
        c.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("cluster")) as c:
        yield c


def cli(*args, timeout: float = 600, **env) -> tuple[int, str, str]:
    p = subprocess.run([sys.executable, "-m", "mesolimbic.cli", *map(str, args)], env=_env(**env),
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


def _summary(folder: Path) -> dict:
    s = json.loads((folder / "summary.json").read_text())
    for e in s["experiments"].values():
        e.pop("seconds")
    return s


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")] if folder.exists() else []


# ----------------------------------------------------------------------------- reproduce
@pytest.mark.slow
def test_reproduce_on_the_cluster_writes_the_serial_summary(cluster, tmp_path):
    only = ",".join(EXPS)
    rc, _, err = cli("reproduce", "--only", only, "--agents", 4, "--out", tmp_path / "serial")
    assert rc == 0, err
    rc, out, err = cli("reproduce", "--only", only, "--agents", 4, "--out", tmp_path / "dask",
                       "--scheduler", cluster.address)
    assert rc == 0, err + cluster.logs()
    assert "running on the Dask scheduler at tcp://127.0.0.1:" in err
    assert _summary(tmp_path / "serial") == _summary(tmp_path / "dask")
    assert sorted(os.listdir(tmp_path / "serial")) == sorted(os.listdir(tmp_path / "dask"))
    assert not _leftovers(tmp_path / "dask")
    for n in EXPS:
        with xr.open_dataset(tmp_path / "serial" / f"{n}.nc", engine="h5netcdf") as a, \
                xr.open_dataset(tmp_path / "dask" / f"{n}.nc", engine="h5netcdf") as b:
            xr.testing.assert_identical(a.load(), b.load())


def test_the_environment_variable_names_the_cluster(cluster, monkeypatch):
    from mesolimbic.cluster import ENV, InProcess, executor

    monkeypatch.setenv(ENV, cluster.address)
    with executor(env=True) as ex:
        assert ex.kind == "dask" and ex.address == cluster.address
        assert ex.describe() == f"the Dask scheduler at {cluster.address} (2 workers)"
    assert isinstance(executor(), InProcess)  # Python calls read it only when asked (env=True)
    with executor(workers=None, scheduler=None, env=True) as ex:
        assert ex.kind == "dask"
    monkeypatch.setenv(ENV, " ")
    assert isinstance(executor(env=True), InProcess)


def test_a_task_that_raises_is_named_and_the_others_are_kept(cluster):
    from mesolimbic.cluster import Task, executor

    seen = []
    with executor(cluster.address) as ex:
        assert ex.kind == "dask" and ex.n_workers == 2
        results, failures = ex.run([Task("a", "task a", operator.add, (1, 2)),
                                    Task("b", "experiment b", operator.truediv, (1, 0)),
                                    Task("c", "task c", operator.mul, (2, 3))],
                                   on_result=lambda t, v: seen.append(t.key))
    assert results == {"a": 3, "c": 6} and sorted(seen) == ["a", "c"]
    assert [(f.key, f.label) for f in failures] == [("b", "experiment b")]
    assert failures[0].error.startswith("ZeroDivisionError")


# ----------------------------------------------------------------------------- a sweep, and a worker killed
def _design():
    return ml.PavlovianDesign.from_notation([("training", {"A+": 12, "B-": 4}), ("probe", {"A+": 4, "A-": 2})])


@pytest.mark.slow
def test_sweep_of_1000_parameter_sets_on_the_cluster_survives_a_killed_worker(tmp_path):
    P = ml.sweep(alpha=np.linspace(0.02, 0.5, 50), lam=np.linspace(0.0, 0.95, 20))
    assert len(P["alpha"]) == 1000
    serial = ml.simulate(_design(), ml.TD(), P, n_agents=3, seed=7)
    store = tmp_path / "out" / "sweep.zarr"
    store.parent.mkdir()
    n_shards = 20
    killed: dict = {}
    stop = threading.Event()
    # every shard pauses 0.5 s on the workers, so the run lasts long enough to kill a worker inside it
    with dask_cluster(tmp_path / "cluster", MESOLIMBIC_FAULT_PAUSE="shard:0.5") as c:
        def killer():
            with c.client() as mon:
                w0 = next(a for a, w in mon.scheduler_info()["workers"].items() if w["name"] == "w0")
                while not stop.is_set():
                    staging = list(store.parent.glob(f".{store.name}.mesolimbic-staging-*"))
                    done = len([p for p in (staging[0] / "rpe").iterdir() if not p.name.startswith(".")]) \
                        if staging and (staging[0] / "rpe").exists() else 0
                    if done >= 1 and mon.processing().get(w0):  # a shard is in, and w0 is running another
                        c.workers[0].kill()
                        killed["shards_done"] = done
                        return
                    time.sleep(0.05)

        th = threading.Thread(target=killer, daemon=True)
        th.start()
        try:
            got = ml.simulate(_design(), ml.TD(), P, n_agents=3, seed=7, client=c.address, store=store,
                              shard={"param_set": 1000 // n_shards})
        finally:
            stop.set()
            th.join(30)
        assert killed, "the worker was not killed during the run"
        assert 1 <= killed["shards_done"] < n_shards  # mid-run
        assert c.workers[0].wait(10) is not None  # it is dead
        assert isinstance(got.rpe.data, __import__("dask.array").array.Array)  # lazy
        xr.testing.assert_identical(serial, got.load())
    assert sorted(p.name for p in store.parent.iterdir()) == ["sweep.zarr"]  # no staging, nothing partial


# ----------------------------------------------------------------------------- bad input, Ctrl-C
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("how", ["option", "environment"])
def test_an_unreachable_scheduler_is_one_line_and_exit_2_within_10_s(tmp_path, how):
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    args, env = (["--scheduler", address], {}) if how == "option" else ([], {"MESOLIMBIC_SCHEDULER": address})
    out = tmp_path / "r"
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-m", "mesolimbic.cli", "reproduce", "--only", "schultz1997", "--out",
                          str(out), *args], env=_env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    _, err = p.communicate(timeout=60)
    elapsed = time.monotonic() - t0
    assert p.returncode == 2, err
    line = one_line(err)
    assert line.startswith("error: cannot reach the Dask scheduler at " + address), line
    assert elapsed < 10, elapsed
    assert not out.exists()  # the folder it created is gone


@pytest.mark.parametrize("args, message", [
    (["--workers", "0"], "--workers must be a number of worker processes >= 1, got 0"),
    (["--workers", "-2"], "--workers must be a number of worker processes >= 1, got -2"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    (["--scheduler", " "], "--scheduler must be a scheduler address"),
])
def test_bad_cluster_options_are_refused(tmp_path, args, message):
    for command in (["reproduce", "--only", "schultz1997"], ["recover", "--model", "bandit2arm_delta"]):
        rc, _, err = cli(*command, "--out", tmp_path / "r", *args)
        assert rc == 2 and message in one_line(err), err
        assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_ctrl_c_during_a_local_cluster_run_cancels_cleanly(tmp_path):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "r"
    p = subprocess.Popen([sys.executable, "-m", "mesolimbic.cli", "reproduce", "--only", ",".join(EXPS), "--agents",
                          "3", "--out", str(out), "--workers", "2"], env=_env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    proc = psutil.Process(p.pid)
    _wait(lambda: p.poll() is not None or (any(out.glob(STAGING_PREFIX + "*"))
                                           and len(proc.children(recursive=True)) >= 2),
          "the local cluster's workers")
    assert p.poll() is None, p.stderr.read()
    children = proc.children(recursive=True)
    time.sleep(3.0)  # the workers are importing and running experiments
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    line = one_line(err.replace("running on a local Dask cluster (2 workers)", ""))
    assert line.startswith("mesolimbic: interrupted (Ctrl-C)") and "as it was before the command" in line
    assert not out.exists()
    _, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, [c.cmdline() for c in alive]


# ----------------------------------------------------------------------------- recovery and several fits
@pytest.mark.slow
def test_recovery_on_the_cluster_gives_the_in_process_numbers(cluster):
    from mesolimbic.fitting.recovery import model_recovery, parameter_recovery

    kw = dict(n_subjects=14, n_trials=30, seed=3, subjects_per_task=6)  # blocks 1-6, 7-12, 13-14 (as 9-14)
    here = parameter_recovery("bandit2arm_delta", **kw)
    there = parameter_recovery("bandit2arm_delta", client=cluster.address, **kw)
    xr.testing.assert_identical(here, there)
    models = ["bandit2arm_delta", "bandit2arm_delta_stick"]
    kw = dict(n_subjects=6, n_trials=30, seed=4)
    assert model_recovery(models, **kw).equals(model_recovery(models, client=cluster.address, **kw))


@pytest.mark.slow
def test_several_fits_on_the_cluster_give_the_in_process_numbers(cluster, tmp_path):
    import pandas as pd

    from mesolimbic.fitting import load_choices
    from mesolimbic.fitting.many import fit_many

    path = Path(__file__).parent / "data" / "hbayesdm" / "bandit2arm_exampleData.txt"
    table = pd.read_csv(path, sep="\t")
    data = {"all": load_choices(path, "bandit2arm"), "first 6": load_choices(table[table.subjID <= 6], "bandit2arm")}
    models = ["bandit2arm_delta", "bandit2arm_delta_stick"]
    here = fit_many(data, models, method="map", seed=1)
    there = fit_many(data, models, method="map", seed=1, client=cluster.address)
    assert not here.failed and not there.failed
    pd.testing.assert_frame_equal(here.table(), there.table())
    pd.testing.assert_frame_equal(here.comparison(), there.comparison())
