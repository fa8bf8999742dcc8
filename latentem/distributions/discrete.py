"""Discrete families: ``Poisson``, ``Geometric``, ``Bernoulli`` and ``Categorical``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import attrs
import numpy as np
from attrs import field, frozen
from scipy.special import gammaln, xlog1py, xlogy

from latentem.core.validation import check_float, readonly_array
from latentem.distributions.base import Distribution, _check_support, prior_of_type
from latentem.distributions.priors import BetaPrior, DirichletPrior, GammaPrior
from latentem.distributions.statistics import WeightedSums

__all__ = ["Bernoulli", "Categorical", "Geometric", "Poisson"]


def _integers_from(x: np.ndarray, minimum: int) -> np.ndarray:
    """True where a value is an integer >= ``minimum``."""
    return (x >= minimum) & (x == np.floor(x))


def _count_log_mass(
    x: np.ndarray, minimum: int, mass: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``mass(counts)`` on the support (integers >= ``minimum``), ``-inf`` elsewhere."""
    values = x[:, 0]
    valid = _integers_from(values, minimum)
    return np.where(valid, mass(np.where(valid, values, float(minimum))), -np.inf)


def _probabilities(value: Any, name: str) -> np.ndarray:
    array = readonly_array(value)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array; got shape {array.shape}")
    if not np.all((array >= 0) & (array <= 1)):
        raise ValueError(f"{name} must lie in [0, 1]; got {array!r}")
    return array


@frozen(eq=False)
class Poisson(Distribution):
    """The Poisson distribution on counts 0, 1, 2, ...

    Parameters
    ----------
    rate : float, >= 0
        A rate of 0 puts all mass on 0 (useful for zero-inflated mixtures).
    prior : GammaPrior, optional
        Gamma prior on the rate.

    Notes
    -----
    ML: ``rate = sum w x / W``; with ``GammaPrior(a, b)`` the MAP is
    ``(sum w x + a - 1) / (W + b)``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> x = np.array([[0.0], [3.0], [5.0]])
    >>> bool(np.allclose(Poisson(2.5).log_prob(x), stats.poisson.logpmf(x[:, 0], 2.5)))
    True
    >>> Poisson(1.0).check_data(np.array([[2.0], [-1.0], [0.5]]))
    Traceback (most recent call last):
    ...
    ValueError: Poisson data must be non-negative integers; got 2 offending values (-1, 0.5), ...
    """

    rate: float = field(converter=lambda v: check_float(v, "Poisson rate", minimum=0.0))
    prior: GammaPrior | None = field(default=None, validator=prior_of_type(GammaPrior))

    n_features: ClassVar[int] = 1
    """One column."""

    n_parameters: ClassVar[int] = 1
    """The rate."""

    def check_data(self, x: np.ndarray) -> None:
        """Raise a ValueError naming the values that are not non-negative integers."""
        _check_support("Poisson", "non-negative integers", x, ~_integers_from(x, 0))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-mass of every row (``-inf`` outside the support)."""
        return _count_log_mass(
            x, 0, lambda counts: xlogy(counts, self.rate) - self.rate - gammaln(counts + 1.0)
        )

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> WeightedSums:
        """Total weight and ``sum w x``."""
        return WeightedSums.of(x, weights)

    def maximize(self, stats: WeightedSums) -> Poisson:
        """MAP (ML without a prior) rate; ``self`` without weight."""
        stats = WeightedSums.check(stats, "Poisson", 1)
        if stats.weight <= 0:
            return self
        a, b = (1.0, 0.0) if self.prior is None else (self.prior.shape, self.prior.rate)
        return attrs.evolve(self, rate=(float(stats.sums[0]) + a - 1.0) / (stats.weight + b))

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of shape (n_samples, 1), as floats."""
        return rng.poisson(self.rate, size=(n_samples, 1)).astype(float)

    def log_prior(self) -> float:
        """Log-density of the rate under the prior (0 without one)."""
        return 0.0 if self.prior is None else self.prior.log_pdf(self.rate)


