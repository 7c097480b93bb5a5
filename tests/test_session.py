"""The one session kernel: every learner x task pair either runs and scores back exactly what it
simulated, or is refused naming both; one record with the same dims and provenance; phases;
recorded state; float64."""

import json

import jax
import numpy as np
import pytest
import xarray as xr

import mesolimbic as ml
from mesolimbic.catalogue import choice_learners, choice_tasks, pavlovian_learners
from mesolimbic.circuit import Circuit, simulate_circuit
from mesolimbic.instrumental import score, simulate_choices
from mesolimbic.models import SARSA, ActorCritic, DeltaRule, HybridTwoStep, OpAL, QLearning
from mesolimbic.results import PROVENANCE_KEYS
from mesolimbic.tasks import ChoiceDesign, ChoicePhase, Streak
from mesolimbic.tasks.aversive import ActiveAvoidance
from mesolimbic.tasks.bandit import Bandit
from mesolimbic.tasks.pst import PAIRS, ProbabilisticSelection
from mesolimbic.tasks.schedules import Schedule
from mesolimbic.tasks.two_step import TwoStep

LEARNERS, TASKS = choice_learners(), choice_tasks(small=True)
PAIRS_ALL = [(ln, tn) for ln in LEARNERS for tn in TASKS]


@pytest.mark.parametrize("learner, task", PAIRS_ALL, ids=[f"{a}-{b}" for a, b in PAIRS_ALL])
def test_every_learner_task_pair_scores_what_it_simulated_or_is_refused(learner, task):
    """score(model, simulate(task, model)) equals the recorded log-probabilities, with no
    extra arguments; a pair that cannot work is refused before any work, naming both."""
    model, t = LEARNERS[learner](), TASKS[task]()
    try:
        session = ml.Session(t, model)
    except ValueError as e:
        msg = str(e)
        assert t.name in msg and type(model).__name__ in msg, msg
        assert "\n" not in msg
        return
    ds = session.simulate(n_agents=2, seed=1)
    lp = score(model, ds)
    expected = ds.log_prob.where(ds["valid"], 0.0) if "valid" in ds else ds.log_prob
    np.testing.assert_allclose(lp.values, expected.values, rtol=1e-5, atol=1e-6)
    assert np.all(lp.values <= 0) and np.isfinite(lp.values).all()


def test_the_catalogue_runs_most_pairs():
    """The compatibility rules are not so strict that the catalogue test above is empty."""
    ok = 0
    for ln, tn in PAIRS_ALL:
        try:
            ml.Session(TASKS[tn](), LEARNERS[ln]())
            ok += 1
        except ValueError:
            pass
    assert 60 <= ok < len(PAIRS_ALL)


def test_pavlovian_learners_are_refused_on_choice_tasks_and_vice_versa():
    d = ml.PavlovianDesign.from_notation([("t", {"A+": 2})])
    for make in pavlovian_learners().values():
        with pytest.raises(ValueError, match="Pavlovian learner"):
            ml.Session(Bandit(), make())
    with pytest.raises(ValueError, match="choice learner"):
        ml.Session(d, DeltaRule())


def test_symptoms_of_the_issue_run():
    d = ml.PavlovianDesign.from_notation([("t", {"A+": 5})], name="t")
    a = ml.simulate(d, Circuit(), n_agents=2, record="trials")  # a Circuit is a Model
    b = simulate_circuit(d, Circuit(), n_agents=2)
    np.testing.assert_array_equal(a.rpe_us.values, b.rpe_us.values)
    ts = simulate_choices(TwoStep(n_trials=20), HybridTwoStep(), n_agents=2)
    assert ts.sizes["stage"] == 2
    free = ml.PavlovianDesign([ml.TrialType("free", us_time=0.5), ml.TrialType("shock", us_time=0.5, magnitude=-1)],
                              [ml.Phase("p", {"free": 3, "shock": 3})])
    c = simulate_circuit(free, Circuit(), n_agents=2)  # no cues at all
    assert float(c.rpe_us.isel(param_set=0, agent=0, trial=0)) == pytest.approx(1.0)


