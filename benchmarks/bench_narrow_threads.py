"""When do two threads pay on a narrow Gaussian mixture, and why did they not before?

Two measurements behind :func:`latentem.mixture.kernels.data.default_plan`:

1. **Products under the GIL.** Two Python threads each run the same matrix
   product many times; the speed-up over one thread running them all shows
   whether NumPy released the GIL. The moment product of the kernels,
   ``features @ resp_t.T``, is written both as ``@`` (matmul) and as
   ``np.dot``.
2. **One or two threads at d = 2, k = 3.** One E-step of ``diag`` and
   ``full`` for several numbers of rows: one thread with its blocks (16384
   rows) against two threads with theirs (32768), alternating, on the same
   data and parameters. The last column says what the default plan picks.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_narrow_threads.py [--repeats 7] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gmm import describe_machine

from latentem.core.parallel import single_threaded_blas
from latentem.mixture import GaussianMixtureModel
from latentem.mixture.kernels.data import default_plan


def thread_speedup(product: Callable[[], object], calls: int) -> float:
    """Time of ``calls`` products on one thread over the time of two threads sharing them."""

    def run(n: int) -> None:
        for _ in range(n):
            product()

    start = time.perf_counter()
    run(calls)
    one = time.perf_counter() - start
    threads = [threading.Thread(target=run, args=(calls // 2,)) for _ in range(2)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return one / (time.perf_counter() - start)


def products(repeats: int, calls: int) -> None:
    rng = np.random.default_rng(0)
    features, resp_t = rng.random((5, 32768)), rng.random((3, 32768))
    weights = rng.random((3, 5))
    variants = {
        "features @ resp_t.T (matmul)": lambda: features @ resp_t.T,
        "np.dot(features, resp_t.T)": lambda: np.dot(features, resp_t.T),
        "weights @ features (matmul)": lambda: weights @ features,
    }
    print("two threads sharing a product's calls, speed-up over one thread (2.0 = perfect)")
    with single_threaded_blas():
        for name, product in variants.items():
            ratios = [thread_speedup(product, calls) for _ in range(repeats)]
            print(
                f"  {name:<30} median {statistics.median(ratios):.2f}x  "
                f"(runs: {' '.join(f'{r:.2f}' for r in ratios)})"
            )


def narrow(repeats: int, sizes: list[int]) -> None:
    print("\none E-step at d=2, k=3: one thread (16384-row blocks) vs two (32768-row blocks)")
    print(f"  {'type':<6}{'n':>9}{'1 thread ms':>13}{'2 threads ms':>14}{'ratio':>8}  default")
    rng = np.random.default_rng(0)
    for covariance_type in ("diag", "full"):
        for n_samples in sizes:
            X = rng.normal(size=(n_samples, 2)) + 3.0 * rng.integers(3, size=n_samples)[:, None]
            model = GaussianMixtureModel.from_data(
                X, 3, covariance_type=covariance_type, random_state=0
            )
            data = model.prepare(X).complete  # the complete rows, prepared for the kernel
            setups = {
                1: attrs.evolve(data, n_threads=1, block_rows=16384),
                2: attrs.evolve(data, n_threads=2, block_rows=32768),
            }
            times: dict[int, list[float]] = {1: [], 2: []}
            for repeat in range(repeats + 1):
                for threads in (1, 2) if repeat % 2 == 0 else (2, 1):
                    start = time.perf_counter()
                    model.e_step(setups[threads])
                    if repeat:  # the first round warms caches and the thread pool
                        times[threads].append(time.perf_counter() - start)
            one, two = (statistics.median(times[t]) * 1e3 for t in (1, 2))
            kernel = data.kernel
            picked = default_plan(kernel, n_samples, 2, 3)
            print(
                f"  {covariance_type:<6}{n_samples:>9}{one:>13.2f}{two:>14.2f}"
                f"{one / two:>7.2f}x  {picked[0]} thread(s), {picked[1]} rows"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(describe_machine())
    print()
    products(3 if args.quick else args.repeats, 100 if args.quick else 2000)
    sizes = [50_000] if args.quick else [100_000, 200_000, 500_000, 1_000_000]
    narrow(2 if args.quick else args.repeats, sizes)
    print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
