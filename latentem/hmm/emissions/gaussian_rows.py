"""Observations prepared once for Gaussian emissions, with the mixture's kernels.

The complete rows go through the covariance structure's fast kernel
(:mod:`latentem.mixture.kernels`), prepared once per fit; rows with NaN are
evaluated by the structure's conditional densities of their observed entries
(:meth:`~latentem.mixture.CovarianceType.conditionals`), exactly as in
:class:`~latentem.GaussianMixtureModel`: the observed-data likelihood, no
imputation. A row with nothing observed has likelihood 1 under every state.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from attrs import frozen

from latentem.core.validation import check_array
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.kernels import passes
from latentem.mixture.kernels.data import GaussianData, prepare_data
from latentem.mixture.statistics import GaussianMixtureStats, prepared_statistics

__all__ = ["GaussianRows", "check_gaussian_data"]


def check_gaussian_data(X: Any, n_features: int) -> np.ndarray:
    """``X`` as a float array with ``n_features`` columns; NaN marks a missing entry."""
    X = check_array(X, allow_nan=True)
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the emissions model {n_features} features"
        )
    return X


@frozen(eq=False)
class GaussianRows:
    """Rows of Gaussian observations, prepared for one covariance structure's kernel.

    Attributes
    ----------
    n_samples : int
    complete : GaussianData or None
        The rows without NaN, in the kernel's form (None if there are none).
    complete_index : ndarray of int or None
        Their positions (None: all rows are complete).
    incomplete : ndarray of shape (n_incomplete, n_features)
        Rows with NaN and at least one observed entry.
    incomplete_index : ndarray of int of shape (n_incomplete,)
    """

    n_samples: int
    complete: GaussianData | None
    complete_index: np.ndarray | None
    incomplete: np.ndarray
    incomplete_index: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray, structure: CovarianceType, n_components: int) -> GaussianRows:
        """Prepare validated ``X`` (NaN allowed) for ``n_components`` Gaussians of ``structure``."""
        n_samples, n_features = X.shape
        kernel = structure.kernel(n_features, n_components)
        missing = np.isnan(X)
        if not missing.any():
            data = prepare_data(X, kernel, n_features=n_features, n_components=n_components)
            return cls(n_samples, data, None, X[:0], np.zeros(0, dtype=np.intp))
        holes = missing.any(axis=1)
        complete_index = np.flatnonzero(~holes)
        complete = None
        if complete_index.size:
            complete = prepare_data(
                X[complete_index], kernel, n_features=n_features, n_components=n_components
            )
        incomplete_index = np.flatnonzero(holes & ~missing.all(axis=1))
        return cls(n_samples, complete, complete_index, X[incomplete_index], incomplete_index)

    def _place(self, out: np.ndarray, complete: np.ndarray | None) -> None:
        if complete is not None:
            if self.complete_index is None:
                out[...] = complete
            else:
                out[self.complete_index] = complete

    def _complete_part(self, values: np.ndarray) -> np.ndarray:
        return values if self.complete_index is None else values[self.complete_index]

    def joint_log_prob(
        self,
        structure: CovarianceType,
        log_weights: np.ndarray,
        means: np.ndarray,
        precisions_cholesky: np.ndarray,
    ) -> np.ndarray:
        """``log w_c + log N(x_t,observed | mu_c, Sigma_c)``, shape (n_samples, n_components)."""
        out = np.empty((self.n_samples, means.shape[0]))
        out[...] = log_weights  # rows with nothing observed: likelihood 1
        if self.complete is not None:
            components = structure.components(log_weights, means, precisions_cholesky)
            data = self.complete
            coefficients = data.kernel.coefficients(components, data.frame, data.dtype)
            self._place(out, passes.joint_log_prob(data, coefficients))
        if self.incomplete_index.size:
            part = structure.conditionals(self.incomplete, means, precisions_cholesky)
            out[self.incomplete_index] = part.log_prob + log_weights
        return out

    def statistics(
        self,
        structure: CovarianceType,
        means: np.ndarray,
        precisions_cholesky: np.ndarray,
        weights: np.ndarray,
    ) -> GaussianMixtureStats:
        """Counts, means and scatter (the kernel's layout) under per-row ``weights`` (n, c).

        Rows with NaN add their expected complete-data statistics given the
        observed entries (see :class:`~latentem.mixture.missing.Conditionals`).
        """
        stats: GaussianMixtureStats | None = None
        if self.complete is not None:
            part = self._complete_part(weights)
            stats = prepared_statistics(self.complete, part, 0.0, structure)
        if self.incomplete_index.size:
            conditionals = structure.conditionals(
                self.incomplete, means, precisions_cholesky, residuals=True
            )
            counts, centres, scatter = conditionals.statistics(
                means, weights[self.incomplete_index]
            )
            extra = GaussianMixtureStats(counts, centres, scatter, 0.0, structure)
            stats = extra if stats is None else stats + extra
        if stats is None:  # nothing observed at all
            zero = np.zeros(means.shape[0])
            scatter = structure.shift_scatter(np.zeros_like(means), zero)
            stats = GaussianMixtureStats(zero, np.zeros_like(means), scatter, 0.0, structure)
        return stats
