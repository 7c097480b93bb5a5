"""The circuit: one step by hand, lesions and manipulations, bad input; distributional
RPE; the hijackable learner; response vigour."""

import numpy as np
import pytest

import mesolimbic as ml
from mesolimbic.circuit import (Circuit, DopamineAgonist, DopamineDepletion, Drug, LDopa, Lesion, Opioid,
                                Optogenetic, PhysiologicalState, simulate_circuit, simulate_vigour)
from mesolimbic.models import DistributionalRPE, HijackedDeltaRule, Spec
from mesolimbic.results import single
from mesolimbic.models.distributional import decode_expectiles, expectiles

P = {"alpha_nac": 0.5, "alpha_amygdala": 0.5, "gamma": 1.0, "lam": 0.0, "alpha_tonic": 0.1,
     "beta_approach": 2.0, "approach_threshold": 0.0, "aberrant_salience": 0.5}
ONE = {"kappa_mult": np.ones(2, np.float32), "kappa_add": np.zeros(2, np.float32)}


def step(c, state, x, r, reset=False, stim=0.0):
    return c.step(P, state, {"x": np.asarray(x, np.float32), "r": np.float32(r), "reset": reset, "stim": stim,
                             **ONE})


def test_one_step_by_hand():
    c = Circuit()
    s = c.init(P, Spec(n_features=2))
    s["w_nac"] = s["w_nac"].at[0].set(0.4)
    s["w_neg"] = s["w_neg"].at[1].set(0.3)
    s, _ = step(c, s, [1, 1], 0.0, reset=True)  # previous state: cue features 0 and 1 on
    s, out = step(c, s, [0, 0], -1.0)  # then a shock
    # prediction before: 0.4 - 0.3 = 0.1; now 0 -> delta = -1 + 0 - 0.1
    assert float(out["rpe"]) == pytest.approx(-1.1)
    # amygdala's own aversive error: 1 + 0 - 0.3 = 0.7 -> w- += 0.5 * 0.7 on both traced features
    np.testing.assert_allclose(s["w_neg"], [0.35, 0.65], rtol=1e-6)
    # NAc learns from dopamine, never below zero
    np.testing.assert_allclose(s["w_nac"], [0.0, 0.0], atol=1e-7)
    assert float(out["liking"]) == -1.0 and float(out["tonic"]) == pytest.approx(0.1 * (-1.0 - 0.0) * 1.0 + 0.0)


def test_wanting_liking_and_physiological_state_by_hand():
    c = Circuit()
    s = c.init(P, Spec(n_features=2))
    s["w_nac"] = s["w_nac"].at[0].set(0.8)
    s["w_neg"] = s["w_neg"].at[1].set(0.5)
    kappa = np.exp(1.0)
    inp = {"x": np.array([1, 0], np.float32), "r": np.float32(0), "reset": True, "stim": 0.0,
           "kappa_mult": np.array([2.0, 1.0], np.float32), "kappa_add": np.array([0.0, 1.0], np.float32)}
    _, out = c.step(P, s, inp)
    assert float(out["wanting"]) == pytest.approx(1.6)  # appetitive prediction 0.8 x kappa 2
    _, out = c.step(P, s, {**inp, "x": np.array([0, 1], np.float32)})
    assert float(out["wanting"]) == pytest.approx(-0.5 + np.log(kappa))  # aversive: -0.5 + log kappa
    op = Circuit(manipulations=[Opioid(3.0)])
    _, out = op.step(P, op.init(P, Spec(n_features=2)), {**inp, "r": np.float32(1.0)})
    assert float(out["liking"]) == 3.0
    ag = Circuit(manipulations=[DopamineAgonist(2.0)])
    _, out = ag.step(P, s, inp)
    assert float(out["wanting"]) == pytest.approx(2 * 1.6 + 0.5 * (2 - 1))  # gain plus aberrant salience


