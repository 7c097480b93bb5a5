"""Pages of the mesolimbic documentation that are generated from the code.

* ``findings/``: the gallery of findings, one page per registered experiment, from the
  experiment registry (citation, design, module docstring, default sizes) and the output
  of ``mesolimbic reproduce`` (``summary.json`` with every check's measured number and the
  figures) — the same source as the HTML report, so the two cannot drift apart. Expected
  failures carry their reason from ``tests/expected_failures.json``.
* ``_generated/references.rst``: the papers each model rests on, from the docstrings.
* ``_generated/fit_models.rst``: the fittable models with their parameters and hBayesDM names.
* ``_generated/cli.rst``: ``mesolimbic --help`` and every command's help.

Where the results come from (first that applies):

1. ``MESOLIMBIC_DOCS_RESULTS``: a folder written by ``mesolimbic reproduce`` (it must hold
   every experiment that can run here);
2. ``docs/_build/reproduce/``, a cache written by an earlier build of the same code (a hash
   of the package's code, docstrings and comments left out, is kept beside it);
3. ``results/`` at the repository root, when it holds a complete ``summary.json`` newer than
   every source file of the package;
4. otherwise the build runs ``mesolimbic reproduce --out docs/_build/reproduce`` (every
   experiment at its default size; about 3 minutes on 2 cores) and keeps it as the cache.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
SRC = ROOT / "src" / "mesolimbic"
EXPECTED_FAILURES = ROOT / "tests" / "expected_failures.json"
CACHE = DOCS / "_build" / "reproduce"

# --------------------------------------------------------------------------------------
# Topics of the gallery. The registry's topics (``registry.TOPICS``, and each experiment's
# ``topic``) are the source, as for the HTML report; this mapping orders the experiments
# within a topic (the paper's order rather than the alphabet) and serves experiments whose
# registry entry has no topic.
# --------------------------------------------------------------------------------------
TOPICS: dict[str, tuple[str, list[str]]] = {
    "Dopamine responses": (
        "The phasic dopamine response as the temporal-difference error of a learner: "
        "its transfer from the reward to the cue, its dependence on timing, probability, "
        "delay and range, and its causal role.",
        [
            "schultz1997",
            "hollerman1998_timing",
            "fiorillo2003_probability",
            "tobler2005_adaptive_coding",
            "waelti2001_blocking",
            "kobayashi2008_delay",
            "bayer2005_asymmetry",
            "steinberg2013_optogenetic_unblocking",
            "td_backward_shift",
            "ludvig2008_microstimulus",
        ],
    ),
    "Associative learning": (
        "The classic phenomena of Pavlovian conditioning, with Rescorla–Wagner and TD learning side by side.",
        [
            "rw_acquisition_extinction",
            "kamin1969_blocking",
            "overshadowing",
            "conditioned_inhibition",
            "overexpectation",
            "relative_validity",
            "second_order_conditioning",
        ],
    ),
    "Known failures of Rescorla–Wagner": (
        "Findings that Rescorla–Wagner (and TD with a complete serial compound) cannot produce. "
        "They are shown failing, with the reason, never tuned away.",
        [
            "latent_inhibition",
            "extinction_of_inhibition",
            "spontaneous_recovery",
            "backward_blocking",
            "partial_reinforcement_extinction",
        ],
    ),
    "Instrumental learning": (
        "Choice tasks: reversal learning, the two-step task, go/no-go, probabilistic selection and "
        "free-operant reinforcement schedules.",
        [
            "reversal_learning",
            "daw2011_two_step",
            "guitart_masip2012_gonogo",
            "frank2004_pst",
            "reinforcement_schedules",
        ],
    ),
    "Aversive learning": (
        "Punishment and its omission: fear conditioning and two-factor avoidance.",
        ["fear_conditioning", "active_avoidance"],
    ),
    "The reward circuit": (
        "VTA, nucleus accumbens, amygdala and prefrontal cortex as modules, with lesions, drugs, "
        "stimulation and physiological state.",
        [
            "berridge_wanting_liking",
            "zhang2009_incentive_salience",
            "redish2004_addiction",
            "niv2007_tonic_dopamine",
            "frank2004_parkinsons",
            "aversive_amygdala",
            "dabney2020_distributional",
            "reward_hacking",
            "pfc_model_based",
        ],
    ),
    "RLHF": (
        "Reinforcement learning from human feedback through the same lens: reward models learned "
        "from preferences, over-optimisation, and the token-level RPE of PPO.",
        ["bradley_terry_recovery", "gao2023_overoptimisation", "rlhf_rpe_transfer", "reward_hacking_addiction"],
    ),
}

STATUS_TEXT = {
    "pass": "pass",
    "fail": "**FAIL**",
    "expected failure": "expected failure",
    "unexpected pass": "**unexpected pass**",
}


def topic_of(exp) -> str:
    """The gallery topic of an experiment: its own ``topic`` when the registry has one, else
    the mapping above. An experiment in neither is an error (the docs test catches it)."""
    own = getattr(exp, "topic", "") or ""
    if own:
        return own
    for topic, (_, members) in TOPICS.items():
        if exp.name in members:
            return topic
    raise KeyError(f"experiment {exp.name!r} has no topic: add it to TOPICS in docs/_ext/mesolimbic_docs.py")


def registry_topics() -> dict[str, str]:
    """Topic -> description, as the experiment registry declares them (empty where it does not)."""
    from mesolimbic.experiments import registry

    return dict(getattr(registry, "TOPICS", {}))


def topic_intro(topic: str) -> str:
    """The description of a topic: the registry's, else this module's."""
    text = registry_topics().get(topic) or TOPICS.get(topic, ("", []))[0]
    return text[:1].upper() + text[1:] + ("" if not text or text.endswith(".") else ".")


def topics(experiments) -> dict[str, list]:
    """Topic -> experiments, topics in the order above (then any new ones), experiments in the
    order the mapping lists them (then by name)."""
    order = {n: i for _, (_, ms) in TOPICS.items() for i, n in enumerate(ms)}
    out: dict[str, list] = {t: [] for t in (*registry_topics(), *TOPICS)}
    for exp in experiments:
        out.setdefault(topic_of(exp), []).append(exp)
    for t in out:
        out[t].sort(key=lambda e: (order.get(e.name, 10**6), e.name))
    return {t: es for t, es in out.items() if es}


# --------------------------------------------------------------------------------------
# small rst helpers
# --------------------------------------------------------------------------------------
def esc(text) -> str:
    """Plain text -> rst inline text (no markup is interpreted)."""
    text = str(text)
    return re.sub(r"([\\*`|_\[\]<>])", r"\\\1", text)


def safe_rst(text: str) -> str:
    """Docstring text as rst, with ``|`` (an absolute value in prose, never a substitution
    here) escaped outside inline literals."""
    parts = re.split(r"(``.*?``)", text, flags=re.S)
    return "".join(p if p.startswith("``") else p.replace("|", "\\|") for p in parts)


def heading(text: str, char: str, over: bool = False) -> str:
    line = char * max(len(text), 3)
    return f"{line}\n{text}\n{line}\n" if over else f"{text}\n{line}\n"


def num(x, unit: str = "") -> str:
    if x is None:
        return "n/a"
    s = f"{x:.4g}" if isinstance(x, float) else str(x)
    return f"{s} {unit}".strip()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def write_if_changed(path: Path, text: str) -> None:
    """Write only when the content changes, so an incremental build does not reread it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


