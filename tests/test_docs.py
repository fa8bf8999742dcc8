"""The documentation: every public name has an example and a reference entry; its code runs."""

import doctest
import importlib
import inspect
import os
import pkgutil
import re
from pathlib import Path

import pytest

import latentem

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# public modules besides the packages: their __all__ is public API too
PUBLIC_MODULES = ["latentem.testing.strategies"]


def public_modules():
    packages = [
        info.name
        for info in pkgutil.walk_packages(latentem.__path__, "latentem.")
        if info.ispkg and not info.name.split(".")[-1].startswith("_")
    ]
    return ["latentem", *packages, *PUBLIC_MODULES]


def public_names():
    """(module, name, object) for every name in a public module's __all__."""
    out = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if name != "__version__":
                out.append((module_name, name, getattr(module, name)))
    return out


PUBLIC = public_names()
DOCUMENTED = [(m, n, o) for m, n, o in PUBLIC if inspect.isclass(o) or callable(o)]


def test_public_names_were_found():
    names = {name for _, name, _ in PUBLIC}
    assert {"GaussianMixture", "save", "select_n_components", "plot_mixture"} <= names


@pytest.mark.parametrize(
    ("module", "name", "obj"), DOCUMENTED, ids=[f"{m}.{n}" for m, n, _ in DOCUMENTED]
)
def test_every_public_class_and_function_has_an_example(module, name, obj):
    doc = inspect.getdoc(obj) or ""
    match = re.search(r"^Examples\n-{8,}\n(.*?)(?:^\S[^\n]*\n-{3,}\n|\Z)", doc, re.S | re.M)
    assert match, f"{module}.{name} has no Examples section in its docstring"
    assert ">>>" in match.group(1), f"the Examples of {module}.{name} hold no >>> code"


def reference_entries():
    """Objects listed in the autosummary tables of docs/api."""
    entries = []
    for page in (DOCS / "api").glob("*.rst"):
        current = "latentem"
        for line in page.read_text().splitlines():
            if line.startswith(".. currentmodule::"):
                current = line.split("::")[1].strip()
            elif re.match(r"^   [A-Za-z_][\w.]*$", line):
                entries.append((current, line.strip()))
    objects = []
    for current, entry in entries:
        path = entry if entry.startswith("latentem.") else f"{current}.{entry}"
        module_name, _, attribute = path.rpartition(".")
        while module_name:
            try:
                module = importlib.import_module(module_name)
                break
            except ModuleNotFoundError:
                module_name, _, outer = module_name.rpartition(".")
                attribute = f"{outer}.{attribute}"
        obj = module
        for part in attribute.split("."):
            obj = getattr(obj, part)
        objects.append(obj)
    return objects


def test_every_public_name_is_in_the_api_reference():
    listed = reference_entries()
    missing = [
        f"{module}.{name}"
        for module, name, obj in PUBLIC
        if not any(obj is item for item in listed)
    ]
    assert not missing, f"add these to docs/api/index.rst: {missing}"


PAGES = sorted(
    path
    for path in DOCS.rglob("*.rst")
    if "_build" not in path.parts and "examples" not in path.parts and "api" not in path.parts
)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_documentation_code_runs(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    failures, _ = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
        encoding="utf-8",
    )
    import matplotlib.pyplot as plt

    plt.close("all")
    assert failures == 0, f"{failures} example(s) in {page.name} failed (see the output above)"


def test_markdown_pages_convert_without_warnings():
    docutils = pytest.importorskip("docutils.core")
    import sys

    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from markdown_include import markdown_to_rst
    finally:
        sys.path.pop(0)
    for path in (ROOT / "CHANGELOG.md", ROOT / "README.md", *DOCS.glob("*.md")):
        rst = "\n".join(markdown_to_rst(path.read_text()))
        docutils.publish_string(
            rst,
            writer="null",
            settings_overrides={"halt_level": 2, "report_level": 5, "input_encoding": "unicode"},
        )
    assert os.path.exists(DOCS / "benchmarks.md")
