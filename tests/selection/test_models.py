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


# two blobs and one point recorded four times: a component on the copies collapses onto the
# reg_covar floor, and its likelihood (a density of 1/sqrt(reg_covar) per dimension) wins
# every criterion
COPIES = np.concatenate(
    [
        RNG.normal(0, 1, (100, 3)),
        RNG.normal(6, 1, (100, 3)),
        np.repeat([[20.0, -5.0, 3.0]], 4, axis=0),
    ]
)


def test_a_collapsed_cell_is_marked_not_selected_and_not_warned_about():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = latentem.select_model(COPIES, [1, 2, 3], ["full", "EII"], random_state=0)
    assert not [w for w in caught if issubclass(w.category, latentem.DegenerateFitWarning)]
    # the cell alone: the estimator warns, and its BIC beats the selection's best
    alone = latentem.GaussianMixture(3, random_state=0, tol=1e-6, max_iter=1000)
    with pytest.warns(latentem.DegenerateFitWarning) as warned:
        alone.fit(COPIES)
    assert alone.bic(COPIES) < result.best_estimator.bic(COPIES)
    collapsed = alone.degenerate_components_.tolist()
    assert result.degenerate == {(3, "full"): tuple(collapsed)}
    assert (
        result.failures[(3, "full")]
        == str(warned[0].message).split(": ", 1)[1].split("; degenerate_components_")[0]
    )
    assert np.isnan(result.scores["bic"][2, 0]) and np.isnan(result.scores["log_likelihood"][2, 0])
    best = result.best_estimator
    assert best.degenerate_components_.size == 0
    assert (best.n_components, best.covariance_type) != (3, "full")
    assert all((name, k) != ("full", 3) for name, k, _ in result.ranking())
    # the table and the summary say so
    rows = result.table().splitlines()
    assert rows[3].split()[:2] == ["3", "collapsed"]
    assert rows[-1] == "collapsed: a component collapsed onto the reg_covar floor"
    assert result.summary().splitlines()[-1] == (
        "not selected: 1 collapsed onto the reg_covar floor (see failures)"
    )


def test_failed_and_collapsed_cells_are_told_apart():
    # three distinct points in 3-D away from the blobs: they span a plane only
    points = np.random.default_rng(0).normal(0, 1, (3, 3)) + np.array([20.0, -5.0, 3.0])
    plane = np.concatenate([COPIES[:200], points])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        singular = latentem.select_model(plane, [1, 3], ["full"], reg_covar=0.0, random_state=0)
        floor = latentem.select_model(plane, [1, 3], ["full"], random_state=0)
    assert (3, "full") in singular.failures and singular.degenerate == {}
    assert "singular with reg_covar=0" in singular.failures[(3, "full")]
    assert singular.table().splitlines()[-1] == "-: the fit failed"
    assert singular.summary().endswith("not selected: 1 failed (see failures)")
    assert set(floor.degenerate) == {(3, "full")} and set(floor.failures) == {(3, "full")}
