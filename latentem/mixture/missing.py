"""Gaussian mixtures on rows with missing entries (NaN): exact observed-data maths.

For a row with observed entries ``o`` and missing entries ``m``, component
``k`` contributes the marginal density ``N(x_o | mu_ko, Sigma_k,oo)`` of the
observed entries, and given them the missing entries are Gaussian with

    E_k[x_m | x_o] = mu_km + Sigma_k,mo Sigma_k,oo^-1 (x_o - mu_ko)
    Cov_k[x_m | x_o] = Sigma_k,mm - Sigma_k,mo Sigma_k,oo^-1 Sigma_k,om.

The E-step summarises each row, for each component, by its *completion*
(observed entries kept, missing ones replaced by their conditional
expectation) plus the conditional covariance, in the layout of
:class:`~latentem.mixture.statistics.GaussianMixtureStats`; the M-step is then
unchanged. This is EM with both the component labels and the missing entries
latent, so it never decreases the observed-data log-likelihood.

Two kernels do the work. With ``full`` and ``tied`` covariances the rows are
grouped by missingness pattern and each pattern costs one Cholesky
factorisation per component (one in all for ``tied``), of the precision
``Lambda = Sigma^-1`` with the missing features permuted first: if ``P Lambda
P^T = L L^T`` with ``L = [[A, 0], [B, C]]`` (``A`` for the missing block) then
``Lambda_mm = A A^T`` and the Schur complement gives ``Sigma_oo^-1 = C C^T``
exactly, with no subtraction; hence ``log N(x_o)`` from ``|C^T (x_o -
mu_o)|^2`` and ``log det C``, ``E[x_m | x_o] = mu_m - A^-T B^T (x_o - mu_o)``
and ``Cov[x_m | x_o] = Lambda_mm^-1 = A^-T A^-1``. The one factorisation gives
the marginal density, the conditional mean and a square root of the
conditional covariance (for the expected scatter and for drawing
imputations), and only the small ``m x m`` block is inverted. With ``diag``
and ``spherical`` covariances the features are independent given the
component, so observed entries are evaluated elementwise under a mask and a
missing entry's conditional distribution is its component's marginal: no
grouping and no factorisation.

Rules for degenerate rows and columns: a row with no observed entry has
observed-data likelihood 1 (log-density 0), so it carries no information; the
mixture's E-step and objective leave it out (:func:`informative_rows`), while
its log-density is 0 and its posterior the mixing weights. A feature never
observed in the data used for fitting has no estimable mean or variance:
:func:`check_fit_data` raises a ValueError saying to drop the column.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterator

import numpy as np
from attrs import field, frozen

__all__ = [
    "Conditionals",
    "MissingPatterns",
    "check_fit_data",
    "diagonal_conditionals",
    "incomplete_rows",
    "informative_rows",
    "limit_joint_of_observed",
    "pattern_conditionals",
    "starting_data",
]

_LOG_2PI = math.log(2.0 * math.pi)


# ----------------------------------------------------------------------------- rows and columns


def incomplete_rows(X: np.ndarray) -> np.ndarray | None:
    """Boolean mask of the rows with at least one NaN, or None if nothing is missing.

    Examples
    --------
    >>> import numpy as np
    >>> incomplete_rows(np.array([[1.0, np.nan], [1.0, 2.0]]))
    array([ True, False])
    >>> incomplete_rows(np.ones((2, 2))) is None
    True
    """
    missing = np.isnan(X)
    if not missing.any():
        return None
    return missing.any(axis=1)


def informative_rows(X: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows with at least one observed entry."""
    missing = np.isnan(X)
    if not missing.any():  # the usual case, and ten times cheaper than all(axis=1)
        return np.ones(X.shape[0], dtype=bool)
    return ~missing.all(axis=1)


