"""Per-row features whose linear combinations give every component's log-density.

Arrays are feature-major: a block of rows is an array of shape
(n_feature_rows, n_rows), so every feature is one contiguous row and the
matrix products of the kernels run over long contiguous loops. The last
feature row is always the constant 1, which carries each component's
constant term in the same product.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "n_quadratic_rows",
    "pack_upper",
    "unpack_upper",
    "write_linear_features",
    "write_quadratic_features",
    "write_square_features",
]


def n_quadratic_rows(n_features: int) -> int:
    """Number of distinct products ``y_i y_j`` (``i <= j``): ``d (d + 1) / 2``."""
    return n_features * (n_features + 1) // 2


def write_quadratic_features(centred_t: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` with ``[y_i y_j for i <= j; y; 1]`` for every column ``y`` of ``centred_t``.

    Parameters
    ----------
    centred_t : ndarray of shape (n_features, n_rows)
    out : ndarray of shape (d (d + 1) / 2 + d + 1, n_rows)
        The products in row-major upper-triangle order (``(0, 0), (0, 1),
        ..., (0, d-1), (1, 1), ...``), then the coordinates, then ones.

    Examples
    --------
    >>> import numpy as np
    >>> out = np.empty((6, 1))
    >>> write_quadratic_features(np.array([[2.0], [3.0]]), out)
    >>> out.ravel()
    array([4., 6., 9., 2., 3., 1.])
    """
    n_features = centred_t.shape[0]
    row = 0
    for i in range(n_features):
        width = n_features - i
        np.multiply(centred_t[i], centred_t[i:], out=out[row : row + width])
        row += width
    out[row : row + n_features] = centred_t
    out[-1] = 1.0


def write_square_features(centred_t: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` with ``[y**2; y; 1]``, shape (2 d + 1, n_rows).

    Examples
    --------
    >>> import numpy as np
    >>> out = np.empty((5, 1))
    >>> write_square_features(np.array([[2.0], [3.0]]), out)
    >>> out.ravel()
    array([4., 9., 2., 3., 1.])
    """
    n_features = centred_t.shape[0]
    np.square(centred_t, out=out[:n_features])
    out[n_features : 2 * n_features] = centred_t
    out[-1] = 1.0


def write_linear_features(centred_t: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` with ``[y; 1]``, shape (d + 1, n_rows)."""
    out[:-1] = centred_t
    out[-1] = 1.0


def pack_upper(matrices: np.ndarray) -> np.ndarray:
    """Weights ``w`` with ``w . [y_i y_j for i <= j] = y^T M y`` for each symmetric ``M``.

    Parameters
    ----------
    matrices : ndarray of shape (n, d, d)

    Returns
    -------
    ndarray of shape (n, d (d + 1) / 2)
        Diagonal entries once, off-diagonal entries twice.

    Examples
    --------
    >>> import numpy as np
    >>> pack_upper(np.array([[[1.0, 2.0], [2.0, 5.0]]]))
    array([[1., 4., 5.]])
    """
    n_features = matrices.shape[-1]
    rows, cols = np.triu_indices(n_features)
    return np.where(rows == cols, 1.0, 2.0) * matrices[:, rows, cols]


def unpack_upper(packed: np.ndarray, n_features: int) -> np.ndarray:
    """Symmetric matrices from their upper triangles in row-major order.

    Parameters
    ----------
    packed : ndarray of shape (n, d (d + 1) / 2)
    n_features : int

    Returns
    -------
    ndarray of shape (n, d, d)

    Examples
    --------
    >>> import numpy as np
    >>> unpack_upper(np.array([[1.0, 2.0, 5.0]]), 2)
    array([[[1., 2.],
            [2., 5.]]])
    """
    rows, cols = np.triu_indices(n_features)
    out = np.empty((packed.shape[0], n_features, n_features))
    out[:, rows, cols] = packed
    out[:, cols, rows] = packed
    return out