# --------------------------------------------------------------------------------------
# results: where summary.json and the figures come from
# --------------------------------------------------------------------------------------
def _code_only(source: bytes) -> bytes:
    """A module's code without its comments and docstrings (they do not change results)."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[0] = ast.Pass()
    return ast.dump(tree).encode()


def source_hash() -> str:
    """A hash of the package's code, docstrings and comments left out: editing a docstring
    does not invalidate the cached results, changing a line of code does."""
    import mesolimbic

    base = Path(mesolimbic.__file__).parent
    h = hashlib.sha256(mesolimbic.__version__.encode())
    for p in sorted(base.rglob("*.py")):
        h.update(str(p.relative_to(base)).encode())
        h.update(_code_only(p.read_bytes()))
    return h.hexdigest()


def runnable_names() -> list[str]:
    from mesolimbic.experiments import all_experiments

    return [e.name for e in all_experiments() if e.missing() is None]


def _complete(folder: Path) -> dict | None:
    """The folder's summary when it covers every experiment that can run here, with figures."""
    f = folder / "summary.json"
    if not f.is_file():
        return None
    try:
        summary = json.loads(f.read_text())
    except ValueError:
        return None
    have = summary.get("experiments", {})
    if any(n not in have or not (folder / f"{n}.png").is_file() for n in runnable_names()):
        return None
    return summary


def _fresh(folder: Path) -> bool:
    """True when ``folder/summary.json`` is newer than every source file of the package."""
    import mesolimbic

    newest = max(p.stat().st_mtime for p in Path(mesolimbic.__file__).parent.rglob("*.py"))
    return (folder / "summary.json").stat().st_mtime > newest