def check_fit_data(X: np.ndarray, name: str = "X") -> None:
    """Raise a ValueError unless ``X`` can be fitted: some observed row, no unobserved column.

    Examples
    --------
    >>> import numpy as np
    >>> check_fit_data(np.array([[1.0, np.nan], [2.0, np.nan]]))
    Traceback (most recent call last):
    ...
    ValueError: X has 1 feature with no observed value (column 1); its mean ...
    """
    missing = np.isnan(X)
    if not missing.any():  # the usual case; all(axis=0) below is a slow strided pass
        return
    if missing.all():
        raise ValueError(
            f"{name} has no observed entry at all (every entry is NaN); pass data with "
            "observed values"
        )
    never = np.flatnonzero(missing.all(axis=0))
    if never.size:
        listed = ", ".join(str(int(j)) for j in never[:10]) + (", ..." if never.size > 10 else "")
        raise ValueError(
            f"{name} has {never.size} feature{'s' if never.size > 1 else ''} with no observed "
            f"value (column{'s' if never.size > 1 else ''} {listed}); "
            f"{'their' if never.size > 1 else 'its'} mean and variance cannot be estimated. "
            f"Drop {'them' if never.size > 1 else 'it'}, e.g. "
            f"{name}[:, ~np.isnan({name}).all(axis=0)]"
        )


def starting_data(X: np.ndarray) -> np.ndarray:
    """Data for choosing starting parameters: NaN replaced by its column's observed mean.

    Rows with no observed entry are dropped; ``X`` is returned unchanged
    (the same object) when nothing is missing. Raises as
    :func:`check_fit_data` does.

    Examples
    --------
    >>> import numpy as np
    >>> starting_data(np.array([[1.0, np.nan], [3.0, 4.0], [np.nan, np.nan]]))
    array([[1., 4.],
           [3., 4.]])
    """
    missing = np.isnan(X)
    if not missing.any():
        return X
    check_fit_data(X)
    keep = ~missing.all(axis=1)
    X, missing = X[keep], missing[keep]
    column_means = np.nanmean(X, axis=0)
    return np.where(missing, column_means, X)


def limit_joint_of_observed(
    X: np.ndarray, log_weights: np.ndarray, means: np.ndarray, covariances: np.ndarray
) -> np.ndarray:
    """Stand-in joints of rows whose observed entries' density underflows everywhere.

    The rule of :func:`~latentem.mixture.kernels.exact.limit_joint` on each
    row's observed entries: the components with the smallest Mahalanobis
    distance under their marginal covariance share the posterior in
    proportion to their weights. Computed row by row (such rows are rare).

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        NaN where missing, some entry observed.
    log_weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray of shape (n_components, n_features, n_features)

    Returns
    -------
    ndarray of shape (n_rows, n_components)

    Examples
    --------
    >>> import numpy as np
    >>> covariances = np.array([np.eye(2), np.diag([1.0, 4.0])])
    >>> limit_joint_of_observed(np.array([[np.nan, 1e300]]), np.log([0.5, 0.5]),
    ...                         np.zeros((2, 2)), covariances)  # wider along feature 1
    array([[       -inf, -0.69314718]])
    """
    from latentem.mixture.covariance.full import FullCovariance
    from latentem.mixture.kernels.base import Components
    from latentem.mixture.kernels.exact import exact_joint, limit_joint

    out = np.empty((X.shape[0], means.shape[0]))
    for row, x in enumerate(X):
        observed = ~np.isnan(x)
        # U with Sigma_oo^-1 = U U^T, per component
        factors = FullCovariance().precisions_cholesky(covariances[:, observed][:, :, observed])
        parts = Components(log_weights, means[:, observed], factors, np.zeros_like(log_weights))
        _, log_distances = exact_joint(x[observed][None], parts, factors)
        out[row] = limit_joint(log_distances, log_weights)[:, 0]
    return out


