"""latentem at two source trees, side by side in one run: a benchmark's latentem times.

Runs one of the benchmarks (``bench_hmm.py``, ``bench_gmm.py``) once per
round against each tree, alternating which goes first, with ``PYTHONPATH``
pointing at the tree; the benchmark script itself is this checkout's, so both
trees are timed by the same code on the same data. Prints, per case, the
median over rounds of latentem's time in each tree and their ratio.

    git worktree add /tmp/before <revision>
    python benchmarks/bench_revisions.py /tmp/before . bench_hmm.py --rounds 3 \\
        -- --covariance full
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_once(tree: Path, bench: str, extra: list[str]) -> dict[str, dict[str, float]]:
    """One run of ``bench`` with latentem imported from ``tree``; its JSON times."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "times.json"
        env = dict(os.environ, PYTHONPATH=str(tree.resolve()))
        command = [sys.executable, str(HERE / bench), *extra, "--json", str(out)]
        completed = subprocess.run(command, env=env, capture_output=True, text=True)
        if not out.exists():
            raise SystemExit(f"{bench} failed in {tree}:\n{completed.stdout}\n{completed.stderr}")
        return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="source tree of the first revision")
    parser.add_argument("after", type=Path, help="source tree of the second revision")
    parser.add_argument("bench", choices=["bench_hmm.py", "bench_gmm.py"])
    parser.add_argument("--rounds", type=int, default=3)
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.extra = argv[split + 1 :]  # the benchmark's own options, after --
    trees = {"before": args.before, "after": args.after}
    times: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{args.bench} {' '.join(args.extra)}: {args.rounds} rounds, load average {load}")
    for round_ in range(args.rounds):
        order = ["before", "after"] if round_ % 2 == 0 else ["after", "before"]
        for label in order:
            for case, by_name in run_once(trees[label], args.bench, args.extra).items():
                times[label].setdefault(case, []).append(by_name["latentem"])
    print(f"{'case':<20}{'before s':>10}{'after s':>10}{'after/before':>14}   (medians)")
    for case, before in times["before"].items():
        a, b = statistics.median(times["after"][case]), statistics.median(before)
        print(f"{case:<20}{b:>10.3f}{a:>10.3f}{a / b:>14.2f}")
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average at the end: {load}")


if __name__ == "__main__":
    main()
