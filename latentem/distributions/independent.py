"""Products of families over groups of columns: ``Independent``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
from attrs import field, frozen

from latentem.core.stats import AdditiveStatistics, scale_statistics
from latentem.distributions.base import (
    Distribution,
    check_distributions,
    check_observed,
    observed_log_prob,
    observed_statistics,
)

__all__ = ["Independent", "IndependentStats"]


@frozen(eq=False)
class IndependentStats:
    """The statistics of every part of an :class:`Independent`, added part by part.

    Attributes
    ----------
    parts : tuple
        One statistics object per part.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.distributions import Independent, Normal, Poisson
    >>> family = Independent([Normal(0.0, 1.0), Poisson(2.0)])
    >>> x = np.array([[0.5, 1.0], [1.5, 3.0], [2.0, 2.0]])
    >>> total = family.statistics(x[:1], np.ones(1)) + family.statistics(x[1:], np.ones(2))
    >>> total.parts[1].sums, family.maximize(total).parts[1].rate
    (array([6.]), 2.0)
    """

    parts: tuple[Any, ...]

    def __add__(self, other: Any) -> IndependentStats:
        if not isinstance(other, IndependentStats) or len(other.parts) != len(self.parts):
            return NotImplemented
        return IndependentStats(tuple(a + b for a, b in zip(self.parts, other.parts, strict=True)))

    __radd__ = AdditiveStatistics.__radd__  # 0 + stats is stats, so sum() works

    def scale(self, factor: float) -> IndependentStats:
        """Every part's statistics with every weight times ``factor`` (for online EM)."""
        return IndependentStats(tuple(scale_statistics(part, factor) for part in self.parts))


@frozen(eq=False)
class Independent(Distribution):
    """The product of families over consecutive groups of columns.

    ``Independent([Normal(0, 1), Poisson(3.0)])`` models column 0 as normal
    and column 1 as Poisson, independently; a part with ``n_features = k``
    takes the next ``k`` columns. Reorder the columns of the data to group
    them otherwise.

    Parameters
    ----------
    parts : sequence of Distribution

    Notes
    -----
    ``log p(x) = sum_j log p_j(x[:, cols_j])``; the statistics are the
    parts' statistics side by side, and each part is updated from its own
    (the weighted objective separates over parts). A part whose columns are
    all missing (NaN) in a row drops out of that row's likelihood and of its
    statistics (:func:`~latentem.distributions.base.observed_log_prob`).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from latentem.distributions import Normal, Poisson
    >>> both = Independent([Normal(0.0, 1.0), Poisson(3.0)])
    >>> x = np.array([[0.5, 2.0], [-1.0, 4.0]])
    >>> expected = stats.norm.logpdf(x[:, 0]) + stats.poisson.logpmf(x[:, 1], 3.0)
    >>> bool(np.allclose(both.log_prob(x), expected)), both.n_features
    (True, 2)
    >>> both.check_data(np.array([[0.0, 1.0], [0.0, -2.0]]))
    Traceback (most recent call last):
    ...
    ValueError: Independent part 1 (Poisson, column 1): Poisson data must be non-negative ...
    """

    parts: tuple[Distribution, ...] = field(
        converter=lambda v: check_distributions(v, "Independent", "parts")
    )
    handles_missing: ClassVar[bool] = True

    @property
    def n_features(self) -> int:
        """Total number of columns of the parts."""
        return sum(part.n_features for part in self.parts)

    @property
    def n_parameters(self) -> int:
        """Total number of free parameters of the parts."""
        return sum(part.n_parameters for part in self.parts)

    def _columns(self) -> Iterator[tuple[Distribution, slice]]:
        start = 0
        for part in self.parts:
            yield part, slice(start, start + part.n_features)
            start += part.n_features

    def check_data(self, x: np.ndarray) -> None:
        """Check each part's columns; the message names the part and its columns."""
        for i, (part, columns) in enumerate(self._columns()):
            try:
                check_observed(part, x[:, columns])
            except ValueError as error:
                where = (
                    f"column {columns.start}"
                    if columns.stop - columns.start == 1
                    else f"columns {columns.start}..{columns.stop - 1}"
                )
                raise ValueError(
                    f"Independent part {i} ({type(part).__name__}, {where}): {error}"
                ) from None

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Sum of the parts' log-densities, shape (n_samples,)."""
        total = np.zeros(x.shape[0])
        for part, columns in self._columns():
            total = total + observed_log_prob(part, x[:, columns])
        return total

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> IndependentStats:
        """Each part's statistics of its own columns."""
        return IndependentStats(
            tuple(
                observed_statistics(part, x[:, columns], weights)
                for part, columns in self._columns()
            )
        )

    def maximize(self, stats: IndependentStats) -> Independent:
        """Each part updated from its own statistics."""
        if not isinstance(stats, IndependentStats) or len(stats.parts) != len(self.parts):
            raise TypeError(
                "Independent.maximize needs IndependentStats from Independent.statistics(); "
                f"got {type(stats).__name__}"
            )
        parts = tuple(part.maximize(s) for part, s in zip(self.parts, stats.parts, strict=True))
        unchanged = all(new is old for new, old in zip(parts, self.parts, strict=True))
        return self if unchanged else Independent(parts)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """The parts' draws side by side, shape (n_samples, n_features)."""
        return np.hstack([part.sample(n_samples, rng) for part in self.parts])

    def log_prior(self) -> float:
        """Sum of the parts' log-priors."""
        return float(sum(part.log_prior() for part in self.parts))
