"""The protocol every component family implements.

A family is a frozen attrs class holding its parameters. Data handed to a
family are always 2-D, shape (n_samples, n_features); a univariate family has
``n_features == 1``. Statistics are additive (``+``) and weighted, so one
family serves as a mixture component (weights = responsibilities), as an HMM
emission (weights = state posteriors) and with sample weights.

Writing a family of your own takes four methods and two sizes;
``docs/distributions.md`` walks through one. The helpers here (:func:`support_error`,
:func:`total_weight`) are optional.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "Distribution",
    "check_distributions",
    "check_observed",
    "observed_log_prob",
    "observed_statistics",
    "prior_of_type",
    "support_error",
    "total_weight",
]


class Distribution(abc.ABC):
    """A component family: log-density, weighted additive statistics, M-step, sampling.

    Subclasses are attrs ``@frozen`` classes with read-only array fields.
    ``n_parameters`` and ``n_features`` may be properties or, when they do not
    depend on the parameters, class constants (``n_features: ClassVar[int] = 1``).

    Notes
    -----
    For weights ``w_i >= 0`` the update :meth:`maximize` returns the
    parameters maximising ``sum_i w_i log p(x_i | theta) + log_prior(theta)``
    given only ``statistics(x, w)``; statistics of disjoint rows add with
    ``+``. Families without a closed form solve numerically, never
    decreasing that weighted objective from the current parameters.

    Statistics of zero total weight (an empty mixture component) carry no
    information: :meth:`maximize` then returns ``self`` unchanged, which keeps
    EM's guarantee.

    Examples
    --------
    A family of our own: the normal with unit variance, ``N(loc, 1)``.

    >>> import numpy as np
    >>> from attrs import frozen
    >>> from latentem.distributions import Distribution
    >>> @frozen
    ... class UnitNormal(Distribution):
    ...     loc: float
    ...     n_parameters = 1
    ...     n_features = 1
    ...     def log_prob(self, x):
    ...         return -0.5 * np.log(2 * np.pi) - 0.5 * (x[:, 0] - self.loc) ** 2
    ...     def statistics(self, x, weights):
    ...         return np.array([weights.sum(), weights @ x[:, 0]])  # arrays add with +
    ...     def maximize(self, stats):
    ...         return self if stats[0] == 0 else UnitNormal(float(stats[1] / stats[0]))
    ...     def sample(self, n_samples, rng):
    ...         return rng.normal(self.loc, 1.0, size=(n_samples, 1))
    >>> x = np.array([[1.0], [2.0], [6.0]])
    >>> UnitNormal(0.0).maximize(UnitNormal(0.0).statistics(x, np.array([1.0, 1.0, 0.0])))
    UnitNormal(loc=1.5)
    """

    @abc.abstractmethod
    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Log-density (or log-mass) of every row.

        Parameters
        ----------
        x : ndarray of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """

    @abc.abstractmethod
    def statistics(self, x: np.ndarray, weights: np.ndarray) -> Any:
        """Weighted sufficient statistics of the rows of ``x``.

        Parameters
        ----------
        x : ndarray of shape (n_samples, n_features)
        weights : ndarray of shape (n_samples,)
            Non-negative weights (responsibilities times sample weights).

        Returns
        -------
        stats
            An object supporting ``+`` (statistics of the union of rows).
        """

    @abc.abstractmethod
    def maximize(self, stats: Any) -> Distribution:
        """A new instance of this family maximising the weighted objective.

        Parameters
        ----------
        stats
            Summed statistics from :meth:`statistics`.
        """

    @abc.abstractmethod
    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n_samples`` rows, shape (n_samples, n_features)."""

    @property
    @abc.abstractmethod
    def n_parameters(self) -> int:
        """Number of free parameters (for BIC and AIC)."""

    @property
    @abc.abstractmethod
    def n_features(self) -> int:
        """Number of columns this family models."""

    #: Whether :meth:`log_prob`, :meth:`statistics` and :meth:`check_data` take rows with
    #: some NaN (missing) entries and leave those entries out; a row with no observed
    #: entry never reaches them (see :func:`observed_log_prob`).
    handles_missing: ClassVar[bool] = False

    def check_data(self, x: np.ndarray) -> None:  # noqa: B027 - optional hook
        """Raise ValueError naming the offending values if ``x`` is outside the support."""

    def log_prior(self) -> float:
        """Log-density of the parameters under the family's prior (0 without one)."""
        return 0.0


def total_weight(weights: np.ndarray) -> float:
    """Sum of the weights as a float (the "count" of weighted statistics).

    Examples
    --------
    >>> total_weight(np.array([0.5, 0.25]))
    0.75
    """
    return float(np.sum(weights))


