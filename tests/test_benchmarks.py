"""The benchmark scripts still run (smoke test; timings are never asserted)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_quick(script, *options):
    """The script's output with ``--quick``; fails the test if it exits with an error."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--quick", *options],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize(
    "script, options",
    [
        ("bench_gmm.py", ["--repeats", "1"]),
        ("bench_gmm_threads.py", ["--repeats", "1"]),
        ("accuracy_float32.py", []),
    ],
)
def test_benchmark_runs_quick(script, options):
    pytest.importorskip("sklearn")
    output = run_quick(script, *options)
    assert "quick-full" in output
    if script == "bench_gmm.py":
        assert "answers agree with scikit-learn" in output


def test_narrow_threads_benchmark_runs_quick():
    output = run_quick("bench_narrow_threads.py")
    assert "np.dot(features, resp_t.T)" in output
    assert "1 thread(s), 16384 rows" in output  # 50,000 rows: narrow and short


def test_revisions_benchmark_compares_two_trees_on_full_covariance_hmms():
    pytest.importorskip("hmmlearn")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_revisions.py"),
            str(ROOT),
            str(ROOT),
            "bench_hmm.py",
            "--rounds",
            "1",
            "--",
            "--quick",
            "--covariance",
            "full",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "one sequence" in result.stdout and "after/before" in result.stdout


def _has_mclust():
    """Whether R's ``Rscript`` runs and has mclust (CI has no R)."""
    if shutil.which("Rscript") is None:
        return False
    found = subprocess.run(
        ["Rscript", "-e", "quit(status = !requireNamespace('mclust', quietly = TRUE))"],
        capture_output=True,
        timeout=60,
    )
    return found.returncode == 0


def test_mclust_benchmark_runs_quick():
    if not _has_mclust():
        pytest.skip("needs R (Rscript) with mclust")
    output = run_quick("bench_mclust.py")
    assert "VVV   closed" in output and "agree" in output  # answers checked before timing
    assert "choices agree" in output
