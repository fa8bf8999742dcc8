"""Run every script in ``examples/`` and make a page of its text, output, pictures and code.

Each example writes its pictures (listed in its ``PICTURES``) into the
current folder; the extension runs it in ``docs/examples/<name>/`` before
Sphinx reads the sources, so the pages always show what the code draws
today. A script is run again only when it changed since its last run. A
failing example fails the build.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from sphinx.errors import ExtensionError

__all__ = ["setup"]


def _docstring_and_pictures(script: Path) -> tuple[str, list[str]]:
    tree = ast.parse(script.read_text())
    pictures: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "PICTURES" for target in node.targets
        ):
            pictures = list(ast.literal_eval(node.value))
    return ast.get_docstring(tree) or script.stem, pictures


def _run(script: Path, folder: Path, root: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    output = folder / "output.txt"
    if output.exists() and output.stat().st_mtime >= script.stat().st_mtime:
        return output.read_text()
    env = dict(os.environ, PYTHONPATH=str(root), MPLBACKEND="Agg")
    process = subprocess.run(
        [sys.executable, str(script)], cwd=folder, env=env, capture_output=True, text=True
    )
    if process.returncode != 0:
        raise ExtensionError(f"example {script.name} failed:\n{process.stdout}{process.stderr}")
    output.write_text(process.stdout)
    return process.stdout


def _page(script: Path, docstring: str, pictures: list[str], output: str) -> str:
    title, _, body = docstring.partition("\n")
    title = title.rstrip(".")
    lines = [title, "=" * len(title), "", body.strip(), ""]
    lines += [f"The script: ``examples/{script.name}``.", ""]
    for picture in pictures:
        lines += [f".. image:: {script.stem}/{picture}", f"   :alt: {picture}", ""]
    lines += ["What it prints", "--------------", "", ".. code-block:: text", ""]
    lines += ["   " + line for line in output.rstrip().splitlines()] or ["   (nothing)"]
    lines += ["", "The code", "--------", "", f".. literalinclude:: ../../examples/{script.name}"]
    lines += ["   :language: python", ""]
    return "\n".join(lines)


def generate(app) -> None:
    source = Path(app.srcdir)
    root = source.parent
    out = source / "examples"
    out.mkdir(exist_ok=True)
    scripts = sorted((root / "examples").glob("*.py"))
    names = []
    for script in scripts:
        docstring, pictures = _docstring_and_pictures(script)
        output = _run(script, out / script.stem, root)
        page = out / f"{script.stem}.rst"
        text = _page(script, docstring, pictures, output)
        if not page.exists() or page.read_text() != text:
            page.write_text(text)
        names.append(script.stem)
    index = [
        "Examples",
        "========",
        "",
        "Runnable scripts in the ``examples/`` folder of the repository. Each writes its",
        "pictures into the current folder; CI runs them all.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ] + [f"   {name}" for name in names]
    index_path = out / "index.rst"
    text = "\n".join(index) + "\n"
    if not index_path.exists() or index_path.read_text() != text:
        index_path.write_text(text)


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
