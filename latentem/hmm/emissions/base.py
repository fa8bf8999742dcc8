"""The emission side of an HMM: one component per state, evaluated and updated together.

:class:`Emissions` is what :class:`~latentem.hmm.HiddenMarkovModel` talks to.
:class:`IndependentEmissions` wraps one :class:`~latentem.distributions.Distribution`
per state (any family, including a user's own): the generic path. The
Gaussian, categorical, Poisson and Gaussian-mixture emissions of this
package are fast batched implementations of the same protocol.
"""

from __future__ import annotations

import abc
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from attrs import field, frozen

from latentem.core.validation import check_array
from latentem.distributions.base import (
    Distribution,
    check_observed,
    observed_log_prob,
    observed_statistics,
)

__all__ = ["Emissions", "IndependentEmissions", "PerStateStats", "as_emissions", "check_fixed"]


def check_fixed(value: Any, names: Sequence[str], owner: str) -> frozenset[str]:
    """Parse the names of parameters an M-step must keep, rejecting unknown ones.

    Examples
    --------
    >>> sorted(check_fixed(["means"], ["means", "covariances"], "GaussianEmissions"))
    ['means']
    >>> check_fixed(["mean"], ["means", "covariances"], "GaussianEmissions")
    Traceback (most recent call last):
    ...
    ValueError: fixed for GaussianEmissions must name parameters among 'means', ...; got 'mean'
    """
    if isinstance(value, str):
        value = (value,)
    fixed = frozenset(value)
    unknown = sorted(fixed - set(names))
    if unknown:
        listed = ", ".join(repr(name) for name in names)
        raise ValueError(
            f"fixed for {owner} must name parameters among {listed}; got "
            + ", ".join(repr(name) for name in unknown)
        )
    return fixed