def find_results(log=print, run: bool = True) -> tuple[Path | None, dict | None, str]:
    """(folder, summary, how it was found). Runs ``mesolimbic reproduce`` when nothing usable
    exists and ``run`` is true."""
    env = os.environ.get("MESOLIMBIC_DOCS_RESULTS")
    if env:
        folder = Path(env).resolve()
        summary = _complete(folder)
        if summary is None:
            raise RuntimeError(
                f"MESOLIMBIC_DOCS_RESULTS={env}: no complete summary.json with figures for "
                f"every experiment there (write it with `mesolimbic reproduce --out {env}`)"
            )
        return folder, summary, f"{env} (MESOLIMBIC_DOCS_RESULTS)"
    digest = source_hash()
    stamp = CACHE / "source.sha256"
    summary = _complete(CACHE)
    if summary is not None and stamp.is_file() and stamp.read_text().strip() == digest:
        return CACHE, summary, "docs/_build/reproduce/ (cached by an earlier build of the same code)"
    results = ROOT / "results"
    summary = _complete(results)
    if summary is not None and _fresh(results):
        return results, summary, "results/ (written by `mesolimbic reproduce`, newer than the sources)"
    if not run:
        return None, None, "none"
    log(
        "mesolimbic docs: running `mesolimbic reproduce --out docs/_build/reproduce` "
        "(every experiment at its default size; a few minutes)"
    )
    t0 = time.perf_counter()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    env_ = dict(os.environ, MPLBACKEND="Agg")
    if (ROOT / "src" / "mesolimbic").is_dir():
        env_["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env_.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, "-c", "from mesolimbic.cli import main; main()", "reproduce", "--out", str(CACHE), "--force"],
        env=env_,
        capture_output=True,
        text=True,
    )
    summary = _complete(CACHE)
    if summary is None:
        raise RuntimeError(
            f"`mesolimbic reproduce` wrote no complete results (exit {proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    if proc.returncode != 0:  # a check failed: the pages show it as failing
        log(f"mesolimbic docs: reproduce exited {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}")
    stamp.write_text(digest + "\n")
    log(f"mesolimbic docs: reproduce took {time.perf_counter() - t0:.0f} s")
    return CACHE, summary, "docs/_build/reproduce/ (run by this build)"


# --------------------------------------------------------------------------------------
# the gallery of findings
# --------------------------------------------------------------------------------------
def expected_failure_reasons() -> dict:
    if not EXPECTED_FAILURES.is_file():
        return {}
    return json.loads(EXPECTED_FAILURES.read_text())


def module_methods(exp) -> str:
    """The defining module's docstring without its title line and without the paragraph that
    is already the experiment's description."""
    mod = sys.modules[exp.run.__module__]
    doc = inspect.cleandoc(mod.__doc__ or "")
    paras = doc.split("\n\n")[1:]
    desc = " ".join(exp.description.split())
    keep = [p for p in paras if " ".join(p.split()) != desc]
    return "\n\n".join(keep).strip()


def _checks_table(checks: list[dict], seeds: list) -> list[str]:
    over = any("pass_rate" in c for c in checks)
    cols = ["check", "kind", "model", "measured", "threshold", "result"]
    widths = [16, 8, 14, 10, 10, 10]
    if over:
        cols.append(f"over {len(seeds)} seeds")
        widths.append(14)
    cols.append("what it compares")
    widths.append(30)
    out = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :class: findings-checks",
        f"   :widths: {' '.join(map(str, widths))}",
        "",
        "   * - " + "\n     - ".join(cols),
    ]
    for c in checks:
        unit = c.get("unit") or ""
        row = [
            f"``{c['name']}``",
            esc(c["kind"]),
            esc(c.get("model") or "—"),
            esc(num(c.get("measured"), unit)),
            esc(f"{c['comparison']} {num(c['threshold'], unit)}"),
            STATUS_TEXT.get(c["status"], esc(c["status"])),
        ]
        if over:
            rate = f"{c['pass_rate']:.0%} pass"
            if c.get("claim") == "interval" and c.get("ci95") and None not in c["ci95"]:
                rate += f"; 95 % interval [{c['ci95'][0]:.3g}, {c['ci95'][1]:.3g}]"
            rate += "" if c.get("as_expected", True) else " — **not as expected**"
            row.append(esc(rate))
        what = esc(c["description"])
        if c.get("source"):
            what += f" *(source: {esc(c['source'])})*"
        if c.get("claim") and c["claim"] != "every seed":
            what += f" Claim: {esc(c['claim'])}."
        row.append(what)
        out.append("   * - " + "\n     - ".join(row))
    return out


