"""RPE functions: hand-computed cases, limits and batching (hypothesis)."""

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mesolimbic import rpe

R = np.array([1.0, 2.0, 3.0], np.float32)
D = np.array([0.5, 0.5, 0.5], np.float32)
V = np.array([10.0, 20.0, 30.0], np.float32)


def test_td_error_hand_computed():
    # delta = r + gamma V(s') - V(s): 1 + 0.9 * 2 - 0.5 = 2.3
    assert float(rpe.td_error(0.5, 1.0, 0.9, 2.0)) == pytest.approx(2.3)
    np.testing.assert_allclose(rpe.td_error(V, R, D, V), R + D * V - V)


def test_rescorla_wagner_error():
    assert float(rpe.rescorla_wagner_error(1.0, 0.25)) == pytest.approx(0.75)
    # RW is TD with no bootstrapping
    assert float(rpe.td_error(0.25, 1.0, 0.0, 123.0)) == pytest.approx(0.75)


def test_n_step_returns_hand_computed():
    np.testing.assert_allclose(rpe.n_step_returns(R, D, V, 1), [6.0, 12.0, 18.0])
    # G_0 = 1 + .5*2 + .25*20 = 7 ; G_1 = 2 + .5*3 + .25*30 = 11 ; G_2 truncated = 3 + .5*30
    np.testing.assert_allclose(rpe.n_step_returns(R, D, V, 2), [7.0, 11.0, 18.0])
    # n >= T: Monte-Carlo return bootstrapped from the last value
    np.testing.assert_allclose(rpe.n_step_returns(R, D, V, 5), [6.5, 11.0, 18.0])


def test_lambda_returns_hand_computed():
    # lambda = 0.5: G_2 = 3 + .5*30 = 18; G_1 = 2 + .5(.5*20 + .5*18) = 11.5; G_0 = 1 + .5(.5*10 + .5*11.5) = 6.375
    np.testing.assert_allclose(rpe.lambda_returns(R, D, V, 0.5), [6.375, 11.5, 18.0], rtol=1e-6)


def test_gae_hand_computed():
    values = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    # deltas: 1+1-1=1, 2+1.5-2=1.5, 3+2-3=2 ; A2=2, A1=1.5+.25*2=2, A0=1+.25*2=1.5
    np.testing.assert_allclose(rpe.gae(R, D, values, 0.5), [1.5, 2.0, 2.0])


def test_shape_errors_name_the_arrays():
    with pytest.raises(ValueError, match=r"r_t\[3\].*v_t\[2\]"):
        rpe.lambda_returns(R, D, V[:2])
    with pytest.raises(ValueError, match="values must have shape"):
        rpe.gae(R, D, V)
    with pytest.raises(ValueError, match="n must be an integer"):
        rpe.n_step_returns(R, D, V, 0)


seq = st.integers(1, 5).flatmap(
    lambda T: st.tuples(
        arrays(np.float32, T, elements=st.floats(-5, 5, width=32)),
        arrays(np.float32, T, elements=st.floats(0, 1, width=32)),
        arrays(np.float32, T, elements=st.floats(-5, 5, width=32)),
    )
)


@settings(max_examples=25, deadline=None)
@given(seq)
def test_lambda_limits(data):
    r, d, v = data
    one_step = r + d * v
    np.testing.assert_allclose(rpe.lambda_returns(r, d, v, 0.0), one_step, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(rpe.n_step_returns(r, d, v, 1), one_step, rtol=1e-5, atol=1e-5)
    # lambda = 1: the discounted return bootstrapped from the last value == n-step with n = T
    np.testing.assert_allclose(rpe.lambda_returns(r, d, v, 1.0), rpe.n_step_returns(r, d, v, len(r)),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(rpe.discounted_returns(r, d, v[-1]),
                               rpe.n_step_returns(r, d, v, len(r)), rtol=1e-4, atol=1e-4)


@settings(max_examples=20, deadline=None)
@given(seq, st.floats(0, 1))
def test_gae_plus_values_is_lambda_return(data, lam):
    r, d, v = data
    values = np.concatenate([[0.5], v]).astype(np.float32)
    adv = rpe.gae(r, d, values, lam)
    np.testing.assert_allclose(adv + values[:-1], rpe.lambda_returns(r, d, v, lam), rtol=1e-4, atol=1e-4)
    # lambda = 0: the advantages are the TD errors
    np.testing.assert_allclose(rpe.gae(r, d, values, 0.0), rpe.td_error(values[:-1], r, d, values[1:]),
                               rtol=1e-5, atol=1e-5)


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**16))
def test_batch_equals_one_by_one(T, B, seed):
    key = jax.random.PRNGKey(seed)
    r, v = jax.random.normal(key, (2, T, B))
    d = jax.random.uniform(jax.random.fold_in(key, 1), (T, B))
    batched = rpe.lambda_returns(r, d, v, 0.7)  # trailing batch axis
    vmapped = jax.vmap(lambda a, b, c: rpe.lambda_returns(a, b, c, 0.7), in_axes=1, out_axes=1)(r, d, v)
    for b in range(B):
        np.testing.assert_allclose(batched[:, b], rpe.lambda_returns(r[:, b], d[:, b], v[:, b], 0.7),
                                   rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(batched, vmapped, rtol=1e-5, atol=1e-5)
    for b in range(B):
        np.testing.assert_allclose(rpe.n_step_returns(r, d, v, 3)[:, b], rpe.n_step_returns(r[:, b], d[:, b], v[:, b], 3),
                                   rtol=1e-5, atol=1e-5)
