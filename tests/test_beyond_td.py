"""Issue 18: the competing accounts and circuit pieces beside CSC TD, each against a hand-worked case."""

from __future__ import annotations

import numpy as np
import pytest

from mesolimbic.models import AverageRewardSARSA, Spec


# ------------------------------------------------------------------ average-reward agent (Niv et al. 2007)
def test_average_reward_sarsa_by_hand():
    m = AverageRewardSARSA()
    p = {"alpha": 0.5, "beta": 2.0, "alpha_r": 0.25}
    s = m.init(p, Spec(n_actions=2, n_states=3))
    s["q"] = s["q"].at[1].set(np.array([0.4, -0.2], np.float32))
    s["rbar"] = np.float32(0.2)
    s, out = m.step(p, s, {"obs": 0, "action": 1, "outcome": 1.0, "next_obs": 1, "next_action": 0, "done": False})
    # delta = r - rbar + Q(1, 0) - Q(0, 1) = 1 - 0.2 + 0.4 - 0 = 1.2; no discount
    assert float(out["rpe"]) == pytest.approx(1.2)
    assert float(s["q"][0, 1]) == pytest.approx(0.6)
    assert float(out["avg_reward"]) == pytest.approx(0.2)  # tonic dopamine before the update
    assert float(s["rbar"]) == pytest.approx(0.2 + 0.25 * 0.8)  # running average of the outcomes
    # softmax over beta Q(0, .) = (0, 0) before the update
    assert float(out["log_prob"]) == pytest.approx(np.log(0.5))
    # at the end of an episode nothing is bootstrapped
    _, out = m.step(p, s, {"obs": 0, "action": 1, "outcome": 0.0, "next_obs": 1, "next_action": 0, "done": True})
    assert float(out["rpe"]) == pytest.approx(0.0 - 0.4 - 0.6)


def test_average_reward_sarsa_tracks_reward_rate_in_a_schedule():
    from mesolimbic.instrumental import simulate_choices
    from mesolimbic.results import single
    from mesolimbic.tasks.schedules import Schedule

    ds = single(simulate_choices(Schedule("FR", 1, n_steps=1500, cost=0.1), AverageRewardSARSA(),
                                 {"alpha": 0.1, "beta": 10.0, "alpha_r": 0.02}, n_agents=5, seed=1))
    late = slice(1000, 1500)
    assert float(ds.avg_reward[:, late].mean()) == pytest.approx(float(ds.outcome[:, late].mean()), abs=0.03)
    assert float(ds.choice[:, late].mean()) > 0.8  # CRF: responding pays every step


# ------------------------------------------------------------------ lateral habenula with a baseline
def test_habenula_rate_by_hand():
    from mesolimbic import neurons

    # 25 Hz baseline, 15 Hz per unit error either way, floor 0
    np.testing.assert_allclose(neurons.habenula_rate(np.array([0.0, 1.0, -1.0, 2.0])), [25.0, 10.0, 40.0, 0.0])
    # the mirror of dopamine: opposite signs about each baseline
    d = np.linspace(-1, 1, 9)
    da, lhb = neurons.firing_rate(d), neurons.habenula_rate(d)
    assert np.all(np.sign(da - 4.0) == -np.sign(lhb - 25.0))
    with pytest.raises(ValueError, match="floor"):
        neurons.habenula_rate(d, baseline=5.0, floor=6.0)


# ------------------------------------------------------------------ VTA GABA subtraction (Eshel et al. 2015)
def test_gaba_td_by_hand():
    from mesolimbic.models import GabaTD

    p = {"alpha": 0.5, "gamma": 1.0, "lam": 0.0}
    for combine, extra, expected in (("subtractive", {}, 1.0 - 0.4 - 0.3), ("divisive", {"kappa": 2.0},
                                                                             (1.0 - 0.4) / (1.0 + 2.0 * 0.3))):
        m = GabaTD(combine)
        pp = dict(p, **extra)
        s = m.init(pp, Spec(n_features=2))
        s["w"] = np.array([0.4, 0.0], np.float32)
        s["x_prev"] = np.array([1.0, 0.0], np.float32)
        s["e"] = np.array([1.0, 0.0], np.float32)
        s, out = m.step(pp, s, {"x": np.zeros(2, np.float32), "r": 1.0, "reset": False, "stim": 0.3})
        # GABA input: V(t-1) = 0.4 plus the drive 0.3
        assert float(out["gaba"]) == pytest.approx(0.7)
        assert float(out["rpe"]) == pytest.approx(expected, rel=1e-5)
        assert float(s["w"][0]) == pytest.approx(0.4 + 0.5 * expected, rel=1e-5)  # the dopamine error teaches
        # without stimulation both are TD
        s2 = m.init(pp, Spec(n_features=2))
        s2["w"], s2["x_prev"] = np.array([0.4, 0.0], np.float32), np.array([1.0, 0.0], np.float32)
        _, out = m.step(pp, s2, {"x": np.zeros(2, np.float32), "r": 1.0, "reset": False})
        assert float(out["rpe"]) == pytest.approx(0.6)


