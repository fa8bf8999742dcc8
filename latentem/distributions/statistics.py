"""Weighted sufficient statistics shared by the built-in families.

Two shapes cover them all: :class:`WeightedSums` (total weight and weighted
sums of per-row features: counts, rates, angles) and :class:`Moments` (total
weight, weighted mean and weighted scatter about that mean: the normal
families). Both add with ``+``; neither is required of user-written families.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from attrs import field, frozen

from latentem.core.stats import AdditiveStatistics
from latentem.core.validation import readonly_array

__all__ = ["Moments", "WeightedSums"]


@frozen(eq=False)
class WeightedSums(AdditiveStatistics):
    """Total weight and weighted column sums of per-row features.

    Attributes
    ----------
    weight : float
        ``sum_i w_i``.
    sums : ndarray of shape (m,)
        ``sum_i w_i f(x_i)`` for the family's features ``f``.

    Examples
    --------
    >>> import numpy as np
    >>> a = WeightedSums.of(np.array([[1.0], [3.0]]), np.array([1.0, 0.5]))
    >>> b = WeightedSums.of(np.array([[2.0]]), np.array([2.0]))
    >>> a + b
    WeightedSums(weight=3.5, sums=array([6.5]))
    """

    weight: float = field(converter=float)
    sums: np.ndarray = field(converter=readonly_array)

    @classmethod
    def of(cls, features: np.ndarray, weights: np.ndarray) -> WeightedSums:
        """Statistics of rows with features (n, m) and weights (n,)."""
        return cls(float(np.sum(weights)), weights @ features)

    @staticmethod
    def check(stats: Any, family: str, size: int) -> WeightedSums:
        """Return ``stats`` if it is WeightedSums of ``size`` sums, else raise a TypeError."""
        if not isinstance(stats, WeightedSums) or stats.sums.shape != (size,):
            raise TypeError(
                f"{family}.maximize needs WeightedSums from {family}.statistics(); got {stats!r}"
            )
        return stats


@frozen(eq=False)
class Moments:
    """Total weight, weighted mean and weighted scatter about the mean.

    Attributes
    ----------
    weight : float
        ``W = sum_i w_i``.
    mean : ndarray of shape (d,)
        ``sum_i w_i x_i / W`` (zeros when ``W = 0``).
    scatter : ndarray of shape (d, d) or (d,)
        ``sum_i w_i (x_i - mean)(x_i - mean)^T``, or only its diagonal.

    Notes
    -----
    Each chunk is summarised in two passes (mean, then scatter about it) and
    chunks are merged with the pairwise update of Chan, Golub & LeVeque
    (1979), so data far from the origin (``x + 1e8``) lose no accuracy.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0], [2.0], [4.0], [7.0]])
    >>> w = np.array([1.0, 2.0, 1.0, 0.5])
    >>> whole = Moments.of(x, w, diagonal=True)
    >>> parts = Moments.of(x[:1], w[:1], diagonal=True) + Moments.of(x[1:], w[1:], diagonal=True)
    >>> bool(np.allclose(whole.scatter, parts.scatter)), whole.weight
    (True, 4.5)
    """

    weight: float = field(converter=float)
    mean: np.ndarray = field(converter=readonly_array)
    scatter: np.ndarray = field(converter=readonly_array)

    @classmethod
    def of(cls, x: np.ndarray, weights: np.ndarray, *, diagonal: bool = False) -> Moments:
        """Moments of rows ``x`` (n, d) with weights (n,); ``diagonal`` keeps variances only."""
        weight = float(np.sum(weights))
        total = weights @ x
        mean = total / weight if weight > 0 else np.zeros_like(total)
        centred = x - mean
        weighted = centred * weights[:, None]
        scatter = np.einsum("ij,ij->j", weighted, centred) if diagonal else weighted.T @ centred
        return cls(weight, mean, scatter)

    def __add__(self, other: Any) -> Moments:
        if not isinstance(other, Moments):
            return NotImplemented
        if other.scatter.shape != self.scatter.shape:
            raise ValueError(
                f"cannot add Moments of different shapes ({self.scatter.shape} and "
                f"{other.scatter.shape}); add statistics computed by the same family"
            )
        weight = self.weight + other.weight
        if self.weight <= 0 or other.weight <= 0:
            return other if self.weight <= 0 else self
        delta = other.mean - self.mean
        cross = self.weight * other.weight / weight
        shift = delta**2 if self.scatter.ndim == 1 else np.outer(delta, delta)
        return Moments(
            weight,
            self.mean + delta * (other.weight / weight),
            self.scatter + other.scatter + cross * shift,
        )

    __radd__ = AdditiveStatistics.__radd__  # 0 + stats is stats, so sum() works

    def scale(self, factor: float) -> Moments:
        """The moments with every weight times ``factor`` (online EM mixes them so)."""
        return Moments(self.weight * factor, self.mean, self.scatter * factor)
