"""NUTS diagnostics are never silent: unrounded R-hat/ESS, null (valid JSON) when they cannot
be computed, and a loud warning that says why."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mesolimbic.fitting import diagnostics

DATA = Path(__file__).parent / "data" / "hbayesdm" / "bandit2arm_exampleData.txt"


def _idata(chains, draws, shift=0.0, seed=0):
    import arviz as az

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(chains, draws))
    x[0] += shift
    return az.from_dict(posterior={"mu_A": x, "sigma": np.abs(rng.normal(size=(chains, draws, 2))) + 0.1},
                        sample_stats={"diverging": np.zeros((chains, draws), bool)})


def test_rhat_is_tested_and_stored_unrounded():
    """The bug: R-hat came from az.summary, rounded to two decimals before the > 1.01 test:
    a true 1.014 was reported as 1.01 with no warning (and 1.0 in diagnostics.json)."""
    import arviz as az

    for shift in np.linspace(0.2, 0.6, 401):  # find a chain offset giving 1.0105 < R-hat < 1.015
        idata = _idata(4, 1000, shift)
        r = float(az.rhat(idata, var_names=["mu_A"])["mu_A"])
        if 1.0105 < r < 1.015:
            break
    else:
        pytest.fail("no offset gave an R-hat between 1.0105 and 1.015")
    assert round(r, 2) == 1.01  # what the old code compared with 1.01 (and passed)
    with pytest.warns(RuntimeWarning, match=r"R-hat up to 1\.01[0-9]+ \(> 1\.01\)"):
        d = diagnostics(idata)
    assert d["max_r_hat"] == pytest.approx(r, abs=1e-12) and d["max_r_hat"] > 1.01
    assert d["summary"].loc["mu_A", "r_hat"] == pytest.approx(r, abs=1e-12)  # the table unrounded too


def test_one_chain_warns_that_rhat_needs_two_chains():
    with pytest.warns(RuntimeWarning, match=r"R-hat not computed: it needs >= 2 chains"):
        d = diagnostics(_idata(1, 200))
    assert d["max_r_hat"] is None and d["min_ess_bulk"] > 0  # ESS is computable from one chain
    with pytest.warns(RuntimeWarning, match=r"effective sample size not computed: it needs >= 4 draws per chain, "
                                             r"got 3"):
        d = diagnostics(_idata(2, 3))
    assert d["max_r_hat"] is None and d["min_ess_bulk"] is None and d["min_ess_tail"] is None
    json.dumps({k: v for k, v in d.items() if k != "summary"}, allow_nan=False)  # valid JSON


def test_good_chains_give_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = diagnostics(_idata(4, 1000))
    assert d["problems"] == [] and d["max_r_hat"] < 1.01 and d["min_ess_bulk"] > 400


def test_cli_one_chain_fit_warns_and_writes_valid_json(tmp_path):
    """The bug: `fit --method hierarchical --chains 1 --warmup 5 --draws 3` exited 0 with no
    warning, and diagnostics.json held NaN (not JSON) for R-hat and ESS. The huge seed checks
    that all of it reaches the sampler's key and is stored (it was truncated to 32 bits)."""
    from typer.testing import CliRunner

    from mesolimbic.cli import app

    raw = pd.read_csv(DATA, sep="\t")
    path = tmp_path / "d.txt"
    raw[raw.subjID.isin(raw.subjID.unique()[:3])].to_csv(path, sep="\t", index=False)
    res = CliRunner().invoke(app, ["fit", str(path), "--task", "bandit2arm", "--model", "bandit2arm_delta",
                                   "--method", "hierarchical", "--sampler", "nuts", "--chains", "1", "--warmup", "5", "--draws", "3",
                                   "--seed", str(2 ** 64), "--out", str(tmp_path / "f")])
    assert res.exit_code == 0, res.output
    assert "warning: R-hat not computed: it needs >= 2 chains" in res.output
    assert "warning: effective sample size not computed" in res.output
    text = (tmp_path / "f" / "diagnostics.json").read_text()
    assert "NaN" not in text
    d = json.loads(text)
    assert d["max_r_hat"] is None and d["min_ess_bulk"] is None and d["chains"] == 1
    assert any("R-hat not computed" in w for w in d["warnings"])
    import xarray as xr

    with xr.open_dataset(tmp_path / "f" / "posterior.nc", engine="h5netcdf") as post:  # root attrs
        assert int(post.attrs["seed"]) == 2 ** 64
