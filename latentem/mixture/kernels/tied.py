"""Kernel of one covariance shared by every component."""

from __future__ import annotations

from typing import cast

import numpy as np

from latentem.mixture.kernels.base import (
    Components,
    FrameCoefficients,
    LinearKernel,
    ScratchBuffers,
    component_constants,
    counts_and_means,
    spectral_norms2,
)
from latentem.mixture.kernels.frame import Frame

__all__ = ["TiedKernel"]


class TiedKernel(LinearKernel):
    """One shared full covariance: features ``[y; 1]``, ``d + 1`` per row.

    Notes
    -----
    With the shared precision ``P = U U^T``, ``-(y - m_k)^T P (y - m_k) / 2
    = -|U^T y|^2 / 2 + (P m_k)^T y - m_k^T P m_k / 2``: the first term is
    the same for every component (one (d, d) product per block), the rest
    is linear in ``[y; 1]``. The pooled scatter is ``sum_i (sum_k r_ik) y_i
    y_i^T - sum_k n_k m_k m_k^T``.

    Examples
    --------
    >>> TiedKernel().n_feature_rows(3)  # the coordinates and a 1
    4
    """

    name = "tied"
    shared_scatter = True

    def exact_factors(self, components: Components) -> np.ndarray:
        factor = components.precisions_cholesky
        return np.broadcast_to(factor, (components.means.shape[0], *factor.shape))

    def coefficients(
        self, components: Components, frame: Frame, dtype: np.dtype
    ) -> FrameCoefficients:
        log_weights, means, precisions_cholesky, log_det = components.astuple()
        offsets = (means - frame.centre) @ precisions_cholesky  # rows U^T (mu_k - c)
        linear = frame.factor_to_frame(precisions_cholesky @ offsets.T).T
        offsets2 = np.einsum("ki,ki->k", offsets, offsets)
        constants, absent = component_constants(log_weights, log_det, offsets2, means.shape[1])
        row_factor = frame.factor_to_frame(precisions_cholesky).T
        norms2 = np.full(means.shape[0], spectral_norms2(row_factor[None])[0])
        return self.limited_coefficients(
            [linear, constants], absent, dtype, row_factor, components, norms2, offsets2
        )

    def joint(
        self,
        features: np.ndarray,
        coefficients: FrameCoefficients,
        out: np.ndarray,
        scratch: ScratchBuffers,
    ) -> None:
        super().joint(features, coefficients, out, scratch)
        whitened = cast(np.ndarray, coefficients.factor) @ features[:-1]
        out -= 0.5 * np.einsum("ij,ij->j", whitened, whitened)

    def moment_shapes(self, n_features: int, n_components: int) -> list[tuple[int, ...]]:
        return [(n_features + 1, n_components), (n_features, n_features)]

    def add_moments(
        self,
        features: np.ndarray,
        resp_t: np.ndarray,
        moments: list[np.ndarray],
        scratch: ScratchBuffers,
    ) -> None:
        super().add_moments(features, resp_t, moments, scratch)  # counts and first moments
        centred = features[:-1]
        moments[1] += np.dot(centred * resp_t.sum(axis=0), centred.T)  # not matmul: the GIL

    def statistics(
        self, moments: list[np.ndarray], frame: Frame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        first, second = moments
        counts, means = counts_and_means(first, self.linear_rows(frame.centre.shape[0]))
        centred = second - first[:-1] @ means
        scatter = frame.scatter_from_frame(centred)
        scatter = 0.5 * (scatter + scatter.T)
        offsets = np.where(counts[:, None] > 0, frame.offsets_from_frame(means), 0.0)
        return counts, offsets, scatter
