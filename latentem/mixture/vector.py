"""Gaussian mixture parameters as one unconstrained vector (for SQUAREM and optimisers).

Every vector maps to valid parameters: weights through a softmax of
log-weights, covariances through Cholesky factors with log-diagonals (full,
tied) or log-variances (diag, spherical). Extrapolating in this space can
never produce a negative weight or an indefinite covariance.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from latentem.mixture.covariance import CovarianceType

__all__ = [
    "covariances_from_vector",
    "covariances_to_vector",
    "parameters_from_vector",
    "parameters_to_vector",
]


def _cholesky_to_vector(matrices: np.ndarray) -> np.ndarray:
    """``[log diag L, strictly lower L]`` of each matrix of a (m, d, d) stack."""
    lower = np.linalg.cholesky(matrices)
    d = matrices.shape[-1]
    rows, cols = np.tril_indices(d, -1)
    diagonal = np.log(np.diagonal(lower, axis1=-2, axis2=-1))
    return np.concatenate([diagonal, lower[:, rows, cols]], axis=1).ravel()


def _cholesky_from_vector(vector: np.ndarray, n_matrices: int, d: int) -> np.ndarray:
    blocks = vector.reshape(n_matrices, -1)
    lower = np.zeros((n_matrices, d, d))
    index = np.arange(d)
    lower[:, index, index] = np.exp(blocks[:, :d])
    rows, cols = np.tril_indices(d, -1)
    lower[:, rows, cols] = blocks[:, d:]
    return lower @ np.swapaxes(lower, -1, -2)


def covariances_to_vector(covariances: np.ndarray, structure: CovarianceType) -> np.ndarray:
    """Covariances (in ``structure``'s layout) as an unconstrained 1-D vector.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import covariance_type
    >>> covariances_to_vector(np.array([[1.0, 4.0]]), covariance_type("diag"))
    array([0.        , 1.38629436])
    """
    if structure.name in ("full", "tied"):
        d = covariances.shape[-1]
        return _cholesky_to_vector(covariances.reshape(-1, d, d))
    return np.log(covariances).ravel()


def covariances_from_vector(
    vector: np.ndarray, structure: CovarianceType, n_components: int, n_features: int
) -> np.ndarray:
    """Inverse of :func:`covariances_to_vector`, in ``structure``'s layout."""
    shape = structure.parameter_shape(n_components, n_features)
    if structure.name in ("full", "tied"):
        n_matrices = n_components if structure.name == "full" else 1
        return _cholesky_from_vector(vector, n_matrices, n_features).reshape(shape)
    return np.exp(vector).reshape(shape)


def parameters_from_vector(
    vector: np.ndarray,
    occupied: np.ndarray,
    n_features: int,
    structure: CovarianceType,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights, means and covariances from ``[log-weights, means, covariance vector]``.

    Components not ``occupied`` (weight exactly 0) keep weight 0 whatever
    their log-weight entry says, so a dead component stays dead.
    """
    k = occupied.shape[0]
    expected = k + k * n_features + structure.n_parameters(k, n_features)
    if vector.ndim != 1 or vector.shape[0] != expected:
        raise ValueError(
            f"vector must be 1-D with {expected} entries for this model (as to_vector() "
            f"returns); got shape {vector.shape}"
        )
    log_weights = np.where(occupied, vector[:k], -np.inf)
    weights = np.exp(log_weights - logsumexp(log_weights))
    means = vector[k : k + k * n_features].reshape(k, n_features)
    covariances = covariances_from_vector(vector[k + k * n_features :], structure, k, n_features)
    return weights, means, covariances


def parameters_to_vector(
    weights: np.ndarray, means: np.ndarray, covariances: np.ndarray, structure: CovarianceType
) -> np.ndarray:
    """``[log-weights (0 for empty components), means, covariance vector]``."""
    occupied = weights > 0
    log_weights = np.log(np.where(occupied, weights, 1.0))
    return np.concatenate(
        [log_weights, means.ravel(), covariances_to_vector(covariances, structure)]
    )
