"""Covariance structures of a Gaussian mixture: full, diag, spherical and tied.

Each structure is a small stateless class that knows the shape of its
parameters, how to turn centred scatter statistics into covariances, and its
fast kernel (:mod:`latentem.mixture.kernels`), which evaluates log-densities
and summarises data for every component at once.
The user's string (``"full"``, ...) is parsed once, by :func:`covariance_type`.

Conventions (shared with scikit-learn): ``precisions_cholesky`` holds upper
triangular ``U`` with ``precision = U @ U.T``; for ``diag`` and ``spherical``
it holds ``1 / sqrt(variance)``.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np
from scipy.linalg import lapack

from latentem.mixture.kernels.base import Kernel
from latentem.mixture.kernels.diagonal import DiagKernel, SphericalKernel
from latentem.mixture.kernels.full import full_kernel
from latentem.mixture.kernels.tied import TiedKernel

__all__ = [
    "COVARIANCE_TYPES",
    "CovarianceType",
    "DiagCovariance",
    "FullCovariance",
    "SphericalCovariance",
    "TiedCovariance",
    "covariance_type",
]

_COLLAPSE_ADVICE = (
    "in a fit this means the component collapsed onto fewer distinct points than "
    "features, or a feature is constant: increase reg_covar (e.g. reg_covar=1e-6), "
    "reduce n_components, or remove constant or duplicated features"
)


# LAPACK is called directly for these small factorisations: scipy.linalg's wrappers
# reach OpenBLAS routines that start its threads, which costs milliseconds per
# (d, d) matrix on a busy machine, i.e. more than a whole E-step.


def _cholesky_lower(matrix: np.ndarray, what: str) -> np.ndarray:
    """Lower Cholesky factor of one symmetric positive-definite matrix, or a ValueError."""
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{what} contains NaN or infinite values; {_COLLAPSE_ADVICE}")
    lower, info = lapack.dpotrf(matrix, lower=1, clean=1)
    if info != 0:
        raise ValueError(f"{what} is not positive definite; {_COLLAPSE_ADVICE}")
    return lower


def _check_symmetric(matrix: np.ndarray, what: str) -> None:
    scale = np.max(np.abs(matrix)) if matrix.size else 0.0
    if not np.allclose(matrix, matrix.T, rtol=1e-8, atol=1e-12 * scale):
        raise ValueError(f"{what} must be symmetric; make it (M + M.T) / 2 or check its values")


def _inverse_upper_factor(lower: np.ndarray) -> np.ndarray:
    """``U = inv(L).T`` so that ``U @ U.T = inv(L @ L.T)``."""
    inverse, info = lapack.dtrtri(lower, lower=1)
    if info != 0:  # pragma: no cover - a Cholesky factor has a positive diagonal
        raise ValueError("a Cholesky factor is singular; increase reg_covar")
    return inverse.T + 0.0  # + 0.0 turns LAPACK's -0.0 entries into 0.0


class CovarianceType(abc.ABC):
    """How one kind of covariance is stored, evaluated and estimated.

    Subclasses are stateless; compare them with ``==`` or by :attr:`name`.

    Examples
    --------
    >>> from latentem.mixture import covariance_type
    >>> cov = covariance_type("diag")
    >>> cov.name, cov.parameter_shape(n_components=3, n_features=2)
    ('diag', (3, 2))
    """

    name: ClassVar[str]
    _kernel: ClassVar[Kernel]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return covariance_type, (self.name,)

    def kernel(self, n_features: int, n_components: int) -> Kernel:
        """The kernel evaluating this structure over blocks of rows (:mod:`.kernels`).

        Its choice may depend on the shape of the problem, never on the result.
        """
        return self._kernel

    @abc.abstractmethod
    def parameter_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        """Shape of ``covariances`` (and of ``precisions``)."""

    @abc.abstractmethod
    def precisions_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        """Cholesky factors of the precisions; ValueError naming the component if not PD."""

    @abc.abstractmethod
    def covariances_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        """Invert user-given precisions, checking they are symmetric positive definite."""

    @abc.abstractmethod
    def precisions(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        """Precisions from their Cholesky factors."""

    @abc.abstractmethod
    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        """``log det U`` per component, i.e. half the log-determinant of the precision."""

    @abc.abstractmethod
    def shift_scatter(self, delta: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """The scatter term ``sum_k weight_k delta_k delta_k^T`` in this layout.

        Used when two chunks' statistics about different means are merged.
        """

    @abc.abstractmethod
    def covariances_from_scatter(
        self,
        scatter: np.ndarray,
        counts: np.ndarray,
        reg_covar: float,
        previous: np.ndarray,
    ) -> np.ndarray:
        """M-step: covariances from scatter and counts; empty components keep ``previous``."""

    @abc.abstractmethod
    def n_parameters(self, n_components: int, n_features: int) -> int:
        """Number of free covariance parameters."""

    @abc.abstractmethod
    def full_matrices(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> np.ndarray:
        """Covariances as (k, d, d) matrices."""

    def check_covariances(
        self, covariances: np.ndarray, n_components: int, n_features: int, name: str
    ) -> None:
        """Raise a ValueError naming ``name`` unless the shape fits."""
        expected = self.parameter_shape(n_components, n_features)
        if covariances.shape != expected:
            raise ValueError(
                f"{name} for covariance_type={self.name!r} must have shape {expected} "
                f"(from n_components={n_components}, n_features={n_features}); "
                f"got {covariances.shape}"
            )


class FullCovariance(CovarianceType):
    """Each component has its own full covariance matrix, shape (k, d, d).

    Examples
    --------
    >>> import numpy as np
    >>> FullCovariance().precisions_cholesky(np.array([[[4.0, 0.0], [0.0, 1.0]]]))
    array([[[0.5, 0. ],
            [0. , 1. ]]])
    """

    name = "full"

    def kernel(self, n_features: int, n_components: int) -> Kernel:
        return full_kernel(n_features, n_components)

    def parameter_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components, n_features, n_features)

    def precisions_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        out = np.empty_like(covariances)
        for k, covariance in enumerate(covariances):
            _check_symmetric(covariance, f"covariances[{k}]")
            lower = _cholesky_lower(covariance, f"covariances[{k}]")
            out[k] = _inverse_upper_factor(lower)
        return out

    def covariances_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        out = np.empty_like(precisions)
        for k, precision in enumerate(precisions):
            _check_symmetric(precision, f"precisions[{k}]")
            upper = _inverse_upper_factor(_cholesky_lower(precision, f"precisions[{k}]"))
            out[k] = upper @ upper.T
        return out

    def precisions(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        return np.matmul(precisions_cholesky, np.swapaxes(precisions_cholesky, 1, 2))

    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        return np.log(np.diagonal(precisions_cholesky, axis1=1, axis2=2)).sum(axis=1)

    def shift_scatter(self, delta: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return weight[:, None, None] * delta[:, :, None] * delta[:, None, :]

    def covariances_from_scatter(
        self, scatter: np.ndarray, counts: np.ndarray, reg_covar: float, previous: np.ndarray
    ) -> np.ndarray:
        occupied = counts > 0
        covariances = np.array(previous, dtype=float, copy=True)
        covariances[occupied] = scatter[occupied] / counts[occupied, None, None]
        diagonal = np.einsum("kii->ki", covariances)
        diagonal[occupied] += reg_covar
        return covariances

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components * n_features * (n_features + 1) // 2

    def full_matrices(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> np.ndarray:
        return np.array(covariances, copy=True)


class DiagCovariance(CovarianceType):
    """Each component has its own diagonal covariance, stored as variances (k, d).

    Examples
    --------
    >>> DiagCovariance().n_parameters(n_components=3, n_features=2)
    6
    """

    name = "diag"
    _kernel = DiagKernel()

    def parameter_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components, n_features)

    def precisions_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        _check_positive(covariances, "covariances")
        return 1.0 / np.sqrt(covariances)

    def covariances_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        _check_positive(precisions, "precisions")
        return 1.0 / precisions

    def precisions(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        return precisions_cholesky**2

    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        return np.log(precisions_cholesky).sum(axis=1)

    def shift_scatter(self, delta: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return weight[:, None] * delta**2

    def covariances_from_scatter(
        self, scatter: np.ndarray, counts: np.ndarray, reg_covar: float, previous: np.ndarray
    ) -> np.ndarray:
        occupied = counts > 0
        covariances = np.array(previous, dtype=float, copy=True)
        covariances[occupied] = scatter[occupied] / counts[occupied, None] + reg_covar
        return covariances

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components * n_features

    def full_matrices(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> np.ndarray:
        return np.stack([np.diag(variances) for variances in covariances])


class SphericalCovariance(DiagCovariance):
    """Each component has one variance shared by all features, stored as (k,).

    The scatter statistics are kept per feature, as for ``diag``; the M-step
    averages the per-feature variances (scikit-learn's estimator).

    Examples
    --------
    >>> SphericalCovariance().parameter_shape(n_components=3, n_features=2)
    (3,)
    """

    name = "spherical"
    _kernel = SphericalKernel()

    def parameter_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_components,)

    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        return n_features * np.log(precisions_cholesky)

    def covariances_from_scatter(
        self, scatter: np.ndarray, counts: np.ndarray, reg_covar: float, previous: np.ndarray
    ) -> np.ndarray:
        occupied = counts > 0
        covariances = np.array(previous, dtype=float, copy=True)
        variances = scatter[occupied] / counts[occupied, None] + reg_covar
        covariances[occupied] = variances.mean(axis=1)
        return covariances

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components

    def full_matrices(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> np.ndarray:
        return covariances[:, None, None] * np.eye(n_features)[None]


class TiedCovariance(CovarianceType):
    """All components share one full covariance matrix, shape (d, d).

    Examples
    --------
    >>> TiedCovariance().n_parameters(n_components=3, n_features=2)
    3
    """

    name = "tied"
    _kernel = TiedKernel()

    def parameter_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        return (n_features, n_features)

    def precisions_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        _check_symmetric(covariances, "covariances")
        return _inverse_upper_factor(_cholesky_lower(covariances, "covariances"))

    def covariances_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        _check_symmetric(precisions, "precisions")
        upper = _inverse_upper_factor(_cholesky_lower(precisions, "precisions"))
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

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_features * (n_features + 1) // 2

    def full_matrices(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> np.ndarray:
        return np.repeat(covariances[None], n_components, axis=0)


def _check_positive(values: np.ndarray, name: str) -> None:
    bad = ~(values > 0) | ~np.isfinite(values)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must be positive and finite; got {values[where]!r} at index {where}; "
            f"{_COLLAPSE_ADVICE}"
        )


COVARIANCE_TYPES: dict[str, CovarianceType] = {
    structure.name: structure
    for structure in (FullCovariance(), DiagCovariance(), SphericalCovariance(), TiedCovariance())
}


def covariance_type(value: str | CovarianceType) -> CovarianceType:
    """Parse a covariance type name (or pass a :class:`CovarianceType` through).

    Examples
    --------
    >>> covariance_type("tied")
    TiedCovariance()
    >>> covariance_type("diagonal")
    Traceback (most recent call last):
    ...
    ValueError: covariance_type must be one of 'full', 'diag', 'spherical', 'tied'; got 'diagonal'
    """
    if isinstance(value, CovarianceType):
        return value
    if isinstance(value, str) and value in COVARIANCE_TYPES:
        return COVARIANCE_TYPES[value]
    listed = ", ".join(repr(name) for name in COVARIANCE_TYPES)
    raise ValueError(f"covariance_type must be one of {listed}; got {value!r}")
