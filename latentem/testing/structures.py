"""A conformance check for covariance structures, built-in or written by users."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from scipy import stats
from scipy.special import logsumexp

from latentem.hmm.emissions import GaussianEmissions, GaussianPrior
from latentem.hmm.model import HiddenMarkovModel
from latentem.mixture.covariance import CovarianceType, covariance_type
from latentem.mixture.gaussian import GaussianMixtureModel
from latentem.mixture.prior import GaussianMixturePrior
from latentem.testing.checks import assert_monotone, check_latent_model

__all__ = ["check_covariance_structure"]


def _close(found: Any, expected: Any, what: str, rtol: float = 1e-9) -> None:
    found, expected = np.asarray(found, dtype=float), np.asarray(expected, dtype=float)
    if found.shape != expected.shape or not np.allclose(found, expected, rtol=rtol, atol=1e-10):
        raise AssertionError(f"{what}: got {found!r}, expected {expected!r}")


def _reference_log_density(X: np.ndarray, means: np.ndarray, full: np.ndarray) -> np.ndarray:
    """scipy's log-density of each row's observed entries under each component, (n, k)."""
    out = np.zeros((X.shape[0], means.shape[0]))
    for i, row in enumerate(X):
        seen = ~np.isnan(row)
        if seen.any():
            for k in range(means.shape[0]):
                cov = full[k][np.ix_(seen, seen)]
                out[i, k] = stats.multivariate_normal(means[k, seen], cov).logpdf(row[seen])
    return out


def _expected_log_likelihood(model: GaussianMixtureModel, X: np.ndarray, resp: np.ndarray) -> float:
    full = model.covariance_type.full_matrices(model.covariances, *model.means.shape)
    return float(np.sum(resp * _reference_log_density(X, model.means, full)))


def check_covariance_structure(
    structure: str | CovarianceType,
    *,
    n_components: int = 3,
    n_features: int = 3,
    n_samples: int = 150,
    random_state: int = 0,
) -> None:
    """Check a covariance structure against its own full matrices and scipy's densities.

    Checks, in order: the layout (shapes, projection from full matrices,
    vector packing, parameter count); log-determinants and log-densities of
    :class:`~latentem.GaussianMixtureModel` against scipy, with and without
    NaN entries; that the M-step maximises the expected log-likelihood over
    the structure (against random covariances of the structure); the whole
    :func:`check_latent_model` contract with and without NaN; HMM emissions'
    densities against scipy and a monotone HMM fit; and, for the priors the
    structure declares it supports, a monotone MAP fit.

    Parameters
    ----------
    structure : str or CovarianceType
        A registered name, or an instance (registered or not).
    n_components, n_features, n_samples : int
        Size of the random problems.
    random_state : int, default=0

    Raises
    ------
    AssertionError
        Naming the first check that failed.

    Examples
    --------
    >>> from latentem.testing import check_covariance_structure
    >>> check_covariance_structure("tied", n_samples=60)
    """
    structure = covariance_type(structure)
    rng = np.random.default_rng(random_state)
    k, d = n_components, n_features
    raw = rng.normal(size=(k, d, d))
    covariances = structure.from_full_matrices(raw @ np.swapaxes(raw, 1, 2) + np.eye(d))
    shape = structure.parameter_shape(k, d)
    _close(covariances.shape, shape, "from_full_matrices gives parameter_shape(k, d)")
    full = structure.full_matrices(covariances, k, d)
    _close(structure.from_full_matrices(full), covariances, "from_full_matrices(full_matrices)")
    vector = structure.to_vector(covariances)
    if vector.size < structure.n_parameters(k, d):  # more when stored redundantly (mclust's)
        raise AssertionError(
            f"to_vector's length {vector.size} is below n_parameters "
            f"{structure.n_parameters(k, d)}: the vector cannot hold the parameters"
        )
    _close(structure.from_vector(vector, k, d), covariances, "from_vector(to_vector)")

    means = rng.normal(scale=4.0, size=(k, d))
    weights = rng.dirichlet(np.full(k, 5.0))
    model = GaussianMixtureModel(weights, means, covariances, structure, reg_covar=0.0)
    factors = structure.components(np.log(weights), means, model.precisions_cholesky)
    log_det = np.broadcast_to(factors.log_det, (k,))  # (1,) for a shared matrix
    _close(log_det, -0.5 * np.linalg.slogdet(full)[1], "log det of the precision factors")
    X, _ = model.sample(n_samples, random_state=rng)
    holes = X.copy()
    holes[rng.random(X.shape) < 0.2] = np.nan
    for data, what in ((X, "complete rows"), (holes, "rows with NaN")):
        expected = logsumexp(np.log(weights) + _reference_log_density(data, means, full), axis=1)
        _close(model.score_samples(data), expected, f"score_samples of {what} against scipy")

    resp = model.predict_proba(X)
    best = model.m_step(model.e_step(X))
    target = _expected_log_likelihood(best, X, resp)
    for _ in range(5):
        raw = rng.normal(size=(k, d, d))
        other = structure.from_full_matrices(raw @ np.swapaxes(raw, 1, 2) + 0.1 * np.eye(d))
        rival = GaussianMixtureModel(best.weights, best.means, other, structure, reg_covar=0.0)
        if _expected_log_likelihood(rival, X, resp) > target + 1e-9 * abs(target):
            raise AssertionError(
                f"the M-step of {structure!r} is not a maximiser: other covariances of the "
                "structure have a higher expected complete-data log-likelihood"
            )
    check_latent_model(model, X)
    check_latent_model(model, holes)

    emissions = GaussianEmissions(means, structure.from_full_matrices(full), structure)
    reference = _reference_log_density(holes, means, full)
    _close(emissions.log_prob(holes), reference, "HMM emission log-densities against scipy")
    hmm = HiddenMarkovModel(np.full(k, 1.0 / k), np.full((k, k), 1.0 / k), emissions)
    assert_monotone(hmm, holes, n_iter=8)

    if structure.supports_niw_prior:
        prior = GaussianMixturePrior.from_data(X, k, structure)
        start = GaussianMixtureModel(weights, means, covariances, structure, prior=prior)
        assert_monotone(start, holes)
    if structure.supports_conjugate_prior:
        psi = structure.from_full_matrices(0.1 * np.broadcast_to(np.eye(d), (k, d, d)))
        dof = np.ones(structure.conjugate_dof_shape(k, d))
        weak = GaussianPrior(rng.normal(size=(k, d)), np.full(k, 0.5), psi, dof, structure)
        assert_monotone(attrs.evolve(hmm, emissions=attrs.evolve(emissions, prior=weak)), holes)
