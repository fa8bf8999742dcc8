"""Measure the degenerate-fit rule on mclust's fixtures: where it fires, and its margin.

Every registered structure is fitted for k = 1..9 to ``faithful`` and ``iris``
(``tests/fixtures/mclust``) with the default ``reg_covar``, as ``select_model``
fits them (``tol=1e-6``, ``max_iter=1000``), from k-means++ starts
(``random_state=0``) and from mclust's hierarchical start. For each start it
prints the fits :class:`~latentem.DegenerateFitWarning` is given for, the
largest smallest-variance among their collapsed components and the nearest
fits that do not fire, in units of ``reg_covar`` (the rule fires at 2).
These are the figures quoted in ``latentem/mixture/degenerate.py``.

Usage::

    python scripts/degenerate_fits.py      # about two minutes on two cores
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

import latentem
from latentem.mixture.covariance import COVARIANCE_TYPES

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mclust"


def _smallest(gm: latentem.GaussianMixture) -> np.ndarray:
    model = gm.model_
    weakest = model.covariance_type.weakest_variances(
        model.covariances, model.n_components, model.n_features
    )
    return weakest.variance / model.reg_covar


def measure(init: str) -> None:
    fired, healthy, failed = [], [], []
    for data in ("faithful", "iris"):
        X = np.loadtxt(FIXTURES / f"{data}.csv", delimiter=",", skiprows=1)
        for name in COVARIANCE_TYPES:
            for k in range(1, 10):
                gm = latentem.GaussianMixture(
                    k,
                    covariance_type=name,
                    init_params=init,
                    random_state=0,
                    tol=1e-6,
                    max_iter=1000,
                )
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        gm.fit(X)
                    except ValueError as error:
                        failed.append(f"{data} {name} k={k}: {error}")
                        continue
                smallest = _smallest(gm)
                cell = f"{data} {name} k={k}"
                if any(issubclass(w.category, latentem.DegenerateFitWarning) for w in caught):
                    collapsed = gm.degenerate_components_
                    fired.append((float(smallest[collapsed].max()), cell, collapsed.tolist()))
                else:
                    healthy.append((float(smallest.min()), cell))
    total = len(fired) + len(healthy) + len(failed)
    print(f"{init}: the warning fires on {len(fired)} of {total} fits ({len(failed)} failed)")
    for ratio, cell, collapsed in sorted(fired):
        print(f"  {cell}: components {collapsed}, smallest variance {ratio:.3g} reg_covar")
    print("  nearest fits without the warning:")
    for ratio, cell in sorted(healthy)[:5]:
        print(f"  {cell}: smallest variance {ratio:.3g} reg_covar")
    for line in failed:
        print("  failed:", line)


if __name__ == "__main__":
    for start in ("k-means++", "hc"):
        measure(start)
