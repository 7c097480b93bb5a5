"""ANCCR (Jeong et al. 2022) against a hand-computed case, and its experiment's checks."""

import math

import numpy as np
import pytest

from mesolimbic.models import ANCCR, EventLog


def _two_events():
    model = ANCCR(2, beta=[0.0, 1.0])  # event 0 a cue, event 1 a reward (a meaningful causal target from the start)
    params = model.params(T=10.0, alpha=0.5, sampling_period=0.5)
    log = EventLog.from_lists([[(0, 1.0, 0.0), (1, 3.0, 1.0)]])
    return model, params, model.run(params, log)


def test_baseline_is_the_trace_sampled_between_events():
    _, _, out = _two_events()
    # baseline samples at 1.0, 1.5, 2.0, 2.5 s see the cue's trace exp(-(s - 1) / T), learning rate k * alpha = 0.5
    m = 0.0
    for s in (1.0, 1.5, 2.0, 2.5):
        m += 0.5 * (math.exp(-(s - 1.0) / 10.0) - m)
    assert out["Mbar"][0, 0] == pytest.approx(m, rel=1e-5)
    assert out["Mbar"][0, 1] == 0.0  # no sample after the reward (the log ends there)


def test_contingency_and_dopamine_after_cue_then_reward():
    _, _, out = _two_events()
    mbar_cue = out["Mbar"][0, 0]
    e_cue = math.exp(-2.0 / 10.0)  # the cue's eligibility trace 2 s later
    # the reward is a meaningful target, so M(cue <- reward) moves half-way (alpha 0.5) from 0 to the cue's trace
    prc = 0.5 * e_cue - mbar_cue
    assert out["prc"][0, 1, 0, 1] == pytest.approx(prc, rel=1e-5)
    # the successor contingency is PRC times baseline(reward) / baseline(cue): the reward's baseline is still 0
    assert out["src"][0, 1, 0, 1] == 0.0
    assert out["nc"][0, 1, 0, 1] == pytest.approx(0.5 * prc, rel=1e-5)
    # dopamine at the cue: no meaningful target has a contingency yet; at the reward: its own net contingency
    # (1 - w) * (alpha * 1 - 0) times its magnitude 1 (the reward's baseline is too low for the successor part)
    assert out["da"][0, 0] == 0.0
    assert out["da"][0, 1] == pytest.approx(0.5 * 0.5, rel=1e-6)


def test_padding_and_agents_are_independent():
    model = ANCCR(2, beta=[0.0, 1.0])
    params = model.params(T=10.0, alpha=0.5, sampling_period=0.5)
    one = model.run(params, EventLog.from_lists([[(0, 1.0, 0.0), (1, 3.0, 1.0)]]))
    two = model.run(params, EventLog.from_lists([[(0, 1.0, 0.0), (1, 3.0, 1.0)], [(1, 0.5, 1.0), (0, 2.0, 0.0),
                                                                                      (1, 4.0, 1.0)]]))
    np.testing.assert_allclose(two["da"][0, :2], one["da"][0], rtol=1e-6)
    assert np.isnan(two["da"][0, 2])  # padding


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="beta"):
        ANCCR(2, beta=[1.0])
    with pytest.raises(ValueError, match="unknown"):
        ANCCR(2, beta=[0.0, 1.0]).params(T=10.0, gamma=0.9)
    with pytest.raises(ValueError):
        ANCCR(2, beta=[0.0, 1.0]).params(T=0.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_jeong2022_checks_as_pinned(seed):
    from mesolimbic.experiments.jeong2022_anccr import run

    result = run(n_agents=20, seed=seed)
    for c in result.checks:
        assert c.passed == (not c.expected_failure), c.line()
