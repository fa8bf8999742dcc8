"""Probability vectors and matrices: validation, and their Dirichlet MAP update.

Start probabilities, transition rows, categorical emissions and mixture
weights all live on a simplex and all get the same update from expected
counts ``n`` and a Dirichlet prior with concentrations ``alpha``:
``p proportional to max(n + alpha - 1, 0)``, hmmlearn's rule. A zero
probability is structural: it stays zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from latentem.core.validation import readonly_array

__all__ = [
    "check_concentration",
    "check_probabilities",
    "dirichlet_log_prior",
    "dirichlet_map",
]

_SUM_TOLERANCE = 1e-8


def check_probabilities(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Validate probabilities summing to 1 along the last axis; return them exactly normalised.

    Parameters
    ----------
    value : array-like
    name : str
        Argument name for messages.
    shape : tuple of int
        Required shape.

    Returns
    -------
    ndarray
        A new read-only array whose last axis sums to 1 (within rounding).

    Examples
    --------
    >>> check_probabilities([0.25, 0.75], "startprob", (2,))
    array([0.25, 0.75])
    >>> check_probabilities([[0.5, 0.6], [1.0, 0.0]], "transmat", (2, 2))
    Traceback (most recent call last):
    ...
    ValueError: every row of transmat must sum to 1; row 0 sums to 1.1. Normalise it, ...
    """
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of probabilities; got {value!r}") from None
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; got NaN or infinite entries")
    if np.any(array < 0):
        where = tuple(int(i) for i in np.argwhere(array < 0)[0])
        raise ValueError(
            f"{name} must be non-negative; got {array[where]!r} at index {where}. "
            "Probabilities lie in [0, 1]"
        )
    sums = array.sum(axis=-1)
    off = np.abs(np.atleast_1d(sums) - 1.0) > _SUM_TOLERANCE
    if np.any(off):
        where = tuple(int(i) for i in np.argwhere(off)[0])
        total = float(np.atleast_1d(sums)[where])
        if array.ndim == 1:
            problem = f"{name} must sum to 1; got sum {total:.12g}"
        else:
            index = ", ".join(map(str, where))
            problem = f"every row of {name} must sum to 1; row {index} sums to {total:.12g}"
        advice = f"Normalise it, e.g. {name} / {name}.sum(axis=-1, keepdims=True)"
        if total == 0 and array.ndim == 2:
            advice += (
                "; every state needs outgoing probabilities (a self-transition of 1 makes "
                "a state absorbing)"
            )
        raise ValueError(f"{problem}. {advice}")
    return readonly_array(array / sums[..., None] if array.ndim else array)


def check_concentration(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Dirichlet concentrations: positive, broadcast to ``shape``.

    Examples
    --------
    >>> check_concentration(1.0, "startprob_prior", (3,))
    array([1., 1., 1.])
    """
    try:
        array = np.array(value, dtype=float)
        array = np.broadcast_to(array, shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a positive number or an array broadcastable to {shape}; got {value!r}"
        ) from None
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(
            f"{name} must hold positive Dirichlet concentrations (1 means no prior); got "
            f"min={np.min(array)!r}"
        )
    return readonly_array(array)


def dirichlet_map(
    counts: np.ndarray, concentration: np.ndarray, previous: np.ndarray
) -> np.ndarray:
    """MAP probabilities from expected counts under a Dirichlet prior, along the last axis.

    Parameters
    ----------
    counts : ndarray
        Expected counts, same shape as ``previous``.
    concentration : ndarray
        Dirichlet concentrations ``alpha`` (1 = maximum likelihood).
    previous : ndarray
        Current probabilities: their zeros are kept, and a row with no
        count and no prior mass is kept whole.

    Returns
    -------
    ndarray
        ``max(counts + alpha - 1, 0)`` on the support of ``previous``,
        normalised.

    Notes
    -----
    For ``alpha >= 1`` this maximises ``sum_j (n_j + alpha_j - 1) log p_j``
    over the simplex restricted to the support. For ``alpha < 1`` the
    objective is unbounded and the clamp is hmmlearn's rule, not a
    maximiser: EM's objective may then decrease.

    Examples
    --------
    >>> dirichlet_map(np.array([3.0, 1.0, 0.0]), np.ones(3), np.array([0.2, 0.3, 0.5]))
    array([0.75, 0.25, 0.  ])
    """
    numerator = np.where(previous > 0, np.maximum(counts + concentration - 1.0, 0.0), 0.0)
    total = numerator.sum(axis=-1, keepdims=True)
    usable = total > 0
    return np.where(usable, numerator / np.where(usable, total, 1.0), previous)


def dirichlet_log_prior(probabilities: np.ndarray, concentration: np.ndarray) -> float:
    """``sum (alpha - 1) log p`` over non-zero entries: the Dirichlet log-density up to a constant.

    Examples
    --------
    >>> dirichlet_log_prior(np.array([0.5, 0.5]), np.array([2.0, 1.0]))
    -0.6931471805599453
    """
    support = probabilities > 0
    weights = (concentration - 1.0)[support]
    if not np.any(weights):
        return 0.0
    return float(np.sum(weights * np.log(probabilities[support])))