@frozen(eq=False)
class MissingPatterns:
    """Rows grouped by which of their entries are missing.

    Patterns are labelled in increasing number of missing entries.

    Parameters
    ----------
    masks : ndarray of bool of shape (n_patterns, n_features)
        True where the pattern's entries are missing.
    inverse : ndarray of int of shape (n_samples,)
        The pattern of every row.
    order : ndarray of int of shape (n_samples,)
        The rows sorted by pattern.
    starts : ndarray of int of shape (n_patterns + 1,)
        Pattern ``p`` holds rows ``order[starts[p]:starts[p + 1]]``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, np.nan]])
    >>> patterns = MissingPatterns.of(X)
    >>> [(mask.tolist(), rows.tolist()) for mask, rows in patterns]
    [([False, False], [1]), ([False, True], [0, 2])]
    """

    masks: np.ndarray
    inverse: np.ndarray
    order: np.ndarray = field(repr=False)
    starts: np.ndarray = field(repr=False)

    @classmethod
    def of(cls, X: np.ndarray) -> MissingPatterns:
        """Group the rows of ``X`` (NaN = missing) by pattern."""
        missing = np.isnan(X)
        n_features = X.shape[1]
        count = missing.sum(axis=1)
        # one sortable key per row, the number of missing entries first (so patterns
        # with as many missing entries get consecutive labels and their rows form one
        # block); sorting keys is far faster than np.unique over boolean rows
        if n_features <= 56:
            bits = missing @ (np.int64(1) << np.arange(n_features, dtype=np.int64))
            keys = (count.astype(np.int64) << n_features) | bits
        else:
            packed = np.packbits(missing, axis=1)
            prefix = count.astype(">u2").view(np.uint8).reshape(-1, 2)
            raw = np.ascontiguousarray(np.concatenate([prefix, packed], axis=1))
            keys = raw.view(np.dtype((np.void, raw.shape[1]))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        n_samples = missing.shape[0]
        first = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])[:n_samples]
        inverse = np.empty(n_samples, dtype=np.intp)
        inverse[order] = np.cumsum(first) - 1
        starts = np.concatenate([np.flatnonzero(first), [n_samples]])
        return cls(missing[order[starts[:-1]]], inverse, order, starts)

    def __len__(self) -> int:
        return int(self.masks.shape[0])

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(missing mask, row indices)`` of every pattern."""
        for p in range(len(self)):
            yield self.masks[p], self.order[self.starts[p] : self.starts[p + 1]]

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (n_samples, ...) over the rows of each pattern, (n_patterns, ...)."""
        if not len(self):
            return np.zeros((0, *values.shape[1:]))
        return np.add.reduceat(values[self.order], self.starts[:-1], axis=0)


# ----------------------------------------------------------------------------- conditionals


