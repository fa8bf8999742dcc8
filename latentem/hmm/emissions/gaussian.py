"""Gaussian emissions (any registered covariance structure) with a conjugate-form prior.

The structures, their kernels and statistics are the Gaussian mixture's
(:mod:`latentem.mixture`); the data is prepared once per fit
(:class:`~latentem.mixture.rows.GaussianRows`), and rows with
NaN get the observed-data likelihood as in a mixture. This module adds the
HMM emission protocol and the translation of hmmlearn's ``means_prior``,
``means_weight``, ``covars_prior`` and ``covars_weight`` into the
:class:`~latentem.mixture.conjugate.GaussianPrior` whose MAP update the
mixtures share (:mod:`latentem.mixture.conjugate`).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import Any

import numpy as np
from attrs import evolve, field, frozen

from latentem.core.data import Observations
from latentem.core.exceptions import DegenerateFitWarning, user_stacklevel
from latentem.core.validation import check_array, readonly_array
from latentem.hmm.emissions.base import Emissions, check_fixed
from latentem.mixture.conjugate import GaussianPrior, map_covariances, map_means
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.covariance import covariance_type as parse_covariance_type
from latentem.mixture.rows import GaussianRows, reference_frame
from latentem.mixture.statistics import GaussianMixtureStats, variance_resolution

__all__ = [
    "GaussianEmissions",
    "check_gaussian_data",
    "hmmlearn_gaussian_prior",
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


#: advice that works for every structure: for full and tied covariances hmmlearn's scalar
#: covars_prior is added to every entry of the matrix, a rank-one term that does not regularise
REGULARISE_ADVICE = (
    "use a covariance prior that regularises (for full and tied covariances "
    "covars_prior=c * np.eye(n_features) with c > 0: a scalar is added to every entry of "
    "the matrix and does not), fewer states, or remove constant or duplicated features"
)


def _collapse_message(error: ValueError) -> str:
    return (
        str(error).split("; in a fit")[0]
        + "; the emission of a state collapsed onto too few distinct points: set a covariance "
        "floor (GaussianHMM's and GMMHMM's min_covar > 0), or " + REGULARISE_ADVICE
    )


def check_floor(instance: Any, attribute: Any, value: float) -> None:
    """attrs validator: a covariance floor is a finite number >= 0."""
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number >= 0; got {value!r}")


def warn_floored(names: list[str], floor: float) -> None:
    """Warn that the covariances of ``names`` collapsed and were floored (nothing if none)."""
    if names:
        warnings.warn(
            f"the covariance of {', '.join(names)} collapsed (the M-step gave a matrix that is "
            f"not positive definite), so its eigenvalues below the covariance floor "
            f"min_covar={floor:g} were raised to it. To fit without the floor, {REGULARISE_ADVICE}",
            DegenerateFitWarning,
            stacklevel=user_stacklevel(),
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
    covariance_floor : float, default=0
        A state whose updated covariance collapsed (is not numerically
        positive definite) has its eigenvalues below this raised to it, with
        a :class:`~latentem.DegenerateFitWarning` naming the state (see
        :meth:`~latentem.mixture.covariance.CovarianceType.floor_collapsed`).
        0: a collapse is a ValueError.

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
    covariance_floor: float = field(default=0.0, converter=float, validator=check_floor)
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
    def m_step_is_exact(self) -> bool:
        """Whether the update is the exact maximiser (the structure's say)."""
        return self.covariance_type.exact_maximiser

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

    def prepare_for_parameters(self, X: np.ndarray) -> GaussianRows:
        """``X`` prepared in the frame of these states, weighted equally (see
        :func:`~latentem.mixture.rows.reference_frame`): each row's log-probabilities
        do not depend on the other rows."""
        weights = np.full(self.n_states, 1.0 / self.n_states)
        frame = reference_frame(self.covariance_type, weights, self.means, self.covariances)
        return GaussianRows.of(
            Observations(X), self.covariance_type, self.n_states, cache_bytes=0, frame=frame
        )

    def data_key(self) -> Hashable:
        kernel = self.covariance_type.kernel(self.n_features, self.n_states)
        return ("gaussian", type(kernel), self.n_states, self.n_features)

    def _rows(self, X: Any, for_statistics: bool = False) -> GaussianRows:
        """Prepared rows: for these parameters, or (for statistics) in the data's frame."""
        if isinstance(X, GaussianRows):
            return X
        X = self.check_data(X)
        return self.prepare(X) if for_statistics else self.prepare_for_parameters(X)

    def log_prob(self, X: Any) -> np.ndarray:
        return self._rows(X).joint_log_prob(
            self.covariance_type,
            np.zeros(self.n_states),
            self.means,
            self.precisions_cholesky,
        )

    def statistics(self, X: Any, posteriors: np.ndarray) -> GaussianMixtureStats:
        return self._rows(X, for_statistics=True).statistics(
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
            if self.covariance_floor > 0:  # no eigenvalues to compute without a floor
                resolution = variance_resolution(
                    counts, means, stats.machine_epsilon, stats.references
                )
                covariances, collapsed = self.covariance_type.floor_collapsed(
                    covariances,
                    self.n_states,
                    self.n_features,
                    self.covariance_floor,
                    resolution.max(axis=1),
                )
                warn_floored(
                    [f"state {k}" for k in np.flatnonzero(collapsed)], self.covariance_floor
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
