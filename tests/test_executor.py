"""The executor setting without a cluster: in-process tasks, failures named and the others kept,
reproduce's report with a failed experiment, several fits, recovery in blocks.

(The same on a real Dask cluster: tests/test_cluster.py.)"""

from __future__ import annotations

import json
import operator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mesolimbic.cluster import InProcess, Task, TasksFailed, check_workers, executor

HBAYESDM = Path(__file__).parent / "data" / "hbayesdm" / "bandit2arm_exampleData.txt"


def test_in_process_runs_tasks_in_order_and_keeps_the_others():
    seen, started, progress = [], [], []
    results, failures = InProcess().run(
        [Task("a", "task a", operator.add, (1, 2)), Task("b", "experiment b", operator.truediv, (1, 0)),
         Task("c", "task c", operator.mul, (2, 3))],
        on_result=lambda t, v: seen.append((t.key, v)), on_start=lambda t: started.append(t.key),
        on_progress=lambda i, n, label: progress.append((i, n, label)))
    assert results == {"a": 3, "c": 6} and seen == [("a", 3), ("c", 6)] and started == ["a", "b", "c"]
    assert [str(f) for f in failures] == ["experiment b (ZeroDivisionError: division by zero)"]
    assert progress == [(1, 3, "task a"), (2, 3, "experiment b"), (3, 3, "task c")]
    assert str(TasksFailed(failures, 3)) == "1 of 3 tasks failed: experiment b (ZeroDivisionError: division by zero)"
    with pytest.raises(ValueError, match="unique"):
        InProcess().run([Task("a", "", abs, (1,)), Task("a", "", abs, (2,))])


def test_executor_resolution_and_checks():
    assert isinstance(executor(), InProcess)
    ex = InProcess()
    assert executor(ex) is ex
    for bad in (0, -1, True, 1.5, "2"):
        with pytest.raises(ValueError, match="--workers must be a number of worker processes >= 1"):
            check_workers(bad)
    with pytest.raises(ValueError, match="not both"):
        executor(scheduler="tcp://127.0.0.1:1", workers=2)
    with pytest.raises(ValueError, match="client must be a distributed.Client or a scheduler address"):
        executor(object())


def test_a_failed_experiment_is_reported_and_its_old_files_removed(tmp_path, monkeypatch):
    from mesolimbic.experiments import registry
    from mesolimbic.io import OutputFolder
    from mesolimbic.report import finish_report, output_names, run_suite, stage_run, write_report

    chosen = ["rw_acquisition_extinction", "kamin1969_blocking"]
    out = tmp_path / "r"
    write_report(run_suite(chosen, n_agents=3), out, 0)  # an earlier complete set
    bad = registry.get("kamin1969_blocking")

    def broken(n_agents=200, seed=0):
        raise FloatingPointError("the model diverged")

    monkeypatch.setitem(registry._REGISTRY, bad.name, registry.Experiment(**{**bad.__dict__, "run": broken}))
    with OutputFolder(out, output_names(chosen), force=True) as folder:
        staged = []
        runs = run_suite(chosen, n_agents=3, on_result=lambda r: (stage_run(folder, r, not staged), staged.append(1)))
        assert [r.experiment.name for r in runs] == ["rw_acquisition_extinction"]
        assert runs.failed == {"kamin1969_blocking": "FloatingPointError: the model diverged"}
        finish_report(runs, folder, 0)
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "rw_acquisition_extinction.nc",
                                                     "rw_acquisition_extinction.png", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["failed"] == {"kamin1969_blocking": "FloatingPointError: the model diverged"}
    assert summary["ok"] is False and list(summary["experiments"]) == ["rw_acquisition_extinction"]
    assert "kamin1969_blocking (failed: FloatingPointError: the model diverged)" in (out / "report.html").read_text()


def test_recovery_blocks_overlap_at_the_end():
    from mesolimbic.fitting.recovery import _blocks

    assert _blocks(20, 8) == [(0, 8, 0), (8, 16, 8), (12, 20, 16)]  # every block 8 subjects: one compilation
    assert _blocks(5, None) == [(0, 5, 0)] and _blocks(5, 50) == [(0, 5, 0)]
    assert _blocks(120, None) == [(0, 50, 0), (50, 100, 50), (70, 120, 100)]


def test_several_fits_equal_the_single_fits_and_are_written(tmp_path):
    from mesolimbic.fitting import fit_mle, load_choices
    from mesolimbic.fitting.many import fit_many
    from test_faults import cli

    table = pd.read_csv(HBAYESDM, sep="\t")
    small = tmp_path / "first4.tsv"
    table[table.subjID <= 4].to_csv(small, sep="\t", index=False)
    res = fit_many({"all": load_choices(HBAYESDM, "bandit2arm"), "first4": load_choices(small, "bandit2arm")},
                   ["bandit2arm_delta", "bandit2arm_delta_stick"], seed=2)
    alone = fit_mle(load_choices(small, "bandit2arm"), "bandit2arm_delta", seed=2)
    got = res.fits[("first4", "bandit2arm_delta")]
    assert np.array_equal(got.params["alpha"], alone.params["alpha"]) and np.array_equal(got.loglik, alone.loglik)
    t = res.table()
    assert len(t) == 2 * (20 + 4) and list(t.columns[:3]) == ["dataset", "model", "subjID"]
    c = res.comparison()
    assert list(c["model"]) == ["bandit2arm_delta", "bandit2arm_delta_stick"] * 2
    assert np.allclose(c.groupby("dataset")["bms_expected_frequency"].sum(), 1.0)
    with pytest.raises(ValueError, match="method must be one of mle, map, approx"):
        fit_many({"a": alone.data}, ["bandit2arm_delta"], method="hierarchical")
    with pytest.raises(ValueError, match="fits 'prl' data; dataset 'a' is 'bandit2arm' data"):
        fit_many({"a": alone.data}, ["prl_rp"])
    # the command: two files, two models, one set of outputs
    out = tmp_path / "fits"
    rc, stdout, err = cli("fit", HBAYESDM, small, "--model", "bandit2arm_delta,bandit2arm_delta_stick", "--seed", 2,
                          "--out", out)
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "fits.csv", "fits.json"]
    summary = json.loads((out / "fits.json").read_text())
    assert summary["failed"] == [] and len(summary["fits"]) == 4
    written = pd.read_csv(out / "fits.csv")
    row = written[(written.dataset == str(small)) & (written.model == "bandit2arm_delta")]
    assert np.allclose(row["alpha"], alone.params["alpha"], rtol=0, atol=1e-12)
    rc, _, err = cli("fit", HBAYESDM, small, "--model", "bandit2arm_delta", "--method", "hierarchical",
                     "--out", tmp_path / "h")
    assert rc == 2 and "--method must be mle, map or approx to fit several files or models" in err
    rc, _, err = cli("fit", HBAYESDM, "--model", "bandit2arm_delta", "--workers", 2, "--out", tmp_path / "w")
    assert rc == 2 and "one model fitted to one file runs in this process" in err
