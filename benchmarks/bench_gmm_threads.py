"""Does latentem need to hold BLAS to one thread while its own threads run?

Times one E-step pass (the kernels' work per EM iteration) in four set-ups,
alternating them over several repeats on the same data and parameters:

* ``ours x2, BLAS x1``: two latentem threads, BLAS held to one thread (the
  default; needs threadpoolctl);
* ``ours x1, BLAS xN``: one latentem thread, BLAS with its default threads
  (what is left without threadpoolctl);
* ``ours x2, BLAS xN``: two latentem threads and BLAS's threads, oversubscribed;
* ``ours x1, BLAS x1``: one core, for reference.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_gmm_threads.py [--repeats 7] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

import attrs
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gmm import CASES, QUICK_CASES, describe_machine, make_data

from latentem.mixture import GaussianMixtureModel
from latentem.mixture.kernels import blocks

SETUPS = {
    "ours x2, BLAS x1": (2, True),
    "ours x1, BLAS xN": (1, False),
    "ours x2, BLAS xN": (2, False),
    "ours x1, BLAS x1": (1, True),
}


def e_step_seconds(model, data, n_threads: int, limit_blas: bool) -> float:
    """Wall time of one E-step with this set-up."""
    prepared = attrs.evolve(data, n_threads=n_threads)
    original = blocks.single_threaded_blas
    if not limit_blas:  # benchmark only: swap the limiter out for this call
        blocks.single_threaded_blas = contextlib.nullcontext
    try:
        start = time.perf_counter()
        model.e_step(prepared)
        return time.perf_counter() - start
    finally:
        blocks.single_threaded_blas = original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    cases = QUICK_CASES if args.quick else [c for c in CASES if c.name.endswith("200k")]
    cases += [] if args.quick else [c for c in CASES if c.name == "full-1M-d2"]
    print(describe_machine())
    print(f"one E-step per timing, median and best of {args.repeats}, set-ups alternating\n")
    for case in cases:
        X = make_data(case)
        model = GaussianMixtureModel.from_data(
            X, case.n_components, covariance_type=case.covariance_type, random_state=0
        )
        data = model.prepare(X)
        times: dict[str, list[float]] = {name: [] for name in SETUPS}
        for repeat in range(args.repeats + 1):
            order = list(SETUPS) if repeat % 2 == 0 else list(SETUPS)[::-1]
            for name in order:
                seconds = e_step_seconds(model, data, *SETUPS[name])
                if repeat:  # the first round warms caches and thread pools
                    times[name].append(seconds)
        print(f"{case.name}: n={case.n_samples} d={case.n_features} k={case.n_components}")
        for name, values in times.items():
            print(
                f"  {name:<18} median {statistics.median(values) * 1e3:8.1f} ms   "
                f"best {min(values) * 1e3:8.1f} ms"
            )
    print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
