"""What users see at the command line and in the ecosystem: did-you-mean, comma lists, the models
listing, the task inferred from the model, Gymnasium ids, BIDS events files, Phase's default order."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mesolimbic.cli import app

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "hbayesdm"


def test_mistyped_names_get_did_you_mean_on_one_line(tmp_path):
    r = runner.invoke(app, ["run", "schulz1997", "--out", str(tmp_path / "a")])
    assert r.exit_code == 2 and "did you mean 'schultz1997'" in r.output
    assert len(r.output.strip().splitlines()) == 1
    r = runner.invoke(app, ["fit", str(DATA / "bandit2arm_exampleData.txt"), "--model", "bandit2arm_delt",
                            "--out", str(tmp_path / "b")])
    assert r.exit_code == 2 and "did you mean 'bandit2arm_delta'" in r.output
    r = runner.invoke(app, ["reproduce", "--only", "zzzz", "--out", str(tmp_path / "c")])
    assert r.exit_code == 2 and "unknown experiment 'zzzz'" in r.output and "did you mean" not in r.output


def test_only_takes_a_comma_separated_list(tmp_path):
    r = runner.invoke(app, ["reproduce", "--only", "kamin1969_blocking,overshadowing", "--agents", "5",
                            "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert list(summary["experiments"]) == ["kamin1969_blocking", "overshadowing"]


def test_models_lists_parameters_ranges_and_tasks():
    r = runner.invoke(app, ["models", "--task", "prl"])
    assert r.exit_code == 0
    assert "prl_rp (prl): alpha_pos (0, 1] (hBayesDM Arew in [0, 1])" in r.output
    assert "bandit2arm_delta" not in r.output
    r = runner.invoke(app, ["models", "--task", "banditt"])
    assert r.exit_code == 2 and "unknown task 'banditt'" in r.output


def test_fit_infers_the_task_from_the_model(tmp_path):
    path = str(DATA / "bandit2arm_exampleData.txt")
    r = runner.invoke(app, ["fit", path, "--model", "bandit2arm_delta", "--out", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    params = pd.read_csv(tmp_path / "a" / "params.csv")
    assert len(params) == 20 and params["alpha"].between(0, 1).all()
    r = runner.invoke(app, ["fit", path, "--model", "bandit2arm_delta", "--task", "gng", "--out", str(tmp_path / "b")])
    assert r.exit_code == 2 and "does not match model 'bandit2arm_delta'" in r.output


def test_gymnasium_ids_are_registered():
    import gymnasium as gym

    import mesolimbic.envs as envs

    for env_id in envs.ENV_IDS:
        env = gym.make(env_id)
        assert env.spec.id == env_id
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
    fi = gym.make("mesolimbic/Schedule-v0", kind="FI", value=10, n_steps=30)
    assert fi.unwrapped.task.kind == "FI" and fi.spec.kwargs["value"] == 10


def test_bids_events_one_file_per_subject_with_a_sidecar(tmp_path):
    from mesolimbic.fitting import events, fit_mle, load_choices, regressors, write_bids_events

    data = load_choices(DATA / "bandit2arm_exampleData.txt", "bandit2arm")
    reg = regressors("bandit2arm_delta", fit_mle(data, "bandit2arm_delta", n_starts=1).params, data)
    ev = events(reg, np.arange(len(reg)) * 3.0 % 300.0, names=("rpe", "p_choice"))
    paths = write_bids_events(ev, tmp_path, "bandit", {"rpe": "reward prediction error"})
    tsvs = sorted(tmp_path.glob("sub-*/func/sub-*_task-bandit_events.tsv"))
    assert len(tsvs) == data.n_subjects and len(paths) == data.n_subjects + 1
    one = pd.read_csv(tsvs[0], sep="\t")
    assert list(one.columns) == ["onset", "duration", "trial_type", "modulation"]
    assert set(one.trial_type) == {"rpe", "p_choice"} and len(one) == 2 * 100
    sidecar = json.loads((tmp_path / "task-bandit_events.json").read_text())
    assert sidecar["onset"]["Units"] == "s" and sidecar["trial_type"]["Levels"]["rpe"] == "reward prediction error"
    with pytest.raises(ValueError, match="needs columns"):
        write_bids_events(reg, tmp_path, "bandit")


def test_phase_default_order_warns_where_it_matters():
    import mesolimbic as ml

    with pytest.warns(UserWarning, match="from_notation interleaves"):
        p = ml.Phase("mixed", {"A+": 2, "B-": 2})
    assert p.order == "sequential"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ml.Phase("one", {"A+": 2}).order == "sequential"
        assert ml.Phase("mixed", {"A+": 2, "B-": 2}, order="random").order == "random"


def test_help_does_not_import_the_numerical_stack():
    """`mesolimbic --help` must answer fast (issue 17: 3.7 s when it imported JAX): the command
    line imports no JAX, NumPyro, xarray or matplotlib until a command runs. Checked in a fresh
    interpreter by what --help and every subcommand's --help leave in sys.modules (not by time)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from typer.testing import CliRunner\n"
            "from mesolimbic.cli import app\n"
            "r = CliRunner()\n"
            "names = [c.name or c.callback.__name__.replace('_', '-') for c in app.registered_commands]\n"
            "for args in [['--help']] + [[n, '--help'] for n in names]:\n"
            "    res = r.invoke(app, args)\n"
            "    assert res.exit_code == 0, (args, res.output)\n"
            "heavy = sorted(m for m in ('jax', 'numpyro', 'xarray', 'matplotlib', 'torch', 'dask', 'dash')\n"
            "               if m in sys.modules)\n"
            "print(len(names), heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    n, heavy = out.stdout.split(" ", 1)
    assert int(n) >= 8 and heavy.strip() == "[]", out.stdout
