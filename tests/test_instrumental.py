"""Choice learners, bandit tasks, the Gymnasium environment and the behaviour table."""

import numpy as np
import pytest

import mesolimbic as ml
from mesolimbic.instrumental import log_likelihood, read_table, simulate_choices, to_dataframe
from mesolimbic.models import DeltaRule, Spec
from mesolimbic.results import single
from mesolimbic.tasks.bandit import Bandit, reversal_learning


def test_delta_rule_by_hand():
    # Q starts at 0; alpha = .5: outcome 1 -> delta 1, Q = .5; outcome 0 -> delta -.5, Q = .25
    m = DeltaRule()
    p = {"alpha": 0.5, "beta": 2.0}
    s = m.init(p, Spec(n_actions=2))
    s, out = m.step(p, s, {"action": 0, "outcome": 1.0})
    assert float(out["rpe"]) == pytest.approx(1.0) and float(out["log_prob"]) == pytest.approx(np.log(0.5))
    s, out = m.step(p, s, {"action": 0, "outcome": 0.0})
    assert float(out["rpe"]) == pytest.approx(-0.5)
    np.testing.assert_allclose(s["q"], [0.25, 0.0])
    # softmax: P(0) = 1 / (1 + exp(-beta * .25))
    assert float(np.exp(m.policy(p, s))[0]) == pytest.approx(1 / (1 + np.exp(-0.5)))


def test_options_separate_rates_perseveration_lapse():
    m = DeltaRule(separate_rates=True, perseveration=True, lapse=True)
    assert m.param_names == ("alpha_pos", "alpha_neg", "beta", "kappa", "epsilon")
    p = {"alpha_pos": 0.5, "alpha_neg": 0.1, "beta": 1.0, "kappa": 2.0, "epsilon": 0.2}
    s = m.init(p, Spec(n_actions=2))
    s, _ = m.step(p, s, {"action": 1, "outcome": -1.0})
    np.testing.assert_allclose(s["q"], [0.0, -0.1])  # the negative rate
    probs = np.exp(m.policy(p, s))
    # logits: [0, 1 * -0.1 + 2 (stickiness)] ; lapse mixes in 0.2 / 2
    soft = np.exp([0.0, 1.9]) / np.exp([0.0, 1.9]).sum()
    np.testing.assert_allclose(probs, 0.8 * soft + 0.1, rtol=1e-5)


def test_simulation_likelihood_is_the_same_step():
    ds = single(simulate_choices(reversal_learning(n_trials=80), DeltaRule(), {"alpha": 0.3, "beta": 4.0}, n_agents=5, seed=2))
    ll = log_likelihood(DeltaRule(), {"alpha": 0.3, "beta": 4.0}, ds.choice.values, ds.outcome.values, 2)
    np.testing.assert_allclose(np.asarray(ll), ds.log_prob.values, atol=1e-6)
    # and the RPE the learner reports is the outcome minus the chosen value
    q_chosen = np.take_along_axis(ds.q.values, ds.choice.values[..., None].astype(int), -1)[..., 0]
    np.testing.assert_allclose(ds.rpe.values, ds.outcome.values - q_chosen, atol=1e-6)


def test_reversals_and_accuracy():
    ds = single(simulate_choices(reversal_learning(n_trials=120, reversal_every=40), DeltaRule(),
                          {"alpha": 0.4, "beta": 8.0}, n_agents=100, seed=0))
    assert (ds.reversed.sum("trial") == 3).all()  # after trials 40, 80 and 120
    acc = ds.correct.mean("agent").values
    assert acc[30:40].mean() > 0.8 and acc[40:43].mean() < 0.3  # the dip right after a reversal
    crit = single(simulate_choices(reversal_learning(n_trials=200, reversal_every=None, reversal_criterion=8),
                            DeltaRule(), {"alpha": 0.4, "beta": 8.0}, n_agents=20, seed=0))
    assert int(crit.reversed.sum()) > 20


def test_restless_bandit_stays_in_bounds():
    task = Bandit((0.3, 0.5, 0.7, 0.4), n_trials=300, drift_sd=0.05, bounds=(0.25, 0.75))
    ds = single(simulate_choices(task, DeltaRule(), n_agents=10, seed=1))
    pr = ds.p_reward.values
    assert pr.min() >= 0.25 and pr.max() <= 0.75 and np.std(np.diff(pr, axis=1)) > 0.01


