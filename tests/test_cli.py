"""The command line: list, run, one-line errors, atomic outputs, --force."""

import xarray as xr
from typer.testing import CliRunner

from mesolimbic.cli import app

runner = CliRunner()


def test_list():
    res = runner.invoke(app, ["list"])
    assert res.exit_code == 0
    assert "schultz1997" in res.stdout and "Science" in res.stdout


def test_run_writes_both_files_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "res"
    res = runner.invoke(app, ["run", "schultz1997", "--out", str(out), "--agents", "60"])
    assert res.exit_code == 0, res.output
    assert (out / "schultz1997.nc").exists() and (out / "schultz1997.png").exists()
    assert "PASS" in res.stdout
    ds = xr.open_dataset(out / "schultz1997.nc")
    assert set(ds.condition.values) == {"reward_unpredicted", "reward_predicted", "reward_omitted"}
    ds.close()
    before = (out / "schultz1997.nc").stat().st_mtime_ns
    res = runner.invoke(app, ["run", "schultz1997", "--out", str(out), "--agents", "60"])
    assert res.exit_code != 0 and "--force" in res.output
    assert (out / "schultz1997.nc").stat().st_mtime_ns == before
    res = runner.invoke(app, ["run", "schultz1997", "--out", str(out), "--agents", "60", "--force"])
    assert res.exit_code == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_unknown_experiment_one_line_no_output(tmp_path):
    out = tmp_path / "res"
    res = runner.invoke(app, ["run", "schultz1999", "--out", str(out)])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "unknown experiment 'schultz1999'" in lines[0] and "schultz1997" in lines[0]
    assert not out.exists()


def test_bad_agents(tmp_path):
    res = runner.invoke(app, ["run", "schultz1997", "--out", str(tmp_path), "--agents", "0"])
    assert res.exit_code == 2 and "--agents must be >= 1, got 0" in res.output
    assert not list(tmp_path.iterdir())


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    import pytest

    from mesolimbic.io import atomic_path

    target = tmp_path / "x.nc"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert not list(tmp_path.iterdir())
