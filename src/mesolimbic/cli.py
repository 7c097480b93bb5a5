"""The ``mesolimbic`` command: list and run the registered experiments, fit and recover models.

Every command checks its options and its output folder before any work (the
folder is created if needed, locked against a second command, and checked for
existing outputs), builds its outputs in a staging folder and moves them into
place together (:class:`mesolimbic.io.OutputFolder`). Errors are one line on
stderr and exit 2; Ctrl-C exits 130 and SIGTERM 143, each with one line, leaving
the output folder as it was (:mod:`mesolimbic._interrupt`)."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="mesolimbic: reward prediction errors, dopamine and published findings, executable.")
err = Console(stderr=True)
out = Console()


def _one_line(message) -> str:
    return " ".join(str(message).split()) or type(message).__name__


def _fail(message) -> None:
    if isinstance(message, MemoryError):
        message = f"out of memory ({message or 'the allocation failed'}); make the run smaller"
    err.print(f"[bold red]error:[/] {escape(_one_line(message))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _warn(message) -> None:
    err.print(f"[bold yellow]warning:[/] {escape(_one_line(message))}", highlight=False, soft_wrap=True)


def _at_least(option: str, value: int | None, minimum: int = 1) -> None:
    if value is not None and value < minimum:
        raise ValueError(f"{option} must be >= {minimum}, got {value}")


#: the exceptions a command turns into its one-line error
_USER_ERRORS = (ValueError, FileExistsError, OSError, MemoryError, ImportError)

_SCHEDULER_HELP = ("run the tasks on the Dask cluster whose scheduler is at this address (tcp://host:8786); "
                   "default: $MESOLIMBIC_SCHEDULER, else in this process")
_WORKERS_HELP = "start a local Dask cluster of this many worker processes for the command"


def _check_cluster_options(scheduler: str | None, workers: int | None) -> None:
    """--scheduler / --workers, checked before any work (see mesolimbic.cluster)."""
    from .cluster import check_workers

    if workers is not None:
        check_workers(workers)
    if scheduler is not None and workers is not None:
        raise ValueError("give --scheduler (a running cluster) or --workers (start a local one), not both")
    if scheduler is not None and not scheduler.strip():
        raise ValueError("--scheduler must be a scheduler address such as tcp://host:8786, got an empty string")


def _announce(ex):
    if ex.kind == "dask":
        err.print(f"running on {escape(ex.describe())}", highlight=False, soft_wrap=True)
    return ex


def _remote(scheduler: str | None, workers: int | None):
    """A running cluster the command is sent to (--scheduler, else $MESOLIMBIC_SCHEDULER, unless
    --workers is given), connected to first, before any other work, so that an unreachable
    address fails within seconds; None otherwise."""
    import os

    from .cluster import ENV, executor

    _check_cluster_options(scheduler, workers)
    if workers is not None or (scheduler is None and not os.environ.get(ENV, "").strip()):
        return None
    return _announce(executor(scheduler=scheduler, env=True))


def _executor(remote, workers: int | None):
    """The command's executor: the remote cluster, else a local cluster of --workers processes
    (started after the output folder is checked), else in-process."""
    from .cluster import executor

    return remote if remote is not None else _announce(executor(workers=workers))


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
    from ._seed import check_seed
    from .experiments import get
    from .io import OutputFolder, save_figure, save_netcdf

    try:
        _at_least("--agents", agents)
        seed = check_seed("--seed", seed)
        exp = get(name)
        if exp.missing():
            raise ValueError(f"experiment {name!r} {exp.missing()}")
        n = exp.default_agents if agents is None else agents
        with OutputFolder(out_dir, [f"{name}.nc", f"{name}.png"], force=force) as folder, \
                Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                         console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task(f"{name}: simulating {n} agents", total=None)
            result = exp.run(n_agents=n, seed=seed)
            progress.update(task, description=f"{name}: drawing the figure")
            fig = result.figure()
            progress.update(task, description=f"{name}: writing {out_dir}")
            save_netcdf(result.dataset, folder.path(f"{name}.nc"))
            save_figure(fig, folder.path(f"{name}.png"))
            nc, png = folder.commit()
    except _USER_ERRORS as e:
        _fail(e)
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
    only: list[str] = typer.Option(None, "--only", help="run only these experiments (comma-separated or repeated)"),
    agents: int = typer.Option(None, "--agents", "-n", help="agents per experiment (default: each one's own)"),
    seed: int = typer.Option(0, "--seed", help="random seed (the first one, with --seeds)"),
    seeds: int = typer.Option(1, "--seeds", help="run every experiment at this many seeds (seed, seed + 1, ...) "
                                                  "and report each check's pass rate"),
    force: bool = typer.Option(False, "--force", help="overwrite existing outputs"),
    scheduler: str = typer.Option(None, "--scheduler", help=_SCHEDULER_HELP),
    workers: int = typer.Option(None, "--workers", help=_WORKERS_HELP),
) -> None:
    """Run every registered experiment (or --only some) and write report.html, summary.json,
    and NAME.nc / NAME.png for each. Exits non-zero if a check that should pass fails (with
    --seeds, if a check does not hold over the seeds as its claim says) or an experiment
    raised (its error is reported; the others' results are written). With --scheduler or
    --workers, each experiment is one task on a Dask cluster."""
    from rich.progress import BarColumn, MofNCompleteColumn

    from ._seed import check_seed
    from .experiments import get, names
    from .io import OutputFolder
    from .report import finish_report, output_names, run_suite, stage_run

    remote = None
    try:
        _at_least("--agents", agents)
        _at_least("--seeds", seeds)
        seed = check_seed("--seed", seed)
        remote = _remote(scheduler, workers)
        only = [n.strip() for item in (only or []) for n in item.split(",") if n.strip()]
        chosen = list(dict.fromkeys(only)) if only else names()
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
        with OutputFolder(out_dir, output_names(chosen), force=force) as folder, \
                _executor(remote, workers) as ex, \
                Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                         TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("reproducing" if ex.kind != "dask" else f"reproducing on {ex.describe()}",
                                     total=len(chosen))
            staged = []

            def on_start(name):
                progress.update(task, description=f"running {name}")

            def on_result(run):  # stage each experiment's files as its result arrives
                stage_run(folder, run, first=not staged)
                staged.append(run.experiment.name)

            def on_progress(done, total, label):
                progress.update(task, completed=done)
                if ex.kind == "dask":
                    progress.update(task, description=f"reproducing on {ex.describe()} (last: {label})")

            runs = run_suite(chosen, n_agents=agents, seed=seed, n_seeds=seeds, on_start=on_start, client=ex,
                             on_result=on_result, on_progress=on_progress)
            progress.update(task, description=f"writing {out_dir}")
            finish_report(runs, folder, seed, skipped)
    except _USER_ERRORS as e:
        _fail(e)
    finally:
        if remote is not None:
            remote.close()
    failures = []
    for r in runs:
        status = ", ".join(f"{m}: {s}" for m, s in r.result.model_status().items())
        colour = "green" if r.ok else "red"
        out.print(f"[{colour}]{r.experiment.name}[/] ({r.seconds:.1f} s) — {status}", highlight=False,
                  soft_wrap=True)
        failures += [f"{r.experiment.name}:{name}" for name in r.failures]
    out.print(f"wrote {out_dir / 'report.html'}, {out_dir / 'summary.json'} and {2 * len(runs)} result files")
    for name, why in runs.failed.items():
        err.print(f"[bold red]experiment {escape(name)} failed:[/] {escape(_one_line(why))}", highlight=False,
                  soft_wrap=True)
    if failures:
        err.print(f"[bold red]checks failed:[/] {', '.join(failures)}", soft_wrap=True)
    if failures or runs.failed:
        raise typer.Exit(code=1)


@app.command("models")
def list_models(task: str = typer.Option(None, "--task", help="only the models of this task")) -> None:
    """The models `mesolimbic fit` offers: task, parameters with their ranges, and what each mirrors."""
    from .fitting.models import MODELS

    try:
        if task is not None:
            tasks = sorted({m.task for m in MODELS.values()})
            if task not in tasks:
                from .experiments.registry import did_you_mean

                raise ValueError(f"unknown task {task!r}{did_you_mean(task, tasks)}; the tasks are {tasks}")
    except _USER_ERRORS as e:
        _fail(e)
    for name, m in MODELS.items():
        if task is not None and m.task != task:
            continue
        params = ", ".join(f"{p.name} {p.interval} (hBayesDM {m.hbayes[p.name][0]} in [{m.hbayes[p.name][1]:g}, "
                           f"{m.hbayes[p.name][2]:g}])" for p in m.free)
        out.print(f"[bold]{escape(name)}[/] ({escape(m.task)}): {escape(params)}", highlight=False, soft_wrap=True)
        out.print(f"    {escape(m.mirrors)}", highlight=False, soft_wrap=True)


@app.command()
def fit(
    data_paths: list[Path] = typer.Argument(..., help="trial table(s) (TSV/CSV), one row per trial, hBayesDM "
                                                      "columns"),
    models: list[str] = typer.Option(..., "--model", help="model name, e.g. bandit2arm_delta (`mesolimbic models` "
                                                          "lists them); repeat or comma-separate to fit several"),
    task: str = typer.Option(None, "--task", help="the data's task (bandit2arm, prl, prl_multipleB, ts, gng, pst); "
                                                  "default: the model's — given, it must match"),
    method: str = typer.Option("mle", "--method", help="mle, map, approx (empirical Bayes) or hierarchical"),
    out_dir: Path = typer.Option(Path("fit"), "--out", "-o", help="output folder"),
    drop_nan: bool = typer.Option(False, "--drop-nan", help="drop rows with missing values (reported per subject)"),
    sampler: str = typer.Option("chees", "--sampler", help="hierarchical: chees (many chains, run to --target-ess) "
                                                           "or nuts (hBayesDM's 4 x (1000 + 3000))"),
    chains: int = typer.Option(None, "--chains", help="default 32 (chees) or 4 (nuts)"),
    warmup: int = typer.Option(None, "--warmup", help="default 200 (chees) or 1000 (nuts)"),
    draws: int = typer.Option(3000, "--draws", help="nuts: draws per chain"),
    target_ess: float = typer.Option(12000.0, "--target-ess", help="chees: bulk ESS to reach"),
    per_trial: bool = typer.Option(False, "--per-trial", help="hierarchical: keep the log-likelihood per trial "
                                                              "in posterior.nc (trial-wise LOO; a larger file)"),
    hbayesdm_names: bool = typer.Option(False, "--hbayesdm-names", help="hBayesDM's parameter names (A, tau, ...) "
                                                                        "in params.csv and posterior.nc"),
    seed: int = typer.Option(0, "--seed"),
    force: bool = typer.Option(False, "--force", help="overwrite existing outputs"),
    scheduler: str = typer.Option(None, "--scheduler", help=_SCHEDULER_HELP),
    workers: int = typer.Option(None, "--workers", help=_WORKERS_HELP),
) -> None:
    """Fit a model to subjects' choices: writes params.csv (one row per subject, the same
    columns for every method), regressors.tsv, diagnostics.json, ppc.png, and for the
    hierarchical method posterior.nc (ArviZ InferenceData) and posterior_summary.csv.

    Several data files and/or models (mle, map or approx): every model is fitted to every
    file, one task per (file, model) — on a Dask cluster with --scheduler or --workers — and
    fits.csv (one row per file, model and subject), comparison.csv (per file and model: log-
    likelihood, AIC/BIC or log evidence, BMS) and fits.json are written."""
    import warnings

    from ._seed import check_seed
    from .io import OutputFolder, dumps_json

    models = [n.strip() for item in models for n in item.split(",") if n.strip()]
    if len(data_paths) > 1 or len(models) > 1:
        return _fit_many(data_paths, models, task, method, out_dir, drop_nan, seed, force, scheduler, workers)
    data_path, model = data_paths[0], models[0] if models else ""
    names = "hbayesdm" if hbayesdm_names else "mesolimbic"
    try:
        _check_cluster_options(scheduler, workers)
        if scheduler is not None or workers is not None:
            raise ValueError("--scheduler / --workers run several fits (several data files or models) as tasks; "
                             "one model fitted to one file runs in this process")
        if method not in ("mle", "map", "approx", "hierarchical"):
            raise ValueError(f"--method must be one of mle, map, approx, hierarchical, got {method!r}")
        for option, value in (("--chains", chains), ("--warmup", warmup), ("--draws", draws)):
            _at_least(option, value)
        seed = check_seed("--seed", seed)
        if method == "hierarchical":
            import numpyro

            # NUTS: one CPU device per chain, or, with more chains than cores, the chains split evenly over
            # the cores and vectorised on each (chain_method "grouped"); ChEES: its chains split over the cores
            cores = max(os.cpu_count() or 1, 1)
            n_chains = max(chains or 4, 1)
            grouped = sampler == "nuts" and 1 < cores < n_chains and n_chains % cores == 0
            numpyro.set_host_device_count(cores if sampler != "nuts" or grouped else n_chains)
        from .fitting import fit_approx, fit_hierarchical, fit_mle, get_model, load_choices
        from .fitting.diagnostics_io import FIT_FILES, fit_output_names, write_fit

        fm = get_model(model)
        if task is not None and task != fm.task:
            raise ValueError(f"--task {task!r} does not match model {fm.name!r}, which fits {fm.task!r} data")
        data = load_choices(data_path, fm.task, drop_nan=drop_nan)
        if data.dropped:
            err.print(f"dropped rows with missing values, per subject: {data.dropped}")
        with OutputFolder(out_dir, fit_output_names(method), force=force, replaces=FIT_FILES) as folder:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                          console=err, transient=True, disable=not err.is_terminal) as progress, \
                    warnings.catch_warnings():
                # the diagnostics are reported below, once, as warnings of this command
                warnings.filterwarnings("ignore", message="(NUTS|CHEES) diagnostics", category=RuntimeWarning)
                label = f"fitting {fm.name} ({method}) to {data.n_subjects} subjects"
                bar = progress.add_task(label, total=None)
                if method == "hierarchical":
                    result = fit_hierarchical(data, fm, sampler=sampler, chains=chains, warmup=warmup, draws=draws,
                                              target_ess=target_ess, seed=seed, per_trial=per_trial,
                                              names=names, progress=_sampling_status(progress, bar, label))
                elif method == "approx":
                    result = fit_approx(data, fm, seed=seed)
                else:
                    result = fit_mle(data, fm, seed=seed, prior_sd=2.0 if method == "map" else None)
                summary = write_fit(result, fm, data, out_dir, method, folder=folder, names=names)
    except _USER_ERRORS as e:
        _fail(e)
    out.print(dumps_json({k: v for k, v in summary.items() if k not in ("files", "warnings")}), highlight=False)
    for w in summary["warnings"]:
        _warn(w)
    out.print(f"wrote {', '.join(str(p) for p in summary['files'])}")


def sampling_status_text(state: dict) -> str:
    """One line of a hierarchical fit's progress: phase, draws per chain, bulk ESS against its
    target, divergences per chain (the chains that had any), time left."""
    import numpy as np

    if state["phase"] == "warmup":
        unit = "windows" if state["total"] <= 4 else "iterations"
        text = f"warm-up {state['done']}/{state['total']} {unit}"
    else:
        text = f"sampling: {state['done']:,} draws per chain"
        if state.get("min_ess") is not None:
            text += f", bulk ESS {state['min_ess']:,.0f} of {state['target_ess']:,.0f}"
    div = np.asarray(state["divergences"])
    bad = np.flatnonzero(div)
    if bad.size:
        shown = ", ".join(f"chain {c} ({int(div[c])})" for c in bad[:6]) + (" ..." if bad.size > 6 else "")
        text += f"; divergences {int(div.sum())}: {shown}"
    else:
        text += f"; no divergences in {div.size} chains"
    if state.get("eta_s") is not None and np.isfinite(state["eta_s"]):
        eta = state["eta_s"]
        text += f"; about {eta:.0f} s left" if eta < 120 else f"; about {eta / 60:.0f} min left"
    return text


def _sampling_status(progress, bar, label):
    """The fit's progress callback: the bar's total and position follow the phase; its text says
    what :func:`sampling_status_text` says."""
    def update(state: dict) -> None:
        progress.update(bar, total=state["total"], completed=state["done"],
                        description=f"{label}: {sampling_status_text(state)}")
    return update


def _fit_many(data_paths, models, task, method, out_dir, drop_nan, seed, force, scheduler, workers) -> None:
    """`mesolimbic fit` with several data files and/or models (see `fit`)."""
    from ._seed import check_seed
    from .cluster import progress_bar
    from .io import OutputFolder, dumps_json

    remote = None
    try:
        if method not in ("mle", "map", "approx"):
            raise ValueError(f"--method must be mle, map or approx to fit several files or models (fit a "
                             f"hierarchical model to one file at a time), got {method!r}")
        seed = check_seed("--seed", seed)
        if not models:
            raise ValueError("--model: give at least one model")
        remote = _remote(scheduler, workers)
        from .fitting import get_model, load_choices
        from .fitting.many import fit_many

        fms = [get_model(m) for m in models]
        tasks = {m.task for m in fms}
        if len(tasks) > 1:
            raise ValueError(f"the models fit different tasks ({', '.join(sorted(tasks))}); fit one task's models "
                             f"at a time")
        (data_task,) = tasks
        if task is not None and task != data_task:
            raise ValueError(f"--task {task!r} does not match the models, which fit {data_task!r} data")
        labels = [str(p) for p in data_paths]
        if len(set(labels)) != len(labels):
            raise ValueError(f"a data file is given twice: {labels}")
        datasets = {}
        for p, label in zip(data_paths, labels):
            data = load_choices(p, data_task, drop_nan=drop_nan)
            if data.dropped:
                err.print(f"{escape(label)}: dropped rows with missing values, per subject: {data.dropped}",
                          highlight=False, soft_wrap=True)
            datasets[label] = data
        names = ["fits.csv", "comparison.csv", "fits.json"]
        with OutputFolder(out_dir, names, force=force) as folder, _executor(remote, workers) as ex, \
                progress_bar(f"fitting {len(fms)} model(s) to {len(datasets)} file(s)", len(fms) * len(datasets),
                             console=err) as bar:
            res = fit_many(datasets, fms, method=method, seed=seed, client=ex, on_progress=bar)
            if not res.fits:
                raise ValueError("every fit failed: " + "; ".join(f"{m} fitted to {d}: {e}"
                                                                  for (d, m), e in res.failed.items()))
            res.table().to_csv(folder.path("fits.csv"), index=False)
            comparison = res.comparison()
            comparison.to_csv(folder.path("comparison.csv"), index=False)
            summary = {"method": method, "task": data_task, "seed": seed, "datasets": labels, "models": models,
                       "fits": [{"dataset": d, "model": m} for d, m in res.fits],
                       "failed": [{"dataset": d, "model": m, "error": e} for (d, m), e in res.failed.items()],
                       "comparison": comparison.to_dict("records"), "warnings": res.warnings()}
            folder.path("fits.json").write_text(dumps_json(summary), encoding="utf-8")
            files = folder.commit()
    except _USER_ERRORS as e:
        _fail(e)
    finally:
        if remote is not None:
            remote.close()
    out.print(comparison.to_string(index=False), highlight=False, soft_wrap=True)
    for w in summary["warnings"]:
        _warn(w)
    out.print(f"wrote {', '.join(str(p) for p in files)}")
    for (d, m), e in res.failed.items():
        err.print(f"[bold red]fit of {escape(m)} to {escape(d)} failed:[/] {escape(_one_line(e))}", highlight=False,
                  soft_wrap=True)
    if res.failed:
        raise typer.Exit(code=1)


@app.command()
def recover(
    model: str = typer.Option(..., "--model", help="model to recover, e.g. bandit2arm_delta"),
    subjects: int = typer.Option(100, "--subjects"), trials: int = typer.Option(200, "--trials"),
    against: list[str] = typer.Option(None, "--against", help="other models for model recovery (repeatable)"),
    out_dir: Path = typer.Option(Path("recovery"), "--out", "-o"), seed: int = typer.Option(0, "--seed"),
    force: bool = typer.Option(False, "--force"),
    scheduler: str = typer.Option(None, "--scheduler", help=_SCHEDULER_HELP),
    workers: int = typer.Option(None, "--workers", help=_WORKERS_HELP),
    subjects_per_task: int = typer.Option(None, "--subjects-per-task",
                                          help="subjects per task (block) of the study (default 50); the blocks "
                                               "are part of the numbers, not of where they run"),
) -> None:
    """Parameter (and, with --against, model) recovery: recovery.nc, recovery.png, and the
    correlations printed. With --scheduler or --workers, one task per block of subjects and
    model runs on a Dask cluster (the same numbers)."""
    from ._seed import check_seed
    from .cluster import TasksFailed, progress_bar
    from .io import OutputFolder, save_figure, save_netcdf

    remote = None
    try:
        _at_least("--subjects", subjects)
        _at_least("--trials", trials)
        _at_least("--subjects-per-task", subjects_per_task)
        seed = check_seed("--seed", seed)
        against = [n.strip() for item in (against or []) for n in item.split(",") if n.strip()]
        remote = _remote(scheduler, workers)
        from .fitting.models import get_model
        from .fitting.recovery import model_recovery, parameter_recovery, recovery_figure

        for m in [model, *against]:
            get_model(m)  # unknown names fail here, before any work
        names = ["recovery.nc", "recovery.png"] + (["confusion.csv"] if against else [])
        with OutputFolder(out_dir, names, force=force, replaces=["confusion.csv"]) as folder, \
                _executor(remote, workers) as ex:
            with progress_bar("parameter recovery", 1, console=err) as bar:
                ds = parameter_recovery(model, n_subjects=subjects, n_trials=trials, seed=seed, client=ex,
                                        subjects_per_task=subjects_per_task, on_progress=bar)
            conf = None
            if against:
                with progress_bar("model recovery", 1, console=err) as bar:
                    conf = model_recovery([model, *against], n_subjects=max(10, subjects // 3), n_trials=trials,
                                          seed=seed, client=ex, subjects_per_task=subjects_per_task,
                                          on_progress=bar)
            save_netcdf(ds, folder.path("recovery.nc"))
            save_figure(recovery_figure(ds, conf), folder.path("recovery.png"))
            if conf is not None:
                conf.to_csv(folder.path("confusion.csv"))
            files = folder.commit()
    except _USER_ERRORS as e:
        _fail(e)
    except TasksFailed as e:  # which blocks failed, and why
        _fail(e)
    finally:
        if remote is not None:
            remote.close()
    for k, v in ds.attrs.items():
        if k.startswith("r_"):
            out.print(f"{k[2:]}: r = {v:.3f}")
    if conf is not None:
        out.print(conf.round(2).to_string())
    out.print(f"wrote {', '.join(map(str, files))}")


@app.command()
def lab(port: int = typer.Option(None, "--port", help="port on 127.0.0.1 (default: a free one)"),
        no_browser: bool = typer.Option(False, "--no-browser", help="do not open a browser")) -> None:
    """The interactive lab in the browser: Pavlovian designs, the circuit, choice tasks (extra `lab`)."""
    from .lab import serve

    try:
        serve(port, open_browser=not no_browser)
    except _USER_ERRORS as e:
        _fail(e)


from .neural.cli import fit_neural_command  # noqa: E402  (light: typer only)

app.command("fit-neural")(fit_neural_command)


def main() -> None:
    """The console entry point: Ctrl-C and SIGTERM are handled (see :mod:`mesolimbic._interrupt`)
    before anything heavy is imported."""
    from ._interrupt import finish, install

    install()
    # typer may vendor its own click: find its ClickException through a public class
    click_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    try:
        code = app(standalone_mode=False)
    except click_error as e:  # bad option values, missing arguments: one line too
        if type(e).__name__ != "NoArgsIsHelpError":  # `mesolimbic` alone has printed its help
            err.print(f"[bold red]error:[/] {escape(_one_line(e.format_message()))}", highlight=False,
                      soft_wrap=True)
        code = e.exit_code
    except typer.Abort:
        err.print("[bold red]error:[/] aborted", highlight=False)
        code = 1
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finish(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
