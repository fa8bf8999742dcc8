"""The Gaussian mixture as a :class:`~latentem.LatentModel`.

The maths lives in module-level functions; :class:`GaussianMixtureModel` holds
the parameters and wires them to the engine's protocol.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import attrs
import numpy as np
from attrs import field, frozen

from latentem.core.data import Observations, as_observations
from latentem.core.model import LatentModel
from latentem.core.validation import (
    as_generator,
    check_array,
    check_float,
    check_int,
    check_option,
    check_probability_vector,
    readonly_array,
)
from latentem.mixture import missing
from latentem.mixture.assignment import Assignment, apply_observations
from latentem.mixture.assignment import assignment as parse_assignment
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.covariance import covariance_type as parse_covariance_type
from latentem.mixture.criteria import icl_from_joint
from latentem.mixture.degenerate import check_not_singular, degenerate_components
from latentem.mixture.initialization import initial_responsibilities
from latentem.mixture.kernels import passes
from latentem.mixture.kernels.base import FrameCoefficients
from latentem.mixture.kernels.data import GaussianData, prepare_data
from latentem.mixture.kernels.frame import Frame
from latentem.mixture.kernels.responsibilities import soft_objective, soft_responsibilities
from latentem.mixture.prior import GaussianMixturePrior, validate_prior
from latentem.mixture.rows import GaussianRows, reference_frame
from latentem.mixture.statistics import (
    GaussianMixtureStats,
    prepared_statistics,
    statistics_of,
    variance_resolution,
)
from latentem.mixture.vector import parameters_from_vector

__all__ = ["GaussianMixtureModel"]

# ----------------------------------------------------------------------------- the model


@frozen(eq=False)
class GaussianMixtureModel(LatentModel):
    """A mixture of Gaussians with soft (EM) or hard (classification EM) assignment.

    Parameters
    ----------
    weights : array-like of shape (n_components,)
        Mixing weights on the simplex.
    means : array-like of shape (n_components, n_features)
    covariances : array-like
        (k, d, d) for ``full``, (k, d) for ``diag``, (k,) for ``spherical``,
        (d, d) for ``tied``.
    covariance_type : {"full", "diag", "spherical", "tied"} or CovarianceType
    assignment : {"soft", "hard"} or Assignment
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance in the M-step. It keeps
        components from collapsing but makes the M-step a slightly
        regularised maximiser; use 0 for the exact EM guarantee.
    prior : GaussianMixturePrior, optional
        Conjugate prior (Dirichlet weights, normal-inverse-Wishart
        components, as mclust's): the M-step becomes a MAP update and the
        objective gains :meth:`log_prior`.

    Attributes
    ----------
    precisions_cholesky : ndarray
        Cholesky factors of the precisions, computed (and checked) from
        ``covariances``.

    Notes
    -----
    Soft EM maximises the log-likelihood ``sum_i log sum_k w_k N(x_i | mu_k,
    Sigma_k)``; hard EM maximises the classification log-likelihood ``sum_i
    max_k log(w_k N(x_i | mu_k, Sigma_k))``. :meth:`log_likelihood` returns
    the objective of the model's own assignment; :meth:`score_samples` always
    gives the marginal log-density.

    NaN marks a missing entry: both objectives then use the density of each
    row's observed entries, which EM never decreases, and rows with nothing
    observed are left out (see :mod:`latentem.mixture.missing`).

    A component whose total responsibility is exactly zero (no sample in
    hard EM, or responsibilities below the smallest normal float in soft EM)
    keeps its mean and covariance and gets weight 0: it takes no further
    samples and the objective still never decreases.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> rng = np.random.default_rng(1)
    >>> X = np.concatenate([rng.normal(0, 1, (150, 2)), rng.normal(6, 1, (150, 2))])
    >>> start = GaussianMixtureModel.from_data(X, n_components=2, random_state=0)
    >>> fitted = latentem.EM(tol=1e-6).fit(start, X).model
    >>> np.round(np.sort(fitted.means[:, 0]), 1)
    array([-0.2,  6. ])
    >>> labels = fitted.predict(X)
    >>> bool((labels[:150] == labels[0]).all() and (labels[150:] != labels[0]).all())
    True
    """

    weights: np.ndarray = field(converter=readonly_array)
    means: np.ndarray = field(converter=readonly_array)
    covariances: np.ndarray = field(converter=readonly_array)
    covariance_type: CovarianceType = field(
        default=parse_covariance_type("full"), converter=parse_covariance_type
    )
    assignment: Assignment = field(default=parse_assignment("soft"), converter=parse_assignment)
    reg_covar: float = field(
        default=1e-6, converter=lambda v: check_float(v, "reg_covar", minimum=0.0)
    )
    prior: GaussianMixturePrior | None = field(default=None, validator=validate_prior)
    precisions_cholesky: np.ndarray = field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_probability_vector(self.weights, "weights")
        if self.means.ndim != 2 or self.means.shape[0] != self.weights.shape[0]:
            raise ValueError(
                f"means must have shape (n_components, n_features) = ({self.weights.shape[0]}, "
                f"n_features) to match weights; got {self.means.shape}"
            )
        if not np.all(np.isfinite(self.means)):
            raise ValueError("means must be finite; got NaN or infinite values")
        self.covariance_type.check_covariances(
            self.covariances, self.n_components, self.n_features, "covariances"
        )
        cholesky = readonly_array(self.covariance_type.precisions_cholesky(self.covariances))
        object.__setattr__(self, "precisions_cholesky", cholesky)

    # -- construction -------------------------------------------------------

    @classmethod
    def from_parameters(
        cls,
        weights: Any,
        means: Any,
        covariances: Any = None,
        *,
        precisions: Any = None,
        covariance_type: str | CovarianceType = "full",
        assignment: str | Assignment = "soft",
        reg_covar: float = 1e-6,
    ) -> GaussianMixtureModel:
        """A model from weights, means and either covariances or precisions.

        Examples
        --------
        >>> m = GaussianMixtureModel.from_parameters(
        ...     [1.0], [[0.0, 0.0]], precisions=[4.0], covariance_type="spherical")
        >>> m.covariances
        array([0.25])
        """
        if (covariances is None) == (precisions is None):
            raise ValueError("pass exactly one of covariances or precisions")
        structure = parse_covariance_type(covariance_type)
        if precisions is not None:
            precisions = np.array(precisions, dtype=float)
            weights_array = np.asarray(weights, dtype=float)
            means_array = np.asarray(means, dtype=float)
            structure.check_covariances(
                precisions,
                weights_array.shape[0],
                means_array.shape[-1] if means_array.ndim == 2 else 0,
                "precisions",
            )
            covariances = structure.covariances_from_precisions(precisions)
        return cls(weights, means, covariances, structure, assignment, reg_covar)

    @classmethod
    def from_responsibilities(
        cls,
        X: Any,
        resp: Any,
        *,
        covariance_type: str | CovarianceType = "full",
        assignment: str | Assignment = "soft",
        reg_covar: float = 1e-6,
    ) -> GaussianMixtureModel:
        """The M-step of ``resp`` on ``X``: starting parameters from a partition.

        ``X`` is an array of shape (n_samples, n_features), or complete
        rows from :meth:`prepare` for this covariance type (whose sample
        weights and labels are then ignored:
        ``resp`` is used as given). A component given no responsibility at
        all starts at the mean and covariance of the whole data, with weight 0.
        """
        structure = parse_covariance_type(covariance_type)
        resp = check_array(resp, "resp")
        if isinstance(X, GaussianRows) and X.complete_index is None and X.complete is not None:
            X = X.complete  # complete rows prepared by prepare()
        if isinstance(X, GaussianData):
            expected = structure.kernel(X.n_features, resp.shape[1])
            if X.kernel.name != expected.name:
                raise ValueError(
                    f"X was prepared for the {X.kernel.name!r} kernel, but covariance_type="
                    f"{structure.name!r} uses the {expected.name!r} kernel; prepare it for the "
                    "covariance type asked for"
                )
            data = X
        else:
            X = check_array(X)
            kernel = structure.kernel(X.shape[1], resp.shape[1])
            data = prepare_data(X, kernel, n_components=resp.shape[1], cache_bytes=0)
        if resp.shape[0] != data.n_samples:
            raise ValueError(f"resp must have {data.n_samples} rows like X; got {resp.shape[0]}")
        stats = prepared_statistics(data, resp, 0.0, structure)
        n_components, n_features = resp.shape[1], data.n_features
        previous_means = np.zeros((n_components, n_features))
        shape = structure.parameter_shape(n_components, n_features)
        previous_covariances = np.zeros(shape)
        if np.any(stats.counts <= 0):
            # the whole data's moments, as one component, for every empty component
            overall = prepared_statistics(data, np.ones((data.n_samples, 1)), 0.0, structure)
            previous_means = np.repeat(overall.means, n_components, axis=0)
            single = structure.covariances_from_scatter(
                overall.scatter,
                overall.counts,
                reg_covar,
                np.zeros(structure.parameter_shape(1, n_features)),
            )
            previous_covariances = np.broadcast_to(single, shape)
        return _parameters_from_statistics(
            stats,
            previous_means=previous_means,
            previous_covariances=previous_covariances,
            structure=structure,
            assignment=parse_assignment(assignment),
            reg_covar=reg_covar,
        )

    @classmethod
    def from_data(
        cls,
        X: Any,
        n_components: int,
        *,
        covariance_type: str | CovarianceType = "full",
        init: str = "k-means++",
        assignment: str | Assignment = "soft",
        reg_covar: float = 1e-6,
        random_state: Any = None,
    ) -> GaussianMixtureModel:
        """Starting parameters chosen from the data (see :mod:`~latentem.mixture.initialization`).

        With missing entries (NaN) the start is chosen on the data with each
        NaN replaced by its column's observed mean and the rows with nothing
        observed left out; a column with no observed value is a ValueError.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(0).normal(size=(50, 3))
        >>> GaussianMixtureModel.from_data(X, 4, covariance_type="diag").covariances.shape
        (4, 3)
        """
        X = missing.starting_data(check_array(X, allow_nan=True))
        n_components = check_int(n_components, "n_components", minimum=1)
        if n_components > X.shape[0]:
            raise ValueError(
                f"n_components={n_components} exceeds the number of samples "
                f"({X.shape[0]}); use at most {X.shape[0]} components or more data"
            )
        rng = as_generator(random_state)
        resp = initial_responsibilities(X, n_components, init, rng)
        return cls.from_responsibilities(
            X, resp, covariance_type=covariance_type, assignment=assignment, reg_covar=reg_covar
        )

    # -- sizes ---------------------------------------------------------------

    @property
    def n_components(self) -> int:
        """Number of mixture components."""
        return int(self.weights.shape[0])

    @property
    def n_features(self) -> int:
        """Dimension of the data."""
        return int(self.means.shape[1])

    @property
    def n_parameters(self) -> int:
        """Number of free parameters (weights, means, covariances)."""
        k, d = self.n_components, self.n_features
        return self.covariance_type.n_parameters(k, d) + k * d + k - 1

    @property
    def m_step_is_exact(self) -> bool:
        """Whether :meth:`m_step` is the exact maximiser (false: a generalised EM step).

        The optional attribute :func:`~latentem.testing.check_latent_model` reads;
        false for EVE and VVE, whose common orientation takes a few
        minorise-maximise rounds per EM step.
        """
        return self.covariance_type.exact_maximiser

    @property
    def precisions(self) -> np.ndarray:
        """Precision matrices (inverse covariances) in the covariance layout."""
        return self.covariance_type.precisions(self.precisions_cholesky)

    @property
    def degenerate_components(self) -> np.ndarray:
        """Indices of the components collapsed onto the ``reg_covar`` floor, increasing.

        A component is degenerate when its covariance has a direction of
        variance at most ``2 * reg_covar`` (the data contribute at most
        ``reg_covar`` there), or singular to rounding; the rule and its
        measurements are in :mod:`latentem.mixture.degenerate`. Read off the
        covariances, with no pass over the data.

        Examples
        --------
        >>> m = GaussianMixtureModel([0.5, 0.5], [[0.0], [3.0]], [[[1.0]], [[1.5e-6]]],
        ...                          reg_covar=1e-6)
        >>> m.degenerate_components
        array([1])
        """
        return degenerate_components(
            self.covariance_type, self.weights, self.means, self.covariances, self.reg_covar
        )

    # -- the protocol ----------------------------------------------------------

    def _check_X(self, X: Any) -> np.ndarray:
        X = check_array(X, allow_nan=True)
        if X.shape[1] != self.n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but the model is expecting "
                f"{self.n_features} features as input"
            )
        return X

    # -- data ----------------------------------------------------------------

    def prepare(
        self,
        data: Any,
        *,
        dtype: Any = np.float64,
        cache_bytes: int | None = None,
        n_threads: int | None = None,
        frame: str = "data",
    ) -> GaussianRows:
        """Prepare data once for many passes (an EM fit, then predictions).

        Every method taking data accepts the result in place of the array; it
        is valid for any model with the same covariance type and width, and
        is returned as it is when given back.
        :class:`~latentem.EM` calls this once per fit. The complete rows are
        prepared for the kernels; rows with NaN are kept apart (see
        :class:`~latentem.mixture.rows.GaussianRows`).

        Parameters
        ----------
        data : array-like of shape (n_samples, n_features), Observations or GaussianRows
            Observations carry sample weights and known labels along;
            :class:`~latentem.mixture.kernels.GaussianData` (complete rows
            already prepared for the kernel) is accepted too.
        dtype : numpy.float64 or numpy.float32, default=numpy.float64
            Working precision of the kernels. float32 halves the memory of
            the prepared rows and is faster at d = 16 (about even at d = 2);
            log-likelihoods then agree with
            float64 to about 1e-4 relative for ``full`` and 1e-6 for the
            other types (``docs/benchmarks.md``).
        cache_bytes : int, optional
            Memory budget for caching per-row features across passes
            (default :data:`~latentem.mixture.kernels.FEATURE_CACHE_BYTES`).
        n_threads : int, optional
            Threads per pass (default: the available cores).
        frame : {"data", "model"}, default="data"
            Where the kernels expand their quadratic forms: about the data's
            mean ("data", what a fit prepares once, valid for every model), or
            in this model's :meth:`reference_frame` ("model", what the
            methods taking an array use): then a row's results do not depend
            on the other rows, to the last digit. Either way rows the
            expansion cannot evaluate to working precision take an exact path.

        Returns
        -------
        GaussianRows

        Examples
        --------
        >>> import numpy as np, latentem
        >>> X = np.random.default_rng(0).normal(size=(500, 2))
        >>> start = GaussianMixtureModel.from_data(X, n_components=2, random_state=0)
        >>> data = start.prepare(X)
        >>> fitted = latentem.EM(tol=1e-3).fit(start, data).model
        >>> fitted.predict(data).shape
        (500,)
        """
        if isinstance(data, GaussianRows):
            rows = data
        elif isinstance(data, GaussianData):
            rows = GaussianRows.of_prepared(data)
        else:
            check_option(frame, "frame", ("data", "model"))
            observations = as_observations(data)
            observations = attrs.evolve(observations, X=self._check_X(observations.X))
            rows = GaussianRows.of(
                observations,
                self.covariance_type,
                self.n_components,
                dtype=dtype,
                cache_bytes=cache_bytes,
                n_threads=n_threads,
                frame=self.reference_frame() if frame == "model" else None,
            )
        if rows.complete is not None:
            self._check_prepared(rows.complete)
        for part in (rows.complete, rows.incomplete):
            labels = None if part is None else part.labels
            if labels is not None and labels.size and labels.max() >= self.n_components:
                raise ValueError(
                    f"labels must be -1 (unknown) or a component index below n_components="
                    f"{self.n_components}; got {labels.max()}"
                )
        return rows

    def reference_frame(self) -> Frame:
        """The frame new rows are evaluated in: the mixture's mean and total covariance.

        See :func:`~latentem.mixture.rows.reference_frame`.
        """
        return reference_frame(self.covariance_type, self.weights, self.means, self.covariances)

    def _rows(self, data: Any) -> GaussianRows:
        """``data`` as prepared rows: as they are if prepared, else in the model's frame."""
        if isinstance(data, (GaussianRows, GaussianData)):
            return self.prepare(data)
        return self.prepare(data, cache_bytes=0, frame="model")

    def _check_prepared(self, data: GaussianData) -> None:
        expected = self.covariance_type.kernel(self.n_features, self.n_components)
        if data.kernel.name != expected.name:
            raise ValueError(
                f"data were prepared for the {data.kernel.name!r} kernel, but the model "
                f"(covariance_type={self.covariance_type.name!r}) uses the {expected.name!r} "
                "kernel; prepare them with this model's prepare()"
            )
        if data.n_features != self.n_features:
            raise ValueError(
                f"X has {data.n_features} features, but the model is expecting "
                f"{self.n_features} features as input"
            )

    def _parameters(self) -> tuple[CovarianceType, np.ndarray, np.ndarray, np.ndarray]:
        """What :class:`GaussianRows` evaluates: structure, log-weights, means, factors."""
        with np.errstate(divide="ignore"):
            log_weights = np.log(self.weights)
        return self.covariance_type, log_weights, self.means, self.precisions_cholesky

    # -- the protocol ----------------------------------------------------------

    def joint_log_prob(self, X: Any) -> np.ndarray:
        """``log w_k + log N(x_i | mu_k, Sigma_k)``, shape (n_samples, n_components).

        For a row with missing entries (NaN), the density of its observed entries.
        """
        return self._rows(X).joint_log_prob(*self._parameters())

    def e_step(self, data: Any) -> GaussianMixtureStats:
        """Responsibility-weighted counts, means and scatter of ``data``.

        ``data`` is an array of shape (n_samples, n_features), NaN marking
        missing entries, :class:`~latentem.core.data.Observations` with
        sample weights and known labels, or what :meth:`prepare` returns.
        Complete rows go through the kernels; rows with NaN through
        :mod:`latentem.mixture.missing`; rows with nothing observed are left out.
        """
        rows = self.prepare(data, cache_bytes=0)  # the data's frame suits their moments
        parameters = self._parameters()
        stats: GaussianMixtureStats | None = None
        if rows.complete is not None:
            summary, objective = passes.statistics_and_objective(
                rows.complete,
                rows.coefficients(*parameters),
                self.assignment.block_responsibilities,
            )
            stats = statistics_of(summary, rows.complete, objective, self.covariance_type)
        if rows.incomplete is not None or stats is None:
            part = rows.incomplete or Observations(np.zeros((0, self.n_features)))
            conditionals = self._conditionals(part.X, residuals=True)
            joint = parameters[1] + conditionals.log_prob
            resp, terms = self.assignment.responsibilities(joint)
            terms = apply_observations(part, joint, terms, resp)
            counts, means, scatter = conditionals.statistics(self.means, resp)
            extra = GaussianMixtureStats(
                counts,
                means,
                scatter,
                terms.sum(),
                self.covariance_type,
                references=self.means,  # summed about the model's means
            )
            stats = extra if stats is None else stats + extra
        return stats

    def _conditionals(self, X: np.ndarray, residuals: bool = False) -> missing.Conditionals:
        return self.covariance_type.conditionals(
            X, self.means, self.precisions_cholesky, residuals=residuals
        )

    def m_step(self, stats: GaussianMixtureStats) -> GaussianMixtureModel:
        """Weights, means and covariances maximising the expected objective (plus log-prior)."""
        if not isinstance(stats, GaussianMixtureStats):
            raise TypeError(
                f"stats must be GaussianMixtureStats from e_step; got {type(stats).__name__}"
            )
        return _parameters_from_statistics(
            stats,
            previous_means=self.means,
            previous_covariances=self.covariances,
            structure=self.covariance_type,
            assignment=self.assignment,
            reg_covar=self.reg_covar,
            prior=self.prior,
        )

    def log_prior(self) -> float:
        """Log-density of the parameters under :attr:`prior` (0 without one)."""
        if self.prior is None:
            return 0.0
        return self.prior.log_pdf(self.weights, self.means, self.covariances, self.covariance_type)

    def log_likelihood(self, data: Any) -> float:
        """The objective of this model's assignment (marginal for soft, classification for hard).

        Labelled rows contribute ``log w_z p_z(x)``; weights multiply each row's term.
        """
        rows = self._rows(data)
        parameters = self._parameters()
        total = 0.0
        if rows.complete is not None:
            coefficients = rows.coefficients(*parameters)
            total += passes.objective(rows.complete, coefficients, self.assignment.block_objective)
        if rows.incomplete is not None:
            joint = cast(np.ndarray, rows.incomplete_joint(*parameters))
            terms = self.assignment.objective_terms(joint)
            total += float(apply_observations(rows.incomplete, joint, terms, None).sum())
        return float(total)

    # -- parameter vector (for acceleration) -------------------------------------

    def to_vector(self) -> np.ndarray:
        """The parameters as one 1-D vector: ``[weights, means, covariances]``.

        Covariance matrices contribute their lower triangle (``full``,
        ``tied``), ``diag`` and ``spherical`` their variances. It is the
        vector :class:`~latentem.Squarem` extrapolates (see
        :mod:`latentem.mixture.vector` for why these coordinates).

        Examples
        --------
        >>> m = GaussianMixtureModel.from_parameters([0.25, 0.75], [[0.0], [2.0]], [1.0, 4.0],
        ...                                          covariance_type="spherical")
        >>> m.to_vector()
        array([0.25, 0.75, 0.  , 2.  , 1.  , 4.  ])
        >>> m.from_vector(m.to_vector()).covariances
        array([1., 4.])
        """
        return np.concatenate(
            [
                self.weights,
                self.means.ravel(),
                self.covariance_type.to_vector(self.covariances),
            ]
        )

    def from_vector(self, vector: Any) -> GaussianMixtureModel:
        """A model of the same structure from a vector laid out as :meth:`to_vector`'s.

        Weights are renormalised; components of weight 0 in this model keep
        weight 0. A negative weight or a covariance that is not positive
        definite raises ``ValueError``.
        """
        weights, means, covariances = parameters_from_vector(
            np.asarray(vector, dtype=float),
            self.weights > 0,
            self.n_features,
            self.covariance_type,
        )
        return attrs.evolve(self, weights=weights, means=means, covariances=covariances)

    # -- inference -------------------------------------------------------------

    def _per_row(
        self,
        X: Any,
        kernel_pass: Callable[[GaussianData, FrameCoefficients], np.ndarray],
        from_joint: Callable[[np.ndarray], np.ndarray],
        lost_value: float | None = None,
    ) -> np.ndarray:
        """A kernel pass over the complete rows, ``from_joint`` of the joint (k, n) of the others.

        A row with NaN whose density underflows under every component gets
        ``lost_value`` if given, else ``from_joint`` of its limit stand-ins
        (:func:`~latentem.mixture.missing.limit_joint_of_observed`).
        """
        rows = self._rows(X)
        parameters = self._parameters()
        complete = None
        if rows.complete is not None:
            complete = kernel_pass(rows.complete, rows.coefficients(*parameters))
            if rows.complete_index is None:
                return complete
        joint_t, lost = rows.other_joint(*parameters, self.covariances)
        out = from_joint(joint_t)
        if lost_value is not None:
            out[lost] = lost_value
        if complete is not None:
            out[rows.complete_index] = complete
        return out

    def score_samples(self, X: Any) -> np.ndarray:
        """Marginal log-density ``log p(x_i)`` of every row, shape (n_samples,)."""
        return self._per_row(X, passes.log_marginal, soft_objective, -np.inf)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior probability of every component, shape (n_samples, n_components)."""

        def from_joint(joint_t: np.ndarray) -> np.ndarray:
            soft_responsibilities(joint_t)
            return joint_t.T

        return self._per_row(X, passes.posterior, from_joint)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable component of every row, shape (n_samples,)."""
        return self._per_row(X, passes.most_probable, lambda joint_t: np.argmax(joint_t, axis=0))

    def bic(self, X: Any) -> float:
        """Bayesian information criterion ``-2 log L + p log n`` (lower is better).

        ``n`` counts the rows with an observed entry.
        """
        rows = self._rows(X)
        log_l = float(self.score_samples(rows).sum())
        return -2.0 * log_l + self.n_parameters * math.log(rows.n_informative)

    def aic(self, X: Any) -> float:
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
        return -2.0 * float(self.score_samples(X).sum()) + 2 * self.n_parameters

    def icl(self, X: Any) -> float:
        """Integrated completed likelihood, as mclust computes it (lower is better).

        ``BIC + 2 sum_i -log t_{i, z_i}`` (see
        :func:`~latentem.mixture.criteria.icl_from_joint`): BIC plus the
        entropy of the most probable classification, which penalises
        overlapping components.
        """
        rows = self._rows(X)
        joint = rows.informative(rows.joint_log_prob(*self._parameters()))
        return icl_from_joint(joint, self.n_parameters)

    def sample(self, n_samples: int, random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw samples and their component labels.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        labels : ndarray of shape (n_samples,)
            Components sorted in increasing order, as scikit-learn returns them.
        """
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        rng = as_generator(random_state)
        counts = rng.multinomial(n_samples, self.weights)
        full = self.covariance_type.full_matrices(
            self.covariances, self.n_components, self.n_features
        )
        draws = [
            rng.multivariate_normal(mean, covariance, size=count, method="cholesky")
            for mean, covariance, count in zip(self.means, full, counts, strict=True)
        ]
        labels = np.repeat(np.arange(self.n_components), counts)
        return np.concatenate(draws), labels


def _parameters_from_statistics(
    stats: GaussianMixtureStats,
    *,
    previous_means: np.ndarray,
    previous_covariances: np.ndarray,
    structure: CovarianceType,
    assignment: Assignment,
    reg_covar: float,
    prior: GaussianMixturePrior | None = None,
) -> GaussianMixtureModel:
    counts = np.asarray(stats.counts)
    total = counts.sum()
    if not total > 0:
        raise ValueError(
            "the statistics hold no responsibility at all (total weight 0); "
            "pass data with at least one sample of positive weight"
        )
    weights = counts / total if prior is None else prior.map_weights(counts)
    if prior is not None and prior.components is not None:
        means, covariances = prior.map_components(
            stats, structure, previous_means, previous_covariances, reg_covar
        )
    else:
        occupied = counts > 0
        means = np.where(occupied[:, None], stats.means, previous_means)
        # an exactly singular scatter (a feature constant in a component) may give NaN
        # in the iterative updates; the model refuses it below, naming the fix
        with np.errstate(divide="ignore", invalid="ignore"):
            covariances = structure.covariances_from_scatter(
                np.asarray(stats.scatter), counts, reg_covar, previous_covariances
            )
    epsilon, references = stats.machine_epsilon, stats.references
    _check_not_collapsed(structure, counts, means, covariances, epsilon, references)
    check_not_singular(structure, counts, means, covariances, reg_covar, epsilon, references)
    return GaussianMixtureModel(
        weights=weights,
        means=means,
        covariances=covariances,
        covariance_type=structure,
        assignment=assignment,
        reg_covar=reg_covar,
        prior=prior,
    )


def _check_not_collapsed(
    structure: CovarianceType,
    counts: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    machine_epsilon: float,
    references: np.ndarray | None = None,
) -> None:
    """Refuse M-step variances below the floating-point resolution of the means.

    Without regularisation the likelihood of a Gaussian mixture is unbounded:
    a component can close in on a single point. Once its deviation is below the
    rounding of its mean, the parameters no longer describe the data and EM's
    guarantee is lost to rounding, so the fit stops with advice instead.

    The resolution is :func:`~latentem.mixture.statistics.variance_resolution`'s,
    about the points the statistics' moments were summed about (``references``:
    a far component's own mean) when they say.
    """
    n_components, n_features = means.shape
    variances = np.einsum("kii->ki", structure.full_matrices(covariances, n_components, n_features))
    resolution = variance_resolution(counts, means, machine_epsilon, references)
    collapsed = (variances <= resolution) & (resolution > 0)
    if collapsed.any():
        k, j = (int(i) for i in np.argwhere(collapsed)[0])
        advice = ""
        if machine_epsilon > np.finfo(float).eps:
            advice = "fit in float64 (dtype=numpy.float64), "
        raise ValueError(  # scikit-learn's wording first, then what happened and the fix
            "Fitting the mixture model failed because some components have ill-defined "
            "empirical covariance (for instance caused by singleton or collapsed samples). "
            "Try to decrease the number of components, increase reg_covar, or scale the "
            f"input data. Here component {k} collapsed onto a point: its variance in feature "
            f"{j} is "
            f"{variances[k, j]:.3g}, below the rounding of its mean {means[k, j]:.17g}; "
            f"{advice}increase reg_covar (e.g. reg_covar=1e-6 times the data's variance), "
            "reduce n_components, or remove duplicated points"
        )
