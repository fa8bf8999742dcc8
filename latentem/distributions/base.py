"""The protocol every component family implements.

A family is a frozen attrs class holding its parameters. Data handed to a
family are always 2-D, shape (n_samples, n_features); a univariate family has
``n_features == 1``. Statistics are additive (``+``) and weighted, so one
family serves as a mixture component (weights = responsibilities), as an HMM
emission (weights = state posteriors) and with sample weights.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

__all__ = ["Distribution"]


class Distribution(abc.ABC):
    """A component family: log-density, weighted additive statistics, M-step, sampling.

    Subclasses are attrs ``@frozen`` classes with read-only array fields.

    Notes
    -----
    For weights ``w_i >= 0`` the update :meth:`maximize` returns the
    parameters maximising ``sum_i w_i log p(x_i | theta) + log_prior(theta)``
    given only ``statistics(x, w)``; statistics of disjoint rows add with
    ``+``. Families without a closed form solve numerically, never
    decreasing that weighted objective from the current parameters.
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

    def check_data(self, x: np.ndarray) -> None:  # noqa: B027 - optional hook
        """Raise ValueError naming the offending values if ``x`` is outside the support."""

    def log_prior(self) -> float:
        """Log-density of the parameters under the family's prior (0 without one)."""
        return 0.0