def finding_page(exp, entry: dict | None, meta: dict, reasons: dict, img: str | None) -> str:
    """The rst page of one experiment. ``entry``: its record in summary.json (None when it
    could not run here); ``meta``: what the summary says about the run as a whole."""
    title = f"{exp.name}: {exp.title}"
    lines = [
        f".. _finding-{exp.name}:",
        "",
        heading(esc(title), "="),
        ".. rst-class:: findings-citation",
        "",
        f"   {esc(exp.citation)}",
        "",
    ]
    mod = exp.run.__module__
    field = [
        (":Topic:", f":ref:`{esc(topic_of(exp))} <topic-{slug(topic_of(exp))}>`"),
        (":Run it:", f"``mesolimbic run {exp.name}``  (``--agents N --seed S``)"),
        (":Module:", f"``{mod}``"),
        (":Default size:", f"{exp.default_agents} agent{'s' if exp.default_agents != 1 else ''}"),
    ]
    if exp.requires:
        field.append((":Needs:", f"the ``{exp.extra}`` extra (``pip install 'mesolimbic[{exp.extra}]'``)"))
    if entry is not None:
        seeds = meta.get("seeds") or [meta.get("seed", 0)]
        field.append(
            (
                ":This build:",
                esc(
                    f"mesolimbic {meta.get('mesolimbic_version', '?')}, seed"
                    f"{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}, "
                    f"ran in {entry.get('seconds', 0):.1f} s"
                ),
            )
        )
    lines += [f"{k} {v}" for k, v in field] + [""]

    lines += [heading("Design", "-"), safe_rst(exp.description) or "(no description)", ""]

    if entry is None:
        why = exp.missing() or "it was not run"
        lines += [
            ".. note::",
            "",
            f"   Not run in this build: {esc(why)}. Its checks and figure appear when the "
            "docs are built where the extra is installed.",
            "",
        ]
    else:
        if img:
            lines += [
                heading("Figure", "-"),
                f".. image:: {img}",
                f"   :alt: figure of {exp.name}",
                "   :class: findings-figure",
                "",
            ]
        checks = entry["checks"]
        counts = entry.get("counts") or {}
        lines += [
            heading("Checks", "-"),
            "Each check compares a number measured on the simulation with a threshold taken from the "
            "paper. Its *kind* says what it is: a **finding** (a number or effect size from the paper, "
            "figure or table cited), a **direction** (the paper gives a sign or an ordering) or a "
            "**property** (a model identity, not a reproduction). "
            + esc(", ".join(f"{v} {k}{'s' if v != 1 else ''}" for k, v in counts.items() if v))
            + ".",
            "",
        ]
        lines += _checks_table(checks, meta.get("seeds") or [0]) + [""]
        models = entry.get("models") or {}
        if models:
            lines += ["Per model, judged on its findings and directions:", ""]
            lines += [f"* {esc(m)}: **{esc(s)}**" for m, s in models.items()] + [""]
        xfail = [c for c in checks if c.get("expected_failure")]
        if xfail:
            info = reasons.get(exp.name)
            if not info or not info.get("reason"):
                raise RuntimeError(f"{exp.name}: expected failures without a reason in tests/expected_failures.json")
            lines += [
                heading("Expected failures", "-"),
                "The model is known not to produce "
                + ("this signature" if len(xfail) == 1 else "these signatures")
                + "; the check is shown failing rather than tuned away.",
                "",
                f"**Why:** {esc(info['reason'])}",
                "",
            ]
            lines += [
                f"* ``{c['name']}`` ({esc(c.get('model') or '—')}): {esc(c['description'])} — "
                f"{STATUS_TEXT.get(c['status'], esc(c['status']))}"
                for c in xfail
            ] + [""]
        params = entry.get("params") or {}
        if params:
            lines += [heading("Parameters", "-"), ".. list-table::", "   :class: findings-params", ""]
            for k, v in params.items():
                lines.append(f"   * - ``{k}``\n     - {esc(v)}")
            lines.append("")
    methods = module_methods(exp)
    if methods:
        lines += [heading("Methods", "-"), f"From the docstring of ``{mod}``.", "", safe_rst(methods), ""]
    return "\n".join(lines) + "\n"


def _thumbnail(src: Path, dst: Path, width: int = 360) -> None:
    from PIL import Image

    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
        return
    with Image.open(src) as im:
        h = round(im.height * width / im.width)
        im.convert("RGB").resize((width, h), Image.LANCZOS).save(dst, optimize=True)


