"""The ``mesolimbic`` command: list and run the registered experiments."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="mesolimbic: reward prediction errors, dopamine and published findings, executable.")
err = Console(stderr=True)
out = Console()


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command("list")
def list_experiments() -> None:
    """The experiments there are, one line each with its citation."""
    from .experiments import all_experiments

    for exp in all_experiments():
        why = exp.missing()
        note = f" [yellow]({escape(why)})[/]" if why else ""
        out.print(f"[bold]{exp.name}[/]  {exp.title} — {exp.citation}{note}", highlight=False, soft_wrap=True)


@app.command()
def run(
    name: str = typer.Argument(..., help="experiment name (see `mesolimbic list`)"),
    out_dir: Path = typer.Option(Path("results"), "--out", "-o", help="output folder"),
    agents: int = typer.Option(None, "--agents", "-n", help="simulated agents (default: the experiment's)"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    force: bool = typer.Option(False, "--force", help="overwrite existing outputs"),
) -> None:
    """Run one experiment: writes OUT/NAME.nc and OUT/NAME.png and prints its checks."""
    from .experiments import get
    from .io import check_writable, save_figure, save_netcdf

    try:
        exp = get(name)
        if exp.missing():
            raise ValueError(f"experiment {name!r} {exp.missing()}")
        n = exp.default_agents if agents is None else agents
        if n < 1:
            raise ValueError(f"--agents must be >= 1, got {n}")
        if seed < 0:
            raise ValueError(f"--seed must be >= 0, got {seed}")
        nc, png = out_dir / f"{name}.nc", out_dir / f"{name}.png"
        check_writable([nc, png], force)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=err, transient=True) as progress:
            task = progress.add_task(f"{name}: simulating {n} agents", total=None)
            result = exp.run(n_agents=n, seed=seed)
            progress.update(task, description=f"{name}: drawing the figure")
            fig = result.figure()
            progress.update(task, description=f"{name}: writing {out_dir}")
            save_netcdf(result.dataset, nc)
            try:
                save_figure(fig, png)
            except BaseException:
                nc.unlink(missing_ok=True)  # never leave half the outputs behind
                raise
    except (ValueError, FileExistsError, OSError) as e:
        _fail(str(e))
    out.print(f"[bold]{exp.name}[/] — {exp.citation}", highlight=False, soft_wrap=True)
    for c in result.checks:
        colour = "green" if c.passed else ("yellow" if c.expected_failure else "red")
        out.print(f"[{colour}]{escape(c.line())}[/]", highlight=False, soft_wrap=True)
    out.print(f"wrote {nc} and {png}")
    if not result.ok:
        failed = [c.name for c in result.checks if not (c.passed or c.expected_failure)]
        err.print(f"[bold red]checks failed:[/] {', '.join(failed)}")
        raise typer.Exit(code=1)


@app.command()
def reproduce(
    out_dir: Path = typer.Option(Path("results"), "--out", "-o", help="output folder"),
    only: list[str] = typer.Option(None, "--only", help="run only this experiment (repeatable)"),
    agents: int = typer.Option(None, "--agents", "-n", help="agents per experiment (default: each one's own)"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    force: bool = typer.Option(False, "--force", help="overwrite existing outputs"),
) -> None:
    """Run every registered experiment (or --only some) and write report.html, summary.json,
    and NAME.nc / NAME.png for each. Exits non-zero if a check that should pass fails."""
    from rich.progress import BarColumn, MofNCompleteColumn

    from .experiments import get, names
    from .io import check_writable
    from .report import output_paths, run_suite, write_report

    try:
        chosen = list(only) if only else names()
        skipped = {}
        for n in chosen:
            why = get(n).missing()
            if why and only:
                raise ValueError(f"experiment {n!r} {why}")
            if why:
                skipped[n] = why
        chosen = [n for n in chosen if n not in skipped]
        for n, why in skipped.items():
            err.print(f"[yellow]skipped {n}:[/] {escape(why)}", highlight=False, soft_wrap=True)
        if agents is not None and agents < 1:
            raise ValueError(f"--agents must be >= 1, got {agents}")
        if seed < 0:
            raise ValueError(f"--seed must be >= 0, got {seed}")
        check_writable(output_paths(out_dir, chosen), force)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, transient=True) as progress:
            task = progress.add_task("reproducing", total=len(chosen))
            done = []

            def on_start(name):
                if done:
                    progress.advance(task)
                done.append(name)
                progress.update(task, description=f"running {name}")

            runs = run_suite(chosen, n_agents=agents, seed=seed, on_start=on_start)
            progress.advance(task)
            progress.update(task, description=f"writing {out_dir}")
            write_report(runs, out_dir, seed, skipped)
    except (ValueError, FileExistsError, OSError) as e:
        _fail(str(e))
    failures = []
    for r in runs:
        status = ", ".join(f"{m}: {s}" for m, s in r.result.model_status().items())
        colour = "green" if r.result.ok else "red"
        out.print(f"[{colour}]{r.experiment.name}[/] ({r.seconds:.1f} s) — {status}", highlight=False,
                  soft_wrap=True)
        failures += [f"{r.experiment.name}:{c.name}" for c in r.result.failures]
    out.print(f"wrote {out_dir / 'report.html'}, {out_dir / 'summary.json'} and {2 * len(runs)} result files")
    if failures:
        err.print(f"[bold red]checks failed:[/] {', '.join(failures)}", soft_wrap=True)
        raise typer.Exit(code=1)


@app.command()
def fit(
    data_path: Path = typer.Argument(..., help="trial table (TSV/CSV), one row per trial, hBayesDM columns"),
    task: str = typer.Option(..., "--task", help="bandit2arm, prl, prl_multipleB, ts, gng or pst"),
    model: str = typer.Option(..., "--model", help="model name, e.g. bandit2arm_delta (see mesolimbic.fitting.MODELS)"),
    method: str = typer.Option("mle", "--method", help="mle, map, approx (empirical Bayes) or hierarchical"),
    out_dir: Path = typer.Option(Path("fit"), "--out", "-o", help="output folder"),
    drop_nan: bool = typer.Option(False, "--drop-nan", help="drop rows with missing values (reported per subject)"),
    sampler: str = typer.Option("chees", "--sampler", help="hierarchical: chees (many chains, run to --target-ess) "
                                                           "or nuts (hBayesDM's 4 x (1000 + 3000))"),
    chains: int = typer.Option(None, "--chains", help="default 32 (chees) or 4 (nuts)"),
    warmup: int = typer.Option(None, "--warmup", help="default 200 (chees) or 1000 (nuts)"),
    draws: int = typer.Option(3000, "--draws", help="nuts: draws per chain"),
    target_ess: float = typer.Option(12000.0, "--target-ess", help="chees: bulk ESS to reach"),
    seed: int = typer.Option(0, "--seed"),
    force: bool = typer.Option(False, "--force", help="overwrite existing outputs"),
) -> None:
    """Fit a model to subjects' choices: writes params.csv, regressors.tsv, diagnostics.json,
    ppc.png (and posterior.nc for the hierarchical method)."""
    import json

    from .fitting import fit_approx, fit_hierarchical, fit_mle, get_model, load_choices
    from .fitting.diagnostics_io import write_fit
    from .io import check_writable

    try:
        if method not in ("mle", "map", "approx", "hierarchical"):
            raise ValueError(f"--method must be one of mle, map, approx, hierarchical, got {method!r}")
        fm = get_model(model)
        paths = [out_dir / n for n in ("params.csv", "regressors.tsv", "diagnostics.json", "ppc.png")]
        if method == "hierarchical":
            paths.append(out_dir / "posterior.nc")
            import numpyro

            # NUTS: one CPU device per chain; ChEES: its chains split over the CPU cores
            numpyro.set_host_device_count(max(chains or 4, 1) if sampler == "nuts" else max(os.cpu_count() or 1, 1))
        check_writable(paths, force)
        data = load_choices(data_path, task, drop_nan=drop_nan)
        if data.dropped:
            err.print(f"dropped rows with missing values, per subject: {data.dropped}")
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                      transient=True) as progress:
            progress.add_task(f"fitting {fm.name} ({method}) to {data.n_subjects} subjects", total=None)
            if method == "hierarchical":
                result = fit_hierarchical(data, fm, sampler=sampler, chains=chains, warmup=warmup, draws=draws,
                                          target_ess=target_ess, seed=seed)
            elif method == "approx":
                result = fit_approx(data, fm, seed=seed)
            else:
                result = fit_mle(data, fm, seed=seed, prior_sd=2.0 if method == "map" else None)
        summary = write_fit(result, fm, data, out_dir, method)
    except (ValueError, FileExistsError, OSError) as e:
        _fail(str(e))
    out.print(json.dumps({k: v for k, v in summary.items() if k != "files"}, indent=1, default=str), highlight=False)
    out.print(f"wrote {', '.join(str(p) for p in summary['files'])}")


@app.command()
def recover(
    model: str = typer.Option(..., "--model", help="model to recover, e.g. bandit2arm_delta"),
    subjects: int = typer.Option(100, "--subjects"), trials: int = typer.Option(200, "--trials"),
    against: list[str] = typer.Option(None, "--against", help="other models for model recovery (repeatable)"),
    out_dir: Path = typer.Option(Path("recovery"), "--out", "-o"), seed: int = typer.Option(0, "--seed"),
    force: bool = typer.Option(False, "--force"),
) -> None:
    """Parameter (and, with --against, model) recovery: recovery.nc, recovery.png, and the
    correlations printed."""
    from .fitting.recovery import model_recovery, parameter_recovery, recovery_figure
    from .io import check_writable, save_figure, save_netcdf

    try:
        files = [out_dir / "recovery.nc", out_dir / "recovery.png"] + ([out_dir / "confusion.csv"] if against else [])
        check_writable(files, force)
        ds = parameter_recovery(model, n_subjects=subjects, n_trials=trials, seed=seed)
        conf = model_recovery([model, *against], n_subjects=max(10, subjects // 3), n_trials=trials, seed=seed) \
            if against else None
        out_dir.mkdir(parents=True, exist_ok=True)
        save_netcdf(ds, files[0])
        save_figure(recovery_figure(ds, conf), files[1])
        if conf is not None:
            conf.to_csv(files[2])
    except (ValueError, FileExistsError, OSError) as e:
        _fail(str(e))
    for k, v in ds.attrs.items():
        if k.startswith("r_"):
            out.print(f"{k[2:]}: r = {v:.3f}")
    if conf is not None:
        out.print(conf.round(2).to_string())
    out.print(f"wrote {', '.join(map(str, files))}")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