def test_table_round_trip(tmp_path):
    ds = simulate_choices(Bandit(n_trials=30), DeltaRule(), {"alpha": [0.2, 0.5]}, n_agents=3, seed=0)
    df = to_dataframe(ds)
    assert list(df.columns[:4]) == ["subjID", "trial", "choice", "outcome"]
    assert df.subjID.nunique() == 6 and len(df) == 180 and set(df.choice) <= {1, 2}
    path = tmp_path / "sim.tsv"
    df.to_csv(path, sep="\t", index=False)
    back = read_table(path)
    import pandas as pd

    pd.testing.assert_frame_equal(back, df, check_dtype=False)


@pytest.mark.parametrize("bad, match", [
    (dict(probabilities=(1.2, 0.1)), r"probabilities\[0\] must be in \[0, 1\], got 1.2"),
    (dict(probabilities=(0.5,)), "at least 2 arms"),
    (dict(reversal_every=0), "reversal_every must be an integer >= 1"),
    (dict(drift_sd=-1.0), "drift_sd must be in"),
])
def test_bad_task(bad, match):
    with pytest.raises(ValueError, match=match):
        Bandit(**bad)


def test_bad_learner_inputs():
    with pytest.raises(ValueError, match=r"beta must be in \(0, 50\], got 0.0"):
        single(simulate_choices(Bandit(), DeltaRule(), {"beta": 0.0}))
    with pytest.raises(ValueError, match="choices must be in 0..1"):
        log_likelihood(DeltaRule(), {}, [[0, 2]], [[1.0, 0.0]], 2)
    with pytest.raises(ValueError, match="choice learner"):
        single(simulate_choices(Bandit(), ml.TD()))


def test_gymnasium_env():
    from gymnasium.error import InvalidAction, ResetNeeded
    from gymnasium.utils.env_checker import check_env

    from mesolimbic.envs import BanditEnv

    for task in (Bandit(n_trials=20), reversal_learning(n_trials=50, reversal_every=10),
                 Bandit((0.3, 0.7, 0.5), n_trials=20, drift_sd=0.05)):
        check_env(BanditEnv(task), skip_render_check=True)
    env = BanditEnv(reversal_learning(n_trials=25, reversal_every=10))
    with pytest.raises(ResetNeeded):
        env.step(0)
    obs, info = env.reset(seed=3)
    total, steps, done, flips = 0.0, 0, False, 0
    while not done:
        obs, r, done, trunc, info = env.step(0)
        total, steps, flips = total + r, steps + 1, flips + info["reversed"]
    assert steps == 25 and flips == 2
    with pytest.raises(InvalidAction):
        env.step(5)
    # seeded: the same seed gives the same outcomes
    a, b = BanditEnv(Bandit(n_trials=30)), BanditEnv(Bandit(n_trials=30))
    a.reset(seed=7), b.reset(seed=7)
    assert [a.step(1)[1] for _ in range(30)] == [b.step(1)[1] for _ in range(30)]


# ------------------------------------------------------------------ two-step task
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from dataclasses import replace  # noqa: E402

from mesolimbic.instrumental import score, two_step_dataframe  # noqa: E402
from mesolimbic.models import HybridTwoStep  # noqa: E402
from mesolimbic.tasks.two_step import TwoStep  # noqa: E402

DATA = Path(__file__).parent / "data" / "hbayesdm"


def test_hybrid_by_hand():
    m = HybridTwoStep()
    p = {"alpha1": 0.5, "alpha2": 0.5, "lam": 1.0, "beta1": 1.0, "beta2": 1.0, "w": 0.0, "kappa": 0.0}
    s = m.init(p, Spec(n_actions=2, n_states=3))
    # first stage: a1 = 0, reaching state 1 (observation 2) where a2 = 1 is chosen
    s, out1 = m.step(p, s, {"obs": 0, "action": 0, "outcome": 0.0, "next_obs": 2, "next_action": 1, "done": False})
    # second stage: reward 1
    s, out2 = m.step(p, s, {"obs": 2, "action": 1, "outcome": 1.0, "next_obs": 0, "next_action": 0, "done": True})
    # delta1 = Q2 - Q_MF = 0; delta2 = 1 - 0; Q_MF(0) += .5 * 0 + .5 * 1 * 1; Q2(1, 1) = .5
    assert float(out1["rpe"]) == 0.0 and float(out2["rpe"]) == 1.0
    assert float(out1["log_prob"]) == pytest.approx(np.log(0.5)) and float(out2["log_prob"]) == pytest.approx(np.log(0.5))
    np.testing.assert_allclose(s["q_mf"], [0.5, 0.0])
    np.testing.assert_allclose(s["q2"], [[0, 0], [0, 0.5]])
    np.testing.assert_allclose(m.transition_model(s), [[1 / 3, 2 / 3], [0.5, 0.5]])
    # model-based value of action 0: 2/3 * max(Q2[1]) = 1/3
    np.testing.assert_allclose(m.q_mb(s), [1 / 3, 0.5 * 0.5], rtol=1e-6)


