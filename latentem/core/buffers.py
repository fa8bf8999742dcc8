"""Work arrays aligned to cache lines, and pools that keep them between passes.

NumPy's allocator aligns arrays to 16 bytes. The kernels stream short
blocks of rows through AVX-512 units, whose 64-byte loads and stores cost
more when they straddle two cache lines: the E-step of a Gaussian mixture
measured faster with its block buffers on 64-byte boundaries than 16 or 48
bytes off (``docs/benchmarks.md``, "Alignment").
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

import numpy as np

__all__ = ["ALIGNMENT", "LendingPool", "aligned_empty"]

_T = TypeVar("_T")

#: Bytes of a cache line, the boundary work arrays start on.
ALIGNMENT = 64


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype | type = np.float64) -> np.ndarray:
    """An uninitialised C-contiguous array whose data start on a 64-byte boundary.

    Parameters
    ----------
    shape : tuple of int
    dtype : numpy dtype

    Returns
    -------
    ndarray
        A view of a slightly larger buffer, which it keeps alive.

    Examples
    --------
    >>> out = aligned_empty((3, 5))
    >>> out.shape, out.ctypes.data % ALIGNMENT, out.flags.c_contiguous
    ((3, 5), 0, True)
    """
    dtype = np.dtype(dtype)
    n_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(n_bytes + ALIGNMENT, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start : start + n_bytes].view(dtype).reshape(shape)


class LendingPool(Generic[_T]):
    """Objects lent to one pass at a time and kept for the next, so threads never share one.

    Work arrays allocated afresh at every EM iteration are handed back to the
    operating system when freed and faulted in again, page by page, at the
    next iteration, which measured as a large share of a Baum-Welch fit
    (``docs/benchmarks.md``, "Page faults"). A pool kept with the data lends the
    same ones again.

    The pool holds no factory and its objects must not refer to the prepared
    data that owns the pool (``GaussianData.workspaces``,
    ``PreparedSequences.scratch``), so that both are freed together.

    Examples
    --------
    >>> pool = LendingPool()
    >>> with pool.borrow(list) as first:
    ...     with pool.borrow(list) as second:  # a concurrent pass gets its own
    ...         first is second
    False
    >>> with pool.borrow(list) as again:
    ...     again is first or again is second
    True
    """

    def __init__(self) -> None:
        self._free: list[_T] = []

    @contextlib.contextmanager
    def borrow(self, factory: Callable[[], _T]) -> Iterator[_T]:
        """Lend an object for the duration of the ``with`` block; ``factory`` makes one if
        none is free."""
        try:
            item = self._free.pop()  # atomic under the GIL
        except IndexError:
            item = factory()
        try:
            yield item
        finally:
            self._free.append(item)
