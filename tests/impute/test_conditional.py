"""Conditional expectations and draws against formulas written out row by row."""

import numpy as np
import pytest
from scipy import stats

from latentem.impute import conditional_expectation, draw_imputations, mixture_moments
from tests.mixture.test_gaussian import _random_model

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


def _model(covariance_type, k=3, d=4, seed=0):
    return _random_model(covariance_type, k=k, d=d, seed=seed)


def _data(model, n=60, fraction=0.35, seed=1):
    X, _ = model.sample(n, random_state=seed)
    rng = np.random.default_rng(seed)
    X[rng.random(X.shape) < fraction] = np.nan
    X[0] = np.nan
    X[1, :] = np.arange(model.n_features, dtype=float)  # a complete row
    return X


def _reference(model, x):
    """Posterior over components given x_o, and each component's conditional mean and covariance."""
    full = model.covariance_type.full_matrices(
        model.covariances, model.n_components, model.n_features
    )
    o, m = ~np.isnan(x), np.isnan(x)
    log_post, means, covs = [], [], []
    for k in range(model.n_components):
        mean, cov = model.means[k].copy(), np.zeros_like(full[k])
        density = 0.0
        if o.any():
            sigma_oo = full[k][np.ix_(o, o)]
            density = stats.multivariate_normal(model.means[k][o], sigma_oo).logpdf(x[o])
            gain = full[k][np.ix_(m, o)] @ np.linalg.inv(sigma_oo)
            mean[m] = model.means[k][m] + gain @ (x[o] - model.means[k][o])
            cov[np.ix_(m, m)] = full[k][np.ix_(m, m)] - gain @ full[k][np.ix_(o, m)]
        else:
            cov = full[k]
        mean[o] = x[o]
        log_post.append(np.log(model.weights[k]) + density)
        means.append(mean)
        covs.append(cov)
    log_post = np.array(log_post)
    return np.exp(log_post - np.logaddexp.reduce(log_post)), np.array(means), np.array(covs)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_conditional_expectation_averages_components_over_their_posterior(covariance_type):
    model = _model(covariance_type)
    X = _data(model)
    before = X.copy()
    filled = conditional_expectation(model, X)
    np.testing.assert_array_equal(X, before)
    assert not np.isnan(filled).any()
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(filled[observed], X[observed])
    for i, x in enumerate(X):
        posterior, means, _ = _reference(model, x)
        np.testing.assert_allclose(filled[i], posterior @ means, rtol=1e-9, atol=1e-10)
    mean, _ = mixture_moments(model)
    np.testing.assert_allclose(filled[0], mean, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_draws_follow_the_conditional_mixture(covariance_type):
    model = _model(covariance_type, k=2, d=3, seed=4)
    x = np.array([0.5, np.nan, np.nan])
    n_draws = 20000
    draws = draw_imputations(model, np.tile(x, (n_draws, 1)), n_imputations=1, random_state=0)
    assert draws.shape == (1, n_draws, 3)
    draws = draws[0][:, None, :]
    np.testing.assert_array_equal(draws[:, 0, 0], 0.5)
    posterior, means, covs = _reference(model, x)
    mean = posterior @ means
    offsets = means - mean
    cov = np.einsum("k,kij->ij", posterior, covs) + (posterior[:, None] * offsets).T @ offsets
    sample = draws[:, 0, 1:]
    sd = np.sqrt(np.diag(cov)[1:])
    # five standard errors of the sample mean, and a 5% band on the covariance
    np.testing.assert_array_less(np.abs(sample.mean(axis=0) - mean[1:]), 5 * sd / np.sqrt(n_draws))
    np.testing.assert_allclose(np.cov(sample.T), cov[1:, 1:], rtol=0.05, atol=0.05 * sd.max() ** 2)


def test_draws_keep_observed_entries_and_are_reproducible():
    model = _model("full")
    X = _data(model)
    before = X.copy()
    first = draw_imputations(model, X, 3, random_state=7)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(first, draw_imputations(model, X, 3, random_state=7))
    observed = ~np.isnan(X)
    for draw in first:
        np.testing.assert_array_equal(draw[observed], X[observed])
        assert not np.isnan(draw).any()
    holes = np.isnan(X)
    assert not np.allclose(first[0][holes], first[1][holes])
    complete = np.nan_to_num(X, nan=1.0)
    np.testing.assert_array_equal(draw_imputations(model, complete, 2, 0)[1], complete)


def test_mixture_moments_equal_moments_of_a_large_sample():
    model = _model("full", k=3, d=2, seed=2)
    mean, cov = mixture_moments(model)
    X, _ = model.sample(200000, random_state=3)
    np.testing.assert_allclose(mean, X.mean(axis=0), atol=5 * np.sqrt(np.diag(cov).max() / 2e5))
    np.testing.assert_allclose(cov, np.cov(X.T), rtol=0.02, atol=0.02 * np.diag(cov).max())


def test_bad_arguments_are_named():
    model = _model("full")
    with pytest.raises(ValueError, match="X has 3 features, but the model is expecting 4"):
        conditional_expectation(model, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X contains infinity"):
        conditional_expectation(model, [[np.inf, 0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="n_imputations must be at least 1; got 0"):
        draw_imputations(model, np.zeros((2, 4)), 0)
    with pytest.raises(TypeError, match="random_state must be None, an int seed"):
        draw_imputations(model, np.zeros((2, 4)), 2, random_state="seed")