def test_two_step_simulation_and_likelihood_agree():
    ds = simulate_choices(TwoStep(n_trials=60), HybridTwoStep(), {"w": 0.7}, n_agents=4, seed=3)
    ll = score(HybridTwoStep(), ds)
    np.testing.assert_allclose(ll.values, ds.log_prob.values, atol=1e-5)
    common = ds.common.values  # a quantity of the trial: recorded once, without a stage dimension
    assert "stage" not in ds.common.dims and "stage" not in ds.q_mb.dims and "stage" not in ds.p_reward.dims
    assert 0.6 < common.mean() < 0.8
    state2 = ds.cue.sel(stage=1).values - 1
    np.testing.assert_array_equal(state2 == ds.choice.sel(stage=0).values, common)
    assert (ds.done.sel(stage=1)).all() and not ds.done.sel(stage=0).any()
    assert float(ds.outcome.sel(stage=0).max()) == 0.0
    df = two_step_dataframe(ds)
    assert list(df.columns) == ["subjID", "trial", "level1_choice", "level2_choice", "reward"]
    assert set(df.level2_choice) <= {1, 2, 3, 4}


def daw2011_loglik(df, alpha1, alpha2, lam, beta1, beta2, w, kappa):
    """Daw et al. (2011) as published, for one subject of an hBayesDM two-step table, in plain
    NumPy: the transition model learned by counting, T(s | a) = (n_as + 1) / (n_a + 2); the
    first-stage SARSA error Q2(s, a2) - Q_MF(a1); the second-stage error r - Q2(s, a2) carried
    back by the trace with the error BEFORE the second-stage update; perseveration kappa on
    the previous first choice."""
    q_mf, q2, n, ll, prev = np.zeros(2), np.zeros((2, 2)), np.zeros((2, 2)), 0.0, None
    for c1, c2, r in zip(df.level1_choice, df.level2_choice, df.reward):
        a1, s, a2 = c1 - 1, (c2 - 1) // 2, (c2 - 1) % 2
        T = (n + 1) / (n.sum(1, keepdims=True) + 2)
        q = w * (T @ q2.max(1)) + (1 - w) * q_mf
        z = beta1 * q + (0.0 if prev is None else kappa * (np.arange(2) == prev))
        ll += z[a1] - np.logaddexp(z[0], z[1])
        z2 = beta2 * q2[s]
        ll += z2[a2] - np.logaddexp(z2[0], z2[1])
        q_mf[a1] += alpha1 * (q2[s, a2] - q_mf[a1])
        n[a1, s] += 1
        delta2 = r - q2[s, a2]
        q2[s, a2] += alpha2 * delta2
        q_mf[a1] += alpha1 * lam * delta2
        prev = a1
    return ll


def test_two_step_likelihood_on_hbayesdm_data_is_daw2011_by_hand():
    """ts_daw2011 (not an hBayesDM model) on hBayesDM's two-step data equals Daw et al.'s model
    written out in NumPy, per subject; fixing the transitions instead of counting them changes it."""
    from mesolimbic.fitting import get_model, load_choices
    from mesolimbic.fitting.likelihood import subject_loglik

    raw = pd.read_csv(DATA / "ts_exampleData.txt", sep="\t")
    data = load_choices(raw, "ts")
    model = get_model("ts_daw2011")
    rng = np.random.default_rng(4)
    for _ in range(2):
        p = {"alpha1": rng.uniform(0.1, 0.9), "alpha2": rng.uniform(0.1, 0.9), "lam": rng.uniform(), "w": rng.uniform(),
             "beta1": rng.uniform(0.5, 8), "beta2": rng.uniform(0.5, 8), "kappa": rng.uniform(-2, 2)}
        ll = np.asarray(subject_loglik(model, {k: np.full(data.n_subjects, v) for k, v in p.items()}, data))
        ref = [daw2011_loglik(g, **p) for _, g in raw.groupby("subjID", sort=False)]
        np.testing.assert_allclose(ll, ref, rtol=1e-5)
    fixed = replace(model, learner=HybridTwoStep(transition=0.7))
    ll_fixed = np.asarray(subject_loglik(fixed, {k: np.full(data.n_subjects, v) for k, v in p.items()}, data))
    assert np.abs(ll_fixed - ll).max() > 0.05


