"""Measure issue 16: batch-independent inference and fits exact wherever clusters lie.

Item 1: one row of magnitude ``m`` (1e6 to 1e200) joins a batch of 20 ordinary
rows; how far it moves the others' log-densities, and whether any answer is NaN.
Item 2: two unit clusters ``10^k`` apart (k = 3..12) are fitted from their true
means with ``reg_covar=0``; the error of the fitted covariances against the
maximum-likelihood update of the fit's own responsibilities, computed by
explicit differences, relative to the clusters' spread. These are the figures
quoted in the changelog.

Usage::

    PYTHONPATH=. python scripts/exactness.py      # a few seconds
"""

from __future__ import annotations

import warnings

import numpy as np

from latentem import GaussianMixture


def batch_independence(rng: np.random.Generator) -> None:
    X = np.concatenate([rng.normal(0, 1, (200, 2)), rng.normal(5, 1, (200, 2))])
    gm = GaussianMixture(2, random_state=0).fit(X)
    rows = X[:20]
    alone = gm.score_samples(rows)
    print("item 1: one row of magnitude m in a batch of 20 ordinary rows (full)")
    for m in (1e6, 1e8, 1e10, 1e155, 1e200):
        batch = np.vstack([rows, [[m, m]]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            scores, proba = gm.score_samples(batch), gm.predict_proba(batch)
            changed = int(np.sum(gm.predict(batch)[:-1] != gm.predict(rows)))
        moved = np.max(np.abs(scores[:-1] - alone) / np.abs(alone))
        print(
            f"  {m:8.0e}: the others' scores moved {moved:.1e} (relative), {changed} labels "
            f"changed, {int(np.isnan(proba).any(axis=1).sum())} NaN posteriors; "
            f"its own score {scores[-1]:.4g}"
        )


def far_clusters(rng: np.random.Generator) -> None:
    A, B = rng.normal(size=(200, 2)), rng.normal(size=(200, 2))
    print("item 2: two unit clusters 10^k apart, GaussianMixture(2, reg_covar=0)")
    for k in range(3, 13):
        Y = np.vstack([A, B + 10.0**k])
        for structure in ("full", "diag"):
            gm = GaussianMixture(
                2, covariance_type=structure, reg_covar=0.0, means_init=[[0.0, 0.0], [10.0**k] * 2]
            )
            try:
                gm.fit(Y)
            except ValueError as error:
                print(f"  10^{k:<2} {structure:4}: refused ({str(error)[330:400]}...)")
                continue
            resp = gm.predict_proba(Y)
            exact = []
            for j in range(2):
                differences = Y - Y[np.argmax(resp[:, j])]  # exact for rows near each other
                differences -= resp[:, j] @ differences / resp[:, j].sum()
                exact.append((resp[:, j, None] * differences).T @ differences / resp[:, j].sum())
            expected = np.array(exact) * (np.eye(2) if structure == "diag" else 1.0)
            ours = gm.model_.covariance_type.full_matrices(gm.covariances_, 2, 2)
            scale = np.sqrt(np.einsum("kii->ki", expected))
            error = np.max(np.abs(ours - expected) / (scale[:, :, None] * scale[:, None, :]))
            print(f"  10^{k:<2} {structure:4}: covariances off by {error:.1e} of the spread")


def main() -> None:
    rng = np.random.default_rng(0)
    batch_independence(rng)
    far_clusters(rng)


if __name__ == "__main__":
    main()
