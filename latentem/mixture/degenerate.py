"""Degenerate components: the rule that reports a collapsed fit, and the checks that refuse one.

Without regularisation the likelihood of a Gaussian mixture is unbounded: a
component can close in on fewer distinct points than it has dimensions (or
on duplicated rows, or on a feature that is constant within it), and its
covariance becomes singular. ``reg_covar`` puts a floor under every
covariance, which keeps the fit finite but not meaningful: the floor, not the
data, then sets the component's spread in some direction, and its likelihood.

The rule, one for every covariance structure (each structure finds its
components' weakest direction,
:meth:`~latentem.mixture.CovarianceType.weakest_variances`): component ``k``
is **degenerate** when the smallest variance of its covariance along any
direction, ``s_k`` along the unit vector ``u_k``, satisfies

    ``s_k <= 2 reg_covar + d eps S_k + (|u_k| . sqrt(r_k))^2``

with ``d`` the number of features, ``eps`` the rounding unit of the
arithmetic, ``S_k`` the scale that variance is computed relative to (the
largest eigenvalue of a covariance held as a matrix, the variance itself for
one held on its own) and ``r_k`` the smallest variance the statistics resolve
in each feature (:func:`~latentem.mixture.statistics.variance_resolution`:
the statistics of each component are exact relative to its own spread, so
what remains is the rounding of its mean, and for an M-step the rounding of
the statistics about the point they were summed about). The terms after
``2 reg_covar`` are rounding, negligible unless
``reg_covar`` is 0 or below the rounding of the data. So with
``reg_covar > 0`` the data contribute at most ``reg_covar`` itself in that
direction (``reg_covar`` is added to the data's variance), or nothing that
rounding does not; a fit ending so is reported
(:class:`~latentem.DegenerateFitWarning`). With ``reg_covar = 0`` the
covariance is singular to working precision, and an M-step giving one is a
``ValueError`` (:func:`check_not_singular`).

It is read off the fitted covariances alone, so it costs a few small
eigenvalue problems, no pass over the data, and gives the same answer for a
fit, a loaded model and edited parameters. Where each component owns its
volume, a collapse that lets the density grow without bound ends with a
variance at the floor, which the rule sees. A structure whose components
share their volume (EVI, EVE, EVV) keeps the density bounded, but rescales a
collapsed component's covariance by the shared volume: its collapse shows as
a flat shape rather than a variance at the floor, and the rule does not see
it (with ``reg_covar=0`` such an M-step is refused as singular all the same).

Measured with the default ``reg_covar=1e-6`` on the ``faithful`` and ``iris``
fixtures (``tests/fixtures/mclust``), 14 structures by k = 1..9 (252 fits,
``tol=1e-6``): with k-means++ starts (``random_state=0``) the rule fires on
11 fits, with mclust's hierarchical start on 3, each time on a component
whose smallest variance is at most 1.21 ``reg_covar`` (the data contribute
at most a fifth of the floor); the smallest variance of every other fit is
at least 7.9 ``reg_covar`` (EVV, a shared volume) and 14.6 ``reg_covar`` for
a structure owning its volume (VVE). The models mclust selects on both data
sets do not fire.
"""

from __future__ import annotations

import numpy as np

from latentem.mixture.covariance import CovarianceType
from latentem.mixture.statistics import variance_resolution

__all__ = [
    "FLOOR_FACTOR",
    "check_not_singular",
    "degenerate_components",
    "floor_advice",
    "floor_message",
]

#: A component is degenerate when a variance of its covariance is at most this times
#: ``reg_covar`` (the data's own contribution there is at most ``reg_covar``).
FLOOR_FACTOR = 2.0

_FLOAT64_EPSILON = float(np.finfo(np.float64).eps)

# scikit-learn's message for a collapsed fit, which latentem's errors start with
_SKLEARN_WORDING = (
    "Fitting the mixture model failed because some components have ill-defined "
    "empirical covariance (for instance caused by singleton or collapsed samples). "
    "Try to decrease the number of components, increase reg_covar, or scale the "
    "input data."
)