def test_delta_rule_likelihood_on_hbayesdm_bandit_data():
    df = pd.read_csv(DATA / "bandit2arm_exampleData.txt", sep="\t")
    subj = [g for _, g in df.groupby("subjID")]
    choices = np.stack([g.choice.values - 1 for g in subj])
    outcomes = np.stack([g.outcome.values for g in subj]).astype(float)
    grid = [0.01, 0.05, 0.2, 0.5, 0.9]
    totals = [float(np.asarray(log_likelihood(DeltaRule(), {"alpha": a, "beta": 1.0}, choices, outcomes, 2)).sum())
              for a in grid]
    assert max(totals) > choices.size * np.log(0.5) + 50  # clearly better than chance (-1386 for 2000 choices)
    assert 0 < int(np.argmax(totals)) < len(grid) - 1  # an interior best learning rate (0.2 at beta = 1)


def test_two_step_env():
    from gymnasium.utils.env_checker import check_env

    from mesolimbic.envs import TwoStepEnv

    check_env(TwoStepEnv(TwoStep(n_trials=10)), skip_render_check=True)
    env = TwoStepEnv(TwoStep(n_trials=5))
    obs, _ = env.reset(seed=0)
    rewards, steps, done = 0.0, 0, False
    while not done:
        obs, r, done, _, info = env.step(steps % 2)
        assert (obs in (1, 2)) == (steps % 2 == 0)
        rewards, steps = rewards + r, steps + 1
    assert steps == 10


def test_bad_two_step_inputs():
    with pytest.raises(ValueError, match=r"common \(transition probability\) must be in \[0, 1\]"):
        TwoStep(common=1.2)
    with pytest.raises(ValueError, match="obs must be 0, 1 or 2"):
        HybridTwoStep().step(HybridTwoStep().validate_params({}), HybridTwoStep().init({}, Spec(2, 2, 3)),
                             {"obs": 3, "action": 0, "outcome": 1.0})
    with pytest.raises(ValueError, match="learns the two-step task"):
        simulate_choices(Bandit(), HybridTwoStep())


# ------------------------------------------------------------------ go/no-go
from mesolimbic.models import PavlovianBiasGoNoGo  # noqa: E402
from mesolimbic.tasks.gonogo import GoNoGo  # noqa: E402


def test_gonogo_learner_by_hand():
    m = PavlovianBiasGoNoGo()
    p = {"epsilon": 0.0, "alpha": 0.5, "go_bias": 0.0, "pi": 1.0, "sensitivity_rew": 2.0, "sensitivity_pun": 1.0}
    s = m.init(p, Spec(n_actions=2, n_states=4))
    # go (1) to cue 0, reward 1: target = 2; Q(0, go) = 1, V(0) = 1
    s, out = m.step(p, s, {"obs": 0, "action": 1, "outcome": 1.0})
    assert float(out["rpe"]) == 2.0
    np.testing.assert_allclose(s["q"][0], [0.0, 1.0])
    assert float(s["v"][0]) == 1.0
    # P(go | cue 0) = sigmoid(Q_go + b + pi V - Q_nogo) = sigmoid(2)
    assert float(np.exp(m.policy(p, s, 0))[1]) == pytest.approx(1 / (1 + np.exp(-2.0)))
    # punishment uses rho_pun: no-go (0) to cue 3, outcome -1: Q(3, no-go) = .5 * -1
    s, _ = m.step(p, s, {"obs": 3, "action": 0, "outcome": -1.0})
    assert float(s["q"][3, 0]) == -0.5


def test_gonogo_task_and_tables(tmp_path):
    ds = single(simulate_choices(GoNoGo(trials_per_cue=20), PavlovianBiasGoNoGo(), n_agents=3, seed=0))
    for c in range(4):
        assert int((ds.cue == c).sum()) == 3 * 20
    win = ds.cue.isin([0, 1]).values
    assert set(np.unique(ds.outcome.values[win])) <= {0.0, 1.0}
    assert set(np.unique(ds.outcome.values[~win])) <= {-1.0, 0.0}
    ll = log_likelihood(PavlovianBiasGoNoGo(), {}, ds.choice.values, ds.outcome.values, 2, ds.cue.values, 4)
    np.testing.assert_allclose(np.asarray(ll), ds.log_prob.values, atol=1e-5)
    df = to_dataframe(ds, style="gng")
    assert list(df.columns[:5]) == ["subjID", "trialNum", "cue", "keyPressed", "outcome"]
    assert set(df.cue) == {1, 2, 3, 4}
    with pytest.raises(ValueError, match="cues must be in 0..3"):
        log_likelihood(PavlovianBiasGoNoGo(), {}, [[1]], [[1.0]], 2, [[4]], 4)


