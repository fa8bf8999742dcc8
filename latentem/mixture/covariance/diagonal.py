"""``diag`` (mclust's VVI) and ``spherical`` (VII): axis-aligned covariances per component."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from latentem.mixture.covariance.base import (
    CovarianceType,
    Weakest,
    check_positive,
    not_positive_definite,
)
from latentem.mixture.kernels.diagonal import DiagKernel, SphericalKernel

if TYPE_CHECKING:
    from latentem.distributions.priors import NormalInverseWishart
    from latentem.mixture.missing import Conditionals

__all__ = ["DiagCovariance", "SphericalCovariance"]

_LOG_2PI = math.log(2.0 * math.pi)


def _check_variance_scale(scale: np.ndarray) -> None:
    if np.any(scale < 0):
        raise ValueError(
            f"prior scale (hmmlearn's covars_prior) must be non-negative; got {scale.min()!r}"
        )


def _hmmlearn_variances(
    n_states: int, n_features: int, covars_prior: Any, covars_weight: Any
) -> tuple[np.ndarray, np.ndarray]:
    """hmmlearn's GaussianHMM variance prior: ``(covars_prior + c_n) / (max(w - 1, 0) + n)``.

    Returns the scale per feature (k, d) and the dof per state (k,).
    """
    weight = np.broadcast_to(np.asarray(covars_weight, dtype=float), (n_states,))
    scale = np.broadcast_to(np.asarray(covars_prior, dtype=float), (n_states, n_features))
    return scale, np.maximum(weight - 1.0, 0.0)


def _variance_log_density(quadratic: np.ndarray, dof: np.ndarray, variances: Any) -> float:
    """``-1/2 sum (quadratic / v + dof log v)``: the conjugate log-density of variances."""
    return -0.5 * float(np.sum(quadratic / variances + dof * np.log(variances)))


def _hmmlearn_alpha_beta(
    shape: tuple[int, ...], default_alpha: float, covars_prior: Any, covars_weight: Any
) -> tuple[np.ndarray, np.ndarray]:
    """hmmlearn's GMMHMM ``(alpha, beta) = (covars_prior, covars_weight)`` (None: defaults)."""
    alpha = np.broadcast_to(
        np.asarray(default_alpha if covars_prior is None else covars_prior, dtype=float), shape
    )
    beta = np.broadcast_to(
        np.asarray(0.0 if covars_weight is None else covars_weight, dtype=float), shape
    )
    return alpha, beta


