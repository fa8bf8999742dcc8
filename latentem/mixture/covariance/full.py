"""``full`` (mclust's VVV): each component has its own covariance matrix, (k, d, d)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from latentem.mixture.covariance.base import (
    CovarianceType,
    check_symmetric,
    cholesky_lower,
    inverse_upper_factor,
    lower_triangles,
    symmetric_from_triangles,
)
from latentem.mixture.kernels.base import Kernel
from latentem.mixture.kernels.full import full_kernel

if TYPE_CHECKING:
    from latentem.distributions.priors import NormalInverseWishart

__all__ = ["ComponentMatrices", "FullCovariance", "MatrixCovariance", "check_psd_scale"]


def check_psd_scale(scale: np.ndarray) -> None:
    """A prior scale ``Psi`` of symmetric positive semidefinite matrices, or a ValueError."""
    from latentem.core.validation import most_negative_eigenvalue

    matrices = scale.reshape(-1, *scale.shape[-2:])
    if not np.allclose(matrices, np.swapaxes(matrices, -1, -2), rtol=1e-10, atol=0.0):
        raise ValueError("prior scale (hmmlearn's covars_prior) matrices must be symmetric")
    negative = most_negative_eigenvalue(matrices)
    if negative is not None:
        raise ValueError(
            f"prior scale (hmmlearn's covars_prior) matrices must be positive semidefinite; "
            f"got an eigenvalue {negative!r}"
        )


class MatrixCovariance(CovarianceType):
    """Base of the structures whose parameters are symmetric matrices (full, tied)."""

    def to_vector(self, covariances: np.ndarray) -> np.ndarray:
        return lower_triangles(covariances)

    def from_vector(self, vector: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
        shape = self.parameter_shape(n_components, n_features)
        return symmetric_from_triangles(vector, n_features).reshape(shape)

    def symmetrised(self, covariances: np.ndarray) -> np.ndarray:
        return 0.5 * (covariances + np.swapaxes(covariances, -1, -2))

    def niw_flat_scale(self, n_features: int) -> Any:
        return np.zeros(n_features)

    def niw_default_scale(self, covariance: np.ndarray, factor: float, n_samples: float) -> Any:
        d = covariance.shape[0]
        return factor * (covariance if n_samples > d else np.diag(np.diag(covariance)))

    def niw_is_proper(self, niw: NormalInverseWishart) -> bool:
        return niw.is_proper()

    def conjugate_check_scale(self, scale: np.ndarray) -> None:
        check_psd_scale(scale)


class ComponentMatrices(MatrixCovariance):
    """Base of the structures stored as one covariance matrix per component, (k, d, d).

    It owns the layout, factors and kernel, and the terms of the conjugate
    prior (each component's own); a subclass gives the M-step
    (``covariances_from_scatter``) and ``n_parameters`` of its constraints.
    """

    def kernel(self, n_features: int, n_components: int) -> Kernel:
        return full_kernel(n_features, n_components)

    def parameter_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components, n_features, n_features)

    def full_matrices(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> np.ndarray:
        return np.array(covariances, copy=True)

    def precisions_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        out = np.empty_like(covariances)
        for k, covariance in enumerate(covariances):
            check_symmetric(covariance, f"covariances[{k}]")
            lower = cholesky_lower(covariance, f"covariances[{k}]")
            out[k] = inverse_upper_factor(lower)
        return out

    def covariances_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        out = np.empty_like(precisions)
        for k, precision in enumerate(precisions):
            check_symmetric(precision, f"precisions[{k}]")
            upper = inverse_upper_factor(cholesky_lower(precision, f"precisions[{k}]"))
            out[k] = upper @ upper.T
        return out

    def precisions(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        return np.matmul(precisions_cholesky, np.swapaxes(precisions_cholesky, 1, 2))

    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        return np.log(np.diagonal(precisions_cholesky, axis1=1, axis2=2)).sum(axis=1)

    def shift_scatter(self, delta: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return weight[:, None, None] * delta[:, :, None] * delta[:, None, :]

    # -- the conjugate prior: per component, whatever the constraints between them ------

    def conjugate_dof_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components,)

    def conjugate_log_density(
        self, delta: np.ndarray, prior: Any, precisions_cholesky: np.ndarray, covariances: Any
    ) -> float:
        means_weight, scale, dof = prior.means_weight, prior.scale, prior.dof
        log_det_precision = 2.0 * self.log_det_cholesky(precisions_cholesky, delta.shape[1])
        projected = np.einsum("kd,kde->ke", delta, precisions_cholesky)
        trace = np.einsum("kde,kdf,kfe->k", precisions_cholesky, scale, precisions_cholesky)
        quadratic = trace + means_weight * np.einsum("ke,ke->k", projected, projected)
        return -0.5 * float(np.sum(quadratic - dof * log_det_precision))

    def conjugate_terms(
        self, counts: np.ndarray, scatter: np.ndarray, shift: np.ndarray, delta: Any, prior: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        means_weight, scale, dof = prior.means_weight, prior.scale, prior.dof
        numerator = (
            scale
            + scatter
            + counts[:, None, None] * shift[:, :, None] * shift[:, None, :]
            + means_weight[:, None, None] * delta[:, :, None] * delta[:, None, :]
        )
        return numerator, (dof + counts)[:, None, None]

    def hmmlearn_prior(
        self, n_states: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        k, d = n_states, n_features
        weight = np.broadcast_to(np.asarray(covars_weight, dtype=float), (k,))
        scale = np.broadcast_to(np.asarray(covars_prior, dtype=float), (k, d, d))
        return scale, np.maximum(weight - d, 0.0)


class FullCovariance(ComponentMatrices):
    """Each component has its own full covariance matrix, shape (k, d, d) (mclust's VVV).

    Examples
    --------
    >>> import numpy as np
    >>> FullCovariance().precisions_cholesky(np.array([[[4.0, 0.0], [0.0, 1.0]]]))
    array([[[0.5, 0. ],
            [0. , 1. ]]])
    """

    name = "full"
    aliases = ("VVV",)

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components * n_features * (n_features + 1) // 2

    def from_full_matrices(self, matrices: np.ndarray) -> np.ndarray:
        return np.array(matrices, dtype=float, copy=True)

    def same_for_all(self, covariance: np.ndarray, n_components: int) -> np.ndarray:
        return np.repeat(np.asarray(covariance, dtype=float)[None], n_components, axis=0)

    def covariances_from_scatter(
        self, scatter: np.ndarray, counts: np.ndarray, reg_covar: float, previous: np.ndarray
    ) -> np.ndarray:
        occupied = counts > 0
        covariances = np.array(previous, dtype=float, copy=True)
        covariances[occupied] = scatter[occupied] / counts[occupied, None, None]
        diagonal = np.einsum("kii->ki", covariances)
        diagonal[occupied] += reg_covar
        return covariances

    # -- priors ---------------------------------------------------------------

    def niw_flat_dof(self, n_components: int, n_features: int) -> float:
        return -(n_features + 2.0)

    def niw_log_pdf(
        self, niw: NormalInverseWishart, means: np.ndarray, covariances: np.ndarray
    ) -> float:
        from latentem.distributions.priors import niw_log_pdf

        return float(niw_log_pdf(niw, means, covariances).sum())

    def hmmlearn_mixture_prior(
        self, n_states: int, n_mix: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[CovarianceType, np.ndarray, np.ndarray]:
        # (Psi^T + lambda delta delta^T + S) / (n + nu + d + 2)
        k, m, d = n_states, n_mix, n_features
        psi = 0.0 if covars_prior is None else covars_prior
        nu = -(d + 2.0) if covars_weight is None else covars_weight
        scale = np.broadcast_to(np.asarray(psi, dtype=float), (k, m, d, d))
        scale = np.swapaxes(scale, -1, -2).reshape(k * m, d, d)
        dof = np.broadcast_to(np.asarray(nu, dtype=float), (k, m)).reshape(k * m) + d + 2.0
        return self, scale, dof
