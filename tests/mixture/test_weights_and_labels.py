"""Sample weights equal row replication; labels pin rows to their component."""

import numpy as np
import pytest

from latentem.core.data import Observations
from latentem.mixture import GaussianMixtureModel

RNG = np.random.default_rng(3)
X = np.concatenate([RNG.normal(0, 1, (30, 2)), RNG.normal(4, 1, (30, 2))])


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
@pytest.mark.parametrize("assignment", ["soft", "hard"])
def test_integer_weights_equal_replicated_rows(covariance_type, assignment):
    model = GaussianMixtureModel.from_data(
        X, 2, covariance_type=covariance_type, assignment=assignment, random_state=0
    )
    weights = RNG.integers(0, 4, size=X.shape[0])
    weighted = model.m_step(model.e_step(Observations(X, sample_weight=weights)))
    replicated = model.m_step(model.e_step(np.repeat(X, weights, axis=0)))
    for name in ("weights", "means", "covariances"):
        np.testing.assert_allclose(
            getattr(weighted, name), getattr(replicated, name), rtol=1e-12, atol=1e-14
        )
    assert model.log_likelihood(Observations(X, sample_weight=weights)) == pytest.approx(
        model.log_likelihood(np.repeat(X, weights, axis=0)), rel=1e-12
    )


def test_labelled_rows_count_only_for_their_component():
    model = GaussianMixtureModel.from_data(X, 2, random_state=0)
    labels = np.full(X.shape[0], -1)
    labels[:5] = 1  # pin five rows of the first cluster to component 1
    stats = model.e_step(Observations(X, labels=labels))
    free = model.e_step(X[5:])
    np.testing.assert_allclose(stats.counts, free.counts + np.array([0.0, 5.0]), rtol=1e-12)
    joint = model.joint_log_prob(X[:5])
    expected = joint[:, 1].sum() + model.log_likelihood(X[5:])
    assert stats.log_likelihood == pytest.approx(expected, rel=1e-12)


def test_bad_weights_and_labels_are_named():
    with pytest.raises(ValueError, match="sample_weight must be finite and non-negative"):
        Observations(X, sample_weight=-np.ones(X.shape[0]))
    with pytest.raises(ValueError, match="sample_weight must have one entry per row"):
        Observations(X, sample_weight=np.ones(3))
    with pytest.raises(TypeError, match="labels must be integers"):
        Observations(X, labels=np.full(X.shape[0], 0.5))
    model = GaussianMixtureModel.from_data(X, 2, random_state=0)
    with pytest.raises(ValueError, match="below n_components=2"):
        model.e_step(Observations(X, labels=np.full(X.shape[0], 2)))
