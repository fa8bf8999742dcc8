"""Running the real command line in a subprocess, on real files."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, cwd, timeout=120):
    """``python -m latentem ARGS`` in ``cwd``; returns the CompletedProcess (text)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return subprocess.run(
        [sys.executable, "-m", "latentem", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_line_error(process, *fragments):
    """Exit status 1 and a single stderr line naming each fragment, no traceback."""
    assert process.returncode == 1, (process.returncode, process.stdout, process.stderr)
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, process.stderr
    assert "Traceback" not in process.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="session")
def three_clusters():
    rng = np.random.default_rng(0)
    centres = [(0.0, 0.0), (8.0, 0.0), (0.0, 8.0)]
    return np.concatenate([rng.normal(c, 1.0, (60, 2)) for c in centres])


@pytest.fixture
def csv_file(tmp_path, three_clusters):
    path = tmp_path / "data.csv"
    np.savetxt(path, three_clusters, delimiter=",", header="x,y", comments="", fmt="%.17g")
    return path
