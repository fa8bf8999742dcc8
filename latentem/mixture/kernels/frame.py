"""Reference frames: where the kernels' expanded quadratic forms are evaluated.

The kernels expand ``(x - mu)^T P (x - mu)`` into terms that are linear in
per-row features; expanded naively about the origin, that loses every digit on
data far from it (``X + 1e8``). They therefore work with coordinates
``y = A^{-1} (x - c)``: ``c`` is near the data's mean and ``A`` a scale (a
per-feature power of two, which rescales without rounding) or a whitening
factor (the Cholesky factor of the data's covariance, so that each component's
precision is well conditioned in the frame). Results are mapped back with
products by ``A``.

A frame comes from the data (:func:`scaled_frame`, :func:`whitened_frame`:
what a fit prepares its rows in once) or from a model (:func:`scaled_frame_of`,
:func:`whitened_frame_of`, given the mixture's mean and total covariance):
rows brought into a model's frame (:meth:`Frame.transform`) are evaluated
the same way whatever other rows come with them.
"""

from __future__ import annotations

import abc

import numpy as np
from attrs import field, frozen
from scipy.linalg import lapack

from latentem.core.parallel import single_threaded_blas
from latentem.core.validation import readonly_array

__all__ = [
    "MIN_PIVOT",
    "SAMPLE_ROWS",
    "TRANSFORM_ROWS",
    "Frame",
    "ScaledFrame",
    "WhitenedFrame",
    "scaled_frame",
    "scaled_frame_of",
    "whitened_frame",
    "whitened_frame_of",
]

#: Whitening gives way to a per-feature scale when the data's correlation matrix is
#: this close to singular (a Cholesky pivot below it: collinear features).
MIN_PIVOT = 1e-4

#: The centre and factor of a frame come from at most this many evenly spaced rows.
SAMPLE_ROWS = 16384

#: Rows brought into the frame at a time.
TRANSFORM_ROWS = 4096


class Frame(abc.ABC):
    """Coordinates ``y = A^{-1} (x - centre)`` for one data set.

    Attributes
    ----------
    centre : ndarray of shape (n_features,)
    """

    centre: np.ndarray

    @abc.abstractmethod
    def factor_to_frame(self, matrices: np.ndarray) -> np.ndarray:
        """``A^T M`` for every (n_features, m) matrix ``M`` stacked in ``matrices``."""

    @abc.abstractmethod
    def offsets_from_frame(self, means: np.ndarray) -> np.ndarray:
        """``A m`` for every row ``m`` of ``means`` (n_components, n_features)."""

    def means_from_frame(self, means: np.ndarray) -> np.ndarray:
        """``centre + A m`` for every row ``m`` of ``means`` (n_components, n_features)."""
        return self.centre + self.offsets_from_frame(means)

    @abc.abstractmethod
    def scatter_from_frame(self, scatter: np.ndarray) -> np.ndarray:
        """``A S A^T`` for every (n_features, n_features) matrix ``S`` stacked in ``scatter``."""

    @abc.abstractmethod
    def transform(self, X: np.ndarray) -> np.ndarray:
        """The rows of ``X`` (n_samples, n_features) in the frame, feature-major, float64.

        Each row is mapped on its own: the same row gives the same
        coordinates whatever other rows ``X`` holds.
        """


@frozen(eq=False)
class ScaledFrame(Frame):
    """Centred data divided by a power of two per feature (exact, no rounding).

    Attributes
    ----------
    centre : ndarray of shape (n_features,)
    scale : ndarray of shape (n_features,)
        Powers of two.

    Examples
    --------
    >>> import numpy as np
    >>> frame, rows = scaled_frame(np.array([[1e8, 0.0], [1e8 + 4.0, 1.0]]))
    >>> frame.scale, rows
    (array([4., 1.]), array([[-0.5,  0.5],
           [-0.5,  0.5]]))
    """

    centre: np.ndarray = field(converter=readonly_array)
    scale: np.ndarray = field(converter=readonly_array)

    def factor_to_frame(self, matrices: np.ndarray) -> np.ndarray:
        return self.scale[:, None] * matrices

    def offsets_from_frame(self, means: np.ndarray) -> np.ndarray:
        return means * self.scale

    def scatter_from_frame(self, scatter: np.ndarray) -> np.ndarray:
        return scatter * self.scale[:, None] * self.scale

    def variances_from_frame(self, scatter: np.ndarray) -> np.ndarray:
        """Diagonal scatters (n_components, n_features) back in data units."""
        return scatter * self.scale**2

    def transform(self, X: np.ndarray) -> np.ndarray:
        return _transform(X, self.centre, self.scale)


