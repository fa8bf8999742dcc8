"""Sufficient statistics of a Gaussian mixture, and the log-densities they come from.

:class:`GaussianMixtureStats` is what the E-step of
:class:`~latentem.mixture.GaussianMixtureModel` returns and its M-step takes:
counts, means and centred scatter per component, added by Chan's parallel
rule so that statistics of parts of the data add up to those of the whole.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from attrs import field, frozen

from latentem.core.validation import check_array, readonly_array
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.covariance import covariance_type as parse_covariance_type
from latentem.mixture.kernels import passes
from latentem.mixture.kernels.base import zero_safe_divide
from latentem.mixture.kernels.data import GaussianData, prepare_data

_FLOAT64_EPSILON = float(np.finfo(np.float64).eps)

__all__ = [
    "GaussianMixtureStats",
    "accumulate_statistics",
    "estimate_log_gaussian_prob",
    "prepared_statistics",
    "statistics_of",
    "variance_resolution",
]


def estimate_log_gaussian_prob(
    X: np.ndarray,
    means: np.ndarray,
    precisions_cholesky: np.ndarray,
    structure: CovarianceType,
) -> np.ndarray:
    """``log N(x_i | mean_k, cov_k)`` for every row and component, shape (n, k).

    Notes
    -----
    ``-(d log 2 pi + |U_k^T (x - mu_k)|^2) / 2 + log det U_k`` with ``U_k``
    the Cholesky factor of the precision, evaluated by the structure's
    kernel (:mod:`latentem.mixture.kernels`) for all components at once.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import covariance_type
    >>> full = covariance_type("full")
    >>> U = full.precisions_cholesky(np.eye(2)[None])
    >>> estimate_log_gaussian_prob(np.zeros((1, 2)), np.zeros((1, 2)), U, full)  # -log(2 pi)
    array([[-1.83787707]])
    """
    n_components = np.shape(means)[0]
    kernel = structure.kernel(np.shape(means)[-1], n_components)
    data = prepare_data(X, kernel, n_components=n_components, cache_bytes=0)
    factors = np.asarray(precisions_cholesky, dtype=float)
    components = structure.components(np.zeros(n_components), check_array(means, "means"), factors)
    coefficients = data.kernel.coefficients(components, data.frame, data.dtype)
    return passes.joint_log_prob(data, coefficients)


def prepared_statistics(
    data: GaussianData, resp: np.ndarray, log_likelihood: float, structure: CovarianceType
) -> GaussianMixtureStats:
    """The statistics of prepared rows under responsibilities ``resp`` (n_samples, k)."""
    return statistics_of(
        passes.statistics_from_responsibilities(data, resp), data, log_likelihood, structure
    )


def statistics_of(
    summary: passes.Summary, data: GaussianData, log_likelihood: float, structure: CovarianceType
) -> GaussianMixtureStats:
    """:class:`GaussianMixtureStats` of a pass's summary over ``data``."""
    return GaussianMixtureStats(
        summary.counts,
        summary.means,
        summary.scatter,
        log_likelihood,
        structure,
        machine_epsilon=float(np.finfo(data.dtype).eps),
        references=summary.references,
        offsets=summary.offsets,
    )


def accumulate_statistics(
    X: np.ndarray,
    resp: np.ndarray,
    log_likelihood: float,
    structure: CovarianceType,
) -> GaussianMixtureStats:
    """Summarise ``X`` under responsibilities ``resp``: counts, means, centred scatter.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    resp : ndarray of shape (n_samples, n_components)
        Responsibilities (rows may be scaled by sample weights).
    log_likelihood : float
        The objective term of these rows.
    structure : CovarianceType

    Returns
    -------
    GaussianMixtureStats

    Notes
    -----
    The moments are summed in the frame of the structure's kernel (data
    centred on its mean, scaled or whitened), then centred on each
    component's mean, so adding a constant to ``X`` changes nothing but the
    means. A component whose moments lose digits that way (one far from the
    data's mean against its own spread) has them summed again about its own
    mean (:mod:`~latentem.mixture.kernels.passes`): each component's
    statistics are exact to working precision relative to its own spread,
    wherever it lies.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import covariance_type
    >>> X = np.array([[0.0], [2.0], [10.0]])
    >>> resp = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> stats = accumulate_statistics(X, resp, 0.0, covariance_type("diag"))
    >>> stats.counts, stats.means.ravel(), stats.scatter.ravel()
    (array([2., 1.]), array([ 1., 10.]), array([2., 0.]))
    """
    resp = np.asarray(resp, dtype=float)
    kernel = structure.kernel(np.shape(X)[-1], resp.shape[1])
    data = prepare_data(X, kernel, n_components=resp.shape[1], cache_bytes=0)
    return prepared_statistics(data, resp, log_likelihood, structure)


