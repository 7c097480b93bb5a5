"""Multi-step instrumental tasks: reinforcement schedules, active avoidance, fear
conditioning, the bootstrapping learners (SARSA, discounted Q-learning and
actor-critic), OpAL, and step-level input checks."""

import numpy as np
import pytest

from mesolimbic.models import Spec
from mesolimbic.results import single

from mesolimbic.instrumental import log_likelihood, simulate_choices, to_dataframe
from mesolimbic.models import SARSA, ActorCritic, DeltaRule, OpAL, QLearning
from mesolimbic.tasks.aversive import ActiveAvoidance, fear_conditioning
from mesolimbic.tasks.schedules import Schedule


def run(task, actions, draws=None):
    """Drive a task's transition with NumPy by hand: list of (outcome, info)."""
    state = task.init(np.random.default_rng(0), xp=np)
    out = []
    for i, a in enumerate(actions):
        u = np.array(draws[i]) if draws is not None else np.array([0.99, 0.5])
        state, r, info = task.transition(np, state, a, u)
        out.append((float(r), info))
    return out


# ------------------------------------------------------------------ schedules
def test_fixed_ratio_by_hand():
    task = Schedule("FR", 3, n_steps=20, cost=0.1)
    res = run(task, [1, 0, 1, 1, 1, 1, 1])
    reinforced = [bool(i["reinforced"]) for _, i in res]
    assert reinforced == [False, False, False, True, False, False, True]  # every 3rd response
    assert [r for r, _ in res][:4] == pytest.approx([-0.1, 0.0, -0.1, 0.9])


def test_fixed_interval_by_hand():
    task = Schedule("FI", 4, n_steps=20, cost=0.0)
    res = run(task, [1, 1, 1, 1, 0, 0, 0, 1, 1])
    reinforced = [bool(i["reinforced"]) for _, i in res]
    # 4 steps must pass since the last reinforcer (or the start): the 4th step's response collects it
    assert reinforced == [False, False, False, True, False, False, False, True, False]


def test_random_ratio_and_extinction():
    task = Schedule("RR", 0.3, n_steps=3, n_extinction=3, cost=0.0)
    draws = [(0.2, 0.5), (0.4, 0.5), (0.2, 0.5), (0.1, 0.5), (0.1, 0.5), (0.0, 0.5)]
    res = run(task, [1, 1, 0, 1, 1, 1], draws)
    assert [bool(i["reinforced"]) for _, i in res] == [True, False, False, False, False, False]
    assert [bool(i["extinction"]) for _, i in res] == [False, False, False, True, True, True]


def test_variable_schedules_have_the_right_mean():
    for kind, draw in (("VR", "uniform"), ("VR", "geometric"), ("VI", "geometric"), ("VI", "uniform")):
        task = Schedule(kind, 6, draw=draw)
        u = np.random.default_rng(1).random(200_000)
        req = task._requirement(np, u)
        assert req.min() >= 1 and req.mean() == pytest.approx(6, rel=0.02), (kind, draw)
        if draw == "uniform":
            assert req.max() == 11  # 1 .. 2n - 1


