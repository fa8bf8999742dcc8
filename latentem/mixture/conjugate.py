"""The conjugate prior of Gaussian components and its MAP update, for mixtures and HMMs.

:class:`GaussianPrior` is the one prior form the M-step of every covariance
structure implements (the structure's ``conjugate_*`` methods). The HMM
emissions take it from hmmlearn's ``means_prior``, ``means_weight``,
``covars_prior`` and ``covars_weight``; a Gaussian mixture's
:class:`~latentem.mixture.GaussianMixturePrior` (mclust's normal-inverse-Wishart)
translates into it, so both are maximised by the same functions below.
"""

from __future__ import annotations

import numpy as np
from attrs import field, frozen

from latentem.core.validation import readonly_array
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.covariance import covariance_type as parse_covariance_type
from latentem.mixture.statistics import GaussianMixtureStats

__all__ = [
    "GaussianPrior",
    "covariance_terms",
    "divide_covariances",
    "map_covariances",
    "map_means",
]


@frozen(eq=False)
class GaussianPrior:
    """A conjugate-form prior on Gaussian means and covariances.

    Parameters
    ----------
    means : array-like of shape (n_components, n_features)
        Prior means ``mu_0``.
    means_weight : array-like of shape (n_components,)
        ``lambda >= 0``: the mean's prior precision relative to its
        covariance (0 = flat prior on the means).
    scale : array-like
        ``Psi``, in the layout of the covariances: (k, d, d) full, (k, d)
        diag, (k,) spherical, (d, d) tied.
    dof : array-like
        ``nu``: (k,) full, (k, d) diag, (k,) spherical, () tied. A negative
        ``nu`` is an improper prior that favours larger covariances (hmmlearn's
        GMMHMM defaults give one for spherical covariances when ``n_mix >
        n_features``); where ``nu + n <= 0`` the objective has no maximum in the
        covariance and the update keeps the previous one.
    covariance_type : {"full", "diag", "spherical", "tied"}

    Notes
    -----
    With ``delta = mu - mu_0`` the log-density is, up to a constant, for a
    full covariance ``-(tr((Psi + lambda delta delta^T) Sigma^-1) + nu log
    |Sigma|) / 2``; per feature for diag; for spherical ``-((Psi + lambda
    |delta|^2) / sigma^2 + nu log sigma^2) / 2``; for tied the ``lambda``
    terms of all components meet the one shared ``Sigma``. Its MAP update
    given weighted counts ``n``, means ``xbar`` and scatter ``S`` is

    ``mu = (lambda mu_0 + n xbar) / (lambda + n)``,
    ``Sigma = (Psi + lambda delta delta^T + S(mu)) / (nu + n)``

    (``nu + d n`` for spherical, with traces), ``S(mu)`` the scatter about
    the new mean. ``Psi = 0, lambda = 0, nu = 0`` is maximum likelihood.
    hmmlearn's GaussianHMM ``covars_prior`` and ``covars_weight`` are
    ``Psi`` and ``nu + 1`` (diag, spherical) or ``nu + d`` (full, tied).

    Examples
    --------
    >>> prior = GaussianPrior(means=[[0.0]], means_weight=[1.0], scale=[[0.5]],
    ...                       dof=[[1.0]], covariance_type="diag")
    >>> prior.scale
    array([[0.5]])
    """

    means: np.ndarray = field(converter=readonly_array)
    means_weight: np.ndarray = field(converter=readonly_array)
    scale: np.ndarray = field(converter=readonly_array)
    dof: np.ndarray = field(converter=readonly_array)
    covariance_type: CovarianceType = field(converter=parse_covariance_type)

    def __attrs_post_init__(self) -> None:
        if self.means.ndim != 2:
            raise ValueError(
                f"prior means must have shape (n_components, n_features); got {self.means.shape}"
            )
        k, d = self.means.shape
        expected = {
            "means_weight": (k,),
            "scale": self.covariance_type.parameter_shape(k, d),
            "dof": self.covariance_type.conjugate_dof_shape(k, d),
        }
        for name, shape in expected.items():
            value = getattr(self, name)
            if value.shape != shape:
                raise ValueError(
                    f"prior {name} for covariance_type={self.covariance_type.name!r} must have "
                    f"shape {shape}; got {value.shape}"
                )
        if not all(np.all(np.isfinite(getattr(self, name))) for name in ["means", *expected]):
            raise ValueError("the Gaussian prior's parameters must be finite")
        if np.any(self.means_weight < 0):
            raise ValueError(
                f"means_weight must be non-negative (0 = no prior on the means); got "
                f"{self.means_weight.min()!r}"
            )
        self.covariance_type.conjugate_check_scale(self.scale)

    def log_density(
        self, means: np.ndarray, precisions_cholesky: np.ndarray, covariances: np.ndarray
    ) -> float:
        """Log prior density of means and covariances, up to a constant."""
        delta = means - self.means
        return self.covariance_type.conjugate_log_density(
            delta, self, precisions_cholesky, covariances
        )


