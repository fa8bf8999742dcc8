"""``CategoricalHMM`` and ``PoissonHMM``: hmmlearn's discrete HMMs on latentem's engine."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from latentem.core.validation import check_allocation, check_int
from latentem.estimators.hmm.base import BaseHMM, fitted_attribute, width_property
from latentem.hmm.emissions.discrete import (
    CategoricalEmissions,
    PoissonEmissions,
    check_counts,
    check_symbols,
)

__all__ = ["CategoricalHMM", "PoissonHMM"]


class CategoricalHMM(BaseHMM):
    """Hidden Markov model with categorical emissions, with hmmlearn's interface.

    A drop-in replacement for :class:`hmmlearn.hmm.CategoricalHMM` (0.3)
    that takes the same Baum-Welch steps from the same start.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    startprob_prior, transmat_prior : float or array-like, default=1.0
        Dirichlet concentrations of the priors on ``startprob_`` and the rows
        of ``transmat_``.
    emissionprob_prior : float or array-like of the shape of ``emissionprob_``, default=1.0
        Dirichlet concentrations of the rows of ``emissionprob_``.
    n_features : int, optional
        Number of symbols; ``X.max() + 1`` by default. (It is not changed by
        ``fit``; the fitted number is ``emissionprob_.shape[-1]``.)
    algorithm, random_state, n_iter, tol, verbose, implementation, n_init
        As in :class:`~latentem.GaussianHMM`.
    params, init_params : str, default="ste"
        ``s`` startprob, ``t`` transmat, ``e`` emissionprob.

    Attributes
    ----------
    startprob_, transmat_ : ndarray
    emissionprob_ : ndarray of shape (n_components, n_symbols)
        For ``X`` of several columns, (n_components, n_columns, n_symbols).
    monitor_ : ConvergenceMonitor

    Notes
    -----
    ``X`` is one column of integer symbols ``0 .. n_features - 1``, as in
    hmmlearn. Several columns are accepted too (hmmlearn refuses them): each
    is a symbol emitted independently of the others given the state, with
    its own probabilities in ``emissionprob_[:, column]``. A zero in
    ``emissionprob_`` stays zero (hmmlearn revives it when
    ``emissionprob_prior > 1``).

    .. rubric:: Compatibility

    %(compatibility)s

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import CategoricalHMM
    >>> X = np.array([[0], [0], [1], [2], [2], [1], [0], [0]])
    >>> hmm = CategoricalHMM(n_components=2, n_iter=30, random_state=1).fit(X)
    >>> hmm.emissionprob_.shape, bool(np.allclose(hmm.emissionprob_.sum(axis=1), 1))
    ((2, 3), True)
    """

    _emission_letters: ClassVar[dict[str, str]] = {"e": "probabilities"}
    _stored_attributes: ClassVar[dict[str, str]] = {
        **BaseHMM._stored_attributes,
        "probabilities": "emissionprob_",
    }
    _integer_input = True

    def __init__(
        self,
        n_components: int = 1,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        *,
        emissionprob_prior: Any = 1.0,
        n_features: int | None = None,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "ste",
        init_params: str = "ste",
        implementation: str = "log",
        n_init: int = 1,
    ) -> None:
        self.n_components = n_components
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.emissionprob_prior = emissionprob_prior
        self.n_features = n_features
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.n_init = n_init

    def _n_symbols(self, X: np.ndarray, init: frozenset[str]) -> int:
        if self.n_features is not None:
            return check_int(self.n_features, "n_features", minimum=1)
        if not self._needs_init("probabilities", "emissionprob_", init):
            return int(np.asarray(self.emissionprob_).shape[-1])
        n_symbols = max(int(X.max()), 0) + 1
        k = check_int(self.n_components, "n_components", minimum=1)
        check_allocation(
            k * X.shape[1] * n_symbols,
            f"the emission table of {k} states x {X.shape[1]} column(s) x {n_symbols} symbols "
            f"(sized from the largest symbol in X, {n_symbols - 1})",
            "encode the symbols as 0 .. n_symbols - 1, e.g. with "
            "numpy.unique(X, return_inverse=True), or set n_features",
        )
        return n_symbols

    _allow_nan = True  # NaN marks a missing symbol: it drops out of the likelihood

    def _check_X(self, X: Any) -> np.ndarray:
        limit = np.iinfo(np.intp).max
        if hasattr(self, "emissionprob_"):
            limit = int(np.asarray(self.emissionprob_).shape[-1])
        elif self.n_features is not None:
            limit = check_int(self.n_features, "n_features", minimum=1)
        return check_symbols(X, limit, n_columns=None, allow_missing=True)

    def _emissions(self, probabilities: Any, fixed: frozenset[str]) -> CategoricalEmissions:
        k = check_int(self.n_components, "n_components", minimum=1)
        shape = np.shape(probabilities)
        if len(shape) not in (2, 3) or shape[0] != k:
            raise ValueError(
                f"emissionprob_ must have shape (n_components, n_features) = ({k}, n_features) "
                f"(or (n_components, n_columns, n_features) for several columns); got {shape}"
            )
        return CategoricalEmissions(
            probabilities, prior=self.emissionprob_prior, fixed=fixed & {"probabilities"}
        )

    def _initial_emissions(
        self, X: np.ndarray, init: frozenset[str], fixed: frozenset[str], rng: np.random.Generator
    ) -> CategoricalEmissions:
        k = check_int(self.n_components, "n_components", minimum=1)
        n_symbols = self._n_symbols(X, init)
        check_symbols(X, n_symbols, n_columns=None, allow_missing=True)
        if self._needs_init("probabilities", "emissionprob_", init):
            # hmmlearn's (n_components, n_symbols) for one column
            shape = (k, n_symbols) if X.shape[1] == 1 else (k, X.shape[1], n_symbols)
            probabilities = rng.random(shape)
            probabilities /= probabilities.sum(axis=-1, keepdims=True)
        else:
            probabilities = fitted_attribute(self, "emissionprob_")
        return self._emissions(probabilities, fixed)

    def _emissions_from_attributes(self, fixed: frozenset[str]) -> CategoricalEmissions:
        return self._emissions(fitted_attribute(self, "emissionprob_"), fixed)

    def _set_emission_attributes(self, emissions: Any) -> None:
        self.emissionprob_ = np.array(emissions.probabilities)


class PoissonHMM(BaseHMM):
    """Hidden Markov model with Poisson emissions, with hmmlearn's interface.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    startprob_prior, transmat_prior : float or array-like, default=1.0
    lambdas_prior, lambdas_weight : float or array-like, default=0
        ``alpha`` and ``beta`` of a gamma prior on the rates; the update is
        ``(alpha + sum_t gamma_t(k) x_t) / (beta + sum_t gamma_t(k))``.
        (hmmlearn divides by ``beta`` plus the weight of all states; both
        agree without a prior.)
    algorithm, random_state, n_iter, tol, verbose, implementation, n_init
        As in :class:`~latentem.GaussianHMM`.
    params, init_params : str, default="stl"
        ``s`` startprob, ``t`` transmat, ``l`` lambdas.

    Attributes
    ----------
    startprob_, transmat_ : ndarray
    lambdas_ : ndarray of shape (n_components, n_features)
    n_features : int
    monitor_ : ConvergenceMonitor

    Notes
    -----
    .. rubric:: Compatibility

    %(compatibility)s

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import PoissonHMM
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.poisson(2, (60, 1)), rng.poisson(20, (60, 1))])
    >>> hmm = PoissonHMM(n_components=2, n_iter=50, random_state=0).fit(X)
    >>> np.sort(hmm.lambdas_.ravel()).round(0)
    array([ 2., 20.])
    """

    _emission_letters: ClassVar[dict[str, str]] = {"l": "rates"}
    _integer_input = True

    def __init__(
        self,
        n_components: int = 1,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        lambdas_prior: Any = 0.0,
        lambdas_weight: Any = 0.0,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "stl",
        init_params: str = "stl",
        implementation: str = "log",
        n_init: int = 1,
    ) -> None:
        self.n_components = n_components
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.lambdas_prior = lambdas_prior
        self.lambdas_weight = lambdas_weight
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation
        self.n_init = n_init

    _stored_attributes: ClassVar[dict[str, str]] = {
        **BaseHMM._stored_attributes,
        "rates": "lambdas_",
    }

    n_features = width_property("lambdas_")

    _allow_nan = True  # NaN marks a missing count: it drops out of the likelihood

    def _check_X(self, X: Any) -> np.ndarray:
        return check_counts(X, None, allow_missing=True)

    def _emissions(self, rates: Any, fixed: frozenset[str]) -> PoissonEmissions:
        k = check_int(self.n_components, "n_components", minimum=1)
        shape = np.shape(rates)
        if len(shape) != 2 or shape[0] != k:
            raise ValueError(
                f"lambdas_ must have shape (n_components, n_features) = ({k}, n_features); "
                f"got {shape}"
            )
        return PoissonEmissions(
            rates,
            prior_shape=self.lambdas_prior,
            prior_rate=self.lambdas_weight,
            fixed=fixed & {"rates"},
        )

    def _initial_emissions(
        self, X: np.ndarray, init: frozenset[str], fixed: frozenset[str], rng: np.random.Generator
    ) -> PoissonEmissions:
        k = check_int(self.n_components, "n_components", minimum=1)
        if self._needs_init("rates", "lambdas_", init):
            observed = X[~np.isnan(X)]  # a missing count (NaN) says nothing of the scale
            mean = float(observed.mean()) if observed.size else 0.0
            variance = float(observed.var()) if observed.size else 0.0
            if mean > 0 and variance > 0:
                # hmmlearn's method of moments: a gamma with the data's mean and variance
                rates = rng.gamma(mean**2 / variance, variance / mean, size=(k, X.shape[1]))
            else:
                rates = np.full((k, X.shape[1]), max(mean, 1.0))
        else:
            rates = fitted_attribute(self, "lambdas_")
        return self._emissions(rates, fixed)

    def _emissions_from_attributes(self, fixed: frozenset[str]) -> PoissonEmissions:
        return self._emissions(fitted_attribute(self, "lambdas_"), fixed)

    def _set_emission_attributes(self, emissions: Any) -> None:
        self.lambdas_ = np.array(emissions.rates)
