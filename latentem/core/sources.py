"""Data too big for one array: row chunks of array-likes and memmaps, and dask arrays.

:class:`ArrayChunks` reads ``chunk_size`` rows at a time from anything that
slices by rows (``np.memmap``, h5py and zarr arrays, or an ordinary array), so
the E-step's working memory is O(chunk) rather than O(data).
:class:`DaskArray` has dask compute every block's statistics where the block
lives (on a ``dask.distributed`` cluster when a client is active) and adds
them in a tree, so only statistics travel. Dask is imported lazily: nothing in
this module needs it until a dask array is passed.
"""

from __future__ import annotations

import functools
import math
import mmap
import operator
from collections.abc import Callable, Iterator
from typing import Any, cast

import numpy as np

from latentem.core.data import DataSource, Observations, count_samples
from latentem.core.validation import check_array, check_int

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "ArrayChunks",
    "DaskArray",
    "check_chunk_size",
    "is_dask_array",
    "is_out_of_core",
    "sample_rows",
    "scan_rows",
]

#: Bytes of data per chunk when ``chunk_size`` is not given: large enough that
#: the per-chunk Python overhead is invisible, small enough that a chunk and
#: the E-step's temporaries (a few times its size) stay in memory comfortably.
DEFAULT_CHUNK_BYTES = 16 * 2**20


def check_chunk_size(value: Any, name: str = "chunk_size") -> int | None:
    """``None`` (choose by bytes) or a positive number of rows.

    Examples
    --------
    >>> check_chunk_size(None), check_chunk_size(1000)
    (None, 1000)
    >>> check_chunk_size(0)
    Traceback (most recent call last):
    ...
    ValueError: chunk_size must be at least 1; got 0
    """
    if value is None:
        return None
    try:
        return check_int(value, name, minimum=1)
    except TypeError:
        raise TypeError(
            f"{name} must be None (chunks of about {DEFAULT_CHUNK_BYTES // 2**20} MiB) or a "
            f"positive number of rows per chunk; got {value!r} ({type(value).__name__})"
        ) from None


def is_dask_array(data: Any) -> bool:
    """Whether ``data`` is a dask array, decided without importing dask.

    Examples
    --------
    >>> import numpy as np
    >>> is_dask_array(np.zeros(3))
    False
    """
    module = type(data).__module__ or ""
    return (
        module.partition(".")[0] == "dask"
        and hasattr(data, "__dask_graph__")
        and hasattr(data, "chunks")
        and hasattr(data, "shape")
    )


#: libraries whose arrays live on disk and are read by row slices (checked by module name)
ON_DISK_MODULES = frozenset({"h5py", "zarr"})


def is_out_of_core(data: Any) -> bool:
    """Whether ``data`` is rows on disk or elsewhere that should be read in chunks.

    True for ``np.memmap``, h5py datasets and zarr arrays, and for other
    objects with ``shape``, ``dtype`` and ``__getitem__`` that NumPy cannot
    convert (no ``__array__``, ``__array_interface__`` or array-API
    ``__array_namespace__``). Array-likes that NumPy converts (array-API
    arrays, lists, pandas objects) are in memory and converted as
    scikit-learn converts them.

    Examples
    --------
    >>> import numpy as np
    >>> is_out_of_core(np.zeros((3, 2))), is_out_of_core([[1.0]])
    (False, False)
    """
    if isinstance(data, np.memmap):
        return True
    if isinstance(data, (np.ndarray, list, tuple)) or is_dask_array(data):
        return False
    if type(data).__module__.partition(".")[0] in ON_DISK_MODULES:
        return True
    if hasattr(data, "to_numpy") or hasattr(data, "nnz"):
        # pandas and xarray objects hold their data in memory; sparse matrices are refused
        return False
    if any(
        hasattr(data, name)
        for name in ("__array__", "__array_interface__", "__array_namespace__", "__dlpack__")
    ):
        return False  # an in-memory array of another library: NumPy converts it
    shape = getattr(data, "shape", None)
    return (
        shape is not None
        and len(shape) >= 1
        and hasattr(data, "dtype")
        and hasattr(data, "__getitem__")
    )


def _itemsize(dtype: Any) -> int:
    try:
        return int(np.dtype(dtype).itemsize)
    except TypeError:
        return 8


