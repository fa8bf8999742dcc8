"""Data prepared once for the kernels and reused by every EM iteration.

:class:`GaussianData` holds the rows in the kernel's frame (centred and
scaled or whitened, feature-major, in the working precision), with sample
weights and known labels, and, within a memory budget, the per-row features
(for ``full`` the products ``y_i y_j``) so that they are not recomputed at
every iteration. It also keeps the rows as given, for the exact path
(:mod:`~latentem.mixture.kernels.exact`) of the rows the expanded forms
cannot evaluate to working precision, and the largest squared distance to the
frame's centre per group of :data:`NORM_ROWS` rows, which finds them.

Memory
------
Beyond the caller's array, preparing ``n`` rows of ``d`` features takes
``n d`` numbers (the rows in the frame). The feature cache takes ``n q``
numbers with ``q = d (d + 3) / 2 + 1`` for ``full`` (153 for d = 16), ``2 d
+ 1`` for ``diag`` and ``spherical``, ``d + 1`` for ``tied``; it replaces the
``n d`` numbers of the frame rows; it is kept only when it fits in
``cache_bytes`` (:data:`FEATURE_CACHE_BYTES` by default, 0: the cache is
opt-in, since its first-touch cost exceeds what ten iterations save, see
``docs/benchmarks.md``); otherwise every pass computes the features block
by block. The distances to the centre take ``n / 256`` numbers; the rows as
given are a view of the caller's array (a float64 copy only of data that was
not an array of numbers). A pass needs O(block) more: per thread one block of features and
one of (n_components, rows) log-densities (together about
:data:`BLOCK_BYTES`; ``(k d + 1, rows)`` whitened rows for the factor
kernel), kept with the data object for its next pass and freed with it, and at
most 64 accumulators of the moments' size; never an (n, k, d) array. Per-row
results (``predict_proba``, ``joint_log_prob``) are (n, k) arrays by nature.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from attrs import field, frozen

from latentem.core.buffers import LendingPool
from latentem.core.data import as_observations
from latentem.core.validation import check_array, check_int
from latentem.mixture.kernels.base import Kernel
from latentem.mixture.kernels.frame import Frame
from latentem.mixture.kernels.threads import default_threads

__all__ = [
    "BLOCK_BYTES",
    "FEATURE_CACHE_BYTES",
    "KERNEL_DTYPES",
    "GaussianData",
    "check_dtype",
    "default_plan",
    "default_threads",
    "prepare_data",
    "NORM_ROWS",
]

#: Default budget (bytes) for caching per-row features across EM iterations.
FEATURE_CACHE_BYTES = 0

#: Target size (bytes) of the numbers a pass handles per block (see
#: ``Kernel.block_footprint``): large enough that NumPy's per-call overhead is small,
#: small enough to stay in cache. Rows per block are the nearest power of two.
BLOCK_BYTES = 4 * 2**20

_MIN_BLOCK_ROWS = 256

#: Below this many feature-by-component products per row a problem is *narrow*: a
#: pass is nearly all short element-wise NumPy calls, and a second thread gains only
#: when the blocks are large and there are many of them (see :func:`default_plan`).
MIN_PRODUCTS_FOR_THREADS = 64

#: A narrow problem runs on several threads only with at least this many rows per
#: thread (measured at d = 2, k = 3 in ``docs/benchmarks.md``: two threads were slower
#: than one at 100,000 rows and faster from 200,000).
MIN_NARROW_ROWS_PER_THREAD = 131072

_MAX_BLOCK_ROWS = 16384
_MAX_THREADED_BLOCK_ROWS = 32768

#: Rows per group whose largest squared distance to the frame's centre is kept.
NORM_ROWS = 256

#: Working precisions the kernels support.
KERNEL_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def check_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as one of :data:`KERNEL_DTYPES`, or a ValueError naming the argument."""
    try:
        value = np.dtype(dtype)
    except TypeError:
        value = None
    # np.dtype(None) is float64, so None must be refused before the comparison
    if dtype is None or value is None or value not in KERNEL_DTYPES:
        raise ValueError(f"dtype must be numpy.float64 or numpy.float32; got {dtype!r}")
    return value


def _block_rows(footprint: int, n_threads: int) -> int:
    # float64 sizes blocks for float32 too: the same rows per block keep the same
    # number of NumPy calls per row, which is what the blocks are for
    exact = BLOCK_BYTES / (footprint * 8)
    rows = 2 ** round(math.log2(max(exact, 1.0)))
    if rows > _MAX_BLOCK_ROWS and n_threads > 1:
        # threads take turns holding the GIL between NumPy calls, so larger calls pay
        # on several threads where one thread is faster with blocks that stay in cache;
        # never above the byte budget, though
        return int(min(2 ** math.floor(math.log2(exact)), _MAX_THREADED_BLOCK_ROWS))
    return int(min(max(rows, _MIN_BLOCK_ROWS), _MAX_BLOCK_ROWS))


