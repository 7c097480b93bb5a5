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


def _literal(kind, time, mag, T, n, beta, alpha=0.02, alpha_r=0.2, k=1.0, w=0.5, theta=0.6, minrate=1e-3, dt=0.2):
    """A slow, literal NumPy transcription of the loop of ``calculateANCCR.m`` (namboodirilab/ANCCR,
    ``functions/``), one event at a time and one sampling time at a time; without the omission state, the
    optogenetic override and the jitter, which the model leaves out too. ``T`` one value per event."""
    N = len(kind)
    T = np.broadcast_to(np.asarray(T, float), (N,))
    gamma = np.exp(-1.0 / T)
    samplingtime = np.arange(int(np.floor(time[-1] / dt + 1e-9)) + 1) * dt  # 0:samplinginterval:eventlog(end,2)
    E, Delta, Ei, Mi, numevents = (np.zeros(n) for _ in range(5))
    M, R, A = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
    Imct = np.asarray(beta, float) > theta
    nextt = 0
    DA, NCs = np.zeros(N), np.zeros((N, n, n))
    for jt in range(N):
        je = kind[jt]
        numevents[je] += 1
        if jt > 0:
            Delta = Delta * gamma[jt] ** (time[jt] - time[jt - 1])
            E = E * gamma[jt] ** (time[jt] - time[jt - 1])
        Delta[je] = 1.0
        E[je] += 1.0
        M[:, je] += alpha * (E - M[:, je]) * Imct[je]
        PRC = M - Mi[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            SRC = PRC * Mi[None, :] / Mi[:, None]
        SRC[Mi / T[jt] < minrate, :] = 0.0
        unseen = numevents == 0
        PRC[unseen, :] = 0.0
        PRC[:, unseen] = 0.0
        SRC[unseen, :] = 0.0
        SRC[:, unseen] = 0.0
        R[:, unseen] = 0.0
        R[unseen, :] = 0.0
        NC = w * SRC + (1 - w) * PRC
        Iedge = NC[:, je] > theta
        Iedge[je] = False
        R[je, je] = mag[jt]
        A[je, :] = 0.0  # the new event's row starts from zero; the others keep their last values
        for ke in range(n):
            Ike = NC[:, ke] > theta
            Ike[ke] = False
            A[ke, :] = NC[ke, :] * R[ke, :] - np.sum(A * Delta[:, None] * Ike[:, None], axis=0)
        DA[jt] = np.sum(A[je, :] * Imct)
        Imct[je] = Imct[je] or (DA[jt] + beta[je] > theta)
        if DA[jt] >= 0:
            R[:, je] += alpha_r * (mag[jt] - R[:, je])
        elif Iedge.any():
            share = Delta[Iedge] / numevents[Iedge]
            R[Iedge, je] -= alpha_r * R[Iedge, je] * share / share.sum()
        NCs[jt] = NC
        if jt < N - 1:  # the baseline: sampled trace Ei and its running average Mi
            sub = samplingtime[(samplingtime >= time[jt]) & (samplingtime < time[jt + 1])]
            Ei = Ei * gamma[jt] ** dt
            if sub.size:
                for jjt in range(nextt, jt + 1):
                    Ei[kind[jjt]] += gamma[jt] ** (sub[0] - time[jjt])
                nextt = jt + 1
            Mi = Mi + k * alpha * (Ei - Mi)
            for _ in range(1, sub.size):
                Ei = Ei * gamma[jt] ** dt
                Mi = Mi + k * alpha * (Ei - Mi)
    return DA, NCs, Mi, R


def _random_log(rng, n_events, n_types, close=0.1):
    """A random event log: mostly exponential gaps (mean 4 s), some shorter than a sampling period."""
    gaps = np.where(rng.random(n_events) < close, rng.uniform(0.01, 0.19, n_events), rng.exponential(4.0, n_events))
    time = np.cumsum(gaps) + 0.37
    kind = rng.integers(0, n_types, n_events)
    kind[::3] = 0  # a cue that is often followed by the reward type below
    kind[1::3] = n_types - 1
    mag = np.where(kind == n_types - 1, 1.0, 0.0)
    return kind, time, mag


@pytest.mark.parametrize("varying_T", [False, True])
def test_matches_a_literal_transcription_of_the_reference_loop(varying_T):
    rng = np.random.default_rng(3)
    n, n_events = 3, 600
    kind, time, mag = _random_log(rng, n_events, n)
    T = np.full(n_events, 12.0)
    if varying_T:  # the reference's vector T: a new value from a phase boundary on
        T[n_events // 2:] = 5.0
    beta = np.array([0.0, 0.0, 1.0])
    model = ANCCR(n, beta=beta)
    params = model.params(T=T if varying_T else 12.0, alpha=0.05)
    out = model.run(params, EventLog(kind[None], time[None], mag[None], np.ones((1, n_events), bool)))
    da, nc, mbar, R = _literal(kind, time, mag, T, n, beta, alpha=0.05)
    np.testing.assert_allclose(out["da"][0], da, atol=1e-5)
    np.testing.assert_allclose(out["nc"][0], nc, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["Mbar"][0], mbar, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out["R"][0], R, atol=1e-5)
    assert np.abs(da).max() > 0.05 and (nc > 0.6).any()  # the log exercises contingencies and dopamine
