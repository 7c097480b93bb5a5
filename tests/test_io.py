"""OutputFolder: checks before work, exclusive lock, staging, all-or-nothing commit, journal
roll-forward, umask; the report written as one set; one-line CLI errors before any work."""

import json
import os
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mesolimbic.cli import app
from mesolimbic.io import (JOURNAL_NAME, LOCK_NAME, STAGING_PREFIX, OutputBusy, OutputFolder, dumps_json,
                           file_mode, json_safe)

runner = CliRunner()


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_commit_moves_the_whole_set_and_leaves_nothing_else(tmp_path):
    out = tmp_path / "a" / "b"
    with OutputFolder(out, ["x.txt", "y.txt"], force=False) as f:
        assert (out / LOCK_NAME).exists() and f.staging.parent == out
        f.path("x.txt").write_text("1")
        f.path("y.txt").write_text("2")
        assert listing(out) == sorted([LOCK_NAME, f.staging.name])  # nothing visible before the commit
        f.commit()
    assert listing(out) == ["x.txt", "y.txt"]
    assert (out / "x.txt").stat().st_mode & 0o777 == file_mode()


def test_an_error_before_the_commit_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "new" / "r"
    with pytest.raises(RuntimeError, match="boom"):
        with OutputFolder(out, ["x.txt"], force=False) as f:
            f.path("x.txt").write_text("half")
            raise RuntimeError("boom")
    assert not (tmp_path / "new").exists()  # the folders it created, removed
    old = tmp_path / "old"
    old.mkdir()
    (old / "x.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with OutputFolder(old, ["x.txt"], force=True) as f:
            f.path("x.txt").write_text("new")
            raise RuntimeError("boom")
    assert listing(old) == ["x.txt"] and (old / "x.txt").read_text() == "old"


def test_commit_refuses_a_missing_output(tmp_path):
    with OutputFolder(tmp_path / "r", ["x.txt", "y.txt"], force=False) as f:
        f.path("x.txt").write_text("1")
        with pytest.raises(RuntimeError, match=r"not written before commit: \['y.txt'\]"):
            f.commit()
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", ""])
def test_output_names_are_plain_file_names(tmp_path, name):
    with pytest.raises(ValueError, match="must be a plain file name"):
        OutputFolder(tmp_path, [name], force=False)


def test_existing_outputs_are_refused_before_any_work_unless_force(tmp_path):
    (tmp_path / "x.txt").write_text("old")
    with pytest.raises(FileExistsError, match=r"output already exists: .*x.txt \(use --force to overwrite\)"):
        OutputFolder(tmp_path, ["x.txt"], force=False).open()
    assert listing(tmp_path) == ["x.txt"]  # lock and staging gone again
    (tmp_path / "d.txt").mkdir()
    with pytest.raises(ValueError, match="d.txt is a folder"):
        OutputFolder(tmp_path, ["d.txt"], force=True).open()


def test_out_is_a_file_or_under_a_file(tmp_path):
    f = tmp_path / "f"
    f.write_text("")
    with pytest.raises(ValueError, match=r"^--out .*f is a file, not a folder$"):
        OutputFolder(f, ["x"], force=True).open()
    with pytest.raises(ValueError, match=r"^--out .*f/sub: .*f is a file, not a folder$"):
        OutputFolder(f / "sub", ["x"], force=True).open()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_refused_before_any_work(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(ValueError, match=r"cannot write to --out .*ro"):
            OutputFolder(ro, ["x"], force=True).open()
    finally:
        ro.chmod(0o755)


def test_unwritable_folder_is_refused(tmp_path, monkeypatch):
    """The same path as a read-only folder, for when the tests run as root."""
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(ValueError, match=r"^cannot write to --out .*: permission denied$"):
        OutputFolder(tmp_path / "r", ["x"], force=True).open()
    assert not (tmp_path / "r").exists()


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(tmp_path):
    first = OutputFolder(tmp_path, ["x.txt"], force=True).open()
    try:
        with pytest.raises(OutputBusy, match=rf"in use by another mesolimbic command \(pid {os.getpid()}\)"):
            OutputFolder(tmp_path, ["y.txt"], force=True).open()
    finally:
        first.close()
    assert listing(tmp_path) == []  # lock file removed with the lock
    with OutputFolder(tmp_path, ["y.txt"], force=True) as second:  # free again
        second.path("y.txt").write_text("ok")
        second.commit()
    assert listing(tmp_path) == ["y.txt"]


def test_many_threads_racing_exactly_one_wins(tmp_path):
    barrier = threading.Barrier(8)
    results = []

    def worker(i):
        barrier.wait()
        try:
            with OutputFolder(tmp_path / "r", ["x.txt"], force=False) as f:
                f.path("x.txt").write_text(str(i))
                barrier_after.wait(timeout=5)
                f.commit()
                results.append(("ok", i))
        except (OutputBusy, FileExistsError) as e:
            results.append(("refused", str(e)))
            barrier_after.wait(timeout=5)

    barrier_after = threading.Barrier(8)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r[0] == "ok"]
    assert len(winners) == 1 and len(results) == 8
    assert (tmp_path / "r" / "x.txt").read_text() == str(winners[0][1])
    assert listing(tmp_path / "r") == ["x.txt"]


def test_journal_left_by_a_killed_commit_is_completed_on_the_next_open(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    for n in ("a.nc", "summary.json"):
        (out / n).write_text("old")
    staging = out / (STAGING_PREFIX + "dead")
    staging.mkdir()
    (staging / "summary.json").write_text("new")  # a.nc had already been moved in when it died
    (out / "a.nc").write_text("new")
    (out / JOURNAL_NAME).write_text(json.dumps({"staging": staging.name, "names": ["a.nc", "summary.json"]}))
    (out / (STAGING_PREFIX + "other")).mkdir()  # a dead run's staging folder without a journal
    with pytest.raises(FileExistsError):
        OutputFolder(out, ["a.nc"], force=False).open()
    assert listing(out) == ["a.nc", "summary.json"]
    assert (out / "a.nc").read_text() == (out / "summary.json").read_text() == "new"


def test_json_is_strict_with_null_for_what_was_not_computed():
    import numpy as np

    text = dumps_json({"r_hat": float("nan"), "ess": np.float32(np.inf), "n": np.int64(3),
                       "v": np.array([1.0, np.nan]), "p": Path("a")})
    assert json.loads(text) == {"r_hat": None, "ess": None, "n": 3, "v": [1.0, None], "p": "a"}
    assert "NaN" not in text and "Infinity" not in text
    assert json_safe({1: (2.5,)}) == {"1": [2.5]}


# ------------------------------------------------------------------ the report as one set
def test_write_report_failing_halfway_keeps_the_old_set(tmp_path, monkeypatch):
    from mesolimbic import report

    runs = report.run_suite(["rw_acquisition_extinction", "kamin1969_blocking"], n_agents=3, seed=0)
    out = tmp_path / "r"
    report.write_report(runs, out, 0)
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(old) == sorted(report.output_names([r.experiment.name for r in runs]))
    calls = []

    def failing(ds, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(ds, path)

    real = report.save_netcdf
    monkeypatch.setattr(report, "save_netcdf", failing)
    with pytest.raises(OSError, match="disk full"):
        report.write_report(runs, out, 7)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old


# ------------------------------------------------------------------ the command line, before any work
class _NoRun:
    name = "schultz1997"
    default_agents = 5
    citation = ""

    def missing(self):
        return None

    def run(self, **kw):
        raise AssertionError("the experiment ran before the output folder was checked")


@pytest.mark.parametrize("make", ["file", "under_file", "busy"])
def test_run_checks_the_output_folder_before_any_work(tmp_path, monkeypatch, make):
    import mesolimbic.experiments as experiments

    monkeypatch.setattr(experiments, "get", lambda name: _NoRun())
    target = tmp_path / "out"
    holder = None
    if make == "file":
        target.write_text("")
        expect = "is a file, not a folder"
    elif make == "under_file":
        target.write_text("")
        target = target / "sub"
        expect = "is a file, not a folder"
    else:
        holder = OutputFolder(target, ["other"], force=True).open()
        expect = "is in use by another mesolimbic command"
    try:
        res = runner.invoke(app, ["run", "schultz1997", "--out", str(target)])
    finally:
        if holder:
            holder.close()
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and expect in lines[0] and "--out" in lines[0] and ".tmp" not in lines[0]


@pytest.mark.parametrize("args", [
    ["run", "schultz1997", "--seed", "-1"],
    ["reproduce", "--only", "schultz1997", "--seed", "-1"],
    ["fit", "x.txt", "--task", "bandit2arm", "--model", "bandit2arm_delta", "--seed", "-1"],
    ["recover", "--model", "bandit2arm_delta", "--seed", "-1"],
])
def test_negative_seed_names_the_option(tmp_path, args):
    """The bug: --seed -1 on fit/recover said "expected non-negative integer" without the option."""
    res = runner.invoke(app, args + ["--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--seed must be a non-negative integer" in lines[0] and "-1" in lines[0]
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("option", ["--chains", "--warmup", "--draws"])
def test_sampler_counts_name_the_option(tmp_path, option):
    res = runner.invoke(app, ["fit", "x.txt", "--task", "bandit2arm", "--model", "bandit2arm_delta",
                              "--method", "hierarchical", option, "0", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and f"{option} must be >= 1, got 0" in res.output


def test_replaced_files_of_an_earlier_run_go_with_the_commit(tmp_path):
    """An MLE fit with --force over a hierarchical one must not leave the old posterior.nc beside
    the new diagnostics.json."""
    (tmp_path / "posterior.nc").write_text("old")
    with pytest.raises(FileExistsError, match="posterior.nc"):
        OutputFolder(tmp_path, ["params.csv"], force=False, replaces=["posterior.nc"]).open()
    with OutputFolder(tmp_path, ["params.csv"], force=True, replaces=["posterior.nc"]) as f:
        f.path("params.csv").write_text("new")
        assert (tmp_path / "posterior.nc").exists()  # until the commit
        f.commit()
    assert listing(tmp_path) == ["params.csv"]


def test_without_flock_the_lock_file_is_created_or_failed_atomically(tmp_path, monkeypatch):
    import mesolimbic.io as mio

    monkeypatch.setattr(mio, "fcntl", None)
    first = OutputFolder(tmp_path, ["x.txt"], force=True).open()
    try:
        with pytest.raises(OutputBusy, match=rf"in use by another mesolimbic command \(pid {os.getpid()}\); .*remove"):
            OutputFolder(tmp_path, ["x.txt"], force=True).open()
        first.path("x.txt").write_text("1")
        first.commit()
    finally:
        first.close()
    assert listing(tmp_path) == ["x.txt"]
