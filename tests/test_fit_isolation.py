"""One subject cannot poison the others: each subject (and start) is its own optimisation.

The bug: one non-finite outcome gave one subject a NaN log-likelihood, and because
all subjects shared one L-BFGS run on the summed objective, the clean subjects'
estimates were corrupted too (log-likelihoods -237 and -670 instead of -67 and -65),
with exit code 0.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mesolimbic.fitting import fit_approx, fit_mle, get_model, load_choices
from mesolimbic.fitting.mle import CONVERGED, MAXITER, NONFINITE_START, batched_lbfgs

DATA = Path(__file__).parent / "data" / "hbayesdm" / "bandit2arm_exampleData.txt"


@pytest.fixture(scope="module")
def tables():
    raw = pd.read_csv(DATA, sep="\t")
    ids = raw.subjID.unique()
    clean = raw[raw.subjID.isin(ids[:3])]
    bad = raw[raw.subjID == ids[3]].copy()
    # finite in float32, so load_choices accepts it; the learner's values overflow to inf and
    # the subject's log-likelihood is NaN at every parameter value
    bad["outcome"] = bad["outcome"] * 3e38
    return clean, pd.concat([bad, clean]), ids[3]  # the bad subject first: the others' positions shift


def test_the_pathological_subject_really_is_non_finite(tables):
    _, mixed, bad_id = tables
    from mesolimbic.fitting.likelihood import subject_loglik

    d = load_choices(mixed, "bandit2arm")
    ll = np.asarray(subject_loglik(get_model("bandit2arm_delta"), {"alpha": np.full(4, 0.3),
                                                                   "beta": np.full(4, 1.0)}, d))
    assert not np.isfinite(ll[d.subjects.index(bad_id)]) and np.isfinite(np.delete(ll, 0)).all()


@pytest.mark.parametrize("prior_sd", [None, 2.0])
def test_a_failing_subject_leaves_the_others_identical_to_fitting_them_alone(tables, prior_sd):
    clean, mixed, bad_id = tables
    alone = fit_mle(load_choices(clean, "bandit2arm"), "bandit2arm_delta", n_starts=3, prior_sd=prior_sd)
    both = fit_mle(load_choices(mixed, "bandit2arm"), "bandit2arm_delta", n_starts=3, prior_sd=prior_sd)
    assert both.data.subjects[0] == bad_id
    for k in ("alpha", "beta"):
        np.testing.assert_array_equal(both.params[k][1:], alone.params[k])  # bit for bit
        # the standard errors come from a float32 Hessian whose last bit depends on how XLA
        # vectorises the batch (3 or 4 subjects): equal to float32 precision
        np.testing.assert_allclose(both.se[k][1:], alone.se[k], rtol=1e-6)
        assert np.isnan(both.params[k][0])  # not the starting values, as before
    np.testing.assert_array_equal(both.loglik[1:], alone.loglik)
    assert np.all(alone.loglik > -80)  # the clean subjects' own optimum (≈ -66), not a corrupted one
    assert alone.converged and not both.converged
    assert both.status[0].startswith("failed: non-finite") and both.status[1:] == [CONVERGED] * 3
    assert list(both.not_converged) == [bad_id]
    assert list(both.table()["status"]) == both.status


def test_the_approximate_fit_leaves_a_failing_subject_out_of_the_group_prior(tables):
    clean, mixed, bad_id = tables
    alone = fit_approx(load_choices(clean, "bandit2arm"), "bandit2arm_delta", max_iter=10)
    both = fit_approx(load_choices(mixed, "bandit2arm"), "bandit2arm_delta", max_iter=10)
    # the same, up to the float32 rounding of the Laplace Hessians that feed the prior's variance
    # (their last bit depends on the batch size); the subject itself, if it entered the prior,
    # would move it by orders of magnitude more
    np.testing.assert_allclose(both.prior_mean, alone.prior_mean, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(both.prior_sd, alone.prior_sd, rtol=1e-4)
    for k in ("alpha", "beta"):
        np.testing.assert_allclose(both.params[k][1:], alone.params[k], rtol=1e-4)
    np.testing.assert_allclose(both.log_evidence[1:], alone.log_evidence, rtol=1e-5)
    assert np.isnan(both.params["alpha"][0]) and np.isnan(both.log_evidence[0])
    assert both.status[0].startswith("failed") and list(both.not_converged) == [bad_id]


def test_hierarchical_refuses_a_non_finite_subject_by_name(tables):
    from mesolimbic.fitting import fit_hierarchical

    _, mixed, bad_id = tables
    with pytest.raises(ValueError, match=rf"subject\(s\) \[{bad_id}\] have a non-finite log-likelihood") as e:
        fit_hierarchical(load_choices(mixed, "bandit2arm"), "bandit2arm_delta", sampler="nuts", chains=1,
                         warmup=5, draws=5)
    assert "\n" not in str(e.value)


def test_cli_fit_reports_the_failing_subject(tables, tmp_path):
    import json

    from typer.testing import CliRunner

    from mesolimbic.cli import app

    _, mixed, bad_id = tables
    path = tmp_path / "data.txt"
    mixed.to_csv(path, sep="\t", index=False)
    res = CliRunner().invoke(app, ["fit", str(path), "--task", "bandit2arm", "--model", "bandit2arm_delta",
                                   "--out", str(tmp_path / "f")])
    assert res.exit_code == 0, res.output
    assert f"warning: subject {bad_id}: failed: non-finite" in res.output
    diag = json.loads((tmp_path / "f" / "diagnostics.json").read_text())  # strict JSON: no NaN token
    assert diag["converged"] is False and list(diag["subjects_not_converged"]) == [str(bad_id)]
    assert diag["loglik"] is None and diag["loglik_finite_subjects"] < 0
    params = pd.read_csv(tmp_path / "f" / "params.csv")
    assert params.status.iloc[0].startswith("failed") and (params.status.iloc[1:] == CONVERGED).all()


# ------------------------------------------------------------------ the optimiser itself
def _rows(x):
    """Row 0: a quadratic; row 1: Rosenbrock; row 2: NaN everywhere; row 3: NaN beyond |x| > 1.5
    (a trial point there is a step too long); row 4: a quadratic far from its minimum."""
    f = np.empty(len(x))
    g = np.empty_like(x)
    a, b = x[:, 0], x[:, 1]
    f[0], g[0] = (a[0] - 1) ** 2 + 10 * (b[0] + 2) ** 2, [2 * (a[0] - 1), 20 * (b[0] + 2)]
    f[1] = (1 - a[1]) ** 2 + 100 * (b[1] - a[1] ** 2) ** 2
    g[1] = [-2 * (1 - a[1]) - 400 * a[1] * (b[1] - a[1] ** 2), 200 * (b[1] - a[1] ** 2)]
    f[2], g[2] = np.nan, np.nan
    r = a[3] ** 2 + b[3] ** 2
    f[3], g[3] = ((a[3] - 1.2) ** 2 + (b[3] - 0.5) ** 2, [2 * (a[3] - 1.2), 2 * (b[3] - 0.5)]) if r < 2.25 \
        else (np.nan, [np.nan, np.nan])
    f[4], g[4] = 0.5 * ((a[4] - 30) ** 2 + 3 * (b[4] + 40) ** 2), [a[4] - 30, 3 * (b[4] + 40)]
    return f, g


def test_batched_lbfgs_rows_are_independent():
    x0 = np.array([[0.0, 0.0], [-1.2, 1.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    x, f, status = batched_lbfgs(_rows, x0, ftol=1e-14)  # float64 rows: a float64 tolerance
    np.testing.assert_allclose(x[0], [1, -2], atol=1e-5)
    np.testing.assert_allclose(x[1], [1, 1], atol=1e-4)
    np.testing.assert_allclose(x[3], [1.2, 0.5], atol=1e-5)
    np.testing.assert_allclose(x[4], [30, -40], atol=1e-4)
    assert list(status) == [CONVERGED, CONVERGED, NONFINITE_START, CONVERGED, CONVERGED]
    np.testing.assert_array_equal(x[2], x0[2])
    for i in (0, 1, 3, 4):  # each row alone: the same path, bit for bit

        def single(xs, i=i):
            full = np.repeat(x0[[2]], len(x0), 0)
            full[i] = xs[0]
            ff, gg = _rows(full)
            return ff[[i]], gg[[i]]

        xi, fi, si = batched_lbfgs(single, x0[[i]], ftol=1e-14)
        np.testing.assert_array_equal(xi[0], x[i])
        assert si[0] == status[i]


def test_batched_lbfgs_reports_the_iteration_limit():
    x, f, status = batched_lbfgs(_rows, np.array([[0.0, 0.0], [-1.2, 1.0], [0.0, 0.0], [0.0, 0.0],
                                                  [0.0, 0.0]]), maxiter=3)
    assert status[1] == MAXITER and status[2] == NONFINITE_START
