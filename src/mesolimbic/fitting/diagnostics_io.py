"""Writing a fit's outputs: parameter table, regressors, diagnostics and the predictive-check figure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..io import save_figure
from .ppc import ppc_figure
from .regressors import posterior_point, regressors

__all__ = ["write_fit"]


def write_fit(result, model, data, out_dir: Path, method: str) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    summary: dict = {"model": model.name, "task": data.task, "method": method, "subjects": data.n_subjects,
                     "trials": int(data.mask.sum()), "mirrors": model.mirrors}
    if method == "hierarchical":
        import arviz as az

        from .hierarchical import diagnostics

        params = posterior_point(result, model, "mean")
        table = az.summary(result, var_names=[v for v in result.posterior.data_vars
                                              if v not in ("x_pr", "mu_pr")])
        table.to_csv(out_dir / "params.csv")
        d = diagnostics(result, warn=False)
        summary.update({k: v for k, v in d.items() if k != "summary"})
        result.to_netcdf(str(out_dir / "posterior.nc"))
        files.append(out_dir / "posterior.nc")
        y = np.asarray(result.posterior_predictive["choice"])[0].astype(float)  # [draws, S, T]
        y = np.where(y < 0, np.nan, y)
        pred = np.nanmean(y, 0)
        fig = ppc_figure(data, pred, title=f"Posterior predictive: {model.name}")
    else:
        params = result.params
        df = result.table()
        df.to_csv(out_dir / "params.csv", index=False)
        summary["loglik"] = float(np.sum(result.loglik))
        if hasattr(result, "aic"):
            summary.update(aic=float(np.sum(result.aic)), bic=float(np.sum(result.bic)), converged=result.converged)
        else:
            summary.update(group=result.group().to_dict("list"), converged=result.converged,
                           iterations=result.iterations)
        reg = regressors(model, params, data)
        p2 = np.zeros(data.mask.shape)
        seq, trial = np.nonzero(data.mask)
        col = next(c for c in ("p_2", "p_2_stage1", "p_choice") if c in reg)
        p2[seq, trial] = reg[col].to_numpy() if col != "p_choice" else np.where(reg["choice"] == 2, reg[col],
                                                                                 1 - reg[col])
        fig = ppc_figure(data, p2, title=f"Predictive check ({method}): {model.name}")
    files.append(out_dir / "params.csv")
    regressors(model, params, data).to_csv(out_dir / "regressors.tsv", sep="\t", index=False)
    files.append(out_dir / "regressors.tsv")
    save_figure(fig, out_dir / "ppc.png")
    files.append(out_dir / "ppc.png")
    (out_dir / "diagnostics.json").write_text(json.dumps(summary, indent=1, default=str))
    files.append(out_dir / "diagnostics.json")
    summary["files"] = files
    return summary
