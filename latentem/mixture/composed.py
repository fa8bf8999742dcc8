"""``Mixture``: a finite mixture of any component families, fitted by EM.

The components are :class:`~latentem.distributions.Distribution` instances,
built in (``Normal``, ``Poisson``, ``Independent``, ...) or written by the
user; families mix freely. The mixture is a frozen
:class:`~latentem.LatentModel` that also behaves as the sequence of its
components.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np
from attrs import field, frozen
from scipy.special import logsumexp

from latentem.core.data import as_observations
from latentem.core.model import LatentModel
from latentem.core.stats import scale_statistics
from latentem.core.validation import (
    as_generator,
    check_array,
    check_int,
    check_probability_vector,
    readonly_array,
)
from latentem.distributions.base import Distribution, check_distributions
from latentem.distributions.priors import DirichletPrior
from latentem.mixture.assignment import Assignment, apply_observations
from latentem.mixture.assignment import assignment as parse_assignment
from latentem.mixture.criteria import icl_from_joint

__all__ = ["Mixture", "MixtureStats"]


@frozen(eq=False)
class MixtureStats:
    """Sufficient statistics of a :class:`Mixture` over some rows.

    Attributes
    ----------
    counts : ndarray of shape (n_components,)
        Total (weighted) responsibility of each component.
    components : tuple
        Each component's statistics under its responsibilities; ``None``
        for a component held fixed.
    log_likelihood : float
        The objective term of the rows.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import Mixture
    >>> from latentem.distributions import Normal
    >>> mixture = Mixture([Normal(0.0, 1.0), Normal(4.0, 1.0)], fixed=[False, True])
    >>> x = np.array([[0.1], [3.9], [4.2]])
    >>> stats = mixture.e_step(x[:1]) + mixture.e_step(x[1:])
    >>> np.round(stats.counts, 3), stats.components[1]   # no statistics for a fixed part
    (array([1., 2.]), None)
    """

    counts: np.ndarray = field(converter=readonly_array)
    components: tuple[Any, ...]
    log_likelihood: float = field(converter=float)

    def __add__(self, other: Any) -> MixtureStats:
        if not isinstance(other, MixtureStats):
            return NotImplemented
        if other.counts.shape != self.counts.shape:
            raise ValueError(
                f"cannot add statistics of mixtures with {self.counts.size} and "
                f"{other.counts.size} components; add statistics computed by the same model"
            )
        components = tuple(
            None if a is None else a + b
            for a, b in zip(self.components, other.components, strict=True)
        )
        return MixtureStats(
            self.counts + other.counts, components, self.log_likelihood + other.log_likelihood
        )

    def scale(self, factor: float) -> MixtureStats:
        """The statistics with every row's weight times ``factor`` (online EM mixes them so)."""
        components = tuple(
            None if part is None else scale_statistics(part, factor) for part in self.components
        )
        return MixtureStats(self.counts * factor, components, self.log_likelihood * factor)


def _components(value: Any) -> tuple[Distribution, ...]:
    components = check_distributions(value, "Mixture", "components")
    n_features = {component.n_features for component in components}
    if len(n_features) > 1:
        widths = ", ".join(
            f"{k}: {type(c).__name__} with {c.n_features}" for k, c in enumerate(components)
        )
        raise ValueError(
            f"components must all model the same number of features; got {widths}. "
            "Use Independent([...]) to combine families over different columns"
        )
    return components


def _optional_weights(value: Any) -> np.ndarray | None:
    return None if value is None else readonly_array(value)


def _fixed(value: Any) -> tuple[bool, ...] | None:
    if value is None:
        return None
    flags = tuple(value)
    if not all(isinstance(flag, (bool, np.bool_)) for flag in flags):
        raise TypeError(f"fixed must be a sequence of True/False, one per component; got {value!r}")
    return tuple(bool(flag) for flag in flags)


