"""The kernel protocol: parameters as coefficients on per-row features, moments, statistics.

Every kernel evaluates all components at once with matrix products per
block of rows:

* E-step: ``joint = W @ Z`` where ``Z`` holds the rows' features (see
  :mod:`~latentem.mixture.kernels.features`) and ``W`` (n_components,
  n_feature_rows) each component's expanded quadratic form (the
  :class:`FrameCoefficients`); the result
  is ``log w_k + log N(x_i | mu_k, Sigma_k)`` for every component and row.
* M-step: ``moments += Z @ R^T`` with ``R`` the responsibilities: for each
  component its count, first moment and second moments in the frame.

:meth:`Kernel.statistics` turns the summed moments into the centred
representation of :class:`~latentem.mixture.GaussianMixtureStats`. The
kernels of the four covariance structures are in
:mod:`~latentem.mixture.kernels.full`, :mod:`~latentem.mixture.kernels.diagonal`
and :mod:`~latentem.mixture.kernels.tied`.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from typing import ClassVar

import numpy as np
from attrs import field, frozen

from latentem.mixture.kernels.features import write_linear_features
from latentem.mixture.kernels.frame import Frame, whitened_frame

__all__ = ["Components", "FrameCoefficients", "Kernel", "LinearKernel", "ScratchBuffers"]

#: How a kernel gets work arrays: ``scratch(name, n_rows, width)`` returns the calling
#: thread's reusable array of that name, in the working dtype
#: (:meth:`Workspace.buffer <latentem.mixture.kernels.blocks.Workspace.buffer>`).
ScratchBuffers = Callable[[str, int, int], np.ndarray]

_LOG_2PI = math.log(2.0 * math.pi)


@frozen(eq=False)
class Components:
    """A mixture's parameters as the kernels take them.

    Attributes
    ----------
    log_weights : ndarray of shape (n_components,)
        ``-inf`` for a component of weight zero.
    means : ndarray of shape (n_components, n_features)
    precisions_cholesky : ndarray
        In the layout of the covariance structure.
    log_det : ndarray of shape (n_components,) or (1,)
        ``log det U`` of each component's precision factor.
    """

    log_weights: np.ndarray
    means: np.ndarray
    precisions_cholesky: np.ndarray
    log_det: np.ndarray

    def astuple(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The four arrays, in the order above."""
        return self.log_weights, self.means, self.precisions_cholesky, self.log_det


@frozen(eq=False)
class FrameCoefficients:
    """A mixture's parameters as each component's coefficients on the features of one frame.

    Attributes
    ----------
    matrix : ndarray of shape (n_components, n_feature_rows)
        Row ``k`` holds component ``k``'s coefficients: ``joint = matrix @ features``
        for most kernels.
    absent : ndarray of bool, shape (n_components,)
        Components of weight zero: their joint log-density is ``-inf``.
    factor : ndarray or None
        A first product some kernels apply to the features (see each kernel).
    any_absent : bool
        Whether some component has weight zero (set from ``absent``).
    """

    matrix: np.ndarray
    absent: np.ndarray
    factor: np.ndarray | None = None
    # read once per block of every pass: worth keeping rather than recomputing
    any_absent: bool = field(init=False)

    @any_absent.default
    def _any_absent(self) -> bool:
        return bool(self.absent.any())

    @property
    def n_components(self) -> int:
        """Number of components."""
        return int(self.matrix.shape[0])


def zero_safe_divide(numerator: np.ndarray, counts: np.ndarray) -> np.ndarray:
    shape = (-1,) + (1,) * (numerator.ndim - 1)
    safe = np.where(counts > 0, counts, 1.0).reshape(shape)
    return np.where(counts.reshape(shape) > 0, numerator / safe, 0.0)