def write_findings(out: Path, results: Path | None, summary: dict | None, how: str) -> list[str]:
    """Write ``out/index.rst`` and one page per registered experiment; return the page names.

    With ``summary`` None (only in the docs test) the pages carry the registry's part alone.
    """
    from mesolimbic.experiments import all_experiments
    from mesolimbic.experiments.registry import CLAIMS, KINDS

    exps = all_experiments()
    reasons = expected_failure_reasons()
    runs = (summary or {}).get("experiments", {})
    out.mkdir(parents=True, exist_ok=True)
    meta = {k: v for k, v in (summary or {}).items() if k != "experiments"}
    pages = []
    for exp in exps:
        entry = runs.get(exp.name)
        img = None
        if entry is not None and results is not None:
            png = results / f"{exp.name}.png"
            dst = out / "_img" / f"{exp.name}.png"
            dst.parent.mkdir(parents=True, exist_ok=True)
            if not dst.exists() or dst.read_bytes() != png.read_bytes():
                shutil.copyfile(png, dst)
            _thumbnail(dst, out / "_thumb" / f"{exp.name}.png")
            img = f"_img/{exp.name}.png"
        write_if_changed(out / f"{exp.name}.rst", finding_page(exp, entry, meta, reasons, img))
        pages.append(exp.name)
    # the index
    by_topic = topics(exps)
    n_checks = sum(len(e["checks"]) for e in runs.values())
    n_x = sum(c.get("expected_failure", False) for e in runs.values() for c in e["checks"])
    lines = [
        ".. _findings:",
        "",
        heading("Gallery of findings", "=", over=True),
        f"Every published finding that mesolimbic reproduces is a registered experiment: a module with "
        f"the design, the model and its parameters, named checks against the paper and a figure. "
        f"These {len(exps)} pages are generated from the registry and from the output of "
        f"``mesolimbic reproduce`` — the same source as the HTML report — so the two cannot drift apart.",
        "",
    ]
    if summary is not None:
        seeds = summary.get("seeds") or [summary.get("seed", 0)]
        lines += [
            f"This build: mesolimbic {esc(summary.get('mesolimbic_version', '?'))}, seed"
            f"{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}, {len(runs)} experiments run, "
            f"{n_checks} checks ({n_x} expected failures); results from {esc(how)}.",
            "",
        ]
        skipped = [e.name for e in exps if e.name not in runs]
        if skipped:
            lines += [f"Not run here (an optional extra is missing): {', '.join(f'``{n}``' for n in skipped)}.", ""]
    lines += [
        "**Kinds of check.** " + " ".join(f"*{k}*: {esc(v)}." for k, v in KINDS.items()),
        "**Over seeds.** " + " ".join(f"*{k}*: {esc(v)}." for k, v in CLAIMS.items()),
        "An *expected failure* is a finding the model is known not to produce; it is shown failing, with the reason.",
        "",
    ]
    for topic, members in by_topic.items():
        intro = esc(topic_intro(topic))
        lines += [
            f".. _topic-{slug(topic)}:",
            "",
            heading(esc(topic), "-"),
            intro,
            "",
            ".. container:: findings-grid",
            "",
        ]
        for exp in members:
            thumb = out / "_thumb" / f"{exp.name}.png"
            status = ""
            if exp.name in runs:
                ms = runs[exp.name].get("models") or {}
                status = "; ".join(f"{m}: {s}" for m, s in ms.items())
            lines += ["   .. container:: findings-card", ""]
            if thumb.exists() and exp.name in runs:
                lines += [
                    f"      .. image:: _thumb/{exp.name}.png",
                    f"         :alt: {exp.name}",
                    f"         :target: {exp.name}.html",
                    "",
                ]
            lines += [f"      :doc:`{exp.name}`", "", f"      {esc(exp.title)}", ""]
            if status:
                lines += ["      .. rst-class:: findings-status", "", f"      {esc(status)}", ""]
            elif exp.name not in runs:
                lines += [
                    "      .. rst-class:: findings-status",
                    "",
                    f"      not run here: {esc(exp.missing() or '')}",
                    "",
                ]
        lines += [".. toctree::", "   :hidden:", ""] + [f"   {e.name}" for e in members] + [""]
    write_if_changed(out / "index.rst", "\n".join(lines) + "\n")
    return pages


