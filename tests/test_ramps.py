"""TrackTD (TD over an uncertain position on a track) and the kim2020_ramps experiment."""

import jax.numpy as jnp
import numpy as np
import pytest

from mesolimbic.kernel import ReplayWorld, scan_session
from mesolimbic.models import TrackTD


def _run(model, params, w, paths, noise=None, learn=1.0):
    """One agent over the trials ``paths`` ``[trial, step]`` (true positions), learning as given."""
    pos = jnp.asarray(paths, jnp.float32)
    start = jnp.zeros(pos.shape).at[:, 0].set(1.0)
    x = {"pos": pos, "noise": jnp.zeros(pos.shape) if noise is None else jnp.asarray(noise, jnp.float32),
         "r": (pos == model.n_positions).astype(jnp.float32), "start": start, "learn": jnp.full(pos.shape, learn)}
    p = {k: jnp.float32(v) for k, v in model.validate_params(params).items()}
    state = dict(model.init(p), w=jnp.asarray(w, jnp.float32))
    (state, _), out = scan_session(model, p, (state, {}), x, ReplayWorld(pos.shape[1]))
    return state, {k: np.asarray(v) for k, v in out.items()}


def test_track_td_by_hand():
    """A 3-position track (goal 3), gamma 0.5, alpha 0.5, from zero values: worked by hand."""
    m = TrackTD(3)
    run = [[0, 1, 2, 3, -1]]
    state, out = _run(m, {"alpha": 0.5, "gamma": 0.5}, np.zeros(3), run + run)
    # trial 1: only the reward is a surprise: delta = 1 - V(2) = 1 at the goal, w[2] = 0.5
    np.testing.assert_allclose(out["rpe"][0], [0, 0, 0, 1, 0], atol=1e-7)
    # trial 2: onset gamma V(0) = 0; step 2: gamma * 0.5 - 0 = 0.25 -> w[1] = 0.125; goal: 1 - 0.5 -> w[2] = 0.75
    np.testing.assert_allclose(out["rpe"][1], [0, 0, 0.25, 0.5, 0], atol=1e-7)
    np.testing.assert_allclose(state["w"], [0, 0.125, 0.75], atol=1e-7)
    np.testing.assert_allclose(out["value"][1], [0, 0, 0.5, 0, 0], atol=1e-7)


def test_track_td_manipulations_closed_form():
    """At the converged values V(x) = gamma^(L-1-x), learning off: the TD error is 0 on a normal run, a
    teleport gives gamma V(x') - V(x), a pause -(1 - gamma) V(x), double speed gamma V(x+2) - V(x)."""
    g, L = 0.8, 5
    m = TrackTD(L)
    v = g ** (L - 1 - np.arange(L))
    paths = [[0, 1, 2, 3, 4, 5, -1], [0, 3, 4, 5, -1, -1, -1], [0, 1, 1, 1, 2, 3, 4], [0, 2, 4, 5, -1, -1, -1]]
    state, out = _run(m, {"alpha": 0.5, "gamma": g}, v, paths, learn=0.0)
    d = out["rpe"]
    np.testing.assert_allclose(d[0], [g * v[0], 0, 0, 0, 0, 0, 0], atol=1e-6)
    assert d[1, 1] == pytest.approx(g * v[3] - v[0], abs=1e-6)
    np.testing.assert_allclose(d[2, 2:4], -(1 - g) * v[1], atol=1e-6)
    np.testing.assert_allclose(d[3, 1:3], [g * v[2] - v[0], g * v[4] - v[2]], atol=1e-6)
    np.testing.assert_allclose(state["w"], v, atol=1e-7)  # learn = 0 leaves the values


def test_track_td_position_noise_shrinks_to_the_goal():
    """sigma scales the noise by the distance to the goal, (L - x) / L, and the estimate is rounded
    and clipped to the track."""
    m = TrackTD(10)
    paths = [[0, 5, 9, 10]]
    _, out = _run(m, {"sigma": 4.0}, np.zeros(10), paths, noise=np.ones((1, 4)))
    # 0 + 4 * 1 = 4; 5 + 4 * 0.5 = 7; 9 + 4 * 0.1 = 9.4 -> 9; the goal: off the track
    np.testing.assert_array_equal(out["pos_estimate"][0], [4, 7, 9, -1])


@pytest.mark.parametrize("seed", [0, 1])
def test_kim2020_ramps_checks_as_labelled(seed):
    """Each check passes exactly when it is not an expected failure, at a small size."""
    from mesolimbic.experiments import get

    res = get("kim2020_ramps").run(n_agents=10, seed=seed)
    wrong = [(c.name, c.model, c.measured) for c in res.checks if c.passed == c.expected_failure]
    assert not wrong, wrong
    assert {c.model for c in res.checks if c.expected_failure} == {"dopamine = value", "TD, exact position"}


def test_kim2020_ramps_figure_passes_the_style_audit():
    from mesolimbic import plot
    from mesolimbic.experiments import get

    res = get("kim2020_ramps").run(n_agents=3, seed=0)
    with plot.style():
        fig = res.figure()
    try:
        assert plot.audit(fig) == []
    finally:
        plot.plt.close(fig)
