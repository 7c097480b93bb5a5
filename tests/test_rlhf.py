"""The RLHF bridge's core layer: Bradley–Terry, token-level TD/GAE, KL estimators and the
over-optimisation monitor, against hand-computed cases."""

import numpy as np
import pytest

from mesolimbic.rlhf import (bradley_terry_loglik, fit_bradley_terry, fit_gao, from_log_history, kl_estimates,
                             overoptimisation_report, sample_preferences, token_advantages)


def test_token_td_errors_and_gae_by_hand():
    r = np.array([[0.0, 0.0, 1.0, 0.0]])  # score on the last real token; one padded token
    v = np.array([[0.2, 0.5, 0.8, 9.0]])
    m = np.array([[1, 1, 1, 0]])
    out = token_advantages(r, v, m, gamma=1.0, lam=0.0)
    np.testing.assert_allclose(out["delta"][0], [0.5 - 0.2, 0.8 - 0.5, 1.0 - 0.8, 0.0], atol=1e-6)
    np.testing.assert_allclose(out["advantage"], out["delta"], atol=1e-6)  # lambda 0: TD errors
    full = token_advantages(r, v, m, gamma=1.0, lam=1.0)
    np.testing.assert_allclose(full["advantage"][0], [1 - 0.2, 1 - 0.5, 1 - 0.8, 0.0], atol=1e-6)  # G - V
    np.testing.assert_allclose(full["returns"][0], [1, 1, 1, 0], atol=1e-6)
    with pytest.raises(ValueError, match=r"\[batch, tokens\]"):
        token_advantages(r[0], v[0], m[0])


def test_kl_estimators():
    rng = np.random.default_rng(0)
    # policy N(0.5, 1), reference N(0, 1): KL = 0.125; samples from the policy
    x = rng.normal(0.5, 1.0, 200_000)
    lp, lq = -0.5 * (x - 0.5) ** 2, -0.5 * x ** 2
    k = kl_estimates(lp[None], lq[None])
    assert k["k1"].mean() == pytest.approx(0.125, abs=0.01)
    assert k["k3"].mean() == pytest.approx(0.125, abs=0.01) and k["k3"].min() >= 0
    assert k["k1_sum"].shape == (1,)


def test_bradley_terry():
    assert float(bradley_terry_loglik(0.0, 0.0)) == pytest.approx(np.log(0.5))
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    w = np.array([1.0, -2.0, 0.5])
    c, r = sample_preferences(X @ w, 20_000, seed=2)
    fit = fit_bradley_terry(c, r, features=X, l2=0.0)
    np.testing.assert_allclose(fit["w"], w, atol=0.1)  # the linear reward's weights come back
    with pytest.raises(ValueError, match="equal length"):
        fit_bradley_terry([0, 1], [1])


def test_gao_fits_and_the_monitor():
    d = np.linspace(0, 3, 30)
    exact = d * (1.2 - 0.4 * d)
    f = fit_gao(d, exact, "bon")
    assert f["alpha"] == pytest.approx(1.2, rel=1e-4) and f["beta"] == pytest.approx(0.4, rel=1e-4)
    assert f["d_peak"] == pytest.approx(1.5, rel=1e-3) and f["r2"] > 0.9999
    rl = d[1:] * (1.0 - 0.5 * np.log(d[1:]))
    g = fit_gao(d[1:], rl, "rl")
    assert g["beta"] == pytest.approx(0.5, rel=1e-4) and g["d_peak"] == pytest.approx(np.exp(1.0), rel=1e-3)
    rep = overoptimisation_report(d ** 2, 2 * d, exact)
    assert rep["overoptimised"] and rep["d_at_peak"] == pytest.approx(1.5, abs=0.06)
    assert rep["proxy_gain_after_peak"] > 0
    hist = [{"kl": k, "reward": p, "gold_reward": gg, "step": i} for i, (k, p, gg) in
            enumerate(zip(d ** 2, 2 * d, exact))] + [{"loss": 1.0}]
    kl, proxy, gold = from_log_history(hist)
    assert kl.shape == (30,)
    with pytest.raises(ValueError, match="keys seen"):
        from_log_history([{"loss": 1.0}])
