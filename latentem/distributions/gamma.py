"""Positive continuous families: ``Exponential`` and ``Gamma``."""

from __future__ import annotations

import math
from typing import ClassVar

import attrs
import numpy as np
from attrs import field, frozen
from scipy.special import digamma, gammaln, polygamma

from latentem.core.validation import check_float
from latentem.distributions.base import Distribution, _check_support, prior_of_type
from latentem.distributions.numerics import solve_decreasing
from latentem.distributions.priors import GammaPrior
from latentem.distributions.statistics import WeightedSums

__all__ = ["Exponential", "Gamma", "gamma_shape_mle"]


@frozen(eq=False)
class Exponential(Distribution):
    """The exponential distribution with density ``rate exp(-rate x)`` on ``x >= 0``.

    Parameters
    ----------
    rate : float, > 0
        (``scipy.stats.expon(scale=1 / rate)``.)
    prior : GammaPrior, optional
        Gamma prior on the rate.

    Notes
    -----
    ML: ``rate = W / sum_i w_i x_i``; with a ``GammaPrior(a, b)`` the MAP is
    ``(W + a - 1) / (sum_i w_i x_i + b)``. If every weighted value is 0 the
    ML rate is infinite and the update raises a ValueError (give a prior).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.5], [1.5], [1.0]])
    >>> Exponential(1.0).maximize(Exponential(1.0).statistics(x, np.ones(3))).rate
    1.0
    >>> Exponential(1.0).check_data(np.array([[1.0], [-0.5]]))
    Traceback (most recent call last):
    ...
    ValueError: Exponential data must be non-negative; got 1 offending value (-0.5), the first ...
    """

    rate: float = field(
        converter=lambda v: check_float(v, "Exponential rate", minimum=0.0, exclusive=True)
    )
    prior: GammaPrior | None = field(default=None, validator=prior_of_type(GammaPrior))

    n_features: ClassVar[int] = 1
    """One column."""

    n_parameters: ClassVar[int] = 1
    """The rate."""

    def check_data(self, x: np.ndarray) -> None:
        """Raise a ValueError naming the negative values."""
        _check_support("Exponential", "non-negative", x, ~(x >= 0))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-density of every row (``-inf`` for negative values)."""
        values = x[:, 0]
        return np.where(values >= 0, math.log(self.rate) - self.rate * values, -np.inf)

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> WeightedSums:
        """Total weight and ``sum_i w_i x_i``."""
        return WeightedSums.of(x, weights)

    def maximize(self, stats: WeightedSums) -> Exponential:
        """MAP (ML without a prior) rate; ``self`` without weight."""
        stats = WeightedSums.check(stats, "Exponential", 1)
        if stats.weight <= 0:
            return self
        a, b = (1.0, 0.0) if self.prior is None else (self.prior.shape, self.prior.rate)
        denominator = float(stats.sums[0]) + b
        if not denominator > 0:
            raise ValueError(
                "Exponential rate has no finite estimate: all the weighted data are 0; "
                "give the component a GammaPrior with rate > 0, or remove the zeros"
            )
        return attrs.evolve(self, rate=(stats.weight + a - 1.0) / denominator)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of shape (n_samples, 1)."""
        return rng.exponential(1.0 / self.rate, size=(n_samples, 1))

    def log_prior(self) -> float:
        """Log-density of the rate under the prior (0 without one)."""
        return 0.0 if self.prior is None else self.prior.log_pdf(self.rate)


def _gamma_objective(shape: float, rate: float, mean: float, mean_log: float) -> float:
    """Average log-density ``a log b - lgamma(a) + (a - 1) E[log x] - b E[x]``."""
    return shape * math.log(rate) - math.lgamma(shape) + (shape - 1.0) * mean_log - rate * mean


