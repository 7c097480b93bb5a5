"""Recordings to parameters (issue 22): reading NWB and tidy tables, the observation models'
likelihoods against hand computation, recovery, model comparison, the fMRI GLM, the CLI."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mesolimbic.neural import fit_neural, read_nwb, read_table, simulate_recordings, to_table, write_nwb
from mesolimbic.neural.fit import compare_models, session_loglik_function
from mesolimbic.neural.io import NeuralData
from mesolimbic.neural.observation import firing_rate_jax, kernel_matrix
from mesolimbic.neural.recovery import parameter_recovery, sample_parameters
from mesolimbic.tasks.pavlovian import Phase, PavlovianDesign, TrialType
from datetime import UTC

pynwb = pytest.importorskip("pynwb")


def tiny_design():
    # two steps: CS at t = 0, US at t = 0.5 (the cue stays on to the window's end)
    return PavlovianDesign([TrialType("A+", cues=["A"], us_time=0.5)], [Phase("p", {"A+": 2})], dt=0.5,
                           window=(0.0, 1.0))


def tiny_data(readout, signal):
    d = tiny_design()
    return NeuralData(d, readout, np.array(["s1"], object), np.zeros((1, 2), np.int32), np.ones((1, 2), np.float32),
                      np.asarray(signal, float)[None], np.ones((1, 2), bool))


A, G = 0.3, 0.8


def hand_rpe():
    # trial 1: delta = [0, 1] (w[A@0] <- alpha); trial 2: CS step gamma*alpha, US step 1 - alpha
    return np.array([[0.0, 1.0], [G * A, 1.0 - A]])


def test_photometry_likelihood_by_hand():
    y = np.array([[0.1, 1.3], [0.4, 0.9]])
    data = tiny_data("photometry", y)
    names, f = session_loglik_function(data, "td0", kernel=(0.0, 0.5))
    assert names == ("alpha", "gamma", "gain", "offset", "sigma")
    gain, off, sd = 1.5, 0.2, 0.3
    ll = float(f(jnp.asarray([[A, G, gain, off, sd]], jnp.float32))[0])
    h = np.array([1.0, math.exp(-1.0)])  # rise 0, decay 0.5 s, dt 0.5 s
    d = hand_rpe()
    mu = off + gain * np.stack([d[:, 0] * h[0], d[:, 1] * h[0] + d[:, 0] * h[1]], 1)
    assert ll == pytest.approx(stats.norm.logpdf(y, mu, sd).sum(), rel=1e-5)


def test_spikes_likelihood_by_hand():
    n = np.array([[0.0, 4.0], [2.0, 1.0]])
    data = tiny_data("spikes", n)
    _, f = session_loglik_function(data, "td0", latency=0.0)
    base, gain = 4.0, 20.0
    ll = float(f(jnp.asarray([[A, G, base, gain]], jnp.float32))[0])
    d = hand_rpe()
    rate = np.maximum(0.1, base + gain * np.maximum(d, 0) - 0.2 * gain * np.maximum(-d, 0))
    assert ll == pytest.approx(stats.poisson.logpmf(n, rate * 0.5).sum(), rel=1e-5)


def test_behaviour_likelihood_by_hand():
    data = NeuralData(tiny_design(), "behaviour", np.array(["s1"], object), np.zeros((1, 2), np.int32),
                      np.ones((1, 2), np.float32), np.array([[[0.0], [1.0]]]), np.ones((1, 2), bool))
    _, f = session_loglik_function(data, "td0")
    ll = float(f(jnp.asarray([[A, G, -1.0, 3.0]], jnp.float32))[0])
    vbar = np.array([0.0, A])  # value at the CS step (the CS-US interval is that one step)
    p = 1 / (1 + np.exp(-(-1.0 + 3.0 * vbar)))
    assert ll == pytest.approx(np.log(1 - p[0]) + np.log(p[1]), rel=1e-5)


def test_rw_on_the_grid_by_hand():
    y = np.array([[0.0, 1.0], [0.5, 0.5]])
    data = tiny_data("photometry", y)
    _, f = session_loglik_function(data, "rw", kernel=(0.0, 0.5))
    # RW with alpha 0.5: V = 0 then 0.5; CS response V, US response 1 - V; gain 1, offset 0
    ll = float(f(jnp.asarray([[0.5, 1.0, 0.0, 1.0]], jnp.float32))[0])
    d = np.array([[0.0, 1.0], [0.5, 0.5]])
    h1 = math.exp(-1.0)
    mu = np.stack([d[:, 0], d[:, 1] + h1 * d[:, 0]], 1)
    assert ll == pytest.approx(stats.norm.logpdf(y, mu, 1.0).sum(), rel=1e-5)


def test_firing_rate_matches_the_readout():
    import xarray as xr

    from mesolimbic.neurons import firing_rate

    rpe = np.linspace(-1, 1, 12).reshape(2, 6)
    da = xr.DataArray(rpe, dims=("trial", "time"), coords={"time": np.arange(6) * 0.1})
    ref = firing_rate(da, baseline=4.0, gain_positive=20.0, gain_negative=4.0, latency=0.1).values
    got = np.asarray(firing_rate_jax(jnp.asarray(rpe), 4.0, 20.0, 1))
    assert np.allclose(np.maximum(ref, 0.1), got, atol=1e-5)


def test_kernel_peak_is_one():
    K = kernel_matrix(40, 0.01, 0.05, 0.5)
    assert K[:, 0].max() == pytest.approx(1.0, abs=2e-3)
    assert np.allclose(np.triu(K, 1), 0)


def small_design(n=60):
    return PavlovianDesign([TrialType("CS+", cues=["A"], us_time=1.0, probability=0.8),
                            TrialType("CS-", cues=["B"], us_time=1.0, probability=0.0),
                            TrialType("free", us_time=1.0)],
                           [Phase("s", {"CS+": n * 7 // 10, "CS-": n * 2 // 10, "free": n // 10}, "random")],
                           dt=0.2, window=(-0.4, 1.6))


@pytest.mark.parametrize("readout", ["photometry", "spikes", "behaviour"])
def test_nwb_round_trip(tmp_path, readout):
    d = small_design(20)
    truth = sample_parameters("td0", readout, 3, seed=1)
    data = simulate_recordings(d, "td0", truth, readout, seed=1)
    paths = write_nwb(data, tmp_path)
    assert len(paths) == 3 and all(p.exists() for p in paths)
    back = read_nwb(tmp_path, readout, design=d)
    S = back.signal.shape[-1]
    assert back.n_subjects == (3 if readout != "spikes" else 3)
    assert np.array_equal(back.trial_type, data.trial_type)
    assert np.allclose(back.reward, data.reward)
    assert np.allclose(back.cs_time, data.cs_time)
    assert np.allclose(back.signal, data.signal.reshape(back.signal.shape[:2] + (S,)), atol=1e-9)
    if readout == "spikes":
        assert [str(s) for s in back.subjects] == ["sub01/unit0", "sub02/unit0", "sub03/unit0"]
    if readout == "photometry":
        with pynwb.NWBHDF5IO(str(paths[0]), "r") as io:
            assert type(io.read().acquisition["photometry"]).__name__ == "FiberPhotometryResponseSeries"


def _nwb_file(path, trials=True, units=False):
    from datetime import datetime

    nwb = pynwb.NWBFile(session_description="t", identifier="x", session_start_time=datetime(2000, 1, 1,
                                                                                               tzinfo=UTC))
    if trials:
        nwb.add_trial_column("trial_type", "type")
        nwb.add_trial_column("reward", "US")
        nwb.add_trial_column("cs_time", "CS")
        nwb.add_trial(start_time=1.0, stop_time=3.0, trial_type="A+", reward=1.0, cs_time=100.0)
    nwb.add_acquisition(pynwb.TimeSeries(name="dff", data=np.zeros(50), unit="1", rate=10.0))
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def test_nwb_errors_are_one_line(tmp_path):
    with pytest.raises(ValueError, match="missing trials table"):
        read_nwb(_nwb_file(tmp_path / "a.nwb", trials=False))
    with pytest.raises(ValueError, match="units missing"):
        read_nwb(_nwb_file(tmp_path / "b.nwb"), "spikes")
    with pytest.raises(ValueError, match="signal not aligned"):  # CS at 100 s, series ends at 4.9 s
        read_nwb(_nwb_file(tmp_path / "c.nwb"), "photometry")
    (tmp_path / "bad.nwb").write_text("not hdf5")
    with pytest.raises(ValueError, match="not a readable NWB file"):
        read_nwb(tmp_path / "bad.nwb")
    with pytest.raises(ValueError, match="does not exist"):
        read_nwb(tmp_path / "none.nwb")


def test_table_round_trip_and_inferred_design():
    d = small_design(20)
    data = simulate_recordings(d, "td0", sample_parameters("td0", "photometry", 2), "photometry")
    tab = to_table(data)
    back = read_table(tab, design=d)
    assert np.allclose(back.signal, data.signal) and np.array_equal(back.trial_type, data.trial_type)
    # without a design: labels in the conditioning notation, grid from the recorded times
    tab2 = tab.assign(trial_type=tab["trial_type"].map({"CS+": "A+0.8", "CS-": "B-", "free": "A+0.8"}))
    inferred = read_table(tab2)
    assert inferred.design.dt == pytest.approx(0.2) and inferred.design.n_steps == d.n_steps
    assert sorted(t.name for t in inferred.design.trial_types) == ["A+0.8", "B-"]


@pytest.mark.parametrize("change, match", [
    (lambda t: t.drop(columns="reward"), "missing column"),
    (lambda t: t.assign(time=t["time"] + 0.05), "signal not aligned"),
    (lambda t: t.assign(trial_type="Z+"), "not in the design"),
    (lambda t: t.assign(signal="x"), "must be numeric"),
    (lambda t: t.iloc[:0], "no rows"),
    (lambda t: t.assign(reward=np.where(t.index == 3, 5.0, t["reward"])), "more than one trial_type or reward"),
])
def test_table_bad_inputs(change, match):
    d = small_design(20)
    tab = to_table(simulate_recordings(d, "td0", sample_parameters("td0", "photometry", 2), "photometry"))
    with pytest.raises(ValueError, match=match):
        read_table(change(tab), design=d)


def test_spike_counts_must_be_integers():
    d = small_design(20)
    tab = to_table(simulate_recordings(d, "td0", sample_parameters("td0", "spikes", 2), "spikes"))
    with pytest.raises(ValueError, match="non-negative integers"):
        read_table(tab.assign(signal=tab["signal"] + 0.5), "spikes", design=d)


def recovery_design(n):
    return PavlovianDesign(small_design(10).trial_types,
                           [Phase("s", {"CS+": n * 7 // 10, "CS-": n * 2 // 10, "free": n // 10}, "random")],
                           dt=0.1, window=(-0.5, 1.5))


@pytest.mark.slow
def test_photometry_recovery():
    """alpha, gamma and gain from simulated photometry: r >= 0.9 over 12 sessions of 150 trials
    x 20 bins of 100 ms, noise SD 0.5 x gain per bin (a full unpredicted reward's peak at SNR 2)."""
    tab, r, fit = parameter_recovery(recovery_design(150), "td0", "photometry", n_subjects=12, seed=3, noise=0.5,
                                     n_starts=1)
    assert fit.converged
    for k in ("alpha", "gamma", "gain"):
        assert r[k] >= 0.9, (k, r)
    t = fit.table()
    assert {"alpha", "alpha_sd", "loglik", "aic", "bic", "status"} <= set(t.columns)
    assert np.isfinite(t["alpha_sd"]).mean() > 0.8


@pytest.mark.slow
def test_spikes_recovery():
    """alpha, gamma and the burst gain from Poisson spike counts of 20 units x 200 trials (baseline
    2-6 Hz, gain 10-30 Hz per unit RPE, 100-ms bins): r >= 0.9."""
    _, r, fit = parameter_recovery(recovery_design(200), "td0", "spikes", n_subjects=20, seed=3, n_starts=1)
    for k in ("alpha", "gamma", "gain"):
        assert r[k] >= 0.9, (k, r)


def test_model_comparison_prefers_the_generating_model():
    d = small_design(60)
    data = simulate_recordings(d, "td0", sample_parameters("td0", "photometry", 3, seed=2, noise=0.5), seed=2)
    tab, fits = compare_models(data, ("td0", "rw"), n_draws=100, n_starts=1)
    assert list(tab["model"])[0] == "td0"
    assert tab.set_index("model").loc["td0", "bic"] < tab.set_index("model").loc["rw", "bic"]
    assert tab["elpd_loo"].iloc[0] - tab["elpd_loo"].iloc[1] > 2 * tab["se_loo"].iloc[0] / 10
    idata = fits["td0"].to_inference_data(n_draws=100)
    assert idata.log_likelihood["y"].shape == (1, 100, 3, 60)
    assert set(idata.posterior.data_vars) == {"alpha", "gamma", "gain", "offset", "sigma"}


def test_glm_recovers_the_rpe_effect(tmp_path):
    """A synthetic BOLD series built from the model's RPE regressor (beta 2.0) plus noise: the
    nilearn GLM recovers its sign and size."""
    pytest.importorskip("nilearn")
    from mesolimbic.neural.glm import bids_events, design_matrix, fit_glm, write_events

    d = small_design(100)
    data = simulate_recordings(d, "td0", sample_parameters("td0", "photometry", 1, seed=4), seed=4)
    fit = fit_neural(data, "td0", n_starts=1)
    reg = fit.regressors()
    files = write_events(reg, tmp_path, task="pav")
    ev = pd.read_csv(files[0], sep="\t")
    assert set(ev["trial_type"]) == {"rpe_cs", "rpe_us", "cs", "us"}
    assert np.allclose(bids_events(reg).query("trial_type == 'rpe_us'")["modulation"].mean(), 0.0, atol=1e-9)
    frame_times = np.arange(0.0, float(reg["us_time"].max()) + 20.0, 1.0)
    X = design_matrix(ev, frame_times)
    rng = np.random.default_rng(0)
    beta = {"rpe_us": 2.0, "rpe_cs": 0.0, "cs": 1.0, "us": 0.5}
    signal = sum(b * X[k].to_numpy() for k, b in beta.items())
    bold = 100.0 + signal[:, None] + rng.normal(0, 0.5 * signal.std(), (frame_times.size, 3))
    est = fit_glm(bold, X)
    b_rpe = est.loc["rpe_us"].to_numpy()
    assert np.all(b_rpe > 0) and np.allclose(b_rpe, 2.0, rtol=0.25)
    assert np.all(est.loc["rpe_us_t"] > 5)


def test_fit_errors():
    d = small_design(20)
    data = simulate_recordings(d, "td0", sample_parameters("td0", "photometry", 2), "photometry")
    with pytest.raises(ValueError, match="unknown model"):
        fit_neural(data, "nope")
    with pytest.raises(ValueError, match="does not match"):
        fit_neural(data, "td0", readout="spikes")
    beh = simulate_recordings(d, "td0", sample_parameters("td0", "behaviour", 2), "behaviour")
    beh.signal[0, 0, 0] = 3.0
    with pytest.raises(ValueError, match="coded 0/1"):
        fit_neural(beh, "td0")


def test_cli_fit_neural(tmp_path):
    import json

    from typer.testing import CliRunner

    from mesolimbic.cli import app

    d = small_design(40)
    data = simulate_recordings(d, "td0", sample_parameters("td0", "photometry", 2, seed=5), seed=5)
    write_nwb(data, tmp_path / "nwb")
    (tmp_path / "design.json").write_text(d.to_json())
    runner = CliRunner()
    res = runner.invoke(app, ["fit-neural", str(tmp_path / "nwb"), "--design", str(tmp_path / "design.json"),
                              "--model", "td0", "--readout", "photometry", "--starts", "1",
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    params = pd.read_csv(tmp_path / "out" / "params.csv")
    assert list(params["subjID"]) == ["sub01", "sub02"] and params["alpha"].between(0, 1).all()
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["sessions"] == 2
    reg = pd.read_csv(tmp_path / "out" / "regressors.tsv", sep="\t")
    assert {"rpe_cs", "rpe_us", "cs_time", "us_time"} <= set(reg.columns)
    # a second run without --force refuses; a bad readout is one line, exit 2, nothing written
    res = runner.invoke(app, ["fit-neural", str(tmp_path / "nwb"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    res = runner.invoke(app, ["fit-neural", str(tmp_path / "nwb"), "--readout", "lfp", "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2 and "readout" in res.output and not (tmp_path / "o2").exists()
    res = runner.invoke(app, ["fit-neural", str(tmp_path / "nwb"), "--readout", "spikes", "--design",
                              str(tmp_path / "design.json"), "--out", str(tmp_path / "o3")])
    assert res.exit_code == 2 and "units missing" in res.output


@pytest.mark.slow
def test_standard_errors_match_the_autodiff_hessian():
    """The fit's SEs (central differences of the gradient on z, mapped to the natural scale) equal
    the inverse of the exact Hessian of the negative log-likelihood on the natural scale."""
    from mesolimbic.fitting.mle import hessian_blocks

    d = small_design(60)
    data = simulate_recordings(d, "td0", sample_parameters("td0", "photometry", 2, seed=6), seed=6)
    fit = fit_neural(data, "td0", n_starts=1)
    names, f = session_loglik_function(data, "td0")
    th = jnp.asarray(np.stack([fit.params[k] for k in names], 1), jnp.float32)
    H = np.asarray(hessian_blocks(lambda t: -f(t).sum(), th), float)
    exact = np.sqrt(np.stack([np.diag(np.linalg.inv(h)) for h in H]))
    got = np.stack([fit.se[k] for k in names], 1)
    ok = np.isfinite(got)
    assert ok.mean() > 0.8
    assert np.allclose(got[ok], exact[ok], rtol=0.05)


def test_empirical_bayes_shrinks_towards_the_group():
    """The hierarchical (empirical Bayes) fit: the sessions' estimates on z are pulled together
    (spread no larger than MLE's) and the group mean of gamma is near the generating mean."""
    d = recovery_design(80)
    truth = sample_parameters("td0", "photometry", 12, seed=7, noise=1.0)
    data = simulate_recordings(d, "td0", truth, "photometry", seed=7)
    mle_fit = fit_neural(data, "td0", n_starts=1)
    eb = fit_neural(data, "td0", n_starts=1, empirical_bayes=3)
    assert eb.method == "eb" and len(eb.options["group_rounds"]) == 3
    for j, k in enumerate(("alpha", "gamma")):
        assert eb.z[:, j].std() <= mle_fit.z[:, j].std() + 1e-6, k
    assert abs(eb.options["group_mean"]["gamma"] - truth["gamma"].mean()) < 0.05
    with pytest.raises(ValueError, match="not both"):
        fit_neural(data, "td0", prior_sd=2.0, empirical_bayes=2)
