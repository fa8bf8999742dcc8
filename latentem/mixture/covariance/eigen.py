"""mclust's ten constrained structures: ``Sigma_k = lambda_k D_k A_k D_k^T``, parts shared.

Celeux and Govaert (1995) write a covariance as a volume ``lambda_k`` (a
scalar), a shape ``A_k`` (a diagonal matrix of determinant 1) and an
orientation ``D_k`` (an orthogonal matrix); each of the three is equal for
all components (E), varies (V) or, for the shape and orientation, is the
identity (I). mclust names a structure by these three letters. Four of its
fourteen are scikit-learn's (VVV ``full``, VVI ``diag``, VII ``spherical``,
EEE ``tied``); the other ten are here, each one class stored as full
matrices (k, d, d) and evaluated by the full kernel.

The M-step maximises ``-sum_k [tr(W_k Sigma_k^-1) + n_k log |Sigma_k|] / 2``
over the structure, with ``W_k`` a component's scatter and ``n_k`` its
weight: in closed form where one exists (EII, EEI, EVI, EEV, EVV), otherwise
by alternating closed-form updates of the parts (VEI, VEE, VEV) or, for a
common orientation with varying shapes (EVE, VVE), by the minorise-maximise
update of Browne and McNicholas (2014). Every iterative update starts from
the previous parameters and never lowers the objective, so EM stays monotone.

The mixture's prior (mclust's ``priorControl``) is mclust's for the six
structures whose EM takes it (EII, EEI, VEI, EVI, EEV, VEV; see
:mod:`.eigen_prior`); mclust has none for VEE, EVE, VVE and EVV, nor has latentem.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from latentem.mixture.covariance import eigen_prior
from latentem.mixture.covariance.base import CovarianceType
from latentem.mixture.covariance.full import ComponentMatrices, FullCovariance

if TYPE_CHECKING:
    from latentem.distributions.priors import NormalInverseWishart

__all__ = [
    "EigenCovariance",
    "MclustPriorCovariance",
    "Parts",
    "decompose",
]

# Alternating and minorise-maximise updates stop when no covariance entry moves by more
# than this, relative to the largest entry (or after _MAX_ROUNDS rounds).
_RTOL = 1e-13
# the objective's rounding, relative to its size, over one round of updates
_ROUNDING = 1e-13
_MAX_ROUNDS = 10_000
_EPSILON = float(np.finfo(np.float64).eps)
# rounds of the common-orientation update per M-step inside EM (see _CommonOrientation)
_EM_ROUNDS = 25

_FULL = FullCovariance()

#: (volumes (k,), shapes (k, d), orientations (k, d, d)): ``Sigma_k = v_k D_k diag(a_k) D_k^T``.
Parts = tuple[np.ndarray, np.ndarray, np.ndarray]


def _geometric_mean(values: np.ndarray) -> np.ndarray:
    """Geometric mean over the last axis (0 if any value is 0)."""
    with np.errstate(divide="ignore"):
        return np.exp(np.mean(np.log(values), axis=-1))


def _normalised(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(g, values / g)`` with ``g`` the geometric mean: a volume and a shape of det 1."""
    volume = _geometric_mean(values)
    return volume, values / volume[..., None]


