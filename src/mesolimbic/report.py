"""`mesolimbic reproduce`: run the registered experiments and write the report.

Writes, into one folder:

* ``report.html`` — one self-contained page (figures embedded as PNG data, no
  network access needed): a sticky table of contents by topic, the findings x
  model-families matrix (rows grouped by topic, a cell listing the variants of the
  family the experiment ran, with their status), then per topic and finding its
  citation, design, figure, models' status, checks grouped by kind (measured number
  next to the threshold; pass rate over seeds) and parameters;
* ``<experiment>.nc`` and ``<experiment>.png`` for each experiment;
* ``summary.json`` — per experiment and check: measured value, threshold,
  pass/fail, expected-failure flag, the check's kind (finding, direction,
  property); with several seeds (``--seeds``), each check's measured value at
  every seed, its pass rate, mean and 95 % interval, and whether it holds as its
  claim says; each experiment's topic and each model's family; with the package
  version and the seeds; ``failed``: experiments whose run raised, with the error.

Each experiment is one task of an executor (:mod:`mesolimbic.cluster`): in this
process one after another by default, or on a Dask cluster. Either way the
experiment's ``.nc`` and ``.png`` are staged as its result arrives, and an
experiment that raises is reported by name while the others' results are kept.
"""

from __future__ import annotations

import base64
import html
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from . import __version__
from .experiments.registry import KINDS, TOPICS, Experiment, ExperimentResult, get, names, robustness
from .io import OutputFolder, dumps_json, fault_point, save_netcdf

