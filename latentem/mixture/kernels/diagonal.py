"""Kernels of diagonal and spherical covariances."""

from __future__ import annotations

from typing import cast

import numpy as np

from latentem.mixture.kernels.base import (
    Components,
    FrameCoefficients,
    Kernel,
    component_constants,
    counts_and_means,
)
from latentem.mixture.kernels.features import write_square_features
from latentem.mixture.kernels.frame import Frame, ScaledFrame, scaled_frame, scaled_frame_of

__all__ = ["DiagKernel", "SphericalKernel"]


class DiagKernel(Kernel):
    """Diagonal covariances: features ``[y**2; y; 1]``, ``2 d + 1`` per row.

    Notes
    -----
    The frame is a per-feature power-of-two scale, which is exact, so the
    frame only guards against overflow; centring on the data's mean keeps
    ``sum r y^2 - n m^2`` accurate (scikit-learn computes the variance from
    uncentred moments and loses it on ``X + 1e8``).

    Examples
    --------
    >>> import numpy as np
    >>> out = np.empty((DiagKernel().n_feature_rows(2), 1))
    >>> DiagKernel().write_features(np.array([[2.0], [3.0]]), out)
    >>> out.ravel()  # y1^2, y2^2, y1, y2, 1
    array([4., 9., 2., 3., 1.])
    """

    name = "diag"
    diagonal_scatter = True

    def make_frame(self, X: np.ndarray) -> tuple[Frame, np.ndarray]:
        return scaled_frame(X)

    def reference_frame(self, centre: np.ndarray, covariance: np.ndarray) -> Frame:
        return scaled_frame_of(centre, np.diagonal(covariance))

    def exact_factors(self, components: Components) -> np.ndarray:
        return self._variances_factor(components.precisions_cholesky, components.means.shape[1])

    def n_feature_rows(self, n_features: int) -> int:
        return 2 * n_features + 1

    def linear_rows(self, n_features: int) -> slice:
        return slice(n_features, 2 * n_features)

    def write_features(self, centred_t: np.ndarray, out: np.ndarray) -> None:
        write_square_features(centred_t, out)

    def _variances_factor(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        """Precision factors as (n_components, n_features)."""
        return precisions_cholesky

    def coefficients(
        self, components: Components, frame: Frame, dtype: np.dtype
    ) -> FrameCoefficients:
        log_weights, means, precisions_cholesky, log_det = components.astuple()
        scale = cast(ScaledFrame, frame).scale
        n_features = means.shape[1]
        precisions = self._variances_factor(precisions_cholesky, n_features) ** 2
        offsets = means - frame.centre
        offsets2 = np.einsum("kj,kj->k", precisions, offsets**2)
        constants, absent = component_constants(log_weights, log_det, offsets2, n_features)
        in_frame = precisions * scale**2
        columns = [-0.5 * in_frame, precisions * offsets * scale, constants]
        norms2 = in_frame.max(axis=1, initial=0.0)
        return self.limited_coefficients(columns, absent, dtype, None, components, norms2, offsets2)

    def statistics(
        self, moments: list[np.ndarray], frame: Frame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        summed = moments[0]
        n_features = frame.centre.shape[0]
        counts, means = counts_and_means(summed, self.linear_rows(n_features))
        # a variance is never negative; rounding can make the difference so
        centred = np.maximum(summed[:n_features].T - counts[:, None] * means**2, 0.0)
        means = np.where(counts[:, None] > 0, frame.offsets_from_frame(means), 0.0)
        return counts, means, cast(ScaledFrame, frame).variances_from_frame(centred)


class SphericalKernel(DiagKernel):
    """One variance per component: the diagonal kernel with equal precisions per feature.

    The statistics keep one scatter per feature, as for ``diag``.

    Examples
    --------
    >>> SphericalKernel().n_feature_rows(3) == DiagKernel().n_feature_rows(3)
    True
    """

    name = "spherical"

    def _variances_factor(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        return np.repeat(precisions_cholesky[:, None], n_features, axis=1)