def test_observation_codes_time_and_count():
    task = Schedule("FR", 100, time_cap=5, count_cap=3)
    state = task.init(None, xp=np)
    for a in (1, 1, 0, 0, 0, 0, 0, 1):
        state, _, _ = task.transition(np, state, a, np.array([0.5, 0.5]))
    assert int(state["since"]) == 8 and int(state["count"]) == 3
    assert int(task.observe(state)) == 5 * 4 + 3  # both capped


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "FR", "value": 0.5}, r"value \(FR ratio\) must be in \[1, inf\]"),
    ({"kind": "FI", "value": 0}, r"value \(FI interval\) must be in \[1, inf\]"),
    ({"kind": "RR", "value": 1.5}, r"value \(RR probability\) must be in \(0, 1\]"),
    ({"kind": "FR", "value": 2.5}, "whole number"),
    ({"kind": "XR"}, "kind must be one of"),
    ({"kind": "VR", "draw": "poisson"}, "draw must be one of"),
    ({"cost": -1}, r"cost must be in \[0, inf\]"),
])
def test_bad_schedules(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Schedule(**kwargs)


def test_simulated_schedule_respects_the_rules():
    task = Schedule("FR", 4, n_steps=300, n_extinction=100, cost=0.05)
    ds = single(simulate_choices(task, SARSA(), {"alpha": 0.2, "beta": 5.0, "gamma": 0.9}, n_agents=20, seed=0))
    resp, rf = ds.choice.values, ds.reinforced.values
    assert not rf[:, 300:].any()  # extinction
    for a in range(20):  # exactly every 4th response is reinforced during acquisition
        presses = np.flatnonzero(resp[a, :300])
        np.testing.assert_array_equal(np.flatnonzero(rf[a]), presses[3::4])
    np.testing.assert_allclose(ds.outcome.values, rf * 1.0 - resp * 0.05, atol=1e-6)
    assert resp[:, 200:300].mean() > 0.5  # it learned to respond


# ------------------------------------------------------------------ bootstrapping learners
def test_sarsa_q_learning_actor_critic_by_hand():
    p = {"alpha": 0.5, "beta": 1.0, "gamma": 0.9}
    for model, target_next in ((SARSA(), 0.2), (QLearning(discounted=True), 0.8)):
        s = model.init(p, Spec(n_actions=2, n_states=3))
        s["q"] = s["q"].at[1].set(np.array([0.8, 0.2], np.float32))
        s, out = model.step(p, s, {"obs": 0, "action": 1, "outcome": 1.0, "next_obs": 1, "next_action": 1,
                                   "done": False})
        # SARSA bootstraps from the next action taken (Q(1,1) = 0.2), Q-learning from the best (0.8)
        assert float(out["rpe"]) == pytest.approx(1.0 + 0.9 * target_next)
        assert float(s["q"][0, 1]) == pytest.approx(0.5 * (1.0 + 0.9 * target_next))
        s2, out = model.step(p, s, {"obs": 0, "action": 1, "outcome": 0.0, "next_obs": 1, "next_action": 1,
                                    "done": True})
        assert float(out["rpe"]) == pytest.approx(-float(s["q"][0, 1]))  # no bootstrap at the episode end
    ac = ActorCritic(discounted=True)
    pa = {"alpha_critic": 0.5, "alpha_actor": 0.25, "beta": 1.0, "gamma": 0.5}
    s = ac.init(pa, Spec(n_actions=2, n_states=2))
    s["v"] = s["v"].at[1].set(-1.0)
    s, out = ac.step(pa, s, {"obs": 0, "action": 1, "outcome": 0.0, "next_obs": 1, "done": False})
    assert float(out["rpe"]) == pytest.approx(-0.5)  # 0 + 0.5 * (-1) - 0
    np.testing.assert_allclose(s["h"][0], [0.0, -0.125])
    assert ActorCritic().param_names == ("alpha_critic", "alpha_actor", "beta")  # one-step default unchanged
    assert "gamma" in SARSA().param_names and "gamma" not in QLearning().param_names


def test_sarsa_likelihood_is_the_simulation():
    task = Schedule("VI", 5, n_steps=150, cost=0.05, time_cap=8, count_cap=4)
    for model, p in ((SARSA(), {"alpha": 0.3, "beta": 4.0, "gamma": 0.9}),
                     (QLearning(discounted=True), {"alpha": 0.3, "beta": 4.0, "gamma": 0.9}),
                     (ActorCritic(discounted=True), {"alpha_critic": 0.3, "alpha_actor": 0.3, "beta": 2.0,
                                                     "gamma": 0.9})):
        ds = single(simulate_choices(task, model, p, n_agents=5, seed=2))
        ll = log_likelihood(model, p, ds.choice.values, ds.outcome.values, 2, cues=ds.cue.values,
                            n_states=task.n_states, done=False)
        # the last step's bootstrap is cut (the data end), so compare all but its effect (none on log-probs)
        np.testing.assert_allclose(np.asarray(ll), ds.log_prob.values, atol=2e-5)


def test_step_rejects_actions_outside_the_action_space():
    for model, n in ((DeltaRule(), 2), (QLearning(), 2), (SARSA(), 2), (ActorCritic(), 3), (OpAL(), 2)):
        p = {k: v.item() for k, v in model.validate_params({}).items()}
        s = model.init(p, Spec(n_actions=n, n_states=1))
        for bad in (n, -1, 0.5):
            with pytest.raises(ValueError, match=rf"action must be an integer in \[0, {n - 1}\]"):
                model.step(p, s, {"obs": 0, "action": bad, "outcome": 1.0})


# ------------------------------------------------------------------ OpAL
def test_opal_by_hand():
    m = OpAL()
    p = {"alpha_critic": 0.5, "alpha_go": 0.5, "alpha_nogo": 0.25, "beta": 1.0, "rho": 0.0}
    s = m.init(p, Spec(n_actions=2, n_states=1))
    s, out = m.step(p, s, {"obs": 0, "action": 0, "outcome": 1.0})
    assert float(out["rpe"]) == 1.0
    np.testing.assert_allclose(s["g"][0], [1.5, 1.0])  # G += a_G * G * delta
    np.testing.assert_allclose(s["n"][0], [0.75, 1.0])  # N += a_N * N * (-delta)
    act = np.array([1.5 - 0.75, 0.0])
    np.testing.assert_allclose(np.exp(m.policy(p, s, 0)), np.exp(act) / np.exp(act).sum(), rtol=1e-6)
    hi = dict(p, rho=0.5)  # dopamine weights Go over NoGo: beta_G = 1.5, beta_N = 0.5
    act = np.array([1.5 * 1.5 - 0.5 * 0.75, 1.5 - 0.5])
    np.testing.assert_allclose(np.exp(m.policy(hi, s, 0)), np.exp(act) / np.exp(act).sum(), rtol=1e-6)


# ------------------------------------------------------------------ aversive
def test_active_avoidance_by_hand():
    task = ActiveAvoidance(n_episodes=3, warning_steps=3, n_actions=4, response_cost=0.1)
    res = run(task, [0, 0, 0, 2, 1, 1, 0, 0, 0], [0.5] * 9)
    outcomes = [r for r, _ in res]
    # trial 1: no avoidance -> shock on its last step; trial 2: avoid on step 2, then safe
    assert outcomes == pytest.approx([0, 0, -1, 0, -0.1, 0, 0, 0, -1])
    assert [bool(i["done"]) for _, i in res] == [False, False, True] * 3
    assert [bool(i["avoided"]) for _, i in res] == [False] * 4 + [True] + [False] * 4
    state = task.init(None, xp=np)
    state, _, _ = task.transition(np, state, 1, 0.5)
    assert int(task.observe(state)) == 3  # the safe state
    with pytest.raises(ValueError, match=r"shock must be in \[-inf, 0\)"):
        ActiveAvoidance(shock=1.0)


def test_fear_conditioning_design():
    d = fear_conditioning(10, 5)
    assert [p.name for p in d.phases] == ["acquisition", "extinction"]
    assert d.trial_types[0].magnitude == -1.0
    with pytest.raises(ValueError, match="shock must be in"):
        fear_conditioning(shock=0.5)


def test_multistep_envs_pass_the_checker():
    from gymnasium.utils.env_checker import check_env

    from mesolimbic.envs import ChoiceTaskEnv

    for task in (Schedule("VI", 5, n_steps=40, n_extinction=10), ActiveAvoidance(n_episodes=10)):
        env = ChoiceTaskEnv(task)
        check_env(env, skip_render_check=True)
    # stepping the environment follows the task's rules: FR-3 reinforces every third press and
    # nothing in extinction; the rewards are the reinforcer minus the response cost
    env = ChoiceTaskEnv(Schedule("FR", 3, n_steps=9, n_extinction=3, cost=0.1))
    env.reset(seed=0)
    steps = [env.step(a) for a in (1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1)]
    assert [bool(i["reinforced"]) for *_, i in steps] == [False, False, True] + [False] * 3 + [True] + [False] * 5
    assert [bool(i["extinction"]) for *_, i in steps] == [False] * 9 + [True] * 3
    np.testing.assert_allclose([r for _, r, *_ in steps], [-0.1, -0.1, 0.9, 0.0, -0.1, -0.1, 0.9] + [-0.1] * 5)


def test_schedule_table():
    task = Schedule("FR", 2, n_steps=30)
    ds = single(simulate_choices(task, SARSA(), {"alpha": 0.2, "beta": 3.0, "gamma": 0.9}, n_agents=3, seed=0))
    df = to_dataframe(ds)
    assert list(df.columns)[:4] == ["subjID", "trial", "choice", "outcome"]
    # the rows are the simulation's, agent by agent (choices 1-based), and the table obeys FR-2
    np.testing.assert_array_equal(df.choice, ds.choice.values.ravel() + 1)
    np.testing.assert_allclose(df.outcome, ds.outcome.values.ravel())
    np.testing.assert_allclose(df.rpe, ds.rpe.values.ravel())
    np.testing.assert_array_equal(df.reinforced.astype(bool), ds.reinforced.values.ravel())
    for _, sub in df.groupby("subjID"):
        presses = np.flatnonzero(sub.choice.to_numpy() == 2)
        np.testing.assert_array_equal(np.flatnonzero(sub.reinforced.to_numpy()), presses[1::2])
