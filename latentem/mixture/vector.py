"""Gaussian mixture parameters as one vector, for SQUAREM's extrapolation.

The vector holds the natural parameters: weights, means, and the lower
triangle of each covariance matrix (variances for ``diag`` and
``spherical``). The EM map of a mixture is close to linear in them, since the
M-step is a ratio of moments, so SQUAREM's extrapolation lands well. Measured
on 24 overlapping mixtures (``docs/benchmarks.md``), this took fewer E-steps
than an unconstrained parametrisation (log-weights, Cholesky factors with
log-diagonals): geometric mean 7.0x fewer than plain EM against 6.5x, and at
least 3.7x against 1.9x. A vector outside the parameter space (a negative
weight, an indefinite covariance) raises ``ValueError``, which SQUAREM takes
as a rejected step.
"""

from __future__ import annotations

import numpy as np

from latentem.mixture.covariance import CovarianceType

__all__ = ["parameters_from_vector"]


def parameters_from_vector(
    vector: np.ndarray,
    occupied: np.ndarray,
    n_features: int,
    structure: CovarianceType,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights, means and covariances from ``[weights, means, covariance vector]``.

    The weights are renormalised to sum to 1; components not ``occupied``
    (weight exactly 0 in the model the vector came from) keep weight 0, so a
    dead component stays dead.

    Raises
    ------
    ValueError
        If the vector has the wrong length or gives a negative weight.
        (Covariances are checked by the model.)
    """
    k = occupied.shape[0]
    expected = k + k * n_features + structure.n_parameters(k, n_features)
    if vector.ndim != 1 or vector.shape[0] != expected:
        raise ValueError(
            f"vector must be 1-D with {expected} entries for this model (as to_vector() "
            f"returns); got shape {vector.shape}"
        )
    weights = np.where(occupied, vector[:k], 0.0)
    total = weights.sum()
    if not (np.all(weights >= 0) and total > 0):
        raise ValueError(
            f"the vector's weights must be non-negative with a positive sum; got {vector[:k]}"
        )
    means = vector[k : k + k * n_features].reshape(k, n_features)
    covariances = structure.from_vector(vector[k + k * n_features :], k, n_features)
    return weights / total, means, covariances
