"""Starting responsibilities for Gaussian mixtures: k-means++, k-means, random.

Every method returns responsibilities of shape (n_samples, n_components); the
starting parameters are the M-step of those responsibilities. Distances are
computed on data centred and scaled by one number, so data far from the origin
(``X + 1e8``) or at extreme scales (``1e150 * X``) seed as well as ``X``.
"""

from __future__ import annotations

import math

import numpy as np

from latentem.core.parallel import single_threaded_blas
from latentem.core.validation import check_option
from latentem.mixture.hierarchical import hierarchical_partitions

__all__ = ["INIT_METHODS", "initial_responsibilities", "kmeans", "kmeans_plusplus"]

INIT_METHODS = ("k-means++", "kmeans", "random", "random_from_data", "hc")


class _Points:
    """Rows centred on the column means and divided by the largest absolute deviation.

    They are kept feature-major and augmented with their squared norms and a
    row of ones, so that one matrix product gives squared distances.
    """

    def __init__(self, X: np.ndarray) -> None:
        n_samples, n_features = X.shape
        self.augmented = np.empty((n_features + 2, n_samples))
        rows = self.augmented[:n_features]
        np.subtract(X.T, X.mean(axis=0)[:, None], out=rows)
        scale = np.max(np.abs(rows)) if rows.size else 0.0
        if scale > 0:
            rows /= scale
        self.augmented[n_features] = np.einsum("ij,ij->j", rows, rows)
        self.augmented[n_features + 1] = 1.0
        self.rows = rows

    @property
    def n_samples(self) -> int:
        return int(self.rows.shape[1])

    def distances(self, centres: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``|x_i - c_j|^2`` into ``out`` (m, n_samples) for centres (m, d), clipped at 0."""
        weights = np.empty((centres.shape[0], centres.shape[1] + 2))
        weights[:, :-2] = -2.0 * centres
        weights[:, -2] = 1.0
        weights[:, -1] = np.einsum("ij,ij->i", centres, centres)
        np.matmul(weights, self.augmented, out=out)
        return np.maximum(out, 0.0, out=out)

    def distances_to_rows(self, indices: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Squared distances of every row to the rows ``indices``, shape (m, n_samples)."""
        return self.distances(self.rows[:, indices].T, out)


def kmeans_plusplus(X: np.ndarray, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n_clusters`` rows chosen by greedy k-means++ seeding.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    rng : numpy.random.Generator

    Returns
    -------
    indices : ndarray of shape (n_clusters,)
        Distinct row indices.

    Notes
    -----
    Arthur & Vassilvitskii (2007): each new centre is drawn with probability
    proportional to the squared distance to the nearest centre chosen so far;
    the greedy variant draws ``2 + log(k)`` candidates and keeps the one that
    lowers the total potential most. When every remaining point coincides
    with a centre (zero potential), the next centre is drawn uniformly among
    the rows not chosen yet.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [10.0], [10.1]])
    >>> sorted(X[kmeans_plusplus(X, 2, np.random.default_rng(0))].ravel().tolist())
    [0.0, 10.0]
    """
    return _kmeans_plusplus(_Points(X), n_clusters, rng)


def _kmeans_plusplus(points: _Points, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    n_samples = points.n_samples
    n_trials = 2 + int(math.log(n_clusters))
    chosen = np.zeros(n_samples, dtype=bool)
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.integers(n_samples)
    chosen[indices[0]] = True
    trial = np.empty((n_trials, n_samples))
    with single_threaded_blas():
        closest = points.distances_to_rows(indices[:1], trial[:1])[0].copy()
        for c in range(1, n_clusters):
            potential = closest.sum()
            if potential <= 0.0:
                indices[c] = rng.choice(np.flatnonzero(~chosen))
            else:
                targets = rng.random(n_trials) * potential
                candidates = np.searchsorted(np.cumsum(closest), targets)
                candidates = np.minimum(candidates, n_samples - 1)
                points.distances_to_rows(candidates, trial)
                np.minimum(trial, closest, out=trial)
                scores = trial.sum(axis=1)
                scores[chosen[candidates]] = np.inf
                best = int(np.argmin(scores))
                if not np.isfinite(scores[best]):
                    indices[c] = rng.choice(np.flatnonzero(~chosen))
                else:
                    indices[c] = candidates[best]
            chosen[indices[c]] = True
            new = points.distances_to_rows(indices[c : c + 1], trial[:1])
            np.minimum(closest, new[0], out=closest)
    return indices


def kmeans(
    X: np.ndarray,
    n_clusters: int,
    rng: np.random.Generator,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
) -> np.ndarray:
    """Cluster labels from Lloyd's k-means started by :func:`kmeans_plusplus`.

    Returns
    -------
    labels : ndarray of shape (n_samples,)

    Notes
    -----
    Stops when the centres move by less than ``tol`` times the mean variance
    of the (standardised) data, or after ``max_iter`` iterations. An empty
    cluster is moved to the point farthest from its centre, so every cluster
    keeps at least one point when the data have at least ``n_clusters``
    distinct rows.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.2], [5.0], [5.2]])
    >>> labels = kmeans(X, 2, np.random.default_rng(0))
    >>> bool(labels[0] == labels[1] != labels[2] == labels[3])
    True
    """
    return _kmeans(_Points(X), n_clusters, rng, max_iter=max_iter, tol=tol)


def _kmeans(
    points: _Points, n_clusters: int, rng: np.random.Generator, *, max_iter: int, tol: float
) -> np.ndarray:
    rows, n_samples = points.rows, points.n_samples
    centres = rows[:, _kmeans_plusplus(points, n_clusters, rng)].T.copy()
    threshold = tol * float(np.mean(np.var(rows, axis=1)))
    distances = np.empty((n_clusters, n_samples))
    everyone = np.arange(n_samples)
    with single_threaded_blas():
        for _ in range(max_iter):
            points.distances(centres, distances)
            labels = np.argmin(distances, axis=0)
            counts = np.bincount(labels, minlength=n_clusters)
            sums = np.column_stack(
                [np.bincount(labels, weights=feature, minlength=n_clusters) for feature in rows]
            )
            new_centres = np.where(
                counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centres
            )
            for empty in np.flatnonzero(counts == 0):
                farthest = int(np.argmax(distances[labels, everyone]))
                new_centres[empty] = rows[:, farthest]
                distances[:, farthest] = 0.0
            shift = float(np.sum((new_centres - centres) ** 2))
            centres = new_centres
            if shift <= threshold:
                break
        return np.argmin(points.distances(centres, distances), axis=0)


def initial_responsibilities(
    X: np.ndarray, n_components: int, method: str, rng: np.random.Generator
) -> np.ndarray:
    """Starting responsibilities of shape (n_samples, n_components).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    method : {"k-means++", "kmeans", "random", "random_from_data", "hc"}
        ``"hc"``: mclust's default, the partition of model-based hierarchical
        clustering (:mod:`latentem.mixture.hierarchical`);
        ``"k-means++"``: every row assigned to its nearest k-means++ seed;
        ``"kmeans"``: k-means labels; ``"random"``: uniform random
        responsibilities normalised per row; ``"random_from_data"``: every
        row assigned to its nearest of ``n_components`` distinct rows drawn
        uniformly.
    rng : numpy.random.Generator

    Notes
    -----
    scikit-learn gives a k-means++ or random seed responsibility for its own
    row only, so its starting covariances are ``reg_covar`` times the
    identity; assigning every row to its nearest seed gives starting
    covariances of the seeds' cells instead, which works with
    ``reg_covar=0`` too.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(10.0).reshape(5, 2)
    >>> resp = initial_responsibilities(X, 2, "random_from_data", np.random.default_rng(0))
    >>> resp.sum(axis=1)
    array([1., 1., 1., 1., 1.])
    """
    check_option(method, "init_params", INIT_METHODS)
    n_samples = X.shape[0]
    if method == "random":
        resp = rng.uniform(size=(n_samples, n_components))
        return resp / resp.sum(axis=1, keepdims=True)
    if method == "hc":
        labels = hierarchical_partitions(X, [n_components], random_state=rng)[n_components]
        return np.eye(n_components)[labels]
    points = _Points(X)
    if method == "kmeans":
        labels = _kmeans(points, n_components, rng, max_iter=300, tol=1e-4)
    else:
        if method == "k-means++":
            seeds = _kmeans_plusplus(points, n_components, rng)
        else:
            seeds = rng.choice(n_samples, n_components, replace=False)
        labels = _nearest_seed(points, seeds)
    resp = np.zeros((n_samples, n_components))
    resp[np.arange(n_samples), labels] = 1.0
    return resp


def _nearest_seed(points: _Points, seeds: np.ndarray) -> np.ndarray:
    """Index of the nearest seed for every row; a seed always keeps its own row."""
    distances = np.empty((seeds.size, points.n_samples))
    with single_threaded_blas():
        points.distances_to_rows(seeds, distances)
    labels = np.argmin(distances, axis=0)
    labels[seeds] = np.arange(seeds.size)
    return labels