def test_multistep_simulation_records_done_so_scoring_needs_no_extra_arguments():
    """The regression of the issue: SARSA on FR-3 scored without passing done by hand."""
    ds = simulate_choices(Schedule("FR", 3, n_steps=60), SARSA(), n_agents=3, seed=0)
    assert "done" in ds and not bool(ds.done.any())
    total = float(score(SARSA(), ds).sum())
    assert total == pytest.approx(float(ds.log_prob.sum()), rel=1e-6)


def test_one_record_same_dims_and_provenance():
    d = ml.PavlovianDesign.from_notation([("a", {"A+": 3}), ("b", {"A+": 2, "B-": 2})])
    results = [ml.simulate(d, ml.TD(), n_agents=2, seed=5), ml.simulate(d, ml.RescorlaWagner(), seed=5),
               simulate_choices(Bandit(n_trials=10), DeltaRule(), seed=5),
               ml.simulate(d, ml.TD(), ml.sweep(alpha=[0.1, 0.2]), seed=5)]
    for ds in results:
        assert {"param_set", "agent", "trial"} <= set(ds.dims)
        for k in PROVENANCE_KEYS:
            assert k in ds.attrs, (ds.attrs["model"], k)
        assert ds.attrs["seed"] == 5
        json.loads(ds.attrs["model_options"]), json.loads(ds.attrs["params"])
    td = results[0]
    assert td.trial_type.dims == ("agent", "trial")  # whether or not a phase is shuffled
    assert json.loads(td.attrs["design"])["phases"][1]["trials"] == {"A+": 2, "B-": 2}
    assert json.loads(td.attrs["representation"])["name"]
    assert results[3].sizes["param_set"] == 2 and results[3].alpha.values.tolist() == pytest.approx([0.1, 0.2])
    assert json.loads(results[2].attrs["task_spec"])["probabilities"] == [0.8, 0.2]


def test_experiment_results_keep_the_simulations_provenance():
    from mesolimbic.experiments import get

    res = get("schultz1997").run(n_agents=5, seed=3)
    attrs = res.dataset.attrs
    assert attrs["seed"] == 3 and attrs["n_agents"] == 5 and attrs["citation"] and attrs["mesolimbic_version"]
    sims = json.loads(attrs["simulations"])
    (sim,) = sims.values()
    assert sim["model"] == "td" and json.loads(sim["design"])["name"] == "schultz1997"
    assert json.loads(sim["model_options"]) == {"trace": "accumulating"} and sim["seed"] == 3


def test_learner_state_is_recorded_per_trial():
    d = ml.PavlovianDesign.from_notation([("t", {"A+": 6})])
    ds = ml.simulate(d, ml.TD(), {"alpha": 0.3}, n_agents=2, record=("trials", "state"))
    np.testing.assert_allclose(ds.state_w.isel(trial=-1).values, ds.weights.values, atol=1e-7)
    assert ds.state_w.dims == ("param_set", "agent", "trial", "feature")
    # OpAL's opponent weights, trial by trial: what changes rho at test acts on
    c = simulate_choices(Bandit(n_trials=15), OpAL(), n_agents=2, record="state")
    assert c.state_g.sizes["trial"] == 15 and float(np.abs(c.state_g.diff("trial")).sum()) > 0


