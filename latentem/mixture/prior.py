"""Conjugate priors for Gaussian mixtures: MAP estimation as in mclust's ``priorControl``.

A :class:`GaussianMixturePrior` holds a Dirichlet prior on the weights and a
normal-inverse-Wishart prior shared by the components. Its MAP update for each
covariance structure is a small class (the structure's name is looked up once):
``full`` (mclust's VVV), ``diag`` (VVI), ``spherical`` (VII) and ``tied`` (EEE).
The formulas are those of Fraley & Raftery (2007), "Bayesian regularization for
normal mixture estimation and model-based clustering", J. Classification 24.
"""

from __future__ import annotations

import abc
import math
from typing import Any

import numpy as np
from attrs import field, frozen
from scipy.special import multigammaln

from latentem.core.validation import check_array, check_float, check_int
from latentem.distributions.base import prior_of_type
from latentem.distributions.priors import DirichletPrior, NormalInverseWishart, niw_log_pdf
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.covariance import covariance_type as parse_covariance_type

__all__ = ["GaussianMixturePrior", "validate_prior"]

_LOG_2PI = math.log(2.0 * math.pi)


def _shrunk_means(
    counts: np.ndarray, means: np.ndarray, niw: NormalInverseWishart
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MAP means, the deviations ``xbar_k - m`` and the factors ``kappa W_k / (kappa + W_k)``."""
    kappa = niw.shrinkage
    pooled = counts + kappa
    safe = np.where(pooled > 0, pooled, 1.0)
    shrunk = (counts[:, None] * means + kappa * niw.mean) / safe[:, None]
    factor = np.where(pooled > 0, kappa * counts / safe, 0.0)
    return shrunk, means - niw.mean, factor


@frozen(eq=False)
class _Update:
    """What a structure's MAP covariance update needs (see GaussianMixturePrior's Notes)."""

    counts: np.ndarray  # W_k
    scatter: np.ndarray  # S_k in the structure's layout
    niw: NormalInverseWishart
    deviations: np.ndarray  # xbar_k - m
    factor: np.ndarray  # kappa W_k / (kappa + W_k)
    updated: np.ndarray  # components to update; the others keep `previous`
    previous: np.ndarray
    reg_covar: float


class _StructurePrior(abc.ABC):
    """The MAP covariance update and log-density of one covariance structure."""

    @abc.abstractmethod
    def flat_dof(self, n_components: int, n_features: int) -> float:
        """The dof for which, with zero scale and shrinkage, MAP equals ML."""

    @abc.abstractmethod
    def check_scale(self, niw: NormalInverseWishart) -> None:
        """Raise a ValueError if the scale does not suit this structure."""

    @abc.abstractmethod
    def proper(self, niw: NormalInverseWishart) -> bool:
        """Whether the prior determines a component that has no data."""

    @abc.abstractmethod
    def covariances(self, u: _Update) -> np.ndarray:
        """MAP covariances (plus ``reg_covar`` on the diagonal) of the updated components."""

    @abc.abstractmethod
    def log_pdf(
        self, niw: NormalInverseWishart, means: np.ndarray, covariances: np.ndarray
    ) -> float:
        """Log-density of all the components' means and covariances."""


def _denominator(value: np.ndarray | float) -> np.ndarray:
    value = np.asarray(value, dtype=float)
    if np.any(value <= 0):
        raise ValueError(
            "the MAP covariance denominator (dof + counts + ...) is not positive: the prior's "
            "dof is too small for a component with this little data; raise dof"
        )
    return value


class _Full(_StructurePrior):
    def flat_dof(self, n_components: int, n_features: int) -> float:
        return -(n_features + 2.0)

    def check_scale(self, niw: NormalInverseWishart) -> None:
        niw.full_scale()

    def proper(self, niw: NormalInverseWishart) -> bool:
        return niw.is_proper()

    def covariances(self, u: _Update) -> np.ndarray:
        d, updated = u.niw.n_features, u.updated
        outer = u.deviations[:, :, None] * u.deviations[:, None, :]
        numerator = u.niw.full_scale() + u.scatter + u.factor[:, None, None] * outer
        out = np.array(u.previous, dtype=float, copy=True)
        denominator = _denominator(u.niw.dof + u.counts[updated] + d + 2.0)
        out[updated] = numerator[updated] / denominator[:, None, None] + u.reg_covar * np.eye(d)
        return out

    def log_pdf(
        self, niw: NormalInverseWishart, means: np.ndarray, covariances: np.ndarray
    ) -> float:
        return float(niw_log_pdf(niw, means, covariances).sum())


