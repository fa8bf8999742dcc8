"""The HMM benchmark runs end to end (tiny sizes) and checks its answers against hmmlearn."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_runs_and_reports_ratios():
    pytest.importorskip("hmmlearn")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_hmm.py"), "--quick"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout
    assert output.count("answers agree within") == 2
    assert output.count("speed-up over hmmlearn log") == 2
    assert output.count("speed-up over hmmlearn scaling") == 2
