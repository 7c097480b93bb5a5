"""Sharded sweeps in this process: blocks of parameter sets and agents give the serial numbers.

(The same on a real Dask cluster, with a worker killed mid-run: tests/test_cluster.py.)
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import mesolimbic as ml
from mesolimbic.session import Session, noise_draws
from mesolimbic.tasks.pavlovian import CompiledDesign

pytest.importorskip("zarr")
pytest.importorskip("dask")


def _design():
    return ml.PavlovianDesign(
        trial_types=[ml.TrialType("p", cues=["A"], us_time=1.0, probability=0.7),
                     ml.TrialType("o", cues=["B"], us_time=1.0, probability=0.0),
                     ml.TrialType("f", cues=[], us_time=0.4)],
        phases=[ml.Phase("t", {"p": 12, "o": 4}, order="random"), ml.Phase("m", {"f": 2}),
                ml.Phase("q", {"p": 4, "o": 4, "f": 1}, order="random")],
        dt=0.2, window=(-0.4, 1.4), iti=(2.0, 5.0))


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_a_block_of_agents_draws_the_rows_of_the_full_draw(monkeypatch, chunk):
    monkeypatch.setattr(CompiledDesign, "SAMPLE_CHUNK", chunk)
    c = _design().compile()
    full = c.sample_trials(11, 23)
    for block in [(0, 23), (0, 1), (5, 16), (22, 23), (7, 8)]:
        part = c.sample_trials(11, 23, block)
        for f, p in zip(full, part):
            assert p.dtype == f.dtype and np.array_equal(f[block[0]:block[1]], p)
    names = ("z", "w")
    full = noise_draws(3, 23, 9, names)
    for block in [(0, 4), (4, 23), (13, 14)]:
        part = noise_draws(3, 23, 9, names, block)
        assert all(np.array_equal(full[k][block[0]:block[1]], part[k]) for k in names)


def _same(full: xr.Dataset, part: xr.Dataset, block, exact=True) -> None:
    sl = slice(*block)
    assert np.array_equal(full.agent.values[sl], part.agent.values)
    for v in full.data_vars:
        a = full[v].isel(agent=sl) if "agent" in full[v].dims else full[v]
        if exact or a.dtype.kind != "f":
            assert np.array_equal(a.values, part[v].values, equal_nan=a.dtype.kind == "f"), v
        else:  # float32 rounding of the affine engine's matrix product of another width
            np.testing.assert_allclose(part[v].values, a.values, rtol=1e-5, atol=1e-6, err_msg=v)


@pytest.mark.parametrize("engine", ["step", "affine"])
def test_session_agents_is_the_slice_of_the_full_run(engine):
    P = {"alpha": [0.1, 0.3], "lam": 0.5}
    full = ml.simulate(_design(), ml.TD(), P, n_agents=23, seed=3, engine=engine)
    for block in [(0, 8), (8, 16), (15, 23)]:  # one size: one compilation
        part = Session(_design(), ml.TD()).simulate(P, n_agents=23, seed=3, engine=engine, agents=block)
        assert part.attrs["agent_block"] == json.dumps(list(block))
        _same(full, part, block, exact=engine == "step")


def test_choice_agents_take_their_keys():
    from mesolimbic.tasks.bandit import reversal_learning

    P = {"alpha": [0.1, 0.5], "beta": 3.0}
    full = Session(reversal_learning(), ml.models.DeltaRule()).simulate(P, n_agents=11, seed=5)
    for block in [(0, 4), (4, 8), (7, 11)]:
        _same(full, Session(reversal_learning(), ml.models.DeltaRule()).simulate(P, n_agents=11, seed=5,
                                                                                   agents=block), block)
    with pytest.raises(ValueError, match="agents must satisfy 0 <= start < stop <= 11"):
        Session(reversal_learning(), ml.models.DeltaRule()).simulate(P, n_agents=11, agents=(4, 12))


SWEEP = ml.sweep(alpha=np.linspace(0.05, 0.5, 9), lam=[0.0, 0.9])


@pytest.mark.parametrize("kw", [{"shard": {"param_set": 4}}, {"shard": {"param_set": 5, "agent": 3}, "engine": "step"},
                                {"store": True, "shard": {"param_set": 7}},
                                {"store": True, "shard": {"param_set": 3, "agent": 2}, "engine": "step"}])
def test_a_sharded_sweep_is_the_serial_dataset(tmp_path, kw):
    kw = dict(kw)
    engine = kw.pop("engine", "auto")
    if kw.pop("store", False):
        kw["store"] = tmp_path / "s.zarr"
    serial = ml.simulate(_design(), ml.TD(), SWEEP, n_agents=7, seed=3, engine=engine)
    got = ml.simulate(_design(), ml.TD(), SWEEP, n_agents=7, seed=3, engine=engine, **kw)
    if "store" in kw:
        import dask.array as da

        assert isinstance(got.rpe.data, da.Array)  # lazy
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr"]  # no staging left
    xr.testing.assert_identical(serial, got.load())


def test_a_sharded_choice_sweep_is_the_serial_dataset(tmp_path):
    from mesolimbic.instrumental import simulate_choices
    from mesolimbic.tasks.bandit import reversal_learning

    P = {"alpha": np.linspace(0.1, 0.9, 5), "beta": 3.0}
    task = reversal_learning(n_trials=40)
    serial = simulate_choices(task, ml.models.DeltaRule(), P, n_agents=5, seed=2, record=("trials", "state"))
    got = simulate_choices(task, ml.models.DeltaRule(), P, n_agents=5, seed=2, record=("trials", "state"),
                           store=tmp_path / "c.zarr", shard={"param_set": 2, "agent": 2})
    xr.testing.assert_identical(serial, got.load())


def test_a_shard_that_raises_is_named_and_the_others_are_kept(tmp_path, monkeypatch):
    from mesolimbic import sweeps
    from mesolimbic.cluster import TasksFailed

    real = sweeps._simulate_block

    def flaky(*args):
        if args[9][0] == 4:  # the block of parameter sets 4-7
            raise FloatingPointError("boom")
        return real(*args)

    monkeypatch.setattr(sweeps, "_simulate_block", flaky)
    store = tmp_path / "s.zarr"
    with pytest.raises(TasksFailed) as info:
        ml.simulate(_design(), ml.TD(), SWEEP, n_agents=3, seed=3, store=store, shard={"param_set": 4})
    msg = str(info.value)
    assert msg.startswith("1 of 5 tasks failed: parameter sets 4-7 (alpha 0.1625..0.21875, lam 0..0.9) "
                          "(FloatingPointError: boom)"), msg
    assert f"the other shards' results are in {store}.incomplete" in msg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr.incomplete"]  # no store, no staging
    kept = xr.open_zarr(tmp_path / "s.zarr.incomplete")
    assert json.loads(kept.attrs["incomplete"])[0]["shard"].startswith("parameter sets 4-7")
    serial = ml.simulate(_design(), ml.TD(), SWEEP, n_agents=3, seed=3)
    ok = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
    xr.testing.assert_equal(serial.rpe.isel(param_set=ok), kept.rpe.isel(param_set=ok).load())


def test_an_existing_store_is_refused(tmp_path):
    (tmp_path / "s.zarr").mkdir()
    with pytest.raises(FileExistsError, match="already exists"):
        ml.simulate(_design(), ml.TD(), SWEEP, n_agents=2, store=tmp_path / "s.zarr")


def test_shards_are_sized_to_the_budget():
    from mesolimbic.sweeps import plan_shards

    sess = Session(_design(), ml.TD())
    one = 3 * sess.result_bytes(1, 100)
    plan = plan_shards(sess, 1000, 100, None, "float32", budget=10 * one)
    assert plan.ab == 100 and 3 * sess.result_bytes(plan.pb, 100) <= 10 * one < 3 * sess.result_bytes(plan.pb + 1, 100)
    assert plan_shards(sess, 1000, 100, None, "float32", budget=10 * one, n_workers=8).pb == plan.pb
    assert plan_shards(sess, 1000, 100, None, "float32", budget=10 * one, n_workers=100).pb == 3  # 4 per worker
    plan = plan_shards(sess, 5, 100, None, "float32", budget=one // 4)  # one parameter set is too big
    assert plan.pb == 1 and plan.ab < 100 and 3 * sess.result_bytes(1, plan.ab) <= one // 4
    assert plan.n_shards == 5 * -(-100 // plan.ab)
    with pytest.raises(ValueError, match="'param_set' and 'agent'"):
        plan_shards(sess, 5, 5, None, "float32", shard={"trial": 2})
