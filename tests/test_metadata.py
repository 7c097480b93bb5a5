"""CF-1.10 metadata on every experiment's Dataset (issue 17).

Every data variable and every coordinate has a ``long_name``, and a ``units`` unless it is
text-valued (dtype object/str: labels such as condition names — CF gives text variables no
units, so those are only required to have a ``long_name``); the Dataset has ``Conventions =
"CF-1.10"`` and a non-empty ``citation``. Dimensionless quantities, probabilities, counts,
indices and values in the model's reward units carry ``units = "1"``.

The whole suite is checked on the ``.nc`` files ``mesolimbic reproduce`` writes, in
``tests/test_reproduce.py::test_every_written_dataset_has_cf_metadata`` (no extra suite run);
here a few small experiments are run directly, so a missing attribute fails fast.
"""

import pytest

from mesolimbic.experiments import get
from mesolimbic.experiments.registry import describe, is_text


def cf_problems(ds, label: str = "") -> list[str]:
    """Every missing CF attribute of ``ds``, as ``label: what`` lines (empty when none)."""
    out = []
    if ds.attrs.get("Conventions") != "CF-1.10":
        out.append(f"{label}: Conventions is {ds.attrs.get('Conventions')!r}, not 'CF-1.10'")
    if not str(ds.attrs.get("citation", "")).strip():
        out.append(f"{label}: no citation")
    for name in list(ds.data_vars) + list(ds.coords):
        attrs = ds[name].attrs
        if not str(attrs.get("long_name", "")).strip():
            out.append(f"{label}: {name} has no long_name")
        if not is_text(ds[name]) and not str(attrs.get("units", "")).strip():
            out.append(f"{label}: {name} has no units")
        if attrs.get("units") == "a.u.":
            out.append(f"{label}: {name} has units 'a.u.' (write '1', say reward units in units_note)")
    return out


@pytest.mark.parametrize("name", ["rw_acquisition_extinction", "kamin1969_blocking", "bradley_terry_recovery",
                                  "kim2020_ramps"])
def test_small_experiments_have_cf_metadata(name, tmp_path):
    """In memory and as written to netCDF and read back (as the reproduce check reads them)."""
    import xarray as xr

    from mesolimbic.io import save_netcdf

    ds = get(name).run(n_agents=2, seed=0).dataset
    problems = cf_problems(ds, name)
    path = save_netcdf(ds, tmp_path / f"{name}.nc")
    with xr.open_dataset(path, decode_times=False, decode_timedelta=False) as back:
        problems += cf_problems(back, f"{name}.nc")
    assert not problems, "\n".join(problems)


def test_the_check_can_fail():
    """An undescribed variable is reported: :func:`describe` has no fallback for unknown names."""
    import numpy as np
    import xarray as xr

    ds = xr.Dataset({"mystery": ("agent", np.zeros(2)), "label": ("agent", np.array(["a", "b"], dtype=object))},
                    coords={"agent": np.arange(2)})
    ds.attrs.update(Conventions="CF-1.10", citation="x")
    describe(ds)
    problems = cf_problems(ds, "t")
    assert problems == ["t: mystery has no long_name", "t: mystery has no units", "t: label has no long_name"]
    assert ds["agent"].attrs["units"] == "1" and "units" not in ds["label"].attrs
