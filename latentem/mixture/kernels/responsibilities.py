"""Responsibilities and objective terms of one block of rows, in place.

Blocks are component-major: ``joint_t`` has shape (n_components, n_rows)
and holds ``log w_k + log p_k(x_i)``. The functions overwrite it (with the
responsibilities, or with scratch values) and return each row's objective
term; reductions over components then run along contiguous rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = [
    "hard_objective",
    "hard_responsibilities",
    "log_floor",
    "objective_terms",
    "soft_objective",
    "soft_responsibilities",
]

BlockTransform = Callable[[np.ndarray], np.ndarray]


def log_floor(dtype: np.dtype) -> float:
    """Log of the smallest responsibility kept, relative to the row's largest.

    ``0.7 log(tiny)``: about ``-496`` in float64 and ``-61`` in float32.
    Responsibilities below ``exp(floor)`` times the row's largest are set to
    exactly 0 (and the others move by at most that much), so no subnormal
    number (whose arithmetic is far slower; ``docs/benchmarks.md``) reaches
    the matrix products, and a component nothing is assigned to has a count
    of exactly 0.

    Examples
    --------
    >>> import numpy as np
    >>> round(log_floor(np.dtype(np.float64)))
    -496
    """
    return 0.7 * float(np.log(np.finfo(dtype).tiny))


_LOG_FLOORS = {dtype: log_floor(dtype) for dtype in (np.dtype(np.float64), np.dtype(np.float32))}


def _just_above_exp(log_value: float, dtype: np.dtype) -> float:
    """A number above ``exp(log_value)`` in ``dtype`` however exp rounds (64 ulps above)."""
    rounded = float(np.asarray(log_value, dtype=dtype))
    return math.exp(rounded) * (1.0 + 64 * float(np.finfo(dtype).eps))


def soft_responsibilities(joint_t: np.ndarray) -> np.ndarray:
    """Posterior responsibilities in place; returns ``log sum_k exp(joint_t[k])`` per row.

    Examples
    --------
    >>> import numpy as np
    >>> joint_t = np.log([[0.3, 0.05], [0.1, 0.2]])
    >>> np.round(np.exp(soft_responsibilities(joint_t)), 6)
    array([0.4 , 0.25])
    >>> joint_t
    array([[0.75, 0.2 ],
           [0.25, 0.8 ]])
    """
    floor = _LOG_FLOORS.get(joint_t.dtype) or log_floor(joint_t.dtype)
    top = None
    if not _exp_is_safe(joint_t, floor):
        top = joint_t.max(axis=0)
        joint_t -= top
    if top is not None and joint_t.size and joint_t.min() < floor:
        # exp() is much slower on arguments it underflows (or -inf) than on the
        # floor (docs/benchmarks.md), so clip first; subtracting a hair above
        # exp(floor) then zeroes exactly the clipped entries without a branchy
        # masked assignment
        np.maximum(joint_t, floor, out=joint_t)
        np.exp(joint_t, out=joint_t)
        joint_t -= _just_above_exp(floor, joint_t.dtype)
        np.maximum(joint_t, 0.0, out=joint_t)
    else:
        np.exp(joint_t, out=joint_t)
    total = joint_t.sum(axis=0)
    joint_t *= np.reciprocal(total)
    return np.log(total) if top is None else top + np.log(total)


def _exp_is_safe(joint_t: np.ndarray, floor: float) -> bool:
    """Whether a block can be normalised without shifting each row by its largest.

    True when every exp is a normal number, no sum overflows and nothing falls
    below the floor relative to its row's largest: then the shift changes
    nothing but rounding, and skipping it saves two passes.
    """
    if not joint_t.size:
        return False
    # reduce() directly: the array methods add a Python frame per block
    lowest = float(np.minimum.reduce(joint_t, axis=None))
    highest = float(np.maximum.reduce(joint_t, axis=None))
    return floor < lowest and highest < -floor and highest - lowest < -floor


def soft_objective(joint_t: np.ndarray) -> np.ndarray:
    """``log sum_k exp(joint_t[k])`` per row; ``joint_t`` is overwritten."""
    return soft_responsibilities(joint_t)


def hard_responsibilities(joint_t: np.ndarray) -> np.ndarray:
    """One-hot responsibilities of the most probable component in place; returns its joint.

    Ties go to the lowest component index.

    Examples
    --------
    >>> import numpy as np
    >>> joint_t = np.array([[-1.0, -3.0], [-2.0, -1.0]])
    >>> hard_responsibilities(joint_t)
    array([-1., -1.])
    >>> joint_t
    array([[1., 0.],
           [0., 1.]])
    """
    labels = joint_t.argmax(axis=0)
    rows = np.arange(joint_t.shape[1])
    terms = joint_t[labels, rows]
    joint_t.fill(0.0)
    joint_t[labels, rows] = 1.0
    return terms


def hard_objective(joint_t: np.ndarray) -> np.ndarray:
    """``max_k joint_t[k]`` per row."""
    return joint_t.max(axis=0)


def objective_terms(
    joint_t: np.ndarray,
    transform: BlockTransform,
    labels: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    *,
    responsibilities: bool = True,
) -> np.ndarray:
    """The rows' objective terms from ``transform``, labelled rows pinned, every row weighted.

    With ``responsibilities``, ``joint_t`` is left holding the rows'
    responsibilities, pinned and weighted the same way.

    Parameters
    ----------
    joint_t : ndarray of shape (n_components, n_rows)
    transform : callable
        One of the functions above.
    labels : ndarray of int of shape (n_rows,), optional
        A row with label ``z >= 0`` belongs wholly to component ``z`` and its
        objective term is its complete-data term ``joint_t[z]``.
    weights : ndarray of shape (n_rows,), optional
        Multiply each row's responsibilities and objective term.
    responsibilities : bool
        Whether ``joint_t`` holds responsibilities after ``transform`` (then
        they are pinned and weighted too).

    Returns
    -------
    ndarray of shape (n_rows,)
        The rows' objective terms.
    """
    if labels is None:
        terms = transform(joint_t)
    else:
        known = np.flatnonzero(labels >= 0)
        pinned = joint_t[labels[known], known]
        terms = transform(joint_t)
        terms[known] = pinned
        if responsibilities:
            joint_t[:, known] = 0.0
            joint_t[labels[known], known] = 1.0
    if weights is not None:
        terms = terms * weights
        if responsibilities:
            joint_t *= weights.astype(joint_t.dtype, copy=False)
    return terms
