"""Kernels of full covariances: expanded on products of coordinates, or per-component factors."""

from __future__ import annotations

from typing import cast

import numpy as np

from latentem.mixture.kernels.base import (
    Components,
    FrameCoefficients,
    Kernel,
    LinearKernel,
    ScratchBuffers,
    centred_scatters,
    component_constants,
    counts_and_means,
    spectral_norms2,
)
from latentem.mixture.kernels.features import (
    n_quadratic_rows,
    pack_upper,
    unpack_upper,
    write_quadratic_features,
)
from latentem.mixture.kernels.frame import Frame, whitened_frame

__all__ = ["FullFactorKernel", "FullKernel", "full_kernel"]


class FullKernel(Kernel):
    """Full covariances: features ``[y_i y_j (i <= j); y; 1]``, ``d (d + 3) / 2 + 1`` per row.

    Notes
    -----
    ``log w + log N(x | mu, Sigma) = -y^T P y / 2 + (P m)^T y + c`` with
    ``P`` the precision and ``m`` the mean in the frame; ``y^T P y`` is the
    dot product of the packed upper triangle of ``P`` (off-diagonal entries
    doubled) with the products ``y_i y_j``. The moments are each component's
    ``sum r``, ``sum r y`` and ``sum r y_i y_j``; the scatter about the mean
    is ``sum r y y^T - n m m^T``, accurate because the frame is centred on
    the data and whitened.

    Examples
    --------
    >>> import numpy as np
    >>> out = np.empty((FullKernel().n_feature_rows(2), 1))
    >>> FullKernel().write_features(np.array([[2.0], [3.0]]), out)
    >>> out.ravel()  # y1^2, y1 y2, y2^2, y1, y2, 1
    array([4., 6., 9., 2., 3., 1.])
    """

    name = "full"

    def make_frame(self, X: np.ndarray) -> tuple[Frame, np.ndarray]:
        return whitened_frame(X)

    def n_feature_rows(self, n_features: int) -> int:
        return n_quadratic_rows(n_features) + n_features + 1

    def block_footprint(self, n_features: int, n_components: int) -> int:
        # the products dominate; the per-block overhead of more, smaller blocks costs
        # more than the cache misses of these (measured)
        return self.n_feature_rows(n_features)

    def linear_rows(self, n_features: int) -> slice:
        start = n_quadratic_rows(n_features)
        return slice(start, start + n_features)

    def write_features(self, centred_t: np.ndarray, out: np.ndarray) -> None:
        write_quadratic_features(centred_t, out)

    def coefficients(
        self, components: Components, frame: Frame, dtype: np.dtype
    ) -> FrameCoefficients:
        log_weights, means, precisions_cholesky, log_det = components.astuple()
        factors = frame.factor_to_frame(precisions_cholesky)
        precisions = np.matmul(factors, np.swapaxes(factors, 1, 2))
        offsets = np.einsum("kji,kj->ki", precisions_cholesky, means - frame.centre)
        linear = frame.factor_to_frame(np.matmul(precisions_cholesky, offsets[:, :, None]))[..., 0]
        offsets2 = np.einsum("ki,ki->k", offsets, offsets)
        constants, absent = component_constants(log_weights, log_det, offsets2, means.shape[1])
        columns = [-0.5 * pack_upper(precisions), linear, constants]
        norms2 = spectral_norms2(factors)
        return self.limited_coefficients(columns, absent, dtype, None, components, norms2, offsets2)

    def statistics(
        self, moments: list[np.ndarray], frame: Frame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        summed = moments[0]
        n_features = frame.centre.shape[0]
        counts, means = counts_and_means(summed, self.linear_rows(n_features))
        second = unpack_upper(summed[: n_quadratic_rows(n_features)].T, n_features)
        return counts, *centred_scatters(second, counts, means, frame)


class FullFactorKernel(LinearKernel):
    """Full covariances for wide data: each component whitens the rows itself.

    Features ``[y; 1]``, ``d + 1`` per row.

    Notes
    -----
    One product of the stacked factors ``[U_k^T, -U_k^T m_k]`` (``k d + 1``
    rows) with ``[y; 1]`` gives every ``v_k = U_k^T (y - m_k)``; squaring
    them and one product with the block indicator (weights ``-1/2``) gives
    ``-|v_k|^2 / 2`` plus each constant. Nothing is expanded, so no digit
    is lost to cancellation. The second moments ``sum r y y^T`` are one
    symmetric rank update of ``sqrt(r) y`` per component. For ``d`` large
    against ``k`` this costs less than :class:`FullKernel`, whose ``d (d +
    1) / 2`` products per row then dominate.

    Examples
    --------
    >>> FullFactorKernel().n_feature_rows(64)  # the coordinates and a 1
    65
    """

    name = "full"
    squared_expansion = False  # differences first, then squares

    def block_footprint(self, n_features: int, n_components: int) -> int:
        # the whitened rows of every component, (k d + 1) per row, dominate
        return (n_components + 1) * (n_features + 1)

    def coefficients(
        self, components: Components, frame: Frame, dtype: np.dtype
    ) -> FrameCoefficients:
        log_weights, means, precisions_cholesky, log_det = components.astuple()
        n_components, n_features = means.shape
        factors = frame.factor_to_frame(precisions_cholesky)
        offsets = np.einsum("kji,kj->ki", precisions_cholesky, means - frame.centre)
        stacked = np.zeros((n_components * n_features + 1, n_features + 1))
        stacked[:-1, :-1] = np.swapaxes(factors, 1, 2).reshape(-1, n_features)
        stacked[:-1, -1] = -offsets.ravel()
        stacked[-1, -1] = 1.0  # so that the squares keep a row of ones
        constants, absent = component_constants(
            log_weights, log_det, np.zeros(n_components), n_features
        )
        blocks = np.kron(np.eye(n_components), np.full(n_features, -0.5))
        offsets2, norms2 = np.einsum("ki,ki->k", offsets, offsets), spectral_norms2(factors)
        return self.limited_coefficients(
            [blocks, constants], absent, dtype, stacked, components, norms2, offsets2
        )

    def joint(
        self,
        features: np.ndarray,
        coefficients: FrameCoefficients,
        out: np.ndarray,
        scratch: ScratchBuffers,
    ) -> None:
        stacked = cast(np.ndarray, coefficients.factor)
        whitened = scratch("whitened", stacked.shape[0], features.shape[1])
        np.matmul(stacked, features, out=whitened)
        np.square(whitened, out=whitened)
        super().joint(whitened, coefficients, out, scratch)

    def moment_shapes(self, n_features: int, n_components: int) -> list[tuple[int, ...]]:
        return [(n_features + 1, n_components), (n_components, n_features, n_features)]

    def add_moments(
        self,
        features: np.ndarray,
        resp_t: np.ndarray,
        moments: list[np.ndarray],
        scratch: ScratchBuffers,
    ) -> None:
        super().add_moments(features, resp_t, moments, scratch)  # counts and first moments
        centred = features[:-1]
        scaled = scratch("scaled", centred.shape[0], centred.shape[1])
        roots = np.sqrt(resp_t)
        for component, root in enumerate(roots):
            np.multiply(centred, root, out=scaled)
            # a symmetric rank update; np.dot releases the GIL here, matmul does not
            moments[1][component] += np.dot(scaled, scaled.T)

    def statistics(
        self, moments: list[np.ndarray], frame: Frame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        first, second = moments
        counts, means = counts_and_means(first, self.linear_rows(frame.centre.shape[0]))
        return counts, *centred_scatters(second, counts, means, frame)


def full_kernel(n_features: int, n_components: int) -> Kernel:
    """The faster of the two full-covariance kernels for this shape.

    Examples
    --------
    >>> full_kernel(16, 16), full_kernel(64, 8)
    (FullKernel(), FullFactorKernel())

    Notes
    -----
    Compares the two kernels' costs per row and E-step, models fitted to
    single-core timings (``docs/benchmarks.md``, "Full covariances: which
    kernel"): building the ``d (d + 1) / 2`` products dominates
    :class:`FullKernel`, per-component work :class:`FullFactorKernel`. The
    choice only affects speed, never the result.
    """
    d, k = n_features, n_components
    products = 1.2 * d * d + 0.06 * k * d * d + 10.0
    factors = k * (0.065 * d * d + 3.1 * d + 23.5)
    return FullFactorKernel() if factors < products else FullKernel()
