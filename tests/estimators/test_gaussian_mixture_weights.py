"""GaussianMixture.fit with sample weights, partial labels and a prior."""

import warnings

import attrs
import numpy as np
import pytest

from latentem import (
    EM,
    ConvergenceWarning,
    GaussianMixture,
    GaussianMixtureModel,
    GaussianMixturePrior,
    Observations,
)
from latentem.testing import assert_models_close

RNG = np.random.default_rng(11)
X = np.concatenate([RNG.normal(0, 1, (40, 2)), RNG.normal([4, 2], 0.8, (30, 2))])
COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


def _start(covariance_type, n_components=2):
    start = GaussianMixtureModel.from_data(
        X, n_components, covariance_type=covariance_type, random_state=0
    )
    return {
        "weights_init": start.weights,
        "means_init": start.means,
        "precisions_init": start.precisions,
    }


FITTED = ["weights_", "means_", "covariances_", "precisions_cholesky_", "lower_bounds_"]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_weights_equal_replicated_rows(covariance_type):
    counts = RNG.integers(0, 4, size=len(X))
    settings = {"covariance_type": covariance_type, "tol": 1e-6, "max_iter": 200}
    settings.update(_start(covariance_type))
    weighted = GaussianMixture(2, **settings).fit(X, sample_weight=counts)
    replicated = GaussianMixture(2, **settings).fit(np.repeat(X, counts, axis=0))
    assert weighted.n_iter_ == replicated.n_iter_
    for name in FITTED:
        np.testing.assert_allclose(
            getattr(weighted, name), getattr(replicated, name), rtol=1e-10, atol=1e-12
        )
    assert weighted.lower_bound_ == pytest.approx(replicated.lower_bound_, rel=1e-12)


def test_weights_are_not_interpreted_from_y_and_are_left_unchanged():
    weights = np.linspace(0.5, 1.5, len(X))
    before = weights.copy()
    settings = _start("full")
    plain = GaussianMixture(2, **settings).fit(X, y=np.arange(len(X)))
    reference = GaussianMixture(2, **settings).fit(X)
    np.testing.assert_array_equal(plain.means_, reference.means_)
    GaussianMixture(2, **settings).fit(X, sample_weight=weights)
    np.testing.assert_array_equal(weights, before)


def test_labels_pin_rows_as_the_model_does():
    labels = np.full(len(X), -1)
    labels[:5] = 1  # five rows of the first cluster declared to belong to component 1
    labels[45:50] = 0
    settings = {**_start("full"), "tol": 0.0, "max_iter": 8}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(2, **settings).fit(X, labels=labels)
        start = GaussianMixtureModel.from_parameters(
            settings["weights_init"], settings["means_init"], precisions=settings["precisions_init"]
        )
        expected = EM(max_iter=8, tol=0).fit(start, Observations(X, labels=labels))
    assert_models_close(gm.model_, expected.model, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gm.lower_bounds_, expected.history / len(X), rtol=1e-13)


def test_labels_decide_which_component_is_which():
    labels = np.full(len(X), -1)
    labels[[0, 1, 2]] = 1  # the first cluster is component 1
    labels[[40, 41, 42]] = 0
    for seed in range(3):
        gm = GaussianMixture(2, random_state=seed).fit(X, labels=labels)
        assert gm.means_[1, 0] < gm.means_[0, 0]


def test_prior_default_is_mclusts_prior_of_the_data():
    settings = {**_start("diag"), "covariance_type": "diag", "tol": 1e-8}
    default = GaussianMixture(2, prior="default", **settings).fit(X)
    explicit = GaussianMixture(
        2, prior=GaussianMixturePrior.from_data(X, 2, "diag"), **settings
    ).fit(X)
    np.testing.assert_array_equal(default.means_, explicit.means_)
    ml = GaussianMixture(2, **settings).fit(X)
    assert not np.allclose(default.covariances_, ml.covariances_, rtol=1e-6)


def test_the_objective_with_a_prior_includes_the_log_prior():
    settings = {**_start("full"), "tol": 0.0, "max_iter": 6}
    prior = GaussianMixturePrior.from_data(X, 2, "full", shrinkage=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(2, prior=prior, **settings).fit(X)
        start = GaussianMixtureModel.from_parameters(
            settings["weights_init"], settings["means_init"], precisions=settings["precisions_init"]
        )
        start = attrs.evolve(start, prior=prior)
        expected = EM(max_iter=6, tol=0).fit(start, X)
    assert expected.history[0] == pytest.approx(
        start.log_likelihood(X) + start.log_prior(), rel=1e-14
    )
    np.testing.assert_allclose(gm.lower_bounds_, expected.history / len(X), rtol=1e-13)
    assert_models_close(gm.model_, expected.model, rtol=1e-12, atol=1e-14)


def test_prior_is_honoured_with_sample_weights():
    counts = RNG.integers(0, 3, size=len(X))
    settings = {**_start("full"), "tol": 1e-6, "prior": "default"}
    weighted = GaussianMixture(2, **settings).fit(X, sample_weight=counts)
    replicated = GaussianMixture(2, **settings).fit(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(weighted.covariances_, replicated.covariances_, rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sample_weight": np.zeros(len(X))}, ValueError, "sample_weight must not be all zero"),
        ({"sample_weight": -np.ones(len(X))}, ValueError, "finite and non-negative"),
        ({"sample_weight": np.ones(3)}, ValueError, "one entry per row of X"),
        ({"labels": np.full(len(X), 2)}, ValueError, "below n_components=2; got 2"),
        ({"labels": np.full(len(X), 0.5)}, TypeError, "labels must be integers"),
    ],
)
def test_bad_weights_and_labels_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(2, random_state=0).fit(X, **kwargs)


def test_bad_prior_is_named():
    with pytest.raises(ValueError, match="prior must be None, 'default'"):
        GaussianMixture(2, prior="mclust").fit(X)