__all__ = ["SuiteRun", "SuiteRuns", "run_suite", "run_experiment", "write_report", "stage_run", "finish_report",
           "summary_dict", "render_html", "output_paths", "output_names", "model_family", "FAMILIES", "by_topic"]


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
    from .plot import plt, png_bytes

    try:
        return png_bytes(fig)
    finally:
        plt.close(fig)


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
        "topics": TOPICS,
        "experiments": {
            r.experiment.name: {
                "title": r.experiment.title,
                "citation": r.experiment.citation,
                "topic": r.experiment.topic,
                "ok": r.ok,
                "seconds": round(r.seconds, 3),
                "models": r.result.model_status(),
                "model_families": {m: model_family(m) for m in r.result.model_status()},
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
*{box-sizing:border-box}
html{scroll-padding-top:.6em}
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0;color:#222;line-height:1.45;
background:#fff}
.layout{display:grid;grid-template-columns:14em minmax(0,1fr);gap:1.6em;max-width:1280px;margin:0 auto;
padding:0 1.2em}
nav.toc{position:sticky;top:0;align-self:start;max-height:100vh;overflow-y:auto;padding:1.2em 0 2em;
font-size:.86em;border-right:1px solid #eee}
nav.toc a{color:#1a4f8b;text-decoration:none} nav.toc a:hover{text-decoration:underline}
nav.toc ol{list-style:none;margin:.15em 0 .7em;padding:0 .4em 0 .3em}
nav.toc li{margin:.08em 0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
nav.toc .t{display:block;font-weight:600;margin-top:.5em;color:#222}
main{min-width:0;padding-bottom:4em}
h1{margin:.8em 0 .1em;font-size:1.7em} .sub{color:#555;margin:.2em 0}
h2{font-size:1.35em;margin:.3em 0} h3{font-size:1.12em;margin:.2em 0 .3em}
a.anchor{color:#aaa;text-decoration:none;font-weight:400;margin-left:.3em;font-size:.85em}
a.anchor:hover{color:#1a4f8b}
section.topic{border-top:3px solid #ddd;margin-top:2.2em;padding-top:.6em}
article{border-top:1px solid #eee;margin-top:1.6em;padding-top:.8em}
section,article{scroll-margin-top:.6em}
table{border-collapse:collapse;margin:.5em 0 1em;width:100%}
th,td{border:1px solid #ddd;padding:.25em .45em;font-size:.86em;vertical-align:top;text-align:left;
overflow-wrap:anywhere}
th{background:#f4f4f4} table.checks{table-layout:fixed}
table.matrix{table-layout:fixed} table.matrix td,table.matrix th{font-size:.76em;padding:.2em .35em;line-height:1.3}
table.matrix .k{display:block;color:#555;font-size:.92em}
table.matrix tr.group th{background:#e9eef5;font-size:.86em}
td.ok{background:#e3f4e1} td.bad{background:#fbe0df} td.expected{background:#fff3cd} td.prop{background:#eef1f5}
td.none{color:#bbb;text-align:center}
.v{display:block} .v i{color:#555;font-style:normal} .xf{display:block;color:#7a5a00;font-size:.92em}
.pass{color:#1b7f2a;font-weight:600} .fail{color:#b3261e;font-weight:600} .xfail{color:#8a6100;font-weight:600}
tr.kind th{background:#fafafa;font-weight:600}
.kindname{font-variant:small-caps;letter-spacing:.02em}
figure{margin:.6em 0} img{max-width:100%;height:auto;display:block}
.cite{color:#555;font-style:italic} code{background:#f4f4f4;padding:0 .25em}
.models{margin:.4em 0} .models span{display:inline-block;margin:0 .4em .2em 0;padding:.05em .45em;border-radius:.8em;
font-size:.85em}
.s-ok{background:#e3f4e1} .s-bad{background:#fbe0df} .s-expected{background:#fff3cd} .s-prop{background:#eef1f5}
.dot{display:inline-block;width:.55em;height:.55em;border-radius:50%;margin-right:.35em;vertical-align:.05em}
.dot.ok{background:#2e9d44} .dot.bad{background:#c0392b}
p,li{overflow-wrap:anywhere}
.legend span{margin-right:.8em}
@media (max-width:900px){.layout{display:block} nav.toc{position:static;max-height:none;border:0}}
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

#: the columns of the findings x models matrix: a family of models and the variants it takes in
FAMILIES = {
    "Rescorla–Wagner": "Rescorla–Wagner and its variants",
    "TD learning": "TD(0), TD(λ) with any representation (CSC, presence, microstimuli) and readout",
    "choice learners": "delta rule, Q-learning, SARSA, actor–critic, OpAL, gain/loss Q, Pavlovian-bias learners",
    "hybrid MB/MF": "the hybrid model-based / model-free learner of the two-step task",
    "circuit": "the VTA–NAc–amygdala–PFC circuit, its manipulations and its planner",
    "distributional": "a population of RPE channels with diverse asymmetries or discounts",
    "RLHF / PPO": "Bradley–Terry reward models, best-of-n, PPO and the over-optimisation monitor",
    "alternative signals": "accounts that compete with the RPE: dopamine as reward itself, as value, as salience, as "
                           "a retrospective causal contingency (ANCCR)",
}


def model_family(model: str) -> str:
    """The column of the findings x models matrix a model label belongs to (:data:`FAMILIES`)."""
    m = model.lower()
    rules = (
        ("RLHF / PPO", ("ppo", "bradley", "best-of-n", "reward model", "rlhf", "grpo", "rloo", "language model")),
        ("distributional", ("distributional", "population", "quantile", "expectile")),
        ("alternative signals", ("dopamine = reward", "dopamine = value", "salience |", "anccr")),
        ("circuit", ("circuit", "redish", "vta", "nac", "amygdala")),
        ("hybrid MB/MF", ("hybrid", "model-based", "model-free")),
        ("Rescorla–Wagner", ("rescorla", "rw")),
        ("TD learning", ("td(", "td ", "td,", "temporal difference", "belief-state", "sr-td", "successor")),
        ("choice learners", ("delta", "q-learn", "q learn", "sarsa", "actor", "opal", "gain/loss", "softmax",
                             "go/no-go", "pavlovian", "learner")),
    )
    for family, keys in rules:
        if m == "td" or any(m.startswith(k) or f" {k}" in m or f"({k}" in m for k in keys if k != "rw") \
                or ("rw" in keys and (m.startswith("rw") or m.startswith("rescorla"))):
            return family
    return "other"


STATUS_CLASS = {"reproduced": "ok", "fails": "bad", "expected failure": "expected", "properties only": "prop"}


def _status_class(status: str) -> str:
    return "ok" if status.startswith("reproduced") else STATUS_CLASS.get(status, "prop")


def _status_word(c) -> str:
    return {"pass": '<span class="pass">pass</span>', "fail": '<span class="fail">FAIL</span>',
            "expected failure": '<span class="xfail">expected failure</span>',
            "unexpected pass": '<span class="xfail">unexpected pass</span>'}[c.status]


def slug(text: str) -> str:
    """An HTML id from a topic name (``circuit & motivation`` -> ``topic-circuit-motivation``)."""
    import re

    return "topic-" + re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def by_topic(runs: Sequence[SuiteRun]) -> dict[str, list[SuiteRun]]:
    """The runs grouped by their experiment's topic, topics in :data:`TOPICS` order (then any
    other topic, then those without one, as ``other``), experiments in run order."""
    order = {t: i for i, t in enumerate(TOPICS)}
    groups: dict[str, list[SuiteRun]] = {}
    for r in runs:
        groups.setdefault(r.experiment.topic or "other", []).append(r)
    return dict(sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order) + (kv[0] == "other")), kv[0])))


def _expected_failures(res: ExperimentResult, model: str) -> list[str]:
    return [c.name for c in res.checks if c.model == model and c.reproduces and c.status == "expected failure"]


def _family_cell(res: ExperimentResult, family: str) -> str:
    e = html.escape
    st = res.model_status()
    variants = {m: v for m, v in st.items() if model_family(m) == family}
    if not variants:
        return "<td class='none'>·</td>"
    vals = list(variants.values())
    overall = ("fails" if "fails" in vals else
               next((v for v in vals if v.startswith("reproduced")), None) or
               ("expected failure" if "expected failure" in vals else "properties only"))
    lines = []
    for m, v in variants.items():
        xf = _expected_failures(res, m)
        name = "" if (len(variants) == 1 and m == family) else f"<i>{e(m)}:</i> "
        lines.append(f"<span class='v'>{name}<b>{e(v)}</b></span>")
        if xf and v.startswith("reproduced"):
            lines.append(f"<span class='xf'>expected failure: {', '.join(_breakable(x) for x in xf)}</span>")
    return f"<td class='{_status_class(overall)}'>{''.join(lines)}</td>"


def _breakable(name: str) -> str:
    """An experiment name that may wrap after its underscores."""
    return html.escape(name).replace("_", "_<wbr>").replace(".", ".<wbr>")


def _png_size(png: bytes) -> tuple[int, int] | None:
    if png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR":
        return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return None


def _matrix_cols(runs: Sequence[SuiteRun], families: list[str]) -> str:
    """Column widths that give the room to the busy columns: a family's width grows with the
    square root of the text its cells hold, and is at least its header's longest word."""
    header = {f: max(len(w) for w in f.split()) + 2 for f in families}
    text = dict.fromkeys(families, 0)
    for r in runs:
        for m, v in r.result.model_status().items():
            if model_family(m) in text:
                text[model_family(m)] += len(m) + len(v) + 2
    weights = [24, *(max(header[f], math.sqrt(text[f])) for f in families)]
    total = sum(weights)
    return "<colgroup>" + "".join(f"<col style='width:{100 * w / total:.1f}%'>" for w in weights) + "</colgroup>"


def _matrix(runs: Sequence[SuiteRun], groups: dict[str, list[SuiteRun]]) -> list[str]:
    e = html.escape
    present = {model_family(m) for r in runs for m in r.result.model_status()}
    families = [f for f in (*FAMILIES, "other") if f in present]
    parts = ["<section id='matrix'><h2>Findings × models<a class='anchor' href='#matrix' "
             "aria-label='link to this section'>#</a></h2>",
             "<p class='sub'>Each cell: how a family of models fares on the finding, judged on its finding and "
             "direction checks; where the experiment ran several variants of the family (learning rule, "
             "representation, readout), each is listed. Under each finding: its checks of each kind.</p>",
             "<table class='matrix'>", _matrix_cols(runs, families), "<thead><tr><th>finding</th>",
             *[f"<th title='{e(FAMILIES.get(f, 'models of no family above'))}'>{e(f)}</th>" for f in families],
             "</tr></thead>"]
    for topic, rs in groups.items():
        parts.append(f"<tbody><tr class='group'><th colspan='{len(families) + 1}'>"
                     f"<a href='#{slug(topic)}'>{e(topic)}</a></th></tr>")
        for r in rs:
            name = r.experiment.name
            counts = r.result.counts()
            kinds = " · ".join(f"{counts[k]} {e(k)}" for k in KINDS if counts.get(k))
            parts.append(f"<tr><td><a href='#{e(name)}'>{_breakable(name)}</a><span class='k'>{kinds}</span></td>")
            parts += [_family_cell(r.result, f) for f in families]
            parts.append("</tr>")
        parts.append("</tbody>")
    parts.append("</table>")
    parts.append("<p class='legend sub'><b>reproduced</b>: every finding and direction check of the model passes"
                 " · <b>reproduced (+N expected failures)</b>: it reproduces some and is known not to produce the "
                 "others, which are named · <b>expected failure</b>: it is known not to produce the finding, and "
                 "does not · <b>properties only</b>: its checks are model identities or wiring, not a "
                 "reproduction · <b>fails</b>: a check it should pass fails.</p>")
    parts.append("<p class='legend sub'>" + " · ".join(f"<b>{e(k)}</b>: {e(v)}" for k, v in KINDS.items())
                 + ".</p></section>")
    return parts


def _checks_table(r: SuiteRun) -> list[str]:
    e = html.escape
    res = r.result
    n_seeds = len(r.seeds)
    cols = ["check", "model", "measured", "", "threshold", f"seed {r.seeds[0]}"]
    if r.over_seeds:
        cols.append(f"over {n_seeds} seeds")
    cols.append("what it compares")
    widths = [16, 14, 8, 3, 8, 9] + ([16] if r.over_seeds else []) + [26]
    total = sum(widths)
    parts = ["<table class='checks'><colgroup>", *[f"<col style='width:{100 * w / total:.1f}%'>" for w in widths],
             "</colgroup><thead><tr>", *[f"<th>{e(c)}</th>" for c in cols], "</tr></thead><tbody>"]
    for kind in KINDS:
        idx = [i for i, c in enumerate(res.checks) if c.kind == kind]
        if not idx:
            continue
        parts.append(f"<tr class='kind'><th colspan='{len(cols)}'><span class='kindname'>{e(kind)}</span> "
                     f"({len(idx)}) — <span class='sub'>{e(KINDS[kind])}</span></th></tr>")
        for i in idx:
            c = res.checks[i]
            unit = f" {e(c.unit)}" if c.unit else ""
            seeds_cell = ""
            if r.over_seeds:
                o = r.over_seeds[i]
                n_pass = round(o["pass_rate"] * len(o["seeds"]))
                rate = f"passes at {n_pass}/{len(o['seeds'])} ({o['pass_rate']:.0%})"
                if c.claim == "interval":
                    lo, hi = o["ci95"]
                    rate += f"; mean {o['mean']:.3g}, 95 % interval [{lo:.3g}, {hi:.3g}]{unit}"
                verdict = ("holds" if o["holds"] else "does not hold") + (
                    " as expected" if o["as_expected"] else " — NOT as expected")
                cls = "pass" if o["as_expected"] else "fail"
                seeds_cell = (f"<td>{e(rate)}<br><span class='{cls}'>{e(verdict)}</span> "
                              f"<span class='sub'>({e(c.claim)})</span></td>")
            src = f" <i>({e(c.source)})</i>" if c.source else ""
            parts.append(
                f"<tr><td><code>{_breakable(c.name)}</code></td><td>{e(c.model)}</td>"
                f"<td>{c.measured:.4g}{unit}</td><td>{e(c.comparison)}</td><td>{c.threshold:g}{unit}</td>"
                f"<td>{_status_word(c)}</td>{seeds_cell}<td>{e(c.description)}{src}</td></tr>")
    parts.append("</tbody></table>")
    return parts


def render_html(runs: Sequence[SuiteRun], seed: int, skipped: dict[str, str] | None = None) -> str:
    """The report page: a sticky table of contents by topic, the findings x model-families
    matrix, then per topic and finding its citation, design, figure, models' status and
    checks (grouped by kind, with pass rates when several seeds ran) and parameters."""
    e = html.escape
    n_fail = sum(len(r.failures) for r in runs)
    groups = by_topic(runs)
    seeds = list(runs[0].seeds) if runs else [seed]
    seed_text = f"seed {seed}" if len(seeds) == 1 else f"seeds {seeds[0]}–{seeds[-1]} ({len(seeds)} seeds)"
    nav = ["<nav class='toc' aria-label='contents'><a href='#top'><b>mesolimbic report</b></a>",
           "<ol><li><a href='#matrix'>Findings × models</a></li></ol>"]
    for topic, rs in groups.items():
        nav.append(f"<a class='t' href='#{slug(topic)}'>{e(topic)}</a><ol>")
        for r in rs:
            dot = "ok" if r.ok else "bad"
            nav.append(f"<li title='{e(r.experiment.name)}'><a href='#{e(r.experiment.name)}'><span class='dot {dot}' "
                       f"title='{'all checks as expected' if r.ok else 'a check failed'}'></span>"
                       f"{e(r.experiment.name)}</a></li>")
        nav.append("</ol>")
    nav.append("</nav>")
    n_checks = {k: sum(r.result.counts().get(k, 0) for r in runs) for k in KINDS}
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>mesolimbic — reproduced findings</title>",
        f"<style>{CSS}</style><script>{PROBE_JS}</script></head><body><div class='layout'>",
        *nav,
        "<main><header id='top'><h1>mesolimbic — published findings, reproduced</h1>",
        f"<p class='sub'>mesolimbic {e(__version__)} · {seed_text} · {len(runs)} experiments · "
        + " · ".join(f"{v} {e(k)} checks" for k, v in n_checks.items()) + " · "
        f"<b>{'all checks as expected' if n_fail == 0 else f'{n_fail} check(s) failed'}</b></p>",
        *([f"<p class='sub'>skipped: {e(', '.join(f'{k} ({v})' for k, v in skipped.items()))}</p>"]
          if skipped else []),
        "</header>",
        *_matrix(runs, groups),
    ]
    for topic, rs in groups.items():
        parts.append(f"<section class='topic' id='{slug(topic)}'><h2>{e(topic)}<a class='anchor' "
                     f"href='#{slug(topic)}' aria-label='link to this section'>#</a></h2>")
        if topic in TOPICS:
            parts.append(f"<p class='sub'>{e(TOPICS[topic])}.</p>")
        for r in rs:
            x, res = r.experiment, r.result
            img = base64.b64encode(r.png).decode()
            size = _png_size(r.png)
            dims = f" width='{size[0]}' height='{size[1]}'" if size else ""
            status = res.model_status()
            chips = "".join(
                f"<span class='s-{_status_class(v)}'>{e(m)}: <b>{e(v)}</b>"
                + (f" — {e(', '.join(_expected_failures(res, m)))}" if v.startswith("reproduced (+") else "")
                + "</span>" for m, v in status.items())
            counts = res.counts()
            parts += [
                f"<article id='{e(x.name)}'><h3>{e(x.name)} — {e(x.title)}<a class='anchor' href='#{e(x.name)}' "
                "aria-label='link to this finding'>#</a></h3>",
                f"<p class='cite'>{e(x.citation)}</p><p>{e(x.description)}</p>",
                f"<figure><img alt='figure of {e(x.name)}' decoding='async'{dims} "
                f"src='data:image/png;base64,{img}'></figure>",
                f"<div class='models'>{chips}</div>",
                "<p class='sub'>checks: " + " · ".join(f"{counts.get(k, 0)} {e(k)}" for k in KINDS) + "</p>",
                *_checks_table(r),
            ]
            if res.params:
                ps = ", ".join(f"{e(str(k))} = {e(str(v))}" for k, v in res.params.items())
                parts.append(f"<p><b>Parameters:</b> {ps}</p>")
            parts.append(f"<p class='sub'>ran in {r.seconds:.1f} s</p></article>")
        parts.append("</section>")
    parts.append("</main></div></body></html>")
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