@frozen(eq=False)
class WhitenedFrame(Frame):
    """Centred data whitened by a lower-triangular factor ``A`` (``A A^T`` ~ the data's covariance).

    Attributes
    ----------
    centre : ndarray of shape (n_features,)
    scale : ndarray of shape (n_features,)
        Powers of two.
    lower : ndarray of shape (n_features, n_features)
        Lower triangular with a positive diagonal; the factor is
        ``A = diag(scale) lower``.
    factor : ndarray of shape (n_features, n_features)
        ``A``, lower triangular with a positive diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(500, 2)) @ [[3.0, 0.0], [2.0, 0.1]]
    >>> frame, Y = whitened_frame(X)
    >>> np.round(Y @ Y.T / 500, 6)
    array([[1., 0.],
           [0., 1.]])
    """

    centre: np.ndarray = field(converter=readonly_array)
    scale: np.ndarray = field(converter=readonly_array)
    lower: np.ndarray = field(converter=readonly_array)
    factor: np.ndarray = field(init=False, repr=False)
    # lower's inverse, which brings centred and scaled rows into the frame
    _inverse: np.ndarray = field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "factor", readonly_array(self.scale[:, None] * self.lower))
        inverse, _ = lapack.dtrtri(self.lower, lower=1)
        object.__setattr__(self, "_inverse", readonly_array(inverse))

    def factor_to_frame(self, matrices: np.ndarray) -> np.ndarray:
        return np.matmul(self.factor.T, matrices)

    def offsets_from_frame(self, means: np.ndarray) -> np.ndarray:
        return means @ self.factor.T

    def scatter_from_frame(self, scatter: np.ndarray) -> np.ndarray:
        return np.matmul(np.matmul(self.factor, scatter), self.factor.T)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return _transform(X, self.centre, self.scale, self._inverse)