# ----------------------------------------------------------------------------- statistics


# A standard deviation within this many rounding units of a component's mean cannot be
# resolved: the next E-step would see the component's own points many deviations away.
_RESOLUTION_ULPS = 16.0


def variance_resolution(
    counts: np.ndarray,
    means: np.ndarray,
    machine_epsilon: float = _FLOAT64_EPSILON,
    references: np.ndarray | None = None,
) -> np.ndarray:
    """The smallest variance the statistics resolve, per component and feature.

    Two resolutions apply, in the data's units, per component ``k`` and
    feature ``j``:

    * the rounding of the mean itself in float64, ``(16 eps_64 |mu_kj|)^2``;
    * the rounding of the statistics. Moments summed about a point ``r_k``
      and centred on the mean afterwards lose a variance below ``16 eps
      (mu_kj - r_kj)^2`` to cancellation, where ``eps`` is the working
      precision's (``machine_epsilon``; float32's is 5e8 times float64's).
      ``references`` gives each component's ``r_k``
      (:attr:`GaussianMixtureStats.references`: the data's centre, or the
      component's own mean when it lies far from it); by default every
      ``r_k`` is the counts-weighted mean of the means, the mean of the rows.

    Returns
    -------
    ndarray of shape (n_components, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> variance_resolution(np.array([1.0, 1.0]), np.array([[0.0], [2.0]])).round(20)
    array([[3.55e-15],
           [3.55e-15]])
    """
    of_mean = (_RESOLUTION_ULPS * _FLOAT64_EPSILON * np.abs(means)) ** 2
    if references is None:
        references = _mean_of_rows(counts, means)
    of_statistics = _RESOLUTION_ULPS * machine_epsilon * (means - references) ** 2
    return np.maximum(of_mean, np.where(counts[:, None] > 0, of_statistics, 0.0))


def _mean_of_rows(counts: np.ndarray, means: np.ndarray) -> np.ndarray:
    """The counts-weighted mean of the means, for every component (k, d)."""
    centre = np.average(means, axis=0, weights=counts) if counts.sum() > 0 else 0.0
    return np.broadcast_to(centre, means.shape)


def _check_machine_epsilon(value: Any) -> float:
    """``value`` as a float rounding unit in (0, 1), or an error naming the argument."""
    try:
        epsilon = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"machine_epsilon must be a number, such as numpy.finfo(numpy.float32).eps; "
            f"got {value!r}"
        ) from None
    if not 0.0 < epsilon < 1.0:
        raise ValueError(
            f"machine_epsilon must be a rounding unit in (0, 1), such as "
            f"numpy.finfo(numpy.float32).eps; got {value!r}"
        )
    return epsilon


