"""Gaussian emissions (any covariance structure) with a conjugate-form prior.

The structures (full, diag, spherical, tied) and the density and statistics
kernels are those of the Gaussian mixture (:mod:`latentem.mixture`); this
module adds the HMM emission protocol and the MAP update under
:class:`GaussianPrior`, the prior behind hmmlearn's ``means_prior``,
``means_weight``, ``covars_prior`` and ``covars_weight``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import numpy as np
from attrs import evolve, field, frozen

from latentem.core.validation import check_array, most_negative_eigenvalue, readonly_array
from latentem.hmm.emissions.base import Emissions, check_fixed
from latentem.hmm.kernels import CHUNK_ROWS, matmul_rows
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.covariance import covariance_type as parse_covariance_type
from latentem.mixture.statistics import (
    GaussianMixtureStats,
    accumulate_statistics,
    estimate_log_gaussian_prob,
)

__all__ = [
    "DiagonalFeatures",
    "GaussianEmissions",
    "GaussianPrior",
    "check_gaussian_data",
    "covariance_terms",
    "diagonal_log_prob",
    "diagonal_statistics",
    "divide_covariances",
    "hmmlearn_gaussian_prior",
    "map_covariances",
    "map_means",
    "sample_gaussians",
]

_GAUSSIAN_PARAMETERS = ("means", "covariances")
_DIAGONAL = ("diag", "spherical")
_LOG_2PI = math.log(2.0 * math.pi)


def _dof_shape(structure: CovarianceType, n_components: int, n_features: int) -> tuple[int, ...]:
    """Shape of the prior's degrees of freedom: one per covariance entry that has its own."""
    return {
        "full": (n_components,),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
        "tied": (),
    }[structure.name]


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
            "dof": _dof_shape(self.covariance_type, k, d),
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
        self._check_scale()

    def _check_scale(self) -> None:
        """``Psi`` must be a covariance: non-negative variances, or symmetric PSD matrices."""
        if self.covariance_type.name in ("diag", "spherical"):
            if np.any(self.scale < 0):
                raise ValueError(
                    f"prior scale (hmmlearn's covars_prior) must be non-negative; got "
                    f"{self.scale.min()!r}"
                )
            return
        matrices = self.scale.reshape(-1, *self.scale.shape[-2:])
        if not np.allclose(matrices, np.swapaxes(matrices, -1, -2), rtol=1e-10, atol=0.0):
            raise ValueError("prior scale (hmmlearn's covars_prior) matrices must be symmetric")
        negative = most_negative_eigenvalue(matrices)
        if negative is not None:
            raise ValueError(
                f"prior scale (hmmlearn's covars_prior) matrices must be positive semidefinite; "
                f"got an eigenvalue {negative!r}"
            )

    def log_density(
        self, means: np.ndarray, precisions_cholesky: np.ndarray, covariances: np.ndarray
    ) -> float:
        """Log prior density of means and covariances, up to a constant."""
        structure = self.covariance_type
        delta = means - self.means
        if structure.name in ("diag", "spherical"):
            if structure.name == "diag":
                quadratic = self.scale + self.means_weight[:, None] * delta**2
            else:
                quadratic = self.scale + self.means_weight * np.einsum("kd,kd->k", delta, delta)
            return -0.5 * float(np.sum(quadratic / covariances + self.dof * np.log(covariances)))
        n_features = means.shape[1]
        log_det_precision = 2.0 * structure.log_det_cholesky(precisions_cholesky, n_features)
        if structure.name == "full":
            projected = np.einsum("kd,kde->ke", delta, precisions_cholesky)
            trace = np.einsum(
                "kde,kdf,kfe->k", precisions_cholesky, self.scale, precisions_cholesky
            )
            quadratic = trace + self.means_weight * np.einsum("ke,ke->k", projected, projected)
            return -0.5 * float(np.sum(quadratic - self.dof * log_det_precision))
        # tied: one covariance
        U = precisions_cholesky
        projected = delta @ U
        trace = float(np.sum(U * (self.scale @ U)))
        quadratic = trace + float(
            np.sum(self.means_weight * np.einsum("ke,ke->k", projected, projected))
        )
        return -0.5 * (quadratic - float(self.dof) * float(log_det_precision[0]))


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
    n_components, n_features = means.shape
    if prior is None:
        weight = np.zeros(n_components)
        delta = np.zeros_like(means)
        scale = np.zeros(structure.parameter_shape(n_components, n_features))
        dof = np.zeros(_dof_shape(structure, n_components, n_features))
    else:
        weight, delta, scale, dof = prior.means_weight, means - prior.means, prior.scale, prior.dof
    scatter = np.asarray(stats.scatter)
    if structure.name == "diag":
        numerator = scale + scatter + counts[:, None] * shift**2 + weight[:, None] * delta**2
        return numerator, dof + counts[:, None]
    if structure.name == "spherical":
        numerator = (
            scale
            + scatter.sum(axis=1)
            + counts * np.einsum("kd,kd->k", shift, shift)
            + weight * np.einsum("kd,kd->k", delta, delta)
        )
        return numerator, dof + n_features * counts
    if structure.name == "full":
        numerator = (
            scale
            + scatter
            + counts[:, None, None] * shift[:, :, None] * shift[:, None, :]
            + weight[:, None, None] * delta[:, :, None] * delta[:, None, :]
        )
        return numerator, (dof + counts)[:, None, None]
    # tied: the scatter is already summed over components
    numerator = (
        scale + scatter + (counts[:, None] * shift).T @ shift + (weight[:, None] * delta).T @ delta
    )
    return numerator, np.asarray(dof + counts.sum())


