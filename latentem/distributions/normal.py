"""Normal families: ``Normal``, ``LogNormal`` and ``MultivariateNormal`` (full or diagonal)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import attrs
import numpy as np
from attrs import field, frozen
from scipy import linalg

from latentem.core.validation import check_float, readonly_array
from latentem.distributions.base import Distribution, _check_support, prior_of_type
from latentem.distributions.priors import _LOG_2PI, NormalInverseWishart, niw_log_pdf, niw_mode
from latentem.distributions.statistics import Moments

__all__ = ["LogNormal", "MultivariateNormal", "Normal"]

# A standard deviation within this many rounding units of the mean cannot be resolved
# (the mixture's rule, latentem.mixture.statistics.variance_resolution).
_RESOLUTION_ULPS = 16.0


def _check_resolved(family: str, mean: np.ndarray, variances: np.ndarray) -> None:
    """Refuse a maximum-likelihood variance below the rounding of its mean (a collapse)."""
    resolution = (_RESOLUTION_ULPS * np.finfo(float).eps * np.abs(mean)) ** 2
    collapsed = ~(variances > resolution)
    if collapsed.any():
        j = int(np.flatnonzero(collapsed)[0])
        where = "" if mean.size == 1 else f" in feature {j}"
        raise ValueError(
            f"{family} collapsed onto one point: the rows it was fitted to have one value "
            f"{mean[j]:.17g}{where} (variance {variances[j]:.3g}, below the rounding of the "
            "mean); give it a NormalInverseWishart prior, or remove duplicated rows"
        )


def _niw_prior(n_features: int | None) -> Any:
    of_type = prior_of_type(NormalInverseWishart)

    def check(instance: Any, attribute: Any, value: Any) -> None:
        of_type(instance, attribute, value)
        if value is None:
            return
        expected = instance.n_features if n_features is None else n_features
        if value.n_features != expected:
            raise ValueError(
                f"{type(instance).__name__} prior has {value.n_features} features but the "
                f"family has {expected}; give the prior a mean of length {expected}"
            )

    return check


def _check_moments(stats: Any, family: str) -> Moments:
    if not isinstance(stats, Moments):
        raise TypeError(f"{family}.maximize needs Moments from statistics(); got {type(stats)}")
    return stats


@frozen(eq=False)
class Normal(Distribution):
    """The univariate normal distribution ``N(loc, scale^2)``.

    Parameters
    ----------
    loc : float
    scale : float, > 0
        Standard deviation.
    prior : NormalInverseWishart, optional
        One-feature normal-inverse-gamma prior on ``(loc, scale^2)``; MAP
        updates when given.

    Notes
    -----
    Statistics: weighted count, mean and scatter (:class:`Moments`). The
    update is ``loc = xbar``, ``scale^2 = S / W`` (ML), or the prior's
    posterior mode (see :func:`~latentem.distributions.priors.niw_mode`).
    A component that collapses onto one value has no finite ML scale; its
    update raises a ValueError (give it a prior).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0], [2.0], [4.0]])
    >>> fitted = Normal(0.0, 1.0).maximize(Normal(0.0, 1.0).statistics(x, np.ones(3)))
    >>> round(fitted.loc, 6), round(fitted.scale ** 2, 6)
    (2.333333, 1.555556)
    """

    loc: float = field(converter=lambda v: check_float(v, "Normal loc"))
    scale: float = field(
        converter=lambda v: check_float(v, "Normal scale", minimum=0.0, exclusive=True)
    )
    prior: NormalInverseWishart | None = field(default=None, validator=_niw_prior(1))

    n_features: ClassVar[int] = 1
    """One column."""

    n_parameters: ClassVar[int] = 2
    """Location and scale."""

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-density of every row, shape (n_samples,)."""
        z = (x[:, 0] - self.loc) / self.scale
        return -0.5 * _LOG_2PI - math.log(self.scale) - 0.5 * z**2

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> Moments:
        """Weighted count, mean and scatter."""
        return Moments.of(x, weights, diagonal=True)

    def maximize(self, stats: Moments) -> Normal:
        """MAP (ML without a prior) location and scale; ``self`` without weight."""
        stats = _check_moments(stats, "Normal")
        if stats.weight <= 0:
            return self
        mean, variance = niw_mode(stats, self.prior or NormalInverseWishart.flat(1, diagonal=True))
        if self.prior is None:
            _check_resolved("Normal", mean, variance)
        return attrs.evolve(self, loc=float(mean[0]), scale=math.sqrt(float(variance[0])))

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of shape (n_samples, 1)."""
        return rng.normal(self.loc, self.scale, size=(n_samples, 1))

    def log_prior(self) -> float:
        """Log-density of ``(loc, scale^2)`` under the prior (0 without one)."""
        if self.prior is None:
            return 0.0
        return self.prior.log_pdf(np.array([self.loc]), np.array([self.scale**2]))


@frozen(eq=False)
class LogNormal(Distribution):
    """The log-normal distribution: ``log x ~ N(mu, sigma^2)``, support ``x > 0``.

    Parameters
    ----------
    mu : float
        Mean of ``log x`` (``scipy.stats.lognorm(s=sigma, scale=exp(mu))``).
    sigma : float, > 0
        Standard deviation of ``log x``.
    prior : NormalInverseWishart, optional
        One-feature prior on ``(mu, sigma^2)``.

    Notes
    -----
    The normal family applied to ``log x``; the density carries the Jacobian
    ``-log x``, which does not depend on the parameters, so the update is the
    normal one on ``log x``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> x = np.array([[0.5], [1.0], [3.0]])
    >>> bool(np.allclose(LogNormal(0.2, 0.7).log_prob(x),
    ...                  stats.lognorm.logpdf(x[:, 0], 0.7, scale=np.exp(0.2))))
    True
    >>> LogNormal(0.0, 1.0).check_data(np.array([[1.0], [0.0]]))
    Traceback (most recent call last):
    ...
    ValueError: LogNormal data must be positive; got 1 offending value (0), the first in row 1
    """

    mu: float = field(converter=lambda v: check_float(v, "LogNormal mu"))
    sigma: float = field(
        converter=lambda v: check_float(v, "LogNormal sigma", minimum=0.0, exclusive=True)
    )
    prior: NormalInverseWishart | None = field(default=None, validator=_niw_prior(1))

    n_features: ClassVar[int] = 1
    """One column."""

    n_parameters: ClassVar[int] = 2
    """``mu`` and ``sigma``."""

    @property
    def _log_normal(self) -> Normal:
        """The normal distribution of ``log x``."""
        return Normal(self.mu, self.sigma, self.prior)

    def check_data(self, x: np.ndarray) -> None:
        """Raise a ValueError naming the values that are not positive."""
        _check_support("LogNormal", "positive", x, ~(x > 0))

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-density of every row (``-inf`` outside the support)."""
        positive = x[:, 0] > 0
        logs = np.log(np.where(positive, x[:, 0], 1.0))
        return np.where(positive, self._log_normal.log_prob(logs[:, None]) - logs, -np.inf)

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> Moments:
        """Weighted count, mean and scatter of ``log x``."""
        return self._log_normal.statistics(np.log(x), weights)

    def maximize(self, stats: Moments) -> LogNormal:
        """MAP (ML without a prior) ``mu`` and ``sigma``; ``self`` without weight."""
        if _check_moments(stats, "LogNormal").weight <= 0:
            return self
        updated = self._log_normal.maximize(stats)
        return attrs.evolve(self, mu=updated.loc, sigma=updated.scale)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of shape (n_samples, 1)."""
        return rng.lognormal(self.mu, self.sigma, size=(n_samples, 1))

    def log_prior(self) -> float:
        """Log-density of ``(mu, sigma^2)`` under the prior (0 without one)."""
        return self._log_normal.log_prior()


def _lower_cholesky(cov: np.ndarray) -> np.ndarray:
    if cov.ndim == 1:
        return np.sqrt(cov)
    if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-12 * np.abs(cov).max()):
        raise ValueError("MultivariateNormal cov must be symmetric; make it (M + M.T) / 2")
    try:
        return linalg.cholesky(cov, lower=True, check_finite=False)
    except linalg.LinAlgError:
        raise ValueError(
            "MultivariateNormal cov is not positive definite; in a fit this means the "
            "component collapsed onto a subspace: give it a NormalInverseWishart prior, or "
            "remove constant or duplicated features"
        ) from None


@frozen(eq=False)
class MultivariateNormal(Distribution):
    """The multivariate normal ``N(mean, cov)``, with a full or diagonal covariance.

    Parameters
    ----------
    mean : array-like of shape (d,)
    cov : array-like of shape (d, d) or (d,)
        A (d, d) matrix gives a full covariance; a vector (d,) gives a
        diagonal covariance holding these variances. The shape chooses the
        variant, and updates keep it.
    prior : NormalInverseWishart, optional
        Prior on ``(mean, cov)``; for a diagonal covariance it acts as ``d``
        independent normal-inverse-gamma priors (its scale must be diagonal).

    Attributes
    ----------
    cholesky : ndarray
        Lower Cholesky factor of ``cov`` ((d,) standard deviations if diagonal).

    Notes
    -----
    The update is ``mean = xbar`` and ``cov = S / W`` (only its diagonal for
    a diagonal covariance), or the normal-inverse-Wishart posterior mode.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> full = MultivariateNormal([0.0, 1.0], [[2.0, 0.3], [0.3, 1.0]])
    >>> x = np.array([[0.5, 0.5], [-1.0, 2.0]])
    >>> expected = stats.multivariate_normal.logpdf(x, full.mean, full.cov)
    >>> bool(np.allclose(full.log_prob(x), expected))
    True
    >>> MultivariateNormal([0.0, 0.0], [1.0, 4.0]).n_parameters   # diagonal: 2 means, 2 variances
    4
    """

    mean: np.ndarray = field(converter=readonly_array)
    cov: np.ndarray = field(converter=readonly_array)
    prior: NormalInverseWishart | None = field(default=None, validator=_niw_prior(None))
    cholesky: np.ndarray = field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.mean.ndim != 1 or self.mean.size == 0 or not np.all(np.isfinite(self.mean)):
            raise ValueError(
                f"MultivariateNormal mean must be a finite 1-D array; got {self.mean!r}"
            )
        d = self.mean.size
        if self.cov.shape not in ((d, d), (d,)):
            raise ValueError(
                f"MultivariateNormal cov must have shape ({d}, {d}) (full) or ({d},) "
                f"(diagonal) to match the mean; got {self.cov.shape}"
            )
        if not np.all(np.isfinite(self.cov)) or (self.cov.ndim == 1 and np.any(self.cov <= 0)):
            raise ValueError(
                f"MultivariateNormal cov must be finite with positive variances; got {self.cov!r}"
            )
        object.__setattr__(self, "cholesky", readonly_array(_lower_cholesky(self.cov)))

    @property
    def diagonal(self) -> bool:
        """Whether the covariance is diagonal."""
        return bool(self.cov.ndim == 1)

    @property
    def n_features(self) -> int:
        """Dimension ``d``."""
        return int(self.mean.size)

    @property
    def n_parameters(self) -> int:
        """``d`` means plus ``d`` variances (diagonal) or ``d (d + 1) / 2`` covariances."""
        d = self.n_features
        return 2 * d if self.diagonal else d + d * (d + 1) // 2

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-density of every row, shape (n_samples,)."""
        centred = x - self.mean
        if self.diagonal:
            z = centred / self.cholesky
            log_det = np.log(self.cholesky).sum()
        else:
            z = linalg.solve_triangular(self.cholesky, centred.T, lower=True).T
            log_det = np.log(np.diag(self.cholesky)).sum()
        return -0.5 * (self.n_features * _LOG_2PI + np.einsum("ij,ij->i", z, z)) - log_det

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> Moments:
        """Weighted count, mean and scatter (its diagonal for a diagonal covariance)."""
        return Moments.of(x, weights, diagonal=self.diagonal)

    def maximize(self, stats: Moments) -> MultivariateNormal:
        """MAP (ML without a prior) mean and covariance; ``self`` without weight."""
        stats = _check_moments(stats, "MultivariateNormal")
        if stats.weight <= 0:
            return self
        prior = self.prior or NormalInverseWishart.flat(self.n_features, self.diagonal)
        mean, cov = niw_mode(stats, prior)
        if self.prior is None:
            _check_resolved("MultivariateNormal", mean, cov if self.diagonal else np.diag(cov))
        return attrs.evolve(self, mean=mean, cov=cov)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of shape (n_samples, d)."""
        noise = rng.standard_normal((n_samples, self.n_features))
        spread = noise * self.cholesky if self.diagonal else noise @ self.cholesky.T
        return self.mean + spread

    def log_prior(self) -> float:
        """Log-density of ``(mean, cov)`` under the prior (0 without one)."""
        if self.prior is None:
            return 0.0
        return float(niw_log_pdf(self.prior, self.mean[None], self.cov[None])[0])