# --------------------------------------------------------------------------------------
# references, fit models, command line
# --------------------------------------------------------------------------------------
#: section -> (module, names); the objects whose docstrings name the papers they rest on
REFERENCE_SECTIONS = {
    "Prediction errors": ("mesolimbic.rpe", None),
    "Representations of time": ("mesolimbic.representations", None),
    "Learners": ("mesolimbic.models", None),
    "Distributional RPE": ("mesolimbic.models.distributional", ["expectiles", "decode_expectiles"]),
    "Dopamine readout": ("mesolimbic.neurons", None),
    "Circuit: regions": ("mesolimbic.circuit.regions", ["REGIONS"]),
    "Circuit: wiring, manipulations and vigour": ("mesolimbic.circuit", None),
    "Tasks": ("mesolimbic.tasks", None),
    "Choice tasks": (
        None,
        [
            "mesolimbic.tasks.bandit.Bandit",
            "mesolimbic.tasks.two_step.TwoStep",
            "mesolimbic.tasks.gonogo.GoNoGo",
            "mesolimbic.tasks.pst.ProbabilisticSelection",
            "mesolimbic.tasks.schedules.Schedule",
            "mesolimbic.tasks.aversive.ActiveAvoidance",
            "mesolimbic.tasks.aversive.fear_conditioning",
        ],
    ),
    "Fitting": (
        "mesolimbic.fitting",
        [
            "fit_mle",
            "fit_approx",
            "fit_hierarchical",
            "compare_fits",
            "loo_table",
            "bms",
            "parameter_recovery",
            "model_recovery",
            "regressors",
            "events",
        ],
    ),
    "RLHF": (
        "mesolimbic.rlhf",
        [
            "bradley_terry_loglik",
            "fit_bradley_terry",
            "token_advantages",
            "kl_estimates",
            "fit_gao",
            "overoptimisation_report",
            "best_of_n_kl",
        ],
    ),
}

_REF_PARA = re.compile(r"^\s*(References?|See also|Reference model)\s*:\s*(.*)", re.S)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def references_of(obj) -> str:
    """The References paragraph of a docstring; failing that, the sentences that cite a paper
    (an author and a year); '' when the docstring cites nothing."""
    doc = inspect.getdoc(obj) or ""
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc)]
    refs = [(_REF_PARA.match(p).group(2)) for p in paras if _REF_PARA.match(p)]
    if refs:
        return " ".join(refs)
    cited = []
    for p in paras:
        if p.startswith(("..", "Args:", "Returns:", "Shapes:", ">>>")):
            continue
        for sent in re.split(r"(?<=[.;])\s+(?=[A-Z(])", p):
            if _YEAR.search(sent) and re.search(r"[A-Z][a-z]+", sent) and ("(" in sent or "," in sent):
                cited.append(sent)
    return " ".join(cited)


def _resolve(path: str):
    import importlib

    mod, _, name = path.rpartition(".")
    return getattr(importlib.import_module(mod), name)


def _canonical(obj, fallback: str) -> str:
    mod = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    return f"{mod}.{name}" if mod and name else fallback


def _role(obj) -> str:
    return "class" if inspect.isclass(obj) else "func"


def write_references(out: Path) -> None:
    import importlib

    from mesolimbic.experiments import all_experiments

    lines = [".. This file is generated by docs/_ext/mesolimbic_docs.py; do not edit.", ""]
    seen = set()
    for section, (modname, names) in REFERENCE_SECTIONS.items():
        rows = []
        if modname is None:
            objs = [(p, _resolve(p)) for p in names]
        else:
            mod = importlib.import_module(modname)
            objs = [(f"{modname}.{n}", getattr(mod, n)) for n in (names or mod.__all__)]
        for path, obj in objs:
            if path == "mesolimbic.circuit.regions.REGIONS":  # the regions are data: each states its claim
                attr = {
                    r.name: a
                    for a in ("VTA", "NAc", "Amygdala", "PFC", "LHb")
                    for r in [getattr(importlib.import_module("mesolimbic.circuit.regions"), a)]
                }
                rows += [
                    f"* :py:data:`~mesolimbic.circuit.regions.{attr.get(k, k)}` — {esc(r.claim)}"
                    for k, r in obj.items()
                ]
                continue
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            refs = references_of(obj)
            if refs:
                rows.append(f"* :{'py:' + _role(obj)}:`~{_canonical(obj, path)}` — {esc(refs)}")
        if rows:
            lines += [heading(section, "~"), *rows, ""]
    lines += [heading("Findings", "~"), "The paper behind each experiment of the :ref:`gallery <findings>`:", ""]
    for exp in sorted(all_experiments(), key=lambda e: e.citation):
        lines.append(f"* :ref:`{exp.name} <finding-{exp.name}>` — {esc(exp.citation)}")
    write_if_changed(out / "references.rst", "\n".join(lines) + "\n")