def divide_covariances(
    numerator: np.ndarray, denominator: np.ndarray, previous: np.ndarray, *, matrices: bool
) -> np.ndarray:
    """``numerator / denominator`` (symmetrised if ``matrices``); ``previous`` where the
    denominator is not positive."""
    usable = denominator > 0
    covariances = numerator / np.where(usable, denominator, 1.0)
    if matrices:
        covariances = 0.5 * (covariances + np.swapaxes(covariances, -1, -2))
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
    numerator, denominator = covariance_terms(structure, stats, centre, means, prior)
    return divide_covariances(
        numerator, denominator, previous, matrices=structure.name in ("full", "tied")
    )


def _diagonal_precisions(
    structure: CovarianceType, precisions_cholesky: np.ndarray, d: int
) -> np.ndarray:
    """Per-feature precisions (k, d) of a diag or spherical structure."""
    precisions = precisions_cholesky**2
    return precisions if structure.name == "diag" else np.repeat(precisions[:, None], d, axis=1)


@frozen(eq=False)
class DiagonalFeatures:
    """Data prepared for diag and spherical Gaussians: ``[1, z, z^2]`` with ``z = x - c``.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
    reference : ndarray of shape (n_features,)
        The centre ``c``: the mean of the first rows (inside the data).
    features : ndarray of shape (n_samples, 2 n_features + 1)
    """

    X: np.ndarray
    reference: np.ndarray
    features: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray) -> DiagonalFeatures:
        """The features of ``X``, built chunk by chunk."""
        n_samples, n_features = X.shape
        reference = X[:CHUNK_ROWS].mean(axis=0)  # a full mean costs a slow pass
        features = np.empty((n_samples, 2 * n_features + 1))
        features[:, 0] = 1.0
        for start in range(0, n_samples, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n_samples)
            centred = features[start:stop, 1 : n_features + 1]
            np.subtract(X[start:stop], reference, out=centred)
            np.multiply(centred, centred, out=features[start:stop, n_features + 1 :])
        return cls(X, reference, features)


def diagonal_log_prob(
    data: np.ndarray | DiagonalFeatures,
    means: np.ndarray,
    precisions_cholesky: np.ndarray,
    structure: CovarianceType,
) -> np.ndarray:
    """``log N(x_t | mu_k, Sigma_k)`` for diag or spherical covariances, shape (n, k).

    Notes
    -----
    With ``z = x - c`` and ``m_k = mu_k - c`` for a centre ``c`` inside the
    data, ``log N = -(sum_d p_kd (z_d - m_kd)^2 + d log 2 pi) / 2 + log det
    U_k`` is one product of the features ``[1, z, z^2]`` (n, 2d + 1) with a
    (2d + 1, k) matrix (:class:`DiagonalFeatures`). Centring makes it
    exactly invariant to shifting the data; its rounding error relative to
    a component's variance grows with the squared distance, in standard
    deviations, between that component and ``c``.
    """
    prepared = data if isinstance(data, DiagonalFeatures) else DiagonalFeatures.of(data)
    n_features = prepared.X.shape[1]
    M = means - prepared.reference
    P = _diagonal_precisions(structure, precisions_cholesky, n_features)
    log_det = structure.log_det_cholesky(precisions_cholesky, n_features)
    constant = log_det - 0.5 * (n_features * _LOG_2PI + np.einsum("kd,kd->k", M * M, P))
    weights = np.concatenate([constant[:, None], M * P, -0.5 * P], axis=1).T
    return matmul_rows(prepared.features, weights)


