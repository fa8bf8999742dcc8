"""Nothing outside the structure modules branches on a covariance structure's name or class.

The test walks the syntax tree of every module of ``latentem`` except
``latentem/mixture/covariance/`` and counts the places that compare with a
structure's name, key a dict or an index by one, or test ``isinstance`` against
a structure class. A structure written elsewhere (see test_user_structure.py)
would be missed by every such place, as one was before (the missing-data path
dispatched on ``isinstance(..., DiagCovariance)``).
"""

import ast
from pathlib import Path

import latentem
from latentem.mixture import covariance

PACKAGE = Path(latentem.__file__).parent
STRUCTURE_MODULES = PACKAGE / "mixture" / "covariance"
NAMES = {"full", "diag", "spherical", "tied"}
CLASSES = {
    name
    for name, value in vars(covariance).items()
    if isinstance(value, type) and issubclass(value, covariance.CovarianceType)
} | {"CovarianceType", "MatrixCovariance"}
ALLOWED = 3  # each allowed place says why in a comment containing "structure-branch:"


def _names_in(node):
    """Structure names among the string literals of ``node`` (a literal or a collection)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value} & NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(_names_in(element) for element in node.elts))
    return set()


def _class_names(node):
    if isinstance(node, ast.Name):
        return {node.id} & CLASSES
    if isinstance(node, ast.Attribute):
        return {node.attr} & CLASSES
    if isinstance(node, ast.Tuple):
        return set().union(*(_class_names(element) for element in node.elts))
    return set()


def branches(tree):
    """(line, what) of every place that dispatches on a structure's name or class."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            if any(_names_in(operand) for operand in [node.left, *node.comparators]):
                yield node.lineno, "compares with a structure name"
        elif isinstance(node, ast.Dict):
            if len(set().union(*(_names_in(key) for key in node.keys if key is not None))) > 1:
                yield node.lineno, "a dict keyed by structure names"
        elif isinstance(node, ast.Subscript) and _names_in(node.slice):
            yield node.lineno, "indexes by a structure name"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("isinstance", "issubclass")
            and len(node.args) == 2
            and _class_names(node.args[1])
        ):
            yield node.lineno, f"{node.func.id} against a structure class"


def found_in(path):
    source = path.read_text()
    lines = source.splitlines()
    for line, what in branches(ast.parse(source)):
        yield path.relative_to(PACKAGE.parent), line, what, "structure-branch:" in lines[line - 1]


def test_the_walker_finds_each_kind_of_branch():
    code = (
        "if cov.name == 'diag': pass\n"
        "shapes = {'full': 1, 'tied': 2}\n"
        "x = TYPES['spherical']\n"
        "ok = isinstance(s, (FullCovariance, DiagCovariance))\n"
        "if family == 'gaussian' and name in ('a', 'b'): pass\n"
    )
    assert [line for line, _ in branches(ast.parse(code))] == [1, 2, 3, 4]


def test_no_code_outside_the_structures_branches_on_them():
    places = [
        place
        for path in sorted(PACKAGE.rglob("*.py"))
        if STRUCTURE_MODULES not in path.parents
        for place in found_in(path)
    ]
    uncommented = [place[:3] for place in places if not place[3]]
    assert not uncommented, f"move these into the structure classes: {uncommented}"
    assert len(places) <= ALLOWED, places