def test_phases_feedback_parameters_and_extinction():
    task = ProbabilisticSelection(training_per_pair=20, test_per_pair=2)
    base = {"alpha_critic": 0.2, "alpha_go": 0.2, "alpha_nogo": 0.2, "beta": 2.0, "rho": 0.0}
    plain = ChoiceDesign(task, (ChoicePhase("training", 60), ChoicePhase("test", 30, feedback=False)))
    high = ChoiceDesign(task, (ChoicePhase("training", 60), ChoicePhase("test", 30, feedback=False,
                                                                         params={"rho": 0.8})))
    a = simulate_choices(plain, OpAL(PAIRS), base, n_agents=3, seed=2)
    b = simulate_choices(high, OpAL(PAIRS), base, n_agents=3, seed=2)
    train = a.phase == "training"
    np.testing.assert_array_equal(a.p.where(train).values, b.p.where(train).values)  # identical before the test
    assert not np.allclose(a.p.where(~train, 0).values, b.p.where(~train, 0).values)  # rho acts at test only
    assert not bool(a.feedback.where(~train, False).any())
    np.testing.assert_allclose(score(OpAL(PAIRS), b).values, b.log_prob.values, rtol=1e-5)
    # extinction: reinforcement withheld, costs of responding kept
    ext = ChoiceDesign(Schedule("FR", 2, n_steps=80), (ChoicePhase("acquisition", 50),
                                                         ChoicePhase("extinction", 30, reinforce=False)))
    e = simulate_choices(ext, SARSA(), n_agents=4, seed=0)
    late = e.phase == "extinction"
    assert not bool(e.reinforced.where(late, False).any()) and bool(e.reinforced.where(~late, False).any())
    assert bool(e.extinction.sel(trial=late).all()) and not bool(e.extinction.sel(trial=~late).any())
    with pytest.raises(ValueError, match="sets parameter"):
        ml.Session(high, QLearning())
    with pytest.raises(ValueError, match="n_trials"):
        ChoiceDesign(task, (ChoicePhase("training", 60),))


def test_stop_criterion_ends_a_phase_and_freezes_the_learner():
    task = ActiveAvoidance(n_episodes=100, warning_steps=3, n_actions=4)
    design = ChoiceDesign(task, (ChoicePhase("acquisition", 240, until=Streak("avoided", 5)),
                                 ChoicePhase("extinction", 60, reinforce=False)))
    p = {"alpha_critic": 0.3, "alpha_actor": 0.3, "beta": 3.0, "gamma": 0.95}
    ds = simulate_choices(design, ActorCritic(discounted=True), p, n_agents=5, seed=1)
    valid = ds["valid"].isel(param_set=0).values
    acq = (ds.phase == "acquisition").values
    for a in range(5):
        v = valid[a]
        stop = np.flatnonzero(~v[acq])
        assert stop.size, "every agent reaches 5 avoidances in a row within 80 episodes"
        first = stop[0]
        assert first % 3 == 0  # the phase ends with an episode
        assert not v[acq][first:].any() and v[~acq].all()  # frozen until the next phase, which runs in full
        avoided = ds.avoided.isel(param_set=0, agent=a).values[:first].reshape(-1, 3).any(1)
        assert avoided[-5:].all()  # the criterion: five avoided episodes in a row
    assert not bool(ds.shocked.where(~acq, False).any())  # extinction: shock off
    np.testing.assert_allclose(score(ActorCritic(discounted=True), ds).values,
                               ds.log_prob.where(ds["valid"], 0).values, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="does not report"):
        ml.Session(ChoiceDesign(task, (ChoicePhase("a", 300, until=Streak("reinforced", 2)),)),
                   ActorCritic(discounted=True))


