"""Conjugate priors for MAP estimation: Dirichlet, gamma, beta, normal-inverse-Wishart.

A prior is a frozen hyperparameter container with ``log_pdf``; the families
(and :class:`~latentem.GaussianMixtureModel`) use its hyperparameters in their
closed-form MAP updates. Every prior here has a *flat* setting under which the
MAP update is exactly the maximum-likelihood one (``DirichletPrior(1)``,
``GammaPrior(1, 0)``, ``BetaPrior(1, 1)``, ``NormalInverseWishart.flat(d)``).

Improper priors (a zero rate, zero shrinkage, a singular scale) have no
normalising constant; their ``log_pdf`` is the log of the unnormalised kernel,
which is all EM's objective needs (it is defined up to a constant).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from attrs import field, frozen
from scipy.special import betaln, gammaln, multigammaln, xlog1py, xlogy

from latentem.core.validation import check_float, most_negative_eigenvalue, readonly_array
from latentem.distributions.statistics import Moments

__all__ = [
    "BetaPrior",
    "DirichletPrior",
    "GammaPrior",
    "NormalInverseWishart",
    "niw_log_pdf",
    "niw_mode",
]

_LOG_2PI = math.log(2.0 * math.pi)


def _at_least_one(value: Any, name: str) -> np.ndarray:
    array = readonly_array(value)
    if array.ndim > 1 or array.size == 0 or not np.all(np.isfinite(array)) or np.any(array < 1):
        raise ValueError(
            f"{name} must be a finite number >= 1 (or a 1-D array of them), so that the MAP "
            f"estimate stays inside the parameter space; got {value!r}. Use 1 for a flat prior"
        )
    return array


@frozen(eq=False)
class DirichletPrior:
    """Dirichlet prior on probabilities (mixture weights, categorical probabilities).

    Parameters
    ----------
    concentration : float or array-like of shape (m,)
        ``alpha >= 1``; a scalar is shared by every category. ``1`` is flat
        (MAP = ML); larger values pull the probabilities towards equality.

    Notes
    -----
    With weighted counts ``n_k`` summing to ``n``, the MAP is
    ``(n_k + alpha_k - 1) / (n + sum_j (alpha_j - 1))``.

    Examples
    --------
    >>> import numpy as np
    >>> prior = DirichletPrior(2.0)
    >>> prior.mode(np.array([3.0, 0.0]))
    array([0.8, 0.2])
    >>> round(prior.log_pdf(np.array([0.5, 0.5])), 6)  # log Beta(2, 2) density at 1/2
    0.405465
    """

    concentration: np.ndarray = field(
        converter=lambda v: _at_least_one(v, "DirichletPrior concentration")
    )

    def alpha(self, n_categories: int) -> np.ndarray:
        """The concentration broadcast to ``n_categories`` entries."""
        if self.concentration.ndim == 1 and self.concentration.size != n_categories:
            raise ValueError(
                f"DirichletPrior concentration has {self.concentration.size} entries but there "
                f"are {n_categories} categories; pass a scalar or one value per category"
            )
        return np.broadcast_to(self.concentration, (n_categories,))

    def mode(self, counts: np.ndarray) -> np.ndarray:
        """MAP probabilities given weighted counts (m,)."""
        extra = self.alpha(counts.shape[0]) - 1.0
        total = counts.sum() + extra.sum()
        if not total > 0:
            raise ValueError(
                "the statistics hold no weight and the Dirichlet prior is flat, so the "
                "probabilities are undetermined; pass data of positive weight"
            )
        return (counts + extra) / total

    def log_pdf(self, probabilities: np.ndarray) -> float:
        """Log-density of probabilities (m,) on the simplex."""
        alpha = self.alpha(probabilities.shape[0])
        norm = gammaln(alpha.sum()) - gammaln(alpha).sum()
        return float(norm + xlogy(alpha - 1.0, probabilities).sum())


@frozen(eq=False)
class GammaPrior:
    """Gamma prior on a positive rate (Poisson and exponential rates).

    Parameters
    ----------
    shape : float, >= 1
    rate : float, >= 0
        ``GammaPrior(1, 0)`` is flat (improper): MAP = ML.

    Notes
    -----
    Density ``b^a / Gamma(a) lambda^(a-1) exp(-b lambda)``; improper
    (``rate = 0``) priors contribute ``(a - 1) log lambda``.

    Examples
    --------
    >>> from scipy import stats
    >>> prior = GammaPrior(3.0, 2.0)
    >>> bool(abs(prior.log_pdf(1.3) - stats.gamma.logpdf(1.3, 3.0, scale=0.5)) < 1e-12)
    True
    """

    shape: float = field(converter=lambda v: check_float(v, "GammaPrior shape", minimum=1.0))
    rate: float = field(converter=lambda v: check_float(v, "GammaPrior rate", minimum=0.0))

    def log_pdf(self, value: float) -> float:
        """Log-density at ``value > 0``."""
        kernel = float(xlogy(self.shape - 1.0, value)) - self.rate * value
        if self.rate > 0:
            kernel += self.shape * math.log(self.rate) - math.lgamma(self.shape)
        return kernel


@frozen(eq=False)
class BetaPrior:
    """Beta prior on probabilities in [0, 1] (Bernoulli, geometric).

    Parameters
    ----------
    a, b : float or array-like, >= 1
        ``BetaPrior(1, 1)`` is flat (uniform): MAP = ML. Arrays give one
        prior per feature (Bernoulli vectors).

    Examples
    --------
    >>> from scipy import stats
    >>> bool(abs(BetaPrior(2.0, 5.0).log_pdf(0.3) - stats.beta.logpdf(0.3, 2, 5)) < 1e-12)
    True
    """

    a: np.ndarray = field(converter=lambda v: _at_least_one(v, "BetaPrior a"))
    b: np.ndarray = field(converter=lambda v: _at_least_one(v, "BetaPrior b"))

    def log_pdf(self, p: Any) -> float:
        """Sum of the log-densities at ``p`` (scalar or one per feature)."""
        p = np.asarray(p, dtype=float)
        terms = xlogy(self.a - 1.0, p) + xlog1py(self.b - 1.0, -p) - betaln(self.a, self.b)
        return float(np.sum(np.broadcast_to(terms, np.broadcast_shapes(terms.shape, p.shape))))


def _scale_array(value: Any) -> np.ndarray:
    scale = readonly_array(value)
    if scale.ndim > 2 or not np.all(np.isfinite(scale)):
        raise ValueError(
            "NormalInverseWishart scale must be a finite scalar, vector (diagonal) or "
            f"matrix; got shape {scale.shape}"
        )
    if scale.ndim == 2:
        if scale.shape[0] != scale.shape[1] or not np.allclose(scale, scale.T):
            raise ValueError("NormalInverseWishart scale matrix must be square and symmetric")
        if most_negative_eigenvalue(scale) is not None:
            raise ValueError(
                "NormalInverseWishart scale must be positive semi-definite; got a matrix "
                "with a negative eigenvalue"
            )
    elif np.any(scale < 0):
        raise ValueError(f"NormalInverseWishart scale must be non-negative; got {scale!r}")
    return scale


@frozen(eq=False)
class NormalInverseWishart:
    """Normal-inverse-Wishart prior on a mean and a covariance (as mclust's).

    ``mean_param | cov ~ N(mean, cov / shrinkage)`` and
    ``cov ~ InverseWishart(dof, scale)``; for one feature or a diagonal
    covariance it is the normal-inverse-gamma prior on each variance with
    shape ``dof / 2`` and rate ``scale / 2``.

    Parameters
    ----------
    shrinkage : float, >= 0
        ``kappa``: how many pseudo-observations sit at ``mean``. 0 leaves the
        mean unpenalised (flat).
    mean : array-like of shape (d,)
    dof : float
        ``nu``; proper when ``nu > d - 1``.
    scale : float, array-like of shape (d,) or (d, d)
        ``Lambda``, positive semi-definite; a scalar means ``scale * I`` and a
        vector a diagonal matrix.

    Notes
    -----
    Given weighted moments (``W``, mean ``xbar``, scatter ``S``), the joint
    posterior mode (Fraley & Raftery 2007) is

    ``mu = (W xbar + kappa m) / (W + kappa)`` and
    ``Sigma = (Lambda + S + kappa W / (kappa + W) (xbar - m)(xbar - m)^T)
    / (nu + W + d + 2)``.

    The log-density is ``-(nu + d + 2)/2 log|Sigma| - tr(Lambda Sigma^-1)/2
    - kappa/2 (mu - m)^T Sigma^-1 (mu - m)`` plus, when the prior is proper
    (``kappa > 0``, ``nu > d - 1``, ``Lambda`` positive definite), its
    normalising constant. :meth:`flat` gives ``kappa = 0``, ``Lambda = 0``
    and ``nu = -(d + 2)`` (``-3`` for a diagonal covariance): a zero kernel
    whose mode is the ML estimate.

    For a diagonal covariance each feature ``j`` has its own one-dimensional
    prior (``Lambda_jj``, the same ``kappa`` and ``nu``): the variance's mode
    is ``(Lambda_jj + S_jj + c (xbar_j - m_j)^2) / (nu + W + 3)`` and the
    log-density the sum over features.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> prior = NormalInverseWishart(0.5, [0.0, 1.0], 4.0, [[1.0, 0.2], [0.2, 2.0]])
    >>> mu, cov = np.array([0.3, 0.8]), np.array([[1.5, 0.1], [0.1, 0.7]])
    >>> expected = (stats.multivariate_normal.logpdf(mu, prior.mean, cov / 0.5)
    ...             + stats.invwishart.logpdf(cov, 4.0, prior.scale))
    >>> bool(abs(prior.log_pdf(mu, cov) - expected) < 1e-10)
    True
    """

    shrinkage: float = field(
        converter=lambda v: check_float(v, "NormalInverseWishart shrinkage", minimum=0.0)
    )
    mean: np.ndarray = field(converter=readonly_array)
    dof: float = field(converter=lambda v: check_float(v, "NormalInverseWishart dof"))
    scale: np.ndarray = field(converter=_scale_array)

    def __attrs_post_init__(self) -> None:
        if self.mean.ndim != 1 or self.mean.size == 0 or not np.all(np.isfinite(self.mean)):
            raise ValueError(
                f"NormalInverseWishart mean must be a finite 1-D array; got {self.mean!r}"
            )
        d = self.mean.size
        if self.scale.ndim >= 1 and self.scale.shape[0] != d:
            raise ValueError(
                f"NormalInverseWishart scale must match the mean's {d} features; "
                f"got shape {self.scale.shape}"
            )

    @classmethod
    def flat(cls, n_features: int, diagonal: bool = False) -> NormalInverseWishart:
        """The improper prior whose MAP update is the maximum-likelihood one.

        ``dof = -(d + 2)`` for a full covariance, ``-3`` for a diagonal one
        (whose features have one-dimensional priors each).
        """
        return cls(0.0, np.zeros(n_features), -3.0 if diagonal else -(n_features + 2.0), 0.0)

    @property
    def n_features(self) -> int:
        """Dimension of the mean."""
        return int(self.mean.size)

    def full_scale(self) -> np.ndarray:
        """``Lambda`` as a (d, d) matrix."""
        d = self.n_features
        if self.scale.ndim == 2:
            return np.array(self.scale)
        return np.diag(np.broadcast_to(self.scale, (d,)).astype(float))

    def diagonal_scale(self) -> np.ndarray:
        """``Lambda`` as its diagonal (d,); a matrix must be diagonal."""
        if self.scale.ndim == 2:
            if np.any(self.scale - np.diag(np.diag(self.scale))):
                raise ValueError(
                    "a diagonal covariance needs a diagonal NormalInverseWishart scale; "
                    "pass a vector of variances instead of a full matrix"
                )
            return np.diag(self.scale).copy()
        return np.broadcast_to(self.scale, (self.n_features,)).astype(float)

    def is_proper(self, diagonal: bool = False) -> bool:
        """Whether the prior is a proper density (then its mode exists without data)."""
        d = 1 if diagonal else self.n_features
        scale = self.diagonal_scale() if diagonal else self.full_scale()
        positive = bool(np.all(scale > 0)) if diagonal else np.linalg.eigvalsh(scale).min() > 0
        return self.shrinkage > 0 and self.dof > d - 1 and positive

    def log_pdf(self, mean: np.ndarray, cov: np.ndarray) -> float:
        """Log-density at a mean (d,) and covariance: (d, d) full or (d,) diagonal."""
        return float(niw_log_pdf(self, mean[None], cov[None]).sum())


def niw_mode(moments: Moments, prior: NormalInverseWishart) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mode (mean, covariance) from weighted moments.

    The covariance is diagonal (d,) when ``moments.scatter`` is a vector.

    Examples
    --------
    >>> import numpy as np
    >>> m = Moments(4.0, np.array([1.0]), np.array([[8.0]]))
    >>> niw_mode(m, NormalInverseWishart.flat(1))   # the ML estimate
    (array([1.]), array([[2.]]))
    """
    weight, kappa = moments.weight, prior.shrinkage
    diagonal = moments.scatter.ndim == 1
    delta = moments.mean - prior.mean
    pooled = weight + kappa
    mean = (weight * moments.mean + kappa * prior.mean) / pooled
    shrink = kappa * weight / pooled
    if diagonal:
        numerator = prior.diagonal_scale() + moments.scatter + shrink * delta**2
        # the prior's terms first: the flat prior's cancel exactly, so a tiny weight survives
        denominator = weight + (prior.dof + 3.0)
    else:
        numerator = prior.full_scale() + moments.scatter + shrink * np.outer(delta, delta)
        denominator = weight + (prior.dof + prior.n_features + 2.0)
    if not denominator > 0:
        raise ValueError(
            f"the covariance's MAP denominator dof + weight + ... = {denominator:.6g} is not "
            "positive: the prior's dof is too small for this little data; raise dof"
        )
    return mean, numerator / denominator


def niw_log_pdf(prior: NormalInverseWishart, means: np.ndarray, covs: np.ndarray) -> np.ndarray:
    """Log-density of several (mean, covariance) pairs, shape (k,).

    Parameters
    ----------
    prior : NormalInverseWishart
    means : ndarray of shape (k, d)
    covs : ndarray of shape (k, d, d) (full) or (k, d) (diagonal)
    """
    kappa, nu = prior.shrinkage, prior.dof
    delta = means - prior.mean
    if covs.ndim == 2:  # d independent one-dimensional priors per row
        scale = prior.diagonal_scale()
        kernel = -(nu + 3.0) / 2.0 * np.log(covs) - (scale + kappa * delta**2) / (2.0 * covs)
        if prior.is_proper(diagonal=True):
            half = nu / 2.0
            kernel = kernel + 0.5 * (math.log(kappa) - _LOG_2PI)
            kernel = kernel + half * np.log(scale / 2.0) - math.lgamma(half)
        return kernel.sum(axis=1)
    d = prior.n_features
    scale = prior.full_scale()
    lower = np.linalg.cholesky(covs)
    log_det = 2.0 * np.log(np.diagonal(lower, axis1=1, axis2=2)).sum(axis=1)
    inverse = np.linalg.inv(covs)
    trace = np.einsum("ij,kji->k", scale, inverse)
    quadratic = np.einsum("ki,kij,kj->k", delta, inverse, delta)
    kernel = -(nu + d + 2.0) / 2.0 * log_det - 0.5 * trace - 0.5 * kappa * quadratic
    if prior.is_proper():
        constant = 0.5 * d * (math.log(kappa) - _LOG_2PI)
        constant += 0.5 * nu * np.linalg.slogdet(scale)[1] - 0.5 * nu * d * math.log(2.0)
        constant -= multigammaln(nu / 2.0, d)
        kernel = kernel + constant
    return kernel
