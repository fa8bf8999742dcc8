"""A Gaussian mixture per state (hmmlearn's GMMHMM emissions).

The ``n_states x n_mix`` Gaussians are evaluated and summarised together as
one flat list of components with the mixture module's kernels; ``tied``
means one covariance per state, shared by that state's components.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
from attrs import evolve, field, frozen
from scipy.special import logsumexp

from latentem.core.data import Observations
from latentem.core.validation import readonly_array
from latentem.hmm.emissions.base import Emissions, check_fixed
from latentem.hmm.emissions.gaussian import (
    HMM_FEATURE_CACHE_BYTES,
    _collapse_message,
    check_floor,
    check_gaussian_data,
    sample_gaussians,
    warn_floored,
)
from latentem.hmm.probabilities import (
    check_concentration,
    check_probabilities,
    dirichlet_log_prior,
    dirichlet_map,
)
from latentem.mixture.conjugate import (
    GaussianPrior,
    covariance_terms,
    divide_covariances,
    map_covariances,
    map_means,
)
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.covariance import covariance_type as parse_covariance_type
from latentem.mixture.rows import GaussianRows, reference_frame
from latentem.mixture.statistics import GaussianMixtureStats, variance_resolution

__all__ = ["GaussianMixtureEmissions", "hmmlearn_mixture_prior"]


@frozen(eq=False)
class GaussianMixtureEmissions(Emissions):
    """A mixture of ``n_mix`` Gaussians in every state.

    Parameters
    ----------
    weights : array-like of shape (n_states, n_mix)
        Mixture weights of every state; rows sum to 1.
    means : array-like of shape (n_states, n_mix, n_features)
    covariances : array-like of shape (n_states, ...)
        Per state, the structure's layout for ``n_mix`` components: (k, m, d,
        d) full, (k, m, d) diag, (k, m) spherical, (k, d, d) tied (one matrix
        per state, shared by its components).
    covariance_type : str or CovarianceType, default="diag"
        A name in :data:`~latentem.mixture.COVARIANCE_TYPES`.
    weights_prior : float or array-like of shape (n_states, n_mix), default=1.0
        Dirichlet concentrations of the weights.
    prior : GaussianPrior, optional
        Prior on the ``n_states * n_mix`` components, flattened state-major,
        in the layout of ``covariance_type`` (``full`` for ``tied``, with the
        state's ``Psi`` and ``nu`` split evenly over its components, so the
        shared covariance gets the state's prior).
    fixed : collection of {"weights", "means", "covariances"}, default=()
    centre_on_previous_means : bool, default=False
        Centre the covariance update on the means of the previous iteration
        instead of the new ones, as hmmlearn's GMMHMM does. That is a
        generalised EM step (it also never decreases the likelihood and has
        the same fixed points) and lets the front class take hmmlearn's
        exact steps; False is the exact M-step.
    covariance_floor : float, default=0
        A Gaussian whose updated covariance collapsed (is not numerically
        positive definite) has its eigenvalues below this raised to it, with
        a :class:`~latentem.DegenerateFitWarning` naming the state and
        component. 0: a collapse is a ValueError.

    Examples
    --------
    >>> import numpy as np
    >>> e = GaussianMixtureEmissions(weights=[[0.5, 0.5]], means=[[[-1.0], [1.0]]],
    ...                              covariances=[[[1.0], [1.0]]], covariance_type="diag")
    >>> e.log_prob(np.array([[0.0]])).round(4)
    array([[-1.4189]])
    """

    weights: np.ndarray = field(converter=readonly_array)
    means: np.ndarray = field(converter=readonly_array)
    covariances: np.ndarray = field(converter=readonly_array)
    covariance_type: CovarianceType = field(
        default=parse_covariance_type("diag"), converter=parse_covariance_type
    )
    weights_prior: Any = 1.0
    prior: GaussianPrior | None = None
    fixed: frozenset[str] = field(
        default=frozenset(),
        converter=lambda v: check_fixed(
            v, ("weights", "means", "covariances"), "GaussianMixtureEmissions"
        ),
    )
    centre_on_previous_means: bool = False
    covariance_floor: float = field(default=0.0, converter=float, validator=check_floor)
    precisions_cholesky: np.ndarray = field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.means.ndim != 3:
            raise ValueError(
                f"means must have shape (n_states, n_mix, n_features); got {self.means.shape}"
            )
        if not np.all(np.isfinite(self.means)):
            raise ValueError("means must be finite; got NaN or infinite values")
        k, m, d = self.means.shape
        set_ = object.__setattr__
        set_(self, "weights", check_probabilities(self.weights, "weights", (k, m)))
        set_(
            self, "weights_prior", check_concentration(self.weights_prior, "weights_prior", (k, m))
        )
        expected = (k, *self.covariance_type.parameter_shape(m, d))
        if self.covariances.shape != expected:
            raise ValueError(
                f"covariances for covariance_type={self.covariance_type.name!r} must have shape "
                f"{expected} (n_states={k}, n_mix={m}, n_features={d}); got "
                f"{self.covariances.shape}"
            )
        if self.prior is not None and (
            self.prior.means.shape != (k * m, d)
            or self.prior.covariance_type != self._flat_structure
        ):
            raise ValueError(
                f"the prior must cover the {k * m} components flattened state-major, in the "
                f"{self._flat_structure.name!r} layout; got prior means {self.prior.means.shape} "
                f"({self.prior.covariance_type.name})"
            )
        cholesky = self._flat_structure.precisions_cholesky(self._flat_covariances())
        set_(self, "precisions_cholesky", readonly_array(cholesky))

    # -- the flat view: n_states * n_mix components ------------------------------------

    @property
    def _flat_structure(self) -> CovarianceType:
        _, m, d = self.means.shape
        return self.covariance_type.independent_view(self.covariances, m, d)[0]

    def _flat_covariances(self) -> np.ndarray:
        k, m, d = self.means.shape
        structure, covariances = self.covariance_type.independent_view(self.covariances, m, d)
        return covariances.reshape((k * m, *structure.parameter_shape(1, d)[1:]))

    def _joint_log_prob(self, X: Any) -> np.ndarray:
        """``log w_km + log N(x | mu_km, Sigma_km)``, shape (n_samples, n_states, n_mix)."""
        k, m, d = self.means.shape
        with np.errstate(divide="ignore"):
            log_weights = np.log(self.weights)
        joint = self._rows(X).joint_log_prob(
            self._flat_structure,
            log_weights.ravel(),
            self.means.reshape(k * m, d),
            self.precisions_cholesky,
        )
        return joint.reshape(-1, k, m)

    # -- the protocol ----------------------------------------------------------------

    @property
    def n_states(self) -> int:
        return int(self.means.shape[0])

    @property
    def n_mix(self) -> int:
        """Number of Gaussians per state."""
        return int(self.means.shape[1])

    @property
    def n_features(self) -> int:
        return int(self.means.shape[2])

    @property
    def m_step_is_exact(self) -> bool:
        """Whether the update is the exact maximiser: not when centred on the previous means."""
        return self.covariance_type.exact_maximiser and not self.centre_on_previous_means

    @property
    def n_parameters(self) -> int:
        k, m, d = self.means.shape
        return k * (m - 1) + k * m * d + k * self.covariance_type.n_parameters(m, d)

    def full_covariances(self) -> np.ndarray:
        """Covariances as (n_states, n_mix, n_features, n_features) matrices."""
        k, m, d = self.means.shape
        flat = self._flat_structure.full_matrices(self._flat_covariances(), k * m, d)
        return flat.reshape(k, m, d, d)

    def check_data(self, X: Any) -> np.ndarray:
        return check_gaussian_data(X, self.n_features)

    def prepare(self, X: np.ndarray) -> GaussianRows:
        structure, n_components = self._flat_structure, self.n_states * self.n_mix
        rows = Observations(X)
        return GaussianRows.of(rows, structure, n_components, cache_bytes=HMM_FEATURE_CACHE_BYTES)

    def prepare_for_parameters(self, X: np.ndarray) -> GaussianRows:
        """``X`` prepared in the frame of these Gaussians, states weighted equally (see
        :func:`~latentem.mixture.rows.reference_frame`): each row's log-probabilities
        do not depend on the other rows."""
        k, m, d = self.means.shape
        weights = (self.weights / k).ravel()
        structure = self._flat_structure
        frame = reference_frame(
            structure, weights, self.means.reshape(k * m, d), self._flat_covariances()
        )
        return GaussianRows.of(Observations(X), structure, k * m, cache_bytes=0, frame=frame)

    def data_key(self) -> Hashable:
        c, d = self.n_states * self.n_mix, self.n_features
        return ("gaussian", type(self._flat_structure.kernel(d, c)), c, d)

    def _rows(self, X: Any, for_statistics: bool = False) -> GaussianRows:
        """Prepared rows: for these parameters, or (for statistics) in the data's frame."""
        if isinstance(X, GaussianRows):
            return X
        X = self.check_data(X)
        return self.prepare(X) if for_statistics else self.prepare_for_parameters(X)

    def log_prob(self, X: Any) -> np.ndarray:
        joint = self._joint_log_prob(X)
        if self.n_mix == 1:
            return joint[:, :, 0]
        return logsumexp(joint, axis=2)

    def statistics(self, X: Any, posteriors: np.ndarray) -> GaussianMixtureStats:
        rows = self._rows(X, for_statistics=True)
        joint = self._joint_log_prob(rows)
        norm = logsumexp(joint, axis=2, keepdims=True)
        norm = np.where(np.isfinite(norm), norm, 0.0)
        with np.errstate(under="ignore"):
            within = np.exp(joint - norm)
        weights = (posteriors[:, :, None] * within).reshape(rows.n_samples, -1)
        k, m, d = self.means.shape
        return rows.statistics(
            self._flat_structure, self.means.reshape(k * m, d), self.precisions_cholesky, weights
        )

    def maximize(self, stats: GaussianMixtureStats) -> GaussianMixtureEmissions:
        k, m, d = self.means.shape
        counts = np.asarray(stats.counts)
        weights = self.weights
        if "weights" not in self.fixed:
            weights = dirichlet_map(counts.reshape(k, m), self.weights_prior, self.weights)
        flat_means = self.means.reshape(k * m, d)
        means = flat_means
        if "means" not in self.fixed:
            means = map_means(counts, np.asarray(stats.means), flat_means, self.prior)
        covariances = self.covariances
        if "covariances" not in self.fixed:
            centre = flat_means if self.centre_on_previous_means else means
            covariances = self._map_covariances(stats, centre, means)
            covariances = self._floor(covariances, stats, means)
        try:
            return evolve(
                self, weights=weights, means=means.reshape(k, m, d), covariances=covariances
            )
        except ValueError as error:
            raise ValueError(_collapse_message(error)) from None

    def _floor(
        self, covariances: np.ndarray, stats: GaussianMixtureStats, means: np.ndarray
    ) -> np.ndarray:
        """Every state's collapsed Gaussians floored at ``covariance_floor`` (one warning)."""
        if self.covariance_floor <= 0:
            return covariances
        k, m, d = self.means.shape
        structure, floor = self.covariance_type, self.covariance_floor
        counts = np.asarray(stats.counts)
        resolution = variance_resolution(
            counts, means, stats.machine_epsilon, stats.references
        ).max(axis=1)
        per_state = [
            structure.floor_collapsed(own, m, d, floor, resolution.reshape(k, m)[state])
            for state, own in enumerate(covariances)
        ]
        names = [
            f"state {state} component {j}"
            for state, (_, collapsed) in enumerate(per_state)
            for j in np.flatnonzero(collapsed)
        ]
        warn_floored(names, floor)
        return np.stack([own for own, _ in per_state]) if names else covariances

    def _map_covariances(
        self, stats: GaussianMixtureStats, centre: np.ndarray, means: np.ndarray
    ) -> np.ndarray:
        """The covariance update on the flat components, pooled per state where shared."""
        structure, flat = self.covariance_type, self._flat_structure
        shape = self.covariances.shape
        if flat == structure:
            previous = self._flat_covariances()
            return map_covariances(flat, stats, centre, means, previous, self.prior).reshape(shape)
        numerator, denominator = covariance_terms(flat, stats, centre, means, self.prior)
        numerator, denominator = structure.group_terms(numerator, denominator, self.n_states)
        previous = self.covariances.reshape(numerator.shape)
        return divide_covariances(structure, numerator, denominator, previous).reshape(shape)

    def sample(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        k, m, d = self.means.shape
        cumulative = np.cumsum(self.weights, axis=1)
        cumulative[:, -1] = 1.0
        draws: np.ndarray = np.asarray(rng.random(states.shape[0]))
        component = np.empty(states.shape[0], dtype=np.intp)
        for state in np.unique(states).tolist():
            rows = states == state
            component[rows] = np.searchsorted(cumulative[state], draws[rows], side="right")
        which = states * m + np.minimum(component, m - 1)
        return sample_gaussians(
            self.means.reshape(k * m, d), self.full_covariances().reshape(k * m, d, d), which, rng
        )

    def log_prior(self) -> float:
        value = dirichlet_log_prior(self.weights, self.weights_prior)
        if self.prior is not None:
            k, m, d = self.means.shape
            value += self.prior.log_density(
                self.means.reshape(k * m, d), self.precisions_cholesky, self._flat_covariances()
            )
        return value


def hmmlearn_mixture_prior(
    structure: CovarianceType,
    n_states: int,
    n_mix: int,
    n_features: int,
    means_prior: Any,
    means_weight: Any,
    covars_prior: Any,
    covars_weight: Any,
) -> GaussianPrior:
    """The flat :class:`GaussianPrior` of hmmlearn's GMMHMM arguments (None = its defaults).

    hmmlearn's updates, with ``n`` the component's weight, are
    full: ``(Psi^T + lambda delta delta^T + S) / (n + nu + d + 2)``;
    diag: ``(2 beta + lambda delta^2 + S) / (n + 2 alpha + 3)``;
    spherical: ``(2 beta + lambda |delta|^2 + S) / (d n + d + 2 alpha + 2)``;
    tied: ``(Psi_k^T + sum_m (lambda delta delta^T + S)) / (n_k + n_mix + nu + d + 1)``,
    with ``(alpha, beta) = (covars_prior, covars_weight)`` for diag and
    spherical and ``(Psi, nu)`` for full and tied.
    """
    k, m, d = n_states, n_mix, n_features
    means = np.broadcast_to(np.asarray(means_prior, dtype=float), (k, m, d)).reshape(k * m, d)
    weight = np.broadcast_to(np.asarray(means_weight, dtype=float), (k, m)).reshape(k * m)
    flat, scale, dof = structure.hmmlearn_mixture_prior(k, m, d, covars_prior, covars_weight)
    return GaussianPrior(means, weight, scale, dof, flat)
