"""The ``mesolimbic`` command: list and run the registered experiments."""

from __future__ import annotations

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
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command("list")
def list_experiments() -> None:
    """The experiments there are, one line each with its citation."""
    from .experiments import all_experiments

    for exp in all_experiments():
        out.print(f"[bold]{exp.name}[/]  {exp.title} — {exp.citation}", highlight=False, soft_wrap=True)


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
        for n in chosen:
            get(n)
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
            write_report(runs, out_dir, seed)
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


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