def counts_and_means(summed: np.ndarray, linear_rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """Counts (the moments of the constant feature) and means in the frame."""
    counts = summed[-1].copy()
    return counts, zero_safe_divide(summed[linear_rows].T, counts)


def component_constants(
    log_weights: np.ndarray, log_det: np.ndarray, squared_offsets: np.ndarray, n_features: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each component's constant term, and which components have weight zero."""
    absent = ~np.isfinite(log_weights)
    constants = (
        np.where(absent, 0.0, log_weights)
        + log_det
        - 0.5 * (n_features * _LOG_2PI + squared_offsets)
    )
    return constants, absent


def make_coefficients(
    columns: list[np.ndarray], absent: np.ndarray, dtype: np.dtype, factor: np.ndarray | None
) -> FrameCoefficients:
    """FrameCoefficients whose matrix is ``columns`` side by side, in ``dtype``."""
    matrix = np.ascontiguousarray(np.column_stack(columns), dtype=dtype)
    first = None if factor is None else np.ascontiguousarray(factor, dtype=dtype)
    return FrameCoefficients(matrix, absent, first)


class Kernel(abc.ABC):
    """Fast evaluation of one covariance structure, in a frame, over blocks of rows.

    Kernels are stateless; every method is a pure function of its arguments.
    Arrays of rows are feature-major: shape (n_rows_of_features, n_rows).

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture.kernels import FullKernel
    >>> FullKernel().n_feature_rows(n_features=3)  # 6 products, 3 coordinates, 1
    10
    """

    name: ClassVar[str]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    @abc.abstractmethod
    def make_frame(self, X: np.ndarray) -> tuple[Frame, np.ndarray]:
        """The frame the kernel works in, chosen from ``X`` (n_samples, n_features).

        Returns the frame and the rows of ``X`` in it, feature-major
        (n_features, n_samples), in float64.
        """

    @abc.abstractmethod
    def n_feature_rows(self, n_features: int) -> int:
        """Number of features per row (the last one is the constant 1)."""

    def block_footprint(self, n_features: int, n_components: int) -> int:
        """Numbers a pass handles per row of a block; blocks are sized on it.

        The default counts the features and, for the per-block cost of the
        component-wise steps (log-sum-exp, a call per component), 3 per
        component: fitted to timings of whole E-steps over block sizes
        (``docs/benchmarks.md``, "Block size").
        """
        return self.n_feature_rows(n_features) + 3 * n_components

    @abc.abstractmethod
    def linear_rows(self, n_features: int) -> slice:
        """Where the frame coordinates ``y`` sit among the feature rows."""

    @abc.abstractmethod
    def write_features(self, centred_t: np.ndarray, out: np.ndarray) -> None:
        """Fill ``out`` (n_feature_rows, n_rows) from coordinates (n_features, n_rows)."""

    @abc.abstractmethod
    def coefficients(
        self, components: Components, frame: Frame, dtype: np.dtype
    ) -> FrameCoefficients:
        """The mixture's parameters as coefficients on this kernel's features in ``frame``.

        Parameters
        ----------
        components : Components
        frame : Frame
        dtype : numpy dtype of the features
        """

    def joint(
        self,
        features: np.ndarray,
        coefficients: FrameCoefficients,
        out: np.ndarray,
        scratch: ScratchBuffers,
    ) -> None:
        """``log w_k + log N(x_i | ...)`` into ``out`` of shape (n_components, n_rows)."""
        np.matmul(coefficients.matrix, features, out=out)
        if coefficients.any_absent:
            out[coefficients.absent] = -np.inf

    def moment_shapes(self, n_features: int, n_components: int) -> list[tuple[int, ...]]:
        """Shapes of the arrays :meth:`add_moments` accumulates into."""
        return [(self.n_feature_rows(n_features), n_components)]

    def add_moments(
        self,
        features: np.ndarray,
        resp_t: np.ndarray,
        moments: list[np.ndarray],
        scratch: ScratchBuffers,
    ) -> None:
        """Add the block's responsibility-weighted feature sums: ``moments[0] += Z @ R^T``.

        Parameters
        ----------
        features : ndarray of shape (n_feature_rows, n_rows)
        resp_t : ndarray of shape (n_components, n_rows)
        moments : list of float64 ndarrays of :meth:`moment_shapes`
        scratch : callable
            Reusable per-thread arrays, if the kernel needs any.
        """
        # np.dot, not matmul: matmul keeps the GIL when an operand is a transposed
        # view, so threads ran these products one at a time (docs/benchmarks.md)
        moments[0] += np.dot(features, resp_t.T)

    @abc.abstractmethod
    def statistics(
        self, moments: list[np.ndarray], frame: Frame
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Counts, means and scatter about the means, in data units, from summed moments.

        Returns
        -------
        counts : ndarray of shape (n_components,)
        means : ndarray of shape (n_components, n_features)
            0 where the count is 0.
        scatter : ndarray
            In the layout of :class:`~latentem.mixture.GaussianMixtureStats`.
        """


class LinearKernel(Kernel):
    """A kernel whose features are ``[y; 1]`` in a whitened frame (``d + 1`` per row)."""

    def make_frame(self, X: np.ndarray) -> tuple[Frame, np.ndarray]:
        return whitened_frame(X)

    def n_feature_rows(self, n_features: int) -> int:
        return n_features + 1

    def linear_rows(self, n_features: int) -> slice:
        return slice(0, n_features)

    def write_features(self, centred_t: np.ndarray, out: np.ndarray) -> None:
        write_linear_features(centred_t, out)


def centred_scatters(
    second: np.ndarray, counts: np.ndarray, means: np.ndarray, frame: Frame
) -> tuple[np.ndarray, np.ndarray]:
    """Means and scatters about them in data units, from per-component second moments.

    Parameters
    ----------
    second : ndarray of shape (n_components, n_features, n_features)
        ``sum r y y^T`` in the frame.
    counts : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
        In the frame.
    """
    centred = second - counts[:, None, None] * means[:, :, None] * means[:, None, :]
    scatter = frame.scatter_from_frame(centred)
    scatter = 0.5 * (scatter + np.swapaxes(scatter, 1, 2))
    return np.where(counts[:, None] > 0, frame.means_from_frame(means), 0.0), scatter
