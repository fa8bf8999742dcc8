"""Every script in examples/ runs in a fresh folder and writes the pictures it promises.

Each example lists its pictures in a module-level ``PICTURES`` list and exits
non-zero when its result is not what its text says.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def promised_pictures(script):
    for node in ast.parse(script.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "PICTURES" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{script.name} has no PICTURES = [...] list")


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("script", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs_and_writes_its_pictures(script, tmp_path):
    pictures = promised_pictures(script)
    assert pictures, f"{script.name} promises no picture"
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    process = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == 0, process.stdout + process.stderr
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == sorted(pictures), "the pictures written differ from PICTURES"
    for name in pictures:
        size = (tmp_path / name).stat().st_size
        assert size > 5_000, f"{name} is only {size} bytes"