class Emissions(abc.ABC):
    """The emission distributions of all states of an HMM.

    Subclasses are attrs ``@frozen`` classes holding the parameters of every
    state. Data are 2-D, shape (n_samples, n_features).

    Notes
    -----
    :meth:`statistics` summarises rows weighted by the state posteriors
    ``gamma`` (n_samples, n_states); the statistics of disjoint rows add
    with ``+``. :meth:`maximize` returns the parameters maximising
    ``sum_t sum_k gamma_t(k) log p_k(x_t) + log_prior()`` given those
    statistics; a state with zero total weight keeps its parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.hmm import Emissions, PoissonEmissions
    >>> emissions = PoissonEmissions([[1.0], [6.0]])
    >>> isinstance(emissions, Emissions), emissions.n_states
    (True, 2)
    >>> X = emissions.check_data([[0], [7]])
    >>> posteriors = np.exp(emissions.log_prob(X))
    >>> posteriors /= posteriors.sum(axis=1, keepdims=True)
    >>> emissions.maximize(emissions.statistics(X, posteriors)).rates.ravel().round(3).tolist()
    [0.004, 6.953]
    """

    @property
    @abc.abstractmethod
    def n_states(self) -> int:
        """Number of hidden states."""

    @property
    @abc.abstractmethod
    def n_features(self) -> int:
        """Number of columns of the data."""

    @property
    @abc.abstractmethod
    def n_parameters(self) -> int:
        """Number of free parameters of all states (for BIC and AIC)."""

    @abc.abstractmethod
    def check_data(self, X: Any) -> np.ndarray:
        """``X`` validated as an array this family can evaluate (ValueError naming the fix)."""

    def prepare(self, X: np.ndarray) -> Any:
        """Whatever :meth:`log_prob` and :meth:`statistics` read, from validated ``X``.

        Work that does not depend on the parameters (features of the data)
        is done here once and shared by both; ``X`` itself by default. Both
        methods also accept ``X`` directly.
        """
        return X

    def prepare_for_parameters(self, X: np.ndarray) -> Any:
        """What :meth:`log_prob` and :meth:`statistics` read, for these parameters only.

        For data given straight to a method (inference on new data) rather
        than prepared once for a fit: an emission family may then use its
        parameters, as the Gaussian ones do to evaluate each row the same way
        whatever other rows come with it. :meth:`prepare` by default.
        """
        return self.prepare(X)

    def data_key(self) -> Hashable | None:
        """What :meth:`check_data` and :meth:`prepare` depend on, or None.

        Two emissions with equal keys validate and prepare data alike, so an
        HMM keeps the prepared data of a :class:`~latentem.hmm.Sequences`
        across EM iterations instead of redoing it. None (the default, and
        the right answer when the checks depend on the parameters) prepares
        the data on every E-step.
        """
        return None

    @abc.abstractmethod
    def log_prob(self, X: Any) -> np.ndarray:
        """``log p(x_t | state k)`` of validated or prepared ``X``, shape (n_samples, n_states)."""

    @abc.abstractmethod
    def statistics(self, X: Any, posteriors: np.ndarray) -> Any:
        """Additive statistics of validated (or prepared) ``X`` weighted by ``posteriors``.

        ``posteriors`` has shape (n_samples, n_states).
        """

    @abc.abstractmethod
    def maximize(self, stats: Any) -> Emissions:
        """New emissions maximising the expected objective given summed statistics."""

    @abc.abstractmethod
    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One observation per entry of ``states``, shape (n_samples, n_features)."""

    def log_prior(self) -> float:
        """Log-density of the parameters under their prior (0 without one)."""
        return 0.0


@frozen(eq=False)
class PerStateStats:
    """Statistics of :class:`IndependentEmissions`: each state's own, plus its total weight.

    Attributes
    ----------
    items : tuple
        The statistics of every state's distribution.
    weights : ndarray of shape (n_states,)
        Total posterior weight of every state.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.distributions import Poisson
    >>> emissions = IndependentEmissions([Poisson(1.0), Poisson(6.0)])
    >>> X, gamma = np.array([[0.0], [7.0], [5.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    >>> both = emissions.statistics(X[:2], gamma[:2]) + emissions.statistics(X[2:], gamma[2:])
    >>> both.weights
    array([1.5, 1.5])
    """

    items: tuple[Any, ...]
    weights: np.ndarray

    def __add__(self, other: Any) -> PerStateStats:
        if not isinstance(other, PerStateStats):
            return NotImplemented
        if len(other.items) != len(self.items):
            raise ValueError(
                f"cannot add statistics of {len(self.items)} and {len(other.items)} states; "
                "add statistics computed by the same model"
            )
        items = tuple(a + b for a, b in zip(self.items, other.items, strict=True))
        return PerStateStats(items, self.weights + other.weights)


def _check_components(value: Any) -> tuple[Distribution, ...]:
    components = tuple(value)
    if not components:
        raise ValueError("emissions must hold one distribution per state; got none")
    for index, component in enumerate(components):
        if not isinstance(component, Distribution):
            raise TypeError(
                f"emissions[{index}] must be a latentem.distributions.Distribution; got "
                f"{type(component).__name__}. Subclass Distribution and implement log_prob, "
                "statistics, maximize, sample, n_parameters and n_features"
            )
    widths = {component.n_features for component in components}
    if len(widths) != 1:
        raise ValueError(
            f"every state's distribution must model the same number of features; got "
            f"n_features {[component.n_features for component in components]}"
        )
    return components


@frozen(eq=False)
class IndependentEmissions(Emissions):
    """One :class:`~latentem.distributions.Distribution` per state, of any family.

    Parameters
    ----------
    components : sequence of Distribution
        The emission distribution of every state; families may differ.

    Notes
    -----
    Each state's statistics are its distribution's ``statistics(X,
    gamma[:, k])`` and its update is that distribution's ``maximize``; a
    state whose total posterior weight is zero keeps its distribution. A
    row with no observed entry (all NaN) drops out of the likelihood and of
    the statistics; a row with some missing entries needs a family that
    leaves them out, such as :class:`~latentem.distributions.Independent`
    (:func:`~latentem.distributions.base.observed_log_prob`).

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.distributions import Poisson
    >>> emissions = IndependentEmissions([Poisson(1.0), Poisson(6.0)])
    >>> emissions.log_prob(np.array([[0.0], [7.0]])).round(3)
    array([[-1.   , -6.   ],
           [-9.525, -1.983]])
    >>> emissions.n_parameters
    2
    """

    components: tuple[Distribution, ...] = field(converter=_check_components)

    @property
    def n_states(self) -> int:
        return len(self.components)

    @property
    def n_features(self) -> int:
        return int(self.components[0].n_features)

    @property
    def n_parameters(self) -> int:
        return sum(int(component.n_parameters) for component in self.components)

    def check_data(self, X: Any) -> np.ndarray:
        X = check_array(X, allow_nan=True)
        if X.shape[1] != self.n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but the emissions model {self.n_features}"
            )
        for component in self.components:
            check_observed(component, X)
        return X

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([observed_log_prob(component, X) for component in self.components])

    def statistics(self, X: np.ndarray, posteriors: np.ndarray) -> PerStateStats:
        items = tuple(
            observed_statistics(component, X, np.ascontiguousarray(posteriors[:, k]))
            for k, component in enumerate(self.components)
        )
        return PerStateStats(items, posteriors.sum(axis=0))

    def maximize(self, stats: PerStateStats) -> IndependentEmissions:
        components = tuple(
            component.maximize(item) if weight > 0 else component
            for component, item, weight in zip(
                self.components, stats.items, stats.weights, strict=True
            )
        )
        return IndependentEmissions(components)

    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = np.empty((states.shape[0], self.n_features))
        for k, component in enumerate(self.components):
            where = np.flatnonzero(states == k)
            if where.size:
                X[where] = component.sample(where.size, rng)
        return X

    def log_prior(self) -> float:
        return float(sum(component.log_prior() for component in self.components))


def as_emissions(value: Any) -> Emissions:
    """An :class:`Emissions` as is; a sequence of distributions as :class:`IndependentEmissions`.

    Examples
    --------
    >>> from latentem.distributions import Poisson
    >>> type(as_emissions([Poisson(1.0), Poisson(2.0)])).__name__
    'IndependentEmissions'
    """
    if isinstance(value, Emissions):
        return value
    if isinstance(value, Distribution):
        raise TypeError(
            "emissions must hold one distribution per state; got a single "
            f"{type(value).__name__}. Pass a list with one distribution per state"
        )
    try:
        return IndependentEmissions(value)
    except TypeError as error:
        if "must be a latentem" in str(error):
            raise
        raise TypeError(
            "emissions must be latentem.hmm emissions or a sequence of one "
            f"Distribution per state; got {type(value).__name__}"
        ) from None
