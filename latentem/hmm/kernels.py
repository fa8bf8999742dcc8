"""Small array kernels for tall, narrow arrays (many time steps, few states).

NumPy reduces along a short contiguous axis slowly, and OpenBLAS runs a
tall-skinny product such as ``(100000, 8) @ (8, 8)`` on several threads,
which is many times slower than one thread when the cores are shared. These
helpers keep such operations fast on any machine: row reductions without a
reduction over the short axis, and tall products in row chunks below
OpenBLAS's threading threshold.
"""

from __future__ import annotations

import numpy as np

from latentem.core.buffers import aligned_empty

__all__ = [
    "CHUNK_ROWS",
    "Scratch",
    "matmul_rows",
    "row_dots",
    "row_max",
    "row_sums",
    "scaled_exp",
    "take_rows",
]

# Rows per chunk of a tall product: 4096 x 8 x 8 stays below OpenBLAS's threading threshold,
# and a few (4096, K) temporaries stay in cache when a computation is done chunk by chunk.
CHUNK_ROWS = 4096


def row_sums(X: np.ndarray) -> np.ndarray:
    """Sum of every row of a 2-D array, shape (n_rows,).

    Examples
    --------
    >>> row_sums(np.arange(6.0).reshape(3, 2))
    array([1., 5., 9.])
    """
    return np.einsum("ij->i", X)


def row_dots(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``sum_j X[i, j] Y[i, j]`` for every row, shape (n_rows,).

    Examples
    --------
    >>> row_dots(np.ones((2, 3)), np.arange(6.0).reshape(2, 3))
    array([ 3., 12.])
    """
    return np.einsum("ij,ij->i", X, Y)


def row_max(X: np.ndarray) -> np.ndarray:
    """Largest entry of every row of a 2-D array, shape (n_rows,).

    Examples
    --------
    >>> row_max(np.array([[1.0, 3.0], [-np.inf, -np.inf]]))
    array([  3., -inf])
    """
    n_columns = X.shape[1]
    if n_columns > 32 or n_columns == 0:
        return np.max(X, axis=1)
    out = X[:, 0].copy()
    for column in range(1, n_columns):
        np.maximum(out, X[:, column], out=out)
    return out


def matmul_rows(X: np.ndarray, M: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``X @ M`` for a tall ``X`` (n, k) and a small ``M`` (k, m), in row chunks.

    Examples
    --------
    >>> X = np.arange(10000.0).reshape(5000, 2)
    >>> bool(np.array_equal(matmul_rows(X, np.eye(2)), X))
    True
    """
    if out is None:
        out = np.empty((X.shape[0], M.shape[1]), dtype=np.result_type(X, M))
    for start in range(0, X.shape[0], CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        np.matmul(X[start:stop], M, out=out[start:stop])
    return out


def take_rows(X: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``X[rows]`` for a 2-D ``X``: ``np.take`` is several times faster than fancy indexing.

    Examples
    --------
    >>> take_rows(np.arange(6.0).reshape(3, 2), np.array([2, 0]))
    array([[4., 5.],
           [0., 1.]])
    """
    return np.take(X, rows, axis=0)


class Scratch:
    """Work arrays kept from one pass over the data to the next.

    A pass of the scan needs a few temporaries of the data's size. Allocated
    afresh at every EM iteration, they are handed back to the operating
    system when freed and faulted in again, page by page, at the next
    iteration, which measured as a large share of a fit (``docs/benchmarks.md``,
    "Page faults"). Arrays held here are only ever used inside one pass (none
    is returned to the caller).

    Examples
    --------
    >>> scratch = Scratch()
    >>> first = scratch.array("messages", (3, 2))
    >>> scratch.array("messages", (3, 2)) is first, scratch.array("messages", (4, 2)) is first
    (True, False)
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialised float array of ``shape``, the same one as last time if it fits."""
        stored = self._arrays.get(name)
        if stored is None or stored.shape != shape:
            # on a cache line: with 8 states a row of messages is exactly one line
            stored = self._arrays[name] = aligned_empty(shape)
        return stored


def scaled_exp(
    log_values: np.ndarray, out: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``exp(L - max_k L)`` row by row, and the row maxima (``-inf`` for rows all ``-inf``,
    whose scaled values are 0).

    Computed in chunks of rows that stay in cache, into ``out`` if given.

    Examples
    --------
    >>> scaled, shift = scaled_exp(np.array([[0.0, np.log(4.0)], [-np.inf, -np.inf]]))
    >>> scaled, shift
    (array([[0.25, 1.  ],
           [0.  , 0.  ]]), array([1.38629436,       -inf]))
    """
    scaled = np.empty_like(log_values) if out is None else out
    shift = np.empty(log_values.shape[0])
    for start in range(0, log_values.shape[0], CHUNK_ROWS):
        stop = start + CHUNK_ROWS
        top = row_max(log_values[start:stop])
        shift[start:stop] = top
        top[~np.isfinite(top)] = 0.0
        np.subtract(log_values[start:stop], top[:, None], out=scaled[start:stop])
        np.exp(scaled[start:stop], out=scaled[start:stop])
    return scaled, shift