def _limits(
    structure: CovarianceType,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    reg_covar: float,
    machine_epsilon: float,
    references: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each component's smallest variance, and the most it may be and still be degenerate.

    The rounding has two parts along the weakest direction ``u``: that of an
    eigenvalue, ``d eps S``, and that of the statistics, ``(|u| . sqrt(r_k))^2``
    with ``r_k`` the resolution of each feature's variance
    (:func:`~latentem.mixture.statistics.variance_resolution`, about the
    ``references`` the statistics were summed about).
    """
    n_components, n_features = means.shape
    weakest = structure.weakest_variances(
        np.asarray(covariances, dtype=float), n_components, n_features
    )
    resolution = variance_resolution(weights, means, machine_epsilon, references)
    along = np.einsum("kd,kd->k", np.abs(weakest.direction), np.sqrt(resolution)) ** 2
    rounding = n_features * machine_epsilon * weakest.scale + along
    return weakest.variance, FLOOR_FACTOR * reg_covar + rounding


def degenerate_components(
    structure: CovarianceType,
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    reg_covar: float,
    machine_epsilon: float = _FLOAT64_EPSILON,
) -> np.ndarray:
    """Indices of the degenerate components (see the module's rule), increasing.

    A covariance that is not finite is degenerate.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import covariance_type
    >>> weights, means = np.array([0.5, 0.5]), np.array([[0.0, 0.0], [3.0, 0.0]])
    >>> covariances = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.5e-6]]])
    >>> full = covariance_type("full")
    >>> degenerate_components(full, weights, means, covariances, reg_covar=1e-6)
    array([1])
    >>> degenerate_components(full, weights, means, covariances, reg_covar=1e-7)
    array([], dtype=int64)
    """
    means = np.asarray(means, dtype=float)
    # read off parameters alone: the statistics that gave them were exact relative to
    # each component's spread (summed about its own mean when far from the data's)
    smallest, limit = _limits(
        structure,
        np.asarray(weights, dtype=float),
        means,
        covariances,
        reg_covar,
        machine_epsilon,
        means,
    )
    return np.flatnonzero(~(smallest > limit)).astype(np.int64)


def _listed(indices: np.ndarray) -> str:
    """``component 3`` or ``components 1, 3 and 4``."""
    numbers = [str(int(i)) for i in indices]
    if len(numbers) == 1:
        return f"component {numbers[0]}"
    return f"components {', '.join(numbers[:-1])} and {numbers[-1]}"


def floor_advice(structure: CovarianceType, first: str = "") -> str:
    """What to change about a collapsed component (``first``, if given, comes first)."""
    prior = "use a prior (prior='default'), " if structure.supports_niw_prior else ""
    return (
        f"{first + ', ' if first else ''}{prior}reduce n_components, or remove duplicated "
        "rows and features that are constant (or linear combinations of others) within a cluster"
    )


def floor_message(
    structure: CovarianceType, indices: np.ndarray, smallest: np.ndarray, reg_covar: float
) -> str:
    """What happened to a fit whose components ``indices`` collapsed, and what to change.

    ``smallest`` holds every component's smallest variance
    (:meth:`~latentem.mixture.CovarianceType.weakest_variances`).

    Examples
    --------
    >>> from latentem.mixture import covariance_type
    >>> print(floor_message(covariance_type("full"), np.array([1]), np.array([0.5, 1e-6]), 1e-6))
    ... # doctest: +NORMALIZE_WHITESPACE
    component 1 collapsed onto the reg_covar floor: the smallest variance of its covariance
    (1e-06) is at most 2 * reg_covar = 2e-06, so reg_covar, not the data, sets it and the
    likelihood is an artefact of reg_covar (the component sits on fewer distinct points
    than dimensions, on duplicated rows or on a feature constant within it, or the data
    vary less than reg_covar in some direction). To fix it, use a prior (prior='default'),
    reduce n_components, or remove duplicated rows and features that are constant (or
    linear combinations of others) within a cluster; where the data vary less than
    reg_covar (features on a small scale), standardise them or lower reg_covar. A larger
    reg_covar only bounds the artefact
    """
    variances = ", ".join(f"{value:.3g}" for value in smallest[indices])
    whose = "its covariance" if len(indices) == 1 else "their covariances"
    return (
        f"{_listed(indices)} collapsed onto the reg_covar floor: the smallest variance of "
        f"{whose} ({variances}) is at most {FLOOR_FACTOR:g} * reg_covar = "
        f"{FLOOR_FACTOR * reg_covar:.3g}, so reg_covar, not the data, sets it and the "
        "likelihood is an artefact of reg_covar (the component sits on fewer distinct "
        "points than dimensions, on duplicated rows or on a feature constant within it, or "
        "the data vary less than reg_covar in some direction). To fix it, "
        f"{floor_advice(structure)}; where the data vary less than reg_covar (features on "
        "a small scale), standardise them or lower reg_covar. A larger reg_covar only "
        "bounds the artefact"
    )


def check_not_singular(
    structure: CovarianceType,
    counts: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    reg_covar: float,
    machine_epsilon: float,
    references: np.ndarray | None = None,
) -> None:
    """With ``reg_covar = 0``, refuse M-step covariances that are singular to working precision.

    The rule of the module with ``reg_covar = 0``: a smallest variance within
    rounding of zero. A rank-deficient scatter (fewer distinct points than
    ``n_features + 1``, duplicated rows, linearly dependent features) gives
    one whose Cholesky factorisation may still succeed on rounding alone, and
    a finite, meaningless likelihood; this makes it a ``ValueError`` naming
    the component. With ``reg_covar > 0`` nothing is refused here: a fit
    ending at the floor is reported by :class:`~latentem.GaussianMixture`.
    """
    if reg_covar > 0:
        return
    smallest, limit = _limits(
        structure, counts, means, covariances, reg_covar, machine_epsilon, references
    )
    singular = np.flatnonzero(~(smallest > limit))
    if singular.size:
        k = int(singular[0])
        if len(singular) == 1:
            which, whose = f"the covariance of component {k} is", "its"
        else:
            which = f"the covariances of {_listed(singular)} are"
            whose = f"that of component {k}:"
        found = (
            f"{whose} values are not finite"
            if np.isnan(smallest[k])
            else f"{whose} smallest variance along any direction, {smallest[k]:.3g}, is zero "
            f"to rounding (at most {limit[k]:.3g})"
        )
        raise ValueError(
            f"{_SKLEARN_WORDING} Here {which} singular with reg_covar=0: {found}. The "
            "component has fewer distinct points than n_features + 1, duplicated rows, or "
            "features that are constant or linearly dependent within it. To fix it, "
            f"{floor_advice(structure, 'increase reg_covar (e.g. reg_covar=1e-6)')}"
        )
