"""A Gaussian mixture per state: density against scipy; one state is a Gaussian mixture model."""

import warnings

import numpy as np
import pytest
from scipy import stats

from latentem import EM, ConvergenceWarning, GaussianMixtureModel
from latentem.hmm import GaussianMixtureEmissions, HiddenMarkovModel

RNG = np.random.default_rng(0)


def layout(structure, k, m, d, rng=RNG):
    a = rng.normal(size=(k, m, d, d))
    full = a @ np.swapaxes(a, -1, -2) + np.eye(d)
    return {
        "full": full,
        "diag": rng.uniform(0.5, 2.0, size=(k, m, d)),
        "spherical": rng.uniform(0.5, 2.0, size=(k, m)),
        "tied": full[:, 0],
    }[structure]


@pytest.mark.parametrize("structure", ["full", "diag", "spherical", "tied"])
def test_log_prob_is_the_mixture_density(structure):
    k, m, d = 2, 3, 2
    weights = RNG.dirichlet(np.ones(m), size=k)
    means = RNG.normal(size=(k, m, d))
    emissions = GaussianMixtureEmissions(weights, means, layout(structure, k, m, d), structure)
    X = RNG.normal(scale=2.0, size=(25, d))
    full = emissions.full_covariances()
    density = np.column_stack(
        [
            sum(
                weights[s, c] * stats.multivariate_normal(means[s, c], full[s, c]).pdf(X)
                for c in range(m)
            )
            for s in range(k)
        ]
    )
    np.testing.assert_allclose(emissions.log_prob(X), np.log(density), rtol=1e-11)
    if structure == "tied":
        np.testing.assert_array_equal(full[:, 0], full[:, 1])


@pytest.mark.parametrize("structure", ["full", "diag", "spherical", "tied"])
def test_one_state_with_a_mixture_is_a_gaussian_mixture_model(structure):
    """With one state every row belongs to it: Baum-Welch is EM for a Gaussian mixture."""
    X = np.concatenate([RNG.normal(-2, 1, (50, 2)), RNG.normal(2, 0.5, (50, 2))])
    start = GaussianMixtureModel.from_data(
        X, 2, covariance_type=structure, reg_covar=0.0, random_state=1
    )
    hmm = HiddenMarkovModel(
        [1.0],
        [[1.0]],
        GaussianMixtureEmissions(
            start.weights[None], start.means[None], start.covariances[None], structure
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture = EM(max_iter=8, tol=0).fit(start, X)
        chain = EM(max_iter=8, tol=0).fit(hmm, X)
    np.testing.assert_allclose(chain.history, mixture.history, rtol=1e-11)
    fitted = chain.model.emissions
    np.testing.assert_allclose(fitted.weights[0], mixture.model.weights, rtol=1e-10)
    np.testing.assert_allclose(fitted.means[0], mixture.model.means, rtol=1e-9)
    np.testing.assert_allclose(fitted.covariances[0], mixture.model.covariances, rtol=1e-8)


def test_hmmlearn_update_centres_on_the_previous_means_and_still_never_decreases():
    X = np.concatenate([RNG.normal(-2, 1, (40, 1)), RNG.normal(2, 0.5, (40, 1))])
    emissions = GaussianMixtureEmissions(
        [[0.5, 0.5]], [[[-1.0], [1.0]]], [[[1.0], [1.0]]], "diag", centre_on_previous_means=True
    )
    model = HiddenMarkovModel([1.0], [[1.0]], emissions)
    stats_ = model.e_step(X)
    fitted = model.m_step(stats_)
    exact = HiddenMarkovModel(
        [1.0],
        [[1.0]],
        GaussianMixtureEmissions([[0.5, 0.5]], [[[-1.0], [1.0]]], [[[1.0], [1.0]]], "diag"),
    ).m_step(stats_)
    np.testing.assert_allclose(fitted.emissions.means, exact.emissions.means)
    shift = (exact.emissions.means - emissions.means) ** 2
    np.testing.assert_allclose(fitted.emissions.covariances, exact.emissions.covariances + shift)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        history = EM(max_iter=20, tol=0).fit(model, X).history
    assert np.all(np.diff(history) >= -1e-10 * np.abs(history[1:]))


def test_bad_shapes_say_what_is_expected():
    with pytest.raises(
        ValueError, match=r"covariances for covariance_type='tied' must have shape \(1, 1, 1\)"
    ):
        GaussianMixtureEmissions([[1.0]], [[[0.0]]], [[1.0]], "tied")
    with pytest.raises(ValueError, match=r"means must have shape \(n_states, n_mix, n_features\)"):
        GaussianMixtureEmissions([[1.0]], [[0.0]], [[1.0]], "spherical")
    with pytest.raises(ValueError, match="every row of weights must sum to 1"):
        GaussianMixtureEmissions([[0.5, 0.6]], [[[0.0], [1.0]]], [[1.0, 1.0]], "spherical")
