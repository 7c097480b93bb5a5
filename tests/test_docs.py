"""The documentation covers the code: every registered experiment has a gallery page, every
public name an API entry, every learner its equations and a citation, and every docstring
example runs. These read the sources and the generated rst; the last test (slow) builds the
whole site with warnings as errors, as CI does."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API = DOCS / "api"


def _docs_ext():
    spec = importlib.util.spec_from_file_location("mesolimbic_docs", DOCS / "_ext" / "mesolimbic_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def public_modules() -> list[str]:
    """Every module of the package a user may import: no private (underscored) part, not the
    command line (it has its own page), not the experiment modules (each is a gallery page)."""
    import mesolimbic

    out = ["mesolimbic"]
    for m in pkgutil.walk_packages(mesolimbic.__path__, "mesolimbic."):
        parts = m.name.split(".")[1:]
        if any(p.startswith("_") for p in parts) or m.name == "mesolimbic.cli":
            continue
        if parts[0] == "experiments" and len(parts) > 1 and parts[1] != "registry":
            continue
        out.append(m.name)
    return out


def _needs_missing_extra(modname: str) -> bool:
    from mesolimbic.rlhf._extras import available

    if modname in ("mesolimbic.rlhf.ppo", "mesolimbic.rlhf.reward_model", "mesolimbic.rlhf.tiny"):
        return not available("torch", "transformers", "tokenizers")
    if modname == "mesolimbic.rlhf.trl_adapters":
        return not available("torch", "transformers", "trl", "datasets")
    return False


def _resolve(path: str):
    mod, _, name = path.rpartition(".")
    return getattr(importlib.import_module(mod), name)


def test_every_public_name_has_an_api_entry():
    names, modules = _docs_ext().api_entries(API)
    documented = {}
    for path in names:
        if _needs_missing_extra(path.rpartition(".")[0]):
            continue
        documented[id(_resolve(path))] = path  # every entry resolves to an object
    missing_modules = [m for m in public_modules() if m not in modules]
    assert not missing_modules, f"public modules without an automodule entry in docs/api: {missing_modules}"
    missing = []
    for modname in public_modules():
        if _needs_missing_extra(modname):
            continue
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", []):
            if modname == "mesolimbic.rlhf" and _needs_missing_extra(f"mesolimbic.rlhf.{_lazy_home(name)}"):
                continue
            obj = getattr(mod, name)
            if inspect.ismodule(obj):
                if obj.__name__.startswith("mesolimbic") and obj.__name__ not in modules:
                    missing.append(f"{modname}.{name} (module)")
                continue
            if name == "__version__":
                continue
            if f"{modname}.{name}" not in names and id(obj) not in documented:
                missing.append(f"{modname}.{name}")
    assert not missing, f"public names without an entry in docs/api/*.rst: {missing}"


def _lazy_home(name: str) -> str:
    from mesolimbic import rlhf

    return getattr(rlhf, "_LAZY", {}).get(name, "")


def test_learners_state_their_equations_and_papers():
    from mesolimbic.models.base import Model

    import mesolimbic.circuit
    import mesolimbic.models

    abstract = {"Model", "ChoiceModel"}
    bad = []
    for mod in (mesolimbic.models, mesolimbic.circuit):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not (inspect.isclass(obj) and issubclass(obj, Model)) or name in abstract:
                continue
            doc = inspect.getdoc(obj) or ""
            module_doc = sys.modules[obj.__module__].__doc__ or ""
            has_equation = "math::" in doc or "::\n" in module_doc or "math::" in module_doc
            cites = re.search(r"\b(1[89]\d\d|20\d\d)\b", doc)
            if not (has_equation and cites):
                bad.append(f"{name} (equation: {has_equation}, citation: {bool(cites)})")
    assert not bad, f"learners whose docstring lacks its equation or a cited paper: {bad}"


def test_every_experiment_has_a_gallery_page(tmp_path):
    from mesolimbic.experiments import all_experiments

    ext = _docs_ext()
    exps = all_experiments()
    for e in exps:
        ext.topic_of(e)  # raises, naming the experiment, when it has no topic
    pages = ext.write_findings(tmp_path, None, None, "test")
    assert sorted(pages) == sorted(e.name for e in exps)
    index = (tmp_path / "index.rst").read_text()
    for e in exps:
        page = (tmp_path / f"{e.name}.rst").read_text()
        assert f".. _finding-{e.name}:" in page
        assert ext.esc(e.citation) in page and ext.esc(e.title) in page
        assert "Design\n------" in page
        assert re.search(rf"^   {re.escape(e.name)}$", index, re.M), f"{e.name} is not in a toctree of the index"
    # the topics the index shows are exactly the mapping's (or the registry's) topics
    assert set(ext.topics(exps)) == {ext.topic_of(e) for e in exps}


def test_expected_failures_have_reasons_for_the_gallery():
    """The gallery shows why each expected failure fails; the reasons live in
    tests/expected_failures.json (test_reproduce pins the check list against a run)."""
    import json

    reasons = json.loads((ROOT / "tests" / "expected_failures.json").read_text())
    from mesolimbic.experiments import names

    assert set(reasons) <= set(names())
    assert all(v.get("reason", "").strip() for v in reasons.values())


def test_docstring_examples_run():
    """Every ``>>>`` example in the package's docstrings runs and prints what it shows."""
    import mesolimbic

    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS
                                                                     | doctest.NORMALIZE_WHITESPACE)
    n_examples = 0
    for m in ["mesolimbic", *(x.name for x in pkgutil.walk_packages(mesolimbic.__path__, "mesolimbic."))]:
        if _needs_missing_extra(m):
            continue
        mod = importlib.import_module(m)
        for test in finder.find(mod, m):
            n_examples += len(test.examples)
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed (output above)"
    assert n_examples >= 10


def test_readme_gives_the_docs_command():
    assert "python -m sphinx -W docs docs/_build/html" in (ROOT / "README.md").read_text()


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(tmp_path):
    """The whole site, as CI builds it: warnings are errors, nitpicky cross-references, the
    tutorials executed, the gallery generated (from results/ or a cached reproduce run)."""
    if os.environ.get("MESOLIMBIC_DOCS_BUILT"):
        pytest.skip("the site was built with -W by .ci/run just before the tests (MESOLIMBIC_DOCS_BUILT)")
    pytest.importorskip("sphinx")
    pytest.importorskip("pydata_sphinx_theme")
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("myst_parser")
    out = tmp_path / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-d", str(tmp_path / "doctrees"),
                           "docs", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-5000:]
    from mesolimbic.experiments import names

    for n in names():
        assert (out / "findings" / f"{n}.html").is_file()
    for page in ("index", "getting_started", "cite", "cli", "api/index", "auto_tutorials/index", "design", "rlhf"):
        assert (out / f"{page}.html").is_file(), page
    assert len(list((out / "auto_tutorials").glob("plot_*.html"))) >= 5
