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
representation of :class:`~latentem.mixture.GaussianMixtureStats`.

The expansion loses about ``eps (s |y| + o)^2`` nats on a row at distance
``|y|`` from the frame's centre, ``s`` bounding a component's precision factor
in the frame and ``o`` the distance of the centre from its mean in its own
deviations. :class:`FrameCoefficients` therefore also says which rows (beyond
a component's :attr:`~FrameCoefficients.radii2`) and which components
(:attr:`~FrameCoefficients.exact_components`) the passes evaluate by the
exact path of :mod:`~latentem.mixture.kernels.exact` instead, so that
rounding stays within :data:`EXPANSION_BUDGET` nats. The
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
from latentem.mixture.kernels.frame import Frame, whitened_frame, whitened_frame_of

__all__ = [
    "EXPANSION_BUDGET",
    "Components",
    "FrameCoefficients",
    "Kernel",
    "LinearKernel",
    "ScratchBuffers",
]

#: How a kernel gets work arrays: ``scratch(name, n_rows, width)`` returns the calling
#: thread's reusable array of that name, in the working dtype
#: (:meth:`Workspace.buffer <latentem.mixture.kernels.blocks.Workspace.buffer>`).
ScratchBuffers = Callable[[str, int, int], np.ndarray]

_LOG_2PI = math.log(2.0 * math.pi)

#: Rounding (in nats, per row and component) the expanded forms may lose before the
#: exact path takes over, per working precision: ``eps (s |y| + o)^2`` stays below it.
EXPANSION_BUDGET = {np.dtype(np.float64): 2.0**-26, np.dtype(np.float32): 2.0**-10}

#: A kernel that takes differences before squaring loses ``2 eps |v| (s |y| + o)`` on a
#: component at whitened distance ``|v|``; for the components that matter to a row
#: (within ``|v|`` of this, 2048 nats below the best) that is ``2 eps 64 (s |y| + o)``.
COMPETING_DISTANCE = 64.0


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
    components : Components or None
        The parameters in data units, for the exact path (None: none).
    factors : ndarray or None
        Each component's precision factor or its diagonal, for the exact path.
    radii2 : ndarray of shape (n_components,) or None
        Rows farther than this squared distance from the frame's centre take
        the exact path for the component (``inf``: none; None: no row).
    exact_components : ndarray of int
        Components every row evaluates by the exact path.
    offsets2 : ndarray of shape (n_components,) or None
        Squared distance of the frame's centre from each mean, in the
        component's deviations (its Mahalanobis distance).
    any_absent : bool
        Whether some component has weight zero (set from ``absent``).
    """

    matrix: np.ndarray
    absent: np.ndarray
    factor: np.ndarray | None = None
    components: Components | None = None
    factors: np.ndarray | None = None
    radii2: np.ndarray | None = None
    exact_components: np.ndarray = field(factory=lambda: np.zeros(0, dtype=np.intp))
    offsets2: np.ndarray | None = None
    # read once per block of every pass: worth keeping rather than recomputing
    any_absent: bool = field(init=False)
    #: The smallest of :attr:`radii2`: rows within it take no exact path.
    radius2: float = field(init=False)

    @any_absent.default
    def _any_absent(self) -> bool:
        return bool(self.absent.any())

    @radius2.default
    def _radius2(self) -> float:
        return math.inf if self.radii2 is None else float(np.min(self.radii2, initial=math.inf))

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


def spectral_norms2(factors: np.ndarray) -> np.ndarray:
    """The largest squared singular value of each (d, d) matrix stacked in ``factors``."""
    if factors.size == 0:
        return np.zeros(factors.shape[:-2])
    return np.linalg.svd(factors, compute_uv=False)[..., 0] ** 2


def expansion_limits(
    factor_norms2: np.ndarray,
    offsets2: np.ndarray,
    absent: np.ndarray,
    dtype: np.dtype,
    squared: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Where the expansion keeps rounding within :data:`EXPANSION_BUDGET`.

    Parameters
    ----------
    factor_norms2 : ndarray of shape (n_components,)
        A bound on ``|U_k^T y|^2 / |y|^2`` in the frame (the squared norm of
        each precision factor there).
    offsets2 : ndarray of shape (n_components,)
        ``|U_k^T (mu_k - centre)|^2``.
    absent : ndarray of bool
    dtype : the working precision
    squared : bool, default=True
        Whether the kernel expands the square (rounding ``eps (s |y| + o)^2``)
        or takes differences first (``2 eps |v| (s |y| + o)``, with ``|v|`` at
        most :data:`COMPETING_DISTANCE` for the components that matter).

    Returns
    -------
    radii2 : ndarray of shape (n_components,)
        Rows beyond this squared distance from the centre need the exact path
        for the component (``inf``: none).
    exact_components : ndarray of int
        Components too far from the centre for any row.

    Examples
    --------
    >>> import numpy as np
    >>> radii2, exact = expansion_limits(
    ...     np.array([1.0, 1.0]), np.array([0.0, 1e16]), np.zeros(2, bool), np.dtype(float))
    >>> radii2, exact  # (2^-26 / eps)^(1/2) = 2^13 deviations
    (array([67108864.,       inf]), array([1]))
    """
    budget = EXPANSION_BUDGET.get(np.dtype(dtype), 2.0**-26) / float(np.finfo(dtype).eps)
    limit = math.sqrt(budget) if squared else budget / (2.0 * COMPETING_DISTANCE)
    offsets = np.sqrt(offsets2)
    # NaN compares False: a non-finite offset is too far
    far = ~(offsets < limit)
    exact = np.flatnonzero(~absent & far)
    norms = np.sqrt(np.broadcast_to(factor_norms2, offsets.shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        radii = np.where(norms > 0, (limit - offsets) / norms, math.inf)
    radii = np.where(absent | far, math.inf, radii)
    return radii * radii, exact


def make_coefficients(
    columns: list[np.ndarray],
    absent: np.ndarray,
    dtype: np.dtype,
    factor: np.ndarray | None,
    *,
    components: Components,
    factors: np.ndarray,
    factor_norms2: np.ndarray,
    offsets2: np.ndarray,
    squared: bool,
) -> FrameCoefficients:
    """FrameCoefficients whose matrix is ``columns`` side by side, in ``dtype``.

    With ``components`` and ``factors`` (the exact path's) and the bounds
    ``factor_norms2`` and ``offsets2`` of :func:`expansion_limits` (and
    whether the kernel's form is ``squared``), the rows and components the
    expansion cannot serve are marked for the exact path.
    """
    matrix = np.ascontiguousarray(np.column_stack(columns), dtype=dtype)
    first = None if factor is None else np.ascontiguousarray(factor, dtype=dtype)
    radii2, exact = expansion_limits(factor_norms2, offsets2, absent, matrix.dtype, squared)
    return FrameCoefficients(
        matrix, absent, first, components, factors, radii2, exact, np.asarray(offsets2)
    )


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
    #: Whether the statistics keep one scatter per feature rather than a matrix.
    diagonal_scatter: ClassVar[bool] = False
    #: Whether the statistics pool every component's scatter into one matrix.
    shared_scatter: ClassVar[bool] = False
    #: Whether the joint expands the square (else differences come first, see
    #: :func:`expansion_limits`).
    squared_expansion: ClassVar[bool] = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    @abc.abstractmethod
    def make_frame(self, X: np.ndarray) -> tuple[Frame, np.ndarray]:
        """The frame the kernel works in, chosen from ``X`` (n_samples, n_features).

        Returns the frame and the rows of ``X`` in it, feature-major
        (n_features, n_samples), in float64.
        """

    def reference_frame(self, centre: np.ndarray, covariance: np.ndarray) -> Frame:
        """The frame the kernel works in, fixed by a distribution's mean and covariance.

        A model's frame: centred on the mixture's mean, scaled or whitened
        by its total covariance (:func:`~latentem.mixture.kernels.frame.whitened_frame_of`
        by default).
        """
        return whitened_frame_of(centre, covariance)

    def exact_factors(self, components: Components) -> np.ndarray:
        """Each component's precision factor ``U_k`` (k, d, d), or its diagonal (k, d).

        What the exact path (:mod:`~latentem.mixture.kernels.exact`) reads;
        by default the factors of :class:`Components` as they are.
        """
        return components.precisions_cholesky

    def limited_coefficients(
        self,
        columns: list[np.ndarray],
        absent: np.ndarray,
        dtype: np.dtype,
        factor: np.ndarray | None,
        components: Components,
        factor_norms2: np.ndarray,
        offsets2: np.ndarray,
    ) -> FrameCoefficients:
        """:func:`make_coefficients` with what the exact path needs and where it takes over.

        ``factor_norms2`` and ``offsets2`` are :func:`expansion_limits`'s bounds.
        """
        return make_coefficients(
            columns,
            absent,
            dtype,
            factor,
            components=components,
            factors=self.exact_factors(components),
            factor_norms2=factor_norms2,
            offsets2=offsets2,
            squared=self.squared_expansion,
        )

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
        offsets : ndarray of shape (n_components, n_features)
            The means minus the frame's centre (kept apart so that no digit
            of them is lost to the centre's magnitude); 0 where the count is 0.
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
    """Means (from the frame's centre) and scatters about them in data units.

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
    return np.where(counts[:, None] > 0, frame.offsets_from_frame(means), 0.0), scatter
