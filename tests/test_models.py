"""TD and RW against hand-computed trials; engines, batching and reproducibility."""

import numpy as np
import pytest

import mesolimbic as ml
from mesolimbic.experiments.schultz1997 import design as schultz_design


def tiny(trials=3, cue_on=True):
    tt = ml.TrialType("t", cues=["a"] if cue_on else [], us_time=2.0)
    return ml.PavlovianDesign([tt], [ml.Phase("p", {"t": trials})], dt=1.0, window=(0.0, 3.0))


@pytest.mark.parametrize("engine", ["step", "affine"])
def test_td0_three_trials_by_hand(engine):
    # CSC features f0, f1, f2; US (1) at step 2; alpha=.5, gamma=1, lambda=0.
    # trial 1: delta = [0, 0, 1]          -> w = [0, .5, 0]
    # trial 2: delta = [0, .5, .5]        -> w = [.25, .75, 0]
    # trial 3: delta = [.25, .5, .25]     -> w = [.5, .875, 0]
    ds = ml.simulate(tiny(), ml.TD(), {"alpha": 0.5, "gamma": 1.0, "lam": 0.0}, engine=engine)
    np.testing.assert_allclose(ds.rpe.isel(param_set=0, agent=0).values, [[0, 0, 1], [0, 0.5, 0.5], [0.25, 0.5, 0.25]], atol=1e-6)
    np.testing.assert_allclose(ds.weights.isel(param_set=0, agent=0).values, [0.5, 0.875, 0.0], atol=1e-6)
    np.testing.assert_allclose(ds.value.isel(param_set=0, agent=0, trial=2).values, [0.25, 0.75, 0.0], atol=1e-6)
    np.testing.assert_allclose(ds.rpe_us.isel(param_set=0, agent=0).values, [1, 0.5, 0.25], atol=1e-6)
    np.testing.assert_allclose(ds.rpe_cs.isel(param_set=0, agent=0).values, [0, 0, 0.25], atol=1e-6)
    np.testing.assert_allclose(ds.value_pre_us.isel(param_set=0, agent=0).values, [0, 0.5, 0.75], atol=1e-6)


@pytest.mark.parametrize("engine", ["step", "affine"])
def test_td1_is_monte_carlo(engine):
    # lambda = 1, gamma = 1: trial 1 credits f0 and f1 fully -> w = [.5, .5, 0];
    # trial 2: delta = [.5, 0, .5]
    ds = ml.simulate(tiny(2), ml.TD(), {"alpha": 0.5, "gamma": 1.0, "lam": 1.0}, engine=engine)
    np.testing.assert_allclose(ds.rpe.isel(param_set=0, agent=0).values, [[0, 0, 1], [0.5, 0, 0.5]], atol=1e-6)


@pytest.mark.parametrize("engine", ["step", "affine"])
@pytest.mark.parametrize("trace, w_end", [("accumulating", -0.5), ("replacing", 0.25)])
def test_traces_with_a_present_cue(engine, trace, w_end):
    # presence code (x = 1 at every step), US at step 2, alpha=.5, gamma=lambda=1.
    # accumulating: e = 1, 2, 3 -> w = .5*1*2 = 1 at the US, then the terminal
    #   delta = -1 gives w = 1 - .5*3 = -0.5; replacing: e = 1 -> w = .5, then .25.
    ds = ml.simulate(tiny(1), ml.TD(trace=trace), {"alpha": 0.5, "gamma": 1.0, "lam": 1.0},
                     representation=ml.Presence(), engine=engine)
    assert float(ds.weights.isel(param_set=0, agent=0, feature=0)) == pytest.approx(w_end, abs=1e-6)


def test_td_matches_tabular_pattern():
    """lambda = 0 with a CSC is the seed pattern V[s] += alpha (r + gamma V[s'] - V[s])."""
    d = tiny(30)
    alpha, gamma = 0.3, 0.9
    V = [0.0, 0.0, 0.0, 0.0]  # states 0..2, 3 = ITI (always 0)
    r = [0.0, 0.0, 1.0, 0.0]
    for _ in range(30):
        s_prev = 3
        for s in [0, 1, 2, 3]:
            delta = r[s] + gamma * V[s] - V[s_prev]
            if s_prev != 3:
                V[s_prev] += alpha * delta
            s_prev = s
    ds = ml.simulate(d, ml.TD(), {"alpha": alpha, "gamma": gamma}, engine="step")
    np.testing.assert_allclose(ds.weights.isel(param_set=0, agent=0).values, V[:3], rtol=1e-5)