@frozen(eq=False)
class Geometric(Distribution):
    """The geometric distribution on 1, 2, ...: ``p (1 - p)^(x - 1)`` (as ``scipy.stats.geom``).

    Parameters
    ----------
    p : float in (0, 1]
        Success probability.
    prior : BetaPrior, optional
        Beta prior on ``p``.

    Notes
    -----
    ML: ``p = W / sum w x``; with ``BetaPrior(a, b)`` the MAP is
    ``(W + a - 1) / (sum w x + a + b - 2)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0], [2.0], [5.0]])
    >>> Geometric(0.5).maximize(Geometric(0.5).statistics(x, np.ones(3))).p
    0.375
    """

    p: float = field(converter=lambda v: check_float(v, "Geometric p", minimum=0.0, exclusive=True))
    prior: BetaPrior | None = field(default=None, validator=prior_of_type(BetaPrior))

    def __attrs_post_init__(self) -> None:
        if self.p > 1:
            raise ValueError(f"Geometric p must be in (0, 1]; got {self.p}")

    n_features: ClassVar[int] = 1
    """One column."""

    n_parameters: ClassVar[int] = 1
    """``p``."""

    def check_data(self, x: np.ndarray) -> None:
        """Raise a ValueError naming the values that are not integers >= 1."""
        _check_support("Geometric", "integers >= 1 (numbers of trials)", x, ~_integers_from(x, 1))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-mass of every row (``-inf`` outside the support)."""
        return _count_log_mass(
            x, 1, lambda trials: math.log(self.p) + xlog1py(trials - 1.0, -self.p)
        )

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> WeightedSums:
        """Total weight and ``sum w x``."""
        return WeightedSums.of(x, weights)

    def maximize(self, stats: WeightedSums) -> Geometric:
        """MAP (ML without a prior) ``p``; ``self`` without weight."""
        stats = WeightedSums.check(stats, "Geometric", 1)
        if stats.weight <= 0:
            return self
        a, b = (1.0, 1.0) if self.prior is None else (float(self.prior.a), float(self.prior.b))
        p = (stats.weight + a - 1.0) / (float(stats.sums[0]) + a + b - 2.0)
        return attrs.evolve(self, p=min(p, 1.0))

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of shape (n_samples, 1), as floats."""
        return rng.geometric(self.p, size=(n_samples, 1)).astype(float)

    def log_prior(self) -> float:
        """Log-density of ``p`` under the prior (0 without one)."""
        return 0.0 if self.prior is None else self.prior.log_pdf(self.p)


@frozen(eq=False)
class Bernoulli(Distribution):
    """Independent binary features: ``prod_j p_j^x_j (1 - p_j)^(1 - x_j)``.

    Parameters
    ----------
    p : array-like of shape (d,)
        Probability of a 1 in each column, in [0, 1].
    prior : BetaPrior, optional
        Beta prior on every ``p_j`` (scalar or per-feature ``a`` and ``b``).

    Notes
    -----
    ML: ``p = sum w x / W``; with ``BetaPrior(a, b)`` the MAP is
    ``(sum w x + a - 1) / (W + a + b - 2)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    >>> Bernoulli([0.5, 0.5]).maximize(Bernoulli([0.5, 0.5]).statistics(x, np.ones(4))).p
    array([0.75, 0.25])
    """

    p: np.ndarray = field(converter=lambda v: _probabilities(v, "Bernoulli p"))
    prior: BetaPrior | None = field(default=None, validator=prior_of_type(BetaPrior))

    def __attrs_post_init__(self) -> None:
        if self.prior is not None:
            for name in ("a", "b"):
                size = getattr(self.prior, name).size
                if size not in (1, self.p.size):
                    raise ValueError(
                        f"Bernoulli prior {name} has {size} entries for {self.p.size} features; "
                        "pass a scalar or one value per feature"
                    )

    @property
    def n_features(self) -> int:
        """One column per binary variable."""
        return int(self.p.size)

    @property
    def n_parameters(self) -> int:
        """One probability per column."""
        return int(self.p.size)

    def check_data(self, x: np.ndarray) -> None:
        """Raise a ValueError naming the values that are neither 0 nor 1."""
        _check_support("Bernoulli", "0 or 1", x, (x != 0) & (x != 1))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-mass of every row (``-inf`` outside the support)."""
        valid = ((x == 0) | (x == 1)).all(axis=1)
        mass = (xlogy(x, self.p) + xlog1py(1.0 - x, -self.p)).sum(axis=1)
        return np.where(valid, mass, -np.inf)

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> WeightedSums:
        """Total weight and ``sum w x`` per column."""
        return WeightedSums.of(x, weights)

    def maximize(self, stats: WeightedSums) -> Bernoulli:
        """MAP (ML without a prior) probabilities; ``self`` without weight."""
        stats = WeightedSums.check(stats, "Bernoulli", self.n_features)
        if stats.weight <= 0:
            return self
        a, b = (1.0, 1.0) if self.prior is None else (self.prior.a, self.prior.b)
        denominator = stats.weight + a + b - 2.0
        return attrs.evolve(self, p=(stats.sums + a - 1.0) / denominator)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of shape (n_samples, d) with values 0.0 and 1.0."""
        return (rng.random((n_samples, self.n_features)) < self.p).astype(float)

    def log_prior(self) -> float:
        """Log-density of ``p`` under the prior (0 without one)."""
        return 0.0 if self.prior is None else self.prior.log_pdf(self.p)


