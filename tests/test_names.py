"""No two public objects of latentem share a name for different things.

A module's public names are those in its ``__all__`` and every name without a
leading underscore that it binds at top level (functions, classes, constants
and type aliases). Two modules may both offer a name only if it is the same
object (a re-export).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import latentem

#: Names several modules define on purpose, one each for the same role, and the
#: package those modules must all be in.
SHARED_BY_DESIGN = {
    # every command module registers its own subcommand with add_parser(subparsers)
    "add_parser": "latentem.cli",
}


def _modules() -> list[ModuleType]:
    names = [info.name for info in pkgutil.walk_packages(latentem.__path__, "latentem.")]
    # importing latentem.__main__ would run the command line
    return [latentem] + [importlib.import_module(n) for n in names if n != "latentem.__main__"]


def _bound_at_top_level(module: ModuleType) -> set[str]:
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _public_names(module: ModuleType) -> set[str]:
    names = set(getattr(module, "__all__", ())) | _bound_at_top_level(module)
    return {name for name in names if not name.startswith("_")}


def _owners() -> dict[str, list[tuple[str, Any]]]:
    owners: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for module in _modules():
        for name in _public_names(module):
            owners[name].append((module.__name__, getattr(module, name)))
    return owners


def test_the_walk_sees_every_layer():
    owners = _owners()
    # one name per kind of public object, so the walk cannot quietly miss a kind
    assert {"latentem.core.engine", "latentem.core"} <= {m for m, _ in owners["EM"]}
    assert "latentem.hmm.kernels" in {m for m, _ in owners["Scratch"]}  # a class
    assert "latentem.mixture.kernels.base" in {m for m, _ in owners["ScratchBuffers"]}  # alias
    assert "latentem.io.codec" in {m for m, _ in owners["MAX_DEPTH"]}  # a constant


def test_no_two_public_objects_share_a_name():
    clashes = {}
    for name, found in _owners().items():
        if len({id(value) for _, value in found}) == 1:
            continue
        modules = sorted({module for module, _ in found})
        package = SHARED_BY_DESIGN.get(name)
        if package is not None and all(m.startswith(package + ".") for m in modules):
            continue
        clashes[name] = modules
    assert not clashes, f"public names bound to different objects: {clashes}"
