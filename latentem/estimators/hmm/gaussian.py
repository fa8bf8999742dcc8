"""``GaussianHMM`` and ``GMMHMM``: hmmlearn's Gaussian HMMs on latentem's engine."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from latentem.core.validation import check_array, check_float, check_gaussian_range, check_int
from latentem.estimators.hmm.base import BaseHMM, fitted_attribute, width_property
from latentem.hmm.emissions.gaussian import GaussianEmissions, hmmlearn_gaussian_prior
from latentem.hmm.emissions.gaussian_mixture import (
    GaussianMixtureEmissions,
    hmmlearn_mixture_prior,
)
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.covariance import covariance_type as parse_covariance_type
from latentem.mixture.initialization import kmeans
from latentem.mixture.missing import starting_data

__all__ = ["GMMHMM", "GaussianHMM"]


def _structure(value: Any) -> CovarianceType:
    structure = parse_covariance_type(value)
    if not structure.supports_conjugate_prior:
        raise ValueError(
            f"covariance_type={structure.name!r} has no conjugate prior update, which the "
            "hmmlearn-style estimators need for means_prior and covars_prior; give the "
            "structure its conjugate_* and hmmlearn_* methods, or fit "
            "latentem.hmm.HiddenMarkovModel with GaussianEmissions(prior=None)"
        )
    return structure


def _data_covariance(X: np.ndarray, min_covar: float) -> np.ndarray:
    """hmmlearn's starting covariance: the data's covariance plus ``min_covar`` on the diagonal."""
    if X.shape[0] < 2:
        raise ValueError(
            f"X has {X.shape[0]} sample, but initialising the covariances from the data needs "
            "at least 2; pass more data, or set covars_ yourself and leave 'c' out of "
            "init_params"
        )
    return np.atleast_2d(np.cov(X.T)) + min_covar * np.eye(X.shape[1])


def _kmeans_means(
    X: np.ndarray, n_clusters: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster means and labels of k-means (every cluster keeps at least one row)."""
    if X.shape[0] < n_clusters:
        raise ValueError(
            f"n_components={n_clusters} exceeds the number of samples ({X.shape[0]}), so "
            "k-means cannot initialise the means; pass more data, fewer components, or set "
            "means_ yourself and leave 'm' out of init_params"
        )
    labels = kmeans(X, n_clusters, rng)
    counts = np.bincount(labels, minlength=n_clusters)
    sums = np.zeros((n_clusters, X.shape[1]))
    np.add.at(sums, labels, X)
    return sums / np.maximum(counts, 1)[:, None], labels


