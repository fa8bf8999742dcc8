"""``EMImputer``: missing-value imputation by EM, with scikit-learn's imputer interface."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from latentem.core.validation import as_generator, check_option
from latentem.estimators.base import Estimator
from latentem.estimators.gaussian_mixture import GaussianMixture
from latentem.impute.conditional import (
    conditional_expectation,
    draw_imputations,
    mixture_moments,
)
from latentem.mixture.gaussian import GaussianMixtureModel

__all__ = ["EMImputer", "imputer_attributes"]


class EMImputer(Estimator):
    """Impute missing values (NaN) from a multivariate normal or Gaussian mixture fitted by EM.

    ``fit`` finds the maximum-likelihood parameters of the observed data by
    EM, treating the missing entries as latent (they are assumed missing at
    random); ``transform`` replaces every missing entry by its conditional
    expectation given the row's observed entries; ``sample`` draws multiple
    imputations.

    Parameters
    ----------
    n_components : int, default=1
        1 fits one multivariate normal (the classic EM of Dempster, Laird &
        Rubin 1977); more fit a Gaussian mixture and impute from it.
    covariance_type : {"full", "diag", "spherical", "tied"}, default="full"
        Covariance structure of the components. With one component only
        ``"full"`` lets observed features inform missing ones.
    tol : float, default=1e-10
        Stop when the observed-data log-likelihood per sample changes by
        less than ``tol`` between iterations. The default is strict so that
        the fitted parameters are the maximum-likelihood estimate to about
        1e-4 relative or better.
    reg_covar : float, default=0.0
        Added to the diagonal of the covariances at every M-step. 0 gives
        the exact maximum-likelihood estimate; increase it (e.g. 1e-6) if a
        covariance is singular (a constant feature, collinear features, or a
        component collapsing onto few rows).
    max_iter : int, default=1000
        Maximum number of EM iterations per initialisation.
    n_init : int, default=1
        Number of initialisations of a mixture; the best is kept.
    init_params : {"k-means++", "kmeans", "random", "random_from_data"}, default="k-means++"
        How a mixture's starting responsibilities are chosen, on the data
        with each missing entry replaced by its column's observed mean. (One
        component starts at the observed means and the covariance of that
        mean-filled data.)
    random_state : int, RandomState or Generator, default=None
        Seed of the initialisation.
    verbose : int, default=0
        Progress output, as for :class:`~latentem.GaussianMixture`.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Mean of the fitted distribution (for a mixture, of the whole mixture).
    covariance_ : ndarray of shape (n_features, n_features)
        Covariance of the fitted distribution (for a mixture, of the whole
        mixture: within- plus between-component covariance).
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        Component covariances in the layout of ``covariance_type``.
    n_iter_ : int
        EM iterations of the kept initialisation.
    converged_ : bool
        Whether EM met ``tol`` before ``max_iter``.
    lower_bound_ : float
        Observed-data log-likelihood per sample at the last iteration.
    n_features_in_ : int
        Number of columns of the data of ``fit``.
    feature_names_in_ : ndarray of str of shape (n_features,)
        The column names of a pandas DataFrame given to ``fit`` (only when
        they are all strings; the index is not a feature); later data must
        have the same names in the same order.
    model_ : GaussianMixtureModel
        The fitted model, usable with :class:`~latentem.EM` and
        :mod:`latentem.testing`.

    Notes
    -----
    The objective is the observed-data log-likelihood ``sum_i log sum_k w_k
    N(x_io | mu_ko, Sigma_k,oo)`` over the observed entries ``o`` of each
    row, which EM never decreases; it is computed and maximised exactly. The
    E-step groups rows by missingness pattern (one Cholesky factorisation per
    pattern and component). Rows with no observed entry carry no information
    and are left out of the fit; ``transform`` fills them with ``mean_``. A
    column with no observed value in ``fit`` is a ValueError.

    A pandas DataFrame may mark missing entries with NaN, ``None`` or
    ``pd.NA``, in NumPy or nullable (``Int64``, ``Float64``) columns. Its
    string column names are kept as ``feature_names_in_`` and checked on
    later data; :meth:`set_output` makes ``transform`` return a DataFrame
    with the same columns and index.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import EMImputer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]], size=500)
    >>> X_missing = X.copy()
    >>> X_missing[::4, 1] = np.nan
    >>> imputer = EMImputer().fit(X_missing)
    >>> np.round(imputer.covariance_, 1)
    array([[1. , 0.9],
           [0.9, 1. ]])
    >>> filled = imputer.transform(X_missing)
    >>> bool(np.isnan(filled).any())
    False
    >>> error = np.abs(filled[::4, 1] - X[::4, 1]).mean()
    >>> mean_error = np.abs(imputer.mean_[1] - X[::4, 1]).mean()
    >>> bool(error < mean_error / 2)
    True
    """

    _estimator_type = "transformer"
    _allow_nan = True

    # set by fit (declared for type checkers; absent until then)
    model_: GaussianMixtureModel
    mean_: np.ndarray
    covariance_: np.ndarray
    weights_: np.ndarray
    means_: np.ndarray
    covariances_: np.ndarray
    n_iter_: int
    converged_: bool
    lower_bound_: float
    n_features_in_: int

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-10,
        reg_covar: float = 0.0,
        max_iter: int = 1000,
        n_init: int = 1,
        init_params: str = "k-means++",
        random_state: Any = None,
        verbose: int = 0,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = None
        tags.transformer_tags = TransformerTags(preserves_dtype=["float64"])
        return tags

    def fit(self, X: Any, y: Any = None) -> EMImputer:
        """Maximum-likelihood parameters of the observed entries of ``X``, by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry. Not modified.
        y : ignored

        Returns
        -------
        self : EMImputer
        """
        mixture = GaussianMixture(
            self.n_components,
            covariance_type=self.covariance_type,
            tol=self.tol,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            n_init=self.n_init,
            init_params=self.init_params,
            random_state=self.random_state,
            verbose=self.verbose,
        )
        mixture._fitting_for = type(self).__name__  # its errors name this estimator
        mixture.fit(X)
        vars(self).update(
            imputer_attributes(
                mixture.model_, mixture.converged_, mixture.n_iter_, mixture.lower_bound_
            )
        )
        self._set_feature_names(getattr(mixture, "feature_names_in_", None))
        return self

    def transform(self, X: Any) -> Any:
        """``X`` with every missing entry replaced by its conditional expectation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry. Not modified.

        Returns
        -------
        ndarray or DataFrame of shape (n_samples, n_features)
            A new array without NaN: ``E[x_m | x_o]`` under the fitted model
            (for a mixture, averaged over the posterior of the components
            given the observed entries); observed entries unchanged. A
            DataFrame with ``X``'s index after ``set_output(transform="pandas")``.
        """
        checked = self._check_predict_X(X, allow_nan=True)
        return self._wrap_output(conditional_expectation(self.model_, checked), X)

    def fit_transform(self, X: Any, y: Any = None) -> Any:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the columns of ``transform``'s output: those of its input (scikit-learn's rule).

        Parameters
        ----------
        input_features : array-like of str, optional
            ``None``: ``feature_names_in_`` if ``fit`` had names, else
            ``x0, x1, ...``. Given, it must equal ``feature_names_in_`` (when
            there is one) and have ``n_features_in_`` entries.

        Returns
        -------
        ndarray of str (object dtype) of shape (n_features,)

        Examples
        --------
        >>> import numpy as np
        >>> from latentem import EMImputer
        >>> X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [4.0, 7.0]])
        >>> EMImputer().fit(X).get_feature_names_out()
        array(['x0', 'x1'], dtype=object)
        """
        self._check_fitted()
        fitted = getattr(self, "feature_names_in_", None)
        n_features = self.n_features_in_
        if input_features is None:
            if fitted is not None:
                return np.asarray(fitted, dtype=object)
            return np.asarray([f"x{i}" for i in range(n_features)], dtype=object)
        names = np.asarray(input_features, dtype=object)
        # scikit-learn's messages (_check_feature_names_in)
        if fitted is not None and not np.array_equal(fitted, names):
            raise ValueError("input_features is not equal to feature_names_in_")
        if len(names) != n_features:
            raise ValueError(
                f"input_features should have length equal to number of features ({n_features}), "
                f"got {len(names)}"
            )
        return names

    def set_output(self, *, transform: str | None = None) -> EMImputer:
        """Choose what ``transform`` and ``fit_transform`` return, as scikit-learn's ``set_output``.

        Parameters
        ----------
        transform : {"default", "pandas"} or None
            ``"pandas"``: a DataFrame with the columns of
            :meth:`get_feature_names_out` and the index of the input when it
            is a DataFrame (else a range index). ``"default"``: a NumPy
            array. ``None``: leave the choice unchanged. Without a choice
            here, scikit-learn's global ``transform_output`` applies when
            scikit-learn is imported.

        Returns
        -------
        self : EMImputer

        Examples
        --------
        >>> import numpy as np
        >>> from latentem import EMImputer
        >>> X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [4.0, 7.0]])
        >>> EMImputer().set_output(transform="pandas").fit_transform(X)  # doctest: +SKIP
            x0        x1
        0  1.0  2.000000
        1  2.0  3.571429
        2  3.0  5.000000
        3  4.0  7.000000
        """
        if transform is None:
            return self
        check_option(transform, "transform", _OUTPUTS)
        if transform == "pandas":
            _pandas()
        self._sklearn_output_config = {"transform": transform}
        return self

    def _wrap_output(self, filled: np.ndarray, X: Any) -> Any:
        """``filled`` as :meth:`set_output` chose: the array, or a DataFrame indexed like ``X``."""
        chosen = getattr(self, "_sklearn_output_config", {}).get("transform")
        sklearn = sys.modules.get("sklearn")
        if chosen is None and sklearn is not None:  # scikit-learn's global choice
            chosen = sklearn.get_config().get("transform_output", "default")
        if chosen in (None, "default"):
            return filled
        if chosen != "pandas":
            raise ValueError(
                f"EMImputer can return a NumPy array or a pandas DataFrame; scikit-learn's "
                f"transform_output is {chosen!r}. Call set_output(transform='default') or "
                "set_output(transform='pandas')"
            )
        pandas = _pandas()
        index = X.index if isinstance(X, pandas.DataFrame) else None
        return pandas.DataFrame(filled, columns=self.get_feature_names_out(), index=index)

    def sample(self, X: Any, n_imputations: int = 5, random_state: Any = None) -> np.ndarray:
        """Multiple imputations: draws of the missing entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing entry. Not modified.
        n_imputations : int, default=5
        random_state : None, int, RandomState or Generator
            Seed of the draws (``None``: fresh entropy).

        Returns
        -------
        ndarray of shape (n_imputations, n_samples, n_features)
            Observed entries are kept in every imputation.

        Notes
        -----
        Each draw comes from the fitted model's conditional distribution of
        the missing entries given the observed ones: for every row a
        component is drawn from its posterior given the observed entries,
        then the missing entries from that component's conditional normal
        ``N(E_k[x_m | x_o], Cov_k[x_m | x_o])``. The draws include the
        conditional (residual) uncertainty and, for a mixture, the
        uncertainty of the component; they do *not* include the uncertainty
        of the estimated parameters, which are held at their
        maximum-likelihood values. Variances computed with Rubin's rules from
        these imputations are therefore somewhat too small when a large
        share of the data is missing.
        """
        X = self._check_predict_X(X, allow_nan=True)
        return draw_imputations(self.model_, X, n_imputations, as_generator(random_state))

    def score_samples(self, X: Any) -> np.ndarray:
        """Log-density of the observed entries of every row, shape (n_samples,)."""
        X = self._check_predict_X(X, allow_nan=True)
        return self.model_.score_samples(X)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean observed-data log-likelihood of the rows of ``X``."""
        return float(np.mean(self.score_samples(X)))

    def bic(self, X: Any) -> float:
        """Bayesian information criterion of the observed entries (lower is better).

        ``-2 log L + p log n`` with ``L`` the observed-data likelihood, so
        :func:`~latentem.select_n_components` can choose ``n_components`` on
        data with holes: ``select_n_components(X, estimator=EMImputer)``.
        """
        return self.model_.bic(self._check_predict_X(X, allow_nan=True))

    def aic(self, X: Any) -> float:
        """Akaike information criterion of the observed entries (lower is better)."""
        return self.model_.aic(self._check_predict_X(X, allow_nan=True))

    def icl(self, X: Any) -> float:
        """mclust's integrated completed likelihood of the observed entries (lower is better)."""
        return self.model_.icl(self._check_predict_X(X, allow_nan=True))


_OUTPUTS = ("default", "pandas")


def _pandas() -> Any:
    """pandas, imported only when a DataFrame is asked for."""
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "set_output(transform='pandas') needs pandas; install it with: pip install pandas"
        ) from None
    return pandas


def imputer_attributes(
    model: GaussianMixtureModel, converged: bool, n_iter: int, lower_bound: float
) -> dict[str, Any]:
    """Every fitted attribute of :class:`EMImputer`, derived from its model.

    Examples
    --------
    >>> import numpy as np
    >>> model = GaussianMixtureModel([1.0], [[1.0, 2.0]], [np.eye(2)])
    >>> attributes = imputer_attributes(model, True, 3, -2.5)
    >>> attributes["mean_"], attributes["n_features_in_"]
    (array([1., 2.]), 2)
    """
    mean, covariance = mixture_moments(model)
    return {
        "model_": model,
        "mean_": mean,
        "covariance_": covariance,
        "weights_": np.array(model.weights),
        "means_": np.array(model.means),
        "covariances_": np.array(model.covariances),
        "n_iter_": int(n_iter),
        "converged_": bool(converged),
        "lower_bound_": float(lower_bound),
        "n_features_in_": int(model.n_features),
    }
