"""Gaussian-mixture EM: latentem against scikit-learn, side by side, at the same answer.

Both libraries fit the same data from the same start (``weights_init``,
``means_init``, ``precisions_init`` of one k-means++ start) for the same
number of iterations (``tol=0``); whole ``fit`` calls are timed, setup
included, alternating the libraries over several repeats. The script checks
the answers agree (final ``lower_bound_`` within 1e-6 relative) and prints
per-iteration times, speed ratios, and the share of the float64 GEMM
roofline (measured here) that latentem's matrix products reach.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_gmm.py            # the issue's cases
    PYTHONPATH=. python benchmarks/bench_gmm.py --quick    # a few seconds
    PYTHONPATH=. python benchmarks/bench_gmm.py --case full-200k --dtype float32

``--json PATH`` also writes the median fit times per case and library.

Other peers (pomegranate) are timed when installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import latentem
from latentem.mixture import GaussianMixtureModel


@dataclass(frozen=True)
class Case:
    """One benchmark configuration and the speed-up it must reach."""

    name: str
    n_samples: int
    n_features: int
    n_components: int
    covariance_type: str
    target: float


CASES = [
    Case("full-200k", 200_000, 16, 16, "full", 12.0),
    Case("diag-200k", 200_000, 16, 16, "diag", 6.0),
    Case("spherical-200k", 200_000, 16, 16, "spherical", 2.0),
    Case("tied-200k", 200_000, 16, 16, "tied", 2.0),
    Case("full-1M-d2", 1_000_000, 2, 3, "full", 20.0),
    Case("diag-1M-d2", 1_000_000, 2, 3, "diag", 20.0),
    Case("full-100k-d64", 100_000, 64, 8, "full", 3.0),
]

QUICK_CASES = [
    Case("quick-full", 20_000, 8, 4, "full", 1.0),
    Case("quick-diag", 20_000, 8, 4, "diag", 1.0),
]


def make_data(case: Case, seed: int = 0) -> np.ndarray:
    """Rows from a random mixture with well-separated, correlated components."""
    rng = np.random.default_rng(seed)
    d, k = case.n_features, case.n_components
    centres = rng.normal(0.0, 4.0, size=(k, d))
    labels = rng.integers(k, size=case.n_samples)
    X = np.empty((case.n_samples, d))
    for j in range(k):
        rows = labels == j
        mixing = rng.normal(size=(d, d)) / np.sqrt(d) + np.eye(d)
        X[rows] = centres[j] + rng.normal(size=(int(rows.sum()), d)) @ mixing
    return X


def common_start(X: np.ndarray, case: Case) -> dict[str, np.ndarray]:
    """One k-means++ start, in scikit-learn's ``*_init`` arguments."""
    start = GaussianMixtureModel.from_data(
        X, case.n_components, covariance_type=case.covariance_type, random_state=0
    )
    return {
        "weights_init": np.array(start.weights),
        "means_init": np.array(start.means),
        "precisions_init": np.array(start.precisions),
    }


def gemm_gflops(dtype: Any = np.float64, size: int = 2048, repeats: int = 5) -> float:
    """Measured GFLOP/s of a square matrix product (BLAS's default threads)."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(size, size)).astype(dtype)
    b = rng.normal(size=(size, size)).astype(dtype)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2.0 * size**3 / best / 1e9


def latentem_gemm_flops(case: Case) -> float:
    """Floating-point operations of latentem's matrix products in one EM iteration."""
    n, d, k = case.n_samples, case.n_features, case.n_components
    if case.covariance_type == "full":
        rows = d * (d + 1) // 2 + d + 1
        return 2 * 2 * n * rows * k
    if case.covariance_type in ("diag", "spherical"):
        return 2 * 2 * n * (2 * d + 1) * k
    return 2 * 2 * n * (d + 1) * k + 2 * 2 * n * d * d  # tied: + shared term and pooled scatter


def _timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _quiet_fit(estimator: Any, X: np.ndarray) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never converges
        return estimator.fit(X)


def peers() -> dict[str, Callable[..., Any]]:
    """Installed libraries to compare with, by name: a factory of estimators."""
    found: dict[str, Callable[..., Any]] = {}
    try:
        from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
    except ImportError:
        print("scikit-learn is not installed: nothing to compare with", file=sys.stderr)
    else:
        found["scikit-learn"] = SklearnGaussianMixture
    try:
        import pomegranate  # noqa: F401
    except ImportError:
        pass
    else:
        print("pomegranate is installed but has no adapter here yet; skipped")
    return found


@dataclass
class Timing:
    """Whole-fit times of one library on one case, and its final lower bound."""

    seconds: list[float]
    lower_bound: float

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def best(self) -> float:
        return min(self.seconds)


def estimators(
    case: Case,
    n_iter: int,
    dtype: Any,
    factories: dict[str, Callable[..., Any]],
    X: np.ndarray,
) -> dict[str, Callable[[], Any]]:
    """A fresh, unfitted estimator per library, all from the same start."""
    settings = dict(
        covariance_type=case.covariance_type, tol=0.0, max_iter=n_iter, **common_start(X, case)
    )
    makers: dict[str, Callable[[], Any]] = {
        "latentem": lambda: latentem.GaussianMixture(case.n_components, dtype=dtype, **settings)
    }
    for name, factory in factories.items():
        makers[name] = lambda factory=factory: factory(case.n_components, **settings)
    return makers