# ------------------------------------------------------------------ dopamine concentration (Dreyer et al. 2010)
def test_concentration_by_hand():
    import xarray as xr

    from mesolimbic import neurons

    # steady state of a constant rate: C* = Km R f / (Vmax - R f) = 0.2 * 0.4 / 3.6
    c = neurons.concentration(np.full((2, 5), 4.0), dt=0.1)
    np.testing.assert_allclose(c, 0.2 * 0.4 / 3.6, rtol=1e-5)
    # one Euler step of 10 ms from 0 at 10 Hz: C = 0.01 * (0.1 * 10 - 0) = 0.01 µM
    c = neurons.concentration(np.array([10.0]), dt=0.01, substep=0.01, c0=0.0)
    np.testing.assert_allclose(c, [0.01], rtol=1e-6)
    # and the next step subtracts uptake Vmax C / (Km + C) = 4 * 0.01 / 0.21
    c = neurons.concentration(np.array([10.0, 10.0]), dt=0.01, substep=0.01, c0=0.0)
    np.testing.assert_allclose(c, [0.01, 0.02 - 0.01 * 4 * 0.01 / 0.21], rtol=1e-5)
    # a burst raises it, and blocking reuptake (Km up) makes the transient larger
    rate = xr.DataArray(np.r_[np.full(10, 4.0), np.full(2, 20.0), np.full(20, 4.0)], dims="time",
                        coords={"time": 0.1 * np.arange(32)})
    ctl, blk = neurons.concentration(rate), neurons.concentration(rate, km=1.0)
    assert ctl.dims == ("time",) and ctl.attrs["units"] == "µM"
    assert float(ctl.max() - ctl[0]) > 0 and float(blk.max() - blk[0]) > float(ctl.max() - ctl[0])
    with pytest.raises(ValueError, match="dt"):
        neurons.concentration(np.ones(3))
    with pytest.raises(ValueError, match="vmax"):
        neurons.concentration(np.full(3, 50.0), dt=0.1)  # 5 µM/s of release saturates uptake


# ------------------------------------------------------------------ adaptive coding (Tobler et al. 2005)
def test_adaptive_code_by_hand():
    import xarray as xr

    from mesolimbic import neurons

    # two equiprobable outcomes 0.5 or 1.5: range 1, SD 0.5; the larger gives RPE +0.5
    assert neurons.outcome_spread((0.5, 1.5)) == pytest.approx(1.0)
    assert neurons.outcome_spread((0.5, 1.5), kind="sd") == pytest.approx(0.5)
    assert neurons.outcome_spread((0.0, 1.0, 2.0), (0.5, 0.0, 0.5)) == pytest.approx(2.0)
    assert neurons.outcome_spread((0.0, 1.0), (0.25, 0.75), kind="sd") == pytest.approx(np.sqrt(0.1875))
    for lo, hi in ((0.05, 0.15), (0.5, 1.5)):  # the same normalised response whatever the scale
        assert neurons.adaptive_code(hi - (lo + hi) / 2, neurons.outcome_spread((lo, hi))) == pytest.approx(0.5)
        assert neurons.adaptive_code(hi, neurons.outcome_spread((lo, hi), kind="sd"), centre=(lo + hi) / 2) == \
            pytest.approx(1.0)
    assert np.isfinite(neurons.adaptive_code(0.3, 0.0))  # a certain outcome: the floor keeps it finite
    da = neurons.adaptive_code(xr.DataArray([0.1, 1.0], dims="cue"), xr.DataArray([0.2, 2.0], dims="cue"))
    np.testing.assert_allclose(da, [0.5, 0.5])
    with pytest.raises(ValueError, match="spread"):
        neurons.adaptive_code(1.0, -1.0)
    with pytest.raises(ValueError, match="probs"):
        neurons.outcome_spread((0.0, 1.0), (0.3, 0.3))