def map_means(
    counts: np.ndarray,
    data_means: np.ndarray,
    previous: np.ndarray,
    prior: GaussianPrior | None,
) -> np.ndarray:
    """``(lambda mu_0 + n xbar) / (lambda + n)``; where ``lambda + n = 0`` the mean is kept.

    Examples
    --------
    >>> map_means(np.array([2.0, 0.0]), np.array([[1.0], [0.0]]), np.array([[5.0], [7.0]]), None)
    array([[1.],
           [7.]])
    """
    if prior is None:
        weight, target = np.zeros_like(counts), np.zeros_like(data_means)
    else:
        weight, target = prior.means_weight, prior.means
    denominator = weight + counts
    usable = denominator > 0
    safe = np.where(usable, denominator, 1.0)[:, None]
    updated = (weight[:, None] * target + counts[:, None] * data_means) / safe
    # with no prior weight the mean is exactly the data mean, not a rounded ratio
    updated = np.where((weight == 0)[:, None], data_means, updated)
    return np.where(usable[:, None], updated, previous)


def covariance_terms(
    structure: CovarianceType,
    stats: GaussianMixtureStats,
    centre: np.ndarray,
    means: np.ndarray,
    prior: GaussianPrior | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of the MAP covariances (see :class:`GaussianPrior`).

    Parameters
    ----------
    structure : CovarianceType
    stats : GaussianMixtureStats
        Counts, data means and scatter about the data means.
    centre : ndarray of shape (n_components, n_features)
        The point the scatter is taken about: the new means (exact M-step),
        or the previous means (hmmlearn's GMMHMM update).
    means : ndarray of shape (n_components, n_features)
        The new means (for the prior's ``lambda`` term).
    prior : GaussianPrior or None

    Returns
    -------
    numerator : ndarray
        In the covariance layout.
    denominator : ndarray
        Broadcastable to the numerator.
    """
    counts = np.asarray(stats.counts)
    shift = np.asarray(stats.means) - centre
    if prior is None:  # the flat prior: maximum likelihood
        k, d = means.shape
        zeros = (
            np.zeros(structure.parameter_shape(k, d)),
            np.zeros(structure.conjugate_dof_shape(k, d)),
        )
        prior = GaussianPrior(np.zeros_like(means), np.zeros(k), *zeros, structure)
    scatter = np.asarray(stats.scatter)
    return structure.conjugate_terms(counts, scatter, shift, means - prior.means, prior)


def divide_covariances(
    structure: CovarianceType,
    numerator: np.ndarray,
    denominator: np.ndarray,
    previous: np.ndarray,
    plus: np.ndarray | float = 0.0,
) -> np.ndarray:
    """The structure's MAP covariances from its terms (:meth:`CovarianceType.divide_terms`),
    plus ``plus`` where the denominator is positive; ``previous`` elsewhere."""
    covariances = structure.divide_terms(numerator, denominator, previous)
    return np.where(denominator > 0, covariances + plus, covariances)


def map_covariances(
    structure: CovarianceType,
    stats: GaussianMixtureStats,
    centre: np.ndarray,
    means: np.ndarray,
    previous: np.ndarray,
    prior: GaussianPrior | None,
    reg_covar: float = 0.0,
) -> np.ndarray:
    """Covariances maximising the expected objective under ``prior`` (see :func:`covariance_terms`).

    ``reg_covar`` is added to the diagonal of every updated covariance (by the
    structure's rule, :meth:`CovarianceType.regularise_terms`). A
    component (or, for tied, the shared matrix) whose denominator ``nu + n``
    is not positive (no data, and a prior that does not determine it) keeps
    ``previous``.
    """
    if prior is None and not structure.supports_conjugate_prior:
        # maximum likelihood about ``centre`` through the structure's own M-step
        counts = np.asarray(stats.counts)
        shift = np.asarray(stats.means) - centre
        scatter = np.asarray(stats.scatter) + structure.shift_scatter(shift, counts)
        return structure.covariances_from_scatter(scatter, counts, reg_covar, previous)
    numerator, denominator = covariance_terms(structure, stats, centre, means, prior)
    k, d = means.shape
    numerator, plus = structure.regularise_terms(numerator, denominator, reg_covar, k, d)
    return divide_covariances(structure, numerator, denominator, previous, plus)
