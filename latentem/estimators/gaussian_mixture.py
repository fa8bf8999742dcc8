"""``GaussianMixture``: scikit-learn's estimator, on latentem's engine."""

from __future__ import annotations

import itertools
import warnings
from typing import Any, cast

import attrs
import numpy as np

from latentem.core.data import DataSource, Observations
from latentem.core.engine import EM, EMResult
from latentem.core.exceptions import DegenerateFitWarning, user_stacklevel
from latentem.core.model import LatentModel
from latentem.core.online import OnlineEM, OnlineState
from latentem.core.parallel import check_n_jobs
from latentem.core.sources import check_chunk_size
from latentem.core.validation import (
    as_generator,
    check_array,
    check_float,
    check_int,
    check_option,
    invalid_parameter,
)
from latentem.estimators.base import Estimator, fit_best_start, input_feature_names
from latentem.estimators.fit_data import INIT_SAMPLE_ROWS, validated_fit_data
from latentem.mixture.assignment import ASSIGNMENTS, apply_observations
from latentem.mixture.assignment import assignment as parse_assignment
from latentem.mixture.covariance import CovarianceType, accepted_names
from latentem.mixture.covariance import covariance_type as parse_covariance_type
from latentem.mixture.covariance.eigen import decompose
from latentem.mixture.degenerate import floor_message
from latentem.mixture.gaussian import GaussianMixtureModel
from latentem.mixture.initialization import INIT_METHODS, initial_responsibilities
from latentem.mixture.kernels.data import GaussianData, check_dtype, prepare_data
from latentem.mixture.missing import starting_data
from latentem.mixture.prior import GaussianMixturePrior
from latentem.mixture.rows import GaussianRows

__all__ = ["INIT_SAMPLE_ROWS", "GaussianMixture"]

_PARAMETERS = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")

# float32 objectives move by up to ~1.5e-5 relative from rounding alone (measured in
# docs/benchmarks.md), so only larger drops are reported as EM bugs
_DECREASE_RTOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


