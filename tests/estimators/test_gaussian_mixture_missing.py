"""GaussianMixture on data with NaN: fit, score and predict against scipy, row by row."""

import warnings

import numpy as np
import pytest
from scipy import stats

from latentem import ConvergenceWarning, GaussianMixture

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]
ASSIGNMENTS = ["soft", "hard"]


def _data(seed=0, n=240, fraction=0.2):
    rng = np.random.default_rng(seed)
    X = np.concatenate(
        [
            rng.multivariate_normal(
                [0, 0, 0], [[1, 0.6, 0.2], [0.6, 1, 0.3], [0.2, 0.3, 1]], n // 2
            ),
            rng.multivariate_normal([4, 3, -2], np.diag([0.5, 2.0, 1.0]), n - n // 2),
        ]
    )
    X[rng.random(X.shape) < fraction] = np.nan
    return X


def _joint_by_hand(gm, X):
    full = gm.model_.covariance_type.full_matrices(gm.covariances_, gm.n_components, X.shape[1])
    out = np.zeros((X.shape[0], gm.n_components))
    for i, x in enumerate(X):
        o = ~np.isnan(x)
        for k in range(gm.n_components):
            out[i, k] = np.log(gm.weights_[k])
            if o.any():
                out[i, k] += stats.multivariate_normal(
                    gm.means_[k][o], full[k][np.ix_(o, o)]
                ).logpdf(x[o])
    return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_score_and_predict_with_missing_entries(covariance_type, assignment):
    X = _data()
    X[5] = np.nan
    before = X.copy()
    gm = GaussianMixture(
        2, covariance_type=covariance_type, assignment=assignment, random_state=0, tol=1e-8
    )
    labels = gm.fit_predict(X)
    np.testing.assert_array_equal(X, before)
    assert gm.converged_
    assert np.all(np.diff(gm.lower_bounds_) >= -1e-12 * np.abs(gm.lower_bounds_[1:]))
    joint = _joint_by_hand(gm, X)
    marginal = np.logaddexp.reduce(joint, axis=1)
    np.testing.assert_allclose(gm.score_samples(X), marginal, rtol=1e-10, atol=1e-12)
    assert gm.score(X) == pytest.approx(marginal.mean(), rel=1e-10)
    np.testing.assert_allclose(
        gm.predict_proba(X), np.exp(joint - marginal[:, None]), rtol=1e-8, atol=1e-12
    )
    np.testing.assert_array_equal(gm.predict(X), joint.argmax(axis=1))
    np.testing.assert_array_equal(labels, gm.predict(X))
    n_parameters = gm.model_.n_parameters
    # BIC's n counts the rows with something observed: an empty row carries no information
    n_informative = int((~np.isnan(X).all(axis=1)).sum())
    assert n_informative < X.shape[0]
    assert gm.bic(X) == pytest.approx(-2 * marginal.sum() + n_parameters * np.log(n_informative))
    assert gm.aic(X) == pytest.approx(-2 * marginal.sum() + 2 * n_parameters)
    # the two clusters are recovered through the missing entries
    assert {tuple(np.round(m).astype(int)[:1]) for m in gm.means_} == {(0,), (4,)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_first_objective_is_the_observed_data_objective_by_hand(covariance_type, assignment):
    X = _data(seed=1)
    start = GaussianMixture(2, covariance_type=covariance_type, random_state=1, max_iter=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start.fit(X)
        gm = GaussianMixture(
            2,
            covariance_type=covariance_type,
            assignment=assignment,
            max_iter=1,
            tol=0.0,
            weights_init=start.weights_,
            means_init=start.means_,
            precisions_init=start.precisions_,
        ).fit(X)
    joint = _joint_by_hand(start, X)
    terms = np.logaddexp.reduce(joint, axis=1) if assignment == "soft" else joint.max(axis=1)
    # rows with nothing observed are left out, of the sum and of the count
    informative = ~np.isnan(X).all(axis=1)
    assert not informative.all()
    assert gm.lower_bounds_[0] == pytest.approx(terms[informative].mean(), rel=1e-10)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_rows_with_nothing_observed_change_no_result(covariance_type, assignment):
    X = _data(seed=2, fraction=0.0)
    padded = np.insert(X, [3, 3, 50], np.nan, axis=0)
    settings = {"covariance_type": covariance_type, "assignment": assignment, "random_state": 0}
    plain = GaussianMixture(2, **settings).fit(X)
    ours = GaussianMixture(2, **settings).fit(padded)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_", "lower_bounds_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(plain, name), rtol=1e-12)
    assert (ours.n_iter_, ours.converged_) == (plain.n_iter_, plain.converged_)
    np.testing.assert_allclose(ours.predict_proba(padded[3:5]), np.tile(plain.weights_, (2, 1)))
    np.testing.assert_allclose(ours.score_samples(padded[3:5]), 0.0, atol=1e-14)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_map_fit_with_the_default_prior_on_missing_data(covariance_type, assignment):
    X = _data(seed=3)
    gm = GaussianMixture(
        2,
        covariance_type=covariance_type,
        assignment=assignment,
        prior="default",
        reg_covar=0.0,
        random_state=0,
        tol=1e-8,
    ).fit(X)
    assert gm.converged_
    history = np.asarray(gm.lower_bounds_)
    assert np.all(np.diff(history) >= -1e-12 * np.abs(history[1:]))
    # the objective is the observed-data term plus the log-prior, at the last start
    informative = ~np.isnan(X).all(axis=1)
    joint = _joint_by_hand(gm, X)[informative]
    terms = np.logaddexp.reduce(joint, axis=1) if assignment == "soft" else joint.max(axis=1)
    final = (terms.sum() + gm.model_.log_prior()) / informative.sum()
    assert final >= gm.lower_bound_ - 1e-12 * abs(final)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_sample_weights_with_missing_entries_equal_replicated_rows(covariance_type):
    X = _data(seed=4, n=120)
    weights = np.random.default_rng(4).integers(0, 3, size=X.shape[0])
    start = GaussianMixture(2, covariance_type=covariance_type, random_state=0, max_iter=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start.fit(X)
    settings = {
        "covariance_type": covariance_type,
        "weights_init": start.weights_,
        "means_init": start.means_,
        "precisions_init": start.precisions_,
        "tol": 1e-10,
        "max_iter": 500,
    }
    weighted = GaussianMixture(2, **settings).fit(X, sample_weight=weights)
    replicated = GaussianMixture(2, **settings).fit(np.repeat(X, weights, axis=0))
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(
            getattr(weighted, name), getattr(replicated, name), rtol=1e-8, atol=1e-10
        )
    assert weighted.n_iter_ == replicated.n_iter_