@frozen(eq=False)
class GaussianMixtureStats:
    """Sufficient statistics of a Gaussian mixture over some rows.

    Attributes
    ----------
    counts : ndarray of shape (n_components,)
        Total responsibility of each component.
    means : ndarray of shape (n_components, n_features)
        Responsibility-weighted mean of each component (0 where the count is 0).
    scatter : ndarray
        Responsibility-weighted scatter about ``means``: (k, d, d) for
        ``full``, (k, d) for ``diag`` and ``spherical``, (d, d) for ``tied``.
    log_likelihood : float
        The objective term of the rows.
    covariance_type : CovarianceType
    machine_epsilon : float, default=numpy.finfo(numpy.float64).eps
        Rounding unit of the arithmetic that summed them (float32's for a
        float32 pass of the kernels); merged statistics keep the larger. The
        M-step refuses variances this arithmetic cannot resolve.
    references : ndarray of shape (n_components, n_features) or None
        The point each component's moments were summed about (the data's
        centre, or the component's own mean when it lies far from it), which
        sets the variance rounding may have lost (:func:`variance_resolution`);
        merged statistics keep the first part's. None: the mean of the rows.
    offsets : ndarray of shape (n_components, n_features) or None
        ``means - references`` to the precision of the difference itself,
        so that merging parts far from the origin loses no digit of the
        distance between their means (``means`` are rounded to their own
        magnitude). Recomputed from ``means`` when it disagrees with them
        beyond their rounding (``means`` changed, say).

    Notes
    -----
    ``+`` merges two sets of rows with the pairwise update of Chan, Golub &
    LeVeque (1979): with ``n = n_a + n_b`` and ``delta = mean_b - mean_a``,
    ``mean = mean_a + delta n_b / n`` and ``scatter = scatter_a + scatter_b +
    delta delta^T n_a n_b / n``, which stays accurate however far the data
    are from the origin.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import GaussianMixtureModel
    >>> X = np.random.default_rng(0).normal(size=(10, 2))
    >>> model = GaussianMixtureModel.from_data(X, n_components=2, random_state=0)
    >>> whole = model.e_step(X)
    >>> halves = model.e_step(X[:4]) + model.e_step(X[4:])
    >>> bool(np.allclose(whole.scatter, halves.scatter))
    True
    """

    counts: np.ndarray = field(converter=readonly_array)
    means: np.ndarray = field(converter=readonly_array)
    scatter: np.ndarray = field(converter=readonly_array)
    log_likelihood: float = field(converter=float)
    covariance_type: CovarianceType = field(converter=parse_covariance_type)
    machine_epsilon: float = field(
        default=_FLOAT64_EPSILON, converter=_check_machine_epsilon, kw_only=True
    )
    references: np.ndarray | None = field(
        default=None, converter=lambda v: None if v is None else readonly_array(v), kw_only=True
    )
    offsets: np.ndarray | None = field(
        default=None, converter=lambda v: None if v is None else readonly_array(v), kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        if self.references is None:
            object.__setattr__(self, "offsets", None)
            return
        rounded = self.means - self.references
        offsets = self.offsets
        # offsets refine the means only while they agree with them to rounding
        tolerance = 4.0 * _FLOAT64_EPSILON * (np.abs(self.means) + np.abs(self.references))
        if offsets is None or not np.all(np.abs(offsets - rounded) <= tolerance):
            object.__setattr__(self, "offsets", readonly_array(rounded))

    def _delta(self, other: GaussianMixtureStats) -> np.ndarray:
        """``other.means - self.means``, from the references and offsets when both have them."""
        if self.references is None or other.references is None:
            return np.asarray(other.means - self.means)
        mine, theirs = cast(np.ndarray, self.offsets), cast(np.ndarray, other.offsets)
        return (other.references - self.references) + (theirs - mine)

    def __add__(self, other: Any) -> GaussianMixtureStats:
        if not isinstance(other, GaussianMixtureStats):
            return NotImplemented
        if other.covariance_type != self.covariance_type or other.means.shape != self.means.shape:
            raise ValueError(
                "cannot add Gaussian mixture statistics of different shapes or covariance "
                f"types ({self.covariance_type.name} {self.means.shape} and "
                f"{other.covariance_type.name} {other.means.shape}); add statistics computed "
                "by the same model"
            )
        counts = self.counts + other.counts
        share = zero_safe_divide(other.counts, counts)
        delta = self._delta(other)
        mine = (self.counts > 0)[:, None]
        means = np.where(mine, self.means + delta * share[:, None], other.means)
        cross = self.counts * share  # n_a n_b / n
        scatter = self.scatter + other.scatter + self.covariance_type.shift_scatter(delta, cross)
        references = offsets = None
        if self.references is not None and other.references is not None:
            references = np.where(mine, self.references, other.references)
            moved = cast(np.ndarray, self.offsets) + delta * share[:, None]
            offsets = np.where(mine, moved, other.offsets)
            means = np.where(counts[:, None] > 0, references + offsets, means)
        return GaussianMixtureStats(
            counts=counts,
            means=means,
            scatter=scatter,
            log_likelihood=self.log_likelihood + other.log_likelihood,
            covariance_type=self.covariance_type,
            machine_epsilon=max(self.machine_epsilon, other.machine_epsilon),
            references=references,
            offsets=offsets,
        )

    def scale(self, factor: float) -> GaussianMixtureStats:
        """The statistics of the same rows with every row's weight times ``factor``.

        Counts, scatter and log-likelihood scale; the means do not. Online EM
        (:class:`~latentem.OnlineEM`) mixes statistics with it.
        """
        factor = float(factor)
        return GaussianMixtureStats(
            counts=self.counts * factor,
            means=self.means,
            scatter=self.scatter * factor,
            log_likelihood=self.log_likelihood * factor,
            covariance_type=self.covariance_type,
            machine_epsilon=self.machine_epsilon,
            references=self.references,
            offsets=self.offsets,
        )
