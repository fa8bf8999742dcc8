"""The one protocol every latentem model implements."""

from __future__ import annotations

import abc
from typing import Any, Protocol, runtime_checkable

__all__ = ["LatentModel", "Statistics"]


@runtime_checkable
class Statistics(Protocol):
    """What the engine needs of an E-step's result: ``+`` and a log-likelihood.

    Any object qualifies; :class:`~latentem.AdditiveStatistics` is an optional
    helper that adds attrs fields one by one.

    Attributes
    ----------
    log_likelihood : float
        The objective term of the data the statistics summarise, evaluated
        at the parameters used in the E-step.

    Notes
    -----
    Online EM (:class:`~latentem.OnlineEM`) also needs ``scale(factor)``:
    the statistics of the same rows with every row's weight multiplied by
    ``factor``. It is optional; ``AdditiveStatistics`` provides it.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> X = np.random.default_rng(0).normal(size=(20, 2))
    >>> stats = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0).e_step(X)
    >>> isinstance(stats, latentem.Statistics)
    True
    """

    log_likelihood: float

    def __add__(self, other: Any) -> Any: ...


class LatentModel(abc.ABC):
    """A latent-variable model fitted by :class:`~latentem.EM`.

    A model *is* its parameters: subclasses are immutable (attrs ``@frozen``,
    arrays read-only), and :meth:`m_step` returns a new model rather than
    changing this one.

    Notes
    -----
    EM maximises the objective ``stats.log_likelihood + model.log_prior()``
    where ``stats = model.e_step(data)``. Each iteration computes the
    expected complete-data sufficient statistics under the current parameters
    (E-step) and returns the parameters that maximise the expected
    complete-data log-likelihood plus log-prior given them (M-step); the
    objective therefore never decreases.

    Statistics must be additive: the statistics of two disjoint pieces of data
    summed with ``+`` equal the statistics of their union. The engine relies
    on this to process chunks, sequences and blocks of a cluster alike.

    A model may also offer ``prepare(data)``: work on the data that does not
    depend on the parameters (validation, features, a scan plan), done once.
    :meth:`EM.fit <latentem.EM.fit>` calls it once per fit on in-memory data
    and hands the result to every ``e_step``; ``e_step``, ``log_likelihood``
    and the model's predict methods must accept it, and ``prepare`` must
    return prepared data it is given back unchanged when it still fits the
    model. Models without it are unaffected.

    Examples
    --------
    A mixture of two Poisson distributions written against the protocol:

    >>> import numpy as np
    >>> from attrs import frozen
    >>> from scipy.special import gammaln, logsumexp
    >>> import latentem
    >>> @frozen
    ... class PoissonStats:
    ...     counts: np.ndarray          # sum of responsibilities per component
    ...     totals: np.ndarray          # responsibility-weighted sum of x
    ...     log_likelihood: float
    ...     def __add__(self, other):
    ...         return PoissonStats(self.counts + other.counts,
    ...                             self.totals + other.totals,
    ...                             self.log_likelihood + other.log_likelihood)
    >>> @frozen
    ... class PoissonMixture(latentem.LatentModel):
    ...     weights: np.ndarray
    ...     rates: np.ndarray
    ...     def _joint(self, x):
    ...         x = np.asarray(x, dtype=float)[:, None]
    ...         return np.log(self.weights) + x * np.log(self.rates) - self.rates - gammaln(x + 1)
    ...     def log_likelihood(self, x):
    ...         return float(logsumexp(self._joint(x), axis=1).sum())
    ...     def e_step(self, x):
    ...         joint = self._joint(x)
    ...         norm = logsumexp(joint, axis=1, keepdims=True)
    ...         resp = np.exp(joint - norm)
    ...         return PoissonStats(resp.sum(0), resp.T @ np.asarray(x, float), float(norm.sum()))
    ...     def m_step(self, stats):
    ...         weights = stats.counts / stats.counts.sum()
    ...         return PoissonMixture(weights, stats.totals / stats.counts)
    >>> x = np.concatenate([np.random.default_rng(0).poisson(2.0, 300),
    ...                     np.random.default_rng(1).poisson(15.0, 200)])
    >>> result = latentem.EM(max_iter=500, tol=1e-10).fit(
    ...     PoissonMixture(np.array([0.5, 0.5]), np.array([1.0, 10.0])), x)
    >>> np.round(result.model.rates, 1)
    array([ 2.1, 14.5])
    >>> result.converged
    True
    """

    @abc.abstractmethod
    def e_step(self, data: Any) -> Any:
        """Expected complete-data sufficient statistics of ``data``.

        Parameters
        ----------
        data : object
            One chunk of data, in whatever form the model accepts.

        Returns
        -------
        stats : Statistics
            An object supporting ``+`` with a float attribute
            ``log_likelihood``: the objective term for ``data`` at the
            current parameters.
        """

    @abc.abstractmethod
    def m_step(self, stats: Any) -> LatentModel:
        """A new model maximising the expected complete-data objective.

        Parameters
        ----------
        stats : Statistics
            The summed statistics of all the data, as returned by
            :meth:`e_step` (and ``+``).

        Returns
        -------
        model : LatentModel
            A new model of the same kind; ``self`` and ``stats`` are left
            unchanged.
        """

    @abc.abstractmethod
    def log_likelihood(self, data: Any) -> float:
        """The data term of the EM objective, ``log p(data | parameters)``.

        It equals ``self.e_step(data).log_likelihood``.
        """

    def log_prior(self) -> float:
        """Log-density of the parameters under the model's prior (0 for ML)."""
        return 0.0