class GaussianHMM(BaseHMM):
    """Hidden Markov model with Gaussian emissions, with hmmlearn's interface.

    A drop-in replacement for :class:`hmmlearn.hmm.GaussianHMM` (0.3): the
    same constructor arguments and meanings, attributes and methods; from
    the same start it takes the same Baum-Welch steps. Forward-backward runs
    as a blocked scan, many times faster than hmmlearn's on long sequences
    and on many short ones.

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    covariance_type : str, default="diag"
        hmmlearn's four, or any registered structure (mclust's fourteen
        names included; see :class:`~latentem.GaussianMixture`).
    min_covar : float, default=1e-3
        Added to the diagonal of the data covariance that starts the
        covariances (as in hmmlearn), and the floor of a state whose
        covariance collapses during the fit: where the update is not
        numerically positive definite, its eigenvalues below ``min_covar``
        are raised to it, with a :class:`~latentem.DegenerateFitWarning`
        naming the state (hmmlearn returns the indefinite matrix). Healthy
        updates are never changed; 0 makes a collapse an error.
    startprob_prior, transmat_prior : float or array-like, default=1.0
        Dirichlet concentrations of the priors on ``startprob_`` and on the
        rows of ``transmat_``.
    means_prior, means_weight : float or array-like, default=0
        Mean ``mu_0`` and relative precision ``lambda`` of the normal prior
        on the means (``means_weight`` per state).
    covars_prior, covars_weight : float or array-like, default=1e-2, 1
        Inverse-gamma (diag, spherical) or inverse-Wishart (full, tied) prior
        on the covariances; see :class:`~latentem.hmm.GaussianPrior`.
    algorithm : {"viterbi", "map"}, default="viterbi"
        Decoder of :meth:`decode` and :meth:`predict`.
    random_state : int, RandomState or Generator, default=None
    n_iter : int, default=10
        Maximum number of Baum-Welch iterations.
    tol : float, default=1e-2
        Stop when the total log-likelihood changes by less than ``tol``.
    verbose : bool, default=False
        Print the log-likelihood of every iteration to stderr.
    params, init_params : str, default="stmc"
        Letters of the parameters updated by the fit (``params``) and
        initialised from the data before it (``init_params``): ``s``
        startprob, ``t`` transmat, ``m`` means, ``c`` covars. A parameter not
        in ``init_params`` starts from its attribute (set it first).
    implementation : {"log", "scaling"}, default="log"
        Accepted for compatibility; latentem always runs its scaled scan and
        redoes in log space any sequence it cannot represent.
    n_init : int, default=1
        Number of starts; the fit with the highest objective is kept.

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
    transmat_ : ndarray of shape (n_components, n_components)
    means_ : ndarray of shape (n_components, n_features)
    covars_ : ndarray of shape (n_components, n_features, n_features)
        Full matrices for every covariance type (as hmmlearn returns them);
        assign it in the layout of ``covariance_type``: (k,) spherical,
        (k, d) diag, (k, d, d) full, (d, d) tied.
    n_features : int
    monitor_ : ConvergenceMonitor
        ``history`` (log-likelihood of every iteration), ``iter``, ``converged``.

    Notes
    -----
    ``model_`` is the :class:`~latentem.HiddenMarkovModel` of the current
    attributes, for :class:`~latentem.EM` and :mod:`latentem.testing`.

    Differences from hmmlearn: ``monitor_.converged`` is never true merely
    because ``n_iter`` ran out (a ``ConvergenceWarning`` says so); updating
    covariances without means (``"c"`` in ``params`` without ``"m"``) uses
    the scatter about the current means (hmmlearn uses uncentred moments
    there); a state that receives no posterior weight keeps its parameters;
    ``decode(algorithm="map")`` returns a log probability.

    .. rubric:: Compatibility

    %(compatibility)s

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import GaussianHMM
    >>> rng = np.random.default_rng(0)
    >>> states = np.repeat([0, 1, 0, 1], 50)
    >>> X = rng.normal(loc=np.array([-2.0, 2.0])[states], scale=0.5)[:, None]
    >>> hmm = GaussianHMM(n_components=2, n_iter=50, random_state=0).fit(X, lengths=[100, 100])
    >>> labels = hmm.predict(X, lengths=[100, 100])
    >>> bool(np.all(labels == states) or np.all(labels == 1 - states))
    True
    >>> np.sort(hmm.means_.ravel()).round(1)
    array([-2.,  2.])
    """

    _emission_letters: ClassVar[dict[str, str]] = {"m": "means", "c": "covariances"}

    def __init__(
        self,
        n_components: int = 1,
        covariance_type: str = "diag",
        min_covar: float = 1e-3,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        means_prior: Any = 0,
        means_weight: Any = 0,
        covars_prior: Any = 1e-2,
        covars_weight: Any = 1,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "stmc",
        init_params: str = "stmc",
        implementation: str = "log",
        n_init: int = 1,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight
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
        "means": "means_",
        "covariances": "_covars_",
    }

    @property
    def covars_(self) -> np.ndarray:
        """Covariances as (n_components, n_features, n_features) matrices."""
        covariances = fitted_attribute(self, "_covars_")
        k = check_int(self.n_components, "n_components", minimum=1)
        try:
            d = self.n_features
        except AttributeError:
            d = covariances.shape[-1]
        return _structure(self.covariance_type).full_matrices(covariances, k, d)

    @covars_.setter
    def covars_(self, value: Any) -> None:
        covariances = np.array(value, dtype=float, copy=True)
        try:
            k = check_int(self.n_components, "n_components", minimum=1)
            # one variance per state whatever the number of features (spherical)
            per_state = _structure(self.covariance_type).parameter_shape(k, 2) == (k,)
        except (TypeError, ValueError):  # reported when the covariances are used
            per_state = False
        if per_state and covariances.ndim > 1 and covariances.size == k == len(covariances):
            # hmmlearn takes one variance per state in any shape, e.g. (k, 1) or (k, 1, 1)
            covariances = covariances.reshape(k)
        self._covars_ = covariances

    n_features = width_property("means_")

    _allow_nan = True  # NaN marks a missing entry (observed-data likelihood)

    def _check_X(self, X: Any) -> np.ndarray:
        return check_array(X, allow_nan=True)

    def _prior(self, structure: CovarianceType, n_features: int) -> Any:
        k = check_int(self.n_components, "n_components", minimum=1)
        try:
            return hmmlearn_gaussian_prior(
                structure,
                k,
                n_features,
                self.means_prior,
                self.means_weight,
                self.covars_prior,
                self.covars_weight,
            )
        except ValueError as error:
            raise ValueError(
                f"means_prior, means_weight, covars_prior and covars_weight must be numbers or "
                f"arrays per state ({error})"
            ) from None

    def _emissions(self, means: Any, covariances: Any, fixed: frozenset[str]) -> GaussianEmissions:
        structure = _structure(self.covariance_type)
        means = np.asarray(means, dtype=float)
        k = check_int(self.n_components, "n_components", minimum=1)
        if means.ndim != 2 or means.shape[0] != k:
            raise ValueError(
                f"means_ must have shape (n_components, n_features) = ({k}, n_features); got "
                f"{means.shape}"
            )
        return GaussianEmissions(
            means,
            covariances,
            structure,
            prior=self._prior(structure, means.shape[1]),
            fixed=fixed & {"means", "covariances"},
            covariance_floor=check_float(self.min_covar, "min_covar", minimum=0.0),
        )

    def _initial_emissions(
        self, X: np.ndarray, init: frozenset[str], fixed: frozenset[str], rng: np.random.Generator
    ) -> GaussianEmissions:
        check_gaussian_range(X)
        X = starting_data(X)
        structure = _structure(self.covariance_type)
        k = check_int(self.n_components, "n_components", minimum=1)
        min_covar = check_float(self.min_covar, "min_covar", minimum=0.0)
        if self._needs_init("means", "means_", init):
            means, _ = _kmeans_means(X, k, rng)
        else:
            means = fitted_attribute(self, "means_")
        if self._needs_init("covariances", "_covars_", init):
            covariances = structure.same_for_all(_data_covariance(X, min_covar), k)
        else:
            covariances = fitted_attribute(self, "_covars_")
        return self._emissions(means, covariances, fixed)

    def _emissions_from_attributes(self, fixed: frozenset[str]) -> GaussianEmissions:
        return self._emissions(
            fitted_attribute(self, "means_"), fitted_attribute(self, "_covars_"), fixed
        )

    def _set_emission_attributes(self, emissions: Any) -> None:
        self.means_ = np.array(emissions.means)
        self._covars_ = np.array(emissions.covariances)