class _Diag(_Full):
    def flat_dof(self, n_components: int, n_features: int) -> float:
        return -3.0

    def check_scale(self, niw: NormalInverseWishart) -> None:
        niw.diagonal_scale()

    def proper(self, niw: NormalInverseWishart) -> bool:
        return niw.is_proper(diagonal=True)

    def covariances(self, u: _Update) -> np.ndarray:
        updated = u.updated
        numerator = u.niw.diagonal_scale() + u.scatter + u.factor[:, None] * u.deviations**2
        out = np.array(u.previous, dtype=float, copy=True)
        denominator = _denominator(u.niw.dof + u.counts[updated] + 3.0)
        out[updated] = numerator[updated] / denominator[:, None] + u.reg_covar
        return out


def _scalar_scale(niw: NormalInverseWishart) -> float:
    if niw.scale.ndim != 0:
        raise ValueError(
            "a spherical covariance needs a scalar NormalInverseWishart scale (one variance "
            f"scale for all features); got shape {niw.scale.shape}"
        )
    return float(niw.scale)


class _Spherical(_StructurePrior):
    def flat_dof(self, n_components: int, n_features: int) -> float:
        return -(n_features + 2.0)

    def check_scale(self, niw: NormalInverseWishart) -> None:
        _scalar_scale(niw)

    def proper(self, niw: NormalInverseWishart) -> bool:
        return niw.shrinkage > 0 and niw.dof > 0 and _scalar_scale(niw) > 0

    def covariances(self, u: _Update) -> np.ndarray:
        d, updated = u.niw.n_features, u.updated
        spread = u.scatter.sum(axis=1) + u.factor * (u.deviations**2).sum(axis=1)
        out = np.array(u.previous, dtype=float, copy=True)
        denominator = _denominator(u.niw.dof + (u.counts[updated] + 1.0) * d + 2.0)
        out[updated] = (_scalar_scale(u.niw) + spread[updated]) / denominator + u.reg_covar
        return out

    def log_pdf(
        self, niw: NormalInverseWishart, means: np.ndarray, covariances: np.ndarray
    ) -> float:
        d, nu, kappa, scale = niw.n_features, niw.dof, niw.shrinkage, _scalar_scale(niw)
        squared = ((means - niw.mean) ** 2).sum(axis=1)
        kernel = -(nu + d + 2.0) / 2.0 * np.log(covariances)
        kernel = kernel - (scale + kappa * squared) / (2.0 * covariances)
        if self.proper(niw):
            half = nu / 2.0
            kernel = kernel + 0.5 * d * (math.log(kappa) - _LOG_2PI)
            kernel = kernel + half * math.log(scale / 2.0) - math.lgamma(half)
        return float(kernel.sum())


class _Tied(_StructurePrior):
    def flat_dof(self, n_components: int, n_features: int) -> float:
        return -(n_features + 1.0 + n_components)

    def check_scale(self, niw: NormalInverseWishart) -> None:
        niw.full_scale()

    def proper(self, niw: NormalInverseWishart) -> bool:
        return niw.is_proper()

    def covariances(self, u: _Update) -> np.ndarray:
        d = u.niw.n_features
        shift = (u.factor[:, None] * u.deviations).T @ u.deviations
        numerator = u.niw.full_scale() + u.scatter + shift
        denominator = _denominator(u.niw.dof + u.counts.sum() + d + 1.0 + u.counts.size)
        return numerator / denominator + u.reg_covar * np.eye(d)

    def log_pdf(
        self, niw: NormalInverseWishart, means: np.ndarray, covariances: np.ndarray
    ) -> float:
        d, k, nu, kappa = niw.n_features, means.shape[0], niw.dof, niw.shrinkage
        scale = niw.full_scale()
        lower = np.linalg.cholesky(covariances)
        log_det = 2.0 * np.log(np.diag(lower)).sum()
        inverse = np.linalg.inv(covariances)
        deviations = means - niw.mean
        quadratic = np.einsum("ki,ij,kj->", deviations, inverse, deviations)
        kernel = -(nu + d + 1.0 + k) / 2.0 * log_det - 0.5 * np.sum(scale * inverse)
        kernel -= 0.5 * kappa * quadratic
        if self.proper(niw):
            kernel += 0.5 * k * d * (math.log(kappa) - _LOG_2PI)
            kernel += 0.5 * nu * np.linalg.slogdet(scale)[1] - 0.5 * nu * d * math.log(2.0)
            kernel -= multigammaln(nu / 2.0, d)
        return float(kernel)


