"""Conjugate priors for Gaussian mixtures: MAP estimation as in mclust's ``priorControl``.

A :class:`GaussianMixturePrior` holds a Dirichlet prior on the weights and a
normal-inverse-Wishart prior shared by the components. Its MAP update is the
HMM emissions' conjugate one (:mod:`latentem.mixture.conjugate`, each
structure's ``conjugate_terms``); its log-density belongs to each covariance
structure (``niw_log_pdf``): ``full`` (mclust's VVV), ``diag`` (VVI),
``spherical`` (VII) and ``tied`` (EEE), and six of mclust's constrained
structures, EII, EEI, VEI, EVI, EEV and VEV -- the ten mclust's
``priorControl()`` takes (it has none for VEE, EVE, VVE and EVV, nor has
latentem). The formulas are those of Fraley & Raftery (2007), "Bayesian
regularization for normal mixture estimation and model-based clustering",
J. Classification 24, and for the constrained structures those of mclust's EM
routines (:mod:`latentem.mixture.covariance.eigen_prior`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from attrs import field, frozen

from latentem.core.validation import check_array, check_float, check_int
from latentem.distributions.base import prior_of_type
from latentem.distributions.priors import DirichletPrior, NormalInverseWishart
from latentem.mixture.conjugate import GaussianPrior, map_covariances, map_means
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.covariance import covariance_type as parse_covariance_type

__all__ = ["GaussianMixturePrior", "validate_prior"]


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
        ``full``, ``tied``, EEV and VEV, a vector or scalar for ``diag``,
        EII, EEI, VEI and EVI, and a scalar for ``spherical``.

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
    - ``tied``: ``(Lambda + sum_k [S_k + c_k delta_k delta_k^T]) / (nu + n + d + 1 + K)``;
    - EII, EEI, VEI, EVI, EEV, VEV: mclust's EM updates, the structure's
      maximiser of ``B_k = Lambda + S_k + c_k delta_k delta_k^T`` with
      structure-specific weights (:mod:`latentem.mixture.covariance.eigen_prior`);
      e.g. EEI: ``diag(Lambda + sum_k [S_k + c_k delta_k delta_k^T]) / (n + nu + 2)``.
      mclust's EEI leaves the means unshrunk, which is no MAP update; latentem's moves
      them as above.

    ``reg_covar`` is still added to the diagonal afterwards (for the
    constrained structures, ``reg_covar`` times each component's weight is
    added to its ``B_k`` before the maximiser, as without a prior, so the
    result keeps the structure). The update is
    the HMM emissions' (:meth:`conjugate_form`), so a component with no data
    takes what the prior determines (its mean if ``kappa > 0``, its
    covariance if the denominator is positive) and keeps the rest.
    :meth:`from_data` gives mclust's ``defaultPrior``; :meth:`flat` gives
    hyperparameters under which every update equals maximum likelihood.

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
        ``scale = cov(X) / K^(2/d)`` for ``full``, ``tied``, EEV and VEV (the
        diagonal of ``cov(X)`` when ``n <= d``), ``sum_j var(X_j) / (d K^(2/d))``
        for ``diag``, ``spherical``, EII, EEI, VEI and EVI (``cov`` and ``var``
        with ``n - 1`` denominators, as in R). mclust puts no prior on the weights; the
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
            scale = structure.niw_default_scale(covariance, factor, n_samples)
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
        structure = parse_covariance_type(covariance_type)
        dof = structure.niw_flat_dof(n_components, n_features)
        scale = structure.niw_flat_scale(n_features)
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
            structure.niw_is_proper(self.components)  # checks the scale's layout
            # the MAP update is the conjugate form's: a structure without one raises here
            structure.conjugate_dof_shape(n_components, n_features)
            flat = structure.niw_flat_dof(n_components, n_features)
            if self.components.dof < flat:
                raise ValueError(
                    f"prior components dof must be at least {flat:g} for "
                    f"covariance_type={structure.name!r} (the flat prior's, whose MAP is "
                    f"maximum likelihood); got {self.components.dof:g}: raise dof"
                )

    def map_weights(self, counts: np.ndarray) -> np.ndarray:
        """MAP mixing weights from the weighted counts (k,) (ML without a weights prior)."""
        return counts / counts.sum() if self.weights is None else self.weights.mode(counts)

    def conjugate_form(self, structure: CovarianceType, n_components: int) -> GaussianPrior:
        """The components prior as the :class:`~latentem.hmm.GaussianPrior` of ``structure``.

        Both priors are conjugate: the normal-inverse-Wishart's mean and
        shrinkage are the conjugate form's ``means`` and ``means_weight``; its
        scale and dof become the structure's (:meth:`CovarianceType.niw_conjugate`:
        the same scale and the dof shifted by the flat dof, unless the structure
        shares them out otherwise), so that mixtures and HMMs share one MAP
        update. Needs :attr:`components`.
        """
        niw = self.components
        if niw is None:
            raise ValueError("the MAP components need a components prior; this prior has none")
        k, d = n_components, niw.n_features
        scale, dof = structure.niw_conjugate(niw, k)
        return GaussianPrior(
            means=np.broadcast_to(niw.mean, (k, d)),
            means_weight=np.full(k, niw.shrinkage),
            scale=scale,
            dof=dof,
            covariance_type=structure,
        )

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
        prior = self.conjugate_form(structure, previous_means.shape[0])
        counts = np.asarray(stats.counts)
        means = map_means(counts, np.asarray(stats.means), previous_means, prior)
        covariances = map_covariances(
            structure, stats, means, means, previous_covariances, prior, reg_covar
        )
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
            total += structure.niw_log_pdf(self.components, means, covariances)
        return total


def validate_prior(instance: Any, attribute: Any, prior: Any) -> None:
    """attrs validator of a Gaussian mixture model's ``prior`` field."""
    if prior is None:
        return
    if not isinstance(prior, GaussianMixturePrior):
        raise TypeError(f"prior must be a GaussianMixturePrior or None; got {type(prior).__name__}")
    if instance.means.ndim == 2:
        prior.check(instance.covariance_type, instance.weights.shape[0], instance.means.shape[1])