def test_gonogo_likelihood_on_hbayesdm_data_is_gng_m4():
    """The instrumental log_likelihood (not the fitting registry) of the go/no-go learner on
    hBayesDM's data equals hBayesDM's gng_m4 written out in NumPy (test_hbayesdm_parity), per
    subject, at the learner's defaults and at other parameters."""
    from test_hbayesdm_parity import gng_m4

    df = pd.read_csv(DATA / "gng_exampleData.txt", sep="\t")
    g = [x for _, x in df.groupby("subjID", sort=False)]
    c = np.stack([x.keyPressed.values for x in g])
    o = np.stack([x.outcome.values for x in g]).astype(float)
    cue = np.stack([x.cue.values - 1 for x in g])
    m = PavlovianBiasGoNoGo()
    for p in ({"pi": 0.0}, {"epsilon": 0.2, "alpha": 0.4, "go_bias": -1.0, "pi": 2.0, "sensitivity_rew": 3.0,
                            "sensitivity_pun": 9.0}):
        full = {k: float(v) for k, v in m.validate_params(p).items()}
        ll = np.asarray(log_likelihood(m, p, c, o, 2, cue, 4)).sum(-1)
        hb = {"xi": full["epsilon"], "ep": full["alpha"], "b": full["go_bias"], "pi": full["pi"],
              "rhoRew": full["sensitivity_rew"], "rhoPun": full["sensitivity_pun"]}
        np.testing.assert_allclose(ll, [gng_m4(x, hb) for x in g], rtol=1e-5)


# ------------------------------------------------------------------ Q-learning, actor-critic
from mesolimbic.models import ActorCritic, QLearning  # noqa: E402


def test_q_learning_by_hand_softmax_and_epsilon_greedy():
    m = QLearning()
    p = {"alpha": 0.5, "beta": 1.0}
    s = m.init(p, Spec(n_actions=2, n_states=3))
    s, out = m.step(p, s, {"obs": 2, "action": 1, "outcome": 1.0})
    np.testing.assert_allclose(s["q"], [[0, 0], [0, 0], [0, 0.5]])
    assert float(out["log_prob"]) == pytest.approx(np.log(0.5))
    e = QLearning(policy="epsilon_greedy")
    assert e.param_names == ("alpha", "epsilon")
    pe = {"alpha": 0.5, "epsilon": 0.2}
    probs = np.exp(e.policy(pe, s, 2))
    np.testing.assert_allclose(probs, [0.1, 0.9], rtol=1e-6)  # greedy arm gets 1 - eps + eps/2
    np.testing.assert_allclose(np.exp(e.policy(pe, s, 0)), [0.5, 0.5], rtol=1e-6)  # tie split
    with pytest.raises(ValueError, match="policy must be one of"):
        QLearning(policy="greedy")


def test_actor_critic_by_hand_and_learning():
    m = ActorCritic()
    p = {"alpha_critic": 0.5, "alpha_actor": 0.25, "beta": 1.0}
    s = m.init(p, Spec(n_actions=2))
    s, out = m.step(p, s, {"obs": 0, "action": 0, "outcome": 1.0})
    assert float(out["rpe"]) == 1.0 and float(s["v"][0]) == 0.5
    np.testing.assert_allclose(s["h"][0], [0.25, 0.0])
    s, out = m.step(p, s, {"obs": 0, "action": 1, "outcome": 0.0})
    assert float(out["rpe"]) == -0.5  # the critic's error, shared by the actor
    np.testing.assert_allclose(s["h"][0], [0.25, -0.125])
    for model in (ActorCritic(), QLearning(), QLearning(policy="epsilon_greedy")):
        ds = single(simulate_choices(Bandit((0.8, 0.2), n_trials=150), model, n_agents=100, seed=0))
        assert float(ds.correct.isel(trial=slice(-50, None)).mean()) > 0.7, model
        ll = log_likelihood(model, {}, ds.choice.values, ds.outcome.values, 2)
        np.testing.assert_allclose(np.asarray(ll), ds.log_prob.values, atol=1e-5)


