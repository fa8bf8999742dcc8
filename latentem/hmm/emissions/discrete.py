"""Discrete emissions: categorical symbols and Poisson counts."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
from attrs import evolve, field, frozen
from scipy.special import gammaln, xlogy

from latentem.core.stats import AdditiveStatistics
from latentem.core.validation import check_array, readonly_array
from latentem.hmm.emissions.base import Emissions, check_fixed
from latentem.hmm.probabilities import (
    check_concentration,
    check_probabilities,
    dirichlet_log_prior,
    dirichlet_map,
)

__all__ = [
    "CategoricalEmissions",
    "CategoricalStats",
    "PoissonEmissions",
    "PoissonStats",
    "check_counts",
    "check_symbols",
]


def _check_non_negative(values: np.ndarray, name: str, what: str) -> None:
    if np.any(values < 0):
        row, column = (int(i) for i in np.argwhere(values < 0)[0])
        raise ValueError(
            f"{name} must hold non-negative {what}; got {values[row, column]} at row {row}, "
            f"column {column} (Negative values in data)"
        )


def _whole_numbers(X: Any, name: str, what: str, allow_missing: bool = False) -> np.ndarray:
    """Non-negative whole numbers as int64; with ``allow_missing``, NaN becomes -1."""
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        check_array(X, name)  # raises the sparse-matrix error
    raw = np.asarray(X)
    if raw.dtype.kind == "b":
        raw = raw.astype(np.intp)
    missing = None
    if raw.dtype.kind in "iu":
        if raw.ndim != 2:
            raise ValueError(
                f"{name} must be a 2-D array of shape (n_samples, n_features); got shape "
                f"{raw.shape}. Reshape your data with {name}.reshape(-1, 1) if it holds one "
                "column"
            )
        if raw.shape[0] == 0:
            raise ValueError(f"{name} must have at least 1 sample; got 0")
        values = raw.astype(np.int64)
    else:
        floats = check_array(X, name, allow_nan=allow_missing)
        missing = np.isnan(floats)
        filled = np.where(missing, 0.0, floats)
        _check_non_negative(filled, name, what)
        if not np.all(filled == np.round(filled)):
            row, column = (int(i) for i in np.argwhere(filled != np.round(filled))[0])
            raise ValueError(
                f"{name} must hold {what} (whole numbers); got {float(floats[row, column])!r} at "
                f"row {row}, column {column}"
            )
        values = filled.astype(np.int64)
    _check_non_negative(values, name, what)
    if missing is not None and missing.any():
        values[missing] = -1
    return values


def check_symbols(
    X: Any,
    n_symbols: int,
    name: str = "X",
    n_columns: int | None = 1,
    allow_missing: bool = False,
) -> np.ndarray:
    """Categorical data: columns of integer symbols in ``0 .. n_symbols - 1``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_columns)
    n_symbols : int
    name : str
        Argument name for messages.
    n_columns : int or None, default=1
        Required number of columns (None: any).
    allow_missing : bool, default=False
        Whether NaN marks a missing symbol (returned as -1); -1 in integer
        data does too, as in pandas' categorical codes.

    Returns
    -------
    ndarray of intp of shape (n_samples, n_columns)

    Examples
    --------
    >>> check_symbols([[0], [2]], 3).ravel()
    array([0, 2])
    >>> check_symbols([[0], [np.nan]], 3, allow_missing=True).ravel()
    array([ 0, -1])
    >>> check_symbols([[0], [3]], 3)
    Traceback (most recent call last):
    ...
    ValueError: X must hold symbols 0 .. 2 (n_symbols=3); got symbol 3 at row 1. ...
    """
    if allow_missing and np.asarray(X).dtype.kind == "i":
        codes = np.asarray(X)
        if (codes == -1).any():  # pandas' code of a missing category
            X = np.where(codes == -1, np.nan, codes)
    values = _whole_numbers(X, name, "integer symbols", allow_missing)
    if n_columns == 1 and values.shape[1] != 1:
        raise ValueError(
            f"{name} must have one column of symbols, shape (n_samples, 1); got shape "
            f"{values.shape}. Encode each observation as one integer symbol"
        )
    if n_columns is not None and values.shape[1] != n_columns:
        raise ValueError(
            f"{name} must have {n_columns} columns of symbols, shape (n_samples, {n_columns}); "
            f"got shape {values.shape}"
        )
    too_large = values >= n_symbols
    if too_large.any():
        row, column = (int(i) for i in np.argwhere(too_large)[0])
        where = f"row {row}" if values.shape[1] == 1 else f"row {row}, column {column}"
        raise ValueError(
            f"{name} must hold symbols 0 .. {n_symbols - 1} (n_symbols={n_symbols}); got "
            f"symbol {int(values[row, column])} at {where}. Give the model more symbols "
            "(n_features) or encode the symbols as 0 .. n_symbols - 1"
        )
    return values.astype(np.intp)


def check_counts(
    X: Any, n_features: int | None, name: str = "X", allow_missing: bool = False
) -> np.ndarray:
    """Count data: non-negative whole numbers with ``n_features`` columns (None: any), as floats.

    With ``allow_missing``, NaN marks a missing count and stays NaN.

    Examples
    --------
    >>> check_counts([[0, 3], [2, np.nan]], 2, allow_missing=True)
    array([[ 0.,  3.],
           [ 2., nan]])
    """
    values = _whole_numbers(X, name, "counts", allow_missing)
    if n_features is not None and values.shape[1] != n_features:
        raise ValueError(
            f"{name} has {values.shape[1]} features, but the emissions model {n_features} features"
        )
    return np.where(values < 0, np.nan, values.astype(np.float64))


def _symbol_counts(symbols: np.ndarray, weights: np.ndarray, n_symbols: int) -> np.ndarray:
    """Weighted count of every symbol; missing ones (-1) are not counted."""
    observed = symbols >= 0
    if not observed.all():
        symbols, weights = symbols[observed], weights[observed]
    return np.bincount(symbols, weights=weights, minlength=n_symbols)


@frozen(eq=False)
class CategoricalStats(AdditiveStatistics):
    """Expected count of every symbol in every state, in the shape of the probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> emissions = CategoricalEmissions([[0.5, 0.5], [0.9, 0.1]])
    >>> X = emissions.check_data([[0], [1], [1]])
    >>> emissions.statistics(X, np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])).counts
    array([[1. , 0.5],
           [0. , 1.5]])
    """

    counts: np.ndarray


@frozen(eq=False)
class CategoricalEmissions(Emissions):
    """A categorical distribution over ``n_symbols`` symbols per state (and per column).

    Parameters
    ----------
    probabilities : array-like of shape (n_states, n_symbols) or (n_states, n_columns, n_symbols)
        Probability of every symbol in every state; the last axis sums to 1.
        The 2-D form models one column of symbols; the 3-D form models
        ``n_columns`` columns, emitted independently of each other given
        the state. A zero probability is structural and stays zero.
    prior : float or array-like of the shape of ``probabilities``, default=1.0
        Dirichlet concentrations of every probability vector (1 = maximum
        likelihood).
    fixed : collection of {"probabilities"}, default=()

    Notes
    -----
    Data are columns of integer symbols ``0 .. n_symbols - 1``; ``log p(x_t
    | k) = sum_c log p_kc(x_tc)``, where a missing symbol (NaN) drops out of
    the sum and of the counts. The update is ``p_kcj ~ max(n_kcj +
    alpha_kcj - 1, 0)`` with ``n_kcj`` the expected count of symbol ``j`` in
    column ``c`` in state ``k``.

    Examples
    --------
    >>> e = CategoricalEmissions([[0.5, 0.5], [0.9, 0.1]])
    >>> np.exp(e.log_prob(e.check_data([[1], [0]])))
    array([[0.5, 0.1],
           [0.5, 0.9]])
    >>> two = CategoricalEmissions([[[0.5, 0.5], [1.0, 0.0]], [[0.9, 0.1], [0.2, 0.8]]])
    >>> two.n_features, np.exp(two.log_prob(two.check_data([[1, 0]])))
    (2, array([[0.5 , 0.02]]))
    """

    probabilities: np.ndarray = field(converter=readonly_array)
    prior: Any = 1.0
    fixed: frozenset[str] = field(
        default=frozenset(),
        converter=lambda v: check_fixed(v, ("probabilities",), "CategoricalEmissions"),
    )

    def __attrs_post_init__(self) -> None:
        if self.probabilities.ndim not in (2, 3):
            raise ValueError(
                "probabilities must have shape (n_states, n_symbols) or (n_states, n_columns, "
                f"n_symbols); got {self.probabilities.shape}"
            )
        shape = self.probabilities.shape
        object.__setattr__(
            self, "probabilities", check_probabilities(self.probabilities, "probabilities", shape)
        )
        object.__setattr__(self, "prior", check_concentration(self.prior, "prior", shape))

    @property
    def _table(self) -> np.ndarray:
        """Probabilities as (n_states, n_columns, n_symbols)."""
        p = self.probabilities
        return p[:, None, :] if p.ndim == 2 else p

    @property
    def n_states(self) -> int:
        return int(self.probabilities.shape[0])

    @property
    def n_symbols(self) -> int:
        """Number of distinct symbols."""
        return int(self.probabilities.shape[-1])

    @property
    def n_features(self) -> int:
        return int(self._table.shape[1])

    @property
    def n_parameters(self) -> int:
        return self.n_states * self.n_features * (self.n_symbols - 1)

    def check_data(self, X: Any) -> np.ndarray:
        return check_symbols(X, self.n_symbols, n_columns=self.n_features, allow_missing=True)

    def data_key(self) -> Hashable:
        return ("categorical", self.n_features, self.n_symbols)

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_table = np.log(self._table.transpose(1, 2, 0))  # (columns, symbols, states)
        out = np.zeros((X.shape[0], self.n_states))
        for column in range(X.shape[1]):
            symbols = X[:, column]
            terms = log_table[column][symbols]
            out += (
                terms if symbols.min(initial=0) >= 0 else np.where(symbols[:, None] < 0, 0, terms)
            )
        return out

    def statistics(self, X: np.ndarray, posteriors: np.ndarray) -> CategoricalStats:
        counts = np.stack(
            [
                np.stack(
                    [
                        _symbol_counts(X[:, c], posteriors[:, k], self.n_symbols)
                        for c in range(X.shape[1])
                    ]
                )
                for k in range(self.n_states)
            ]
        )
        return CategoricalStats(counts.reshape(self.probabilities.shape))

    def maximize(self, stats: CategoricalStats) -> CategoricalEmissions:
        if "probabilities" in self.fixed:
            return self
        return evolve(
            self, probabilities=dirichlet_map(stats.counts, self.prior, self.probabilities)
        )

    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        table = self._table
        X = np.empty((states.shape[0], table.shape[1]), dtype=np.intp)
        for k in np.unique(states):
            rows = np.flatnonzero(states == k)
            for c in range(table.shape[1]):
                X[rows, c] = rng.choice(self.n_symbols, size=rows.size, p=table[k, c])
        return X

    def log_prior(self) -> float:
        return dirichlet_log_prior(self.probabilities, self.prior)


@frozen(eq=False)
class PoissonStats(AdditiveStatistics):
    """Posterior weight and weighted count sums per state and feature, (n_states, n_features).

    The weight of a feature counts only the rows where it was observed.

    Examples
    --------
    >>> import numpy as np
    >>> emissions = PoissonEmissions([[1.0], [6.0]])
    >>> stats = emissions.statistics(np.array([[0.0], [7.0]]), np.array([[1.0, 0.0], [0.2, 0.8]]))
    >>> stats.weights.ravel(), stats.sums.ravel()
    (array([1.2, 0.8]), array([1.4, 5.6]))
    """

    weights: np.ndarray
    sums: np.ndarray


def _non_negative(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        array = np.broadcast_to(np.asarray(value, dtype=float), shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a non-negative number or an array broadcastable to {shape}; "
            f"got {value!r}"
        ) from None
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be finite and non-negative; got min={np.min(array)!r}")
    return readonly_array(array)


@frozen(eq=False)
class PoissonEmissions(Emissions):
    """Independent Poisson counts per feature in every state.

    Parameters
    ----------
    rates : array-like of shape (n_states, n_features)
        Non-negative Poisson means.
    prior_shape, prior_rate : float or array-like of shape (n_states, n_features), default=0
        ``alpha, beta >= 0`` of a gamma-form prior with log-density ``alpha
        log(rate) - beta rate`` (0, 0 = maximum likelihood).
    fixed : collection of {"rates"}, default=()

    Notes
    -----
    The update is ``rate_kd = (alpha_kd + sum_t gamma_t(k) x_td) / (beta_kd
    + sum_t gamma_t(k))``, the posterior mean of a ``Gamma(alpha, beta)``
    prior; a missing count (NaN) drops out of the likelihood and of both
    sums. hmmlearn's PoissonHMM uses the same numerator with the total
    weight of *all* states in the denominator when ``lambdas_weight > 0``;
    without a prior both agree.

    Examples
    --------
    >>> e = PoissonEmissions([[1.0], [4.0]])
    >>> np.exp(e.log_prob(e.check_data([[2]]))).round(4)
    array([[0.1839, 0.1465]])
    """

    rates: np.ndarray = field(converter=readonly_array)
    prior_shape: Any = 0.0
    prior_rate: Any = 0.0
    fixed: frozenset[str] = field(
        default=frozenset(),
        converter=lambda v: check_fixed(v, ("rates",), "PoissonEmissions"),
    )

    def __attrs_post_init__(self) -> None:
        if self.rates.ndim != 2:
            raise ValueError(
                f"rates must have shape (n_states, n_features); got {self.rates.shape}"
            )
        shape = self.rates.shape
        if not np.all(np.isfinite(self.rates)) or np.any(self.rates < 0):
            raise ValueError(
                f"rates must be finite and non-negative; got min={np.min(self.rates)!r}"
            )
        object.__setattr__(
            self, "prior_shape", _non_negative(self.prior_shape, "prior_shape", shape)
        )
        object.__setattr__(self, "prior_rate", _non_negative(self.prior_rate, "prior_rate", shape))

    @property
    def n_states(self) -> int:
        return int(self.rates.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.rates.shape[1])

    @property
    def n_parameters(self) -> int:
        return int(self.rates.size)

    def check_data(self, X: Any) -> np.ndarray:
        return check_counts(X, self.n_features, allow_missing=True)

    def data_key(self) -> Hashable:
        return ("poisson", self.n_features)

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        observed = ~np.isnan(X)
        complete = bool(observed.all())
        counts = X if complete else np.where(observed, X, 0.0)
        exposure = self.rates.sum(axis=1) if complete else observed @ self.rates.T
        constant = gammaln(counts + 1.0).sum(axis=1)[:, None] + exposure
        if np.all(self.rates > 0):
            return counts @ np.log(self.rates).T - constant
        # a zero rate gives probability 1 to a zero count and 0 to any other
        terms = np.stack([xlogy(counts, rates).sum(axis=1) for rates in self.rates], axis=1)
        return terms - constant

    def statistics(self, X: np.ndarray, posteriors: np.ndarray) -> PoissonStats:
        observed = ~np.isnan(X)
        if observed.all():
            weights = np.repeat(posteriors.sum(axis=0)[:, None], X.shape[1], axis=1)
            return PoissonStats(weights, posteriors.T @ X)
        return PoissonStats(posteriors.T @ observed, posteriors.T @ np.where(observed, X, 0.0))

    def maximize(self, stats: PoissonStats) -> PoissonEmissions:
        if "rates" in self.fixed:
            return self
        denominator = self.prior_rate + stats.weights
        usable = denominator > 0
        rates = (self.prior_shape + stats.sums) / np.where(usable, denominator, 1.0)
        return evolve(self, rates=np.where(usable, rates, self.rates))

    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.poisson(self.rates[states]).astype(np.int64)

    def log_prior(self) -> float:
        return float(np.sum(xlogy(self.prior_shape, self.rates) - self.prior_rate * self.rates))
