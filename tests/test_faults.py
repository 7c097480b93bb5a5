"""Interrupts, kills and races against the real command, run as subprocesses.

Each test starts ``python -m mesolimbic.cli`` and sends SIGINT or SIGTERM at a
known point (during the computation; while the outputs are staged; inside the
commit, through the ``MESOLIMBIC_FAULT_PAUSE`` hook of :mod:`mesolimbic.io`), then
checks the exit code, the one-line message, that no temporary file is left, that
the folder holds the old complete set or the new complete set, and that a re-run
succeeds. Small agent counts keep each process to a few seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

import mesolimbic
from mesolimbic.io import JOURNAL_NAME, LOCK_NAME, STAGING_PREFIX

SRC = str(Path(mesolimbic.__file__).resolve().parents[1])
HBAYESDM = Path(__file__).parent / "data" / "hbayesdm" / "bandit2arm_exampleData.txt"
EXPS = ["schultz1997", "kamin1969_blocking"]


def _env(**extra) -> dict:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg",
               JAX_PLATFORMS="cpu")
    env.pop("MESOLIMBIC_FAULT_PAUSE", None)
    env.update(extra)
    return env


def start(*args, umask: int | None = None, **env) -> subprocess.Popen:
    # the child inherits the umask; set it around the spawn (a preexec_fn would fork this
    # multithreaded, JAX-importing process)
    old = os.umask(umask) if umask is not None else None
    try:
        return subprocess.Popen([sys.executable, "-m", "mesolimbic.cli", *map(str, args)], env=_env(**env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        if old is not None:
            os.umask(old)


def finish(p: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out, err


def cli(*args, **env) -> tuple[int, str, str]:
    return finish(start(*args, **env))


def wait_for(cond, p: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while not cond():
        if p.poll() is not None:
            raise AssertionError(f"the command ended (rc {p.returncode}) before the point to interrupt: "
                                 f"{p.stderr.read()}")
        if time.monotonic() - t0 > timeout:
            p.kill()
            raise AssertionError("timed out waiting for the point to interrupt")
        time.sleep(0.02)


def staging_has(folder: Path, name: str = "") -> bool:
    return any((d / name).exists() if name else True for d in folder.glob(STAGING_PREFIX + "*"))


def snapshot(folder: Path) -> dict:
    """Every entry of the folder (hidden ones included) with its content hash."""
    if not folder.exists():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
            for p in sorted(folder.iterdir())}


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


def assert_consistent_set(folder: Path, seed: int) -> None:
    """A complete reproduce set whose every file comes from the run with ``seed``."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{n}.{x}" for n in EXPS for x in ("nc", "png")] + ["report.html", "summary.json"])
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["seed"] == seed and set(summary["experiments"]) == set(EXPS)
    for n in EXPS:
        with xr.open_dataset(folder / f"{n}.nc", engine="h5netcdf") as ds:
            assert int(ds.attrs["seed"]) == seed, n
        assert (folder / f"{n}.png").read_bytes()[:4] == b"\x89PNG"
    assert f"seed {seed}" in (folder / "report.html").read_text()


def reproduce(out: Path, seed: int, *extra, **env) -> subprocess.Popen:
    only = [a for n in EXPS for a in ("--only", n)]
    return start("reproduce", *only, "--agents", 5, "--seed", seed, "--out", out, *extra, **env)


@pytest.fixture(scope="module")
def old_set(tmp_path_factory) -> tuple[Path, dict]:
    """A complete earlier result set (seed 1), built once and copied by the tests."""
    out = tmp_path_factory.mktemp("old") / "r"
    rc, _, err = finish(reproduce(out, 1))
    assert rc == 0, err
    assert_consistent_set(out, 1)
    return out, snapshot(out)


def copy_of(old_set, tmp_path) -> Path:
    import shutil

    out = tmp_path / "r"
    shutil.copytree(old_set[0], out)
    assert snapshot(out) == old_set[1]
    return out


# ------------------------------------------------------------------ during the computation
@pytest.mark.parametrize("sig, code, word, delay, rerun", [(signal.SIGINT, 130, "interrupted (Ctrl-C)", 0.0, True),
                                                           (signal.SIGTERM, 143, "terminated (SIGTERM)", 1.5, False),
                                                           (signal.SIGINT, 130, "interrupted (Ctrl-C)", 3.0, False)])
def test_signal_during_computation_leaves_no_trace(tmp_path, sig, code, word, delay, rerun):
    """The bug: Ctrl-C 4-12 s into a run ended in a segmentation fault (rc -11), or was swallowed
    and the run finished with rc 0; SIGTERM left partial results and .tmp files."""
    out = tmp_path / "new" / "r"  # neither folder exists before the command
    p = start("run", "schultz1997", "--agents", 3000, "--out", out)
    wait_for(lambda: staging_has(out), p)  # checks done, lock taken: the simulation is under way
    time.sleep(delay)
    p.send_signal(sig)
    rc, stdout, err = finish(p)
    assert rc == code, (rc, err)
    line = one_line(err)
    assert line.startswith(f"mesolimbic: {word}") and "as it was before the command" in line
    assert "wrote" not in stdout
    assert not (tmp_path / "new").exists()  # the folders it created are gone with everything in them
    if not rerun:
        return
    rc, stdout, err = cli("run", "schultz1997", "--agents", 20, "--out", out)
    assert rc == 0, err
    assert sorted(os.listdir(out)) == ["schultz1997.nc", "schultz1997.png"]