def test_manipulations_compose():
    c = Circuit(manipulations=[DopamineDepletion(0.8), LDopa(5.0)])
    k = c.knobs
    assert k["burst_scale"] == pytest.approx(1.0) and k["tonic_scale"] == pytest.approx(1.0)
    assert k["dip_scale"] == pytest.approx(0.2)
    model, params = c.actor()
    assert params["alpha_go"] == pytest.approx(0.1) and params["alpha_nogo"] == pytest.approx(0.02)
    assert params["rho"] == pytest.approx(0.0, abs=1e-9)
    off = Circuit(manipulations=[DopamineDepletion(0.5)]).actor()[1]
    assert off["alpha_go"] == pytest.approx(0.05) and off["rho"] == pytest.approx(-1 / 3)


def test_lesions_drug_lhb_and_optogenetics_in_simulation():
    d = ml.PavlovianDesign.from_notation([("t", {"A+": 30})], name="t")
    base = single(simulate_circuit(d, Circuit(), n_agents=2))
    no_vta = single(simulate_circuit(d, Circuit(manipulations=[Lesion("vta")]), n_agents=2))
    assert float(np.abs(no_vta.rpe_us).max()) == 0.0 and float(np.abs(no_vta.w_nac).max()) == 0.0
    assert float(base.value_nac_cs[:, -1].mean()) > 0.5
    drug = single(simulate_circuit(d, Circuit(manipulations=[Drug(0.3)]), n_agents=2))
    assert float(drug.rpe_us.min()) >= 0.3 - 1e-6  # never below D at the drug
    # LHb carries the dips: omission after training gives a dip, gone when LHb is lesioned
    om = ml.PavlovianDesign.from_notation([("t", {"A+": 40}), ("o", {"A-": 1})], name="o")
    with_lhb = single(simulate_circuit(om, Circuit(regions=("vta", "nac", "lhb")), n_agents=1))
    no_lhb = single(simulate_circuit(om, Circuit(regions=("vta", "nac", "lhb"), manipulations=[Lesion("lhb")]), n_agents=1))
    assert float(with_lhb.rpe_us[0, -1]) < -0.5 and float(with_lhb.lhb_us[0, -1]) > 0.5
    assert float(no_lhb.rpe_us[0, -1]) == 0.0
    # optogenetic excitation at the US adds to the phasic signal there
    opto = single(simulate_circuit(d, Circuit(manipulations=[Optogenetic(at=1.0, size=0.5)]), n_agents=1))
    assert float(opto.rpe_us[0, 0]) == pytest.approx(float(base.rpe_us[0, 0]) + 0.5)
    assert base.rpe_cs.attrs["region"] == "vta" and base.fear_cs.attrs["region"] == "amygdala"
    assert "Drug" in drug.attrs["manipulations"]


def test_physiological_state_only_in_its_phases():
    d = ml.PavlovianDesign.from_notation([("train", {"A+": 10}), ("test", {"A-": 2})], name="p")
    c = Circuit(manipulations=[PhysiologicalState(4.0, ("A",), phases=("test",))])
    a = single(simulate_circuit(d, c, n_agents=1))
    b = single(simulate_circuit(d, Circuit(), n_agents=1))
    np.testing.assert_allclose(a.wanting_cs[0, :10], b.wanting_cs[0, :10])
    np.testing.assert_allclose(a.wanting_cs[0, 10], 4.0 * b.wanting_cs[0, 10], rtol=1e-5)