def default_plan(
    kernel: Kernel,
    n_samples: int,
    n_features: int,
    n_components: int,
    n_threads: int | None = None,
) -> tuple[int, int]:
    """Threads and rows per block of a pass over prepared data.

    Threads: ``n_threads`` if given, else every available core, except for
    a narrow problem (fewer than :data:`MIN_PRODUCTS_FOR_THREADS` products
    per row) with fewer than :data:`MIN_NARROW_ROWS_PER_THREAD` rows per
    core, which runs on one thread. Blocks hold about :data:`BLOCK_BYTES`
    of the kernel's footprint, in a power of two of rows between 256 and
    16384, or up to 32768 on several threads.

    Examples
    --------
    >>> from latentem.mixture.kernels import DiagKernel
    >>> default_plan(DiagKernel(), 1000, 2, 3)  # narrow and small: one thread
    (1, 16384)
    >>> default_plan(DiagKernel(), 1000, 2, 3, n_threads=2)
    (2, 32768)
    """
    if n_threads is not None:
        threads = check_int(n_threads, "n_threads", minimum=1)
    else:
        products = kernel.n_feature_rows(n_features) * n_components
        threads = default_threads()
        if products < MIN_PRODUCTS_FOR_THREADS and n_samples < threads * MIN_NARROW_ROWS_PER_THREAD:
            threads = 1
    return threads, _block_rows(kernel.block_footprint(n_features, n_components), threads)