def _memmap_window(array: np.memmap, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of a memmap through a mapping of those rows only.

    Slicing the original memmap would leave every page read so far mapped in
    the process (counted in its resident memory until the memmap is closed);
    a fresh mapping per chunk is released with the chunk. Only for memmaps
    that map a C-ordered file directly (not views, not copy-on-write).
    """
    return np.memmap(
        cast(str, array.filename),
        dtype=array.dtype,
        mode="r",
        offset=array.offset + start * array.strides[0],
        shape=(stop - start, *array.shape[1:]),
    )


def _windowable(array: Any) -> bool:
    return (
        isinstance(array, np.memmap)
        and isinstance(array.base, mmap.mmap)
        and array.filename is not None
        and array.mode != "c"
        and array.ndim >= 1
        and array.flags.c_contiguous
    )


def _rows(data: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of an array-like or of :class:`Observations`."""
    if isinstance(data, Observations):
        return Observations(
            _rows(data.X, start, stop),
            None if data.sample_weight is None else data.sample_weight[start:stop],
            None if data.labels is None else data.labels[start:stop],
        )
    if _windowable(data):
        return _memmap_window(data, start, stop)
    return data[start:stop]


class ArrayChunks(DataSource):
    """The rows of an array-like, ``chunk_size`` rows at a time.

    Parameters
    ----------
    data : array-like or Observations
        Anything with ``shape`` whose rows slice as ``data[start:stop]``:
        ``np.memmap``, h5py or zarr arrays, NumPy arrays; or
        :class:`~latentem.Observations` holding one (weights and labels are
        sliced along).
    chunk_size : int, optional
        Rows per chunk. By default chunks hold about
        :data:`DEFAULT_CHUNK_BYTES` of data.

    Notes
    -----
    A ``np.memmap`` of a file is read through one mapping per chunk, released
    after the chunk, so the resident memory of a fit stays O(chunk) however
    large the file; other memmaps (views, copy-on-write) are sliced.

    Examples
    --------
    >>> import numpy as np
    >>> source = ArrayChunks(np.arange(10.0).reshape(5, 2), chunk_size=2)
    >>> [chunk.shape[0] for chunk in source.iter_chunks()]
    [2, 2, 1]
    >>> ArrayChunks(np.zeros((10**6, 8))).chunk_size  # 16 MiB of float64 rows
    262144
    """

    def __init__(self, data: Any, chunk_size: int | None = None) -> None:
        array = data.X if isinstance(data, Observations) else data
        shape = getattr(array, "shape", None)
        if shape is None or len(shape) == 0:
            raise TypeError(
                "ArrayChunks needs an array-like with a shape whose rows slice as "
                f"data[start:stop]; got {type(array).__name__}. Wrap other data in "
                "latentem.Chunks"
            )
        self.data = data
        self.n_samples = int(shape[0])
        if self.n_samples == 0:
            raise ValueError(f"the data have no rows (shape {tuple(shape)}); pass at least one")
        chunk_size = check_chunk_size(chunk_size)
        if chunk_size is None:
            row_bytes = _itemsize(getattr(array, "dtype", np.float64)) * math.prod(shape[1:])
            chunk_size = max(1, DEFAULT_CHUNK_BYTES // max(row_bytes, 1))
        self.chunk_size = chunk_size

    def iter_chunks(self) -> Iterator[Any]:
        for start in range(0, self.n_samples, self.chunk_size):
            yield _rows(self.data, start, min(start + self.chunk_size, self.n_samples))

    def take_rows(self, indices: np.ndarray) -> np.ndarray:
        array = self.data.X if isinstance(self.data, Observations) else self.data
        return np.asarray(array[indices])


def _apply_and_count(function: Callable[[Any], Any], block: Any) -> tuple[Any, int]:
    return function(block), count_samples(block)


def _add_counted(*parts: tuple[Any, int]) -> tuple[Any, int]:
    return (
        functools.reduce(operator.add, (value for value, _ in parts)),
        sum(count for _, count in parts),
    )


class DaskArray(DataSource):
    """A dask array whose blocks' statistics dask computes and adds.

    Parameters
    ----------
    array : dask.array.Array
        Rows along the first axis. Chunks along other axes are merged first,
        so every block holds whole rows.
    chunk_size : int, optional
        If given, the rows are re-chunked to this many per block.
    fan_in : int, default=8
        Statistics are added in a tree, ``fan_in`` at a time, on the workers.

    Notes
    -----
    Each E-step builds one task per block, ``model.e_step(block)``, whose
    model is a single node of the graph (so it is shipped to each worker
    once), then a tree of ``+`` tasks, and calls ``dask.compute``: with an
    active ``dask.distributed`` client the work runs on its cluster and only
    the summed statistics come back. Workers must be able to import
    latentem and the model's module.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> source = DaskArray(da.from_array(np.ones((10, 3)), chunks=(4, 2)))
    >>> source.sum_over_chunks(lambda block: float(block.sum()))
    (30.0, 10)
    """

    def __init__(self, array: Any, chunk_size: int | None = None, *, fan_in: int = 8) -> None:
        if not is_dask_array(array):
            raise TypeError(f"DaskArray needs a dask array; got {type(array).__name__}")
        if array.ndim == 0:
            raise ValueError("the dask array must have at least one axis of rows; got a scalar")
        chunk_size = check_chunk_size(chunk_size)
        layout: dict[int, Any] = dict.fromkeys(range(1, array.ndim), -1)
        if chunk_size is not None:
            layout[0] = chunk_size
        if chunk_size is not None or any(len(chunks) > 1 for chunks in array.chunks[1:]):
            array = array.rechunk(layout)
        self.array = array
        self.fan_in = check_int(fan_in, "fan_in", minimum=2)

    def _blocks(self) -> list[Any]:
        return list(self.array.to_delayed().ravel())

    def iter_chunks(self) -> Iterator[Any]:
        """Compute and yield the blocks one by one, here (for small or sampled data)."""
        for block in self._blocks():
            yield np.asarray(block.compute())

    def sum_over_chunks(self, function: Callable[[Any], Any]) -> tuple[Any, int]:
        import dask  # the optional extra; only reached with a dask array in hand

        shared = dask.delayed(function)
        parts = [dask.delayed(_apply_and_count)(shared, block) for block in self._blocks()]
        while len(parts) > 1:
            parts = [
                dask.delayed(_add_counted)(*parts[i : i + self.fan_in])
                for i in range(0, len(parts), self.fan_in)
            ]
        (total,) = dask.compute(parts[0])
        return total[0], int(total[1])

    def take_rows(self, indices: np.ndarray) -> np.ndarray:
        return np.asarray(self.array[indices].compute())


class _Widths(frozenset):
    """Widths seen over chunks; ``+`` is the union, so it reduces like statistics."""

    def __add__(self, other: Any) -> _Widths:
        return _Widths(self | other)


def _chunk_width(name: str, chunk: Any) -> _Widths:
    X = chunk.X if isinstance(chunk, Observations) else chunk
    return _Widths({check_array(X, f"a chunk of {name}").shape[1]})


def scan_rows(source: DataSource, name: str = "X") -> tuple[int, int]:
    """One validating pass over 2-D chunked data: ``(n_samples, n_features)``.

    Every chunk must be a finite 2-D numeric array (checked with
    :func:`~latentem.core.validation.check_array`) and all chunks must have
    the same number of columns. For a dask array the pass runs on its
    workers.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import Chunks
    >>> scan_rows(Chunks([np.zeros((3, 2)), np.ones((4, 2))]))
    (7, 2)
    >>> scan_rows(Chunks([np.zeros((3, 2)), np.ones((4, 3))]))
    Traceback (most recent call last):
    ...
    ValueError: the chunks of X have different numbers of columns (2, 3); every chunk ...
    """
    widths, n_samples = source.sum_over_chunks(functools.partial(_chunk_width, name))
    if len(widths) != 1:
        listed = ", ".join(str(width) for width in sorted(widths))
        raise ValueError(
            f"the chunks of {name} have different numbers of columns ({listed}); every "
            "chunk must hold the same features in the same order"
        )
    return n_samples, next(iter(widths))


def sample_rows(
    source: DataSource, n_rows: int, n_samples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of chunked data for initialisation: all of them, or a uniform sample.

    Parameters
    ----------
    source : DataSource
    n_rows : int
        Largest number of rows to return.
    n_samples : int
        Number of rows in ``source`` (from :func:`scan_rows`).
    rng : numpy.random.Generator
        Used only when ``n_samples > n_rows``.

    Returns
    -------
    X : ndarray of shape (min(n_rows, n_samples), n_features)
        With ``n_samples <= n_rows``, every row in order (so an
        initialisation sees exactly what it sees in memory); otherwise
        ``n_rows`` distinct rows drawn uniformly, in data order.
    indices : ndarray of int of shape (min(n_rows, n_samples),)
        Their positions in the data (to pick their weights and labels).

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import Chunks
    >>> source = Chunks([np.arange(6.0).reshape(3, 2), np.arange(6.0, 10.0).reshape(2, 2)])
    >>> sample_rows(source, 10, 5, np.random.default_rng(0))[0].shape
    (5, 2)
    >>> rows, indices = sample_rows(source, 2, 5, np.random.default_rng(0))
    >>> rows.shape, bool(np.all(rows[:, 0] == 2 * indices))
    ((2, 2), True)
    """
    if n_samples <= n_rows:
        rows = np.concatenate([_as_rows(chunk) for chunk in source.iter_chunks()])
        return rows, np.arange(rows.shape[0])
    indices = np.sort(rng.choice(n_samples, size=n_rows, replace=False))
    take = getattr(source, "take_rows", None)
    if take is not None:
        return check_array(take(indices)), indices
    picked, offset = [], 0
    for chunk in source.iter_chunks():
        rows = _as_rows(chunk)
        lo, hi = np.searchsorted(indices, [offset, offset + rows.shape[0]])
        picked.append(rows[indices[lo:hi] - offset])
        offset += rows.shape[0]
    return np.concatenate(picked), indices


def _as_rows(chunk: Any) -> np.ndarray:
    return check_array(chunk.X if isinstance(chunk, Observations) else chunk)