class Conditionals(abc.ABC):
    """Per row and component: observed-data log-density and conditional moments.

    Attributes
    ----------
    log_prob : ndarray of shape (n_samples, n_components)
        ``log N(x_o | mu_ko, Sigma_k,oo)``.
    residuals : ndarray of shape (n_components, n_samples, n_features) or None
        The completion minus the component mean: ``x_o - mu_ko`` on observed
        entries, ``E_k[x_m | x_o] - mu_km`` on missing ones. None unless
        asked for.
    """

    log_prob: np.ndarray
    residuals: np.ndarray | None

    def completed_means(self, means: np.ndarray, resp: np.ndarray) -> np.ndarray:
        """``sum_i r_ik (completion_ik - mu_k) / sum_i r_ik`` (0 for empty components), (k, d)."""
        residuals = self.require_residuals()
        counts = resp.sum(axis=0)
        totals = np.einsum("ik,kij->kj", resp, residuals)
        safe = np.where(counts > 0, counts, 1.0)
        return np.where(counts[:, None] > 0, totals / safe[:, None], 0.0)

    def statistics(
        self, means: np.ndarray, resp: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Counts, means and scatter (in the structure's layout) of the completed rows.

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
            The component means the conditionals were computed with.
        resp : ndarray of shape (n_samples, n_components)
            Responsibilities (rows may be scaled by sample weights).

        Notes
        -----
        Per component the scatter is ``sum_i r_ik ((c_ik - m_k)(c_ik - m_k)^T
        + Cov_k[x_i | x_io])`` about the weighted mean ``m_k`` of the
        completions ``c_ik``: the expected complete-data scatter. It is
        accumulated on residuals about ``mu_k`` in two passes, so data far
        from the origin lose no precision.
        """
        counts = resp.sum(axis=0)
        shift = self.completed_means(means, resp)
        scatter = self._scatter(resp, shift)
        centre = np.where(counts[:, None] > 0, means + shift, 0.0)
        return counts, centre, scatter

    def require_residuals(self) -> np.ndarray:
        """:attr:`residuals`, or a ValueError if they were not computed."""
        if self.residuals is None:
            raise ValueError(
                "these conditionals were computed without residuals; pass residuals=True"
            )
        return self.residuals

    @abc.abstractmethod
    def _scatter(self, resp: np.ndarray, shift: np.ndarray) -> np.ndarray:
        """Expected scatter about ``mu_k + shift_k`` in the structure's layout."""

    @abc.abstractmethod
    def noise(self, components: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One draw from ``N(0, Cov_k[x_m | x_o])`` on the missing entries of each row.

        Parameters
        ----------
        components : ndarray of int of shape (n_samples,)
            The component each row's draw is taken from.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            Zero on observed entries.
        """


def _centred_scatter_matrices(
    residuals: np.ndarray, resp: np.ndarray, shift: np.ndarray
) -> np.ndarray:
    out = np.empty((resp.shape[1], residuals.shape[2], residuals.shape[2]))
    for k in range(resp.shape[1]):
        centred = residuals[k] - shift[k]
        out[k] = (resp[:, k, None] * centred).T @ centred
    return out


@frozen(eq=False)
class _PatternGroup:
    """The patterns with ``m`` missing entries and their conditional covariances.

    Attributes
    ----------
    patterns : ndarray of int of shape (n_group,)
        Pattern labels, increasing.
    missing : ndarray of int of shape (n_group, m)
        The missing features of each pattern.
    factors : ndarray of shape (n_shared, n_group, m, m)
        Square roots ``F = A^-T`` (upper triangular) with ``F F^T =
        Cov_k[x_m | x_o]`` (one shared component for tied covariances).
    """

    patterns: np.ndarray
    missing: np.ndarray
    factors: np.ndarray


@frozen(eq=False)
class _PatternConditionals(Conditionals):
    """Conditionals of full or tied covariances, computed per missingness pattern."""

    log_prob: np.ndarray
    residuals: np.ndarray | None
    patterns: MissingPatterns
    groups: tuple[_PatternGroup, ...]
    summed: bool

    def _scatter(self, resp: np.ndarray, shift: np.ndarray) -> np.ndarray:
        data = _centred_scatter_matrices(self.require_residuals(), resp, shift)
        n_features = data.shape[-1]
        per_pattern = self.patterns.sums(resp)  # (n_patterns, k)
        if self.summed:
            per_pattern = per_pattern.sum(axis=1, keepdims=True)
        n_blocks = per_pattern.shape[1]
        size = n_features * n_features
        flat = np.zeros(n_blocks * size)
        for group in self.groups:
            if not group.missing.shape[1]:
                continue
            covariances = group.factors @ np.swapaxes(group.factors, -1, -2)
            weighted = per_pattern[group.patterns].T[:, :, None, None] * covariances
            # scatter-add each pattern's block into its missing rows and columns
            index = group.missing[:, :, None] * n_features + group.missing[:, None, :]
            index = index[None] + (np.arange(n_blocks) * size)[:, None, None, None]
            flat += np.bincount(index.ravel(), weighted.ravel(), minlength=flat.size)
        conditional = flat.reshape(n_blocks, n_features, n_features)
        if self.summed:
            return data.sum(axis=0) + conditional[0]
        return data + conditional

    def noise(self, components: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.zeros((components.size, self.patterns.masks.shape[1]))
        for group in self.groups:
            if not group.missing.shape[1]:
                continue
            rows = np.flatnonzero(np.isin(self.patterns.inverse, group.patterns))
            local = np.searchsorted(group.patterns, self.patterns.inverse[rows])
            which = components[rows] if group.factors.shape[0] > 1 else 0
            standard = rng.standard_normal((rows.size, group.missing.shape[1]))
            draws = np.einsum("nij,nj->ni", group.factors[which, local], standard)
            out[rows[:, None], group.missing[local]] = draws
        return out


@frozen(eq=False)
class _DiagonalConditionals(Conditionals):
    """Conditionals of diagonal or spherical covariances: features independent per component."""

    log_prob: np.ndarray
    residuals: np.ndarray | None
    missing: np.ndarray
    variances: np.ndarray

    def _scatter(self, resp: np.ndarray, shift: np.ndarray) -> np.ndarray:
        residuals = self.require_residuals()
        out = self.variances * (resp.T @ self.missing)
        for k in range(resp.shape[1]):
            centred = residuals[k] - shift[k]
            out[k] += resp[:, k] @ centred**2
        return out

    def noise(self, components: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        scale = np.sqrt(self.variances[components]) * self.missing
        return scale * rng.standard_normal(scale.shape)


# a pattern with at least this many rows gets its own matrix products; the rows of
# rarer patterns are handled together with per-row factors (no Python loop over them)
_BLOCK_ROWS = 64
# bound on the per-row factors gathered at once, in floats (16 MiB)
_GATHER_FLOATS = 1 << 21


def pattern_conditionals(
    X: np.ndarray,
    means: np.ndarray,
    precisions: np.ndarray,
    residuals: bool,
    summed: bool,
) -> _PatternConditionals:
    """One Cholesky factorisation per pattern and component (see the module notes).

    Patterns with the same number of missing entries are factorised together
    in batches of bounded memory. The rows, in a pattern-sorted copy of
    ``X``, are then visited in contiguous blocks: a frequent pattern's rows
    with a few matrix products, the rows of rare patterns together, each with
    its pattern's factors. Results go back to the row order at the end.
    """
    n_samples, n_features = X.shape
    n_shared = precisions.shape[0]
    patterns = MissingPatterns.of(X)
    starts = patterns.starts
    n_missing = patterns.masks.sum(axis=1)
    permutations = np.argsort(~patterns.masks, axis=1, kind="stable")  # missing first
    positions = np.argsort(permutations, axis=1)  # where each feature went
    sizes = np.diff(starts)
    rare_rows = np.repeat(sizes < _BLOCK_ROWS, sizes)
    row_pattern = np.repeat(np.arange(len(patterns)), sizes)
    sorted_X = X[patterns.order]
    out = _Whitened(
        np.empty((n_samples, means.shape[0])),
        np.empty((means.shape[0], n_samples, n_features)) if residuals else None,
    )
    chunk = max(1, _GATHER_FLOATS // (n_features * n_features * n_shared))
    groups = []
    for m in np.unique(n_missing):
        group = np.flatnonzero(n_missing == m)  # consecutive labels
        factors = np.empty((n_shared, group.size, m, m))
        for begin in range(0, group.size, chunk):
            ids = group[begin : begin + chunk]
            order = permutations[ids]
            lower = _cholesky(precisions[:, order[:, :, None], order[:, None, :]])
            root = np.swapaxes(np.linalg.inv(lower[:, :, :m, :m]), 2, 3)  # A^-T
            factors[:, begin : begin + ids.size] = root
            marginal = lower[:, :, m:, m:]  # C, with Sigma_oo^-1 = C C^T
            gain = -root @ np.swapaxes(lower[:, :, m:, :m], 2, 3)  # -A^-T B^T
            half_log_det = -np.log(np.diagonal(marginal, axis1=2, axis2=3)).sum(axis=2)
            for j in np.flatnonzero(sizes[ids] >= _BLOCK_ROWS):
                rows = slice(starts[ids[j]], starts[ids[j] + 1])
                observed = order[j, m:]
                diff = sorted_X[rows, observed] - means[:, None, observed]  # (k, n_p, o)
                whitened = diff @ marginal[:, j]
                completion = diff @ np.swapaxes(gain[:, j], 1, 2)
                out.write(rows, whitened, half_log_det[:, j, None], diff, completion, order[j])
            first_row = starts[ids[0]]
            rare = first_row + np.flatnonzero(rare_rows[first_row : starts[ids[-1] + 1]])
            for at in range(0, rare.size, chunk):
                part = rare[at : at + chunk]
                local = row_pattern[part] - ids[0]
                row_order = order[local]
                permuted = np.take_along_axis(sorted_X[part], row_order, axis=1)
                diff = permuted[:, m:] - means[:, row_order[:, m:]]  # (k, n_r, o)
                whitened = (diff[:, :, None, :] @ marginal[:, local])[:, :, 0]
                completion = (gain[:, local] @ diff[..., None])[..., 0]
                out.write(
                    part, whitened, half_log_det[:, local], diff, completion, positions[ids[local]]
                )
        groups.append(_PatternGroup(group, permutations[group, :m], factors))
    log_prob_rows = np.empty_like(out.log_prob)
    log_prob_rows[patterns.order] = out.log_prob
    completed_rows = None
    if out.completed is not None:
        completed_rows = np.empty_like(out.completed)
        completed_rows[:, patterns.order] = out.completed
    return _PatternConditionals(log_prob_rows, completed_rows, patterns, tuple(groups), summed)


@frozen(eq=False)
class _Whitened:
    """Output buffers of :func:`pattern_conditionals`, in pattern-sorted row order."""

    log_prob: np.ndarray
    completed: np.ndarray | None

    def write(
        self,
        rows: slice | np.ndarray,
        whitened: np.ndarray,
        half_log_det: np.ndarray,
        diff: np.ndarray,
        completion: np.ndarray,
        order: np.ndarray,
    ) -> None:
        """Store the rows' log-densities and completed residuals.

        ``whitened`` (k, n, o) holds ``C^T (x_o - mu_o)`` (so its squared norm
        is the Mahalanobis distance), ``half_log_det`` is ``log det
        Sigma_oo / 2``, ``diff`` the observed residuals and ``completion`` the
        conditional means minus ``mu_m``, with the features permuted missing
        first: ``order`` (d,) is that permutation for all the rows, or (n, d)
        gives each row's inverse permutation (the position of every feature).
        """
        n_obs = whitened.shape[2]
        maha = np.einsum("kro,kro->kr", whitened, whitened)
        self.log_prob[rows] = (-0.5 * (n_obs * _LOG_2PI + maha) - half_log_det).T
        if self.completed is None:
            return
        n_missing = completion.shape[2]
        if order.ndim == 1:
            block = self.completed[:, rows]
            block[:, :, order[:n_missing]] = completion
            block[:, :, order[n_missing:]] = diff
        else:
            permuted = np.concatenate([completion, diff], axis=2)
            self.completed[:, rows] = np.take_along_axis(permuted, order[None], axis=2)


def _cholesky(matrices: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(matrices)
    except np.linalg.LinAlgError:
        raise ValueError(
            "a covariance matrix is numerically not positive definite on a set of observed "
            "features; increase reg_covar (e.g. reg_covar=1e-6) or remove nearly collinear "
            "features"
        ) from None


def diagonal_conditionals(
    X: np.ndarray, means: np.ndarray, variances: np.ndarray, residuals: bool
) -> _DiagonalConditionals:
    """Masked elementwise densities: a missing entry simply drops out of the sum."""
    missing = np.isnan(X)
    observed = (~missing).astype(float)
    n_components = means.shape[0]
    log_prob = -0.5 * (observed @ (_LOG_2PI + np.log(variances)).T)
    completed = np.empty((n_components, *X.shape)) if residuals else None
    for k in range(n_components):
        diff = np.where(missing, 0.0, X - means[k])
        log_prob[:, k] -= 0.5 * ((diff**2) @ (1.0 / variances[k]))
        if completed is not None:
            completed[k] = diff
    return _DiagonalConditionals(log_prob, completed, missing.astype(float), variances)