def support_error(family: str, requirement: str, x: np.ndarray, bad: np.ndarray) -> ValueError:
    """A ValueError naming the family, its support and the offending values.

    Parameters
    ----------
    family : str
        Name of the family (``"Poisson"``).
    requirement : str
        What the data must be (``"non-negative integers"``).
    x : ndarray of shape (n_samples, n_features)
    bad : ndarray of bool, same shape as ``x``
        True where a value lies outside the support.

    Examples
    --------
    >>> x = np.array([[1.0], [-2.0], [0.5]])
    >>> print(support_error("Poisson", "non-negative integers", x, (x < 0) | (x % 1 != 0)))
    Poisson data must be non-negative integers; got 2 offending values (-2, 0.5), the first in row 1
    """
    values = np.unique(x[bad])
    shown = ", ".join(f"{value:.6g}" for value in values[:5]) + (", ..." if values.size > 5 else "")
    rows = np.flatnonzero(bad.reshape(bad.shape[0], -1).any(axis=1))
    count = int(bad.sum())
    return ValueError(
        f"{family} data must be {requirement}; got {count} offending value"
        f"{'s' if count != 1 else ''} ({shown}), the first in row {int(rows[0])}"
    )


def _check_support(family: str, requirement: str, x: np.ndarray, bad: np.ndarray) -> None:
    """Raise :func:`support_error` if any value is ``bad``."""
    if bad.any():
        raise support_error(family, requirement, x, bad)


def prior_of_type(kind: type) -> Callable[[Any, Any, Any], None]:
    """An attrs validator accepting None or an instance of ``kind`` (for prior fields).

    Examples
    --------
    >>> from attrs import field, frozen
    >>> from latentem.distributions.priors import GammaPrior
    >>> @frozen
    ... class Rate:
    ...     prior: object = field(default=None, validator=prior_of_type(GammaPrior))
    >>> Rate(prior=0.5)
    Traceback (most recent call last):
    ...
    TypeError: Rate prior must be a GammaPrior or None; got float
    """

    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is not None and not isinstance(value, kind):
            raise TypeError(
                f"{type(instance).__name__} {attribute.name} must be a {kind.__name__} or None; "
                f"got {type(value).__name__}"
            )

    return check


def check_distributions(value: Any, owner: str, name: str) -> tuple[Distribution, ...]:
    """``value`` as a non-empty tuple of :class:`Distribution`, or a TypeError/ValueError.

    Parameters
    ----------
    value : sequence
        The candidate distributions.
    owner : str
        Who receives them, for messages (``"Independent"``, ``"Mixture"``).
    name : str
        The argument's name (``"parts"``, ``"components"``).

    Examples
    --------
    >>> check_distributions([1.0], "Mixture", "components")
    Traceback (most recent call last):
    ...
    TypeError: Mixture components[0] must be a latentem.distributions.Distribution; got float...
    """
    if isinstance(value, Distribution):
        raise TypeError(
            f"{owner} {name} must be a sequence of distributions, e.g. "
            f"{owner}([Normal(0, 1), Normal(5, 1)]); got a single {type(value).__name__}"
        )
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(
            f"{owner} {name} must be a sequence of distributions; got {type(value).__name__}"
        ) from None
    if not items:
        raise ValueError(
            f"{owner} {name} must hold at least one distribution; got an empty sequence"
        )
    for i, item in enumerate(items):
        if not isinstance(item, Distribution):
            raise TypeError(
                f"{owner} {name}[{i}] must be a latentem.distributions.Distribution; got "
                f"{type(item).__name__}. Subclass Distribution (see docs/distributions.md) "
                "to use a family of your own"
            )
    return items


def _rows_with_entries(distribution: Distribution, x: np.ndarray) -> np.ndarray | None:
    """Rows with an observed entry (None: every row is complete); refuses what it cannot drop."""
    missing = np.isnan(x)
    if not missing.any():
        return None
    empty = missing.all(axis=1)
    if not distribution.handles_missing and np.any(missing.any(axis=1) & ~empty):
        row = int(np.flatnonzero(missing.any(axis=1) & ~empty)[0])
        raise ValueError(
            f"X has a missing entry (NaN) in row {row} beside observed ones, and "
            f"{type(distribution).__name__} cannot leave one entry of a row out; model the "
            "columns as latentem.distributions.Independent parts (each part's row drops out "
            "where it is missing), or impute the row"
        )
    return ~empty


def observed_log_prob(distribution: Distribution, x: np.ndarray) -> np.ndarray:
    """``log p`` of the observed entries of every row, shape (n_samples,).

    A row with no observed entry (all NaN) drops out of the likelihood: its
    log-probability is 0. A row with some NaN entries goes to the family only
    when it :attr:`~Distribution.handles_missing`; otherwise it is a
    ValueError saying what to do.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.distributions import Poisson
    >>> observed_log_prob(Poisson(2.0), np.array([[1.0], [np.nan]])).round(4)
    array([-1.3069,  0.    ])
    """
    rows = _rows_with_entries(distribution, x)
    if rows is None:
        return distribution.log_prob(x)
    out = np.zeros(x.shape[0])
    out[rows] = distribution.log_prob(x[rows])
    return out


def observed_statistics(distribution: Distribution, x: np.ndarray, weights: np.ndarray) -> Any:
    """The family's statistics of the rows with an observed entry (:func:`observed_log_prob`)."""
    rows = _rows_with_entries(distribution, x)
    if rows is None:
        return distribution.statistics(x, weights)
    return distribution.statistics(x[rows], weights[rows])


def check_observed(distribution: Distribution, x: np.ndarray) -> None:
    """The family's :meth:`~Distribution.check_data` of the rows with an observed entry."""
    rows = _rows_with_entries(distribution, x)
    distribution.check_data(x if rows is None else x[rows])