@pytest.mark.parametrize("make, match", [
    (lambda: Circuit(regions=("vta", "striatum")), r"unknown region\(s\) \['striatum'\]"),
    (lambda: Circuit(regions=("nac",)), r"region 'nac' needs \['vta'\]"),
    (lambda: Circuit(regions=("vta", "nac"), manipulations=[Lesion("amygdala")]),
     "acts on region 'amygdala', which this circuit does not have"),
    (lambda: Circuit(regions=("amygdala",), manipulations=[DopamineDepletion(0.5)]), "acts on region 'vta'"),
    (lambda: DopamineDepletion(1.5), r"fraction must be in \[0, 1\], got 1.5"),
    (lambda: DopamineAgonist(0.5), r"gain must be in \[1, inf\]"),
    (lambda: Drug(0.0), r"size must be in \(0, inf\]"),
    (lambda: PhysiologicalState(0.0, ("A",)), r"kappa must be in \(0, inf\]"),
    (lambda: PhysiologicalState(2.0, ()), "cues must name"),
    (lambda: Circuit(regions=("vta", "amygdala")).actor(), "needs region 'pfc'"),
])
def test_bad_circuits(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_circuit_runs():
    d = ml.PavlovianDesign.from_notation([("t", {"A+": 3})], name="t")
    with pytest.raises(ValueError, match=r"cue\(s\) \['Z'\]"):
        single(simulate_circuit(d, Circuit(manipulations=[PhysiologicalState(2.0, ("Z",))])))
    with pytest.raises(ValueError, match=r"phase\(s\) \['test'\]"):
        single(simulate_circuit(d, Circuit(manipulations=[PhysiologicalState(2.0, ("A",), phases=("test",))])))
    with pytest.raises(ValueError, match="trial_types"):
        single(simulate_circuit(d, Circuit(manipulations=[Optogenetic(at=0.0, trial_types=("B-",))])))
    with pytest.raises(ValueError, match="must be a mesolimbic.circuit.Circuit"):
        single(simulate_circuit(d, ml.TD()))
    with pytest.raises(ValueError, match=r"alpha_nac must be in \[0, 1\]"):
        single(simulate_circuit(d, Circuit(), {"alpha_nac": 2.0}))


# ------------------------------------------------------------------ distributional RPE
def test_expectiles_and_distributional_units():
    vals, probs = np.array([0.0, 1.0, 4.0]), np.array([0.5, 0.25, 0.25])
    e = expectiles(vals, probs, [0.5, 0.25])
    assert e[0] == pytest.approx(1.25)  # the 0.5-expectile is the mean
    # 0.25-expectile by hand: 0.25 * E[(X-e)+] = 0.75 * E[(e-X)+]; with 0 < e < 1: e = 0.625
    assert e[1] == pytest.approx(0.625, abs=1e-6)
    m = DistributionalRPE([0.25, 0.5, 0.9])
    out = m.run({"alpha": 0.01}, np.random.default_rng(0).choice(vals, 30_000, p=probs))
    v = out["value"][-3000:].mean(0)
    np.testing.assert_allclose(v, expectiles(vals, probs, m.taus), atol=0.06)
    s = m.init({}, None)
    s, o = m.step({"alpha": 0.1}, s, {"r": 1.0})
    np.testing.assert_allclose(s["v"], 2 * 0.1 * np.array([0.25, 0.5, 0.9]), rtol=1e-6)  # alpha+ = 2 alpha tau
    with pytest.raises(ValueError, match=r"taus must be asymmetries in \(0, 1\)"):
        DistributionalRPE([0.0, 0.5])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_decoded_expectiles_recover_a_bimodal_distribution(seed):
    """Two modes at -1 and +1 with nothing between: 19 units' expectiles decode into
    samples whose expectiles match, that sit in the modes (none in the gap) and are
    close to the truth in Wasserstein distance; the unimodal normal with the same mean
    and variance is far on both counts (what the thresholds tell apart)."""
    from scipy.stats import wasserstein_distance

    vals, probs = np.array([-1.2, -1.0, -0.8, 0.8, 1.0, 1.2]), np.full(6, 1 / 6)
    taus = np.linspace(0.05, 0.95, 19)
    points = expectiles(vals, probs, taus)
    z = decode_expectiles(taus, points, n_samples=100, seed=seed)
    assert z.size == 100 and np.all(np.diff(z) >= 0)
    np.testing.assert_allclose(expectiles(z, np.ones(z.size), taus), points, atol=1e-6)
    assert np.mean(np.abs(z) < 0.5) <= 0.02  # (almost) no mass in the gap
    assert abs(np.mean(z < 0) - 0.5) <= 0.1  # both modes, about equally
    assert wasserstein_distance(z, vals, v_weights=probs) < 0.15  # the tails are loosely pinned by 19 expectiles
    normal = np.random.default_rng(0).normal(0.0, np.sqrt(np.sum(probs * vals ** 2)), 100_000)
    assert wasserstein_distance(normal, vals, v_weights=probs) > 0.3 and np.mean(np.abs(normal) < 0.5) > 0.3
    with pytest.raises(ValueError, match="same length"):
        decode_expectiles(taus, points[:-1])


# ------------------------------------------------------------------ hijacked learner and vigour
def test_hijacked_delta_rule_by_hand():
    p = {"alpha": 0.5, "beta": 1.0, "stim": 0.5, "penalty": 0.2}
    m = HijackedDeltaRule()
    s = m.init(p, Spec(n_actions=2))
    s["q"] = s["q"].at[1].set(2.0)
    s2, out = m.step(p, s, {"action": 1, "outcome": 0.0})
    assert float(out["rpe"]) == pytest.approx(0.5)  # max(0 - 0.2 - 2 + 0.5, 0.5)
    c = HijackedDeltaRule(compensable=True, value_cap=1.0)
    s2, out = c.step(p, s, {"action": 1, "outcome": 0.0})
    assert float(out["rpe"]) == pytest.approx(-1.7) and float(s2["q"][1]) == pytest.approx(1.0)
    s2, out = m.step(p, s, {"action": 0, "outcome": 1.0})
    assert float(out["rpe"]) == 1.0  # the other action is untouched by the hijack
    with pytest.raises(ValueError, match="hijack_action"):
        HijackedDeltaRule(hijack_action=3).init(p, Spec(n_actions=2))


def test_vigour_closed_form():
    # at equilibrium R = p m / tau and tau = sqrt(C / (s R))  =>  tau = C / (s p m)
    for manips, s in (([], 1.0), ([DopamineDepletion(0.5)], 0.5), ([DopamineAgonist(2.0)], 2.0)):
        ds = single(simulate_vigour(Circuit(manipulations=manips), reward=2.0, p_reward=0.5, noise=0.0, n_agents=4,
                                    n_responses=3000, alpha_rate=0.05))
        # the learned rate fluctuates with every reward (sd of tau about 8 %): average the last 1,000 responses
        assert float(ds.latency[:, -1000:].mean()) == pytest.approx(1.0 / (s * 0.5 * 2.0), rel=0.02)
    with pytest.raises(ValueError, match="needs region 'vta'"):
        simulate_vigour(Circuit(regions=("amygdala",)))
    with pytest.raises(ValueError, match=r"p_reward must be in \(0, 1\]"):
        simulate_vigour(Circuit(), p_reward=0.0)


def test_planner_maps_the_circuit_to_the_hybrid_learner():
    from mesolimbic.circuit import Circuit, DopamineDepletion, LDopa, Lesion

    m, p = Circuit().planner(w=0.5)
    assert p["w"] == 0.5 and p["alpha1"] == 0.5 and type(m).__name__ == "HybridTwoStep"
    assert Circuit(manipulations=[Lesion("pfc")]).planner(w=0.8)[1]["w"] == 0.0
    assert Circuit(regions=("vta", "nac")).planner(w=0.8)[1]["w"] == 0.0  # no PFC: model-free only
    _, p = Circuit(manipulations=[LDopa(1.5)]).planner(w=0.5)
    assert p["w"] == pytest.approx(0.6) and p["alpha1"] == pytest.approx(0.75)  # odds x 1.5; bursts x 1.5
    _, p = Circuit(manipulations=[DopamineDepletion(0.5)]).planner(w=0.5)
    assert p["w"] == pytest.approx(1 / 3)
    assert Circuit(manipulations=[LDopa(3.0)]).planner(w=1.0)[1]["w"] == 1.0
    with pytest.raises(ValueError, match=r"w must be in \[0, 1\]"):
        Circuit().planner(w=1.5)
    with pytest.raises(ValueError, match="needs region 'vta'"):
        Circuit(regions=("amygdala",)).planner()
