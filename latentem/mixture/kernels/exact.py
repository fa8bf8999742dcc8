"""The exact path: log-densities and moments by explicit differences, in data units.

The kernels' expanded quadratic forms lose about ``eps |y|^2`` (in units of a
component's spread) on a row at distance ``|y|`` from the frame's centre, and
their statistics about ``eps n |m|^2`` on a component whose mean ``m`` lies far
from it. The rows and components concerned are few, or the problem is one
the expansion cannot serve at all (clusters millions of deviations apart);
this module evaluates them without expanding anything:

* :func:`exact_joint`: ``log w_k + log N(x | mu_k, Sigma_k)`` from ``U_k^T (x -
  mu_k)``, every row scaled by a power of two first so that nothing overflows:
  a row of 1e200 gets its own (very negative, or ``-inf`` when below the most
  negative float) log-density. Asked to be ``deterministic`` (for inference),
  every number of a row is computed by the same operations whatever other rows
  come with it.
* :func:`limit_joint`: for a row whose log-density is below the most negative
  float under every component, finite stand-ins that give its posterior in the
  limit: the components with the largest variance along the row's direction
  share it in proportion to their weights.
* :func:`exact_moments`: a component's count, first and second moments about
  a reference point near its mean, from the rows as given; :class:`ExactMoments`
  sums them over the blocks of a pass, and :func:`lost_digits` finds the
  components whose moments summed about the frame's centre lost digits
  (the passes then sum theirs here, see :mod:`~latentem.mixture.kernels.passes`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import lapack

from latentem.mixture.kernels.base import Components

__all__ = [
    "CANCELLATION_LIMIT",
    "LIMIT_TIE",
    "ExactMoments",
    "exact_joint",
    "exact_moments",
    "limit_joint",
    "lost_digits",
]

_LOG_2PI = math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)

#: Components whose ``log |U^T (x - mu)|^2`` are within this of the smallest share the
#: limit posterior of a row beyond the floats (their difference is rounding).
LIMIT_TIE = 2.0**-30

#: Moments summed about a point ``c`` and centred afterwards lose about ``eps n (mu -
#: c)^T S^-1 (mu - c)`` of a component's scatter ``S``, relative (``n`` its count, ``mu``
#: its mean). A component for which that factor exceeds this has its moments summed
#: about its own mean instead: float64 statistics then keep about 10 digits or more.
CANCELLATION_LIMIT = 2.0**20


def _exponents(values: np.ndarray) -> np.ndarray:
    """Per entry ``e`` with ``|value| < 2^e`` (0 for 0), as int."""
    _, exponent = np.frexp(values)
    return exponent.astype(np.int64)


def _whiten(differences: np.ndarray, factor: np.ndarray, deterministic: bool) -> np.ndarray:
    """``U^T D`` for every row of ``differences`` (m, d).

    ``factor`` is a component's (d, d) factor ``U`` or its (d,) diagonal. One
    matrix product for all rows rounds a row differently depending on how many
    come with it (BLAS kernels block them), so ``deterministic`` makes one
    vector-matrix product per row instead (numpy's stacked matmul).
    """
    if factor.ndim == 1:
        return differences * factor
    if deterministic:
        return np.matmul(differences[:, None, :], factor)[:, 0, :]
    return differences @ factor


def exact_joint(
    X: np.ndarray,
    components: Components,
    factors: np.ndarray,
    which: np.ndarray | None = None,
    deterministic: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``log w_k + log N(x_i | mu_k, Sigma_k)`` by explicit differences, and the squared distances.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        Rows in data units, finite.
    components : Components
        The parameters in the kernel's layout.
    factors : ndarray of shape (n_components, n_features[, n_features])
        Each component's precision factor ``U_k`` (``Sigma_k^-1 = U_k U_k^T``),
        or its diagonal.
    which : ndarray of int, optional
        The components to evaluate (default: all).
    deterministic : bool, default=True
        Evaluate each row by the same operations whatever rows come with it
        (slower for wide rows); False for a fit's passes.

    Returns
    -------
    joint : ndarray of shape (n_which, n_rows)
        ``-inf`` for a component of weight zero, and where the log-density is
        below the most negative float.
    log_distances : ndarray of shape (n_which, n_rows)
        ``log |U_k^T (x - mu_k)|^2``, finite even where the joint is ``-inf``
        (``-inf`` at the mean), ``inf`` for a component of weight zero.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture.kernels.base import Components
    >>> parts = Components(np.log([0.5, 0.5]), np.array([[0.0], [1.0]]),
    ...                    np.array([[1.0], [1.0]]), np.zeros(2))
    >>> joint, _ = exact_joint(np.array([[0.0], [1e200]]), parts, parts.precisions_cholesky)
    >>> np.round(joint[:, 0], 4), joint[:, 1]
    (array([-1.6121, -2.1121]), array([-inf, -inf]))
    """
    log_weights, means, _, log_det = components.astuple()
    if which is None:
        which = np.arange(means.shape[0])
    n_features = X.shape[1]
    log_det = np.broadcast_to(log_det, log_weights.shape)
    constants = log_weights + log_det - 0.5 * n_features * _LOG_2PI
    largest = np.max(np.abs(X), axis=1, initial=0.0)
    reach = float(np.max(largest, initial=0.0)) + float(np.max(np.abs(means), initial=0.0))
    factor_max = float(np.max(np.abs(factors[which]), initial=0.0))
    # |U^T (x - mu)| is at most d max|U| (|x| + |mu|): below 2^500 nothing can overflow,
    # and scaling by powers of two would change no bit of the result
    tame = n_features * factor_max * reach < 2.0**500
    joint = np.empty((which.size, X.shape[0]))
    log_distances = np.empty((which.size, X.shape[0]))
    row_exponent = np.zeros(X.shape[0], dtype=np.int64)
    scaled = X
    if not tame:
        # each row is scaled by a power of two (exact) above its entries and every
        # mean's, so that the differences lie within [-2, 2]
        row_exponent = _exponents(np.maximum(largest, np.max(np.abs(means), initial=0.0)))
        scaled = np.ldexp(X, -row_exponent[:, None])
    for out, k in enumerate(which):
        if not np.isfinite(log_weights[k]):
            joint[out] = -np.inf
            log_distances[out] = np.inf
            continue
        if tame:
            whitened = _whiten(X - means[k], factors[k], deterministic)
            half = 0.5 * _squared_norms(whitened, deterministic)
            joint[out] = constants[k] - half
            with np.errstate(divide="ignore"):
                log_distances[out] = np.log(2.0 * half)
            continue
        differences = scaled - np.ldexp(means[k], -row_exponent[:, None])
        whitened = _whiten(differences, factors[k], deterministic)
        # and every whitened row by another power of two, so that its square cannot overflow
        exponent = _exponents(np.max(np.abs(whitened), axis=1))
        squares = _squared_norms(np.ldexp(whitened, -exponent[:, None]), deterministic)
        total_exponent = 2 * (row_exponent + exponent)
        with np.errstate(over="ignore"):
            joint[out] = constants[k] - np.ldexp(squares, total_exponent - 1)
        with np.errstate(divide="ignore"):
            log_distances[out] = np.log(squares) + total_exponent * _LOG_2
    return joint, log_distances


def _squared_norms(rows: np.ndarray, deterministic: bool) -> np.ndarray:
    """``|r|^2`` of every row (m, d); summed feature by feature when ``deterministic``."""
    if not deterministic:
        return np.einsum("ij,ij->i", rows, rows)
    squares = rows[:, 0] * rows[:, 0]
    for i in range(1, rows.shape[1]):
        squares += rows[:, i] * rows[:, i]
    return squares


def limit_joint(log_distances: np.ndarray, log_weights: np.ndarray) -> np.ndarray:
    """Stand-in joints of rows whose log-density underflows under every component.

    As ``|x|`` grows along a direction, the component with the smallest
    ``|U_k^T (x - mu_k)|`` takes the whole posterior; components tied within
    rounding (:data:`LIMIT_TIE`) share it in proportion to their weights. The
    stand-ins are ``log w_k`` for those and ``-inf`` for the others.

    Parameters
    ----------
    log_distances : ndarray of shape (n_components, n_rows)
        From :func:`exact_joint` (every component).
    log_weights : ndarray of shape (n_components,)

    Examples
    --------
    >>> import numpy as np
    >>> limit_joint(np.array([[3.0], [2.0], [2.0]]), np.log([0.2, 0.2, 0.6]))[:, 0].round(4)
    array([   -inf, -1.6094, -0.5108])
    """
    best = log_distances.min(axis=0)
    winners = log_distances <= best + LIMIT_TIE
    return np.where(winners, log_weights[:, None], -np.inf)


def exact_moments(
    X: np.ndarray, resp: np.ndarray, reference: np.ndarray, diagonal: bool
) -> tuple[float, np.ndarray, np.ndarray]:
    """One component's ``sum r``, ``sum r (x - ref)`` and second moments about ``ref``.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        Rows in data units.
    resp : ndarray of shape (n_rows,)
        The component's responsibilities of the rows.
    reference : ndarray of shape (n_features,)
        A point near the component's mean.
    diagonal : bool
        Second moments per feature (shape (n_features,)) rather than the
        (n_features, n_features) matrix.

    Examples
    --------
    >>> import numpy as np
    >>> count, first, second = exact_moments(
    ...     np.array([[1e12 + 1.0], [1e12 + 3.0]]), np.ones(2), np.array([1e12]), True)
    >>> float(count), first, second
    (2.0, array([4.]), array([10.]))
    """
    count = float(resp.sum())
    taken = np.flatnonzero(resp)
    if 2 * taken.size < resp.size:
        # a far component's responsibilities underflow to 0 on most rows: the rows it
        # has are all that count, and gathering them costs less than a pass over all
        differences, resp = np.asarray(X[taken], dtype=np.float64), resp[taken]
        differences -= reference
    else:
        differences = X - reference
    first = resp @ differences
    if diagonal:
        differences *= differences
        return count, first, resp @ differences
    # A^T A of the rows scaled by sqrt(r): one symmetric rank update (five times faster
    # than a general product of the weighted rows with the rows)
    differences *= np.sqrt(resp)[:, None]
    return count, first, np.dot(differences.T, differences)


class ExactMoments:
    """The moments of some components about their reference points, per task of a pass.

    Parameters
    ----------
    which : ndarray of int
        The components.
    references : ndarray of shape (n_which, n_features)
        A point near each one's mean, in data units.
    n_tasks : int
    diagonal : bool
        Per-feature second moments (see :func:`exact_moments`).
    """

    def __init__(
        self, which: np.ndarray, references: np.ndarray, n_tasks: int, diagonal: bool
    ) -> None:
        n_which, n_features = references.shape
        self.which = which
        self.references = references
        self.diagonal = diagonal
        self.counts = np.zeros((n_tasks, n_which))
        self.first = np.zeros((n_tasks, n_which, n_features))
        shape = (n_features,) if diagonal else (n_features, n_features)
        self.second = np.zeros((n_tasks, n_which, *shape))

    def add(self, task: int, X: np.ndarray, resp_t: np.ndarray) -> None:
        """Add a block: its rows in data units and every component's responsibilities (k, m)."""
        for i, k in enumerate(self.which):
            resp = resp_t[k].astype(np.float64)
            count, first, second = exact_moments(X, resp, self.references[i], self.diagonal)
            self.counts[task, i] += count
            self.first[task, i] += first
            self.second[task, i] += second

    def statistics(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Counts, means minus references (0 where the count is 0) and scatter about the means."""
        counts = self.counts.sum(axis=0)
        occupied = counts > 0
        shifts = self.first.sum(axis=0) / np.where(occupied, counts, 1.0)[:, None]
        if self.diagonal:
            correction = counts[:, None] * shifts**2
        else:
            correction = counts[:, None, None] * shifts[:, :, None] * shifts[:, None, :]
        scatter = self.second.sum(axis=0) - correction
        if self.diagonal:
            scatter = np.maximum(scatter, 0.0)
        else:
            scatter = 0.5 * (scatter + np.swapaxes(scatter, 1, 2))
        return counts, np.where(occupied[:, None], shifts, 0.0), scatter


def _squared_distances(scatter: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``offsets_k^T scatter_k^-1 offsets_k`` per row; inf where the scatter is singular.

    ``scatter`` is (k, d, d) or (k, d) diagonals; zero offsets give 0.
    """
    if scatter.ndim == 2:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(offsets == 0, 0.0, offsets**2 / np.where(scatter > 0, scatter, 0.0))
        return np.where(np.isnan(terms), np.inf, terms).sum(axis=1)
    out = np.empty(offsets.shape[0])
    for k, (matrix, offset) in enumerate(zip(scatter, offsets, strict=True)):
        if not np.any(offset):
            out[k] = 0.0
            continue
        lower, info = lapack.dpotrf(matrix, lower=1)
        if info != 0:  # not positive definite
            out[k] = np.inf
            continue
        whitened, _ = lapack.dtrtrs(lower, offset, lower=1)
        with np.errstate(over="ignore"):  # inf: lost
            out[k] = float(whitened @ whitened)
    return out


def lost_digits(
    counts: np.ndarray, offsets: np.ndarray, scatter: np.ndarray, shared: bool
) -> np.ndarray:
    """The components whose moments, summed about a point ``offsets`` from their mean, lost digits.

    Parameters
    ----------
    counts : ndarray of shape (n_components,)
    offsets : ndarray of shape (n_components, n_features)
        Each mean minus the point its moments were summed about.
    scatter : ndarray
        (k, d, d), (k, d) diagonals, or the pooled (d, d) when ``shared``.
    shared : bool
        One scatter pooled over the components.

    Returns
    -------
    ndarray of bool of shape (n_components,)
        Where ``n o^T S^-1 o`` exceeds :data:`CANCELLATION_LIMIT` (or the
        scatter is singular and the offset is not 0), ``S`` being the scatter
        the component's moments went into.

    Examples
    --------
    >>> import numpy as np
    >>> lost_digits(np.array([100.0, 100.0]), np.array([[1.0], [1e4]]),
    ...             np.array([[100.0], [100.0]]), shared=False)
    array([False,  True])
    """
    if shared:
        scatter = np.broadcast_to(scatter, (offsets.shape[0], *scatter.shape))
    occupied = counts > 0
    ratios = np.zeros_like(counts)
    ratios[occupied] = counts[occupied] * _squared_distances(
        np.asarray(scatter)[occupied], offsets[occupied]
    )
    return occupied & ~(ratios <= CANCELLATION_LIMIT)