def test_interrupted_fit_leaves_existing_folder_as_it_was(tmp_path):
    out = tmp_path / "f"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    before = snapshot(out)
    p = start("fit", HBAYESDM, "--task", "bandit2arm", "--model", "bandit2arm_delta", "--out", out,
              MESOLIMBIC_FAULT_PAUSE="staged:60")
    wait_for(lambda: staging_has(out, "diagnostics.json"), p)
    p.send_signal(signal.SIGTERM)
    rc, _, err = finish(p)
    assert rc == 143 and "terminated (SIGTERM)" in one_line(err)
    assert snapshot(out) == before


# ------------------------------------------------------------------ while writing, over an old set
@pytest.mark.parametrize("sig, code, point, staged, rerun", [
    (signal.SIGINT, 130, "write", "schultz1997.png", True), (signal.SIGTERM, 143, "staged", "report.html", False)])
def test_force_over_a_complete_set_interrupted_while_writing_keeps_the_old_set(old_set, tmp_path, sig, code,
                                                                                 point, staged, rerun):
    """The bug: reproduce --force interrupted while writing its second experiment deleted the old
    schultz1997.nc/.png, while the old report.html and summary.json still pointed at them."""
    out = copy_of(old_set, tmp_path)
    p = reproduce(out, 2, "--force", MESOLIMBIC_FAULT_PAUSE=f"{point}:60")
    wait_for(lambda: staging_has(out, staged), p)
    p.send_signal(sig)
    rc, _, err = finish(p)
    assert rc == code, err
    assert "as it was before the command" in one_line(err)
    assert snapshot(out) == old_set[1]  # byte for byte the old set, and nothing else
    if not rerun:
        return
    rc, _, err = finish(reproduce(out, 2, "--force"))  # and a re-run succeeds
    assert rc == 0, err
    assert_consistent_set(out, 2)


def test_signal_inside_the_commit_waits_for_the_complete_new_set(old_set, tmp_path):
    out = copy_of(old_set, tmp_path)
    p = reproduce(out, 3, "--force", MESOLIMBIC_FAULT_PAUSE="commit:3")
    wait_for(lambda: (out / JOURNAL_NAME).exists(), p)  # the first file has been moved in
    p.send_signal(signal.SIGTERM)
    rc, _, err = finish(p)
    assert rc == 143, err
    assert "the new outputs in" in one_line(err) and "are complete" in err
    assert_consistent_set(out, 3)


def test_kill_inside_the_commit_is_completed_by_the_next_command(old_set, tmp_path):
    """SIGKILL cannot be handled: the journal lets the next command finish the commit."""
    out = copy_of(old_set, tmp_path)
    p = reproduce(out, 4, "--force", MESOLIMBIC_FAULT_PAUSE="commit:60")
    wait_for(lambda: (out / JOURNAL_NAME).exists(), p)
    p.kill()
    p.communicate()
    assert (out / JOURNAL_NAME).exists() and staging_has(out)
    rc, _, err = finish(reproduce(out, 5))  # no --force: refuses, but first completes the commit
    assert rc == 2 and "output already exists" in one_line(err)
    assert_consistent_set(out, 4)  # the killed command's complete set, and no leftovers


# ------------------------------------------------------------------ two commands, one folder
@pytest.mark.parametrize("command", ["run", "fit"])
def test_two_commands_racing_for_one_folder(tmp_path, command):
    """The bug: two `run schultz1997 --out r` with different seeds both printed "wrote ..." and
    only one result survived (the same with fit). Both run under umask 027 here: the survivor's
    files must be 0640 (they were 0600 whatever the umask)."""
    out = tmp_path / "r"
    if command == "run":
        args = [["run", "schultz1997", "--agents", 20, "--out", out, "--seed", s] for s in (11, 12)]
    else:
        args = [["fit", HBAYESDM, "--task", "bandit2arm", "--model", "bandit2arm_delta", "--out", out,
                 "--method", m] for m in ("mle", "map")]
    # each holds the folder for at least 3 s before committing: the two always overlap
    procs = [start(*a, umask=0o027, MESOLIMBIC_FAULT_PAUSE="staged:3") for a in args]
    results = [finish(p) for p in procs]
    ok = [i for i, r in enumerate(results) if r[0] == 0]
    assert len(ok) == 1, results
    loser = results[1 - ok[0]]
    assert loser[0] == 2, loser
    line = one_line(loser[2])
    assert "is in use by another mesolimbic command" in line or "output already exists" in line
    assert "wrote" not in loser[1]
    if command == "run":
        assert sorted(os.listdir(out)) == ["schultz1997.nc", "schultz1997.png"]
        with xr.open_dataset(out / "schultz1997.nc", engine="h5netcdf") as ds:
            assert int(ds.attrs["seed"]) == (11, 12)[ok[0]]
    else:
        assert sorted(os.listdir(out)) == ["diagnostics.json", "params.csv", "ppc.png", "regressors.tsv"]
        assert json.loads((out / "diagnostics.json").read_text())["method"] == ("mle", "map")[ok[0]]
    for f in out.iterdir():
        assert f.stat().st_mode & 0o777 == 0o640, (f, oct(f.stat().st_mode))
    assert not (out / LOCK_NAME).exists()
