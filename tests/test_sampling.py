"""The many-chain sampler, nested R-hat, Stan reference comparison and reading Stan's draws in chain order."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "hbayesdm"
REF = HERE / "data" / "stan_reference"  # Stan posteriors of hBayesDM's examples (see its README)


def ar1(rng, chains, n, rho):
    """Stationary AR(1) chains ``[chain, draw]`` with lag-1 correlation ``rho``."""
    from scipy.signal import lfilter

    e = rng.standard_normal((chains, n)) * np.sqrt(1 - rho ** 2)
    e[:, 0] /= np.sqrt(1 - rho ** 2)
    return lfilter([1.0], [1.0, -rho], e, axis=1)


def test_pystan_draw_order_and_what_interleaving_does_to_ess():
    """PyStan 3 flattens (draw, chain) with the chain fastest; read back chain-major, every
    'chain' interleaves the real ones and the bulk ESS comes out near the number of draws
    (the signature of the reference files' ESS), far above the true value."""
    import arviz as az

    from mesolimbic.fitting.reference import interleave_chains, pystan_draws_by_chain

    rng = np.random.default_rng(0)
    x = ar1(rng, 4, 3000, 0.8)  # true ESS ~ 12,000 (1 - 0.8) / (1 + 0.8) ~ 1,330
    flat = np.swapaxes(x, 0, 1).reshape(-1)  # PyStan 3's layout of fit["name"] for a scalar
    np.testing.assert_array_equal(pystan_draws_by_chain(flat, 4), x)
    vec = np.stack([x, 2 * x], -1)  # [chain, draw, 2]
    flat_vec = np.moveaxis(np.swapaxes(vec, 0, 1).reshape(-1, 2), -1, 0)  # [2, draws * chains]
    np.testing.assert_array_equal(pystan_draws_by_chain(flat_vec, 4), vec)
    true = float(az.ess(x, method="bulk"))
    wrong = float(az.ess(interleave_chains(x), method="bulk"))
    assert 900 < true < 1800
    assert wrong > 5 * true and wrong > 8000
    with pytest.raises(ValueError, match="do not split into 4 chains"):
        pystan_draws_by_chain(np.zeros(10), 4)


def test_nested_rhat():
    from mesolimbic.fitting.samplers import nested_rhat

    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 50))
    assert nested_rhat(x, 4) == pytest.approx(1.0, abs=0.01)
    y = x.copy()
    y[:4] += 3.0  # one superchain still sitting elsewhere
    assert nested_rhat(y, 4) > 1.1
    # by hand: 2 superchains x 2 chains x 3 draws
    z = np.array([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [6.0, 7.0, 8.0]])
    chain_means = z.mean(1)  # 1, 2, 5, 7
    B = np.var([1.5, 6.0], ddof=1)
    W = np.mean([np.var([1, 2], ddof=1) + 1.0, np.var([5, 7], ddof=1) + 1.0])  # within-chain variance 1
    assert chain_means.tolist() == [1, 2, 5, 7]
    assert nested_rhat(z, 2) == pytest.approx(np.sqrt(1 + B / W))
    assert np.isnan(nested_rhat(x[:4], 4))  # one superchain: undefined


def test_phi_approx_inverse_round_trip():
    from mesolimbic.fitting.hierarchical import phi_approx_inverse
    from mesolimbic.fitting.likelihood import phi_approx

    y = np.linspace(-4, 4, 101)  # beyond |y| ~ 4.5 float32 Phi_approx rounds to 0 or 1
    u = np.asarray(phi_approx(y), float)
    np.testing.assert_allclose(phi_approx_inverse(u), y, atol=2e-3)
    assert phi_approx_inverse(0.5) == pytest.approx(0.0, abs=1e-12)


def test_chees_hmc_samples_an_ill_scaled_correlated_gaussian():
    """Means, sds and a correlation of a 6-D Gaussian with scales 0.01-10 and one correlated pair,
    started far off and with a wrong metric: within Monte Carlo error."""
    import jax.numpy as jnp

    from mesolimbic.fitting.samplers import ChEESSettings, chees_hmc

    sd = np.array([0.01, 0.1, 1.0, 3.0, 10.0, 1.0])
    mean = np.array([1.0, -2.0, 0.0, 5.0, 0.0, 3.0])
    corr = np.eye(6)
    corr[2, 5] = corr[5, 2] = 0.9
    cov = corr * np.outer(sd, sd)
    prec = jnp.asarray(np.linalg.inv(cov), jnp.float32)
    mu = jnp.asarray(mean, jnp.float32)

    def potential(q):
        d = q - mu
        return 0.5 * d @ prec @ d

    s = ChEESSettings(chains=32, warmup=200, target_ess=2000, max_draws=1000, block=50)
    res = chees_hmc(potential, np.zeros(6), np.ones(6), s, seed=3)
    x = res.draws.reshape(-1, 6)
    n_eff = 2000
    z = (x.mean(0) - mean) / (sd / np.sqrt(n_eff))
    assert np.all(np.abs(z) < 5), z
    np.testing.assert_allclose(x.std(0), sd, rtol=0.08)
    assert np.corrcoef(x[:, 2], x[:, 5])[0, 1] == pytest.approx(0.9, abs=0.03)
    assert res.diverging.sum() == 0
    assert res.ess_history[-1][1] >= 2000


