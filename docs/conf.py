"""Sphinx configuration of the latentem documentation.

Build with warnings as errors, as CI does::

    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "_ext"))

import latentem  # noqa: E402

project = "latentem"
author = "the latentem developers"
copyright = "the latentem developers"
release = latentem.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "markdown_include",
    "example_gallery",
]

autosummary_generate = True
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

templates_path = ["_templates"]
exclude_patterns = ["_build", "benchmarks.md", "**/.ipynb_checkpoints"]
html_theme = "alabaster"
html_theme_options = {
    "description": "Latent-variable models fitted by expectation-maximization",
    "fixed_sidebar": True,
}
html_static_path: list[str] = []
