"""Time per EM iteration of a Gaussian mixture on data with missing entries.

Data: ``n`` rows of ``d`` correlated Gaussian features (a mixture of
``--components`` clusters), each entry missing completely at random with
probability ``--fraction``. One EM iteration is ``model.m_step(model.e_step(X))``
with full covariances.

Compared side by side in one run:

* ``latentem``: rows grouped by missingness pattern, one Cholesky factorisation
  per pattern and component (``latentem.mixture.missing``);
* ``per-row``: the textbook E-step written row by row in NumPy -- for each row
  and component, factor ``Sigma_oo``, evaluate ``N(x_o | mu_o, Sigma_oo)``, the
  conditional mean and covariance of ``x_m`` -- then the same M-step. This is
  what a straightforward implementation does (scikit-learn has no missing-data
  mixture to compare with); its new parameters are checked against latentem's;
* ``complete data``: latentem's iteration on the same rows with nothing
  missing, the cost floor set by the complete-data kernels.

Run ``python benchmarks/bench_missing.py`` (100,000 x 10, 20% missing) or with
``--quick`` for a smoke run. Figures taken while other work shares the machine
are provisional: the script prints the load average next to them.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from latentem.mixture import GaussianMixtureModel


def make_data(n: int, d: int, k: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Complete data and a copy with entries missing completely at random."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 3.0, size=(k, d))
    labels = rng.integers(0, k, size=n)
    a = rng.normal(size=(d, d))
    cov = a @ a.T / d + 0.5 * np.eye(d)
    X = centres[labels] + rng.multivariate_normal(np.zeros(d), cov, size=n)
    X_missing = X.copy()
    X_missing[rng.random(X.shape) < fraction] = np.nan
    return X, X_missing[~np.isnan(X_missing).all(axis=1)]


def per_row_iteration(model: GaussianMixtureModel, X: np.ndarray) -> GaussianMixtureModel:
    """One EM iteration with the E-step written row by row (the peer)."""
    k, d = model.n_components, model.n_features
    first, second, counts = np.zeros((k, d)), np.zeros((k, d, d)), np.zeros(k)
    log_2pi = math.log(2 * math.pi)
    for x in X:
        o, m = ~np.isnan(x), np.isnan(x)
        log_joint = np.empty(k)
        completions, conditionals = [], []
        for j in range(k):
            mu, sigma = model.means[j], model.covariances[j]
            lower = np.linalg.cholesky(sigma[np.ix_(o, o)])
            z = np.linalg.solve(lower, x[o] - mu[o])
            log_joint[j] = (
                math.log(model.weights[j])
                - 0.5 * (o.sum() * log_2pi + z @ z)
                - np.log(np.diag(lower)).sum()
            )
            gain = np.linalg.solve(lower.T, np.linalg.solve(lower, sigma[np.ix_(o, m)])).T
            completed = x.copy()
            completed[m] = mu[m] + gain @ (x[o] - mu[o])
            conditional = np.zeros((d, d))
            conditional[np.ix_(m, m)] = sigma[np.ix_(m, m)] - gain @ sigma[np.ix_(o, m)]
            completions.append(completed)
            conditionals.append(conditional)
        resp = np.exp(log_joint - np.logaddexp.reduce(log_joint))
        for j in range(k):
            counts[j] += resp[j]
            first[j] += resp[j] * completions[j]
            second[j] += resp[j] * (np.outer(completions[j], completions[j]) + conditionals[j])
    means = first / counts[:, None]
    covariances = second / counts[:, None, None] - np.einsum("ki,kj->kij", means, means)
    covariances += model.reg_covar * np.eye(d)
    return GaussianMixtureModel(
        counts / counts.sum(), means, covariances, reg_covar=model.reg_covar
    )


def iteration(model: GaussianMixtureModel, X: np.ndarray) -> GaussianMixtureModel:
    """One EM iteration of latentem."""
    return model.m_step(model.e_step(X))


def timed(function, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times, result


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("n/a",) * 3
    cpus = os.cpu_count()
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    return (
        f"{platform.processor() or platform.machine()}, {cpus} logical CPUs, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"OPENBLAS_NUM_THREADS={threads}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="rows (default 100000)")
    parser.add_argument("--d", type=int, default=10, help="features (default 10)")
    parser.add_argument("--fraction", type=float, default=0.2, help="missing share (0.2)")
    parser.add_argument(
        "--components", type=int, nargs="+", default=[1, 3], help="mixture sizes (1 3)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed iterations (5)")
    parser.add_argument("--peer-rows", type=int, default=None, help="rows for the per-row peer")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.repeat, args.components = 3000, 2, [2]
    print(f"machine: {machine()}")
    print(
        f"data: {args.n} x {args.d}, {args.fraction:.0%} missing completely at random, "
        "full covariances"
    )
    print(
        "| components | latentem s/iter | per-row s/iter | per-row / latentem "
        "| complete data s/iter | patterns | max rel. diff vs per-row |"
    )
    print("|---|---|---|---|---|---|---|")
    for k in args.components:
        X, X_missing = make_data(args.n, args.d, k, args.fraction, args.seed)
        start = GaussianMixtureModel.from_data(X_missing, k, random_state=args.seed)
        complete_start = GaussianMixtureModel(start.weights, start.means, start.covariances)
        ours_times, ours = timed(functools.partial(iteration, start, X_missing), args.repeat)
        floor_times, _ = timed(functools.partial(iteration, complete_start, X), args.repeat)
        peer_rows = X_missing if args.peer_rows is None else X_missing[: args.peer_rows]
        peer_times, peer = timed(functools.partial(per_row_iteration, start, peer_rows), 1)
        peer_time = peer_times[0] * X_missing.shape[0] / peer_rows.shape[0]
        if peer_rows.shape[0] == X_missing.shape[0]:
            difference = max(
                float(np.max(np.abs(getattr(ours, name) - getattr(peer, name))))
                / float(np.max(np.abs(getattr(peer, name))))
                for name in ("weights", "means", "covariances")
            )
            checked = f"{difference:.1e}"
        else:
            checked = "n/a (peer on a subset, time scaled)"
        n_patterns = np.unique(np.isnan(X_missing), axis=0).shape[0]
        ours_time = statistics.median(ours_times)
        print(
            f"| {k} | {ours_time:.3f} | {peer_time:.2f} | {peer_time / ours_time:.0f}x "
            f"| {statistics.median(floor_times):.3f} | {n_patterns} | {checked} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
