"""``tied`` (mclust's EEE): all components share one covariance matrix, (d, d)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import multigammaln

from latentem.mixture.covariance.base import (
    CovarianceType,
    Weakest,
    check_symmetric,
    cholesky_lower,
    inverse_upper_factor,
    weakest_of_matrices,
)
from latentem.mixture.covariance.full import FullCovariance, MatrixCovariance
from latentem.mixture.kernels.tied import TiedKernel

if TYPE_CHECKING:
    from latentem.distributions.priors import NormalInverseWishart
    from latentem.mixture.missing import Conditionals

__all__ = ["TiedCovariance"]

_LOG_2PI = math.log(2.0 * math.pi)
_FULL = FullCovariance()


class TiedCovariance(MatrixCovariance):
    """All components share one full covariance matrix, shape (d, d).

    Its scatter statistics are summed over the components (d, d).

    Examples
    --------
    >>> TiedCovariance().n_parameters(n_components=3, n_features=2)
    3
    """

    name = "tied"
    aliases = ("EEE",)
    _kernel = TiedKernel()

    def parameter_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_features, n_features)

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_features * (n_features + 1) // 2

    def full_matrices(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> np.ndarray:
        return np.repeat(covariances[None], n_components, axis=0)

    def from_full_matrices(self, matrices: np.ndarray) -> np.ndarray:
        return np.mean(matrices, axis=-3)

    def same_for_all(self, covariance: np.ndarray, n_components: int) -> np.ndarray:
        return np.array(covariance, dtype=float, copy=True)

    def independent_view(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> tuple[CovarianceType, np.ndarray]:
        return _FULL, np.repeat(covariances[..., None, :, :], n_components, axis=-3)

    def weakest_variances(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> Weakest:
        shared = weakest_of_matrices(np.asarray(covariances, dtype=float)[None])
        return Weakest(*(np.repeat(part, n_components, axis=0) for part in shared))

    def group_terms(
        self, numerator: np.ndarray, denominator: np.ndarray, n_groups: int
    ) -> tuple[np.ndarray, np.ndarray]:
        d = numerator.shape[-1]
        pooled = numerator.reshape(n_groups, -1, d, d).sum(axis=1)
        return pooled, denominator.reshape(n_groups, -1).sum(axis=1)[:, None, None]

    def precisions_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        check_symmetric(covariances, "covariances")
        return inverse_upper_factor(cholesky_lower(covariances, "covariances"))

    def covariances_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        check_symmetric(precisions, "precisions")
        upper = inverse_upper_factor(cholesky_lower(precisions, "precisions"))
        return upper @ upper.T

    def precisions(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        return precisions_cholesky @ precisions_cholesky.T

    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        return np.atleast_1d(np.log(np.diagonal(precisions_cholesky)).sum())

    def shift_scatter(self, delta: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return (weight[:, None] * delta).T @ delta

    def covariances_from_scatter(
        self, scatter: np.ndarray, counts: np.ndarray, reg_covar: float, previous: np.ndarray
    ) -> np.ndarray:
        covariances = scatter / counts.sum()
        covariances.flat[:: covariances.shape[0] + 1] += reg_covar
        return covariances

    def conditionals(
        self,
        X: np.ndarray,
        means: np.ndarray,
        precisions_cholesky: np.ndarray,
        residuals: bool = False,
    ) -> Conditionals:
        """Per missingness pattern, one factorisation shared by the components."""
        from latentem.mixture.missing import pattern_conditionals

        d = means.shape[1]
        precisions = self.precisions(precisions_cholesky).reshape(1, d, d)
        return pattern_conditionals(X, means, precisions, residuals, summed=True)

    # -- priors ---------------------------------------------------------------

    def niw_flat_dof(self, n_components: int, n_features: int) -> float:
        return -(n_features + 1.0 + n_components)

    def niw_log_pdf(
        self, niw: NormalInverseWishart, means: np.ndarray, covariances: np.ndarray
    ) -> float:
        d, k, nu, kappa = niw.n_features, means.shape[0], niw.dof, niw.shrinkage
        scale = niw.full_scale()
        lower = np.linalg.cholesky(covariances)
        log_det = 2.0 * np.log(np.diag(lower)).sum()
        inverse = np.linalg.inv(covariances)
        deviations = means - niw.mean
        quadratic = np.einsum("ki,ij,kj->", deviations, inverse, deviations)
        kernel = -(nu + d + 1.0 + k) / 2.0 * log_det - 0.5 * np.sum(scale * inverse)
        kernel -= 0.5 * kappa * quadratic
        if self.niw_is_proper(niw):
            kernel += 0.5 * k * d * (math.log(kappa) - _LOG_2PI)
            kernel += 0.5 * nu * np.linalg.slogdet(scale)[1] - 0.5 * nu * d * math.log(2.0)
            kernel -= multigammaln(nu / 2.0, d)
        return float(kernel)

    def conjugate_dof_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return ()

    def conjugate_log_density(
        self, delta: np.ndarray, prior: Any, precisions_cholesky: np.ndarray, covariances: Any
    ) -> float:
        means_weight, scale, dof = prior.means_weight, prior.scale, prior.dof
        U = precisions_cholesky
        log_det_precision = 2.0 * self.log_det_cholesky(U, delta.shape[1])
        projected = delta @ U
        trace = float(np.sum(U * (scale @ U)))
        squared = np.einsum("ke,ke->k", projected, projected)
        quadratic = trace + float(np.sum(means_weight * squared))
        return -0.5 * (quadratic - float(dof) * float(log_det_precision[0]))

    def conjugate_terms(
        self, counts: np.ndarray, scatter: np.ndarray, shift: np.ndarray, delta: Any, prior: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        means_weight, scale, dof = prior.means_weight, prior.scale, prior.dof
        # the scatter is already summed over the components
        numerator = (
            scale
            + scatter
            + (counts[:, None] * shift).T @ shift
            + (means_weight[:, None] * delta).T @ delta
        )
        return numerator, np.asarray(dof + counts.sum())

    def hmmlearn_prior(
        self, n_states: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        weight = np.asarray(covars_weight, dtype=float)
        if weight.ndim != 0:
            raise ValueError("covars_weight must be a number for covariance_type='tied'")
        d = n_features
        scale = np.broadcast_to(np.asarray(covars_prior, dtype=float), (d, d))
        return scale, np.asarray(max(float(weight) - d, 0.0))

    def hmmlearn_mixture_prior(
        self, n_states: int, n_mix: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[CovarianceType, np.ndarray, np.ndarray]:
        # (Psi_k^T + sum_m (lambda delta delta^T + S)) / (n_k + n_mix + nu + d + 1)
        k, m, d = n_states, n_mix, n_features
        psi = 0.0 if covars_prior is None else covars_prior
        nu = -(m + d + 1.0) if covars_weight is None else covars_weight
        scale = np.swapaxes(np.broadcast_to(np.asarray(psi, dtype=float), (k, d, d)), -1, -2)
        dof = np.broadcast_to(np.asarray(nu, dtype=float), (k,)) + m + d + 1.0
        # each state's Psi and nu split evenly over its components, so that pooling the
        # components' terms (group_terms) gives the state's shared covariance its prior
        return _FULL, np.repeat(scale / m, m, axis=0), np.repeat(dof / m, m)