class GMMHMM(BaseHMM):
    """Hidden Markov model with a Gaussian mixture per state, with hmmlearn's interface.

    A drop-in replacement for :class:`hmmlearn.hmm.GMMHMM` (0.3) that takes
    the same Baum-Welch steps from the same start, including hmmlearn's
    covariance update centred on the previous iteration's means (a
    generalised EM step with the same fixed points).

    Parameters
    ----------
    n_components : int, default=1
        Number of states.
    n_mix : int, default=1
        Number of Gaussians per state.
    min_covar : float, default=1e-3
        Added to the diagonal of the data covariance that starts the
        covariances, and the floor of a Gaussian whose covariance collapses
        during the fit (see :class:`GaussianHMM`).
    startprob_prior, transmat_prior : float or array-like, default=1.0
    weights_prior : float or array-like of shape (n_components, n_mix), default=1.0
        Dirichlet concentrations of the mixture weights.
    means_prior, means_weight : float or array-like, default=0
    covars_prior, covars_weight : float or array-like, default=None
        hmmlearn's defaults per covariance type when None (maximum
        likelihood except for ``spherical``, see
        :func:`~latentem.hmm.emissions.gaussian_mixture.hmmlearn_mixture_prior`).
    algorithm : {"viterbi", "map"}, default="viterbi"
    covariance_type : str, default="diag"
        ``tied``: one covariance per state, shared by its Gaussians. mclust's
        structures constrain the Gaussians of each state likewise.
    random_state, n_iter, tol, verbose, implementation, n_init
        As in :class:`GaussianHMM`.
    params, init_params : str, default="stmcw"
        ``s`` startprob, ``t`` transmat, ``m`` means, ``c`` covars, ``w``
        mixture weights.

    Attributes
    ----------
    startprob_, transmat_ : ndarray
    weights_ : ndarray of shape (n_components, n_mix)
    means_ : ndarray of shape (n_components, n_mix, n_features)
    covars_ : ndarray
        In the layout of ``covariance_type``, as hmmlearn stores them: (k, m,
        d, d) full, (k, m, d) diag, (k, m) spherical, (k, d, d) tied.
    n_features : int
    monitor_ : ConvergenceMonitor

    Notes
    -----
    .. rubric:: Compatibility

    %(compatibility)s

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import GMMHMM
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(-3, 1, (100, 1)), rng.normal(3, 1, (100, 1))])
    >>> hmm = GMMHMM(n_components=2, n_mix=2, n_iter=200, tol=1e-3, random_state=0).fit(X)
    >>> hmm.means_.shape, hmm.weights_.sum(axis=1).round(6)
    ((2, 2, 1), array([1., 1.]))
    """

    _emission_letters: ClassVar[dict[str, str]] = {
        "m": "means",
        "c": "covariances",
        "w": "weights",
    }

    def __init__(
        self,
        n_components: int = 1,
        n_mix: int = 1,
        min_covar: float = 1e-3,
        startprob_prior: Any = 1.0,
        transmat_prior: Any = 1.0,
        weights_prior: Any = 1.0,
        means_prior: Any = 0.0,
        means_weight: Any = 0.0,
        covars_prior: Any = None,
        covars_weight: Any = None,
        algorithm: str = "viterbi",
        covariance_type: str = "diag",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "stmcw",
        init_params: str = "stmcw",
        implementation: str = "log",
        n_init: int = 1,
    ) -> None:
        self.n_components = n_components
        self.n_mix = n_mix
        self.min_covar = min_covar
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.weights_prior = weights_prior
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight
        self.algorithm = algorithm
        self.covariance_type = covariance_type
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
        "means": "means_",
        "covariances": "covars_",
        "weights": "weights_",
    }

    n_features = width_property("means_")

    _allow_nan = True  # NaN marks a missing entry (observed-data likelihood)

    def _check_X(self, X: Any) -> np.ndarray:
        return check_array(X, allow_nan=True)

    def _emissions(
        self, weights: Any, means: Any, covariances: Any, fixed: frozenset[str]
    ) -> GaussianMixtureEmissions:
        structure = _structure(self.covariance_type)
        k = check_int(self.n_components, "n_components", minimum=1)
        m = check_int(self.n_mix, "n_mix", minimum=1)
        means = np.asarray(means, dtype=float)
        if means.ndim != 3 or means.shape[:2] != (k, m):
            raise ValueError(
                f"means_ must have shape (n_components, n_mix, n_features) = ({k}, {m}, "
                f"n_features); got {means.shape}"
            )
        prior = hmmlearn_mixture_prior(
            structure,
            k,
            m,
            means.shape[2],
            self.means_prior,
            self.means_weight,
            self.covars_prior,
            self.covars_weight,
        )
        return GaussianMixtureEmissions(
            weights,
            means,
            covariances,
            structure,
            weights_prior=self.weights_prior,
            prior=prior,
            fixed=fixed & {"weights", "means", "covariances"},
            centre_on_previous_means=True,
            covariance_floor=check_float(self.min_covar, "min_covar", minimum=0.0),
        )

    def _initial_emissions(
        self, X: np.ndarray, init: frozenset[str], fixed: frozenset[str], rng: np.random.Generator
    ) -> GaussianMixtureEmissions:
        check_gaussian_range(X)
        X = starting_data(X)
        structure = _structure(self.covariance_type)
        k = check_int(self.n_components, "n_components", minimum=1)
        m = check_int(self.n_mix, "n_mix", minimum=1)
        min_covar = check_float(self.min_covar, "min_covar", minimum=0.0)
        d = X.shape[1]
        if self._needs_init("means", "means_", init):
            centres, labels = _kmeans_means(X, k, rng)
            means = np.empty((k, m, d))
            for state in range(k):
                cluster = X[labels == state]
                if cluster.shape[0] >= m:
                    means[state] = _kmeans_means(cluster, m, rng)[0]
                else:
                    spread = _data_covariance(X, min_covar)
                    means[state] = rng.multivariate_normal(centres.mean(axis=0), spread, size=m)
        else:
            means = fitted_attribute(self, "means_")
        if self._needs_init("weights", "weights_", init):
            weights = np.full((k, m), 1.0 / m)
        else:
            weights = fitted_attribute(self, "weights_")
        if self._needs_init("covariances", "covars_", init):
            per_state = structure.same_for_all(_data_covariance(X, min_covar), m)
            covariances = np.broadcast_to(per_state, (k, *per_state.shape))
        else:
            covariances = fitted_attribute(self, "covars_")
        return self._emissions(weights, means, covariances, fixed)

    def _emissions_from_attributes(self, fixed: frozenset[str]) -> GaussianMixtureEmissions:
        return self._emissions(
            fitted_attribute(self, "weights_"),
            fitted_attribute(self, "means_"),
            fitted_attribute(self, "covars_"),
            fixed,
        )

    def _set_emission_attributes(self, emissions: Any) -> None:
        self.weights_ = np.array(emissions.weights)
        self.means_ = np.array(emissions.means)
        self.covars_ = np.array(emissions.covariances)
