"""Sphinx configuration for skcnn's documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
The build reads nothing from the network. The gallery's scripts are rendered
without being run unless ``SKCNN_GALLERY_EXECUTE=1`` is set (most of them train
networks for minutes, and four read data from ``../shared/data``).
"""

import importlib
import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # the checkout's skcnn, not an installed one
sys.path.insert(0, str(DOCS / "sphinxext"))

import skcnn  # noqa: E402

project = "skcnn"
author = "skcnn developers"
copyright = "skcnn developers"
release = skcnn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "sg_execution_times.rst", "**/*.ipynb", "**/*.py", "**/*.zip",
                    "**/*.md5", "**/*.json", "**/*.pickle"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"  # `name` renders as code, as in the README's Markdown

# --- API reference ----------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc sections say the types
numpydoc_show_class_members = False  # the class template documents the members itself
# "array-like of shape (n, m)" and friends are prose, not cross-references
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# --- Gallery -----------------------------------------------------------------
EXECUTE = os.environ.get("SKCNN_GALLERY_EXECUTE", "0") == "1"
if EXECUTE:  # the scripts' own files (figures, WAVs) go to the build folder, not examples/
    os.environ.setdefault("SKCNN_EXAMPLES_OUT", str(DOCS / "_build" / "example_files"))
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"\.py$",
    "plot_gallery": EXECUTE,
    "download_all_examples": False,
    "within_subsection_order": "gallery_order.ExampleOrder",
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
    "show_signature": False,
    "line_numbers": False,
    "min_reported_time": 0,
    "doc_module": ("skcnn",),
    "backreferences_dir": "generated/backreferences",
    "inspect_global_variables": False,
}

# --- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skcnn {release}"
html_static_path = []
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 7,
    "icon_links": [],
    "secondary_sidebar_items": ["page-toc"],  # API pages remove it (their templates)
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# pages without children need no section navigation
html_sidebars = {"**": ["sidebar-nav-bs"], "index": [], "install": [], "results": [],
                 "contributing": [], "changelog": []}
html_show_sourcelink = False
html_copy_source = False

# no intersphinx: the build must not touch the network


# --- Which members a class page shows ----------------------------------------
# A class page documents the methods a user calls: those written in skcnn (on the class
# or on one of skcnn's own bases) and scikit-learn's fit_transform. skorch's
# training hooks that skcnn's base overrides (get_iterator, train_step_single, notify,
# ...) and every other inherited method are left to skorch's and scikit-learn's docs.
SKORCH_KEPT = {"fit", "partial_fit", "predict", "predict_proba", "get_params", "set_params"}
SKLEARN_KEPT = {"fit_transform"}


def _skip_member(app, what, name, obj, skip, options):
    # Sphinx 9 passes the member's own kind ("method", "property", ...); older Sphinx "class"
    if what == "module":
        return None
    if what == "attribute":  # class attributes: the docstrings' Attributes sections say them
        return True
    if name.startswith("_") and name != "__call__":
        return None
    if name in SKLEARN_KEPT:
        return None
    function = getattr(obj, "fget", obj)  # a property's getter
    if not (getattr(function, "__module__", None) or "").startswith("skcnn"):
        return True
    from skorch import NeuralNet

    if not name.startswith("_") and hasattr(NeuralNet, name) and name not in SKORCH_KEPT:
        return True
    return None


# --- Signatures --------------------------------------------------------------
# Defaults that are classes print as "<class 'torch.nn.modules.loss.CrossEntropyLoss'>";
# they are shown by their shortest public path instead (torch.nn.CrossEntropyLoss), and
# skcnn's private classes by their name alone, since private module paths change.
CLASS_REPR = re.compile(r"<class '([\w.]+)\.(\w+)'>")


def _public_path(match):
    module, name = match.groups()
    parts = module.split(".")
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        if any(part.startswith("_") for part in parts[:i]):
            break
        try:
            if getattr(importlib.import_module(prefix), name, None) is not None:
                return f"{prefix}.{name}"
        except ImportError:
            break
    return name


def _signature(app, what, name, obj, options, signature, return_annotation):
    if signature:
        signature = CLASS_REPR.sub(_public_path, signature)
    return signature, return_annotation


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-signature", _signature)
