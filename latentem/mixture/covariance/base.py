"""What a covariance structure is: the one class that owns everything structure-specific.

A structure knows the layout of its parameters, turns centred scatter into
covariances (maximum likelihood or MAP under either conjugate prior), picks
its fast kernel, gives the conditional densities of rows with missing entries,
packs its parameters into a vector and translates hmmlearn's prior arguments.
Nothing outside the structure classes branches on a structure's name or class:
mixtures, HMM emissions, priors, missing data, save/load, the CLI and the
Hypothesis strategies call these methods, and read :data:`COVARIANCE_TYPES`.

Conventions (shared with scikit-learn): ``precisions_cholesky`` holds upper
triangular ``U`` with ``precision = U @ U.T``; for ``diag`` and ``spherical``
it holds ``1 / sqrt(variance)``.

One MAP update serves both conjugate priors: :meth:`CovarianceType.conjugate_terms`
under a :class:`~latentem.hmm.GaussianPrior`. The HMM emissions' prior is one
(hmmlearn's per-state form); the mixture's (mclust's ``priorControl``, a
:class:`~latentem.distributions.NormalInverseWishart` shared by the components)
translates into one with :meth:`CovarianceType.niw_conjugate` (by default the
dof shifted by :meth:`CovarianceType.niw_flat_dof`), and keeps its density
(``niw_*``).
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np
from scipy.linalg import lapack

from latentem.mixture.kernels.base import Components, Kernel

if TYPE_CHECKING:
    from latentem.distributions.priors import NormalInverseWishart
    from latentem.mixture.missing import Conditionals

__all__ = ["CovarianceType", "Weakest", "check_positive", "weakest_of_matrices"]

COLLAPSE_ADVICE = (
    "in a fit this means the component collapsed onto fewer distinct points than "
    "features, or a feature is constant: increase reg_covar (e.g. reg_covar=1e-6), "
    "reduce n_components, or remove constant or duplicated features"
)


# LAPACK is called directly for these small factorisations: scipy.linalg's wrappers
# reach OpenBLAS routines that start its threads, which costs more than a whole
# E-step on a busy machine (docs/benchmarks.md).


def cholesky_lower(matrix: np.ndarray, what: str) -> np.ndarray:
    """Lower Cholesky factor of one symmetric positive-definite matrix, or a ValueError."""
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{what} contains NaN or infinite values; {COLLAPSE_ADVICE}")
    lower, info = lapack.dpotrf(matrix, lower=1, clean=1)
    if info != 0:
        raise ValueError(f"{what} is not positive definite; {COLLAPSE_ADVICE}")
    return lower


def check_symmetric(matrix: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(matrix)):
        return  # refused with its own message by cholesky_lower
    scale = np.max(np.abs(matrix)) if matrix.size else 0.0
    if not np.allclose(matrix, matrix.T, rtol=1e-8, atol=1e-12 * scale):
        raise ValueError(f"{what} must be symmetric; make it (M + M.T) / 2 or check its values")


def inverse_upper_factor(lower: np.ndarray) -> np.ndarray:
    """``U = inv(L).T`` so that ``U @ U.T = inv(L @ L.T)``."""
    inverse, info = lapack.dtrtri(lower, lower=1)
    if info != 0:  # pragma: no cover - a Cholesky factor has a positive diagonal
        raise ValueError("a Cholesky factor is singular; increase reg_covar")
    return inverse.T + 0.0  # + 0.0 turns LAPACK's -0.0 entries into 0.0


def check_positive(values: np.ndarray, name: str) -> None:
    """Raise a ValueError naming ``name`` and the first bad entry unless all are positive."""
    bad = ~(values > 0) | ~np.isfinite(values)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must be positive and finite; got {values[where]!r} at index {where}; "
            f"{COLLAPSE_ADVICE}"
        )


class Weakest(NamedTuple):
    """Each component's smallest variance, where it lies and what it is rounded to.

    What :meth:`CovarianceType.weakest_variances` returns; NaN where a
    covariance is not finite.
    """

    #: (n_components,): the smallest variance along any direction (smallest eigenvalue).
    variance: np.ndarray
    #: (n_components, n_features): a unit vector along which it lies.
    direction: np.ndarray
    #: (n_components,): the size its rounding is relative to.
    scale: np.ndarray


def weakest_of_matrices(matrices: np.ndarray) -> Weakest:
    """:class:`Weakest` of symmetric (d, d) matrices stacked in ``matrices`` (m, d, d).

    The smallest eigenvalue and its eigenvector; the scale is the largest
    eigenvalue, to which all of them are computed (about ``d * eps`` times it).
    """
    m, d = matrices.shape[:2]
    variance, scale = np.full(m, np.nan), np.full(m, np.nan)
    direction = np.full((m, d), np.nan)
    finite = np.all(np.isfinite(matrices), axis=(1, 2))
    if finite.any():
        values, vectors = np.linalg.eigh(matrices[finite])
        variance[finite], scale[finite] = values[:, 0], values[:, -1]
        direction[finite] = vectors[:, :, 0]
    return Weakest(variance, direction, scale)


def lower_triangles(matrices: np.ndarray) -> np.ndarray:
    """The lower triangles of (..., d, d) symmetric matrices, flattened."""
    d = matrices.shape[-1]
    rows, cols = np.tril_indices(d)
    return matrices.reshape(-1, d, d)[:, rows, cols].ravel()


def symmetric_from_triangles(vector: np.ndarray, n_features: int) -> np.ndarray:
    """Inverse of :func:`lower_triangles`: (m, d, d) symmetric matrices."""
    rows, cols = np.tril_indices(n_features)
    triangles = vector.reshape(-1, rows.size)
    matrices = np.zeros((triangles.shape[0], n_features, n_features))
    matrices[:, rows, cols] = triangles
    matrices[:, cols, rows] = triangles
    return matrices


def not_positive_definite(
    smallest: np.ndarray, largest: np.ndarray, n_features: int, resolution: Any = 0.0
) -> np.ndarray:
    """Whether each matrix, by its extreme eigenvalues, is not numerically positive definite.

    Its smallest eigenvalue is at most ``n_features * eps`` times its largest,
    or at most ``resolution`` (see :meth:`CovarianceType.floor_collapsed`).

    Examples
    --------
    >>> not_positive_definite(np.array([1e-20, 0.5]), np.array([1.0, 1.0]), 2).tolist()
    [True, False]
    """
    threshold = np.maximum(n_features * np.finfo(float).eps * largest, resolution)
    return ~(smallest > threshold)


class CovarianceType(abc.ABC):
    """How one kind of covariance is stored, evaluated and estimated.

    Subclasses are stateless; compare them with ``==`` or by :attr:`name`.
    A new structure subclasses this (or one of the built-in structures),
    gives it a unique :attr:`name` and registers it with
    :func:`~latentem.mixture.register_covariance_type`; the guide
    ``docs/user_guide/covariance_structures.rst`` walks through one.

    Examples
    --------
    >>> from latentem.mixture import covariance_type
    >>> cov = covariance_type("diag")
    >>> cov.name, cov.parameter_shape(n_components=3, n_features=2)
    ('diag', (3, 2))
    """

    name: ClassVar[str]
    #: Other names the structure is known by (mclust's), accepted by ``covariance_type``.
    aliases: ClassVar[tuple[str, ...]] = ()
    #: Whether the M-step returns the exact maximiser whatever the previous covariances.
    #: False for an iterative M-step stopped early inside EM (a generalised EM step, as
    #: EVE's and VVE's common orientation): :func:`latentem.testing.check_latent_model`
    #: then does not ask it to stay where it lands when applied again.
    exact_maximiser: ClassVar[bool] = True
    _kernel: ClassVar[Kernel]

    @property
    def supports_niw_prior(self) -> bool:
        """Whether the structure takes the mixture's prior (``niw_*`` and ``conjugate_*``)."""
        overrides = type(self).niw_log_pdf is not CovarianceType.niw_log_pdf
        return overrides and self.supports_conjugate_prior

    @property
    def supports_conjugate_prior(self) -> bool:
        """Whether it has the HMM emissions' conjugate prior (``conjugate_*``, ``hmmlearn_*``)."""
        return type(self).conjugate_terms is not CovarianceType.conjugate_terms

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        from latentem.mixture.covariance import covariance_type

        return covariance_type, (self.name,)

    # -- layout ---------------------------------------------------------------

    def kernel(self, n_features: int, n_components: int) -> Kernel:
        """The kernel evaluating this structure over blocks of rows (:mod:`..kernels`).

        Its choice may depend on the shape of the problem, never on the result.
        The kernel fixes the layouts of ``precisions_cholesky`` it reads and of
        the scatter it sums.
        """
        return self._kernel

    def components(
        self, log_weights: np.ndarray, means: np.ndarray, precisions_cholesky: np.ndarray
    ) -> Components:
        """The parameters as the :meth:`kernel` reads them.

        A structure whose factors are not in its kernel's layout (a shared
        diagonal read by the diagonal kernel, say) converts them here.
        """
        log_det = self.log_det_cholesky(precisions_cholesky, means.shape[1])
        return Components(log_weights, means, precisions_cholesky, log_det)

    @abc.abstractmethod
    def parameter_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        """Shape of ``covariances`` (and of ``precisions``)."""

    @abc.abstractmethod
    def n_parameters(self, n_components: int, n_features: int) -> int:
        """Number of free covariance parameters."""

    def check_covariances(
        self, covariances: np.ndarray, n_components: int, n_features: int, name: str
    ) -> None:
        """Raise a ValueError naming ``name`` unless the shape fits."""
        expected = self.parameter_shape(n_components, n_features)
        if covariances.shape != expected:
            raise ValueError(
                f"{name} for covariance_type={self.name!r} must have shape {expected} "
                f"(from n_components={n_components}, n_features={n_features}); "
                f"got {covariances.shape}"
            )

    @abc.abstractmethod
    def full_matrices(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> np.ndarray:
        """Covariances as (k, d, d) matrices."""

    @abc.abstractmethod
    def from_full_matrices(self, matrices: np.ndarray) -> np.ndarray:
        """The nearest covariances of this structure to (k, d, d) matrices.

        Diagonal structures keep the diagonals, spherical ones their means,
        shared ones the mean over components.
        """

    @abc.abstractmethod
    def same_for_all(self, covariance: np.ndarray, n_components: int) -> np.ndarray:
        """Every component given one (d, d) covariance (projected onto this structure)."""

    def floor_collapsed(
        self,
        covariances: np.ndarray,
        n_components: int,
        n_features: int,
        minimum: float,
        resolution: Any = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Covariances whose collapsed components have no eigenvalue below ``minimum``.

        A component has collapsed when its matrix is not numerically positive
        definite: its smallest eigenvalue is at most ``n_features * eps``
        times its largest, or at most ``resolution`` (per component: what the
        arithmetic that summed the statistics can resolve; see
        :func:`~latentem.mixture.statistics.variance_resolution`). That is a
        rank-deficient scatter (fewer distinct points than features) or a
        feature constant in the component.
        Its eigenvalues below ``minimum`` are raised to ``minimum``, the
        eigenvectors kept; the other components keep their matrices (the
        input is returned as it is when nothing collapsed). Matrices with
        NaN or infinite entries are left for the caller's checks. The
        default works on :meth:`full_matrices` and projects back with
        :meth:`from_full_matrices`, which is exact for structures whose
        family holds the floored matrices (full, diag, spherical,
        tied); for the others it raises a ValueError when the projection
        does not honour the floor.

        Returns
        -------
        covariances : ndarray
            In this structure's layout (the input itself when nothing collapsed).
        collapsed : ndarray of bool of shape (n_components,)

        Examples
        --------
        >>> import numpy as np
        >>> from latentem.mixture import covariance_type
        >>> floored, collapsed = covariance_type("diag").floor_collapsed(
        ...     np.array([[1.0, 0.0], [2.0, 3.0]]), 2, 2, 1e-3)
        >>> floored.tolist(), collapsed.tolist()
        ([[1.0, 0.001], [2.0, 3.0]], [True, False])
        """
        matrices = self.full_matrices(covariances, n_components, n_features)
        if not np.all(np.isfinite(matrices)):
            return covariances, np.zeros(n_components, dtype=bool)
        eigenvalues, eigenvectors = np.linalg.eigh(matrices)
        largest = np.max(np.abs(eigenvalues), axis=-1)
        collapsed = not_positive_definite(eigenvalues[:, 0], largest, n_features, resolution)
        if not collapsed.any() or minimum <= 0:
            return covariances, collapsed
        raised = np.maximum(eigenvalues[collapsed], minimum)
        matrices[collapsed] = (eigenvectors[collapsed] * raised[:, None, :]) @ np.swapaxes(
            eigenvectors[collapsed], -1, -2
        )
        floored = self.from_full_matrices((matrices + np.swapaxes(matrices, -1, -2)) / 2.0)
        check = np.linalg.eigvalsh(self.full_matrices(floored, n_components, n_features))
        if np.any(check[collapsed, 0] < minimum * (1.0 - 1e-8)):
            raise ValueError(
                f"covariance_type={self.name!r} cannot floor a collapsed covariance at "
                f"{minimum:g} (the floored matrices leave the structure); use a covariance "
                "prior, fewer components, or a structure with free covariances"
            )
        return floored, collapsed

    def weakest_variances(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> Weakest:
        """Each component's smallest variance, the direction it lies along, and its scale.

        What :mod:`latentem.mixture.degenerate` judges a collapse by. The
        default works on :meth:`full_matrices` (the smallest eigenvalue, its
        eigenvector, and the largest eigenvalue as the scale: eigenvalues are
        computed to about ``n_features * eps`` times it); a structure
        holding each variance on its own overrides it (the variance is then
        its own scale).

        Returns
        -------
        Weakest
            ``(variance, direction, scale)``, of shapes (n_components,),
            (n_components, n_features) and (n_components,); NaN where a
            covariance is not finite.

        Examples
        --------
        >>> import numpy as np
        >>> from latentem.mixture import covariance_type
        >>> matrix = np.array([[[2.0, 1.0], [1.0, 2.0]]])
        >>> weakest = covariance_type("full").weakest_variances(matrix, 1, 2)
        >>> weakest.variance, weakest.scale, np.abs(weakest.direction).round(4)
        (array([1.]), array([3.]), array([[0.7071, 0.7071]]))
        """
        matrices = self.full_matrices(
            np.asarray(covariances, dtype=float), n_components, n_features
        )
        return weakest_of_matrices(matrices)

    def to_vector(self, covariances: np.ndarray) -> np.ndarray:
        """The covariances as a 1-D vector without duplicated entries (SQUAREM's layout)."""
        return np.asarray(covariances, dtype=float).ravel()

    def from_vector(self, vector: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
        """Inverse of :meth:`to_vector`."""
        return vector.reshape(self.parameter_shape(n_components, n_features))

    def independent_view(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> tuple[CovarianceType, np.ndarray]:
        """A structure without shared parameters and its covariances, same densities.

        ``covariances`` may carry leading group axes (one set of ``n_components``
        per HMM state). Shared structures expand to one matrix per component.
        """
        return self, covariances

    def group_terms(
        self, numerator: np.ndarray, denominator: np.ndarray, n_groups: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Map-update terms of the :meth:`independent_view`, pooled back per group."""
        return numerator, denominator

    # -- factors --------------------------------------------------------------

    @abc.abstractmethod
    def precisions_cholesky(self, covariances: np.ndarray) -> np.ndarray:
        """Cholesky factors of the precisions; ValueError naming the component if not PD."""

    @abc.abstractmethod
    def covariances_from_precisions(self, precisions: np.ndarray) -> np.ndarray:
        """Invert user-given precisions, checking they are symmetric positive definite."""

    @abc.abstractmethod
    def precisions(self, precisions_cholesky: np.ndarray) -> np.ndarray:
        """Precisions from their Cholesky factors."""

    @abc.abstractmethod
    def log_det_cholesky(self, precisions_cholesky: np.ndarray, n_features: int) -> np.ndarray:
        """``log det U`` per component, i.e. half the log-determinant of the precision."""

    # -- maximum likelihood -----------------------------------------------------

    @abc.abstractmethod
    def shift_scatter(self, delta: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """The scatter term ``sum_k weight_k delta_k delta_k^T`` in the scatter layout.

        Used when two chunks' statistics about different means are merged.
        """

    @abc.abstractmethod
    def covariances_from_scatter(
        self,
        scatter: np.ndarray,
        counts: np.ndarray,
        reg_covar: float,
        previous: np.ndarray,
    ) -> np.ndarray:
        """M-step: covariances from scatter and counts; empty components keep ``previous``."""

    # -- missing data -----------------------------------------------------------

    def conditionals(
        self,
        X: np.ndarray,
        means: np.ndarray,
        precisions_cholesky: np.ndarray,
        residuals: bool = False,
    ) -> Conditionals:
        """Observed-data densities and conditional moments of rows with NaN entries.

        The default works per missingness pattern on full precision matrices,
        with scatter in the (k, d, d) layout; see :mod:`latentem.mixture.missing`.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Data with NaN marking missing entries (rows may be complete or have
            no observed entry at all).
        means : ndarray of shape (n_components, n_features)
        precisions_cholesky : ndarray
            In this structure's layout.
        residuals : bool, default=False
            Also compute the completions (needed for statistics and imputation).

        Examples
        --------
        >>> import numpy as np
        >>> from scipy import stats
        >>> from latentem.mixture import covariance_type
        >>> full = covariance_type("full")
        >>> factor = full.precisions_cholesky(np.array([[[2.0, 0.8], [0.8, 1.0]]]))
        >>> X = np.array([[np.nan, 0.5], [1.0, 2.0]])
        >>> c = full.conditionals(X, np.zeros((1, 2)), factor, residuals=True)
        >>> bool(np.isclose(c.log_prob[0, 0], stats.norm(0, 1).logpdf(0.5)))
        True
        >>> c.residuals[0, 0]  # E[x_0 | x_1 = 0.5] = 0.8 * 0.5
        array([0.4, 0.5])
        """
        from latentem.mixture.missing import pattern_conditionals

        n_features = means.shape[1]
        precisions = self.precisions(precisions_cholesky).reshape(-1, n_features, n_features)
        return pattern_conditionals(X, means, precisions, residuals, summed=False)

    # -- the mixture's prior: a NormalInverseWishart shared by the components ----

    def _no_prior(self, which: str) -> ValueError:
        return ValueError(
            f"covariance_type={self.name!r} has no MAP update under a {which}; fit it "
            "without a prior (prior=None) or pick a covariance_type that has one"
        )

    def niw_flat_dof(self, n_components: int, n_features: int) -> float:
        """The dof for which, with zero scale and shrinkage, MAP equals maximum likelihood.

        It is minus the shift from a normal-inverse-Wishart's dof to the
        :class:`~latentem.hmm.GaussianPrior` dof of the same MAP update.
        """
        raise self._no_prior("NormalInverseWishart prior")

    def niw_flat_scale(self, n_features: int) -> Any:
        """The zero scale of the flat prior, in the layout :meth:`niw_is_proper` takes."""
        return np.zeros(n_features)

    def niw_default_scale(self, covariance: np.ndarray, factor: float, n_samples: float) -> Any:
        """mclust's ``defaultPrior`` scale from the data covariance (d, d)."""
        raise self._no_prior("NormalInverseWishart prior")

    def niw_is_proper(self, niw: NormalInverseWishart) -> bool:
        """Whether the prior determines a component that has no data.

        Raises a ValueError if the prior's scale does not suit this structure.
        """
        raise self._no_prior("NormalInverseWishart prior")

    def niw_log_pdf(
        self, niw: NormalInverseWishart, means: np.ndarray, covariances: np.ndarray
    ) -> float:
        """Log-density of all the components' means and covariances."""
        raise self._no_prior("NormalInverseWishart prior")

    def niw_conjugate(self, niw: NormalInverseWishart, n_components: int) -> tuple[Any, Any]:
        """``(scale, dof)`` of the :class:`~latentem.hmm.GaussianPrior` with the same MAP update.

        By default the scale is ``niw``'s for every component and the dof is
        shifted by :meth:`niw_flat_dof`. A structure whose MAP update puts the
        prior's scale or dof on its shared parts differently (mclust's
        constrained structures) gives its own.
        """
        k, d = n_components, niw.n_features
        dof = niw.dof - self.niw_flat_dof(k, d)
        scale = self.same_for_all(niw.full_scale(), k)
        return scale, np.full(self.conjugate_dof_shape(k, d), dof)

    # -- the HMM emissions' conjugate prior (hmmlearn's form) -----------------------

    def conjugate_dof_shape(self, n_components: int, n_features: int) -> tuple[int, ...]:
        """Shape of the prior's degrees of freedom: one per covariance entry that has its own."""
        raise self._no_prior("GaussianPrior")

    def conjugate_check_scale(self, scale: np.ndarray) -> None:
        """``Psi`` must be a covariance: non-negative variances or symmetric PSD matrices."""
        raise self._no_prior("GaussianPrior")

    def conjugate_log_density(
        self, delta: np.ndarray, prior: Any, precisions_cholesky: np.ndarray, covariances: Any
    ) -> float:
        """Log prior density, up to a constant, with ``delta = mu - mu_0``.

        ``prior`` is a :class:`~latentem.hmm.GaussianPrior` (``means_weight``,
        ``scale``, ``dof``).
        """
        raise self._no_prior("GaussianPrior")

    def conjugate_terms(
        self, counts: np.ndarray, scatter: np.ndarray, shift: np.ndarray, delta: Any, prior: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """Numerator and denominator of the MAP covariances (see ``GaussianPrior``).

        ``shift`` is the data means minus the centre of the scatter, ``delta``
        the new means minus the prior's.
        """
        raise self._no_prior("GaussianPrior")

    def symmetrised(self, covariances: np.ndarray) -> np.ndarray:
        """Covariances with rounding asymmetry removed (matrices only)."""
        return covariances

    def regularise_terms(
        self,
        numerator: np.ndarray,
        denominator: np.ndarray,
        reg_covar: float,
        n_components: int,
        n_features: int,
    ) -> tuple[np.ndarray, Any]:
        """``reg_covar`` in the MAP update: ``(numerator, plus)``, ``plus`` added after division.

        By default ``reg_covar`` is added to the diagonal of the divided
        covariances (scikit-learn's rule). A structure whose maximiser is not
        linear in the terms adds ``reg_covar`` times the denominator to the
        numerator's diagonal instead, as its maximum-likelihood M-step adds
        ``n_k reg_covar`` to each scatter, so the result keeps its structure.
        """
        if not reg_covar:
            return numerator, 0.0
        return numerator, reg_covar * self.same_for_all(np.eye(n_features), n_components)

    def divide_terms(
        self, numerator: np.ndarray, denominator: np.ndarray, previous: np.ndarray
    ) -> np.ndarray:
        """The MAP covariances from :meth:`conjugate_terms`; ``previous`` where nothing is known.

        By default ``numerator / denominator`` (symmetrised) where the
        denominator is positive. A structure with constraints between
        components maximises over them instead (the terms are then an
        augmented scatter and weight). ``numerator`` may carry a leading
        group axis (:meth:`group_terms`).
        """
        usable = denominator > 0
        covariances = self.symmetrised(numerator / np.where(usable, denominator, 1.0))
        return np.where(usable, covariances, previous)

    def hmmlearn_prior(
        self, n_states: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(scale, dof)`` of hmmlearn's GaussianHMM ``covars_prior``, ``covars_weight``."""
        raise self._no_prior("GaussianPrior (hmmlearn's covars_prior)")

    def hmmlearn_mixture_prior(
        self, n_states: int, n_mix: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[CovarianceType, np.ndarray, np.ndarray]:
        """``(structure, scale, dof)`` of hmmlearn's GMMHMM arguments (None: its defaults).

        The prior covers the ``n_states * n_mix`` components flattened
        state-major, in the layout of :meth:`independent_view`'s structure.
        """
        raise self._no_prior("GaussianPrior (hmmlearn's covars_prior)")
