"""``mesolimbic fit-neural``: fit Pavlovian learners to recordings (registered in :mod:`mesolimbic.cli`).

Only typer and the standard library are imported at module level, so the command line starts fast."""

from __future__ import annotations

from pathlib import Path

import typer


def fit_neural_command(
    data_path: Path = typer.Argument(..., help="recordings: an NWB file, a folder of NWB files, or a tidy table "
                                                "(CSV/TSV: subject, trial, trial_type, reward, time, signal)"),
    design: str = typer.Option(None, "--design", help="a design JSON file (PavlovianDesign.to_json) or trial types "
                                                      "in the notation with counts, 'A+0.8:140,B-:40'; default: "
                                                      "read the trial-type labels as notation"),
    model: str = typer.Option("td0", "--model", help="td0, tdlambda, td-microstimulus or rw"),
    compare: list[str] = typer.Option(None, "--compare", help="other models to compare by AIC/BIC/LOO (repeatable)"),
    readout: str = typer.Option("photometry", "--readout", help="photometry (also voltammetry), spikes or behaviour"),
    kernel: str = typer.Option("photometry", "--kernel", help="photometry or voltammetry impulse response, or "
                                                              "'RISE,DECAY' in seconds"),
    latency: float = typer.Option(0.1, "--latency", help="spikes: response latency (s)"),
    link: str = typer.Option("logistic", "--link", help="behaviour: logistic (0/1) or poisson (counts)"),
    dt: float = typer.Option(0.1, "--dt", help="time bin (s) when the design is inferred from NWB"),
    us_time: float = typer.Option(1.0, "--us-time", help="CS-US interval (s) of notation trial types"),
    series: str = typer.Option(None, "--series", help="NWB photometry series name (default: the only one)"),
    method: str = typer.Option("mle", "--method", help="mle, map, or eb (hierarchical: empirical Bayes group prior)"),
    starts: int = typer.Option(3, "--starts", help="optimiser starts per session (the first from a grid)"),
    out_dir: Path = typer.Option(Path("fit-neural"), "--out", "-o", help="output folder"),
    seed: int = typer.Option(0, "--seed"),
    force: bool = typer.Option(False, "--force", help="overwrite existing outputs"),
) -> None:
    """Fit a learner to dopamine recordings or Pavlovian behaviour: writes params.csv, fit.nc,
    regressors.tsv, summary.json (and comparison.csv with --compare)."""
    from ..cli import _USER_ERRORS, _at_least, _fail, out
    from .._seed import check_seed
    from ..io import OutputFolder, dumps_json, save_netcdf

    try:
        if method not in ("mle", "map", "eb"):
            raise ValueError(f"--method must be mle, map or eb, got {method!r}")
        if readout not in ("photometry", "spikes", "behaviour"):
            raise ValueError(f"--readout must be photometry, spikes or behaviour, got {readout!r}")
        _at_least("--starts", starts)
        seed = check_seed("--seed", seed)
        from .fit import compare_models, fit_neural
        from .io import parse_design, read_nwb, read_table
        from .observation import get_neural_model

        models = [model, *(compare or [])]
        for m in models:
            get_neural_model(m)
        kern = kernel
        if "," in kernel:
            try:
                kern = tuple(float(x) for x in kernel.split(","))
            except ValueError:
                raise ValueError(f"--kernel must be photometry, voltammetry or 'RISE,DECAY', got {kernel!r}") from None
        des = parse_design(design, dt=dt, us_time=us_time)
        if not data_path.exists():
            raise ValueError(f"data {str(data_path)!r} does not exist")
        if data_path.is_dir() or data_path.suffix == ".nwb":
            data = read_nwb(data_path, readout, design=des, series=series, dt=dt, us_time=us_time)
        else:
            data = read_table(data_path, readout, design=des, us_time=us_time)
        kw = dict(kernel=kern, latency=latency, link=link, n_starts=starts, prior_sd=2.0 if method == "map" else None,
                  empirical_bayes=5 if method == "eb" else 0)
        names = ["params.csv", "fit.nc", "regressors.tsv", "summary.json"] + (["comparison.csv"] if compare else [])
        with OutputFolder(out_dir, names, force=force, replaces=["comparison.csv"]) as folder:
            if compare:
                table, fits = compare_models(data, models, seed=seed, **kw)
                fit = fits[get_neural_model(model).name]
                table.to_csv(folder.path("comparison.csv"), index=False)
            else:
                fit = fit_neural(data, model, seed=seed, **kw)
            fit.table().to_csv(folder.path("params.csv"), index=False)
            save_netcdf(fit.to_dataset(), folder.path("fit.nc"))
            fit.regressors().to_csv(folder.path("regressors.tsv"), sep="\t", index=False, na_rep="n/a")
            summary = {"model": fit.model.name, "readout": fit.readout, "method": fit.method,
                       "sessions": int(data.n_subjects), "trials": int(data.mask.sum()),
                       "converged": fit.converged, "loglik": float(fit.loglik.sum()),
                       "mean": {k: float(v[v == v].mean()) if (v == v).any() else None
                                for k, v in fit.params.items()}}
            if compare:
                summary["comparison"] = table.to_dict(orient="records")
            folder.path("summary.json").write_text(dumps_json(summary), encoding="utf-8")
            files = folder.commit()
    except _USER_ERRORS as e:
        _fail(e)
    out.print(dumps_json({k: v for k, v in summary.items() if k != "comparison"}), highlight=False)
    if compare:
        out.print(table.to_string(index=False))
    out.print(f"wrote {', '.join(map(str, files))}")
