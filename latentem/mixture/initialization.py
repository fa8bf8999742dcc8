"""Starting responsibilities for Gaussian mixtures: k-means++, k-means, random.

Every method returns responsibilities of shape (n_samples, n_components); the
starting parameters are the M-step of those responsibilities. Distances are
computed on data centred and scaled by one number, so data far from the origin
(``X + 1e8``) or at extreme scales (``1e150 * X``) seed as well as ``X``.
"""

from __future__ import annotations

import math

import numpy as np

from latentem.core.validation import check_option

__all__ = ["INIT_METHODS", "initial_responsibilities", "kmeans", "kmeans_plusplus"]

INIT_METHODS = ("k-means++", "kmeans", "random", "random_from_data")


def _standardise(X: np.ndarray) -> np.ndarray:
    """Centre on the column means and divide by the largest absolute deviation."""
    centred = X - X.mean(axis=0)
    scale = np.max(np.abs(centred))
    return centred / scale if scale > 0 else centred


def _squared_distances(X: np.ndarray, sq_norms: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """``|x_i - c_j|^2`` of shape (n, m) via one matrix product, clipped at zero."""
    distances = sq_norms[:, None] - 2.0 * (X @ centres.T) + np.einsum("ij,ij->i", centres, centres)
    return np.maximum(distances, 0.0)


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
    Xs = _standardise(X)
    n_samples = Xs.shape[0]
    sq_norms = np.einsum("ij,ij->i", Xs, Xs)
    n_trials = 2 + int(math.log(n_clusters))
    chosen = np.zeros(n_samples, dtype=bool)
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.integers(n_samples)
    chosen[indices[0]] = True
    closest = _squared_distances(Xs, sq_norms, Xs[indices[:1]])[:, 0]
    for c in range(1, n_clusters):
        potential = closest.sum()
        if potential <= 0.0:
            indices[c] = rng.choice(np.flatnonzero(~chosen))
        else:
            targets = rng.random(n_trials) * potential
            candidates = np.searchsorted(np.cumsum(closest), targets)
            candidates = np.minimum(candidates, n_samples - 1)
            trial = np.minimum(closest[None, :], _squared_distances(Xs, sq_norms, Xs[candidates]).T)
            scores = trial.sum(axis=1)
            scores[chosen[candidates]] = np.inf
            best = int(np.argmin(scores))
            if not np.isfinite(scores[best]):
                indices[c] = rng.choice(np.flatnonzero(~chosen))
            else:
                indices[c] = candidates[best]
        chosen[indices[c]] = True
        closest = np.minimum(
            closest, _squared_distances(Xs, sq_norms, Xs[indices[c : c + 1]])[:, 0]
        )
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
    Xs = _standardise(X)
    sq_norms = np.einsum("ij,ij->i", Xs, Xs)
    centres = Xs[kmeans_plusplus(X, n_clusters, rng)]
    threshold = tol * float(np.mean(np.var(Xs, axis=0)))
    labels = np.zeros(Xs.shape[0], dtype=np.intp)
    for _ in range(max_iter):
        distances = _squared_distances(Xs, sq_norms, centres)
        labels = np.argmin(distances, axis=1)
        counts = np.bincount(labels, minlength=n_clusters)
        sums = np.zeros_like(centres)
        np.add.at(sums, labels, Xs)
        new_centres = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centres)
        for empty in np.flatnonzero(counts == 0):
            farthest = int(np.argmax(distances[np.arange(Xs.shape[0]), labels]))
            new_centres[empty] = Xs[farthest]
            distances[farthest] = 0.0
        shift = float(np.sum((new_centres - centres) ** 2))
        centres = new_centres
        if shift <= threshold:
            break
    return np.argmin(_squared_distances(Xs, sq_norms, centres), axis=1)


def initial_responsibilities(
    X: np.ndarray, n_components: int, method: str, rng: np.random.Generator
) -> np.ndarray:
    """Starting responsibilities of shape (n_samples, n_components).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    method : {"k-means++", "kmeans", "random", "random_from_data"}
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
    resp = np.zeros((n_samples, n_components))
    if method == "random":
        resp = rng.uniform(size=(n_samples, n_components))
        return resp / resp.sum(axis=1, keepdims=True)
    if method == "kmeans":
        labels = kmeans(X, n_components, rng)
    else:
        if method == "k-means++":
            seeds = kmeans_plusplus(X, n_components, rng)
        else:
            seeds = rng.choice(n_samples, n_components, replace=False)
        labels = _nearest_seed(X, seeds)
    resp[np.arange(n_samples), labels] = 1.0
    return resp


def _nearest_seed(X: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Index of the nearest seed for every row; a seed always keeps its own row."""
    Xs = _standardise(X)
    distances = _squared_distances(Xs, np.einsum("ij,ij->i", Xs, Xs), Xs[seeds])
    labels = np.argmin(distances, axis=1)
    labels[seeds] = np.arange(seeds.size)
    return labels