def run_case(
    case: Case, repeats: int, n_iter: int, dtype: Any, factories: dict[str, Callable[..., Any]]
) -> dict[str, Timing]:
    """Time every library on ``case``, alternating their order over the repeats."""
    X = make_data(case)
    makers = estimators(case, n_iter, dtype, factories, X)
    times: dict[str, list[float]] = {name: [] for name in makers}
    bounds: dict[str, float] = {}
    names = list(makers)
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            estimator = makers[name]()
            times[name].append(_timed(lambda estimator=estimator: _quiet_fit(estimator, X)))
            bounds[name] = float(estimator.lower_bound_)
            del estimator
    return {name: Timing(times[name], bounds[name]) for name in names}


def peak_memory(estimator: Any, X: np.ndarray) -> float:
    """Peak memory (MiB) of the arrays one fit allocates, as tracemalloc counts them.

    NumPy reports its buffers to tracemalloc, so this is the fit's working
    memory beyond the data and the start (BLAS's own buffers are not counted).
    """
    import tracemalloc

    tracemalloc.start()
    try:
        _quiet_fit(estimator, X)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def describe_machine() -> str:
    """CPU model, cores, BLAS and load, for the record."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = "unknown"
    try:
        config = np.show_config(mode="dicts")
        blas_info = config["Build Dependencies"]["blas"]
        blas = f"{blas_info.get('name')} {blas_info.get('version')}"
    except Exception:  # older numpy: no dict mode
        pass
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"machine: {model}, {os.cpu_count()} cores, numpy {np.__version__} with {blas}; "
        f"python {platform.python_version()}; load average {load}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small cases, a few seconds")
    parser.add_argument("--repeats", type=int, default=None, help="fits per library and case")
    parser.add_argument("--iterations", type=int, default=10, help="EM iterations per fit")
    parser.add_argument(
        "--case",
        action="append",
        default=None,
        help="run only cases whose name starts with this (repeatable)",
    )
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument(
        "--memory", action="store_true", help="also measure the peak memory of one fit each"
    )
    parser.add_argument("--json", default=None, help="also write the median times to this file")
    args = parser.parse_args(argv)
    cases = QUICK_CASES if args.quick else CASES
    if args.case:
        cases = [c for c in cases if any(c.name.startswith(p) for p in args.case)]
    repeats = args.repeats or (2 if args.quick else 5)
    dtype = np.dtype(args.dtype)
    factories = peers()

    print(describe_machine())
    peak = gemm_gflops(size=512 if args.quick else 2048)
    print(f"float64 GEMM roofline (2048^3 product, best of 5): {peak:.1f} GFLOP/s")
    print(
        f"{args.iterations} EM iterations per fit, tol=0, {repeats} repeats alternating, "
        f"latentem dtype={dtype.name}; times are whole fit() calls, setup included\n"
    )
    header = (
        f"{'case':<16}{'n':>9}{'d':>4}{'k':>4}  {'library':<13}{'ms/iter':>9}"
        f"{'best':>9}{'speed-up':>10}{'roofline':>10}  lower_bound_"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    medians: dict[str, dict[str, float]] = {}
    for case in cases:
        results = run_case(case, repeats, args.iterations, dtype, factories)
        medians[case.name] = {name: timing.median for name, timing in results.items()}
        ours = results["latentem"]
        roofline = latentem_gemm_flops(case) / (peak * 1e9)
        for name, timing in results.items():
            per_iter = timing.median / args.iterations * 1e3
            best = timing.best / args.iterations * 1e3
            if name == "latentem":
                ratio, share = "", f"{roofline / (timing.median / args.iterations):>9.0%}"
            else:
                ratio, share = f"{timing.median / ours.median:>9.1f}x", ""
            print(
                f"{case.name:<16}{case.n_samples:>9}{case.n_features:>4}{case.n_components:>4}"
                f"  {name:<13}{per_iter:>9.1f}{best:>9.1f}{ratio:>10}{share:>10}  "
                f"{timing.lower_bound:.12g}"
            )
        if args.memory:
            X = make_data(case)
            makers = estimators(case, args.iterations, dtype, factories, X)
            added = {name: peak_memory(make(), X) for name, make in makers.items()}
            memory = ", ".join(f"{name} {mib:.1f} MiB" for name, mib in added.items())
            data_mib = X.nbytes / 2**20
            print(f"{'':<16}peak memory of a fit's arrays (data: {data_mib:.0f} MiB): {memory}")
        for name, timing in results.items():
            if name == "latentem":
                continue
            gap = abs(ours.lower_bound - timing.lower_bound) / abs(timing.lower_bound)
            speedup = timing.median / ours.median
            agree = gap <= 1e-6
            met = speedup >= case.target
            failures += (not agree) + (not met and not args.quick)
            print(
                f"{'':<16}answers {'agree' if agree else 'DIFFER'} with {name} "
                f"(relative lower_bound_ gap {gap:.1e}); speed-up {speedup:.1f}x "
                f"(best {timing.best and timing.best / ours.best:.1f}x), target {case.target:g}x"
                f" {'met' if met else 'NOT MET'}"
            )
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nload average at the end: {load}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(medians, out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