def test_float64_agrees_with_closed_forms_to_1e12():
    d = ml.PavlovianDesign([ml.TrialType("A+", cues=["A"], us_time=1.0)], [ml.Phase("p", {"A+": 30})], dt=0.1,
                           window=(0, 2))
    rw = ml.simulate(d, ml.RescorlaWagner(), {"alpha": 0.3}, precision="float64")
    v = rw.weights.sel(cue="A").isel(param_set=0, agent=0).values
    assert v.dtype == np.float64
    np.testing.assert_allclose(v, 1 - 0.7 ** np.arange(1, 31), rtol=0, atol=1e-12)
    tiny = ml.PavlovianDesign([ml.TrialType("t", cues=["a"], us_time=2.0)], [ml.Phase("p", {"t": 3})], dt=1.0,
                              window=(0.0, 3.0))
    for engine in ("step", "affine"):
        td = ml.simulate(tiny, ml.TD(), {"alpha": 0.5, "gamma": 1.0}, precision="float64", engine=engine)
        np.testing.assert_allclose(td.rpe.isel(param_set=0, agent=0).values,
                                   [[0, 0, 1], [0, 0.5, 0.5], [0.25, 0.5, 0.25]], rtol=0, atol=1e-12)
    # and a learner with a discount that float32 cannot hold exactly
    g = 0.9
    td = ml.simulate(d, ml.TD(), {"alpha": 1.0, "gamma": g}, representation=ml.Presence(), precision="float64",
                     engine="step")
    assert td.attrs["precision"] == "float64" and td.value_pre_us.dtype == np.float64
    with pytest.raises(ValueError, match="precision must be one of"):
        ml.simulate(d, ml.TD(), precision="float16")


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = simulate_choices(Bandit(n_trials=30), QLearning(), n_agents=3, seed=11)
    b = simulate_choices(Bandit(n_trials=30), QLearning(), n_agents=3, seed=11)
    c = simulate_choices(Bandit(n_trials=30), QLearning(), n_agents=3, seed=12)
    xr.testing.assert_identical(a, b)
    assert not np.array_equal(a.choice.values, c.choice.values)


def test_bad_sessions_name_what_is_wrong():
    with pytest.raises(ValueError, match="task must be a PavlovianDesign or a choice task"):
        ml.Session("bandit", DeltaRule())
    with pytest.raises(ValueError, match="model must be a mesolimbic learner"):
        ml.Session(Bandit(), "delta")
    with pytest.raises(ValueError, match="record must be one of"):
        simulate_choices(Bandit(), DeltaRule(), record="everything")
    with pytest.raises(ValueError, match="engine 'affine'"):
        ml.simulate(Bandit(), DeltaRule(), engine="affine")
    with pytest.raises(ValueError, match="unique"):
        ChoiceDesign(Bandit(n_trials=4), (ChoicePhase("x", 2), ChoicePhase("x", 2)))


class _StageBlindTwoStep(TwoStep):
    """The two-step task with the stage keyword hidden: the kernel then computes both
    stages' cases and selects (the general path for a task that does not take it)."""

    def observe(self, state):
        return super().observe(state)

    def transition(self, xp, state, action, u, z=None, reinforce=True):
        return super().transition(xp, state, action, u, z, reinforce)


class _StageBlindHybrid(HybridTwoStep):
    def policy(self, params, state, obs=0):
        return super().policy(params, state, obs)


def test_telling_the_stage_changes_speed_not_numbers():
    """Property: the kernel tells a multi-stage task and learner the stage (a plain int)
    so they compute one case; hiding the keyword gives the both-cases path, and every
    recorded number is the same."""
    told = simulate_choices(TwoStep(n_trials=60), HybridTwoStep(), {"kappa": 0.3}, n_agents=16, seed=4)
    blind = simulate_choices(_StageBlindTwoStep(n_trials=60), _StageBlindHybrid(), {"kappa": 0.3}, n_agents=16, seed=4)
    assert set(told.data_vars) == set(blind.data_vars)
    for k in told.data_vars:
        np.testing.assert_allclose(told[k].values, blind[k].values, rtol=1e-6, err_msg=k)
    # and the NumPy path (Gymnasium) agrees with the staged JAX one, stage by stage
    task, rng = TwoStep(), np.random.default_rng(0)
    s = task.init(rng, xp=np)
    for stage, (a, u) in enumerate(((1, 0.9), (0, 0.1))):
        z = rng.standard_normal(4)
        a_np = task.transition(np, s, a, u, z)
        a_st = task.transition(np, s, a, u, z, stage=stage)
        for x, y in zip(jax_leaves(a_np), jax_leaves(a_st)):
            np.testing.assert_allclose(x, y)
        assert task.observe(s) == task.observe(s, stage=stage)
        s = a_np[0]


def jax_leaves(tree):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]
