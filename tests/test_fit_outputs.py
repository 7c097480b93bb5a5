"""What a fit hands back, in the ecosystem's shape: one parameter table for every method (the
uncertainty columns checked against hand computations), hBayesDM's names on request, sampling
progress per chain, and the posterior file's size."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mesolimbic.fitting import fit_approx, fit_mle, load_choices, parameter_table

DATA = Path(__file__).resolve().parent / "data" / "hbayesdm"


@pytest.fixture(scope="module")
def data():
    raw = pd.read_csv(DATA / "bandit2arm_exampleData.txt", sep="\t")
    return load_choices(raw[raw.subjID.isin(raw.subjID.unique()[:6])], "bandit2arm")


def test_approx_table_sd_is_the_delta_method_of_the_laplace_sd(data):
    """The Laplace SD lives on the logistic scale z; the table's natural-scale SD is
    |d theta / dz| * sd(z), checked by a central finite difference of the transform."""
    fit = fit_approx(data, "bandit2arm_delta")
    t = fit.table()
    b = fit.model.bounds()
    for j, k in enumerate(fit.model.param_names):
        lo, hi = b[j]
        theta = lambda z: lo + (hi - lo) / (1 + np.exp(-z))  # noqa: E731
        h = 1e-5
        slope = (theta(fit.z[:, j] + h) - theta(fit.z[:, j] - h)) / (2 * h)
        np.testing.assert_allclose(t[f"{k}_sd"], np.abs(slope) * fit.z_sd[:, j], rtol=1e-4)
        np.testing.assert_allclose(t[k], fit.params[k])
    assert np.isnan(t.aic).all() and np.isnan(t.bic).all()
    np.testing.assert_allclose(t.log_evidence, fit.log_evidence)


def test_hbayesdm_names_give_allindpars_columns(data):
    fit = fit_mle(data, "bandit2arm_delta")
    ours, theirs = fit.table(), parameter_table(fit, names="hbayesdm")
    assert list(theirs.columns[:6]) == ["subjID", "method", "A", "tau", "A_sd", "tau_sd"]
    np.testing.assert_array_equal(theirs.A, ours.alpha)
    np.testing.assert_array_equal(theirs.tau_sd, ours.beta_sd)
    with pytest.raises(ValueError, match="names must be one of"):
        parameter_table(fit, names="stan")


def test_hierarchical_table_status_and_progress_per_chain(data):
    """A short ChEES run: the progress callback sees every warm-up window and each sampling block
    with per-chain divergence counts; the table's status names the subjects whose R-hat or ESS
    is short, and its log-likelihood is the one at the posterior means."""
    from mesolimbic.cli import sampling_status_text
    from mesolimbic.fitting import fit_hierarchical
    from mesolimbic.fitting.likelihood import data_arrays, subject_loglik
    from mesolimbic.fitting.models import get_model

    seen = []
    with pytest.warns(RuntimeWarning):
        idata = fit_hierarchical(data, "bandit2arm_delta", chains=8, warmup=40, target_ess=100_000, max_draws=200,
                                 ppc_draws=5, progress=seen.append)
    phases = [s["phase"] for s in seen]
    assert phases[:4] == ["warmup"] * 4 and phases[4:] and set(phases[4:]) == {"sampling"}
    last = seen[-1]
    assert last["done"] == idata.posterior.sizes["draw"] and len(last["divergences"]) == 8
    assert int(np.sum(last["divergences"])) == int(idata.sample_stats.diverging.sum())
    assert last["min_ess"] is not None and last["min_ess"] < 100_000
    text = sampling_status_text(last)
    assert "draws per chain" in text and "of 100,000" in text
    div = np.zeros(8, int)
    div[[2, 5]] = [1, 3]
    assert "divergences 4: chain 2 (1), chain 5 (3)" in sampling_status_text({**last, "divergences": div})
    t = parameter_table(idata, data=data)
    post = idata.posterior
    np.testing.assert_allclose(t.alpha, post.alpha.mean(("chain", "draw")), rtol=1e-6)
    np.testing.assert_allclose(t.beta_sd, post.beta.std(("chain", "draw")), rtol=1e-6)
    m = get_model("bandit2arm_delta")
    ll = subject_loglik(m, {"alpha": t.alpha.to_numpy(np.float32), "beta": t.beta.to_numpy(np.float32)}, data,
                        data_arrays(m, data))
    np.testing.assert_allclose(t.loglik, np.asarray(ll), rtol=1e-5)
    assert all(s == "converged" or s.startswith("not converged: ") for s in t.status)
    with pytest.raises(ValueError, match="needs data="):
        parameter_table(idata)


def test_nuts_progress_in_chunks(data):
    from mesolimbic.fitting import fit_hierarchical

    seen = []
    with pytest.warns(RuntimeWarning):
        idata = fit_hierarchical(data, "bandit2arm_delta", sampler="nuts", chains=2, warmup=30, draws=300,
                                 ppc_draws=5, progress=seen.append)
    assert [s["phase"] for s in seen] == ["warmup", "sampling", "sampling"]
    assert [s["done"] for s in seen[1:]] == [250, 300] and idata.posterior.sizes["draw"] == 300
    assert int(seen[-1]["divergences"].sum()) == int(idata.sample_stats.diverging.sum())