def gamma_shape_mle(mean: float, mean_log: float, start: float = 1.0) -> float:
    """Maximum-likelihood gamma shape from the weighted means of ``x`` and ``log x``.

    Solves ``log a - digamma(a) = log(mean) - mean_log`` (Minka 2002) by a
    safeguarded Newton iteration on ``t = log a``.

    Parameters
    ----------
    mean : float
        ``sum_i w_i x_i / W``.
    mean_log : float
        ``sum_i w_i log x_i / W``.
    start : float
        Initial guess (the current shape).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).gamma(3.0, 2.0, size=2000)
    >>> round(gamma_shape_mle(x.mean(), np.log(x).mean()), 4)   # scipy.stats.gamma.fit: 2.9793
    2.9793
    """
    gap = math.log(mean) - mean_log
    if not gap > 1e-13:
        raise ValueError(
            "Gamma shape has no finite maximum-likelihood estimate: the weighted data are "
            "(nearly) all equal, so log(mean) - mean(log x) = "
            f"{gap:.3g}; remove the duplicated values or hold the component fixed"
        )

    def equation(t: float) -> tuple[float, float]:
        shape = math.exp(t)
        value = t - float(digamma(shape)) - gap
        slope = 1.0 - shape * float(polygamma(1, shape))
        return value, slope

    # Minka's closed-form approximation is within a few percent of the root
    approximation = (3.0 - gap + math.sqrt((gap - 3.0) ** 2 + 24.0 * gap)) / (12.0 * gap)
    guess = approximation if math.isfinite(approximation) and approximation > 0 else start
    return math.exp(solve_decreasing(equation, math.log(guess)))


@frozen(eq=False)
class Gamma(Distribution):
    """The gamma distribution ``x^(a-1) b^a exp(-b x) / Gamma(a)`` on ``x > 0``.

    Parameters
    ----------
    shape : float, > 0
        ``a`` (``scipy.stats.gamma(shape, scale=1 / rate)``).
    rate : float, > 0
        ``b``.

    Notes
    -----
    Statistics: ``W``, ``sum w x`` and ``sum w log x``. Given the shape, the
    rate's update is ``a W / sum w x``; the shape has no closed form. It
    solves ``log a - digamma(a) = log(xbar) - mean(log x)`` (the profile
    likelihood is strictly concave in ``a``) with a safeguarded Newton
    iteration in ``log a`` (:func:`~latentem.distributions.numerics.solve_decreasing`)
    started from Minka's approximation. The weighted objective at the solution
    is compared with the objective at the current parameters; should rounding
    make it lower, the update keeps the current shape and only updates the
    rate, which never decreases the objective. Data whose weight sits on one
    value have no finite ML shape: the update raises a ValueError.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> x = np.array([[0.5], [1.0], [3.0]])
    >>> expected = stats.gamma.logpdf(x[:, 0], 2.0, scale=1 / 1.5)
    >>> bool(np.allclose(Gamma(2.0, 1.5).log_prob(x), expected))
    True
    """

    shape: float = field(
        converter=lambda v: check_float(v, "Gamma shape", minimum=0.0, exclusive=True)
    )
    rate: float = field(
        converter=lambda v: check_float(v, "Gamma rate", minimum=0.0, exclusive=True)
    )

    n_features: ClassVar[int] = 1
    """One column."""

    n_parameters: ClassVar[int] = 2
    """Shape and rate."""

    def check_data(self, x: np.ndarray) -> None:
        """Raise a ValueError naming the values that are not positive."""
        _check_support("Gamma", "positive", x, ~(x > 0))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-density of every row (``-inf`` outside ``x > 0``)."""
        values = x[:, 0]
        positive = values > 0
        logs = np.log(np.where(positive, values, 1.0))
        density = (
            self.shape * math.log(self.rate)
            - float(gammaln(self.shape))
            + (self.shape - 1.0) * logs
            - self.rate * values
        )
        return np.where(positive, density, -np.inf)

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> WeightedSums:
        """Total weight, ``sum w x`` and ``sum w log x``."""
        return WeightedSums.of(np.column_stack([x[:, 0], np.log(x[:, 0])]), weights)

    def maximize(self, stats: WeightedSums) -> Gamma:
        """ML shape and rate (numerical shape, never worse than the current one)."""
        stats = WeightedSums.check(stats, "Gamma", 2)
        if stats.weight <= 0:
            return self
        mean, mean_log = (float(value) / stats.weight for value in stats.sums)
        shape = gamma_shape_mle(mean, mean_log, start=self.shape)
        current = _gamma_objective(self.shape, self.rate, mean, mean_log)
        if _gamma_objective(shape, shape / mean, mean, mean_log) < current:
            shape = self.shape  # conditional update of the rate alone cannot decrease
        return Gamma(shape, shape / mean)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of shape (n_samples, 1)."""
        return rng.gamma(self.shape, 1.0 / self.rate, size=(n_samples, 1))