def diagonal_statistics(
    data: np.ndarray | DiagonalFeatures, posteriors: np.ndarray, structure: CovarianceType
) -> GaussianMixtureStats:
    """Weighted counts, means and per-feature scatter (k, d) for diag or spherical covariances.

    One product of the posteriors with ``[1, z, z^2]``; the scatter about
    each component's mean is then ``sum_t gamma_tk z_t^2 - n_k zbar_k^2``
    (see :func:`diagonal_log_prob` on accuracy).
    """
    prepared = data if isinstance(data, DiagonalFeatures) else DiagonalFeatures.of(data)
    n_features = prepared.X.shape[1]
    moments = posteriors.T @ prepared.features
    counts = moments[:, 0]
    safe = np.where(counts > 0, counts, 1.0)[:, None]
    centred_means = np.where(counts[:, None] > 0, moments[:, 1 : n_features + 1] / safe, 0.0)
    scatter = moments[:, n_features + 1 :] - counts[:, None] * centred_means**2
    return GaussianMixtureStats(
        counts=counts,
        means=centred_means + prepared.reference,
        scatter=np.maximum(scatter, 0.0),
        log_likelihood=0.0,
        covariance_type=structure,
    )


def _raw(data: Any) -> np.ndarray:
    return data.X if isinstance(data, DiagonalFeatures) else data


def check_gaussian_data(X: Any, n_features: int) -> np.ndarray:
    """``X`` as a finite float array with ``n_features`` columns."""
    X = check_array(X)
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


def _collapse_message(error: ValueError) -> str:
    return (
        str(error).split("; in a fit")[0]
        + "; the emission of a state collapsed onto too few distinct points: use a covariance "
        "prior (covars_prior > 0), fewer states, or remove constant or duplicated features"
    )


@frozen(eq=False)
class GaussianEmissions(Emissions):
    """One Gaussian per state, with full, diag, spherical or tied covariances.

    Parameters
    ----------
    means : array-like of shape (n_states, n_features)
    covariances : array-like
        (k, d, d) full, (k, d) diag, (k,) spherical, (d, d) tied.
    covariance_type : {"full", "diag", "spherical", "tied"}, default="full"
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

    def prepare(self, X: np.ndarray) -> Any:
        if self.covariance_type.name in _DIAGONAL:
            return DiagonalFeatures.of(X)
        return X

    def data_key(self) -> Hashable:
        return ("gaussian", self.covariance_type.name in _DIAGONAL, self.n_features)

    def log_prob(self, X: Any) -> np.ndarray:
        if self.covariance_type.name in _DIAGONAL:
            return diagonal_log_prob(X, self.means, self.precisions_cholesky, self.covariance_type)
        return estimate_log_gaussian_prob(
            _raw(X), self.means, self.precisions_cholesky, self.covariance_type
        )

    def statistics(self, X: Any, posteriors: np.ndarray) -> GaussianMixtureStats:
        if self.covariance_type.name in _DIAGONAL:
            return diagonal_statistics(X, posteriors, self.covariance_type)
        return accumulate_statistics(_raw(X), posteriors, 0.0, self.covariance_type)

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
    covars_weight = np.asarray(covars_weight, dtype=float)
    if structure.name in ("diag", "spherical"):
        dof = np.maximum(np.broadcast_to(covars_weight, (k,)) - 1.0, 0.0)
        scale = np.broadcast_to(np.asarray(covars_prior, dtype=float), (k, d))
        if structure.name == "diag":
            return GaussianPrior(
                means, weight, scale, np.repeat(dof[:, None], d, axis=1), structure
            )
        return GaussianPrior(means, weight, scale.sum(axis=1), d * dof, structure)
    if structure.name == "full":
        dof = np.maximum(np.broadcast_to(covars_weight, (k,)) - d, 0.0)
        scale = np.broadcast_to(np.asarray(covars_prior, dtype=float), (k, d, d))
        return GaussianPrior(means, weight, scale, dof, structure)
    dof_tied = max(float(covars_weight) - d, 0.0) if covars_weight.ndim == 0 else math.nan
    if math.isnan(dof_tied):
        raise ValueError("covars_weight must be a number for covariance_type='tied'")
    scale = np.broadcast_to(np.asarray(covars_prior, dtype=float), (d, d))
    return GaussianPrior(means, weight, scale, dof_tied, structure)