_STRUCTURE_PRIORS: dict[str, _StructurePrior] = {
    "full": _Full(),
    "diag": _Diag(),
    "spherical": _Spherical(),
    "tied": _Tied(),
}


def _structure_prior(structure: CovarianceType) -> _StructurePrior:
    return _STRUCTURE_PRIORS[structure.name]


@frozen(eq=False)
class GaussianMixturePrior:
    """Conjugate prior of a Gaussian mixture: Dirichlet weights, normal-inverse-Wishart components.

    Parameters
    ----------
    weights : DirichletPrior, optional
        Prior on the mixing weights (None: maximum likelihood weights).
    components : NormalInverseWishart, optional
        Prior shared by every component's mean and covariance (None: ML
        means and covariances). Its ``scale`` is a (d, d) matrix for
        ``full`` and ``tied``, a vector or scalar for ``diag`` and a scalar
        for ``spherical``.

    Notes
    -----
    With weighted counts ``W_k``, means ``xbar_k``, scatters ``S_k``,
    ``delta_k = xbar_k - m`` and ``c_k = kappa W_k / (kappa + W_k)``, the
    M-step is (Fraley & Raftery 2007):

    - weights: ``(W_k + alpha_k - 1) / (n + sum_j (alpha_j - 1))``;
    - means: ``(W_k xbar_k + kappa m) / (W_k + kappa)``;
    - ``full``: ``Sigma_k = (Lambda + S_k + c_k delta_k delta_k^T) / (nu + W_k + d + 2)``;
    - ``diag``: per feature ``(lambda_j + S_kjj + c_k delta_kj^2) / (nu + W_k + 3)``;
    - ``spherical``: ``(s^2 + tr S_k + c_k |delta_k|^2) / (nu + (W_k + 1) d + 2)``;
    - ``tied``: ``(Lambda + sum_k [S_k + c_k delta_k delta_k^T]) / (nu + n + d + 1 + K)``.

    ``reg_covar`` is still added to the diagonal afterwards. A component
    with no data keeps its parameters unless the prior is proper (then it
    takes the prior's mode). :meth:`from_data` gives mclust's
    ``defaultPrior``; :meth:`flat` gives hyperparameters under which every
    update equals maximum likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> prior = GaussianMixturePrior.from_data(X, n_components=3)
    >>> prior.components.shrinkage, prior.components.dof
    (0.01, 4.0)
    >>> bool(np.allclose(prior.components.scale, np.cov(X.T) / 3 ** (2 / 2)))
    True
    """

    weights: DirichletPrior | None = field(default=None, validator=prior_of_type(DirichletPrior))
    components: NormalInverseWishart | None = field(
        default=None, validator=prior_of_type(NormalInverseWishart)
    )

    @classmethod
    def from_data(
        cls,
        X: Any,
        n_components: int,
        covariance_type: str | CovarianceType = "full",
        *,
        shrinkage: float = 0.01,
        mean: Any = None,
        dof: float | None = None,
        scale: Any = None,
        weight_concentration: Any = 1.0,
        sample_weight: Any = None,
    ) -> GaussianMixturePrior:
        """mclust's ``defaultPrior`` for data ``X`` (any hyperparameter may be overridden).

        ``shrinkage = 0.01``; ``mean`` = the column means; ``dof = d + 2``;
        ``scale = cov(X) / K^(2/d)`` for ``full`` and ``tied`` (the diagonal
        of ``cov(X)`` when ``n <= d``), ``sum_j var(X_j) / (d K^(2/d))`` for
        ``diag`` and ``spherical`` (``cov`` and ``var`` with ``n - 1``
        denominators, as in R). mclust puts no prior on the weights; the
        default ``weight_concentration = 1`` is flat likewise. With
        ``sample_weight`` (frequency weights) the means and covariances are
        weighted and ``n`` is the total weight, so a weight of 2 equals a
        duplicated row here too.
        """
        X = check_array(X, min_samples=2)
        n_components = check_int(n_components, "n_components", minimum=1)
        structure = parse_covariance_type(covariance_type)
        weights = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight)
        n_samples, d = float(weights.sum()), X.shape[1]
        if not n_samples > 1:
            raise ValueError(
                f"the default prior needs a total sample weight above 1; got {n_samples:.6g}"
            )
        centre = weights @ X / n_samples
        centred = X - centre
        covariance = (centred * weights[:, None]).T @ centred / (n_samples - 1.0)
        factor = (1.0 / n_components) ** (2.0 / d)
        if scale is None:
            if structure.name in ("full", "tied"):
                scale = factor * (covariance if n_samples > d else np.diag(np.diag(covariance)))
            else:
                scale = factor * float(np.trace(covariance)) / d
        components = NormalInverseWishart(
            check_float(shrinkage, "shrinkage", minimum=0.0),
            centre if mean is None else mean,
            d + 2.0 if dof is None else dof,
            scale,
        )
        return cls(DirichletPrior(weight_concentration), components)

    @classmethod
    def flat(
        cls, n_components: int, n_features: int, covariance_type: str | CovarianceType = "full"
    ) -> GaussianMixturePrior:
        """Improper hyperparameters whose MAP update is exactly maximum likelihood."""
        structure = _structure_prior(parse_covariance_type(covariance_type))
        dof = structure.flat_dof(n_components, n_features)
        scale: Any = 0.0 if isinstance(structure, _Spherical) else np.zeros(n_features)
        return cls(DirichletPrior(1.0), NormalInverseWishart(0.0, np.zeros(n_features), dof, scale))

    def check(self, structure: CovarianceType, n_components: int, n_features: int) -> None:
        """Raise a ValueError if the prior does not fit the model's shape or structure."""
        if self.weights is not None:
            self.weights.alpha(n_components)
        if self.components is not None:
            if self.components.n_features != n_features:
                raise ValueError(
                    f"prior components mean has {self.components.n_features} features but the "
                    f"model has {n_features}; build the prior from data of the same width"
                )
            _structure_prior(structure).check_scale(self.components)

    def map_weights(self, counts: np.ndarray) -> np.ndarray:
        """MAP mixing weights from the weighted counts (k,) (ML without a weights prior)."""
        return counts / counts.sum() if self.weights is None else self.weights.mode(counts)

    def map_components(
        self,
        stats: Any,
        structure: CovarianceType,
        previous_means: np.ndarray,
        previous_covariances: np.ndarray,
        reg_covar: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """MAP means and covariances from Gaussian mixture statistics.

        ``stats`` has ``counts`` (k,), ``means`` (k, d) and ``scatter`` in
        the structure's layout, as :class:`~latentem.mixture.GaussianMixtureStats`.
        Needs :attr:`components`.
        """
        niw = self.components
        if niw is None:
            raise ValueError("map_components needs a components prior; this prior has none")
        counts = np.asarray(stats.counts)
        prior = _structure_prior(structure)
        updated = (counts > 0) | prior.proper(niw)
        shrunk, deviations, factor = _shrunk_means(counts, np.asarray(stats.means), niw)
        means = np.where(updated[:, None], shrunk, previous_means)
        update = _Update(
            counts,
            np.asarray(stats.scatter),
            niw,
            deviations,
            factor,
            updated,
            previous_covariances,
            reg_covar,
        )
        covariances = prior.covariances(update)
        return means, covariances

    def log_pdf(
        self,
        weights: np.ndarray,
        means: np.ndarray,
        covariances: np.ndarray,
        structure: CovarianceType,
    ) -> float:
        """Log-density of a Gaussian mixture's parameters under this prior."""
        total = 0.0 if self.weights is None else self.weights.log_pdf(weights)
        if self.components is not None:
            total += _structure_prior(structure).log_pdf(self.components, means, covariances)
        return total


def validate_prior(instance: Any, attribute: Any, prior: Any) -> None:
    """attrs validator of a Gaussian mixture model's ``prior`` field."""
    if prior is None:
        return
    if not isinstance(prior, GaussianMixturePrior):
        raise TypeError(f"prior must be a GaussianMixturePrior or None; got {type(prior).__name__}")
    if instance.means.ndim == 2:
        prior.check(instance.covariance_type, instance.weights.shape[0], instance.means.shape[1])
