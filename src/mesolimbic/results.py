"""The one record: every simulation result is built here, with the same dimensions and provenance.

Every Dataset a simulation returns has a ``param_set`` and an ``agent``
dimension (size 1 where nothing is swept or one agent ran), the swept parameter
values as coordinates on ``param_set``, and the same provenance block in its
attributes: the package version, the seed, the model with its options and
parameters, the task or design (as JSON), the representation, the numeric
precision and what was recorded. :func:`provenance` gives that block on its own,
so an experiment that derives a smaller Dataset from a simulation keeps it.
"""

from __future__ import annotations

import json
from typing import Any
from collections.abc import Mapping

import numpy as np
import xarray as xr

from ._seed import seed_attr
from ._version import __version__

__all__ = ["result_dataset", "provenance", "single", "PROVENANCE_KEYS", "json_default"]

#: attributes every simulation result carries
PROVENANCE_KEYS = ("mesolimbic_version", "seed", "model", "model_options", "params", "n_agents", "n_param_sets")


def json_default(x: Any):
    """JSON for NumPy scalars and arrays, tuples and anything else (by ``str``)."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def provenance(model, params: Mapping[str, np.ndarray], seed: int, n_agents: int, **extra) -> dict:
    """The provenance attributes of a run of ``model`` with ``params`` (``{name: [M]}``)."""
    M = len(next(iter(params.values()))) if params else 1
    attrs: dict[str, Any] = {
        "mesolimbic_version": __version__,
        "seed": seed_attr(seed),
        "model": model.name,
        "model_options": json.dumps(model.options(), default=json_default),
        "params": json.dumps({k: np.asarray(v, float).tolist() for k, v in params.items()}),
        "n_agents": int(n_agents),
        "n_param_sets": int(M),
    }
    for k, v in params.items():
        v = np.asarray(v, float)
        if np.all(v == v[0]):
            attrs[f"param_{k}"] = float(v[0])
    for k, v in extra.items():
        if v is None:
            continue
        attrs[k] = v if isinstance(v, (str, int, float, np.integer, np.floating)) else json.dumps(v, default=json_default)
    return attrs


def result_dataset(variables: Mapping[str, tuple], coords: Mapping[str, Any], *, model, params: Mapping[str, np.ndarray],
                   seed: int, n_agents: int, **extra) -> xr.Dataset:
    """Build a simulation result.

    ``variables``: ``{name: (dims, array, attrs)}``; ``coords``: coordinates beyond
    ``param_set`` and ``agent`` (added here, with the parameter values on
    ``param_set``); ``extra``: further provenance (task, design, representation,
    record, engine, precision...), stored as attributes (JSON where not a scalar).
    """
    M = len(next(iter(params.values()))) if params else 1
    all_coords: dict[str, Any] = {"param_set": np.arange(M), "agent": np.arange(n_agents)}
    for k, v in params.items():
        all_coords[k] = ("param_set", np.asarray(v, float), {"long_name": f"parameter {k}"})
    all_coords.update(coords)
    ds = xr.Dataset({k: v for k, v in variables.items()}, all_coords,
                    provenance(model, params, seed, n_agents, **extra))
    ds["param_set"].attrs.update(long_name="parameter set", units="1")
    ds["agent"].attrs.update(long_name="simulated agent", units="1")
    return ds


def single(ds: xr.Dataset) -> xr.Dataset:
    """The one parameter set of an unswept result, without the ``param_set`` dimension
    (and its parameter coordinates)."""
    if ds.sizes.get("param_set", 1) != 1:
        raise ValueError(f"single() needs a result with one parameter set, got {ds.sizes['param_set']}")
    return ds.isel(param_set=0, drop=True) if "param_set" in ds.dims else ds