def _eigen_descending(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (largest first) and eigenvectors of symmetric matrices."""
    values, vectors = np.linalg.eigh(matrices)
    return values[..., ::-1], vectors[..., ::-1]


def _rotated_diagonal(scatter: np.ndarray, orientations: np.ndarray) -> np.ndarray:
    """``diag(D_k^T W_k D_k)`` for every component (k, d)."""
    return np.einsum("kij,kil,klj->kj", orientations, scatter, orientations)


def _objective(scatter: np.ndarray, counts: np.ndarray, parts: Parts) -> float:
    """``sum_k tr(W_k Sigma_k^-1) + n_k log |Sigma_k|`` (to be minimised)."""
    volumes, shapes, orientations = parts
    eigenvalues = volumes[:, None] * shapes
    rotated = _rotated_diagonal(scatter, orientations)
    return float(np.sum(rotated / eigenvalues) + np.sum(counts * np.log(eigenvalues).sum(axis=1)))


def _iterate(
    update: Callable[[Parts], Parts],
    parts: Parts,
    scatter: np.ndarray,
    counts: np.ndarray,
    max_rounds: int = _MAX_ROUNDS,
) -> Parts:
    """Repeat a monotone ``update`` until the covariances stop moving.

    The stop is on the covariances, not on the objective, whose flatness at
    the maximum would leave them start-dependent at the square root of its
    tolerance; near the maximum the objective moves by rounding only, and a
    round that raises it by more (or gives NaN, a collapsed component) ends
    the loop.
    """
    value, current = _objective(scatter, counts, parts), _assemble(parts)
    for _ in range(max_rounds):
        candidate = update(parts)
        new_value = _objective(scatter, counts, candidate)
        if not new_value <= value + _ROUNDING * abs(value):
            return parts if np.isfinite(value) else candidate
        covariances = _assemble(candidate)
        moved = np.max(np.abs(covariances - current)) / np.max(np.abs(covariances))
        parts, value, current = candidate, new_value, covariances
        if not moved > _RTOL:
            break
    return parts


def _from_best_start(
    update: Callable[[Parts], Parts],
    starts: list[Parts],
    scatter: np.ndarray,
    counts: np.ndarray,
    max_rounds: int = _MAX_ROUNDS,
) -> Parts:
    """Iterate ``update`` from the best of ``starts`` after one update of each.

    One start comes from the previous parameters, so the result is never
    worse than they are (a generalised EM step at the least).
    """

    def objective(parts: Parts) -> float:
        value = _objective(scatter, counts, parts)
        return value if np.isfinite(value) else np.inf

    # previous parameters that are not covariances yet (zeros before the first M-step) are
    # no start; the other start is computed from the scatter alone
    usable = [p for p in starts if all(np.all(np.isfinite(part)) for part in p)]
    usable = [p for p in usable if np.all(p[1] > 0)] or starts[:1]
    best = min(map(update, usable), key=objective)
    return _iterate(update, best, scatter, counts, max_rounds)


def decompose(covariances: np.ndarray, orientations: np.ndarray | None = None) -> Parts:
    """Volumes, shapes and orientations of (k, d, d) covariance matrices.

    Parameters
    ----------
    covariances : ndarray of shape (n_components, n_features, n_features)
    orientations : ndarray of shape (n_components, n_features, n_features), optional
        Express the shapes in these orientations (the diagonal of
        ``D_k^T Sigma_k D_k``) instead of the eigenvectors.

    Returns
    -------
    volumes : ndarray of shape (n_components,)
        ``|Sigma_k|^(1/d)``.
    shapes : ndarray of shape (n_components, n_features)
        Eigenvalues over the volume, largest first (determinant 1).
    orientations : ndarray of shape (n_components, n_features, n_features)
        Eigenvectors as columns.

    Examples
    --------
    >>> import numpy as np
    >>> volumes, shapes, orientations = decompose(np.array([[[4.0, 0.0], [0.0, 1.0]]]))
    >>> volumes, shapes
    (array([2.]), array([[2. , 0.5]]))
    """
    if orientations is None:
        values, orientations = _eigen_descending(covariances)
    else:
        values = _rotated_diagonal(covariances, orientations)
    volumes, shapes = _normalised(values)
    return volumes, shapes, orientations


class EigenCovariance(ComponentMatrices):
    """Base of mclust's constrained structures, stored as (k, d, d) matrices.

    A subclass sets :attr:`name` (mclust's three letters, volume, shape,
    orientation) and gives :meth:`fit_parts`, the structure's maximiser.
    The rest follows from the letters: the empty components keep their own
    parts from the previous parameters and take the shared ones from the
    others; ``reg_covar`` adds ``n_k * reg_covar`` to each scatter's diagonal
    before the M-step (for VVV, VVI, VII and EEE this is scikit-learn's rule
    of adding ``reg_covar`` to the diagonal afterwards), so every result has
    the structure.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import covariance_type
    >>> eev = covariance_type("EEV")
    >>> scatter = np.array([[[4.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 4.0]]])
    >>> eev.covariances_from_scatter(scatter, np.array([1.0, 1.0]), 0.0, scatter)
    array([[[4., 0.],
            [0., 1.]],
    <BLANKLINE>
           [[1., 0.],
            [0., 4.]]])
    """

    letters: ClassVar[str]  # volume, shape, orientation: each "E", "V" or "I"

    def fit_parts(self, scatter: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> Parts:
        """The structure's parts minimising ``sum_k tr(W_k Sigma_k^-1) + n_k log|Sigma_k|``.

        ``scatter`` (k, d, d) and ``counts`` (k,) cover the components with
        weight; ``previous`` (k, d, d) are their previous covariances, where
        iterative updates may begin.
        """
        raise NotImplementedError

    def covariances_from_scatter(
        self, scatter: np.ndarray, counts: np.ndarray, reg_covar: float, previous: np.ndarray
    ) -> np.ndarray:
        d = scatter.shape[-1]
        occupied = counts > 0
        previous = np.asarray(previous, dtype=float)
        regularised = scatter + (reg_covar * counts)[:, None, None] * np.eye(d)
        # a collapsed component gives zeros and NaN here, refused with advice by the factors
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            try:
                fitted = self.fit_parts(regularised[occupied], counts[occupied], previous[occupied])
            except np.linalg.LinAlgError:  # NaN from a collapsed component
                nan = [np.full_like(p, np.nan) for p in decompose(previous[occupied])]
                fitted = (nan[0], nan[1], nan[2])
            volumes, shapes, orientations = decompose(previous)
            parts = (np.array(volumes), np.array(shapes), np.array(orientations))
        for own, new, old in zip(self.letters, fitted, parts, strict=True):
            old[occupied] = new
            if own != "V":  # shared: the empty components take it too
                old[~occupied] = new[0]
        if not occupied.all() and self.letters[1:] in ("VE", "VI"):
            # an empty component keeps its volume (as decomposed) and its shape as seen
            # in the new shared orientation
            parts[1][~occupied] = decompose(previous[~occupied], parts[2][~occupied])[1]
        return _assemble(parts)

    # -- the conjugate prior: its terms are an augmented scatter and weight (the MAP
    # objective has the maximum-likelihood form), so the structure's own maximiser divides

    def divide_terms(
        self, numerator: np.ndarray, denominator: np.ndarray, previous: np.ndarray
    ) -> np.ndarray:
        if numerator.ndim == 4:  # one group of components per HMM state (GMMHMM)
            parts = zip(numerator, denominator, previous, strict=True)
            return np.stack([self.divide_terms(*group) for group in parts])
        weights = np.reshape(denominator, -1)
        return self.covariances_from_scatter(numerator, weights, 0.0, previous)

    def regularise_terms(
        self,
        numerator: np.ndarray,
        denominator: np.ndarray,
        reg_covar: float,
        n_components: int,
        n_features: int,
    ) -> tuple[np.ndarray, Any]:
        # the maximum-likelihood rule: reg_covar times the weight on the scatter's diagonal
        if not reg_covar:
            return numerator, 0.0
        weights = np.reshape(denominator, (-1, 1, 1))
        return numerator + reg_covar * weights * np.eye(n_features), 0.0

    def _no_prior(self, which: str) -> ValueError:
        if not which.startswith("NormalInverseWishart"):
            return super()._no_prior(which)
        from latentem.mixture.covariance import COVARIANCE_TYPES

        supported = ", ".join(
            (s.aliases or (s.name,))[0] for s in COVARIANCE_TYPES.values() if s.supports_niw_prior
        )
        return ValueError(
            f"covariance_type={self.name!r} has no MAP update under the mixture's "
            f"NormalInverseWishart prior, and mclust has none for it either (its "
            f"priorControl() gives NA for VEE, EVE, VVE and EVV); fit it without a prior "
            f"(prior=None) or pick a covariance_type that has one: {supported}"
        )

    def independent_view(
        self, covariances: np.ndarray, n_components: int, n_features: int
    ) -> tuple[CovarianceType, np.ndarray]:
        return _FULL, covariances

    def group_terms(
        self, numerator: np.ndarray, denominator: np.ndarray, n_groups: int
    ) -> tuple[np.ndarray, np.ndarray]:
        d = numerator.shape[-1]
        return numerator.reshape(n_groups, -1, d, d), denominator.reshape(n_groups, -1, 1, 1)

    def hmmlearn_mixture_prior(
        self, n_states: int, n_mix: int, n_features: int, covars_prior: Any, covars_weight: Any
    ) -> tuple[CovarianceType, np.ndarray, np.ndarray]:
        # the constraints hold between the Gaussians of a state (group_terms); the prior
        # is each Gaussian's, as for full
        return _FULL.hmmlearn_mixture_prior(
            n_states, n_mix, n_features, covars_prior, covars_weight
        )

    def from_full_matrices(self, matrices: np.ndarray) -> np.ndarray:
        """The structure's maximum-likelihood fit to the matrices, each of weight 1."""
        matrices = np.asarray(matrices, dtype=float)
        return self.covariances_from_scatter(matrices, np.ones(len(matrices)), 0.0, matrices)

    def same_for_all(self, covariance: np.ndarray, n_components: int) -> np.ndarray:
        repeated = np.repeat(np.asarray(covariance, dtype=float)[None], n_components, axis=0)
        return self.from_full_matrices(repeated)

    def from_vector(self, vector: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
        # an extrapolated vector (SQUAREM) leaves the structure: project it back
        return self.from_full_matrices(super().from_vector(vector, n_components, n_features))


class MclustPriorCovariance(EigenCovariance):
    """Base of the structures that take mclust's ``priorControl`` (:mod:`.eigen_prior`).

    A subclass gives :meth:`mclust_prior`, how mclust's EM shares the prior
    out between the components; the conjugate form, the flat dof and the
    density follow.
    """

    #: the covariances are diagonal, so the scale is a variance (scalar or per feature)
    diagonal: ClassVar[bool] = False

    def mclust_prior(self, n_components: int, n_features: int) -> tuple[float, float, float]:
        """``(share, offset, divisor)``: each component's scale is ``share * Lambda`` and
        its dof, added to its weight, ``(nu + offset) / divisor``."""
        raise NotImplementedError

    def niw_conjugate(
        self, niw: NormalInverseWishart, n_components: int
    ) -> tuple[np.ndarray, np.ndarray]:
        share, offset, divisor = self.mclust_prior(n_components, niw.n_features)
        dof = (niw.dof + offset) / divisor
        return eigen_prior.conjugate(niw, n_components, share, dof, self.diagonal)

    def niw_flat_dof(self, n_components: int, n_features: int) -> float:
        return -self.mclust_prior(n_components, n_features)[1]

    def niw_default_scale(self, covariance: np.ndarray, factor: float, n_samples: float) -> Any:
        if self.diagonal:
            return eigen_prior.variance_scale(covariance, factor)
        return super().niw_default_scale(covariance, factor, n_samples)

    def niw_is_proper(self, niw: NormalInverseWishart) -> bool:
        return eigen_prior.is_proper(self, niw)

    def niw_log_pdf(
        self, niw: NormalInverseWishart, means: np.ndarray, covariances: np.ndarray
    ) -> float:
        return eigen_prior.log_pdf(self, niw, means, covariances)


def _assemble(parts: Parts) -> np.ndarray:
    volumes, shapes, orientations = parts
    scaled = orientations * (volumes[:, None] * shapes)[:, None, :]
    covariances = scaled @ np.swapaxes(orientations, -1, -2)
    return 0.5 * (covariances + np.swapaxes(covariances, -1, -2))


def _shared(values: np.ndarray, k: int) -> np.ndarray:
    return np.repeat(values[None], k, axis=0)


def _identities(k: int, d: int) -> np.ndarray:
    return np.repeat(np.eye(d)[None], k, axis=0)


class EII(MclustPriorCovariance):
    """One spherical covariance for all components: ``lambda I`` (1 parameter).

    Examples
    --------
    >>> EII().n_parameters(n_components=3, n_features=2)
    1
    """

    name = "EII"
    letters = "EII"

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return 1

    def fit_parts(self, scatter: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> Parts:
        k, d = scatter.shape[:2]
        volume = np.trace(scatter, axis1=1, axis2=2).sum() / (d * counts.sum())
        return np.full(k, volume), np.ones((k, d)), _identities(k, d)

    # -- mclust's prior (meeiip, which leaves the scale out):
    # sum_k [tr W_k + c_k |delta_k|^2] / (nu + (n + K) d + 2)
    diagonal = True

    def mclust_prior(self, n_components: int, n_features: int) -> tuple[float, float, float]:
        return (0.0, n_features * n_components + 2.0, n_features * n_components)


class EEI(MclustPriorCovariance):
    """One diagonal covariance for all components: ``lambda A`` (d parameters).

    Examples
    --------
    >>> EEI().n_parameters(n_components=3, n_features=2)
    2
    """

    name = "EEI"
    letters = "EEI"

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_features

    def fit_parts(self, scatter: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> Parts:
        k, d = scatter.shape[:2]
        volume, shape = _normalised(np.einsum("kii->i", scatter) / counts.sum())
        return np.full(k, volume), _shared(shape, k), _identities(k, d)

    # -- mclust's prior (meeeip): diag(Lambda + sum_k [W_k + c_k delta_k delta_k^T])
    # / (n + nu + 2), the scale once
    diagonal = True

    def mclust_prior(self, n_components: int, n_features: int) -> tuple[float, float, float]:
        return (1.0 / n_components, 2.0, n_components)


class VEI(MclustPriorCovariance):
    """Diagonal covariances of one shape and their own volumes: ``lambda_k A``.

    Alternates the volumes and the shape (each update in closed form).

    Examples
    --------
    >>> VEI().n_parameters(n_components=3, n_features=2)
    4
    """

    name = "VEI"
    letters = "VEI"

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return n_components + n_features - 1

    def fit_parts(self, scatter: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> Parts:
        k, d = scatter.shape[:2]
        diagonals = np.einsum("kii->ki", scatter)
        identities = _identities(k, d)

        def update(parts: Parts) -> Parts:
            shape = parts[1][0]
            volumes = (diagonals / shape).sum(axis=1) / (d * counts)
            _, shape = _normalised((diagonals / volumes[:, None]).sum(axis=0))
            return volumes, _shared(shape, k), identities

        def with_shape(values: np.ndarray) -> Parts:
            return np.ones(k), _shared(_normalised(values)[1], k), identities

        starts = [with_shape(diagonals.sum(axis=0)), with_shape(np.diag(previous[0]))]
        return _from_best_start(update, starts, scatter, counts)

    # -- mclust's prior (meveip): Lambda + W_k + c_k delta_k delta_k^T per component,
    # lambda_k = tr(A^-1 B_k) / (d n_k + nu + 3)
    diagonal = True

    def mclust_prior(self, n_components: int, n_features: int) -> tuple[float, float, float]:
        return (1.0, 3.0, n_features)


class EVI(MclustPriorCovariance):
    """Diagonal covariances of one volume and their own shapes: ``lambda A_k``.

    Examples
    --------
    >>> EVI().n_parameters(n_components=3, n_features=2)
    4
    """

    name = "EVI"
    letters = "EVI"

    def n_parameters(self, n_components: int, n_features: int) -> int:
        return 1 + n_components * (n_features - 1)

    def fit_parts(self, scatter: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> Parts:
        k, d = scatter.shape[:2]
        volumes, shapes = _normalised(np.einsum("kii->ki", scatter))
        return np.full(k, volumes.sum() / counts.sum()), shapes, _identities(k, d)

    # -- mclust's prior (meevip): Lambda + W_k + c_k delta_k delta_k^T per component,
    # lambda = sum_k |B_k|^(1/d) / (n + nu + 2)
    diagonal = True

    def mclust_prior(self, n_components: int, n_features: int) -> tuple[float, float, float]:
        return (1.0, 2.0, n_components)


class VEE(EigenCovariance):
    """One correlation structure, scaled per component: ``lambda_k C``, ``|C| = 1``.

    Alternates the volumes and ``C`` (each update in closed form).

    Examples
    --------
    >>> VEE().n_parameters(n_components=3, n_features=2)
    5
    """

    name = "VEE"
    letters = "VEE"

    def n_parameters(self, n_components: int, n_features: int) -> int:
        d = n_features
        return n_components + (d - 1) + d * (d - 1) // 2

    def fit_parts(self, scatter: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> Parts:
        k, d = scatter.shape[:2]

        def update(parts: Parts) -> Parts:
            shape, orientation = parts[1][0], parts[2][0]
            rotated = _rotated_diagonal(scatter, _shared(orientation, k))
            volumes = (rotated / shape).sum(axis=1) / (d * counts)
            pooled = (scatter / volumes[:, None, None]).sum(axis=0)
            _, shapes, orientations = decompose(pooled[None])
            return volumes, _shared(shapes[0], k), _shared(orientations[0], k)

        def with_correlation(matrix: np.ndarray) -> Parts:
            _, shapes, orientations = decompose(matrix[None])
            return np.ones(k), _shared(shapes[0], k), _shared(orientations[0], k)

        starts = [with_correlation(scatter.sum(axis=0)), with_correlation(previous[0])]
        return _from_best_start(update, starts, scatter, counts)


def _shifted(scatter: np.ndarray) -> np.ndarray:
    """``w_k I - W_k`` with ``w_k`` the largest eigenvalue of ``W_k`` (positive semidefinite)."""
    largest = np.linalg.eigvalsh(scatter)[:, -1]
    return largest[:, None, None] * np.eye(scatter.shape[-1]) - scatter


def _common_orientation_step(
    shifted: np.ndarray, eigenvalues: np.ndarray, orientation: np.ndarray
) -> np.ndarray:
    """One minorise-maximise step for a common orientation (Browne and McNicholas 2014).

    ``sum_k tr(W_k D diag(1 / e_k) D^T)`` is majorised at ``D`` using ``W_k <=
    w_k I`` (``w_k`` the largest eigenvalue of ``W_k``); the bound's minimum
    over orthogonal matrices is ``U V^T`` from the SVD of
    ``sum_k (w_k I - W_k) D diag(1 / e_k)`` (``shifted`` holds ``w_k I - W_k``).
    """
    pulled = (shifted @ orientation / eigenvalues[:, None, :]).sum(axis=0)
    left, _, right = np.linalg.svd(pulled)
    return left @ right


def _flat(parts: Parts) -> bool:
    """Whether some component's eigenvalues include one that is zero to rounding."""
    values = parts[0][:, None] * parts[1]
    if not np.all(np.isfinite(values)):
        return True
    largest = values.max(axis=1)
    return not np.all(values.min(axis=1) > values.shape[1] * _EPSILON * largest)


class _CommonOrientation(EigenCovariance):
    """Base of EVE and VVE: one orientation ``D``, shapes per component."""

    # inside EM a few minorise-maximise rounds from the previous orientation (below)
    exact_maximiser = False

    @staticmethod
    def _alone(previous: np.ndarray) -> bool:
        """Whether the previous covariances give no orientation to continue from."""
        values = np.linalg.eigvalsh(previous) if np.all(np.isfinite(previous)) else None
        return values is None or not np.all(values > 0)

    def eigenvalues(self, rotated: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """The best ``lambda_k A_k`` (k, d) given ``diag(D^T W_k D)``."""
        raise NotImplementedError

    def fit_parts(self, scatter: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> Parts:
        k = scatter.shape[0]

        def given(orientation: np.ndarray) -> Parts:
            orientations = _shared(orientation, k)
            values = self.eigenvalues(_rotated_diagonal(scatter, orientations), counts)
            volumes, shapes = _normalised(values)
            return volumes, shapes, orientations

        def update(parts: Parts) -> Parts:
            values = parts[0][:, None] * parts[1]
            return given(_common_orientation_step(shifted, values, parts[2][0]))

        shifted = _shifted(scatter)  # the same for every round
        starts = [
            given(_eigen_descending(m)[1]) for m in (scatter.sum(axis=0), previous.sum(axis=0))
        ]
        if _flat(starts[0]):
            # a component without spread (to rounding) along an axis of the pooled scatter:
            # a singular scatter (reg_covar=0), whose shape can flatten without end, so
            # there is no maximum; NaN has the fit refuse it with advice, where going on
            # from the other start would return a covariance that maximises nothing
            volumes, shapes, orientations = (np.full_like(p, np.nan) for p in starts[0])
            return volumes, shapes, orientations
        # the minorise-maximise steps converge slowly (hundreds of rounds to a still
        # orientation): within EM a few rounds from the previous orientation make a
        # generalised M-step with the same fixed points, and EM's own iterations finish
        # the work; alone (no previous orientation) it runs to convergence
        rounds = _MAX_ROUNDS if self._alone(previous) else _EM_ROUNDS
        return _from_best_start(update, starts, scatter, counts, rounds)


class EVE(_CommonOrientation):
    """One volume and orientation, shapes per component: ``lambda D A_k D^T``.

    Examples
    --------
    >>> EVE().n_parameters(n_components=3, n_features=2)
    5
    """

    name = "EVE"
    letters = "EVE"

    def n_parameters(self, n_components: int, n_features: int) -> int:
        d = n_features
        return 1 + n_components * (d - 1) + d * (d - 1) // 2

    def eigenvalues(self, rotated: np.ndarray, counts: np.ndarray) -> np.ndarray:
        volumes, shapes = _normalised(rotated)
        return volumes.sum() / counts.sum() * shapes


class VVE(_CommonOrientation):
    """One orientation, volumes and shapes per component: ``lambda_k D A_k D^T``.

    Examples
    --------
    >>> VVE().n_parameters(n_components=3, n_features=2)
    7
    """

    name = "VVE"
    letters = "VVE"

    def n_parameters(self, n_components: int, n_features: int) -> int:
        d = n_features
        return n_components * d + d * (d - 1) // 2

    def eigenvalues(self, rotated: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return rotated / counts[:, None]


class EEV(MclustPriorCovariance):
    """One volume and shape, orientations per component: ``lambda D_k A D_k^T``.

    Examples
    --------
    >>> EEV().n_parameters(n_components=3, n_features=2)
    5
    """

    name = "EEV"
    letters = "EEV"

    def n_parameters(self, n_components: int, n_features: int) -> int:
        d = n_features
        return 1 + (d - 1) + n_components * d * (d - 1) // 2

    def fit_parts(self, scatter: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> Parts:
        k = scatter.shape[0]
        values, orientations = _eigen_descending(scatter)
        volume, shape = _normalised(values.sum(axis=0))
        return np.full(k, volume / counts.sum()), _shared(shape, k), orientations

    # -- mclust's prior (meeevp): Lambda + W_k + c_k delta_k delta_k^T per component,
    # lambda = |sum_k eigenvalues(B_k)|^(1/d) / (n + nu + d + 2)

    def mclust_prior(self, n_components: int, n_features: int) -> tuple[float, float, float]:
        return (1.0, n_features + 2.0, n_components)


class VEV(MclustPriorCovariance):
    """One shape, volumes and orientations per component: ``lambda_k D_k A D_k^T``.

    The orientations are the scatters' eigenvectors; the volumes and the
    shape alternate (each update in closed form).

    Examples
    --------
    >>> VEV().n_parameters(n_components=3, n_features=2)
    7
    """

    name = "VEV"
    letters = "VEV"

    def n_parameters(self, n_components: int, n_features: int) -> int:
        d = n_features
        return n_components + (d - 1) + n_components * d * (d - 1) // 2

    def fit_parts(self, scatter: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> Parts:
        k, d = scatter.shape[:2]
        values, orientations = _eigen_descending(scatter)

        def update(parts: Parts) -> Parts:
            volumes = (values / parts[1][0]).sum(axis=1) / (d * counts)
            _, shape = _normalised((values / volumes[:, None]).sum(axis=0))
            return volumes, _shared(shape, k), orientations

        def with_shape(shape: np.ndarray) -> Parts:
            return np.ones(k), _shared(shape, k), orientations

        pooled = _normalised(values.sum(axis=0))[1]
        starts = [with_shape(pooled), with_shape(decompose(previous[:1])[1][0])]
        return _from_best_start(update, starts, scatter, counts)

    # -- mclust's prior (mevevp): Lambda + W_k + c_k delta_k delta_k^T per component with
    # the weights n_k; the dof is not used (flat: any dof, full's is taken)
    def mclust_prior(self, n_components: int, n_features: int) -> tuple[float, float, float]:
        return (1.0, n_features + 2.0, math.inf)


class EVV(EigenCovariance):
    """One volume, shapes and orientations per component: ``lambda C_k``, ``|C_k| = 1``.

    Examples
    --------
    >>> EVV().n_parameters(n_components=3, n_features=2)
    7
    """

    name = "EVV"
    letters = "EVV"

    def n_parameters(self, n_components: int, n_features: int) -> int:
        d = n_features
        return 1 + n_components * (d - 1) + n_components * d * (d - 1) // 2

    def fit_parts(self, scatter: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> Parts:
        k = scatter.shape[0]
        values, orientations = _eigen_descending(scatter)
        volumes, shapes = _normalised(values)
        return np.full(k, volumes.sum() / counts.sum()), shapes, orientations


#: mclust's structures not among scikit-learn's four, in mclust's order.
EIGEN_STRUCTURES: tuple[EigenCovariance, ...] = (
    EII(),
    EEI(),
    VEI(),
    EVI(),
    VEE(),
    EVE(),
    VVE(),
    EEV(),
    VEV(),
    EVV(),
)
