"""The scale benchmarks run end to end at tiny sizes and check their own answers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _quick(script, *options):
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--quick", *options],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "answers agree" in completed.stdout
    return completed.stdout


def test_memmap_benchmark_measures_time_and_memory_and_deletes_its_file(tmp_path):
    output = _quick("bench_memmap.py", "--dir", str(tmp_path))
    assert "latentem-memmap" in output and "memmap time per iteration / in-memory" in output
    assert list(tmp_path.iterdir()) == []  # the data file is gone


def test_dask_benchmark_runs_on_a_local_cluster():
    pytest.importorskip("distributed")
    output = _quick("bench_dask.py")
    assert "latentem, dask (2 processes)" in output


def test_squarem_benchmark_reports_e_steps_and_time_ratios():
    output = _quick("bench_squarem.py")
    assert output.count("quick ") == 2 and "SQ E-steps" in output


def test_restarts_benchmark_compares_thread_counts():
    output = _quick("bench_restarts.py")
    assert "speed-up of n_jobs=2 over n_jobs=1" in output