class DiagCovariance(CovarianceType):
    """Each component has its own diagonal covariance, stored as variances (k, d).

    Examples
    --------
    >>> DiagCovariance().n_parameters(n_components=3, n_features=2)
    6
    """

    name = "diag"
    aliases = ("VVI",)
    _kernel = DiagKernel()

    def parameter_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components, n_features)

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components * n_features

    def full_matrices(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> np.ndarray:
        return np.stack([np.diag(variances) for variances in covariances])

    def from_full_matrices(self, matrices: np.ndarray) -> np.ndarray:
        return np.diagonal(matrices, axis1=-2, axis2=-1).astype(float)

    def floor_collapsed(
        self,
        covariances: np.ndarray,
        n_components: int,
        n_features: int,
        minimum: float,
        resolution: Any = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        # the variances are the eigenvalues: no (k, d, d) matrices, no eigh (wide data)
        variances = covariances.reshape(n_components, -1)
        if not np.all(np.isfinite(variances)):
            return covariances, np.zeros(n_components, dtype=bool)
        largest = np.max(np.abs(variances), axis=1)
        collapsed = not_positive_definite(variances.min(axis=1), largest, n_features, resolution)
        if not collapsed.any() or minimum <= 0:
            return covariances, collapsed
        floored = np.array(variances, dtype=float)
        floored[collapsed] = np.maximum(floored[collapsed], minimum)
        return floored.reshape(covariances.shape), collapsed

    def same_for_all(self, covariance: np.ndarray, n_components: int) -> np.ndarray:
        return np.repeat(np.diag(covariance)[None].astype(float), n_components, axis=0)

    def weakest_variances(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> Weakest:
        # each variance is held on its own, along its feature, and rounded relative to itself
        values = np.asarray(covariances, dtype=float)
        feature = np.argmin(np.where(np.isnan(values), -np.inf, values), axis=1)
        variance = values[np.arange(n_components), feature]
        direction = np.zeros((n_components, n_features))
        direction[np.arange(n_components), feature] = 1.0
        direction[np.isnan(variance)] = np.nan
        return Weakest(variance, direction, variance.copy())

    def precisions_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        check_positive(covariances, "covariances")
        return 1.0 / np.sqrt(covariances)

    def covariances_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        check_positive(precisions, "precisions")
        return 1.0 / precisions

    def precisions(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        return precisions_cholesky**2

    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        return np.log(precisions_cholesky).sum(axis=1)

    def shift_scatter(self, delta: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return weight[:, None] * delta**2

    def covariances_from_scatter(
        self, scatter: np.ndarray, counts: np.ndarray, reg_covar: float, previous: np.ndarray
    ) -> np.ndarray:
        occupied = counts > 0
        covariances = np.array(previous, dtype=float, copy=True)
        covariances[occupied] = scatter[occupied] / counts[occupied, None] + reg_covar
        return covariances

    def conditionals(
        self,
        X: np.ndarray,
        means: np.ndarray,
        precisions_cholesky: np.ndarray,
        residuals: bool = False,
    ) -> Conditionals:
        """Masked elementwise densities, with the per-feature scatter layout (k, d)."""
        from latentem.mixture.missing import diagonal_conditionals

        n_components, n_features = means.shape
        scales = precisions_cholesky.reshape(n_components, -1)
        variances = np.broadcast_to(1.0 / scales**2, (n_components, n_features))
        return diagonal_conditionals(X, means, np.array(variances), residuals)

    # -- priors ---------------------------------------------------------------

    def niw_flat_dof(self, n_components: int, n_features: int) -> float:
        return -3.0

    def niw_default_scale(self, covariance: np.ndarray, factor: float, n_samples: float) -> Any:
        return factor * float(np.trace(covariance)) / covariance.shape[0]

    def niw_is_proper(self, niw: NormalInverseWishart) -> bool:
        return niw.is_proper(diagonal=True)

    def niw_log_pdf(
        self, niw: NormalInverseWishart, means: np.ndarray, covariances: np.ndarray
    ) -> float:
        from latentem.distributions.priors import niw_log_pdf

        return float(niw_log_pdf(niw, means, covariances).sum())

    def conjugate_dof_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components, n_features)

    def conjugate_check_scale(self, scale: np.ndarray) -> None:
        _check_variance_scale(scale)

    def conjugate_log_density(
        self, delta: np.ndarray, prior: Any, precisions_cholesky: np.ndarray, covariances: Any
    ) -> float:
        means_weight, scale, dof = prior.means_weight, prior.scale, prior.dof
        quadratic = scale + means_weight[:, None] * delta**2
        return _variance_log_density(quadratic, dof, covariances)

    def conjugate_terms(
        self, counts: np.ndarray, scatter: np.ndarray, shift: np.ndarray, delta: Any, prior: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        means_weight, scale, dof = prior.means_weight, prior.scale, prior.dof
        numerator = scale + scatter + counts[:, None] * shift**2 + means_weight[:, None] * delta**2
        return numerator, dof + counts[:, None]

    def hmmlearn_prior(
        self, n_states: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        scale, dof = _hmmlearn_variances(n_states, n_features, covars_prior, covars_weight)
        return scale, np.repeat(dof[:, None], n_features, axis=1)

    def hmmlearn_mixture_prior(
        self, n_states: int, n_mix: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[CovarianceType, np.ndarray, np.ndarray]:
        # (2 beta + lambda delta^2 + S) / (n + 2 alpha + 3)
        k, m, d = n_states, n_mix, n_features
        alpha, beta = _hmmlearn_alpha_beta((k, m, d), -1.5, covars_prior, covars_weight)
        return self, (2.0 * beta).reshape(k * m, d), (2.0 * alpha + 3.0).reshape(k * m, d)


def _scalar_scale(niw: NormalInverseWishart) -> float:
    if niw.scale.ndim != 0:
        raise ValueError(
            "a spherical covariance needs a scalar NormalInverseWishart scale (one variance "
            f"scale for all features); got shape {niw.scale.shape}"
        )
    return float(niw.scale)


class SphericalCovariance(DiagCovariance):
    """Each component has one variance shared by all features, stored as (k,).

    The scatter statistics are kept per feature, as for ``diag``; the M-step
    averages the per-feature variances (scikit-learn's estimator).

    Examples
    --------
    >>> SphericalCovariance().parameter_shape(n_components=3, n_features=2)
    (3,)
    """

    name = "spherical"
    aliases = ("VII",)
    _kernel = SphericalKernel()

    def parameter_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components,)

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components

    def full_matrices(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> np.ndarray:
        return covariances[:, None, None] * np.eye(n_features)[None]

    def from_full_matrices(self, matrices: np.ndarray) -> np.ndarray:
        return np.diagonal(matrices, axis1=-2, axis2=-1).mean(axis=-1)

    def same_for_all(self, covariance: np.ndarray, n_components: int) -> np.ndarray:
        return np.full(n_components, np.mean(np.diag(covariance)))

    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        return n_features * np.log(precisions_cholesky)

    def weakest_variances(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> Weakest:
        # one variance, the mean of the features': rounded as their mean is, along all of them
        variance = np.asarray(covariances, dtype=float).copy()
        direction = np.full((n_components, n_features), 1.0 / np.sqrt(n_features))
        direction[np.isnan(variance)] = np.nan
        return Weakest(variance, direction, variance.copy())

    def covariances_from_scatter(
        self, scatter: np.ndarray, counts: np.ndarray, reg_covar: float, previous: np.ndarray
    ) -> np.ndarray:
        occupied = counts > 0
        covariances = np.array(previous, dtype=float, copy=True)
        variances = scatter[occupied] / counts[occupied, None] + reg_covar
        covariances[occupied] = variances.mean(axis=1)
        return covariances

    # -- priors ---------------------------------------------------------------

    def niw_flat_dof(self, n_components: int, n_features: int) -> float:
        return -(n_features + 2.0)

    def niw_flat_scale(self, n_features: int) -> Any:
        return 0.0

    def niw_is_proper(self, niw: NormalInverseWishart) -> bool:
        return niw.shrinkage > 0 and niw.dof > 0 and _scalar_scale(niw) > 0

    def niw_log_pdf(
        self, niw: NormalInverseWishart, means: np.ndarray, covariances: np.ndarray
    ) -> float:
        d, nu, kappa, scale = niw.n_features, niw.dof, niw.shrinkage, _scalar_scale(niw)
        squared = ((means - niw.mean) ** 2).sum(axis=1)
        kernel = -(nu + d + 2.0) / 2.0 * np.log(covariances)
        kernel = kernel - (scale + kappa * squared) / (2.0 * covariances)
        if self.niw_is_proper(niw):
            half = nu / 2.0
            kernel = kernel + 0.5 * d * (math.log(kappa) - _LOG_2PI)
            kernel = kernel + half * math.log(scale / 2.0) - math.lgamma(half)
        return float(kernel.sum())

    def conjugate_dof_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components,)

    def conjugate_log_density(
        self, delta: np.ndarray, prior: Any, precisions_cholesky: np.ndarray, covariances: Any
    ) -> float:
        means_weight, scale, dof = prior.means_weight, prior.scale, prior.dof
        quadratic = scale + means_weight * np.einsum("kd,kd->k", delta, delta)
        return _variance_log_density(quadratic, dof, covariances)

    def conjugate_terms(
        self, counts: np.ndarray, scatter: np.ndarray, shift: np.ndarray, delta: Any, prior: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        means_weight, scale, dof = prior.means_weight, prior.scale, prior.dof
        numerator = (
            scale
            + scatter.sum(axis=1)
            + counts * np.einsum("kd,kd->k", shift, shift)
            + means_weight * np.einsum("kd,kd->k", delta, delta)
        )
        return numerator, dof + shift.shape[1] * counts

    def hmmlearn_prior(
        self, n_states: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        scale, dof = _hmmlearn_variances(n_states, n_features, covars_prior, covars_weight)
        return scale.sum(axis=1), n_features * dof

    def hmmlearn_mixture_prior(
        self, n_states: int, n_mix: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[CovarianceType, np.ndarray, np.ndarray]:
        # (2 beta + lambda |delta|^2 + S) / (d n + d + 2 alpha + 2)
        k, m, d = n_states, n_mix, n_features
        default = -(m + 2.0) / 2.0
        alpha, beta = _hmmlearn_alpha_beta((k, m), default, covars_prior, covars_weight)
        return self, (2.0 * beta).reshape(k * m), (2.0 * alpha + d + 2.0).reshape(k * m)