# ------------------------------------------------------------------ probabilistic selection task
from mesolimbic.models import StimulusValueLearner  # noqa: E402
from mesolimbic.tasks.pst import PAIRS, ProbabilisticSelection, choose_a_avoid_b  # noqa: E402


def test_stimulus_value_learner_by_hand():
    m = StimulusValueLearner(PAIRS)
    p = {"alpha_pos": 0.5, "alpha_neg": 0.1, "beta": 2.0}
    s = m.init(p, Spec(n_actions=2, n_states=len(PAIRS)))
    s, out = m.step(p, s, {"obs": 0, "action": 0, "outcome": 1.0})  # chose A (pair AB), rewarded
    s, out = m.step(p, s, {"obs": 0, "action": 1, "outcome": 0.0})  # chose B: delta 0 - 0 = 0
    s, out = m.step(p, s, {"obs": 0, "action": 0, "outcome": 0.0})  # chose A, no reward: delta -.5, rate .1
    np.testing.assert_allclose(s["q"], [0.45, 0, 0, 0, 0, 0])
    # no feedback (test phase): nothing changes
    s2, out = m.step(p, s, {"obs": 3, "action": 0, "outcome": 0.0, "feedback": False})
    np.testing.assert_allclose(s2["q"], s["q"])
    assert float(np.exp(m.policy(p, s, 0))[0]) == pytest.approx(1 / (1 + np.exp(-0.9)))


def test_pst_task_and_measures():
    task = ProbabilisticSelection(training_per_pair=40, test_per_pair=2)
    m = StimulusValueLearner(task.pairs)
    ds = single(simulate_choices(task, m, {"alpha_pos": 0.3, "alpha_neg": 0.3, "beta": 5.0}, n_agents=50, seed=0))
    train = ds.trial <= task.n_training
    assert set(np.unique(ds.cue.where(train, drop=True).values)) == {0, 1, 2}
    assert (ds.cue.where(~train, drop=True) >= 0).all() and int((~train).sum()) == 15 * 2
    assert float(ds.outcome.where(~train).max()) == 0.0  # no feedback at test
    acc = float(ds.correct.sel(trial=slice(100, 120)).mean())
    assert acc > 0.65
    m_ab = choose_a_avoid_b(ds)
    assert 0.6 < float(m_ab["choose_a"]) <= 1 and 0.6 < float(m_ab["avoid_b"]) <= 1
    ll = log_likelihood(m, {"alpha_pos": 0.3, "alpha_neg": 0.3, "beta": 5.0}, ds.choice.values,
                        ds.outcome.values, 2, ds.cue.values, task.n_states, feedback=ds.feedback.values)
    np.testing.assert_allclose(np.asarray(ll), ds.log_prob.values, atol=1e-5)


def test_pst_likelihood_on_hbayesdm_data_is_pst_gainloss_q():
    """The instrumental log_likelihood of the stimulus-value learner on hBayesDM's PST data (one
    subject at a time: unequal trial counts) equals hBayesDM's pst_gainloss_Q written out in
    NumPy (test_hbayesdm_parity)."""
    from test_hbayesdm_parity import pst_gainloss_Q

    df = pd.read_csv(DATA / "pst_exampleData.txt", sep="\t")
    m = StimulusValueLearner(PAIRS)
    pair_of = {12: 0, 34: 1, 56: 2}
    p = {"alpha_pos": 0.35, "alpha_neg": 0.05, "beta": 2.0}
    for _, g in df.groupby("subjID", sort=False):
        cues = g["type"].map(pair_of).values
        actions = np.where(g.choice.values == 1, 0, 1)  # 1 = the pair's first option
        ll = log_likelihood(m, p, actions[None], g.reward.values[None].astype(float), 2, cues[None], len(PAIRS))
        assert float(np.asarray(ll).sum()) == pytest.approx(pst_gainloss_Q(g, p), rel=1e-5)


def test_choice_task_env_for_gonogo_and_pst():
    from gymnasium.utils.env_checker import check_env

    from mesolimbic.envs import ChoiceTaskEnv

    for task in (GoNoGo(trials_per_cue=5), ProbabilisticSelection(training_per_pair=5, test_per_pair=1)):
        check_env(ChoiceTaskEnv(task), skip_render_check=True)
        env = ChoiceTaskEnv(task)
        obs, _ = env.reset(seed=1)
        seen, done, steps = {obs}, False, 0
        while not done:
            obs, r, done, _, info = env.step(1)
            seen.add(obs)
            steps += 1
        assert steps == task.n_trials and len(seen) >= 3
