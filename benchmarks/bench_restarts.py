"""Parallel ``n_init`` restarts: ``GaussianMixture(n_jobs=...)`` against sequential restarts.

The same ``n_init`` starts (drawn in order from one seed) are fitted one after
another (``n_jobs=1``) and on 2 threads (``n_jobs=2``), each repeated and the
best wall time kept; the script checks the two give the same model and prints
the ratio. scikit-learn's sequential ``n_init`` is timed as the peer. BLAS keeps
its own threads in both cases, so this measures whether overlapping restarts
beats letting BLAS use the cores within one restart.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_restarts.py          # 200,000 x 16, 8 comps
    PYTHONPATH=. python benchmarks/bench_restarts.py --quick  # seconds
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings

import numpy as np

import latentem


def best_time(fit, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - began)
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--components", type=int, default=8)
    parser.add_argument("--n-init", type=int, default=4)
    parser.add_argument("--max-iter", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.features, args.components, args.max_iter, args.repeats = (
            5_000,
            4,
            3,
            5,
            1,
        )
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 2.0, (args.components, args.features))
    X = centres[rng.integers(args.components, size=args.rows)] + rng.normal(
        size=(args.rows, args.features)
    )
    print(
        f"data: {args.rows:,} x {args.features}; {args.components} full components, "
        f"n_init={args.n_init}, max_iter={args.max_iter} (tol=0), best of {args.repeats}"
    )
    settings = {
        "n_components": args.components,
        "n_init": args.n_init,
        "max_iter": args.max_iter,
        "tol": 0.0,
        "random_state": 0,
    }

    def fit(n_jobs):
        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return latentem.GaussianMixture(**settings, n_jobs=n_jobs).fit(X)

        return run

    sequential_seconds, sequential = best_time(fit(1), args.repeats)
    threaded_seconds, threaded = best_time(fit(2), args.repeats)
    same = np.array_equal(sequential.means_, threaded.means_)
    print(f"{'fit':<34}{'seconds':>9}")
    print(f"{'latentem n_jobs=1':<34}{sequential_seconds:>9.2f}")
    print(f"{'latentem n_jobs=2 (threads)':<34}{threaded_seconds:>9.2f}")
    print(f"speed-up of n_jobs=2 over n_jobs=1: {sequential_seconds / threaded_seconds:.2f}x")
    try:
        from sklearn.mixture import GaussianMixture

        def peer():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return GaussianMixture(
                    args.components,
                    n_init=args.n_init,
                    max_iter=args.max_iter,
                    tol=0.0,
                    init_params="k-means++",
                    random_state=0,
                ).fit(X)

        peer_seconds, _ = best_time(peer, args.repeats)
        print(f"{'scikit-learn (sequential n_init)':<34}{peer_seconds:>9.2f}")
        print(f"speed-up of n_jobs=2 over scikit-learn: {peer_seconds / threaded_seconds:.2f}x")
    except ImportError:
        print("scikit-learn not installed: the peer is skipped")
    print("answers agree" if same else "ANSWERS DISAGREE")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
