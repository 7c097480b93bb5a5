"""Several models fitted to several datasets: one task per (dataset, model).

:func:`fit_many` fits every model to every dataset by maximum likelihood, MAP or the
empirical-Bayes Laplace EM, each pair one task of an executor
(:mod:`mesolimbic.cluster`): in this process one after another, or with ``client=`` on
a Dask cluster. A fit depends only on its data, its model, the method and the seed —
the random starts are drawn from the seed and each subject's ID — so a pair gives the
numbers it gives when fitted alone (``mesolimbic fit DATA --model M``), wherever and in
whatever order it runs. A pair whose fit raises is named in ``failed``; the others are
kept. :meth:`ManyFits.table` is one row per dataset, model and subject;
:meth:`ManyFits.comparison` one row per dataset and model, with the summed
log-likelihood, AIC and BIC (point fits) or the Laplace log evidence (EM), and
random-effects Bayesian model selection across the models of each dataset
(:func:`~mesolimbic.fitting.compare.bms` on -BIC/2, or on the log evidences).
The hierarchical (NUTS) fit is not offered here: fit one model to one dataset at a
time with :func:`~mesolimbic.fitting.fit_hierarchical`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._seed import check_seed
from .data import ChoiceData
from .models import MODELS, FitModel, get_model

__all__ = ["fit_many", "ManyFits", "METHODS"]

METHODS = ("mle", "map", "approx")


def _fit_one(data: ChoiceData, model, method: str, seed: int):
    """One task: ``model`` fitted to ``data`` by ``method``."""
    from .approx import fit_approx
    from .mle import fit_mle

    model = get_model(model) if isinstance(model, str) else model
    if method == "approx":
        return fit_approx(data, model, seed=seed)
    return fit_mle(data, model, seed=seed, prior_sd=2.0 if method == "map" else None)


@dataclass
class ManyFits:
    """The fits of :func:`fit_many`: ``fits[(dataset, model)]``, and ``failed[(dataset, model)]``
    (the error) for pairs whose fit raised."""

    method: str
    seed: int
    datasets: list[str]
    models: list[str]
    fits: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per dataset, model and subject: the fit's own table (estimates, their
        uncertainty, log-likelihood, AIC/BIC or log evidence, trials, status)."""
        frames = []
        for (d, m), fit in self.fits.items():
            t = fit.table()
            t.insert(0, "model", m)
            t.insert(0, "dataset", d)
            frames.append(t)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["dataset", "model"])

    def comparison(self) -> pd.DataFrame:
        """One row per dataset and model: parameters, subjects, subjects not converged, the summed
        log-likelihood and AIC/BIC (MLE/MAP) or log evidence (EM), and, where a dataset has two
        or more fitted models, BMS expected frequencies and protected exceedance probabilities."""
        from .compare import bms

        rows = []
        for d in self.datasets:
            fitted = [(m, self.fits[(d, m)]) for m in self.models if (d, m) in self.fits]
            for m, fit in fitted:
                ll = np.asarray(fit.loglik, float)
                row = {"dataset": d, "model": m, "n_params": len(fit.model.param_names),
                       "subjects": fit.data.n_subjects,
                       "not_converged": sum(st != "converged" for st in (fit.status or [])),
                       "loglik": float(ll.sum())}
                if hasattr(fit, "bic"):
                    row.update(aic=float(np.sum(fit.aic)), bic=float(np.sum(fit.bic)))
                else:
                    row["log_evidence"] = float(np.sum(fit.log_evidence))
                rows.append(row)
            if len(fitted) >= 2:
                ev = np.stack([-np.asarray(f.bic, float) / 2 if hasattr(f, "bic") else np.asarray(f.log_evidence, float)
                               for _, f in fitted], 1)
                good = np.all(np.isfinite(ev), 1)
                if good.sum() >= 1:
                    res = bms(ev[good], seed=self.seed)
                    for row, ef, pxp in zip(rows[-len(fitted):], res["expected_frequency"],
                                            res["protected_exceedance"]):
                        row.update(bms_expected_frequency=float(ef), bms_protected_exceedance=float(pxp))
        return pd.DataFrame(rows)

    def warnings(self) -> list[str]:
        out = []
        for (d, m), fit in self.fits.items():
            out += [f"{d} / {m}: subject {sid}: {st}" for sid, st in zip(fit.data.subjects, fit.status or [])
                    if st != "converged"]
            if getattr(fit, "iterations", None) is not None and not fit.converged:
                out.append(f"{d} / {m}: the group prior did not settle in {fit.iterations} EM iterations")
        return out


def _ref(model: FitModel):
    return model.name if MODELS.get(model.name) is model else model


def fit_many(datasets: Mapping[str, ChoiceData], models: Sequence[FitModel | str], *, method: str = "mle",
             seed: int = 0, client=None, on_progress=None, on_result=None) -> ManyFits:
    """Fit each of ``models`` to each of ``datasets`` (name -> :class:`ChoiceData`, read with
    :func:`~mesolimbic.fitting.load_choices` for the models' task); see the module docstring.

    ``method``: ``"mle"``, ``"map"`` (a N(0, 2^2) prior on the unconstrained scale, as
    ``mesolimbic fit --method map``) or ``"approx"`` (empirical Bayes). ``client``: a Dask
    cluster (a ``distributed.Client`` or a scheduler address); default: this process.
    ``on_progress(done, total, label)`` after each pair; ``on_result(dataset, model, fit)``
    as each arrives."""
    from ..cluster import Task, executor

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)} for several fits (fit a hierarchical "
                         f"model to one dataset at a time), got {method!r}")
    seed = check_seed("seed", seed)
    models = [get_model(m) if isinstance(m, str) else m for m in models]
    if not models or not datasets:
        raise ValueError("fit_many needs at least one dataset and one model")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"models must be distinct, got {names}")
    for d, data in datasets.items():
        if not isinstance(data, ChoiceData):
            raise ValueError(f"dataset {d!r} must be ChoiceData (see load_choices), got {type(data).__name__}")
        for m in models:
            if data.task != m.task:
                raise ValueError(f"model {m.name!r} fits {m.task!r} data; dataset {d!r} is {data.task!r} data")
    pairs = [(d, m) for d in datasets for m in models]
    tasks = [Task(f"fit-{i}", f"{m.name} fitted to {d}", _fit_one, (datasets[d], _ref(m), method, seed))
             for i, (d, m) in enumerate(pairs)]
    out = ManyFits(method, seed, list(datasets), names)
    by_key = {t.key: (d, m.name) for t, (d, m) in zip(tasks, pairs)}

    def arrived(task, fit) -> None:
        out.fits[by_key[task.key]] = fit
        if on_result:
            on_result(*by_key[task.key], fit)

    ex = executor(client)
    try:
        _, failures = ex.run(tasks, on_result=arrived, on_progress=on_progress)
    finally:
        if ex is not client:
            ex.close()
    out.fits = {p: out.fits[p] for p in ((d, m.name) for d, m in pairs) if p in out.fits}  # in the order asked
    out.failed = {by_key[f.key]: f.error for f in failures}
    return out
