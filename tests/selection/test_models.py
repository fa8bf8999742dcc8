"""select_model: every (structure, k) fitted, the table, the failures, the best, the edge."""

import warnings

import numpy as np
import pytest

import latentem

RNG = np.random.default_rng(3)
# two elongated clusters with one orientation and different sizes: VVE-like, not spherical
ROTATION = np.array([[np.cos(0.6), -np.sin(0.6)], [np.sin(0.6), np.cos(0.6)]])
X = np.concatenate(
    [
        RNG.normal(size=(150, 2)) * [3.0, 0.5] @ ROTATION.T,
        RNG.normal(size=(150, 2)) * [1.5, 0.25] @ ROTATION.T + [8.0, 0.0],
    ]
)


def test_every_cell_is_the_estimator_fitted_alone_and_the_best_is_the_minimum():
    structures = ["EII", "VVE", "full", "EEE"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = latentem.select_model(X, [1, 2, 3], structures, random_state=0)
    assert result.covariance_types == ("EII", "VVE", "full", "tied")
    for i, k in enumerate([1, 2, 3]):
        for j, name in enumerate(structures):
            alone = latentem.GaussianMixture(
                k, covariance_type=name, random_state=0, tol=1e-6, max_iter=1000
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", latentem.ConvergenceWarning)
                alone.fit(X)
            assert result.scores["bic"][i, j] == pytest.approx(alone.bic(X), rel=1e-12)
    best = result.best_estimator
    table = result.scores["bic"]
    i, j = np.unravel_index(np.nanargmin(table), table.shape)
    assert (best.n_components, best.covariance_type) == ([1, 2, 3][i], structures[j])
    assert result.ranking()[0][2] == pytest.approx(best.bic(X), rel=1e-12)
    assert result.summary().splitlines()[1].startswith(f"  {structures[j]}, {[1, 2, 3][i]}")


def test_a_cell_that_cannot_be_fitted_is_reported_not_selected():
    few = X[:6]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = latentem.select_model(few, [1, 3], ["full"], reg_covar=0.0, random_state=0)
    assert (3, "full") in result.failures
    assert np.isnan(result.scores["bic"][1, 0])
    assert result.best_estimator.n_components == 1


def test_the_best_k_at_the_edge_of_the_range_warns():
    with pytest.warns(UserWarning, match=r"best number of components \(2\) is at the edge"):
        latentem.select_model(X, [1, 2], ["VVE"], random_state=0)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        latentem.select_model(X, [1, 2], ["nope"])
    with pytest.raises(ValueError, match="must not repeat a structure"):
        latentem.select_model(X, [1, 2], ["full", "VVV"])
    with pytest.raises(ValueError, match="criterion must be one of"):
        latentem.select_model(X, [1, 2], "all", criterion="mdl")