class GaussianMixture(Estimator):
    """Gaussian mixture fitted by EM, with scikit-learn's interface.

    A drop-in replacement for :class:`sklearn.mixture.GaussianMixture`: the
    same constructor arguments and meanings, fitted attributes and methods;
    from the same start it takes the same EM steps. It adds hard assignment
    (classification EM), accurate statistics for data far from the origin,
    and missing data: NaN marks a missing entry in ``fit``, ``score``,
    ``score_samples``, ``predict``, ``predict_proba``, ``bic`` and ``aic``.

    With missing entries the objective is the observed-data log-likelihood
    ``sum_i log sum_k w_k N(x_io | mu_ko, Sigma_k,oo)`` (``o`` the observed
    entries of row ``i``; for hard assignment the classification
    log-likelihood ``sum_i max_k log(w_k N(x_io | mu_ko, Sigma_k,oo))``),
    computed exactly, and EM never decreases it: the E-step takes the
    expectation over the missing entries given the observed ones as well as
    over the labels. ``score_samples`` gives ``log p(x_io)``. A row with no
    observed entry has log-density 0 and posterior equal to ``weights_``,
    and is left out of the fit (which is then the fit of the other rows,
    ``lower_bound_`` included); a column with no observed value in ``fit``
    is a ValueError. Starting parameters are chosen on the data with each
    NaN replaced by its column's observed mean.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : str, default="full"
        ``full``: one general covariance per component; ``diag``: one
        diagonal covariance per component; ``spherical``: one variance per
        component; ``tied``: one general covariance shared by all components.
        Also mclust's names (VVV, VVI, VII, EEE for these four) and its ten
        other structures, EII, EEI, VEI, EVI, VEE, EVE, VVE, EEV, VEV, EVV
        (``covariances_`` as (k, d, d)), and any registered structure.
    tol : float, default=1e-3
        Stop when the objective per sample changes by less than ``tol``.
    reg_covar : float, default=1e-6
        Non-negative regularisation added to the diagonal of covariances.
    max_iter : int, default=100
        Number of EM iterations per initialisation.
    n_init : int, default=1
        Number of initialisations; the one with the highest objective is kept.
    init_params : {"k-means++", "kmeans", "random", "random_from_data", "hc"}, default="k-means++"
        How starting responsibilities are chosen. (scikit-learn defaults to
        ``"kmeans"``; latentem defaults to the cheaper k-means++ seeding.)
        ``"hc"`` is mclust's start: the partition of model-based hierarchical
        clustering (:mod:`latentem.mixture.hierarchical`), deterministic.
    weights_init : array-like of shape (n_components,), default=None
        Starting weights.
    means_init : array-like of shape (n_components, n_features), default=None
        Starting means.
    precisions_init : array-like, default=None
        Starting precisions (inverse covariances) in the layout of
        ``covariance_type``.
    random_state : int, RandomState or Generator, default=None
        Seed of the initialisation.
    warm_start : bool, default=False
        If true, each ``fit`` starts from the current parameter attributes:
        the previous solution, or values assigned to them (``n_init`` is then
        ignored). ``assignment``, ``reg_covar`` and ``prior`` are this fit's.
    verbose : int, default=0
        1 prints one line per initialisation, 2 also prints the objective
        every ``verbose_interval`` iterations.
    verbose_interval : int, default=10
        Iterations between two progress lines.
    assignment : {"soft", "hard"}, default="soft"
        ``soft``: EM on the likelihood; ``hard``: classification EM, each
        sample wholly assigned to its most probable component.
    prior : None, "default" or GaussianMixturePrior, default=None
        MAP estimation with a conjugate prior (Dirichlet on the weights,
        normal-inverse-Wishart on the components). ``"default"`` is mclust's
        ``priorControl()`` default, computed from the data at each ``fit``
        (:meth:`GaussianMixturePrior.from_data`; with missing entries, from
        the data with each NaN replaced by its column's observed mean). The
        objective (and ``lower_bound_``) then includes the log-prior.
    chunk_size : int, optional
        Rows per chunk when ``X`` is read in chunks. ``X`` is read in chunks
        when it is a ``np.memmap`` or another out-of-core array (h5py, zarr),
        a dask array (its blocks; ``chunk_size`` re-chunks them), a
        :class:`~latentem.core.data.DataSource` such as
        :class:`~latentem.Chunks`, or any array when ``chunk_size`` is given;
        memory then stays O(chunk) and the result equals the in-memory fit
        to rounding. By default chunks hold about 16 MiB.
    accelerate : {None, "squarem"}, default=None
        ``"squarem"`` extrapolates EM steps (:class:`~latentem.Squarem`):
        far fewer E-steps on slowly converging fits (overlapping
        components), never a lower objective. ``max_iter`` then bounds the
        E-steps, ``n_iter_`` counts the points kept (EM steps and accepted
        extrapolations) and ``lower_bounds_`` holds their objectives.
    n_jobs : int, optional
        Threads running the ``n_init`` restarts side by side (``-1``: one
        per core). The starts are drawn first, in order, so the result does
        not depend on ``n_jobs``. It pays when the restarts outnumber the
        cores BLAS already keeps busy (see ``docs/benchmarks.md``).
    learning_decay : float, default=0.6
        ``kappa`` of the step sizes ``(t + learning_offset)^-kappa`` of
        :meth:`partial_fit`; in (0.5, 1].
    learning_offset : float, default=0.0
        ``t0 >= 0`` of the same step sizes.
    dtype : {"float64", "float32"}, default="float64"
        Working precision of the E- and M-step kernels (parameters and
        statistics stay float64; ``numpy.float32`` is accepted too, the
        names are what :func:`latentem.save` stores). float32 halves the
        memory of the prepared rows and is faster where the matrix products
        dominate (d = 16), about even at d = 2, and less accurate: the
        objective to about 1e-4 relative for ``full`` (its expanded quadratic
        form loses digits) and 1e-6 for the others, parameters to about 1e-5
        (``docs/benchmarks.md``); a decrease of the objective smaller than
        1e-4 relative is then not reported. Rows with missing entries are
        always evaluated in float64.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        (k, d, d) for ``full``, (k, d) for ``diag``, (k,) for ``spherical``,
        (d, d) for ``tied``.
    precisions_ : ndarray
        Inverses of ``covariances_``, same layout.
    precisions_cholesky_ : ndarray
        Upper Cholesky factors ``U`` with ``precision = U @ U.T``.
        These five arrays are the parameters (see Notes).
    converged_ : bool
        Whether the best initialisation met ``tol`` before ``max_iter``.
    n_iter_ : int
        EM iterations of the best initialisation.
    lower_bound_ : float
        Objective per sample of the best initialisation at its last
        iteration (the log-likelihood for soft assignment, the
        classification log-likelihood for hard, plus the log-prior with a
        prior). With sample weights, "per sample" means per unit of weight.
    lower_bounds_ : list of float
        The objective per sample at every iteration of the best
        initialisation.
    degenerate_components_ : ndarray of int
        The components that collapsed onto the ``reg_covar`` floor (their
        covariance has a direction of variance at most ``2 * reg_covar``:
        the data contribute no more there than ``reg_covar`` itself), read
        from ``covariances_``; empty for a healthy fit. ``fit`` warns with
        :class:`~latentem.DegenerateFitWarning` when there are any; with
        ``reg_covar=0`` a singular covariance is a ``ValueError`` instead.
        See "Degenerate fits" in the user guide.
    volumes_, shapes_, orientations_ : ndarray
        mclust's decomposition ``Sigma_k = lambda_k D_k A_k D_k^T`` of the
        covariances: (k,), (k, d) and (k, d, d); read from ``covariances_``.
    n_features_in_ : int
        Number of columns of the data of ``fit``.
    feature_names_in_ : ndarray of str of shape (n_features,)
        The column names of a pandas DataFrame given to ``fit`` (only when
        they are all strings; the index is not a feature). Data given later
        must have the same names in the same order (a ValueError if not), or
        none (a warning); see :class:`~latentem.estimators.base.Estimator`.
    model_ : GaussianMixtureModel
        The model of the current parameter arrays, usable with
        :class:`~latentem.EM` and :mod:`latentem.testing`. Assigning a
        :class:`~latentem.GaussianMixtureModel` sets the arrays from it.

    Notes
    -----
    As in scikit-learn, the fitted arrays are the parameters: every method,
    ``model_``, a warm start and :func:`latentem.save` use their current
    values, assigned or edited in place. Change one of the three covariance
    layouts (any ``U`` with ``precision = U @ U.T`` for ``precisions_cholesky_``):
    the next use rewrites the other two from it. An invalid change is a
    ValueError naming the attribute, at that next use.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import GaussianMixture
    >>> X = np.array([[0, 2], [1, 4], [2, 0], [9, 2], [10, 4], [11, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> np.round(gm.means_[np.argsort(gm.means_[:, 0])], 6)
    array([[ 1.,  2.],
           [10.,  2.]])
    >>> gm.predict([[0, 0], [12, 3]]) == gm.predict([[1, 2], [10, 2]])
    array([ True,  True])

    Sample weights (a weight of 2 is a duplicated row) and known labels
    (semi-supervised EM; -1 is unknown) go to ``fit``:

    >>> weights, labels = [1, 2, 1, 1, 1, 3], [0, -1, -1, 1, -1, -1]
    >>> gm = GaussianMixture(2, random_state=0).fit(X, sample_weight=weights, labels=labels)
    >>> gm.predict([[1, 2], [10, 2]])
    array([0, 1])

    The fitted arrays are the parameters: swapping the means swaps the labels.

    >>> gm.means_ = gm.means_[::-1]
    >>> gm.predict([[1, 2], [10, 2]])
    array([1, 0])
    """

    _estimator_type = "density_estimator"
    _allow_nan = True
    _not_fitted_advice = (
        " Or assign weights_, means_ and covariances_ (the fitted arrays are the parameters),"
        " or load a fitted one with latentem.load."
    )

    # set by fit (declared for type checkers; absent until then)
    weights_: np.ndarray
    means_: np.ndarray
    covariances_: np.ndarray
    precisions_: np.ndarray
    precisions_cholesky_: np.ndarray
    converged_: bool
    n_iter_: int
    lower_bound_: float
    lower_bounds_: list[float]
    n_features_in_: int
    # the estimator whose errors these are, when one fits through this class (EMImputer)
    _fitting_for: str

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "k-means++",
        weights_init: Any = None,
        means_init: Any = None,
        precisions_init: Any = None,
        random_state: Any = None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        assignment: str = "soft",
        prior: Any = None,
        chunk_size: int | None = None,
        accelerate: str | None = None,
        n_jobs: int | None = None,
        learning_decay: float = 0.6,
        learning_offset: float = 0.0,
        dtype: Any = "float64",
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.assignment = assignment
        self.prior = prior
        self.chunk_size = chunk_size
        self.accelerate = accelerate
        self.n_jobs = n_jobs
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.dtype = dtype

    # -- the parameter attributes ------------------------------------------------

    @property
    def model_(self) -> GaussianMixtureModel:
        """The :class:`~latentem.GaussianMixtureModel` of the current parameter arrays."""
        self._check_fitted()
        attributes, model = vars(self), vars(self).get("_model")
        # the arrays as the last fit or rebuild set them: the values of its model
        built = () if model is None else [getattr(model, name[:-1]) for name in _PARAMETERS]
        changed = [
            name
            for name, value in itertools.zip_longest(_PARAMETERS, built)
            if name in attributes and not np.array_equal(attributes[name], value)
        ]
        if model is not None and not changed and all(name in attributes for name in _PARAMETERS):
            return model
        owner = type(self).__name__
        layouts = [name for name in changed if name in _PARAMETERS[2:]] or ["covariances_"]
        needed = {"weights_": attributes.get("weights_"), "means_": attributes.get("means_")}
        for name in layouts:
            needed[name] = attributes.get(name, getattr(model, name[:-1], None))
        for name, value in needed.items():
            if value is None:
                raise ValueError(f"{owner} has no {name}; fit it, or assign {name}")
        fit = self if model is None else model  # never fitted: the constructor's settings
        structure = parse_covariance_type(fit.covariance_type)
        settings = (
            parse_assignment(fit.assignment),
            check_float(fit.reg_covar, "reg_covar", minimum=0.0),
            fit.prior if isinstance(fit.prior, GaussianMixturePrior) else None,  # not "default"
        )
        source = layouts[0]
        try:
            candidates = [_covariances_from(name, needed[name], structure) for name in layouts]
            model = GaussianMixtureModel(
                needed["weights_"], needed["means_"], candidates[0], structure, *settings
            )
            # every changed layout must say the same, and a factor must be the one stored
            for name, candidate in zip(layouts[1:], candidates[1:], strict=True):
                if not np.allclose(candidate, candidates[0], rtol=1e-8, atol=0.0):
                    raise ValueError(
                        f"{source} and {name} disagree; change only one (delete the others, "
                        f"as in del gm.{name}: the next use rewrites them)"
                    )
            factor = needed.get("precisions_cholesky_")
            if factor is not None and not np.allclose(
                model.precisions_cholesky, factor, rtol=1e-8, atol=1e-300
            ):
                raise ValueError(
                    "precisions_cholesky_ must hold the Cholesky factors as fitted (U with "
                    "precision = U @ U.T, upper triangular with a positive diagonal); to set "
                    "the precisions themselves, assign precisions_"
                )
        except (TypeError, ValueError) as error:
            reason = str(error).split("; in a fit")[0]
            raise ValueError(
                f"{owner}: the changed {', '.join(changed)} do not make a valid model: "
                f"{reason}. Set valid values (weights summing to 1, a row of means_ per "
                f"weight, a positive-definite {source} laid out for covariance_type="
                f"{structure.name!r}) or refit"
            ) from None
        # the three covariance layouts as new arrays that agree (the caller's are left alone)
        attributes.update(_parameter_attributes(model, keep=("weights_", "means_")))
        return model

    @model_.setter
    def model_(self, model: GaussianMixtureModel) -> None:
        if not isinstance(model, GaussianMixtureModel):
            raise TypeError(
                f"model_ must be a latentem.GaussianMixtureModel; got {type(model).__name__}"
            )
        vars(self).update(_parameter_attributes(model))

    # -- fitting ---------------------------------------------------------------

    def _owner(self) -> str:
        """The class named by errors: this one, or the estimator fitting through it."""
        return str(vars(self).get("_fitting_for", type(self).__name__))

    def _check_settings(
        self, X: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> dict[str, Any]:
        """Validate constructor arguments against the data; never rewrites them."""
        # scikit-learn's parameter-validation wording, naming the user's class
        owner = self._owner()
        n_components = check_int(self.n_components, "n_components", minimum=1, owner=owner)
        if n_components > X.shape[0]:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = {n_components}, "
                f"n_samples = {X.shape[0]}; reduce n_components or pass more data"
            )
        verbose = int(self.verbose) if isinstance(self.verbose, (bool, np.bool_)) else self.verbose
        settings: dict[str, Any] = {
            "n_components": n_components,
            "covariance_type": parse_covariance_type(
                check_option(self.covariance_type, "covariance_type", accepted_names(), owner=owner)
            ),
            "assignment": check_option(self.assignment, "assignment", ASSIGNMENTS, owner=owner),
            "tol": check_float(self.tol, "tol", minimum=0.0, owner=owner),
            "reg_covar": check_float(self.reg_covar, "reg_covar", minimum=0.0, owner=owner),
            "max_iter": check_int(self.max_iter, "max_iter", minimum=0, owner=owner),
            "n_init": check_int(self.n_init, "n_init", minimum=1, owner=owner),
            "init_params": check_option(self.init_params, "init_params", INIT_METHODS, owner=owner),
            "verbose": check_int(verbose, "verbose", minimum=0, owner=owner),
            "verbose_interval": check_int(
                self.verbose_interval, "verbose_interval", minimum=1, owner=owner
            ),
            "dtype": check_dtype(self.dtype),
        }
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(
                invalid_parameter(
                    owner,
                    "warm_start",
                    "an instance of 'bool' or an instance of 'numpy.bool'",
                    self.warm_start,
                )
            )
        settings["prior"] = self._check_prior(
            X, n_components, settings["covariance_type"], sample_weight
        )
        settings["initial"] = self._check_initial_parameters(
            n_components, X.shape[1], settings["covariance_type"]
        )
        return settings

    def _check_prior(
        self,
        X: np.ndarray,
        n_components: int,
        structure: CovarianceType,
        sample_weight: np.ndarray | None,
    ) -> GaussianMixturePrior | None:
        if self.prior is None or isinstance(self.prior, GaussianMixturePrior):
            return self.prior
        if isinstance(self.prior, str) and self.prior == "default":
            # with missing entries, the data moments come from the column-mean-filled data
            return GaussianMixturePrior.from_data(
                starting_data(X), n_components, structure, sample_weight=sample_weight
            )
        raise ValueError(
            "prior must be None, 'default' (mclust's default conjugate prior) or a "
            f"GaussianMixturePrior; got {self.prior!r}"
        )

    def _check_initial_parameters(
        self, n_components: int, n_features: int, structure: CovarianceType
    ) -> dict[str, np.ndarray]:
        # each message starts with scikit-learn's wording, then says latentem's fix
        initial: dict[str, np.ndarray] = {}
        if self.weights_init is not None:
            initial["weights"] = _check_weights_init(self.weights_init, n_components)
        if self.means_init is not None:
            shape = np.shape(self.means_init)
            if shape != (n_components, n_features):
                raise ValueError(
                    f"The parameter 'means' should have the shape of {(n_components, n_features)}"
                    f", but got {shape}: means_init must hold one row per component and one "
                    f"column per feature of X (n_components={n_components}, "
                    f"n_features={n_features})"
                )
            initial["means"] = check_array(self.means_init, "means_init")
        if self.precisions_init is not None:
            expected = structure.parameter_shape(n_components, n_features)
            what = f"{structure.name} precision"
            if np.shape(self.precisions_init) != expected:
                raise ValueError(
                    f"The parameter {what!r} should have the shape of {expected}, but got "
                    f"{np.shape(self.precisions_init)}: precisions_init for covariance_type="
                    f"{structure.name!r} must have shape {expected}"
                )
            precisions = check_array(self.precisions_init, "precisions_init", ndim=len(expected))
            try:
                initial["covariances"] = structure.covariances_from_precisions(precisions)
            except ValueError as error:
                matrices = structure.parameter_shape(1, 2)[-2:] == (2, 2)
                should = "symmetric, positive-definite" if matrices else "positive"
                raise ValueError(
                    f"{what!r} should be {should}: precisions_init is invalid: {error}".split(
                        "; in a fit"
                    )[0]
                    + "; pass symmetric positive-definite precisions (positive values for "
                    "'diag' and 'spherical')"
                ) from None
        return initial

    def _initial_model(
        self,
        observations: Observations,
        data: GaussianData | Observations,
        settings: dict[str, Any],
        rng: np.random.Generator,
    ) -> GaussianMixtureModel:
        initial = settings["initial"]
        common = {
            "covariance_type": settings["covariance_type"],
            "assignment": settings["assignment"],
            "reg_covar": settings["reg_covar"],
            "prior": settings["prior"],
        }
        if len(initial) == 3:
            return GaussianMixtureModel(
                initial["weights"], initial["means"], initial["covariances"], **common
            )
        # NaN replaced by column means for the start only (rows with nothing observed are
        # already gone, so rows stay aligned with the weights and labels)
        X = starting_data(observations.X)
        resp = initial_responsibilities(X, settings["n_components"], settings["init_params"], rng)
        # known labels and sample weights shape the start as they shape every E-step
        apply_observations(observations, np.zeros_like(resp), np.zeros(X.shape[0]), resp)
        start = GaussianMixtureModel.from_responsibilities(
            data if isinstance(data, GaussianData) else X,  # the fit's prepared rows
            resp,
            covariance_type=common["covariance_type"],
            assignment=common["assignment"],
            reg_covar=common["reg_covar"],
        )
        return GaussianMixtureModel(
            initial.get("weights", start.weights),
            initial.get("means", start.means),
            initial.get("covariances", start.covariances),
            **common,
        )

    def _progress_callback(self, settings: dict[str, Any], n_samples: float) -> list[Any]:
        if settings["verbose"] < 2:
            return []
        interval = settings["verbose_interval"]

        def report(iteration: int, objective: float, model: LatentModel) -> None:
            if iteration % interval == 0:
                print(f"  Iteration {iteration}\t objective per sample {objective / n_samples:.8f}")

        return [report]

    def fit(
        self, X: Any, y: Any = None, *, sample_weight: Any = None, labels: Any = None
    ) -> GaussianMixture:
        """Estimate the parameters by EM (best of ``n_init`` starts).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), memmap, dask array or DataSource
            NaN marks a missing entry (in-memory arrays only; in a pandas
            DataFrame also ``pd.NA`` and the nullable dtypes' missing
            values). A DataFrame's string column names become
            ``feature_names_in_``; its index is not a feature. Chunked input
            (see ``chunk_size``) is validated chunk by chunk and never
            loaded whole.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; a weight of 2 is exactly a duplicated row.
        labels : array-like of int of shape (n_samples,), optional
            Known component of each row (semi-supervised EM), -1 where
            unknown. A labelled row belongs wholly to its component and
            contributes ``log w_k N(x | mu_k, Sigma_k)`` to the objective.

        Returns
        -------
        self : GaussianMixture

        Warns
        -----
        DegenerateFitWarning
            Once, when components collapsed onto the ``reg_covar`` floor
            (``degenerate_components_`` lists them). With ``reg_covar=0``
            a singular covariance is a ``ValueError`` instead.
        ConvergenceWarning
            When the best start ran out of ``max_iter``.
        """
        model, _, _ = self._fit(X, sample_weight, labels)
        self._report_degenerate(model)
        return self

    def fit_predict(
        self, X: Any, y: Any = None, *, sample_weight: Any = None, labels: Any = None
    ) -> np.ndarray:
        """Fit, then return the most probable component of every row of ``X``.

        The labels come from a final E-step at the fitted parameters, so they
        equal ``fit(X).predict(X)``; ``sample_weight`` and ``labels`` are as
        in :meth:`fit`.
        """
        model, data, every_row = self._fit(X, sample_weight, labels)
        self._report_degenerate(model)
        if isinstance(data, GaussianData):
            return model.predict(data)  # complete rows were prepared for the kernels once
        if not isinstance(every_row, DataSource):
            return model.predict(every_row)
        return np.concatenate(
            [
                model.predict(chunk.X if isinstance(chunk, Observations) else chunk)
                for chunk in every_row.iter_chunks()
            ]
        )

    def _report_degenerate(self, model: GaussianMixtureModel) -> None:
        """Warn once, at the user's line, if the fit ended with collapsed components."""
        collapsed = model.degenerate_components
        if collapsed.size:
            k, d = model.n_components, model.n_features
            weakest = model.covariance_type.weakest_variances(model.covariances, k, d)
            message = floor_message(
                model.covariance_type, collapsed, weakest.variance, model.reg_covar
            )
            warnings.warn(
                f"{self._owner()}: {message}; degenerate_components_ lists them",
                DegenerateFitWarning,
                stacklevel=user_stacklevel(),
            )

    def _fit(
        self, X: Any, sample_weight: Any, labels: Any
    ) -> tuple[
        GaussianMixtureModel, GaussianData | Observations | DataSource, np.ndarray | DataSource
    ]:
        """Fit; return the model, the data the fit ran on and every row as checked."""
        names = input_feature_names(X)  # before X becomes an array; a TypeError for mixed names
        n_jobs = check_n_jobs(self.n_jobs)
        rng = as_generator(self.random_state, owner=self._owner())
        rows = validated_fit_data(X, sample_weight, labels, check_chunk_size(self.chunk_size), rng)
        source, sample, every_row = rows.source, rows.sample, rows.every_row
        n_samples, n_effective = rows.n_samples, rows.total_weight
        if not n_effective > 0:
            raise ValueError(
                "sample_weight must not be all zero: the weights sum to 0, leaving no data "
                "to fit; give some rows a positive weight"
            )
        settings = self._check_settings(sample.X, sample.sample_weight)
        warm = bool(self.warm_start) and any(name in vars(self) for name in _PARAMETERS)
        n_features = sample.X.shape[1]
        if warm:  # from the current parameter arrays, edits included
            current = self.model_
            for name, theirs, ours in (
                ("n_features", current.n_features, n_features),
                ("n_components", current.n_components, settings["n_components"]),
                ("covariance_type", current.covariance_type.name, settings["covariance_type"].name),
            ):
                if theirs != ours:
                    raise ValueError(
                        f"{name}={ours!r}, but the warm start's parameters have {name}={theirs!r}; "
                        "make them agree (n_features is X's width) or set warm_start=False"
                    )
        # "per sample" is per unit of weight, so that weights equal replicated rows
        engine = EM(
            max_iter=settings["max_iter"],
            tol=settings["tol"] * n_effective / n_samples,
            callbacks=self._progress_callback(settings, n_effective),
            decrease_rtol=_DECREASE_RTOL[settings["dtype"]],
            accelerate=self.accelerate,
        )
        data: GaussianData | Observations | DataSource = source
        if rows.complete:
            # the rows are centred (and their features built) once for every start;
            # chunks of out-of-core data are prepared as they are read
            kernel = settings["covariance_type"].kernel(n_features, settings["n_components"])
            data = prepare_data(
                source, kernel, n_components=settings["n_components"], dtype=settings["dtype"]
            )
        if warm:  # assignment, reg_covar and prior are settings: this fit's apply
            this_fit = {key: settings[key] for key in ("assignment", "reg_covar", "prior")}
            starts = [attrs.evolve(current, **this_fit)]
            # the last fit's objective seeds the convergence test while these are its parameters
            fitted = current is vars(self).get("_fitted_model")
            previous = self.lower_bound_ * n_effective if fitted else None
        else:
            prepared = data if isinstance(data, GaussianData) else sample
            starts = [
                self._initial_model(sample, prepared, settings, rng)
                for _ in range(settings["n_init"])
            ]
            previous = None

        # rows in memory are split (complete / with NaN) once for every start
        shared: Any = data
        if not isinstance(data, DataSource):
            shared = starts[0].prepare(data, dtype=settings["dtype"])

        def report(init: int, result: EMResult | None) -> None:
            if result is None:
                print(f"Initialization {init}")
            else:
                state = "converged" if result.converged else "did not converge"
                per_sample = result.objective / n_effective
                print(f"Initialization {state}. objective per sample {per_sample:.8f}")

        _, best = fit_best_start(
            starts,
            shared,
            lambda init: engine,
            "Best performing initialization did not converge. Try different init "
            "parameters, or increase max_iter, tol, or check for degenerate data.",
            n_jobs=n_jobs,
            previous_objective=previous,
            report=report if settings["verbose"] else None,
            stacklevel=3,
        )
        model = cast(GaussianMixtureModel, best.model)
        lower_bounds = [float(value) / n_effective for value in best.history]
        # one dict update: an interrupted fit (KeyboardInterrupt from a callback,
        # an error) leaves the estimator exactly as it was before the call
        vars(self).update(fitted_attributes(model, best.converged, best.n_iter, lower_bounds))
        vars(self).pop("_online_state", None)  # a fit ends any partial_fit run
        vars(self).pop("_warned_unlike_stream", None)
        self._set_feature_names(names)
        return model, data, every_row

    def partial_fit(self, X: Any, y: Any = None) -> GaussianMixture:
        """Learn from one more batch by online (stepwise) EM.

        The first call starts from the fitted model if there is one, else
        from an initialisation on this batch (so it needs at least
        ``n_components`` rows); each call then takes one step of
        :class:`~latentem.OnlineEM` with step size
        ``(t + learning_offset)^-learning_decay`` for batch ``t``. ``fit``
        starts afresh.

        Online EM assumes batches drawn alike from the same data (a shuffled
        stream). Measured on the README's data (100,000 rows, two unit
        Gaussians 4 apart in 2-D, the default schedule, seeds 0-4): 20 or 100
        shuffled batches end within 2e-4 nats per sample of the batch fit's
        log-likelihood (-3.527 per sample); the same rows in their stored
        order (all of one cluster, then all of the other) end 0.77 to 1.94
        nats per sample below it, with weights 0.04/0.96 instead of 0.5/0.5.
        Shuffle a stream whose order follows the data; a ``UserWarning``
        says so (once) when a batch's log-likelihood per sample falls more
        than 2 nats below the mean of the earlier batches'.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One batch.
        y : ignored

        Returns
        -------
        self : GaussianMixture

        Notes
        -----
        ``n_iter_`` counts the batches, ``lower_bound_`` is the objective
        per sample of the last batch before its update, ``lower_bounds_``
        those of every batch since the first ``partial_fit``, and
        ``converged_`` stays False: a stream has no end to converge at.

        Examples
        --------
        >>> import numpy as np
        >>> from latentem import GaussianMixture
        >>> rng = np.random.default_rng(0)
        >>> gm = GaussianMixture(n_components=2, random_state=0)
        >>> for _ in range(100):
        ...     batch = np.concatenate([rng.normal(-4, 1, (20, 1)), rng.normal(4, 1, (20, 1))])
        ...     gm = gm.partial_fit(batch)
        >>> np.round(np.sort(gm.means_.ravel()))
        array([-4.,  4.])
        >>> gm.n_iter_
        100
        """
        online = OnlineEM(learning_decay=self.learning_decay, learning_offset=self.learning_offset)
        state: OnlineState | None = vars(self).get("_online_state")
        first = state is None and not any(name in vars(self) for name in _PARAMETERS)
        # the first batch names the features (scikit-learn's reset); later ones are checked
        names = input_feature_names(X) if first else None
        if not first:
            self._check_feature_names(X)
        X = check_array(X)
        lower_bounds: list[float] = [] if state is None else list(self.lower_bounds_)
        if not first:
            current = self.model_  # the current parameter arrays, edits included
            state = OnlineState(current) if state is None else attrs.evolve(state, model=current)
        else:
            settings = self._check_settings(X)
            batch = Observations(X)
            start = self._initial_model(batch, batch, settings, as_generator(self.random_state))
            state = OnlineState(start)
        n_features = cast(GaussianMixtureModel, state.model).n_features
        if X.shape[1] != n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but GaussianMixture is expecting {n_features} "
                "features as input (the width of the earlier batches)"
            )
        state = online.update(state, X)
        lower_bounds.append(state.objective)
        if not vars(self).get("_warned_unlike_stream", False):
            self._warned_unlike_stream = _warn_unlike_stream(lower_bounds)
        model = cast(GaussianMixtureModel, state.model)
        vars(self).update(fitted_attributes(model, False, state.n_batches, lower_bounds))
        self._online_state = state
        if first:
            self._set_feature_names(names)
        return self

    # -- using the fit -----------------------------------------------------------

    def _inference_data(self, X: Any) -> tuple[GaussianMixtureModel, GaussianRows]:
        """The current model, and ``X`` checked against it and prepared."""
        model = self.model_
        X = self._check_predict_X(X, allow_nan=True)
        return model, model.prepare(X, dtype=check_dtype(self.dtype), cache_bytes=0, frame="model")

    def score_samples(self, X: Any) -> np.ndarray:
        """Log-density of every row under the fitted mixture, shape (n_samples,).

        For a row with missing entries (NaN): the density of its observed entries.
        """
        model, data = self._inference_data(X)
        return model.score_samples(data)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-density of the rows of ``X``."""
        return float(np.mean(self.score_samples(X)))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable component of every row, shape (n_samples,)."""
        model, data = self._inference_data(X)
        return model.predict(data)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior probability of every component, shape (n_samples, n_components)."""
        model, data = self._inference_data(X)
        return model.predict_proba(data)

    def uncertainty(self, X: Any) -> np.ndarray:
        """mclust's uncertainty: 1 minus the largest posterior of every row, (n_samples,)."""
        return 1.0 - self.predict_proba(X).max(axis=1)

    @property
    def degenerate_components_(self) -> np.ndarray:
        """Components collapsed onto the ``reg_covar`` floor, increasing (empty if none).

        Read from the current parameters (:attr:`GaussianMixtureModel.degenerate_components
        <latentem.GaussianMixtureModel.degenerate_components>`).
        """
        return self.model_.degenerate_components

    def _decomposition(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        model = self.model_
        k, d = model.n_components, model.n_features
        return decompose(model.covariance_type.full_matrices(model.covariances, k, d))

    @property
    def volumes_(self) -> np.ndarray:
        """Volumes ``lambda_k = |Sigma_k|^(1/d)`` of the covariances (mclust's), (k,)."""
        return self._decomposition()[0]

    @property
    def shapes_(self) -> np.ndarray:
        """Eigenvalues of each covariance over its volume, largest first (det 1), (k, d)."""
        return self._decomposition()[1]

    @property
    def orientations_(self) -> np.ndarray:
        """Eigenvectors of each covariance as columns, largest eigenvalue first, (k, d, d)."""
        return self._decomposition()[2]

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` points and their components from the fitted mixture.

        Uses ``random_state`` as scikit-learn does.
        """
        model = self.model_
        n_samples = check_int(n_samples, "n_samples")
        if n_samples < 1:  # scikit-learn's wording
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples}. The sampling requires at least "
                "one sample; pass n_samples >= 1"
            )
        return model.sample(n_samples, random_state=as_generator(self.random_state))

    def _n_parameters(self) -> int:
        """Free parameters of the fitted model (scikit-learn's private name for it)."""
        return int(self.model_.n_parameters)

    def bic(self, X: Any) -> float:
        """Bayesian information criterion on ``X`` (lower is better)."""
        model, data = self._inference_data(X)
        return model.bic(data)

    def aic(self, X: Any) -> float:
        """Akaike information criterion on ``X`` (lower is better)."""
        model, data = self._inference_data(X)
        return model.aic(data)

    def icl(self, X: Any) -> float:
        """Integrated completed likelihood on ``X``, as mclust (lower is better).

        BIC plus twice the classification entropy; see
        :meth:`GaussianMixtureModel.icl <latentem.GaussianMixtureModel.icl>`.
        """
        model, data = self._inference_data(X)
        return model.icl(data)


def _parameter_attributes(
    model: GaussianMixtureModel, keep: tuple[str, ...] = ()
) -> dict[str, Any]:
    """New copies of ``model``'s arrays (but ``keep``); ``model_`` is ``model`` while they are."""
    arrays = {name: np.array(getattr(model, name[:-1])) for name in _PARAMETERS if name not in keep}
    return {**arrays, "_model": model, "n_features_in_": model.n_features}


def _covariances_from(name: str, value: Any, structure: CovarianceType) -> np.ndarray:
    """The covariances that one layout attribute (``covariances_``, ...) holds."""
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} has NaN or infinite values")
    if name == "precisions_cholesky_":
        array = structure.precisions(array)
    return array if name == "covariances_" else structure.covariances_from_precisions(array)


def _check_weights_init(value: Any, n_components: int) -> np.ndarray:
    """``weights_init`` as float64 weights summing to 1, or a ValueError in scikit-learn's words.

    The sum is checked to the rounding of the dtype given (float32 weights
    summing to 1 in float32 are accepted, as in scikit-learn) and the weights
    are then renormalised in float64.

    Examples
    --------
    >>> weights = np.array([0.1, 0.2, 0.7], dtype=np.float32)
    >>> float(weights.astype(np.float64).sum()) == 1.0
    False
    >>> float(_check_weights_init(weights, 3).sum())
    1.0
    """
    shape = np.shape(value)
    if shape != (n_components,):
        raise ValueError(
            f"The parameter 'weights' should have the shape of ({n_components},), but got "
            f"{shape}: weights_init must be a 1-D array of one weight per component "
            f"(n_components={n_components})"
        )
    given = np.asarray(value)
    weights = check_array(value, "weights_init", ndim=1)
    if np.any(weights < 0) or np.any(weights > 1):
        raise ValueError(
            "The parameter 'weights' should be in the range [0, 1], but got max value "
            f"{weights.max():.5f}, min value {weights.min():.5f}: weights_init holds the "
            "starting probability of each component"
        )
    # the rounding of a sum of n values of the dtype given (scikit-learn: 1e-6 for float32)
    eps = np.finfo(given.dtype if given.dtype.kind == "f" else np.float64).eps
    atol = 1e-8 if eps <= np.finfo(np.float64).eps else max(1e-6, 4.0 * n_components * eps)
    total = float(weights.sum())
    if not abs(total - 1.0) <= atol:
        raise ValueError(
            f"The parameter 'weights' should be normalized, but got sum(weights) = {total:.5f}: "
            f"weights_init sums to {total:.12g}; normalise it with "
            "weights_init / weights_init.sum()"
        )
    return weights / total


def fitted_attributes(
    model: GaussianMixtureModel, converged: bool, n_iter: int, lower_bounds: list[float]
) -> dict[str, Any]:
    """The fitted attributes of a :class:`GaussianMixture` whose fit ended at ``model``.

    Every array attribute is a fresh writable copy of the model's, and
    ``model_`` is ``model`` until they change; used by ``fit`` and by
    :func:`latentem.load`, so both give the same attributes.

    Examples
    --------
    >>> from latentem import GaussianMixtureModel
    >>> model = GaussianMixtureModel([1.0], [[0.0]], [[[4.0]]])
    >>> attributes = fitted_attributes(model, True, 3, [-2.0, -1.8, -1.7])
    >>> attributes["precisions_"], attributes["lower_bound_"]
    (array([[[0.25]]]), -1.7)
    """
    return {
        **_parameter_attributes(model),
        "_fitted_model": model,  # so lower_bound_ is the objective of model_ while it is this
        "converged_": bool(converged),
        "n_iter_": int(n_iter),
        "lower_bounds_": list(lower_bounds),
        "lower_bound_": lower_bounds[-1] if lower_bounds else -np.inf,
    }


#: A batch whose log-likelihood per sample is this many nats below the earlier batches'
#: is unlike them (shuffled batches of the README's stream differ by about 0.02).
UNLIKE_STREAM_NATS = 2.0


def _warn_unlike_stream(lower_bounds: list[float]) -> bool:
    """Warn that the last batch is unlike the stream so far; return whether it warned.

    The first batch is left out of the comparison: the start was fitted to it.
    """
    earlier = lower_bounds[1:-1]
    if len(earlier) < 2:
        return False
    drop = float(np.mean(earlier)) - lower_bounds[-1]
    if not drop > UNLIKE_STREAM_NATS:
        return False
    warnings.warn(
        f"partial_fit: this batch's log-likelihood per sample ({lower_bounds[-1]:.3g}) is "
        f"{drop:.3g} nats below the mean of the earlier batches' ({np.mean(earlier):.3g}), so "
        "it looks unlike the stream so far. Online EM assumes batches drawn alike: shuffle "
        "the stream (or fit the whole data with fit); if the stream drifts on purpose, "
        "ignore this",
        UserWarning,
        stacklevel=user_stacklevel(),
    )
    return True