@frozen(eq=False)
class GaussianData:
    """Rows prepared for the Gaussian-mixture kernels of one covariance structure.

    Create it with :meth:`GaussianMixtureModel.prepare
    <latentem.mixture.GaussianMixtureModel.prepare>` (or :func:`prepare_data`)
    and pass it wherever the model accepts data: ``e_step``,
    ``log_likelihood``, ``predict``, :class:`~latentem.EM`'s ``fit``. It is
    immutable (arrays read-only) and holds no parameters, so one object
    serves every iteration and every restart of a fit.

    Attributes
    ----------
    kernel : Kernel
        The covariance structure's kernel the rows were prepared for.
    frame : Frame
        Centre and scale or whitening of the rows.
    centred : ndarray of shape (n_features, n_samples)
        The rows in the frame, feature-major, in the working precision.
    features : ndarray of shape (n_feature_rows, n_samples) or None
        Cached per-row features, or None when they are computed per block.
    sample_weight : ndarray of shape (n_samples,) or None
    labels : ndarray of int of shape (n_samples,) or None
        Known component of each row, -1 where unknown.
    n_threads : int
        Threads a pass over the rows may use.
    block_rows : int
        Rows per block.
    X : ndarray of shape (n_samples, n_features) or None
        The rows as given (a read-only view of the caller's array, in its
        dtype), for the exact path; None if unknown.
    group_norms : ndarray of shape (ceil(n_samples / NORM_ROWS),) or None
        The largest squared distance ``|y|^2`` to the frame's centre in each
        group of :data:`NORM_ROWS` rows (``inf`` where it overflows).
    workspaces : LendingPool
        The passes' reusable per-thread work arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import GaussianMixtureModel
    >>> X = np.random.default_rng(0).normal(size=(1000, 3))
    >>> model = GaussianMixtureModel.from_data(X, n_components=2, random_state=0)
    >>> data = model.prepare(X, cache_bytes=2**20).complete
    >>> data.n_samples, data.dtype, data.features.shape  # 6 products, 3 coordinates, 1
    (1000, dtype('float64'), (10, 1000))
    >>> bool(np.isclose(model.log_likelihood(data), model.log_likelihood(X)))
    True
    """

    kernel: Kernel
    frame: Frame
    centred: np.ndarray
    features: np.ndarray | None
    sample_weight: np.ndarray | None = None
    labels: np.ndarray | None = None
    n_threads: int = field(default=1, converter=lambda v: check_int(v, "n_threads", minimum=1))
    block_rows: int = field(
        default=_MIN_BLOCK_ROWS, converter=lambda v: check_int(v, "block_rows", minimum=1)
    )
    X: np.ndarray | None = None
    group_norms: np.ndarray | None = None
    # the passes' per-thread work arrays, kept for the next pass over these rows (allocating
    # them at every pass faulted their pages in again each time); freed with the data, and
    # not carried over by attrs.evolve (their size follows block_rows)
    workspaces: LendingPool[Any] = field(factory=LendingPool, init=False, repr=False)

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.centred.shape[1])

    @property
    def n_features(self) -> int:
        """Number of features of a row."""
        return int(self.centred.shape[0])

    @property
    def dtype(self) -> np.dtype:
        """The working precision of the kernels."""
        return self.centred.dtype

    def largest_norm(self, rows: slice) -> float:
        """The largest squared distance to the frame's centre among ``rows`` (a bound).

        ``inf`` when unknown.
        """
        if self.group_norms is None:
            return math.inf
        start = (rows.start or 0) // NORM_ROWS
        stop = -(-(self.n_samples if rows.stop is None else rows.stop) // NORM_ROWS)
        return float(np.max(self.group_norms[start:stop], initial=0.0))

    def norms(self, rows: slice) -> np.ndarray:
        """Squared distances ``|y|^2`` of ``rows`` to the frame's centre, float64."""
        centred = self.centred[:, rows].astype(np.float64)
        with np.errstate(over="ignore"):
            return np.einsum("ij,ij->j", centred, centred)

    @property
    def nbytes(self) -> int:
        """Bytes held beyond the caller's data (frame rows or feature cache)."""
        return int(self.centred.nbytes if self.features is None else self.features.nbytes)


def prepare_data(
    data: Any,
    kernel: Kernel,
    *,
    n_features: int | None = None,
    n_components: int = 16,
    dtype: Any = np.float64,
    cache_bytes: int | None = None,
    n_threads: int | None = None,
    block_rows: int | None = None,
    frame: Frame | None = None,
) -> GaussianData:
    """Prepare ``data`` for ``kernel``: frame, rows in the frame, optional feature cache.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features) or Observations
    kernel : Kernel
    n_features : int, optional
        The width the model expects; a ValueError names both widths otherwise.
    n_components : int, default=16
        Components of the models the data will serve; only sizes blocks.
    dtype : numpy.float64 or numpy.float32, default=numpy.float64
        Working precision of the features and matrix products (statistics
        are always summed in float64).
    cache_bytes : int, optional
        Keep the per-row features when they take at most this many bytes
        (default :data:`FEATURE_CACHE_BYTES`); 0 never keeps them.
    n_threads : int, optional
        Threads per pass (default: :func:`default_plan`).
    block_rows : int, optional
        Rows per block (default: :func:`default_plan`'s, for ``n_threads``
        threads).
    frame : Frame, optional
        The frame to bring the rows into, of the kind the kernel works in
        (default: the kernel's frame of ``data``, :meth:`Kernel.make_frame
        <latentem.mixture.kernels.Kernel.make_frame>`). A frame fixed by a
        model makes every row's evaluation independent of the other rows.

    Returns
    -------
    GaussianData

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture.kernels import DiagKernel
    >>> data = prepare_data(np.arange(12.0).reshape(6, 2), DiagKernel(), dtype=np.float32)
    >>> data.n_samples, data.n_features, data.dtype
    (6, 2, dtype('float32'))
    """
    observations = as_observations(data)
    X = check_array(observations.X)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model is expecting {n_features} features "
            "as input"
        )
    work_dtype = check_dtype(dtype)
    budget = FEATURE_CACHE_BYTES if cache_bytes is None else cache_bytes
    budget = check_int(budget, "cache_bytes", minimum=0)
    threads, rows = default_plan(kernel, X.shape[0], X.shape[1], n_components, n_threads)
    if frame is None:
        frame, centred = kernel.make_frame(X)
    else:
        centred = frame.transform(X)
    group_norms = _group_norms(centred)
    centred = centred.astype(work_dtype, copy=False)
    n_rows = kernel.n_feature_rows(X.shape[1])
    features = None
    if n_rows * X.shape[0] * work_dtype.itemsize <= budget:
        features = np.empty((n_rows, X.shape[0]), dtype=work_dtype)
        kernel.write_features(centred, features)
        features.setflags(write=False)
        centred = features[kernel.linear_rows(X.shape[1])]
    centred.setflags(write=False)
    if block_rows is None:
        block_rows = rows
    # the caller's array when it holds the same numbers (float32 rows are read back
    # exactly, block by block), rather than keeping a float64 copy for the exact path
    given = observations.X
    if not (isinstance(given, np.ndarray) and given.shape == X.shape and given.dtype.kind in "fiu"):
        given = X
    given = given.view()
    given.setflags(write=False)
    return GaussianData(
        kernel,
        frame,
        centred,
        features,
        observations.sample_weight,
        observations.labels,
        threads,
        block_rows,
        given,
        group_norms,
    )


def _group_norms(centred: np.ndarray) -> np.ndarray:
    """Largest ``|y|^2`` per group of :data:`NORM_ROWS` rows of ``centred`` (d, n), float64."""
    n_samples = centred.shape[1]
    groups = -(-n_samples // NORM_ROWS)
    out = np.zeros(groups)
    for start in range(0, n_samples, 64 * NORM_ROWS):  # in cache-sized pieces
        part = centred[:, start : start + 64 * NORM_ROWS]
        with np.errstate(over="ignore", invalid="ignore"):
            norms = np.einsum("ij,ij->j", part, part)
        padded = np.zeros(-(-norms.size // NORM_ROWS) * NORM_ROWS)
        padded[: norms.size] = norms
        first = start // NORM_ROWS
        out[first : first + padded.size // NORM_ROWS] = padded.reshape(-1, NORM_ROWS).max(axis=1)
    out.setflags(write=False)
    return out