@frozen(eq=False)
class Categorical(Distribution):
    """One column of integer symbols 0 to m - 1 with probabilities ``probs``.

    Parameters
    ----------
    probs : array-like of shape (m,)
        Probabilities on the simplex.
    prior : DirichletPrior, optional
        Dirichlet prior on ``probs``.

    Notes
    -----
    ML: ``probs = weighted symbol counts / W``; with a Dirichlet prior the
    MAP is ``(counts + alpha - 1) / (W + sum(alpha - 1))``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [2.0], [2.0], [1.0]])
    >>> start = Categorical([0.2, 0.3, 0.5])
    >>> start.maximize(start.statistics(x, np.ones(4))).probs
    array([0.25, 0.25, 0.5 ])
    >>> Categorical([0.5, 0.5]).check_data(np.array([[1.0], [2.0]]))
    Traceback (most recent call last):
    ...
    ValueError: Categorical data must be integer symbols in 0..1; got 1 offending value (2), ...
    """

    probs: np.ndarray = field(converter=lambda v: _probabilities(v, "Categorical probs"))
    prior: DirichletPrior | None = field(default=None, validator=prior_of_type(DirichletPrior))

    def __attrs_post_init__(self) -> None:
        total = float(self.probs.sum())
        if not math.isclose(total, 1.0, rel_tol=0.0, abs_tol=1e-8):
            raise ValueError(f"Categorical probs must sum to 1; got sum={total:.12g}")
        if self.prior is not None:
            self.prior.alpha(self.n_categories)

    @property
    def n_categories(self) -> int:
        """Number of symbols ``m``."""
        return int(self.probs.size)

    n_features: ClassVar[int] = 1
    """One column."""

    @property
    def n_parameters(self) -> int:
        """``m - 1`` free probabilities."""
        return self.n_categories - 1

    def _valid(self, x: np.ndarray) -> np.ndarray:
        return _integers_from(x, 0) & (x < self.n_categories)

    def check_data(self, x: np.ndarray) -> None:
        """Raise a ValueError naming the symbols outside 0 to m - 1."""
        requirement = f"integer symbols in 0..{self.n_categories - 1}"
        _check_support("Categorical", requirement, x, ~self._valid(x))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-mass of every row (``-inf`` outside the support)."""
        valid = self._valid(x[:, 0])
        symbols = np.where(valid, x[:, 0], 0).astype(np.intp)
        with np.errstate(divide="ignore"):
            log_probs = np.log(self.probs)
        return np.where(valid, log_probs[symbols], -np.inf)

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> WeightedSums:
        """Total weight and the weighted count of every symbol."""
        counts = np.bincount(x[:, 0].astype(np.intp), weights=weights, minlength=self.n_categories)
        return WeightedSums(float(np.sum(weights)), counts)

    def maximize(self, stats: WeightedSums) -> Categorical:
        """MAP (ML without a prior) probabilities; ``self`` without weight."""
        stats = WeightedSums.check(stats, "Categorical", self.n_categories)
        if stats.weight <= 0:
            return self
        prior = self.prior if self.prior is not None else DirichletPrior(1.0)
        return attrs.evolve(self, probs=prior.mode(stats.sums))

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of shape (n_samples, 1), symbols as floats."""
        return rng.choice(self.n_categories, size=(n_samples, 1), p=self.probs).astype(float)

    def log_prior(self) -> float:
        """Log-density of ``probs`` under the prior (0 without one)."""
        return 0.0 if self.prior is None else self.prior.log_pdf(self.probs)
