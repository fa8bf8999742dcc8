"""Gaussian emissions (any registered covariance structure) with a conjugate-form prior.

The structures, their kernels and statistics are the Gaussian mixture's
(:mod:`latentem.mixture`); the data is prepared once per fit
(:class:`~latentem.mixture.rows.GaussianRows`), and rows with
NaN get the observed-data likelihood as in a mixture. This module adds the
HMM emission protocol and the MAP update under :class:`GaussianPrior`, the
prior behind hmmlearn's ``means_prior``, ``means_weight``, ``covars_prior`` and
``covars_weight``, whose per-structure parts are the structure's
``conjugate_*`` methods.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
from attrs import evolve, field, frozen

from latentem.core.data import Observations
from latentem.core.validation import check_array, readonly_array
from latentem.hmm.emissions.base import Emissions, check_fixed
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.covariance import covariance_type as parse_covariance_type
from latentem.mixture.rows import GaussianRows
from latentem.mixture.statistics import GaussianMixtureStats

__all__ = [
    "GaussianEmissions",
    "GaussianPrior",
    "check_gaussian_data",
    "covariance_terms",
    "divide_covariances",
    "hmmlearn_gaussian_prior",
    "map_covariances",
    "map_means",
    "sample_gaussians",
]

_GAUSSIAN_PARAMETERS = ("means", "covariances")
# Baum-Welch evaluates the prepared rows at every iteration, and their kernel features
# once cached cost less to read than to rebuild (docs/benchmarks.md, "HMM emissions")
HMM_FEATURE_CACHE_BYTES = 64 * 2**20


def check_gaussian_data(X: Any, n_features: int) -> np.ndarray:
    """``X`` as a float array with ``n_features`` columns; NaN marks a missing entry."""
    X = check_array(X, allow_nan=True)
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the emissions model {n_features} features"
        )
    return X


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
        ``nu``: (k,) full, (k, d) diag, (k,) spherical, () tied.
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
        if np.any(self.dof < 0):
            raise ValueError(
                f"prior dof must be non-negative (0 = no prior on the covariances); got "
                f"{np.min(self.dof)!r}. hmmlearn's covars_weight maps to dof = covars_weight - 1 "
                "(diag, spherical) or - n_features (full, tied), clipped at 0"
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
) -> np.ndarray:
    """``numerator / denominator`` (symmetrised by the structure); ``previous`` where the
    denominator is not positive."""
    usable = denominator > 0
    covariances = structure.symmetrised(numerator / np.where(usable, denominator, 1.0))
    return np.where(usable, covariances, previous)


def map_covariances(
    structure: CovarianceType,
    stats: GaussianMixtureStats,
    centre: np.ndarray,
    means: np.ndarray,
    previous: np.ndarray,
    prior: GaussianPrior | None,
) -> np.ndarray:
    """Covariances maximising the expected objective under ``prior`` (see :func:`covariance_terms`).

    A component (or, for tied, the shared matrix) whose denominator ``nu + n``
    is not positive keeps ``previous``.
    """
    if prior is None and not structure.supports_conjugate_prior:
        # maximum likelihood about ``centre`` through the structure's own M-step
        counts = np.asarray(stats.counts)
        shift = np.asarray(stats.means) - centre
        scatter = np.asarray(stats.scatter) + structure.shift_scatter(shift, counts)
        return structure.covariances_from_scatter(scatter, counts, 0.0, previous)
    numerator, denominator = covariance_terms(structure, stats, centre, means, prior)
    return divide_covariances(structure, numerator, denominator, previous)


def sample_gaussians(
    means: np.ndarray, covariances: np.ndarray, which: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One draw from Gaussian ``which[i]`` for every ``i``; covariances as (k, d, d) matrices."""
    X = np.empty((which.shape[0], means.shape[1]))
    for k in np.unique(which):
        rows = np.flatnonzero(which == k)
        X[rows] = rng.multivariate_normal(
            means[k], covariances[k], size=rows.size, method="cholesky"
        )
    return X


def _collapse_message(error: ValueError) -> str:
    return (
        str(error).split("; in a fit")[0]
        + "; the emission of a state collapsed onto too few distinct points: use a covariance "
        "prior (covars_prior > 0), fewer states, or remove constant or duplicated features"
    )