def write_fit_models(out: Path) -> None:
    from mesolimbic.fitting.models import MODELS

    lines = [
        ".. This file is generated by docs/_ext/mesolimbic_docs.py; do not edit.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :class: fit-models",
        "   :widths: 14 10 14 30 32",
        "",
        "   * - model\n     - task\n     - learner\n     - free parameters: range here (hBayesDM name, range)\n"
        "     - corresponds to",
    ]
    for name, m in MODELS.items():
        learner = type(m.learner)
        params = "; ".join(
            f"``{p.name}`` [{p.low:g}, {p.high:g}] ({m.hbayes[p.name][0]}, [{m.hbayes[p.name][1]:g}, "
            f"{m.hbayes[p.name][2]:g}])"
            if p.name in m.hbayes
            else f"``{p.name}`` [{p.low:g}, {p.high:g}]"
            for p in m.free
        )
        fixed = f"; fixed: {esc(', '.join(f'{k} = {v}' for k, v in m.fixed.items()))}" if m.fixed else ""
        lines.append(
            f"   * - ``{name}``\n     - ``{m.task}``\n     - :class:`~{learner.__module__}."
            f"{learner.__qualname__}`\n     - {params}{fixed}\n     - {esc(m.mirrors)}"
        )
    write_if_changed(out / "fit_models.rst", "\n".join(lines) + "\n")


def write_cli(out: Path) -> None:
    """Every command's ``--help``, as the command prints it (Typer formats help with Rich and
    prints it, so it is captured from a run of the command)."""
    import typer
    from typer.testing import CliRunner

    from mesolimbic.cli import app

    cmd = typer.main.get_command(app)
    runner = CliRunner()
    env = {"COLUMNS": "100", "TERMINAL_WIDTH": "100", "NO_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    lines = [".. This file is generated by docs/_ext/mesolimbic_docs.py; do not edit.", ""]
    for args in [[], *[[name] for name in cmd.commands]]:
        res = runner.invoke(app, [*args, "--help"], env=env, terminal_width=100, prog_name="mesolimbic")
        text = "\n".join(line.rstrip() for line in re.sub(r"\x1b\[[0-9;]*m", "", res.output).splitlines())
        text = textwrap.dedent(text).strip("\n")
        if res.exit_code != 0 or not text.strip():
            raise RuntimeError(f"`mesolimbic {' '.join(args)} --help` printed nothing (exit {res.exit_code})")
        lines += [heading(" ".join(["mesolimbic", *args]), "-"), "::", "", textwrap.indent(text, "   "), ""]
    write_if_changed(out / "cli.rst", "\n".join(lines) + "\n")


def api_entries(api_dir: Path = DOCS / "api") -> tuple[set[str], set[str]]:
    """(documented names, documented modules) of the API reference: each ``autosummary``
    entry of ``docs/api/*.rst`` under the ``currentmodule`` in force, and each ``automodule``."""
    names, modules = set(), set()
    for rst in sorted(api_dir.glob("*.rst")):
        current, in_summary = None, False
        for line in rst.read_text().splitlines():
            if m := re.match(r"\.\. currentmodule:: (\S+)", line):
                current, in_summary = m.group(1), False
            elif m := re.match(r"\.\. automodule:: (\S+)", line):
                modules.add(m.group(1))
                in_summary = False
            elif line.startswith(".. autosummary::"):
                in_summary = True
            elif in_summary and (m := re.match(r"   ([A-Za-z_][\w.]*)\s*$", line)):
                names.add(f"{current}.{m.group(1)}")
            elif in_summary and line and not line.startswith(" "):
                in_summary = False
    return names, modules


def remove_stale_api_pages(api_dir: Path = DOCS / "api") -> None:
    """autosummary writes a page per entry but never removes one: drop the pages of entries
    that are gone (they would be read, and warn that no toctree includes them)."""
    names, _ = api_entries(api_dir)
    for page in (api_dir / "generated").glob("*.rst"):
        if page.stem not in names:
            page.unlink()


# --------------------------------------------------------------------------------------
# Sphinx hook
# --------------------------------------------------------------------------------------
def generate(app) -> None:
    from sphinx.errors import ExtensionError
    from sphinx.util import logging

    logger = logging.getLogger("mesolimbic_docs")
    src = Path(app.srcdir)
    os.environ.setdefault("COLUMNS", "100")
    os.environ.setdefault("TERMINAL_WIDTH", "100")
    try:
        folder, summary, how = find_results(log=logger.info)
        logger.info(f"mesolimbic docs: gallery of findings from {how}")
        write_findings(src / "findings", folder, summary, how)
        gen = src / "_generated"
        write_references(gen)
        write_fit_models(gen)
        write_cli(gen)
        remove_stale_api_pages(src / "api")
    except (RuntimeError, KeyError) as e:
        raise ExtensionError(f"mesolimbic docs: {e}") from e


def _resolve_path(path: str):
    """The object a dotted path names: the longest importable module, then attributes."""
    import importlib

    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


_ALIASES: dict | None = None


def _alias_map(env) -> dict:
    """id(object) -> the name it is documented under, for every documented Python object."""
    global _ALIASES
    if _ALIASES is None:
        _ALIASES = {}
        for fullname, entry in env.get_domain("py").objects.items():
            if entry.objtype == "module" or getattr(entry, "aliased", False):
                continue
            try:
                obj = _resolve_path(fullname)
            except Exception:  # noqa: BLE001 - anything that cannot be imported is not an alias
                continue
            _ALIASES.setdefault(id(obj), fullname)
    return _ALIASES


def resolve_alias(app, env, node, contnode):
    """Objects are documented where users import them (``mesolimbic.fitting.fit_mle``) while
    docstrings and type annotations name them where they are defined
    (``mesolimbic.fitting.mle.fit_mle``): resolve such a reference to the documented entry
    when both name the same object. Anything else stays unresolved (and nitpicky mode
    reports it)."""
    if node.get("refdomain") != "py" or node.get("reftype") == "mod":
        return None
    target = node.get("reftarget", "")
    candidates = [target] if target.startswith("mesolimbic") else []
    mod, cls = node.get("py:module"), node.get("py:class")
    if not target.startswith("mesolimbic"):
        if mod:
            candidates += [f"{mod}.{cls}.{target}"] if cls else []
            candidates += [f"{mod}.{target}"]
        # the module where the documented object is defined: a docstring's relative names
        # are written for that module
        page = str(node.get("refdoc", "")).rpartition("/")[2]
        try:
            here = _resolve_path(page) if page.startswith("mesolimbic") else None
        except Exception:  # noqa: BLE001
            here = None
        home = getattr(here, "__name__", "") if inspect.ismodule(here) else getattr(here, "__module__", "")
        if home:
            owner = getattr(here, "__qualname__", "") if inspect.isclass(here) else ""
            candidates += [f"{home}.{owner}.{target}"] if owner else []
            candidates += [f"{home}.{target}"]
    aliases = _alias_map(env)
    for cand in candidates:
        try:
            obj = _resolve_path(cand)
        except Exception:  # noqa: BLE001
            continue
        name = aliases.get(id(obj))
        if name is None or name == target:
            continue
        new = node.deepcopy()
        new["reftarget"] = name
        found = env.get_domain("py").resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], name, new, contnode
        )
        if found is not None:
            return found
    return None


