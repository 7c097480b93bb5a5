"""`mesolimbic reproduce`: run the registered experiments and write the report.

Writes, into one folder:

* ``report.html`` — one self-contained page (figures embedded as PNG data, no
  network access needed): the findings x models matrix, then per finding its
  citation, design, figure, checks (measured number next to the threshold) and
  parameters;
* ``<experiment>.nc`` and ``<experiment>.png`` for each experiment;
* ``summary.json`` — per experiment and check: measured value, threshold,
  pass/fail, expected-failure flag, the check's kind (finding, direction,
  property); with several seeds (``--seeds``), each check's measured value at
  every seed, its pass rate, mean and 95 % interval, and whether it holds as its
  claim says; with the package version and the seeds; ``failed``: experiments
  whose run raised, with the error.

Each experiment is one task of an executor (:mod:`mesolimbic.cluster`): in this
process one after another by default, or on a Dask cluster. Either way the
experiment's ``.nc`` and ``.png`` are staged as its result arrives, and an
experiment that raises is reported by name while the others' results are kept.
"""

from __future__ import annotations

import base64
import html
import io
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from . import __version__
from .experiments.registry import KINDS, Experiment, ExperimentResult, get, names, robustness
from .io import OutputFolder, dumps_json, fault_point, save_netcdf

__all__ = ["SuiteRun", "SuiteRuns", "run_suite", "run_experiment", "write_report", "stage_run", "finish_report",
           "summary_dict", "render_html", "output_paths", "output_names"]

STATUS_CLASS = {"reproduced": "ok", "fails": "bad", "expected failure": "expected", "—": "none"}


@dataclass
class SuiteRun:
    """One experiment of the suite: its result at the first seed (the figure and the
    files come from it) and, when several seeds ran, every check over the seeds."""

    experiment: Experiment
    result: ExperimentResult
    seconds: float
    png: bytes
    seeds: tuple[int, ...] = (0,)
    over_seeds: list | None = None

    @property
    def ok(self) -> bool:
        """Every check behaves as expected: at one seed, passes (or fails as an expected
        failure); over several, holds as its claim says (or, expected to fail, does)."""
        if self.over_seeds is None:
            return self.result.ok
        return all(c["as_expected"] for c in self.over_seeds)

    @property
    def failures(self) -> list[str]:
        if self.over_seeds is None:
            return [c.name for c in self.result.failures]
        return [f"{c['name']} [{c['model']}]" for c in self.over_seeds if not c["as_expected"]]


class SuiteRuns(list):
    """The :class:`SuiteRun` s of :func:`run_suite`, in the order asked for, and ``failed``:
    experiment name -> the error of each experiment whose run raised."""

    def __init__(self, runs=(), failed: dict[str, str] | None = None):
        super().__init__(runs)
        self.failed: dict[str, str] = dict(failed or {})


#: pyplot keeps global state: one figure at a time per process (a Dask worker may run tasks in threads)
_FIGURE_LOCK = threading.Lock()


def _png(fig) -> bytes:
    from .plot import plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def _drawn_on_a_worker():
    raise RuntimeError("this experiment ran on a Dask worker, where its figure was drawn: use SuiteRun.png")


def run_experiment(name: str, n_agents: int | None, seeds: Sequence[int], *, detach: bool = False) -> SuiteRun:
    """One experiment of the suite (one task): run at ``seeds[0]``, draw its figure, and run the
    other seeds' checks. The numbers depend only on the name, the agents and the seeds.
    ``detach``: the result travels to another process (from a Dask worker), so its figure
    function is replaced by one that says where the figure is (``SuiteRun.png``)."""
    exp = get(name)
    seeds = tuple(seeds)
    t0 = time.perf_counter()
    n = exp.default_agents if n_agents is None else n_agents
    result = exp.run(n_agents=n, seed=seeds[0])
    with _FIGURE_LOCK:
        png = _png(result.figure())
    over = None
    if len(seeds) > 1:
        by_seed = {seeds[0]: result.checks}
        for s_ in seeds[1:]:
            by_seed[s_] = exp.run(n_agents=n, seed=s_).checks
        over = robustness(by_seed)
    if detach:
        result.figure = _drawn_on_a_worker
    return SuiteRun(exp, result, time.perf_counter() - t0, png, seeds, over)


