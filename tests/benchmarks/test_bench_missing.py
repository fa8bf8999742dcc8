"""Smoke test of benchmarks/bench_missing.py: it runs, and latentem agrees with the peer."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_missing.py"


def test_quick_run_prints_a_table_and_matches_the_per_row_peer():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = [line for line in result.stdout.splitlines() if line.startswith("| 2 |")]
    assert len(rows) == 1, result.stdout
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    latentem_time, peer_time, difference = float(cells[1]), float(cells[2]), float(cells[6])
    assert latentem_time > 0 and peer_time > 0
    assert difference < 1e-9  # the peer's parameters equal latentem's
    assert "load average" in result.stdout