@frozen(eq=False)
class GaussianEmissions(Emissions):
    """One Gaussian per state, with the covariances of any registered structure.

    Parameters
    ----------
    means : array-like of shape (n_states, n_features)
    covariances : array-like
        In the structure's layout: (k, d, d) full, (k, d) diag, (k,)
        spherical, (d, d) tied.
    covariance_type : str or CovarianceType, default="full"
        A name in :data:`~latentem.mixture.COVARIANCE_TYPES`.
    prior : GaussianPrior, optional
        Maximum likelihood without one.
    fixed : collection of {"means", "covariances"}, default=()
        Parameters the M-step keeps.

    Examples
    --------
    >>> import numpy as np
    >>> e = GaussianEmissions(means=[[0.0], [3.0]], covariances=[[1.0], [1.0]],
    ...                       covariance_type="diag")
    >>> e.log_prob(np.array([[0.0]])).round(4)
    array([[-0.9189, -5.4189]])
    """

    means: np.ndarray = field(converter=readonly_array)
    covariances: np.ndarray = field(converter=readonly_array)
    covariance_type: CovarianceType = field(
        default=parse_covariance_type("full"), converter=parse_covariance_type
    )
    prior: GaussianPrior | None = None
    fixed: frozenset[str] = field(
        default=frozenset(),
        converter=lambda v: check_fixed(v, _GAUSSIAN_PARAMETERS, "GaussianEmissions"),
    )
    precisions_cholesky: np.ndarray = field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.means.ndim != 2:
            raise ValueError(
                f"means must have shape (n_states, n_features); got {self.means.shape}"
            )
        if not np.all(np.isfinite(self.means)):
            raise ValueError("means must be finite; got NaN or infinite values")
        k, d = self.means.shape
        self.covariance_type.check_covariances(self.covariances, k, d, "covariances")
        if self.prior is not None and (
            self.prior.means.shape != self.means.shape
            or self.prior.covariance_type != self.covariance_type
        ):
            raise ValueError(
                "the prior must have one mean per state and the emissions' covariance_type; "
                f"got prior means {self.prior.means.shape} ({self.prior.covariance_type.name}) "
                f"for means {self.means.shape} ({self.covariance_type.name})"
            )
        cholesky = self.covariance_type.precisions_cholesky(self.covariances)
        object.__setattr__(self, "precisions_cholesky", readonly_array(cholesky))

    @property
    def n_states(self) -> int:
        return int(self.means.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.means.shape[1])

    @property
    def n_parameters(self) -> int:
        k, d = self.means.shape
        return k * d + self.covariance_type.n_parameters(k, d)

    def full_covariances(self) -> np.ndarray:
        """Covariances as (n_states, n_features, n_features) matrices."""
        k, d = self.means.shape
        return self.covariance_type.full_matrices(self.covariances, k, d)

    def check_data(self, X: Any) -> np.ndarray:
        return check_gaussian_data(X, self.n_features)

    def prepare(self, X: np.ndarray) -> GaussianRows:
        return GaussianRows.of(
            Observations(X),
            self.covariance_type,
            self.n_states,
            cache_bytes=HMM_FEATURE_CACHE_BYTES,
        )

    def data_key(self) -> Hashable:
        kernel = self.covariance_type.kernel(self.n_features, self.n_states)
        return ("gaussian", type(kernel), self.n_states, self.n_features)

    def _rows(self, X: Any) -> GaussianRows:
        return X if isinstance(X, GaussianRows) else self.prepare(self.check_data(X))

    def log_prob(self, X: Any) -> np.ndarray:
        return self._rows(X).joint_log_prob(
            self.covariance_type,
            np.zeros(self.n_states),
            self.means,
            self.precisions_cholesky,
        )

    def statistics(self, X: Any, posteriors: np.ndarray) -> GaussianMixtureStats:
        return self._rows(X).statistics(
            self.covariance_type, self.means, self.precisions_cholesky, posteriors
        )

    def maximize(self, stats: GaussianMixtureStats) -> GaussianEmissions:
        counts = np.asarray(stats.counts)
        means = self.means
        if "means" not in self.fixed:
            means = map_means(counts, np.asarray(stats.means), self.means, self.prior)
        covariances = self.covariances
        if "covariances" not in self.fixed:
            covariances = map_covariances(
                self.covariance_type, stats, means, means, self.covariances, self.prior
            )
        try:
            return evolve(self, means=means, covariances=covariances)
        except ValueError as error:
            raise ValueError(_collapse_message(error)) from None

    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return sample_gaussians(self.means, self.full_covariances(), states, rng)

    def log_prior(self) -> float:
        if self.prior is None:
            return 0.0
        return self.prior.log_density(self.means, self.precisions_cholesky, self.covariances)


def hmmlearn_gaussian_prior(
    structure: CovarianceType,
    n_states: int,
    n_features: int,
    means_prior: Any,
    means_weight: Any,
    covars_prior: Any,
    covars_weight: Any,
) -> GaussianPrior:
    """The :class:`GaussianPrior` of hmmlearn's GaussianHMM arguments.

    hmmlearn updates diag and spherical variances as ``(covars_prior + c_n) /
    (max(covars_weight - 1, 0) + n)`` and full or tied covariances with
    ``max(covars_weight - n_features, 0)``; ``means_weight`` and
    ``covars_weight`` may be per state.
    """
    k, d = n_states, n_features
    means = np.broadcast_to(np.asarray(means_prior, dtype=float), (k, d))
    weight = np.broadcast_to(np.asarray(means_weight, dtype=float), (k,))
    scale, dof = structure.hmmlearn_prior(k, d, covars_prior, covars_weight)
    return GaussianPrior(means, weight, scale, dof, structure)
