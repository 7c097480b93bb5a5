"""Writing a fit's outputs: parameter table, regressors, diagnostics and the predictive-check figure.

The files are written as one set through :class:`mesolimbic.io.OutputFolder`
(staged, then moved into place together); ``diagnostics.json`` is strict JSON, with
``null`` for a number that could not be computed (an R-hat from one chain, the
log-likelihood of a subject whose fit failed) and a ``warnings`` list that says
what was not computed or did not converge.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import OutputFolder, dumps_json, save_figure
from .ppc import ppc_figure
from .regressors import posterior_point, regressors
from .tables import parameter_table

__all__ = ["write_fit", "fit_output_names", "not_converged", "FIT_FILES"]


def fit_output_names(method: str) -> list[str]:
    """The files ``write_fit`` writes for ``method``, in commit order (diagnostics last)."""
    names = ["params.csv", "regressors.tsv", "ppc.png"]
    if method == "hierarchical":
        names[:0] = ["posterior.nc", "posterior_summary.csv"]
    return names + ["diagnostics.json"]


#: every file a fit may write (an MLE fit over a hierarchical one removes the old posterior.nc)
FIT_FILES = ("posterior.nc", "posterior_summary.csv", "params.csv", "regressors.tsv", "ppc.png", "diagnostics.json")


def not_converged(result, data) -> dict:
    """Subject ID (as text) -> status, for each subject whose point fit did not converge
    (MLE/MAP/approximate fits; empty for NUTS, whose diagnostics are per chain)."""
    status = getattr(result, "status", None)
    if status is None:
        return {}
    return {str(sid): st for sid, st in zip(data.subjects, status) if st != "converged"}


def write_fit(result, model, data, out_dir: Path, method: str, *, folder: OutputFolder | None = None,
              force: bool = True, names: str = "mesolimbic") -> dict:
    """Write the fit's files into ``out_dir`` (or into the open ``folder``) and return the summary
    written to ``diagnostics.json``, with ``files`` (the final paths) added.

    ``params.csv`` is :func:`~mesolimbic.fitting.parameter_table` (the same columns for every
    method; ``names="hbayesdm"`` for hBayesDM's parameter names); a hierarchical fit also writes
    ``posterior.nc`` (the InferenceData, compressed) and ``posterior_summary.csv`` (ArviZ's
    unrounded summary of every parameter)."""
    files = fit_output_names(method)
    own = folder is None
    tx = OutputFolder(out_dir, files, force=force, option="out_dir", replaces=FIT_FILES).open() if own else folder
    try:
        return _write(result, model, data, tx, method, names)
    finally:
        if own:
            tx.close()


def _write(result, model, data, tx: OutputFolder, method: str, names: str = "mesolimbic") -> dict:
    summary: dict = {"model": model.name, "task": data.task, "method": method, "subjects": data.n_subjects,
                     "trials": int(data.mask.sum()), "mirrors": model.mirrors}
    warnings: list[str] = []
    if method == "hierarchical":
        import arviz as az

        from .hierarchical import diagnostics

        params = posterior_point(result, model, "mean")
        parameter_table(result, data=data, names=names).to_csv(tx.path("params.csv"), index=False)
        table = az.summary(result, var_names=[v for v in result.posterior.data_vars if v not in ("x_pr", "mu_pr")],
                           round_to="none")
        table.to_csv(tx.path("posterior_summary.csv"))
        d = diagnostics(result, warn=False)
        summary.update({k: v for k, v in d.items() if k not in ("summary", "problems")})
        warnings += d["problems"]
        # compressed (zlib) netCDF; the per-trial log-likelihood is only there when asked for
        result.to_netcdf(str(tx.path("posterior.nc")), compress=True)
        ppc = result.posterior_predictive["choice"]
        pred = np.full(data.mask.shape, np.nan)
        pred[ppc["sequence"].values, ppc["trial"].values - 1] = ppc.mean(("chain", "draw")).values
        fig = ppc_figure(data, pred, title=f"Posterior predictive: {model.name}")
    else:
        params = result.params
        parameter_table(result, names=names).to_csv(tx.path("params.csv"), index=False)
        ll = np.asarray(result.loglik, float)
        summary["loglik"] = float(np.sum(ll)) if np.all(np.isfinite(ll)) else None
        if hasattr(result, "aic"):
            summary.update(aic=float(np.sum(result.aic)), bic=float(np.sum(result.bic)), converged=result.converged)
        else:
            summary.update(group=result.group().to_dict("list"), converged=result.converged,
                           iterations=result.iterations)
            if not result.converged:
                warnings.append(f"the group prior did not settle in {result.iterations} EM iterations; "
                                f"raise max_iter")
        bad = not_converged(result, data)
        summary["subjects_not_converged"] = bad
        warnings += [f"subject {sid}: {st}" for sid, st in bad.items()]
        if not np.all(np.isfinite(ll)):
            summary["loglik_finite_subjects"] = float(np.sum(ll[np.isfinite(ll)]))
        reg = regressors(model, params, data)
        p2 = np.zeros(data.mask.shape)
        seq, trial = np.nonzero(data.mask)
        col = next(c for c in ("p_2", "p_2_stage1", "p_choice") if c in reg)
        p2[seq, trial] = reg[col].to_numpy() if col != "p_choice" else np.where(reg["choice"] == 2, reg[col],
                                                                                 1 - reg[col])
        fig = ppc_figure(data, p2, title=f"Predictive check ({method}): {model.name}")
    regressors(model, params, data).to_csv(tx.path("regressors.tsv"), sep="\t", index=False)
    save_figure(fig, tx.path("ppc.png"))
    from ..plot import plt

    plt.close(fig)
    summary["warnings"] = warnings
    tx.path("diagnostics.json").write_text(dumps_json(summary), encoding="utf-8")
    files = tx.commit()
    summary["files"] = files
    return summary
