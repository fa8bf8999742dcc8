"""SQUAREM against plain EM (and scikit-learn) on slowly converging Gaussian mixtures.

Heavily overlapping components leave much of the information missing, so EM
creeps. Every fit starts from the same k-means++ start and uses the same
``tol`` (change of the objective per sample). The target is the objective
plain EM converges to; for SQUAREM the script reports the E-steps and the
wall time until its first kept point at or above that target (from the
engine's callbacks), and where it ends. scikit-learn's ``GaussianMixture``
from the same start takes plain EM's steps; its time is its whole ``fit``.

``--parametrisations`` repeats the measurement behind
``latentem/mixture/vector.py``: E-steps of SQUAREM with the natural
coordinates (weights, means, covariances) against an unconstrained
parametrisation (log-weights, Cholesky factors with log-diagonals) on 24
overlapping mixtures.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_squarem.py                 # 5 problems
    PYTHONPATH=. python benchmarks/bench_squarem.py --quick         # seconds
    PYTHONPATH=. python benchmarks/bench_squarem.py --parametrisations
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

import latentem
from latentem import EM, GaussianMixtureModel
from latentem.core.data import InMemory


@dataclass(frozen=True)
class Problem:
    name: str
    covariance_type: str
    n_components: int
    n_features: int
    n_samples: int
    spread: float  # standard deviation of the centres; components have unit variance
    seed: int


PROBLEMS = [
    Problem("1-D, 2 components", "full", 2, 1, 20_000, 0.5, 0),
    Problem("full, 2-D, 2 comp.", "full", 2, 2, 20_000, 0.7, 1),
    Problem("diag, 3-D, 3 comp.", "diag", 3, 3, 20_000, 0.7, 2),
    Problem("spherical, 2-D, 3 comp.", "spherical", 3, 2, 20_000, 0.7, 1),
    Problem("tied, 3-D, 2 comp.", "tied", 2, 3, 20_000, 0.7, 4),
]
QUICK = [
    Problem("quick diag", "diag", 2, 2, 1_000, 0.7, 1),
    Problem("quick full", "full", 2, 2, 1_000, 0.7, 1),
]


def make_problem(problem: Problem) -> tuple[np.ndarray, GaussianMixtureModel]:
    rng = np.random.default_rng(problem.seed)
    k, d = problem.n_components, problem.n_features
    centres = rng.normal(0.0, problem.spread, (k, d))
    X = np.concatenate([rng.normal(c, 1.0, (problem.n_samples // k, d)) for c in centres])
    start = GaussianMixtureModel.from_data(
        X, k, covariance_type=problem.covariance_type, random_state=problem.seed, reg_covar=0.0
    )
    return X, start


class CountingSource(InMemory):
    """The data in one chunk, counting the E-steps run on it."""

    def __init__(self, data: np.ndarray) -> None:
        super().__init__(data)
        self.e_steps = 0

    def sum_over_chunks(self, function):
        self.e_steps += 1
        return super().sum_over_chunks(function)


def timed_fit(start, X, tol: float, max_iter: int, accelerate=None):
    """The fit, and for each history entry the wall time and the E-steps spent so far."""
    source = CountingSource(X)
    seconds: list[float] = []
    e_steps: list[int] = []

    def record(iteration, objective, model):
        seconds.append(time.perf_counter() - began)
        e_steps.append(source.e_steps)

    engine = EM(max_iter=max_iter, tol=tol, accelerate=accelerate, callbacks=[record])
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        result = engine.fit(start, source)
    return result, np.array(seconds), np.array(e_steps), time.perf_counter() - began


def sklearn_fit(start, X, tol: float, max_iter: int):
    try:
        from sklearn.mixture import GaussianMixture
    except ImportError:
        return None
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = GaussianMixture(
            start.n_components,
            covariance_type=start.covariance_type.name,
            tol=tol,
            max_iter=max_iter,
            reg_covar=0.0,
            weights_init=start.weights,
            means_init=start.means,
            precisions_init=start.precisions,
        ).fit(X)
    return fitted, time.perf_counter() - began


def compare(problems: list[Problem], tol: float, max_iter: int) -> bool:
    print(f"tol={tol:g} per sample, max_iter={max_iter} E-steps")
    header = (
        f"{'problem':<25}{'EM E-steps':>11}{'SQ E-steps':>11}{'ratio':>7}"
        f"{'EM s':>8}{'SQ s':>8}{'ratio':>7}{'sklearn s':>10}{'ratio':>7}{'SQ - EM end':>13}"
    )
    print(header)
    ok = True
    for problem in problems:
        X, start = make_problem(problem)
        plain, _, _, plain_seconds = timed_fit(start, X, tol, max_iter)
        fast, stamps, spent, _ = timed_fit(start, X, tol, max_iter, accelerate="squarem")
        target = plain.objective
        reached = np.flatnonzero(fast.history >= target)
        if reached.size:
            index = int(reached[0])
            e_steps, seconds = int(spent[index]), float(stamps[index])
        else:
            e_steps, seconds = fast.n_estep, float("nan")
            ok = False
        peer = sklearn_fit(start, X, tol, max_iter)
        peer_seconds = peer[1] if peer else float("nan")
        print(
            f"{problem.name:<25}{plain.n_estep:>11}{e_steps:>11}{plain.n_estep / e_steps:>7.1f}"
            f"{plain_seconds:>8.2f}{seconds:>8.2f}{plain_seconds / seconds:>7.1f}"
            f"{peer_seconds:>10.2f}{peer_seconds / seconds:>7.1f}"
            f"{fast.objective - plain.objective:>13.2e}"
        )
        if peer:
            # scikit-learn takes plain EM's steps: the same end to rounding
            gap = abs(peer[0].lower_bound_ * X.shape[0] - plain.objective) / abs(plain.objective)
            ok = ok and gap < 1e-8
        ok = ok and fast.objective >= plain.objective - 1e-9 * abs(plain.objective)
    print(
        "EM/SQ: plain EM to its convergence, SQUAREM to the first kept point at or above "
        "plain EM's final objective; sklearn: its whole fit from the same start"
    )
    return ok


# ----------------------------------------------------------------------------- parametrisations


def _unconstrained_to(model: GaussianMixtureModel) -> np.ndarray:
    name, d = model.covariance_type.name, model.n_features
    if name in ("full", "tied"):
        lower = np.linalg.cholesky(model.covariances.reshape(-1, d, d))
        rows, cols = np.tril_indices(d, -1)
        diagonal = np.log(np.diagonal(lower, axis1=-2, axis2=-1))
        covariance = np.concatenate([diagonal, lower[:, rows, cols]], axis=1).ravel()
    else:
        covariance = np.log(model.covariances).ravel()
    log_weights = np.log(np.where(model.weights > 0, model.weights, 1.0))
    return np.concatenate([log_weights, model.means.ravel(), covariance])


def _unconstrained_from(model: GaussianMixtureModel, vector: np.ndarray) -> GaussianMixtureModel:
    k, d, name = model.n_components, model.n_features, model.covariance_type.name
    log_weights = np.where(model.weights > 0, vector[:k], -np.inf)
    weights = np.exp(log_weights - logsumexp(log_weights))
    means = vector[k : k + k * d].reshape(k, d)
    rest = vector[k + k * d :]
    if name in ("full", "tied"):
        blocks = rest.reshape(k if name == "full" else 1, -1)
        lower = np.zeros((blocks.shape[0], d, d))
        lower[:, np.arange(d), np.arange(d)] = np.exp(blocks[:, :d])
        rows, cols = np.tril_indices(d, -1)
        lower[:, rows, cols] = blocks[:, d:]
        covariances = (lower @ np.swapaxes(lower, -1, -2)).reshape(model.covariances.shape)
    else:
        covariances = np.exp(rest).reshape(model.covariances.shape)
    return GaussianMixtureModel(
        weights, means, covariances, model.covariance_type, model.assignment, model.reg_covar
    )


def parametrisations(tol: float = 1e-9) -> None:
    """E-step ratios (plain / SQUAREM) with both parametrisations on 24 mixtures."""
    natural = (GaussianMixtureModel.to_vector, GaussianMixtureModel.from_vector)
    ratios: dict[str, list[float]] = {"natural": [], "unconstrained": []}
    for covariance_type in ("full", "diag", "spherical", "tied"):
        for k, d in ((2, 2), (3, 3), (4, 2)):
            for seed in (0, 1):
                problem = Problem("", covariance_type, k, d, 1500, 0.7, seed)
                X, start = make_problem(problem)
                plain = timed_fit(start, X, tol, 20_000)[0]
                for label, (to, back) in (
                    ("natural", natural),
                    ("unconstrained", (_unconstrained_to, _unconstrained_from)),
                ):
                    GaussianMixtureModel.to_vector, GaussianMixtureModel.from_vector = to, back
                    try:
                        fast = timed_fit(start, X, tol, 20_000, accelerate="squarem")[0]
                    finally:
                        GaussianMixtureModel.to_vector, GaussianMixtureModel.from_vector = natural
                    ratios[label].append(plain.n_estep / fast.n_estep)
    for label, values in ratios.items():
        r = np.array(values)
        print(
            f"{label:<14} plain/SQUAREM E-steps over {r.size} mixtures: geometric mean "
            f"{np.exp(np.log(r).mean()):.2f}, median {np.median(r):.2f}, min {r.min():.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tol", type=float, default=1e-10)
    parser.add_argument("--max-iter", type=int, default=50_000)
    parser.add_argument("--parametrisations", action="store_true")
    args = parser.parse_args(argv)
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    if args.parametrisations:
        parametrisations()
        return 0
    if args.quick:
        ok = compare(QUICK, tol=1e-6, max_iter=2000)
    else:
        ok = compare(PROBLEMS, tol=args.tol, max_iter=args.max_iter)
    print("answers agree" if ok else "ANSWERS DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