@pytest.mark.parametrize("kwargs, match", [
    ({"chains": 0}, "chains must be an integer >= 1"),
    ({"target_ess": 50}, "target_ess must be a number >= 100"),
    ({"chains": 10}, "must be a multiple of superchain_size"),
    ({"init": {"mu_pr": [0.0, np.nan], "sigma": [0.1, 0.1], "x_pr": 0.0}}, "initial point is not finite"),
    ({"sampler": "metropolis"}, "sampler must be one of"),
])
def test_bad_sampler_settings_are_one_line_errors(kwargs, match):
    from mesolimbic.fitting import fit_hierarchical, load_choices

    d = load_choices(DATA / "bandit2arm_exampleData.txt", "bandit2arm")
    with pytest.raises(ValueError, match=match) as e:
        fit_hierarchical(d, "bandit2arm_delta", **kwargs)
    assert "\n" not in str(e.value)


def test_reference_comparison_matches_sigma_in_hbayesdm_order():
    """prl_rp's Stan model orders its parameters (Apun, Arew, beta); this package's learner has
    (alpha_pos = Arew, alpha_neg = Apun, beta): sigma must be matched by name, not position."""
    import arviz as az

    from mesolimbic.fitting.reference import compare_to_reference

    ref = json.loads((REF / "prl_rp.json").read_text()) if (REF / "prl_rp.json").exists() else None
    if ref is None:
        pytest.skip("no Stan reference files (shared/data/stan_reference)")
    ids = ref["subject_ids"]
    post = {"mu_alpha_neg": np.full((1, 2), ref["group"]["mu_Apun"]["mean"]),
            "mu_alpha_pos": np.full((1, 2), ref["group"]["mu_Arew"]["mean"]),
            "mu_beta": np.full((1, 2), ref["group"]["mu_beta"]["mean"]),
            # ours in this package's order: alpha_pos (Arew), alpha_neg (Apun), beta
            "sigma": np.tile(np.array(ref["sigma_mean"])[[1, 0, 2]], (1, 2, 1)),
            "alpha_pos": np.tile(ref["subject_means"]["Arew"], (1, 2, 1)),
            "alpha_neg": np.tile(ref["subject_means"]["Apun"], (1, 2, 1)),
            "beta": np.tile(ref["subject_means"]["beta"], (1, 2, 1))}
    idata = az.from_dict(posterior=post, coords={"subject": ids, "parameter": ["alpha_pos", "alpha_neg", "beta"]},
                         dims={"sigma": ["parameter"], "alpha_pos": ["subject"], "alpha_neg": ["subject"],
                               "beta": ["subject"]})
    df = compare_to_reference(idata, ref, "prl_rp")
    assert len(df) == 3 + 3 + 3 * 20
    np.testing.assert_allclose(df.z, 0.0, atol=1e-9)
    idata.posterior["sigma"].values[..., :] = np.array(ref["sigma_mean"])  # positional: wrong for prl_rp
    assert compare_to_reference(idata, ref, "prl_rp").query("kind == 'sigma'").z.abs().max() > 0.05


@pytest.mark.slow
def test_default_sampler_matches_stan_reference_bandit2arm():
    """The default many-chain fit of hBayesDM's bandit2arm example lands on Stan's posterior:
    every group mean and subject mean within 0.25 Stan posterior sd; and the subject parameters
    are the transform of (mu_pr, sigma, x_pr) draw by draw, chain by chain."""
    from mesolimbic.fitting import fit_hierarchical, load_choices
    from mesolimbic.fitting.likelihood import phi_approx
    from mesolimbic.fitting.reference import compare_to_reference, load_reference

    if not (REF / "bandit2arm_delta.json").exists():
        pytest.skip("no Stan reference files (shared/data/stan_reference)")
    ref = load_reference(REF / "bandit2arm_delta.json")
    d = load_choices(DATA / "bandit2arm_exampleData.txt", "bandit2arm")
    idata = fit_hierarchical(d, "bandit2arm_delta", target_ess=4000, ppc_draws=20, seed=0)
    df = compare_to_reference(idata, ref)
    worst = df[df.kind != "sigma"].z.abs().max()
    assert worst < 0.25, df.sort_values("z", key=abs).tail(5)
    assert df[df.kind == "sigma"].z.abs().max() < 0.15  # group SDs' posterior means within 15 %
    post = idata.posterior
    lin = post.mu_pr.sel(parameter="alpha") + post.sigma.sel(parameter="alpha") * post.x_pr.sel(parameter="alpha")
    np.testing.assert_allclose(post.alpha.values, np.asarray(phi_approx(lin.values)), rtol=1e-4, atol=1e-6)
    assert idata.attrs["sampler"] == "chees" and post.sizes["chain"] == 32
    assert {"posterior", "log_likelihood", "posterior_predictive", "observed_data", "sample_stats"} <= set(
        idata.groups())


def test_chees_chains_split_over_cpu_devices(tmp_path):
    """With two CPU devices (and two usable cores) the chains are sharded over both, and the
    sampler still gets a Gaussian's moments right; with one usable core it stays on one device."""
    import os
    import subprocess
    import sys

    script = tmp_path / "split.py"
    script.write_text(
        "import numpy as np, jax.numpy as jnp\n"
        "from mesolimbic.fitting.samplers import ChEESSettings, chees_hmc\n"
        "sd = jnp.asarray([0.5, 2.0, 1.0])\n"
        "res = chees_hmc(lambda q: 0.5 * jnp.sum((q / sd) ** 2), np.ones(3), np.ones(3),\n"
        "                ChEESSettings(chains=16, warmup=100, target_ess=1000, max_draws=400), seed=0)\n"
        "x = res.draws.reshape(-1, 3)\n"
        "print(res.devices, *np.round(x.std(0) / np.asarray(sd), 3), *np.round(x.mean(0) / np.asarray(sd), 3))\n")
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    devices, *stats = r.stdout.split()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert int(devices) == min(2, cores)
    sds, means = np.array(stats[:3], float), np.array(stats[3:], float)
    np.testing.assert_allclose(sds, 1.0, atol=0.1)
    assert np.all(np.abs(means) < 0.15)