def _run_detached(name: str, n_agents: int | None, seeds: Sequence[int]) -> tuple:
    """:func:`run_experiment` on a worker, returned without the :class:`Experiment` (its ``run``
    is a closure made at registration; the client has the same one)."""
    r = run_experiment(name, n_agents, seeds, detach=True)
    return r.result, r.seconds, r.png, r.over_seeds


def run_suite(
    only: Sequence[str] | None = None,
    *,
    n_agents: int | None = None,
    seed: int = 0,
    n_seeds: int = 1,
    on_start: Callable[[str], None] | None = None,
    client=None,
    on_result: Callable[[SuiteRun], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> SuiteRuns:
    """Run the experiments named in ``only`` (all when None) at seeds ``seed`` ..
    ``seed + n_seeds - 1`` and draw their figures (from the first seed).

    One task per experiment (:mod:`mesolimbic.cluster`): in this process, one after
    another (``on_start(name)`` before each), or on a Dask cluster with ``client`` (a
    ``distributed.Client``, a scheduler address or an executor). ``on_result(run)`` gets
    each :class:`SuiteRun` as it arrives, ``on_progress(done, total, name)`` after each
    ends. An experiment that raises is left out and named in the result's ``failed``;
    the others run on. Returns the runs in the order asked for."""
    from .cluster import InProcess, Task, executor

    chosen = list(only) if only else names()
    exps = [get(n) for n in chosen]  # unknown names fail here, before any work
    seeds = tuple(seed + i for i in range(n_seeds))
    ex = executor(client)
    local = isinstance(ex, InProcess)
    tasks = [Task(e.name, f"experiment {e.name}", run_experiment if local else _run_detached,
                  (e.name, n_agents, seeds)) for e in exps]
    by_name = {e.name: e for e in exps}

    def arrived(task, value) -> None:
        run = value if local else SuiteRun(by_name[task.key], value[0], value[1], value[2], seeds, value[3])
        done[task.key] = run
        if on_result:
            on_result(run)

    done: dict[str, SuiteRun] = {}
    try:
        _, failures = ex.run(tasks, on_result=arrived, on_start=(lambda t: on_start(t.key)) if on_start else None,
                             on_progress=on_progress)
    finally:
        if ex is not client:
            ex.close()
    return SuiteRuns([done[n] for n in chosen if n in done], {f.key: f.error for f in failures})


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


def _check_entry(c, over: dict | None) -> dict:
    d = dict(c.to_dict(), measured=_num(c.measured))
    if over is not None:
        d.update(seeds=over["seeds"], measured_by_seed=[_num(v) for v in over["measured"]],
                 pass_rate=over["pass_rate"], mean=_num(over["mean"]), sd=_num(over["sd"]),
                 ci95=[_num(v) for v in over["ci95"]], holds=over["holds"], as_expected=over["as_expected"])
    return d


def summary_dict(runs: Sequence[SuiteRun], seed: int, skipped: dict[str, str] | None = None,
                 failed: dict[str, str] | None = None) -> dict:
    seeds = list(runs[0].seeds) if runs else [seed]
    failed = dict(failed if failed is not None else getattr(runs, "failed", {}))
    return {
        "skipped": dict(skipped or {}),
        **({"failed": failed} if failed else {}),
        "mesolimbic_version": __version__,
        "seed": seed,
        "seeds": seeds,
        "ok": all(r.ok for r in runs) and not failed,
        "kinds": KINDS,
        "experiments": {
            r.experiment.name: {
                "title": r.experiment.title,
                "citation": r.experiment.citation,
                "ok": r.ok,
                "seconds": round(r.seconds, 3),
                "models": r.result.model_status(),
                "counts": r.result.counts(),
                "params": {k: (v if isinstance(v, (int, float, str, bool)) else str(v))
                           for k, v in r.result.params.items()},
                "checks": [_check_entry(c, r.over_seeds[i] if r.over_seeds else None)
                           for i, c in enumerate(r.result.checks)],
            }
            for r in runs
        },
    }


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1150px;margin:2em auto;
color:#222;line-height:1.45;padding:0 1em}
h1{margin-bottom:.1em} .sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:.6em 0 1.2em} th,td{border:1px solid #ddd;padding:.3em .6em;
font-size:.92em;vertical-align:top} th{background:#f4f4f4;text-align:left}
td.ok{background:#e3f4e1} td.bad{background:#fbe0df} td.expected{background:#fff3cd} td.none{color:#aaa}
.pass{color:#1b7f2a;font-weight:600} .fail{color:#b3261e;font-weight:600}
.xfail{color:#9a6b00;font-weight:600}
section{border-top:2px solid #eee;margin-top:2em;padding-top:.5em} img{max-width:100%;height:auto}
.cite{color:#555;font-style:italic} code{background:#f4f4f4;padding:0 .25em}
"""

# Records, for automated checks, whether every figure decoded and whether any script error occurred.
PROBE_JS = """
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message || e)); });
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
  var b = document.body;
  b.setAttribute('data-images', String(imgs.length));
  b.setAttribute('data-images-broken', String(bad));
  b.setAttribute('data-errors', String(window.__errors.length));
});
"""


def model_family(model: str) -> str:
    """Column of the findings x models matrix: Rescorla–Wagner, TD, or the label itself."""
    if model.startswith(("Rescorla", "RW")):
        return "Rescorla–Wagner"
    if model.startswith("TD"):
        return "TD learning"
    if model.startswith("hybrid"):
        return "hybrid MB/MF"
    if model.startswith(("delta rule", "Q-learning")):
        return "choice learners"
    return model


def _status_word(c) -> str:
    return {"pass": '<span class="pass">pass</span>', "fail": '<span class="fail">FAIL</span>',
            "expected failure": '<span class="xfail">expected failure</span>',
            "unexpected pass": '<span class="xfail">unexpected pass</span>'}[c.status]


def render_html(runs: Sequence[SuiteRun], seed: int, skipped: dict[str, str] | None = None) -> str:
    e = html.escape
    n_fail = sum(len(r.failures) for r in runs)
    families = list(dict.fromkeys(model_family(m) for r in runs for m in r.result.model_status()))
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>mesolimbic — reproduced findings</title>",
        f"<style>{CSS}</style><script>{PROBE_JS}</script></head><body>",
        "<h1>mesolimbic — published findings, reproduced</h1>",
        f"<p class='sub'>mesolimbic {e(__version__)} · seed {seed} · {len(runs)} experiments · "
        f"{'all checks as expected' if n_fail == 0 else f'{n_fail} check(s) failed'}</p>",
        *([f"<p class='sub'>skipped: {e(', '.join(f'{k} ({v})' for k, v in skipped.items()))}</p>"]
          if skipped else []),
        "<h2>Findings × models</h2><table><tr><th>finding</th>",
        *[f"<th>{e(m)}</th>" for m in families],
        "</tr>",
    ]
    for r in runs:
        st = r.result.model_status()
        parts.append(f"<tr><td><a href='#{e(r.experiment.name)}'>{e(r.experiment.name)}</a></td>")
        for fam in families:
            variants = {m: v for m, v in st.items() if model_family(m) == fam}
            if not variants:
                parts.append("<td class='none'>—</td>")
                continue
            vals = list(variants.values())
            overall = ("fails" if "fails" in vals else
                       "reproduced" if any(v.startswith("reproduced") for v in vals) else
                       "expected failure" if "expected failure" in vals else "—")
            if len(variants) == 1 and next(iter(variants)) == fam:
                text = e(overall)
            else:
                text = "<br>".join(f"{e(m)}: <b>{e(v)}</b>" for m, v in variants.items())
            parts.append(f"<td class='{STATUS_CLASS[overall]}'>{text}</td>")
        parts.append("</tr>")
    parts.append("</table><p>reproduced: every check passes · fails: a check the model should pass fails · "
                 "expected failure: the model is known not to produce the finding, and does not. A cell lists "
                 "the variants of a model family (learning rule, representation, readout) that the experiment "
                 "ran; it is green when one of them reproduces the finding.</p>")
    for r in runs:
        x, res = r.experiment, r.result
        img = base64.b64encode(r.png).decode()
        parts += [
            f"<section id='{e(x.name)}'><h2>{e(x.name)} — {e(x.title)}</h2>",
            f"<p class='cite'>{e(x.citation)}</p><p>{e(x.description)}</p>",
            f"<img alt='figure of {e(x.name)}' src='data:image/png;base64,{img}'>",
            "<table><tr><th>check</th><th>kind</th><th>model</th><th>measured</th><th></th><th>threshold</th>"
            f"<th>result</th>{'<th>over seeds</th>' if r.over_seeds else ''}<th>what it compares</th></tr>",
        ]
        for i, c in enumerate(res.checks):
            unit = f" {e(c.unit)}" if c.unit else ""
            seeds_cell = ""
            if r.over_seeds:
                o = r.over_seeds[i]
                rate = f"{o['pass_rate']:.0%} of {len(o['seeds'])} seeds"
                if c.claim == "interval":
                    rate += f"; 95 % interval [{o['ci95'][0]:.3g}, {o['ci95'][1]:.3g}]"
                cls = "pass" if o["as_expected"] else "fail"
                seeds_cell = f"<td><span class='{cls}'>{e(rate)}</span></td>"
            src = f" <i>({e(c.source)})</i>" if c.source else ""
            parts.append(
                f"<tr><td><code>{e(c.name)}</code></td><td>{e(c.kind)}</td><td>{e(c.model)}</td>"
                f"<td>{c.measured:.4g}{unit}</td><td>{e(c.comparison)}</td><td>{c.threshold:g}{unit}</td>"
                f"<td>{_status_word(c)}</td>{seeds_cell}<td>{e(c.description)}{src}</td></tr>")
        parts.append("</table>")
        if res.params:
            ps = ", ".join(f"{e(str(k))} = {e(str(v))}" for k, v in res.params.items())
            parts.append(f"<p><b>Parameters:</b> {ps}</p>")
        parts.append(f"<p class='sub'>ran in {r.seconds:.1f} s</p></section>")
    parts.append("</body></html>")
    return "".join(parts)


def output_names(chosen: Sequence[str]) -> list[str]:
    """The files ``reproduce`` writes for the experiments ``chosen``, in commit order: the
    result files first, then ``summary.json`` and ``report.html`` (which refer to them)."""
    names = []
    for n in chosen:
        names += [f"{n}.nc", f"{n}.png"]
    return names + ["summary.json", "report.html"]


def output_paths(out_dir: Path, chosen: Sequence[str]) -> list[Path]:
    return [Path(out_dir) / n for n in output_names(chosen)]


def stage_run(folder: OutputFolder, run: SuiteRun, first: bool = False) -> None:
    """Write one experiment's ``.nc`` and ``.png`` into the open ``folder``'s staging area (as its
    result arrives; :func:`finish_report` commits the set)."""
    save_netcdf(run.result.dataset, folder.path(f"{run.experiment.name}.nc"))
    folder.path(f"{run.experiment.name}.png").write_bytes(run.png)
    if first:
        fault_point("write")


def finish_report(runs: Sequence[SuiteRun], folder: OutputFolder, seed: int,
                  skipped: dict[str, str] | None = None, failed: dict[str, str] | None = None) -> list[Path]:
    """Write ``summary.json`` and ``report.html`` for ``runs`` (already staged with
    :func:`stage_run`) and move the whole set into place. ``failed`` (default: ``runs.failed``)
    names experiments that raised: they are in ``summary.json`` and listed in the report."""
    failed = dict(failed if failed is not None else getattr(runs, "failed", {}))
    folder.leave_out([f for n in failed for f in (f"{n}.nc", f"{n}.png")])
    folder.path("summary.json").write_text(dumps_json(summary_dict(runs, seed, skipped, failed), indent=2),
                                           encoding="utf-8")
    noted = {**(skipped or {}), **{k: f"failed: {v}" for k, v in failed.items()}}
    folder.path("report.html").write_text(render_html(runs, seed, noted or skipped), encoding="utf-8")
    return folder.commit()


def write_report(runs: Sequence[SuiteRun], out_dir: str | Path, seed: int,
                 skipped: dict[str, str] | None = None, *, folder: OutputFolder | None = None,
                 force: bool = True) -> list[Path]:
    """Write the report, the summary and every result file as one set; return their paths.

    The set is built in a staging folder and moved into place at the end
    (:class:`mesolimbic.io.OutputFolder`): at every moment ``out_dir`` holds the
    previous complete set or the new one, never a mixture and never a report that
    refers to a missing file. ``folder``: an already open :class:`OutputFolder` for
    ``out_dir`` (the command line opens it, and checks it, before running anything);
    without one a folder is opened here (``force``: replace existing files).
    ``skipped`` (name: why) lists experiments not run because an optional extra is
    missing.
    """
    names = output_names([r.experiment.name for r in runs])
    own = folder is None
    tx = OutputFolder(out_dir, names, force=force, option="out_dir").open() if own else folder
    try:
        if sorted(tx.names) != sorted(names):
            raise ValueError(f"the output folder was opened for {tx.names}, not for this report's {names}")
        for i, r in enumerate(runs):
            stage_run(tx, r, first=i == 0)
        return finish_report(runs, tx, seed, skipped)
    finally:
        if own:
            tx.close()