@frozen(eq=False)
class Mixture(LatentModel, Sequence):
    """A finite mixture of any component families, fitted by :class:`~latentem.EM`.

    Parameters
    ----------
    components : sequence of Distribution
        The components, all with the same ``n_features``; families may
        differ (a Normal next to an Exponential), and user-written families
        work as long as they implement :class:`~latentem.distributions.Distribution`.
    weights : array-like of shape (n_components,), optional
        Mixing weights on the simplex; uniform by default.
    fixed : sequence of bool, optional (keyword)
        ``fixed[k] = True`` holds component ``k`` at its parameters: EM
        updates only the others (and the weights). Fixed components do not
        count in :attr:`n_parameters`.
    fixed_weights : bool, default=False (keyword)
        Hold the mixing weights at their values.
    prior : DirichletPrior, optional (keyword)
        Dirichlet prior on the weights (MAP update). Components carry their
        own priors (``Normal(..., prior=NormalInverseWishart(...))``).
    assignment : {"soft", "hard"}, default="soft" (keyword)
        Soft (EM) or hard (classification EM) assignment of rows.

    Notes
    -----
    The E-step computes ``log w_k + log p_k(x_i)`` for every row and
    component, the responsibilities and each component's weighted
    statistics; the M-step sets ``w_k = n_k / n`` (or the Dirichlet MAP) and
    calls every free component's ``maximize``. The objective is the
    log-likelihood (the classification log-likelihood for hard assignment)
    plus ``log_prior()`` (the weights' Dirichlet and the components' priors).

    Data are arrays of shape (n_samples, n_features) or
    :class:`~latentem.Observations` with sample weights (a weight of 2 equals
    a duplicated row) and known labels (``k`` pins a row to component ``k``
    with the term ``log w_k p_k(x)``; ``-1`` is unknown). Data outside a
    component's support raise a ValueError naming the component.

    A component that receives no weight at all keeps its parameters.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> from latentem.distributions import Exponential, Normal
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.exponential(1.0, 300), rng.normal(8.0, 1.0, 200)])[:, None]
    >>> start = latentem.Mixture([Exponential(0.5), Normal(5.0, 2.0)])
    >>> fitted = latentem.EM(tol=1e-8).fit(start, x).model
    >>> len(fitted), type(fitted[1]).__name__
    (2, 'Normal')
    >>> np.round(fitted.weights, 2), round(fitted[0].rate, 2), round(fitted[1].loc, 2)
    (array([0.6, 0.4]), 0.86, 8.03)
    >>> fitted.predict(np.array([[0.5], [9.0]]))
    array([0, 1])
    """

    components: tuple[Distribution, ...] = field(converter=_components)
    weights: np.ndarray = field(default=None, converter=_optional_weights)
    fixed: tuple[bool, ...] = field(default=None, converter=_fixed, kw_only=True)
    fixed_weights: bool = field(default=False, kw_only=True)
    prior: DirichletPrior | None = field(default=None, kw_only=True)
    assignment: Assignment = field(
        default=parse_assignment("soft"), converter=parse_assignment, kw_only=True
    )

    def __attrs_post_init__(self) -> None:
        k = len(self.components)
        if self.weights is None:
            object.__setattr__(self, "weights", readonly_array(np.full(k, 1.0 / k)))
        check_probability_vector(self.weights, "weights")
        if self.weights.shape != (k,):
            raise ValueError(
                f"weights must have one entry per component ({k}); got shape {self.weights.shape}"
            )
        if self.fixed is None:
            object.__setattr__(self, "fixed", (False,) * k)
        if len(self.fixed) != k:
            raise ValueError(f"fixed must have one flag per component ({k}); got {len(self.fixed)}")
        if not isinstance(self.fixed_weights, (bool, np.bool_)):
            raise TypeError(f"fixed_weights must be True or False; got {self.fixed_weights!r}")
        if self.prior is not None:
            if not isinstance(self.prior, DirichletPrior):
                raise TypeError(
                    f"prior must be a DirichletPrior on the weights or None; got "
                    f"{type(self.prior).__name__}. Give components their own priors"
                )
            self.prior.alpha(k)

    # -- the sequence of components -------------------------------------------

    def __len__(self) -> int:
        return len(self.components)

    @overload
    def __getitem__(self, index: int) -> Distribution: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Distribution, ...]: ...

    def __getitem__(self, index: Any) -> Any:
        return self.components[index]

    def __iter__(self) -> Iterator[Distribution]:
        return iter(self.components)

    # -- sizes ------------------------------------------------------------------

    @property
    def n_components(self) -> int:
        """Number of components."""
        return len(self.components)

    @property
    def n_features(self) -> int:
        """Number of columns of the data."""
        return self.components[0].n_features

    @property
    def n_parameters(self) -> int:
        """Free parameters: ``k - 1`` weights (unless fixed) plus the free components'."""
        free = sum(c.n_parameters for c, fixed in zip(self, self.fixed, strict=True) if not fixed)
        return free + (0 if self.fixed_weights else self.n_components - 1)

    # -- the protocol -------------------------------------------------------------

    def _check_X(self, X: Any) -> np.ndarray:
        X = check_array(X)
        if X.shape[1] != self.n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but the mixture's components model {self.n_features}"
            )
        for k, component in enumerate(self.components):
            try:
                component.check_data(X)
            except ValueError as error:
                raise ValueError(f"component {k} ({type(component).__name__}): {error}") from None
        return X

    def _joint_log_prob(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_weights = np.log(self.weights)
        log_prob = np.column_stack([component.log_prob(X) for component in self.components])
        return log_prob + log_weights

    def joint_log_prob(self, X: Any) -> np.ndarray:
        """``log w_k + log p_k(x_i)``, shape (n_samples, n_components)."""
        return self._joint_log_prob(self._check_X(X))

    def e_step(self, data: Any) -> MixtureStats:
        """Responsibility-weighted counts and component statistics of ``data``.

        ``data`` is an array (n_samples, n_features) or
        :class:`~latentem.Observations` with sample weights and labels.
        """
        observations = as_observations(data)
        X = self._check_X(observations.X)
        joint = self._joint_log_prob(X)
        resp, terms = self.assignment.responsibilities(joint)
        terms = apply_observations(observations, joint, terms, resp)
        statistics = tuple(
            None if fixed else component.statistics(X, np.ascontiguousarray(resp[:, k]))
            for k, (component, fixed) in enumerate(zip(self, self.fixed, strict=True))
        )
        return MixtureStats(resp.sum(axis=0), statistics, float(terms.sum()))

    def m_step(self, stats: MixtureStats) -> Mixture:
        """New weights and free components maximising the expected objective."""
        if not isinstance(stats, MixtureStats) or stats.counts.shape != (self.n_components,):
            raise TypeError(
                f"stats must be MixtureStats from this mixture's e_step; got {type(stats).__name__}"
            )
        total = float(stats.counts.sum())
        if not total > 0:
            raise ValueError(
                "the statistics hold no responsibility at all (total weight 0); "
                "pass data with at least one sample of positive weight"
            )
        if self.fixed_weights:
            weights = self.weights
        elif self.prior is not None:
            weights = self.prior.mode(stats.counts)
        else:
            weights = stats.counts / total
        components = tuple(
            component if fixed else self._maximize(k, component, component_stats)
            for k, (component, fixed, component_stats) in enumerate(
                zip(self.components, self.fixed, stats.components, strict=True)
            )
        )
        return Mixture(
            components,
            weights,
            fixed=self.fixed,
            fixed_weights=self.fixed_weights,
            prior=self.prior,
            assignment=self.assignment,
        )

    @staticmethod
    def _maximize(k: int, component: Distribution, stats: Any) -> Distribution:
        try:
            updated = component.maximize(stats)
        except ValueError as error:
            raise ValueError(
                f"component {k} ({type(component).__name__}) cannot be updated: {error}. "
                "A component that collapses onto too few distinct values has no finite "
                "estimate: give it a prior, hold it fixed, or use fewer components"
            ) from None
        if not isinstance(updated, Distribution):
            raise TypeError(
                f"component {k} ({type(component).__name__}).maximize returned "
                f"{type(updated).__name__}, not a Distribution"
            )
        return updated

    def log_likelihood(self, data: Any) -> float:
        """The objective of this mixture's assignment on ``data`` (weights and labels honoured)."""
        observations = as_observations(data)
        joint = self._joint_log_prob(self._check_X(observations.X))
        terms = self.assignment.objective_terms(joint)
        return float(apply_observations(observations, joint, terms, None).sum())

    def log_prior(self) -> float:
        """The weights' Dirichlet log-density plus every component's ``log_prior``."""
        total = 0.0 if self.prior is None else self.prior.log_pdf(self.weights)
        return total + float(sum(component.log_prior() for component in self.components))

    # -- inference ------------------------------------------------------------------

    def score_samples(self, X: Any) -> np.ndarray:
        """Marginal log-density ``log p(x_i)`` of every row, shape (n_samples,)."""
        return logsumexp(self.joint_log_prob(X), axis=1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior probability of every component, shape (n_samples, n_components)."""
        joint = self.joint_log_prob(X)
        return np.exp(joint - logsumexp(joint, axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable component of every row, shape (n_samples,)."""
        return np.argmax(self.joint_log_prob(X), axis=1)

    def bic(self, X: Any) -> float:
        """Bayesian information criterion ``-2 log L + p log n`` (lower is better)."""
        X = self._check_X(X)
        return -2.0 * float(self.score_samples(X).sum()) + self.n_parameters * math.log(X.shape[0])

    def aic(self, X: Any) -> float:
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
        return -2.0 * float(self.score_samples(X).sum()) + 2 * self.n_parameters

    def icl(self, X: Any) -> float:
        """mclust's integrated completed likelihood: BIC plus twice the classification entropy.

        See :func:`~latentem.mixture.criteria.icl_from_joint` (lower is better).
        """
        return icl_from_joint(self.joint_log_prob(X), self.n_parameters)

    def sample(self, n_samples: int, random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw samples and their component labels.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
            Components in increasing order.
        """
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        rng = as_generator(random_state)
        counts = rng.multinomial(n_samples, self.weights)
        draws = [
            np.asarray(component.sample(int(count), rng), dtype=float).reshape(
                int(count), self.n_features
            )
            for component, count in zip(self.components, counts, strict=True)
        ]
        return np.concatenate(draws), np.repeat(np.arange(self.n_components), counts)
