"""How far GaussianMixture(dtype=float32) lands from the float64 fit, from the same start.

For every case of ``bench_gmm.py``: 10 EM iterations in each precision from
one start; prints the relative differences of ``lower_bound_`` (last and
largest over the iterations), weights, means and covariances (largest
difference over the largest value), the share of rows labelled differently,
and the largest relative drop of the float32 objective over 300 iterations on
the first 30,000 rows (float32 rounding alone can lower it).

Run from the repository root::

    PYTHONPATH=. python benchmarks/accuracy_float32.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gmm import CASES, QUICK_CASES, Case, common_start, make_data

import latentem
from latentem.mixture import GaussianMixtureModel


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def largest_drop(case: Case, n_iter: int) -> float:
    """Largest relative decrease of the float32 objective over ``n_iter`` iterations."""
    small = Case(case.name, min(case.n_samples, 30_000), case.n_features, case.n_components,
                 case.covariance_type, case.target)  # fmt: skip
    X = make_data(small)
    start = GaussianMixtureModel.from_data(
        X, case.n_components, covariance_type=case.covariance_type, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = latentem.EM(max_iter=n_iter, tol=0).fit(start, start.prepare(X, dtype=np.float32))
    h = history.history
    return float(np.max((h[:-1] - h[1:]) / np.abs(h[1:])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    cases = QUICK_CASES if args.quick else CASES
    print(
        f"{'case':<16}{'lower_bound_':>13}{'(worst it.)':>12}{'weights':>9}{'means':>9}"
        f"{'covs':>9}{'labels':>9}{'drop f32':>10}"
    )
    for case in cases:
        X = make_data(case)
        settings = dict(
            covariance_type=case.covariance_type, tol=0.0, max_iter=10, **common_start(X, case)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exact = latentem.GaussianMixture(case.n_components, **settings).fit(X)
            single = latentem.GaussianMixture(case.n_components, dtype=np.float32, **settings).fit(
                X
            )
        bound = abs(single.lower_bound_ - exact.lower_bound_) / abs(exact.lower_bound_)
        worst = max(
            abs(a - b) / abs(b)
            for a, b in zip(single.lower_bounds_, exact.lower_bounds_, strict=True)
        )
        labels = float(np.mean(single.predict(X) != exact.predict(X)))
        drop = largest_drop(case, 50 if args.quick else 300)
        print(
            f"{case.name:<16}{bound:>13.1e}{worst:>12.1e}"
            f"{_relative(single.weights_, exact.weights_):>9.1e}"
            f"{_relative(single.means_, exact.means_):>9.1e}"
            f"{_relative(single.covariances_, exact.covariances_):>9.1e}"
            f"{labels:>9.1e}{drop:>10.1e}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
