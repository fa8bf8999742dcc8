"""Model-based agglomerative hierarchical clustering: mclust's default start for EM.

Fraley (1998) merges, at every step, the two clusters whose union lowers the
classification likelihood least. mclust's default criterion is the
unconstrained (VVV) one, regularised so that small clusters have a value: a
cluster of ``l`` rows with scatter ``W`` costs

    ``l log(det(W / l) + beta (tr(W) + alpha) / l)``

(the determinant taken as 0 while ``l <= d``), and a merge costs the union's
value minus the two clusters'. ``alpha`` is the trace of the scatter of the
data divided by ``sqrt(n d)``, ``beta = 1``. mclust runs it on the data
centred, scaled, rotated onto its singular vectors and divided by the square
roots of the singular values (``hcUse = "SVD"``), starting from single rows;
ties go to the last pair in mclust's order of scanning.

Cost: the pairwise merge values are kept, ``O(n^2)`` memory, and each merge
updates one cluster against all others, ``O(n d^3)``: ``O(n^2 d^3)`` in all.
Above :data:`HC_MAX_ROWS` rows the clustering runs on a random subset of that
size (mclust's ``subset``), and the other rows join the cluster with the
nearest mean in the scaled space.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["HC_MAX_ROWS", "hierarchical_partitions", "svd_scaled"]

#: Rows above which the clustering runs on a random subset (mclust's ``subset`` option).
HC_MAX_ROWS = 2000


def svd_scaled(X: np.ndarray) -> np.ndarray:
    """mclust's ``hcUse = "SVD"`` transform: standardised, rotated, scaled by ``1/sqrt(s)``.

    Examples
    --------
    >>> import numpy as np
    >>> Z = svd_scaled(np.random.default_rng(0).normal(size=(50, 3)))
    >>> Z.shape
    (50, 3)
    """
    centred = X - X.mean(axis=0)
    spread = centred.std(axis=0, ddof=1)
    kept = spread > 0  # a constant column carries nothing (mclust drops it)
    standard = centred[:, kept] / spread[kept]
    _, singular, rows = np.linalg.svd(standard, full_matrices=False)
    return standard @ rows.T / np.sqrt(singular)


def _values(counts: np.ndarray, scatter: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """The regularised classification criterion of clusters (k,) with scatters (k, d, d)."""
    d = scatter.shape[-1]
    trace = np.einsum("kii->k", scatter)
    determinant = np.zeros_like(trace)
    large = counts > d
    if large.any():
        determinant[large] = np.linalg.det(scatter[large] / counts[large, None, None])
    return counts * np.log(np.maximum(determinant, 0.0) + beta * (trace + alpha) / counts)


def _merged(
    counts: np.ndarray, means: np.ndarray, scatter: np.ndarray, i: int, others: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts, means and scatters of cluster ``i`` joined with each of ``others``."""
    n = counts[i] + counts[others]
    delta = means[others] - means[i]
    factor = counts[i] * counts[others] / n
    joined = (
        scatter[i] + scatter[others] + factor[:, None, None] * np.einsum("ki,kj->kij", delta, delta)
    )
    mean = (counts[i] * means[i] + counts[others, None] * means[others]) / n[:, None]
    return n, mean, joined


