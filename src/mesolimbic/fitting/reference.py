"""Comparing a hierarchical fit with a Stan reference posterior, and reading Stan's draws in chain order.

The reference files (``tests/data/stan_reference/*.json``, copied from the project's shared data) summarise hBayesDM's own
Stan models fitted with PyStan 3: group means and sds on the natural scale under
hBayesDM's names, the group SDs ``sigma`` in *hBayesDM's parameter order* (which need
not be this package's: prl_rp is ``Apun, Arew, beta`` there and ``alpha_pos (Arew),
alpha_neg (Apun), beta`` here), and per-subject means and sds.

Effective sample sizes must be computed per chain. PyStan 3's ``fit[name]`` returns
the draws flattened with the **chain index varying fastest** (draw 0 of chains 1-4,
then draw 1, ...). Reshaped as ``[chain, draw]`` in C order, each "chain" then
interleaves the four real chains: neighbouring draws come from independent chains, the
autocorrelation estimate drops to about 0 at lags 1-3, Geyer's initial-sequence
truncation stops before the lag-4 correlation, and the bulk ESS of *every* quantity
comes out near the number of draws (12,000 for hBayesDM's settings) whatever the true
mixing. :func:`pystan_draws_by_chain` undoes the flattening; :func:`interleave_chains`
does the misreading on purpose, for the benchmark that shows its effect.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .models import FitModel, get_model

__all__ = ["load_reference", "compare_to_reference", "pystan_draws_by_chain", "interleave_chains"]


def load_reference(path) -> dict:
    """A Stan reference file (JSON, see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no Stan reference file at {path}")
    ref = json.loads(path.read_text())
    for key in ("model", "group", "sigma_mean", "subject_means", "subject_sds", "subject_ids"):
        if key not in ref:
            raise ValueError(f"{path}: Stan reference file has no field {key!r}")
    return ref


def _hbayesdm_order(model: FitModel, ref: dict) -> list[str]:
    """This package's parameter names in hBayesDM's parameter order (the order of the Stan model's
    ``mu_pr`` and ``sigma``), read from the order of the reference's ``subject_means``."""
    by_hb = {model.hbayes[k][0]: k for k in model.param_names}
    order = [by_hb[h] for h in ref["subject_means"] if h in by_hb]
    if sorted(order) != sorted(model.param_names):
        raise ValueError(f"reference for {ref['model']!r} names {list(ref['subject_means'])}, model "
                         f"{model.name!r} has hBayesDM names {sorted(by_hb)}")
    return order


def compare_to_reference(idata, ref: dict, model: FitModel | str | None = None) -> pd.DataFrame:
    """One row per compared quantity (group means ``mu_<hBayesDM name>``, ``sigma[<name>]`` and
    every subject mean): ours, Stan's mean and sd, and ``z = (ours - stan) / stan_sd``.

    ``sigma`` rows compare posterior means of the group SDs, matched by name (the reference
    lists them in hBayesDM's order); their sd is not in the reference, so their ``z`` is
    relative to Stan's mean (a fraction, not a z-score) and flagged ``kind="sigma"``."""
    model = get_model(model or ref["model"]) if not isinstance(model, FitModel) else model
    post = idata.posterior
    subjects = [str(s) for s in post["subject"].values]
    ref_ids = [str(s) for s in ref["subject_ids"]]
    if sorted(subjects) != sorted(ref_ids):
        raise ValueError(f"the fit's subjects {subjects[:5]}... are not the reference's {ref_ids[:5]}...")
    pos = [subjects.index(s) for s in ref_ids]
    rows = []
    from .tables import label_map

    var = label_map(model, idata.attrs.get("names", "mesolimbic"))  # the names the posterior uses
    by_hb = {model.hbayes[k][0]: k for k in model.param_names}
    for hb, g in ref["group"].items():
        ours = float(post[f"mu_{var[by_hb[hb[3:]]]}"].mean())
        rows.append(("group", hb, ours, g["mean"], g["sd"]))
    order = _hbayesdm_order(model, ref)
    names = list(model.param_names)
    sig = post["sigma"].mean(("chain", "draw")).values
    for k, stan in zip(order, ref["sigma_mean"]):
        ours = float(sig[names.index(k)])
        rows.append(("sigma", f"sigma[{model.hbayes[k][0]}]", ours, stan, stan))
    for k in order:
        hb = model.hbayes[k][0]
        ours = post[var[k]].mean(("chain", "draw")).values[pos]
        for sid, o, m, s in zip(ref_ids, ours, ref["subject_means"][hb], ref["subject_sds"][hb]):
            rows.append(("subject", f"{hb}[{sid}]", float(o), m, s))
    df = pd.DataFrame(rows, columns=["kind", "name", "ours", "stan_mean", "stan_sd"])
    df["z"] = (df.ours - df.stan_mean) / df.stan_sd
    return df


def pystan_draws_by_chain(flat, n_chains: int) -> np.ndarray:
    """``[chain, draw, ...]`` from PyStan 3's ``fit[name]`` array ``[..., draws * chains]``, whose
    last axis runs over (draw, chain) with the chain index fastest."""
    flat = np.asarray(flat)
    n = flat.shape[-1]
    if n % n_chains:
        raise ValueError(f"{n} draws do not split into {n_chains} chains")
    x = flat.reshape(flat.shape[:-1] + (n // n_chains, n_chains))  # [..., draw, chain]
    return np.moveaxis(np.moveaxis(x, -1, 0), -1, 1)  # [chain, draw, ...]


def interleave_chains(x) -> np.ndarray:
    """The misreading of :func:`pystan_draws_by_chain`'s input: ``[chain, draw, ...]`` flattened
    chain-fastest (as PyStan 3 stores it) and reshaped back in C order as if it were chain-major."""
    x = np.asarray(x)
    c, d = x.shape[:2]
    flat = np.swapaxes(x, 0, 1).reshape((c * d,) + x.shape[2:])  # draw-major, chain fastest
    return flat.reshape((c, d) + x.shape[2:])