def test_engines_agree_on_a_rich_design():
    d = ml.PavlovianDesign(
        [ml.TrialType("A", cues=["a"], us_time=1.0, probability=0.7),
         ml.TrialType("AB", cues=["a", ml.Cue("b", onset=0.3)], us_time=1.0),
         ml.TrialType("free", us_time=0.5, magnitude=-1.0)],
        [ml.Phase("one", {"A": 20}), ml.Phase("two", {"A": 10, "AB": 10, "free": 5}, order="random")],
        dt=0.1, window=(-0.3, 1.5))
    for rep in (ml.CSC(), ml.Presence(), ml.Microstimulus(n=5)):
        for model, lam in ((ml.TD(), 0.0), (ml.TD(), 0.8), (ml.TD(trace="replacing"), 0.8)):
            p = {"alpha": 0.15, "gamma": 0.95, "lam": lam}
            a = ml.simulate(d, model, p, representation=rep, n_agents=4, seed=3, engine="step")
            b = ml.simulate(d, model, p, representation=rep, n_agents=4, seed=3, engine="affine")
            for v in ("rpe", "value", "rpe_cs", "rpe_us", "value_cs", "value_pre_us", "weights"):
                np.testing.assert_allclose(a[v].values, b[v].values, atol=2e-5, err_msg=f"{rep.name} {lam} {v}")


def test_rescorla_wagner_closed_form_and_blocking():
    d = ml.PavlovianDesign(
        [ml.TrialType("A+", cues=["A"], us_time=1.0), ml.TrialType("AB+", cues=["A", "B"], us_time=1.0)],
        [ml.Phase("pretraining", {"A+": 10}), ml.Phase("compound", {"AB+": 10})], dt=0.1, window=(0, 2))
    ds = ml.simulate(d, ml.RescorlaWagner(), {"alpha": 0.3})
    vA = ds.weights.sel(cue="A").isel(param_set=0, agent=0).values
    n = np.arange(1, 11)
    np.testing.assert_allclose(vA[:10], 1 - 0.7**n, rtol=1e-5)  # acquisition: V_n = 1 - (1 - alpha)^n
    np.testing.assert_allclose(ds.rpe.isel(param_set=0, agent=0, trial=0), 1.0)
    vB = float(ds.weights.sel(cue="B").isel(param_set=0, agent=0, trial=-1))
    assert vB < 0.05  # blocking: A already predicts the US


def test_rw_salience_and_nonreinforced_rate():
    d = ml.PavlovianDesign([ml.TrialType("AB+", cues=["A", "B"], us_time=1.0),
                            ml.TrialType("A-", cues=["A"], us_time=1.0, probability=0.0)],
                           [ml.Phase("p", {"AB+": 1}), ml.Phase("q", {"A-": 1})], dt=0.1, window=(0, 2))
    ds = ml.simulate(d, ml.RescorlaWagner(salience={"B": 0.5}),
                     {"alpha": 0.2, "beta_nonreinforced": 0.5})
    w = ds.weights.isel(param_set=0, agent=0)
    np.testing.assert_allclose(w.isel(trial=0).values, [0.2, 0.1])  # dV = alpha * s * (1 - 0)
    # trial 2: delta = 0 - 0.2 on A alone, beta = 0.5 -> A = 0.2 - 0.2*0.5*0.2
    np.testing.assert_allclose(w.isel(trial=1).values, [0.2 - 0.02, 0.1], rtol=1e-6)
    with pytest.raises(ValueError, match="salience given for cue"):
        ml.simulate(d, ml.RescorlaWagner(salience={"C": 0.5}))


def test_sweep_equals_runs_one_by_one_and_is_reproducible():
    d = schultz_design()
    sw = ml.sweep(alpha=[0.1, 0.3], lam=[0.0, 0.9])
    batch = ml.simulate(d, ml.TD(), sw, n_agents=3, seed=7, record="trials")
    assert batch.sizes["param_set"] == 4 and batch.alpha.values.tolist() == pytest.approx([0.1, 0.1, 0.3, 0.3])
    for i in range(4):
        one = ml.simulate(d, ml.TD(), {"alpha": float(sw["alpha"][i]), "lam": float(sw["lam"][i])},
                          n_agents=3, seed=7, record="trials")
        np.testing.assert_allclose(batch.rpe_cs.isel(param_set=i).values, one.rpe_cs.isel(param_set=0).values, atol=1e-6)
    again = ml.simulate(d, ml.TD(), sw, n_agents=3, seed=7, record="trials")
    assert again.identical(batch)
    other = ml.simulate(d, ml.TD(), sw, n_agents=3, seed=8, record="trials")
    assert not (other.trial_type.values == batch.trial_type.values).all()