def skip_foreign_docstrings(app, what, name, obj, skip, options):
    """Skip a method whose only docstring is inherited from outside the package (e.g.
    ``gymnasium.Env.step``): it documents the other library, in that library's markup."""
    if skip or what not in ("class", "exception"):
        return None
    func = getattr(obj, "fget", None) or getattr(obj, "__func__", obj)
    if (
        not callable(func)
        or getattr(func, "__doc__", None)
        or not str(getattr(func, "__module__", "")).startswith("mesolimbic")
    ):
        return None
    qual = getattr(func, "__qualname__", "").split(".")
    try:
        owner = _resolve_path(".".join([func.__module__, *qual[:-1]]))
    except Exception:  # noqa: BLE001
        return None
    for base in getattr(owner, "__mro__", ())[1:]:
        member = base.__dict__.get(qual[-1])
        if member is not None and getattr(member, "__doc__", None):
            return None if base.__module__.startswith("mesolimbic") else True
    return None


def _plain_attribute_docstrings() -> None:
    """Napoleon reads the first line of an attribute's or property's docstring as
    ``type: description``. The package's attribute docstrings are prose that may contain a
    colon ("the largest number of states: ..."), so the whole docstring is kept as the
    description and the type comes from the annotation."""
    from sphinx.ext.napoleon.docstring import GoogleDocstring

    def consume(self):
        lines = [self._lines.next(), *self._dedent(self._consume_to_end())]
        return "", self.__class__(lines, self._config).lines()

    GoogleDocstring._consume_inline_attribute = consume


def drop_type_docstrings(app, what, name, obj, options, lines):
    """A constant without a ``#:`` comment has no docstring of its own; autodoc then shows its
    type's (``dict``'s, ``tuple``'s), which documents Python, not the constant: drop it."""
    if what in ("data", "attribute") and lines and not inspect.isclass(obj) and not callable(obj):
        type_doc = inspect.cleandoc(type(obj).__doc__ or "")
        if type_doc and "\n".join(lines).strip() == type_doc.strip():
            lines.clear()


def _reset(app):
    global _ALIASES
    _ALIASES = None


def setup(app):
    _plain_attribute_docstrings()
    app.connect("builder-inited", generate, priority=100)
    app.connect("builder-inited", _reset)
    app.connect("missing-reference", resolve_alias)
    app.connect("autodoc-skip-member", skip_foreign_docstrings)
    app.connect("autodoc-process-docstring", drop_type_docstrings, priority=100)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
