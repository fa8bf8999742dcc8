"""Run scikit-learn's and hmmlearn's own test suites against latentem and print the counts.

The suites are the test modules shipped in the installed wheels; nothing is
fetched or copied (see ``tests/peers``). Tests that fail on purpose are
listed, with the reason, in the "Differences from scikit-learn" and
"Differences from hmmlearn" sections of the user guide.

Usage::

    python scripts/peer_suites.py          # counts; documented differences expected to fail
    python scripts/peer_suites.py --raw    # every test run as the peer wrote it
    python scripts/peer_suites.py --no-hmmlearn   # scikit-learn's suite only
    python scripts/peer_suites.py -n 2     # extra arguments go to pytest
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class Tally:
    """A pytest plugin counting outcomes per peer test (a function or a class's method)."""

    def __init__(self) -> None:
        self.outcomes: dict[tuple[str, str], list[str]] = collections.defaultdict(list)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            if report.when == "teardown" and report.outcome == "passed":
                return
            outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
            if outcome == "passed" and report.when != "call":
                return
            path, _, test_id = report.nodeid.partition("::")
            self.outcomes[(Path(path).stem, test_id.split("[")[0])].append(outcome)


def verdict(outcomes: list[str]) -> str:
    for outcome in ("failed", "xfailed", "passed"):
        if outcome in outcomes:
            return outcome
    return "skipped"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--raw", action="store_true", help="ignore the documented differences")
    parser.add_argument("--no-hmmlearn", action="store_true", help="leave hmmlearn's suite out")
    options, pytest_args = parser.parse_known_args(argv)
    if options.raw:
        os.environ["LATENTEM_PEERS_RAW"] = "1"
    os.environ["LATENTEM_PEERS_HMMLEARN"] = "0" if options.no_hmmlearn else "1"
    tally = Tally()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    code = pytest.main(
        [
            "-q",
            "-p",
            "no:cacheprovider",
            "--no-header",
            "-o",
            "addopts=",
            *pytest_args,
            "tests/peers",
        ],
        plugins=[tally],
    )
    per_module: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for (module, _), outcomes in sorted(tally.outcomes.items()):
        per_module[module][verdict(outcomes)] += 1
    print("\npublic tests per peer module (a test passes when all its parameters pass):")
    for module, counts in per_module.items():
        total = sum(counts.values())
        parts = ", ".join(f"{counts[k]} {k}" for k in ("passed", "xfailed", "failed", "skipped"))
        print(f"  {module}: {counts['passed']} of {total} pass ({parts})")
    failing = [f"{m}::{t}" for (m, t), o in sorted(tally.outcomes.items()) if "failed" in o]
    if failing:
        print("failing:", *failing, sep="\n  ")
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
