"""Work arrays aligned to cache lines.

NumPy's allocator aligns arrays to 16 bytes. The kernels stream short
blocks of rows through AVX-512 units, whose 64-byte loads and stores cost
more when they straddle two cache lines: the E-step of a Gaussian mixture
at n = 1,000,000, d = 2, k = 3 measured 12.0-12.7 ms per pass with its
block buffers on 64-byte boundaries against 13.3-14.0 ms 16 or 48 bytes off
(``docs/benchmarks.md``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ALIGNMENT", "aligned_empty"]

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