# ------------------------------------------------------------------ quantile-regression distributional TD
def test_quantile_rpe_by_hand():
    from mesolimbic.models import QuantileRPE
    from mesolimbic.models.distributional import quantiles

    m = QuantileRPE((0.25, 0.75))
    p = {"alpha": 0.1}
    s = m.init(p)
    s["v"] = np.array([0.5, 0.5], np.float32)
    # a better outcome moves each unit up by alpha tau, whatever its size
    for r in (0.6, 10.0):
        s2, out = m.step(p, s, {"r": r})
        np.testing.assert_allclose(out["rpe"], [r - 0.5, r - 0.5], rtol=1e-6)
        np.testing.assert_allclose(s2["v"], [0.525, 0.575], rtol=1e-6)
    # a worse one down by alpha (1 - tau)
    s2, _ = m.step(p, s, {"r": -3.0})
    np.testing.assert_allclose(s2["v"], [0.425, 0.475], rtol=1e-6)
    np.testing.assert_allclose(quantiles([1.0, 2.0, 3.0, 4.0], [0.25] * 4, [0.1, 0.25, 0.3, 0.9]), [1, 1, 2, 4])
    # a long run settles at the quantiles
    rng = np.random.default_rng(0)
    out = QuantileRPE((0.1, 0.5, 0.9)).run({"alpha": 0.01}, rng.uniform(0, 1, 20000))
    np.testing.assert_allclose(out["value"][-2000:].mean(0), [0.1, 0.5, 0.9], atol=0.03)


# ------------------------------------------------------------------ belief-state TD (Starkweather et al. 2017)
def test_belief_td_by_hand():
    from mesolimbic.models import BeliefTD

    # delays 0.2 or 0.4 s (equal), reward on 80 % of trials, dt 0.1: after k steps without reward,
    # b_ISI = 0.8 S(k) / (0.8 S(k) + 0.2) with S(k) = P(delay > k steps) = 1, 1, 0.5, 0.5, 0
    m = BeliefTD([0.2, 0.4], p_reward=0.8, dt=0.1)
    np.testing.assert_allclose(m.belief_isi(5), [0.8, 0.8, 0.4 / 0.6, 0.4 / 0.6, 0.0], rtol=1e-6)
    assert BeliefTD([0.2, 0.4], dt=0.1).belief_isi(5)[4] == 0.0  # certain reward that has not come: none left
    p = {"alpha": 0.5, "gamma": 1.0}
    s = m.init(p, Spec(n_features=5))
    s["w"] = np.array([0.0, 0.0, 0.5, 0.0, 0.0, 0.0], np.float32)  # value of ISI_2 only
    x2 = np.eye(5, dtype=np.float32)[2]
    s, out = m.step(p, s, {"x": x2, "r": 0.0, "reset": False})
    assert float(out["belief_isi"]) == pytest.approx(0.4 / 0.6)
    assert float(out["value"]) == pytest.approx(0.5 * 0.4 / 0.6)
    # the reward comes: belief goes to the inter-trial state (V = 0), delta = 1 - V_prev
    s, out = m.step(p, s, {"x": np.eye(5, dtype=np.float32)[3], "r": 1.0, "reset": False})
    assert float(out["rpe"]) == pytest.approx(1.0 - 0.5 * 0.4 / 0.6)
    assert float(out["value"]) == 0.0
    # the weight of ISI_2 moved by alpha delta b_ISI_2, and OM's by alpha delta b_OM
    d = 1.0 - 0.5 * 0.4 / 0.6
    assert float(s["w"][2]) == pytest.approx(0.5 + 0.5 * d * 0.4 / 0.6)
    assert float(s["w"][5]) == pytest.approx(0.5 * d * 0.2 / 0.6)
    with pytest.raises(ValueError, match="probs"):
        BeliefTD([0.2, 0.4], probs=[0.5, 0.6])


