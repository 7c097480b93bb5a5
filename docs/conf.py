"""Sphinx configuration for the mesolimbic documentation.

Build (warnings are errors, internal cross-references checked by nitpicky mode)::

    python -m sphinx -W docs docs/_build/html

Generated at build time, never committed: ``docs/findings/`` (one page per registered
experiment, from the registry and the results of ``mesolimbic reproduce``),
``docs/api/generated/`` (autosummary), ``docs/auto_tutorials/`` (sphinx-gallery) and
``docs/_generated/`` (the command line's help, the model references). See
``docs/_ext/mesolimbic_docs.py``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
if (ROOT / "src" / "mesolimbic").is_dir():  # build from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("MPLBACKEND", "Agg")

import mesolimbic  # noqa: E402

project = "mesolimbic"
author = "mesolimbic developers"
copyright = "mesolimbic developers, BSD-3-Clause"
release = mesolimbic.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "mesolimbic_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "**/*.ipynb",
    "auto_tutorials/*.py",
    "auto_tutorials/*.zip",
    "auto_tutorials/*.md5",
    "auto_tutorials/*.json",
    "sg_execution_times.rst",
]
templates_path = ["_templates"]

# -- docstrings -------------------------------------------------------------------
# The package's docstrings are Google style (``Args:`` / ``Returns:``) with prose
# paragraphs and ``.. math::`` blocks; napoleon renders Google sections (and NumPy
# ones, should a docstring use them) without requiring every docstring to follow
# numpydoc's section layout, which numpydoc's validation would. See docs/design.md.
napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_attr_annotations = True
napoleon_use_ivar = True  # "Attributes:" as fields, not as second descriptions of the members

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {
    "members": True,
    "undoc-members": False,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_inherit_docstrings = True
# The RLHF modules import torch, transformers and TRL (the ``rlhf`` / ``trl`` extras). Where
# they are not installed, their API pages are built from mocked imports; the tutorial and the
# experiments that need them say so instead of running.
autodoc_mock_imports = [
    m for m in ("torch", "transformers", "tokenizers", "trl", "datasets") if importlib.util.find_spec(m) is None
]

# -- internal links are checked: nitpicky mode, with external names ignored --------
# (intersphinx would need the network; a reference to anything outside mesolimbic is
# left as plain text, one to a mesolimbic name that does not exist is an error)
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(?!mesolimbic\b)\w+\.[\w.]+"),  # dotted names of other packages: numpy., jax., xarray. ...
    (
        r"py:.*",
        r"(int|float|str|bool|bytes|dict|list|tuple|set|frozenset|object|type|callable|None|"
        r"Any|Callable|Mapping|Sequence|Iterable|Iterator|Optional|Union|Literal|Array|ArrayLike|"
        r"np|jnp|xr|pd|optional|numpy|jax|xarray|pandas|matplotlib|arviz|numpyro|gymnasium|torch|"
        r"transformers|trl|nilearn)",
    ),  # builtins, typing, other packages and their short names
    (r"py:.*", r".*[\[\]\"'].*"),  # an annotation the parser split (Callable[[], "object"]), not a name
    (r"py:.*", r"mesolimbic\.(.*\.)?_[A-Za-z].*"),  # private modules and helpers named in annotations
]

# -- MyST ------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# -- tutorials: executed when the docs build ---------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": [str(ROOT / "examples")],
    "gallery_dirs": ["auto_tutorials"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "plot_gallery": "True",
    "min_reported_time": 1,
    "doc_module": ("mesolimbic",),
    "backreferences_dir": "api/generated/backreferences",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
}

# -- HTML --------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"mesolimbic {release}"
html_static_path = ["_static"]
html_css_files = ["mesolimbic.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": []}
html_show_sourcelink = False
html_last_updated_fmt = None