def test_record_trials_matches_steps():
    d = schultz_design()
    steps = ml.simulate(d, ml.TD(), n_agents=2, seed=1, record="steps")
    trials = ml.simulate(d, ml.TD(), n_agents=2, seed=1, record="trials")
    assert "rpe" not in trials and "rpe" in steps
    np.testing.assert_allclose(trials.rpe_us.values, steps.rpe_us.values)
    # rpe_us is the RPE at the US time step
    np.testing.assert_allclose(steps.rpe_us.values, steps.rpe.sel(time=1.0).where(~np.isnan(steps.rpe_us)).values,
                               atol=1e-7)
    assert steps.time.attrs["units"] == "s" and steps.attrs["seed"] == 1 and "mesolimbic_version" in steps.attrs


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha": 0.0}, r"alpha must be in \(0, 1\], got 0.0"),
        ({"alpha": 1.5}, r"alpha must be in \(0, 1\], got 1.5"),
        ({"gamma": -0.1}, r"gamma must be in \[0, 1\], got -0.1"),
        ({"lam": 2.0}, r"lam must be in \[0, 1\], got 2.0"),
        ({"lam": [0.1, 1.2]}, r"lam must be in \[0, 1\], got array"),
        ({"beta": 1.0}, r"unknown parameter\(s\) \['beta'\]"),
        ({"alpha": [0.1, 0.2], "lam": [0.1, 0.2, 0.3]}, "same length"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        ml.simulate(tiny(), ml.TD(), params)


def test_bad_simulate_arguments():
    with pytest.raises(ValueError, match="n_agents must be an integer >= 1, got 0"):
        ml.simulate(tiny(), ml.TD(), n_agents=0)
    with pytest.raises(ValueError, match="record must be one of"):
        ml.simulate(tiny(), ml.TD(), record="everything")
    with pytest.raises(ValueError, match="trace must be one of"):
        ml.TD(trace="dutch")


@pytest.mark.parametrize("engine", ["step", "affine"])
def test_stimulation_adds_to_the_rpe_and_drives_learning(engine):
    # no US; stimulation of size 1 at step 2 acts like a reward there:
    # trial 1 delta = [0, 0, 1] -> w = [0, .5, 0] (alpha .5, gamma 1, lambda 0)
    tt = ml.TrialType("t", cues=["a"], us_time=2.0, probability=0.0, stimulation=[(2.0, 1.0)])
    d = ml.PavlovianDesign([tt], [ml.Phase("p", {"t": 2})], dt=1.0, window=(0.0, 3.0))
    ds = ml.simulate(d, ml.TD(), {"alpha": 0.5, "gamma": 1.0}, engine=engine)
    np.testing.assert_allclose(ds.rpe.isel(param_set=0, agent=0).values, [[0, 0, 1], [0, 0.5, 0.5]], atol=1e-6)
    with pytest.raises(ValueError, match="trial-level"):
        ml.simulate(d, ml.RescorlaWagner())
    with pytest.raises(ValueError, match="stimulation time"):
        ml.PavlovianDesign([ml.TrialType("t", stimulation=[(9.0, 1.0)])], [ml.Phase("p", {"t": 1})],
                           dt=1.0, window=(0.0, 3.0))


@pytest.mark.parametrize("engine", ["step", "affine"])
def test_reset_after_us_ends_the_trial_state(engine):
    # trained US at step 2 of 4; with the reset, steps after the US are the ITI: no
    # features, RPE 0, and nothing is learned about them
    tt = ml.TrialType("t", cues=["a"], us_time=2.0, reset_after_us=True)
    d = ml.PavlovianDesign([tt], [ml.Phase("p", {"t": 3})], dt=1.0, window=(0.0, 4.0))
    ds = ml.simulate(d, ml.TD(), {"alpha": 0.5, "gamma": 1.0}, engine=engine)
    np.testing.assert_allclose(ds.rpe.isel(param_set=0, agent=0).values,
                               [[0, 0, 1, 0], [0, 0.5, 0.5, 0], [0.25, 0.5, 0.25, 0]], atol=1e-6)
    np.testing.assert_allclose(ds.weights.isel(param_set=0, agent=0).values, [0.5, 0.875, 0.0, 0.0], atol=1e-6)


def test_negative_error_scale_learner_is_nonlinear_and_overestimates():
    # p = .5 reward of 1: full TD settles at .5; scaling negative errors by s settles
    # where p (1 - V) = (1 - p) s V, i.e. V = p / (p + s (1 - p)) = 1 / 1.2 for s = .2
    d = ml.PavlovianDesign([ml.TrialType("p", cues=["a"], us_time=1.0, probability=0.5)],
                           [ml.Phase("t", {"p": 400})], dt=0.1, window=(-0.2, 1.5))
    ds = ml.simulate(d, ml.TD(negative_error_scale=0.2), {"alpha": 0.05, "gamma": 1.0, "lam": 0.9},
                     n_agents=50, record="trials")
    assert ds.attrs["engine"] == "step"
    assert float(ds.value_pre_us.isel(trial=slice(-100, None)).mean()) == pytest.approx(1 / 1.2, abs=0.03)
    with pytest.raises(ValueError, match="affine"):
        ml.simulate(d, ml.TD(negative_error_scale=0.2), engine="affine")
    with pytest.raises(ValueError, match="negative_error_scale"):
        ml.TD(negative_error_scale=1.5)