# ------------------------------------------------------------------ axiomatic test of the RPE (Caplin & Dean 2008)
def test_rpe_axioms_by_hand():
    import xarray as xr

    from mesolimbic.axioms import rpe_axioms

    def grid(values):
        return xr.DataArray(np.array(values, float), dims=("prize", "lottery"),
                            coords={"prize": [0, 1], "lottery": [0.0, 0.5, 1.0]})

    nan = np.nan
    # an RPE: prize minus expectation
    res = rpe_axioms(grid([[0.0, -0.5, nan], [nan, 0.5, 0.0]]))
    assert res.holds.all() and float(res.violation.sum()) == 0.0
    assert res.n_comparisons.sel(axiom="no_surprise_equivalence").item() == 2
    # the reward itself: a certain 1 gives 1, a certain 0 gives 0 -> A3 fails by 1
    res = rpe_axioms(grid([[0.0, 0.0, nan], [nan, 1.0, 1.0]]))
    assert res.violation.sel(axiom="no_surprise_equivalence").item() == pytest.approx(1.0)
    assert res.holds.sel(axiom="consistent_prize_ordering") and res.holds.sel(axiom="consistent_lottery_ordering")
    assert res.worst.sel(axiom="no_surprise_equivalence").item() == "lotteries 0.0 and 1.0"
    # A1: prizes 0 and 1 swap order between two lotteries (three prizes, three lotteries all giving each)
    three = xr.DataArray(np.array([[0.0, 0.3, 0.0], [0.2, 0.1, 0.2], [0.5, 0.6, 0.7]]), dims=("prize", "lottery"),
                         coords={"prize": [0, 1, 2], "lottery": ["a", "b", "c"]})
    res = rpe_axioms(three)
    # prizes 0 vs 1: differences -0.2, +0.2, -0.2 -> min(0.2, 0.2) = 0.2
    assert res.violation.sel(axiom="consistent_prize_ordering").item() == pytest.approx(0.2)
    assert rpe_axioms(three, tol=0.25).holds.all()  # within the tolerance: ties
    # lotteries a vs b: differences -0.3, +0.1, -0.1 -> 0.1
    assert res.violation.sel(axiom="consistent_lottery_ordering").item() == pytest.approx(0.1)
    assert rpe_axioms(xr.Dataset({"signal": three})).violation.sel(axiom="consistent_prize_ordering") > 0
    with pytest.raises(ValueError, match="dimensions"):
        rpe_axioms(xr.DataArray(np.zeros(3), dims="x"))


# ------------------------------------------------------------------ salience- vs value-coding dopamine neurons
def test_salience_rate_by_hand():
    from mesolimbic import neurons

    # 4 Hz + 20 Hz per unit of either positive error; negative parts dropped
    np.testing.assert_allclose(neurons.salience_rate(np.array([0.5, 0.0, -0.5, 0.2]), np.array([0.0, 0.5, 0.0, 0.3])),
                               [14.0, 14.0, 4.0, 14.0])
    # the value-coding neuron of the same errors: excited by reward, inhibited by punishment
    np.testing.assert_allclose(neurons.firing_rate(np.array([0.5, 0.0]) - np.array([0.0, 0.5])), [14.0, 2.0])


# ------------------------------------------------------------------ successor-representation TD (vector error)
def test_successor_td_by_hand():
    from mesolimbic.models import SuccessorTD

    m = SuccessorTD(("pellet",))
    p = {"alpha": 0.5, "alpha_r": 0.5, "gamma": 0.9}
    s = m.init(p, Spec(n_features=2))  # feature 0: a cue, feature 1: the pellet
    cue, pellet = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    mask = {"identity_pellet": pellet}
    s, out = m.step(p, s, {"x": cue, "r": 0.0, "reset": True, **mask})
    assert float(out["spe_norm"]) == pytest.approx(1.0)  # the cue itself was not predicted
    s, out = m.step(p, s, {"x": pellet, "r": 1.0, "reset": False, **mask})
    # vector error: x_t + gamma M x_t - M x_{t-1} = pellet (M was 0 after the first update of the ITI row)
    assert float(out["spe_pellet"]) == pytest.approx(1.0)
    assert float(out["rpe"]) == pytest.approx(1.0)  # scalar: r + gamma V - V_prev with R = 0
    np.testing.assert_allclose(s["m"], [[0.0, 0.0], [0.5, 0.0]])  # M[:, cue] += alpha * spe (column of x_prev)
    np.testing.assert_allclose(s["r"], [0.0, 0.5])  # R += alpha_r (r - R.x) x
    # next visit: the cue predicts the pellet: psi(cue) = M x_cue = 0.5 pellet
    _, out = m.step(p, s, {"x": cue, "r": 0.0, "reset": True, **mask})
    assert float(out["psi_pellet"]) == pytest.approx(0.5)
    assert float(out["value"]) == pytest.approx(0.25)  # R . psi