def _sample(X: np.ndarray) -> np.ndarray:
    """Evenly spaced rows, at most :data:`SAMPLE_ROWS` of them."""
    step = max(1, -(-X.shape[0] // SAMPLE_ROWS))
    return X[::step]


def _power_of_two_scale(centred: np.ndarray) -> np.ndarray:
    """Per feature (column), a power of two above the largest absolute deviation (1 if none)."""
    if centred.shape[0] == 0:
        return np.ones(centred.shape[1])
    largest = np.maximum(centred.max(axis=0), -centred.min(axis=0))
    _, exponent = np.frexp(largest)
    return np.where(largest > 0, np.ldexp(1.0, exponent), 1.0)


def _reference(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre, power-of-two scale and the scaled centred sample (m, d) of ``X``."""
    sample = _sample(X)
    centre = sample.mean(axis=0) if sample.shape[0] else np.zeros(X.shape[1])
    centred = sample - centre
    scale = _power_of_two_scale(centred)
    return centre, scale, centred / scale


def _transform(
    X: np.ndarray, centre: np.ndarray, scale: np.ndarray, inverse: np.ndarray | None = None
) -> np.ndarray:
    """``inverse @ ((x - centre) / scale)`` for every row, feature-major (d, n).

    Done in blocks of :data:`TRANSFORM_ROWS` rows (as many as make 32768
    numbers for narrower rows), so the transposition and the product run in
    cache.
    """
    n_samples, n_features = X.shape
    block_rows = max(TRANSFORM_ROWS, 32768 // max(n_features, 1))
    rows = np.empty((n_features, n_samples))
    buffer = np.empty((n_features, min(block_rows, n_samples)))
    # the scales are powers of two, so multiplying by their reciprocals is exact
    # (and cheaper than dividing) unless a reciprocal overflows
    with np.errstate(over="ignore", divide="ignore"):
        reciprocal = 1.0 / scale[:, None]
    exact = bool(np.all(np.isfinite(reciprocal)))
    with single_threaded_blas():
        for start in range(0, n_samples, block_rows):
            stop = min(start + block_rows, n_samples)
            block = rows[:, start:stop]
            np.subtract(X[start:stop].T, centre[:, None], out=block)
            if exact:
                block *= reciprocal
            else:
                block /= scale[:, None]
            if inverse is not None:
                product = buffer[:, : stop - start]
                np.matmul(inverse, block, out=product)
                block[...] = product
    return rows


def scaled_frame(X: np.ndarray) -> tuple[ScaledFrame, np.ndarray]:
    """The frame of ``X`` centred near its mean, each feature scaled to about [-1, 1].

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    frame : ScaledFrame
    rows : ndarray of shape (n_features, n_samples)
        The rows of ``X`` in the frame, feature-major.

    Notes
    -----
    The centre is the mean and the scales the largest deviations of an
    evenly spaced sample of at most :data:`SAMPLE_ROWS` rows (all of them
    for smaller data): any centre near the data and any scale give the same
    results, these only keep rounding small and numbers far from overflow.
    """
    centre, scale, _ = _reference(X)
    return ScaledFrame(centre, scale), _transform(X, centre, scale)


def whitened_frame(X: np.ndarray) -> tuple[WhitenedFrame, np.ndarray]:
    """The frame of ``X`` centred near its mean and whitened by its covariance.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    frame : WhitenedFrame
    rows : ndarray of shape (n_features, n_samples)
        The rows of ``X`` in the frame, feature-major.

    Notes
    -----
    Centre and power-of-two scales come from a sample as in
    :func:`scaled_frame`; the factor is then ``diag(scale) L`` with ``L``
    the Cholesky factor of the sample's scaled covariance. When that
    covariance is (nearly) singular, as with constant or collinear features,
    ``L`` is the diagonal of standard deviations instead. Any invertible
    factor gives the same results in exact arithmetic; this one makes every
    component's precision well conditioned in the frame. ``L`` is inverted
    explicitly (its condition number is below ``1 / MIN_PIVOT^2``), so
    mapping results back with ``A`` recovers data units to about ``1e-12``
    relative of the data's spread.
    """
    centre, scale, scaled = _reference(X)
    n_rows = max(scaled.shape[0], 1)
    frame = WhitenedFrame(centre, scale, _whitening_factor((scaled.T @ scaled) / n_rows))
    return frame, frame.transform(X)


def _model_scale(variances: np.ndarray) -> np.ndarray:
    """Per feature, a power of two at or above the standard deviation (1 if none)."""
    deviations = np.sqrt(np.maximum(variances, 0.0))
    return _power_of_two_scale(deviations[None])


def scaled_frame_of(centre: np.ndarray, variances: np.ndarray) -> ScaledFrame:
    """The frame of a distribution of mean ``centre`` and per-feature ``variances``.

    The scales are powers of two near the standard deviations: a model's
    frame, in which its kernels evaluate rows of new data one by one.

    Examples
    --------
    >>> import numpy as np
    >>> frame = scaled_frame_of(np.array([1e8, 0.0]), np.array([9.0, 0.2]))
    >>> frame.scale, frame.transform(np.array([[1e8 + 4.0, 1.0]]))
    (array([4. , 0.5]), array([[1.],
           [2.]]))
    """
    centre = np.asarray(centre, dtype=float)
    return ScaledFrame(centre, _model_scale(np.asarray(variances, dtype=float)))


def whitened_frame_of(centre: np.ndarray, covariance: np.ndarray) -> WhitenedFrame:
    """The frame of a distribution of mean ``centre`` and ``covariance``, whitened by it.

    As :func:`whitened_frame` does with the data's moments: power-of-two
    scales near the standard deviations, then the Cholesky factor of the
    scaled covariance (the diagonal when it is nearly singular).

    Examples
    --------
    >>> import numpy as np
    >>> frame = whitened_frame_of(np.zeros(2), np.array([[4.0, 2.0], [2.0, 2.0]]))
    >>> frame.factor @ frame.factor.T
    array([[4., 2.],
           [2., 2.]])
    """
    centre = np.asarray(centre, dtype=float)
    covariance = np.asarray(covariance, dtype=float)
    scale = _model_scale(np.diagonal(covariance))
    scaled = covariance / scale[:, None] / scale
    return WhitenedFrame(centre, scale, _whitening_factor(scaled))


def _whitening_factor(covariance: np.ndarray) -> np.ndarray:
    deviations = np.sqrt(np.diagonal(covariance))
    if not np.all(deviations > 0):
        return np.eye(covariance.shape[0])
    correlation = covariance / deviations[:, None] / deviations
    lower, info = lapack.dpotrf(correlation, lower=1, clean=1)
    if info != 0 or not np.min(np.diagonal(lower)) > MIN_PIVOT:
        return np.diag(deviations)
    return deviations[:, None] * lower