def _merge_sequence(
    Z: np.ndarray, alpha: float, beta: float, sizes: set[int]
) -> dict[int, np.ndarray]:
    """Labels of the rows when the merges reach each number of clusters in ``sizes``."""
    n_rows, d = Z.shape
    m = n_rows  # every row its own cluster (identical rows are the first merges)
    counts = np.ones(m)
    means = np.array(Z, dtype=float)
    scatter = np.zeros((m, d, d))
    slot_of_row = np.arange(m)
    values = _values(counts, scatter, alpha, beta)
    cost = np.full((m, m), np.inf)
    for i in range(m - 1):
        others = np.arange(i + 1, m)
        n, _, joined = _merged(counts, means, scatter, i, others)
        cost[i, others] = _values(n, joined, alpha, beta) - values[i] - values[others]
        cost[others, i] = cost[i, others]
    stop = min(sizes)
    labels_by_size: dict[int, np.ndarray] = {}
    members = slot_of_row.copy()
    # per column j: the smallest cost over rows i < j, and the last such row (mclust's ties)
    column_min = np.full(m, np.inf)
    column_row = np.zeros(m, dtype=np.intp)

    def refresh(columns: Iterable[int]) -> None:
        for c in columns:
            if c == 0:
                column_min[c], column_row[c] = np.inf, 0
                continue
            values_c = cost[:c, c]
            low = values_c.min()
            column_min[c] = low
            column_row[c] = int(np.flatnonzero(values_c == low)[-1])

    refresh(range(m))
    while m > stop:
        if m in sizes:
            labels_by_size[m] = members.copy()
        best = column_min[:m].min()
        j = int(np.flatnonzero(column_min[:m] == best)[-1])
        i = int(column_row[j])
        n, mean, joined = _merged(counts, means, scatter, i, np.array([j]))
        counts[i], means[i], scatter[i] = n[0], mean[0], joined[0]
        values[i] = _values(n, joined, alpha, beta)[0]
        members[members == j] = i
        last = m - 1
        if j != last:  # the last cluster takes the freed place
            counts[j], means[j], scatter[j], values[j] = (
                counts[last],
                means[last],
                scatter[last],
                values[last],
            )
            cost[j, :] = cost[last, :]
            cost[:, j] = cost[:, last]
            cost[j, j] = np.inf
            members[members == last] = j
        m -= 1
        cost[m, :] = np.inf
        cost[:, m] = np.inf
        column_min[m] = np.inf
        others = np.array([k for k in range(m) if k != i])
        if others.size:
            n, _, joined = _merged(counts, means, scatter, i, others)
            cost[i, others] = _values(n, joined, alpha, beta) - values[i] - values[others]
            cost[others, i] = cost[i, others]
        # columns whose minimum may have moved: i and j themselves, those whose minimum
        # sat in row i or j, and those where row i or j now holds a new minimum
        stale = {i, j} if j < m else {i}
        for row in stale.copy():
            later = np.arange(row + 1, m)
            new = cost[row, later]
            won = (new < column_min[later]) | (
                (new == column_min[later]) & (row > column_row[later])
            )
            column_min[later[won]] = new[won]
            column_row[later[won]] = row
            lost = later[~won & (column_row[later] == row)]
            stale.update(int(c) for c in lost)
        refresh(c for c in stale if c < m)
    labels_by_size[m] = members.copy()
    return labels_by_size


def hierarchical_partitions(
    X: np.ndarray,
    n_clusters: Iterable[int],
    *,
    random_state: np.random.Generator | None = None,
    alpha: float = 1.0,
    beta: float = 1.0,
) -> dict[int, np.ndarray]:
    """mclust's hierarchical partitions of ``X`` into each number of clusters asked for.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Complete rows.
    n_clusters : iterable of int
    random_state : numpy.random.Generator, optional
        Draws the subset above :data:`HC_MAX_ROWS` rows.
    alpha, beta : float, default=1
        mclust's ``hcVVV`` arguments (``alpha`` scales the data's trace).

    Returns
    -------
    dict of int to ndarray of shape (n_samples,)
        Labels ``0 .. k - 1`` for every ``k``, computed from one merge sequence.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.2], [5.0, 5.1]])
    >>> hierarchical_partitions(X, [2])[2]
    array([0, 0, 1, 1, 1])
    """
    ks = sorted({int(k) for k in n_clusters})
    n_rows = X.shape[0]
    Z = svd_scaled(np.asarray(X, dtype=float))
    rows = np.arange(n_rows)
    if n_rows > HC_MAX_ROWS:
        rng = random_state if random_state is not None else np.random.default_rng()
        rows = np.sort(rng.choice(n_rows, HC_MAX_ROWS, replace=False))
    subset = Z[rows]
    n, d = subset.shape
    centred = subset - subset.mean(axis=0)
    scaled_alpha = max(alpha * float(np.sum(centred**2)) / (n * d), np.finfo(float).eps)
    # more clusters than rows: every row its own
    sizes = {min(k, n) for k in ks}
    labels_by_size = _merge_sequence(subset, scaled_alpha, beta, sizes)
    out = {}
    for k in ks:
        labels = _by_first_row(labels_by_size[min(k, n)])
        if rows.size < n_rows:
            centres = np.stack([subset[labels == c].mean(axis=0) for c in range(labels.max() + 1)])
            nearest = np.argmin(((Z[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
            nearest[rows] = labels
            labels = nearest
        out[k] = labels
    return out


def _by_first_row(labels: np.ndarray) -> np.ndarray:
    """Labels ``0 .. k - 1``, the clusters numbered by their first row."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first)
    mapping = np.empty_like(order)
    mapping[order] = np.arange(order.size)
    return mapping[inverse.ravel()]
