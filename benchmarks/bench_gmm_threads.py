"""Does latentem need to hold BLAS to one thread while its own threads run?

Times one E-step pass (the kernels' work per EM iteration) in four set-ups,
alternating them over several repeats on the same data and parameters (each
timed E-step follows an untimed one in the same set-up; the two set-ups with
BLAS held to one thread run first, for every case, since OpenBLAS's threads,
once they have run, slow two threads of ours for the rest of the process):

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


def e_step_seconds(model, prepared, limit_blas: bool) -> float:
    """Wall time of one E-step with this set-up."""
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
    prepared = {}
    for case in cases:
        X = make_data(case)
        model = GaussianMixtureModel.from_data(
            X, case.n_components, covariance_type=case.covariance_type, random_state=0
        )
        data = model.prepare(X).complete  # the complete rows, prepared for the kernel
        # one data object per thread count, made once: each keeps its work arrays from
        # one pass to the next, as a fit's data does
        prepared[case.name] = (model, {n: attrs.evolve(data, n_threads=n) for n in (1, 2)})
    times: dict[tuple[str, str], list[float]] = {}
    # the set-ups with BLAS held to one thread run first, for every case: once OpenBLAS's
    # threads have run the kernels' small products, two threads of ours stay slower for
    # the rest of the process (diag-200k: 13.7 ms before, 21.2 ms after)
    for phase in ([n for n in SETUPS if SETUPS[n][1]], [n for n in SETUPS if not SETUPS[n][1]]):
        for case in cases:
            model, per_threads = prepared[case.name]
            for repeat in range(args.repeats + 1):
                for name in phase if repeat % 2 == 0 else phase[::-1]:
                    n_threads, limit_blas = SETUPS[name]
                    # a first E-step, untimed, lets the previous set-up's threads settle
                    e_step_seconds(model, per_threads[n_threads], limit_blas)
                    seconds = e_step_seconds(model, per_threads[n_threads], limit_blas)
                    if repeat:  # the first round warms caches and thread pools
                        times.setdefault((case.name, name), []).append(seconds)
    for case in cases:
        print(f"{case.name}: n={case.n_samples} d={case.n_features} k={case.n_components}")
        for name in SETUPS:
            values = times[case.name, name]
            print(
                f"  {name:<18} median {statistics.median(values) * 1e3:8.1f} ms   "
                f"best {min(values) * 1e3:8.1f} ms"
            )
    print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
