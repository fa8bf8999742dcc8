"""Baum-Welch: latentem's GaussianHMM against hmmlearn's, side by side in one run.

Two cases (diagonal covariances, K states, D features, a fixed number of
iterations from the same start): one long sequence, and many short ones.
Every repeat times hmmlearn's "log" and "scaling" implementations and
latentem in turn, so a busy machine slows all three alike; the fitted
parameters and log-likelihoods are checked to agree before any ratio is
printed.

    PYTHONPATH=. python benchmarks/bench_hmm.py            # full sizes (about a minute)
    PYTHONPATH=. python benchmarks/bench_hmm.py --quick    # tiny sizes (smoke test)
    PYTHONPATH=. python benchmarks/bench_hmm.py --covariance full

``--json PATH`` also writes the best times per case and contender.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import latentem

CASES = {
    "one sequence": {"lengths": [100_000]},
    "many sequences": {"lengths": [100] * 1_000},
}
QUICK_CASES = {
    "one sequence": {"lengths": [4_000]},
    "many sequences": {"lengths": [50] * 40},
}


def starting_covariances(covariance: str, n_states: int, n_features: int) -> np.ndarray:
    """``2 I`` for every state, in hmmlearn's layout of ``covars_`` for ``covariance``."""
    identity = 2.0 * np.eye(n_features)
    return {
        "full": np.repeat(identity[None], n_states, axis=0),
        "diag": np.full((n_states, n_features), 2.0),
        "spherical": np.full(n_states, 2.0),
        "tied": identity,
    }[covariance]


def make_problem(
    lengths: list[int], n_states: int, n_features: int, seed: int, covariance: str = "diag"
) -> dict[str, Any]:
    """Data sampled from a sticky HMM and a starting point away from the truth."""
    rng = np.random.default_rng(seed)
    K, D = n_states, n_features
    transmat = 0.8 * np.eye(K) + 0.2 * rng.dirichlet(np.ones(K), size=K)
    truth = latentem.hmm.HiddenMarkovModel(
        startprob=np.full(K, 1.0 / K),
        transmat=transmat / transmat.sum(axis=1, keepdims=True),
        emissions=latentem.hmm.GaussianEmissions(
            rng.normal(scale=3.0, size=(K, D)), rng.uniform(0.5, 2.0, size=(K, D)), "diag"
        ),
    )
    pieces = [truth.sample(n, random_state=rng)[0] for n in lengths]
    start = {
        "startprob_": np.full(K, 1.0 / K),
        "transmat_": np.full((K, K), 1.0 / K) * 0.5 + 0.5 * np.eye(K),
        "means_": np.asarray(truth.emissions.means) + rng.normal(scale=1.0, size=(K, D)),
        "covars_": starting_covariances(covariance, K, D),
    }
    return {"X": np.concatenate(pieces), "lengths": lengths, "start": start}


def fit(estimator: Any, problem: dict[str, Any]) -> tuple[float, Any]:
    for name, value in problem["start"].items():
        setattr(estimator, name, value.copy())
    begin = time.perf_counter()
    estimator.fit(problem["X"], problem["lengths"])
    return time.perf_counter() - begin, estimator


def contenders(
    n_states: int, n_iter: int, covariance: str = "diag"
) -> dict[str, Callable[[], Any]]:
    from hmmlearn import hmm

    common = {"n_components": n_states, "covariance_type": covariance, "init_params": ""}
    return {
        # tol=-inf: hmmlearn also stops on a decrease when tol=0; run exactly n_iter
        "hmmlearn log": lambda: hmm.GaussianHMM(
            **common, n_iter=n_iter, tol=-np.inf, implementation="log"
        ),
        "hmmlearn scaling": lambda: hmm.GaussianHMM(
            **common, n_iter=n_iter, tol=-np.inf, implementation="scaling"
        ),
        "latentem": lambda: latentem.GaussianHMM(**common, n_iter=n_iter, tol=0.0),
    }


def check_agreement(fitted: dict[str, Any], problem: dict[str, Any]) -> float:
    """Largest relative difference to hmmlearn's log implementation; raises if above 1e-6."""
    reference = fitted["hmmlearn log"]
    worst = 0.0
    for name, estimator in fitted.items():
        for attribute in ("startprob_", "transmat_", "means_", "covars_"):
            a = np.asarray(getattr(estimator, attribute))
            b = np.asarray(getattr(reference, attribute))
            scale = np.maximum(np.abs(b), 1e-8)
            worst = max(worst, float(np.max(np.abs(a - b) / scale)))
        a = estimator.score(problem["X"], problem["lengths"])
        b = reference.score(problem["X"], problem["lengths"])
        worst = max(worst, abs(a - b) / abs(b))
        if worst > 1e-6:
            raise AssertionError(
                f"{name} disagrees with hmmlearn log: relative difference {worst:.3g}"
            )
    return worst


def machine() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("n/a",)
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {', '.join(f'{x:.2f}' for x in load)}, numpy {np.__version__}"
    )


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits per contender")
    parser.add_argument("--states", type=int, default=8)
    parser.add_argument("--features", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument(
        "--covariance", choices=["diag", "full", "spherical", "tied"], default="diag"
    )
    parser.add_argument("--json", default=None, help="also write the best times to this file")
    args = parser.parse_args(argv)
    logging.getLogger("hmmlearn").setLevel(logging.ERROR)
    warnings.simplefilter("ignore", latentem.ConvergenceWarning)
    repeats = 1 if args.quick else args.repeats
    cases = QUICK_CASES if args.quick else CASES
    print(f"machine: {machine()}")
    print(
        f"K={args.states} states, D={args.features} features, {args.covariance} covariances, "
        f"{args.iterations} Baum-Welch iterations, best of {repeats} alternating repeats"
    )
    results: dict[str, dict[str, float]] = {}
    for case, spec in cases.items():
        problem = make_problem(
            spec["lengths"], args.states, args.features, seed=0, covariance=args.covariance
        )
        makers = contenders(args.states, args.iterations, args.covariance)
        times: dict[str, list[float]] = {name: [] for name in makers}
        fitted: dict[str, Any] = {}
        for _ in range(repeats):
            for name, make in makers.items():
                seconds, fitted[name] = fit(make(), problem)
                times[name].append(seconds)
        worst = check_agreement(fitted, problem)
        best = {name: min(values) for name, values in times.items()}
        n_seq, n_rows = len(spec["lengths"]), int(sum(spec["lengths"]))
        print(f"\n{case}: {n_seq} sequence(s), {n_rows} rows; answers agree within {worst:.1e}")
        for name, seconds in best.items():
            print(f"  {name:18s} {seconds:8.3f} s")
        for name in ("hmmlearn log", "hmmlearn scaling"):
            print(f"  speed-up over {name:18s} {best[name] / best['latentem']:6.1f}x")
        results[case] = best
    print(f"\nmachine after: {machine()}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out)
    return results


if __name__ == "__main__":
    main()
