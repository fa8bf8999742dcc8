"""Circular data: the von Mises distribution of angles in radians."""

from __future__ import annotations

import math
from typing import ClassVar

import attrs
import numpy as np
from attrs import field, frozen
from scipy.special import i0e, i1e

from latentem.core.validation import check_float
from latentem.distributions.base import Distribution
from latentem.distributions.numerics import solve_decreasing
from latentem.distributions.statistics import WeightedSums

__all__ = ["VonMises", "von_mises_kappa_mle"]

_LOG_2PI = math.log(2.0 * math.pi)


def _log_i0(kappa: float) -> float:
    return math.log(float(i0e(kappa))) + kappa


def _mean_resultant(kappa: float) -> float:
    """``A(kappa) = I1(kappa) / I0(kappa)``, the mean resultant length at ``kappa``."""
    return float(i1e(kappa) / i0e(kappa))


def von_mises_kappa_mle(resultant: float, start: float = 1.0) -> float:
    """Maximum-likelihood concentration from the mean resultant length ``Rbar``.

    Solves ``A(kappa) = I1(kappa) / I0(kappa) = Rbar`` by a safeguarded
    Newton iteration on ``t = log kappa``, using
    ``A'(kappa) = 1 - A^2 - A / kappa``.

    Parameters
    ----------
    resultant : float
        ``Rbar`` in [0, 1).
    start : float
        Initial guess (the current concentration).

    Examples
    --------
    >>> kappa = von_mises_kappa_mle(0.7)
    >>> abs(_mean_resultant(kappa) - 0.7) < 1e-14, round(kappa, 4)
    (True, 2.0136)
    """
    if resultant < 1e-12:
        return 0.0  # A(kappa) ~ kappa / 2 near 0: the root is 0 to working precision
    if not resultant < 1.0 - 1e-13:
        raise ValueError(
            "VonMises kappa has no finite maximum-likelihood estimate: the weighted angles "
            f"all coincide (mean resultant length {resultant:.15g}); remove the duplicated "
            "angles or hold the component fixed"
        )

    def equation(t: float) -> tuple[float, float]:
        kappa = math.exp(t)
        a = _mean_resultant(kappa)
        return resultant - a, -kappa * (1.0 - a * a - a / kappa)

    # Best & Fisher's (1981) approximation starts Newton near the root
    r = resultant
    if r < 0.53:
        guess = 2 * r + r**3 + 5 * r**5 / 6
    elif r < 0.85:
        guess = -0.4 + 1.39 * r + 0.43 / (1 - r)
    else:
        guess = 1 / (r**3 - 4 * r**2 + 3 * r)
    guess = guess if math.isfinite(guess) and guess > 0 else max(start, 1e-3)
    return math.exp(solve_decreasing(equation, math.log(guess)))


def _von_mises_objective(loc: float, kappa: float, cos_mean: float, sin_mean: float) -> float:
    """Average log-density ``kappa E[cos(x - loc)] - log(2 pi I0(kappa))``."""
    alignment = cos_mean * math.cos(loc) + sin_mean * math.sin(loc)
    return kappa * alignment - _LOG_2PI - _log_i0(kappa)


@frozen(eq=False)
class VonMises(Distribution):
    """The von Mises distribution ``exp(kappa cos(x - loc)) / (2 pi I0(kappa))`` of angles.

    Parameters
    ----------
    loc : float
        Mean direction (radians).
    kappa : float, >= 0
        Concentration; 0 is the uniform distribution on the circle.

    Notes
    -----
    Statistics: ``W``, ``C = sum w cos x`` and ``S = sum w sin x``. The
    update is ``loc = atan2(S, C)`` and ``kappa`` solving ``A(kappa) = Rbar =
    sqrt(C^2 + S^2) / W``; ``A`` is increasing, so the profile likelihood is
    concave in ``kappa`` with one root, found by a safeguarded Newton
    iteration in ``log kappa`` (:func:`von_mises_kappa_mle`). The weighted
    objective at the solution is compared with the one at the current
    parameters; should rounding make it lower, the update keeps the current
    ``kappa`` and only moves ``loc``, which never decreases the objective.
    Angles all at one direction have no finite ML ``kappa``: the update then
    raises a ValueError. Data may be any real angles (the density is
    periodic); ``sample`` returns angles in [-pi, pi].

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> x = np.array([[0.1], [2.0], [-3.0]])
    >>> expected = stats.vonmises.logpdf(x[:, 0], 2.0, loc=0.5)
    >>> bool(np.allclose(VonMises(0.5, 2.0).log_prob(x), expected))
    True
    """

    loc: float = field(converter=lambda v: check_float(v, "VonMises loc"))
    kappa: float = field(converter=lambda v: check_float(v, "VonMises kappa", minimum=0.0))

    n_features: ClassVar[int] = 1
    """One column."""

    n_parameters: ClassVar[int] = 2
    """Direction and concentration."""

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-density of every row, shape (n_samples,)."""
        return self.kappa * np.cos(x[:, 0] - self.loc) - _LOG_2PI - _log_i0(self.kappa)

    def statistics(self, x: np.ndarray, weights: np.ndarray) -> WeightedSums:
        """Total weight, ``sum w cos x`` and ``sum w sin x``."""
        return WeightedSums.of(np.column_stack([np.cos(x[:, 0]), np.sin(x[:, 0])]), weights)

    def maximize(self, stats: WeightedSums) -> VonMises:
        """ML direction and concentration (numerical ``kappa``, never worse than the current)."""
        stats = WeightedSums.check(stats, "VonMises", 2)
        if stats.weight <= 0:
            return self
        cos_mean, sin_mean = (float(value) / stats.weight for value in stats.sums)
        loc = math.atan2(sin_mean, cos_mean)
        kappa = von_mises_kappa_mle(math.hypot(cos_mean, sin_mean), start=self.kappa)
        current = _von_mises_objective(self.loc, self.kappa, cos_mean, sin_mean)
        if _von_mises_objective(loc, kappa, cos_mean, sin_mean) < current:
            kappa = self.kappa  # moving loc alone at a fixed kappa cannot decrease
        return attrs.evolve(self, loc=loc, kappa=kappa)

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of shape (n_samples, 1) in [-pi, pi]."""
        return rng.vonmises(self.loc, self.kappa, size=(n_samples, 1))
