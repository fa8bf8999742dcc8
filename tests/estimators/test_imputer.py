"""EMImputer: scikit-learn's imputer interface, imputation quality, hostile input."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from scipy import stats

import latentem
from latentem import EMImputer, NotFittedError
from latentem.mixture import GaussianMixtureModel
from latentem.testing import assert_monotone, check_latent_model
from latentem.testing import strategies as lst


def _correlated(n=1000, d=6, rho=0.8, fraction=0.2, seed=0):
    rng = np.random.default_rng(seed)
    cov = rho * np.ones((d, d)) + (1 - rho) * np.eye(d)
    X = rng.multivariate_normal(np.linspace(-2, 2, d), cov, size=n)
    holes = rng.random(X.shape) < fraction
    holes[holes.all(axis=1), 0] = False
    X_missing = X.copy()
    X_missing[holes] = np.nan
    return X, X_missing, holes


def _rmse(filled, X, holes):
    return float(np.sqrt(np.mean((filled[holes] - X[holes]) ** 2)))


def test_imputation_error_is_well_below_mean_imputation():
    X, X_missing, holes = _correlated()
    filled = EMImputer().fit_transform(X_missing)
    mean_filled = np.where(holes, np.nanmean(X_missing, axis=0), X_missing)
    ours, mean_error = _rmse(filled, X, holes), _rmse(mean_filled, X, holes)
    # with correlation 0.8 among 6 features the conditional mean explains most variance
    assert ours < 0.6 * mean_error, (ours, mean_error)


def test_a_mixture_imputes_clustered_data_better_than_one_normal():
    rng = np.random.default_rng(1)
    # every coordinate alone tells the clusters apart, so one observed entry places a row
    centres = np.array([[-5.0, 0.0, 5.0], [0.0, 5.0, -5.0], [5.0, -5.0, 0.0]])
    X = centres[rng.integers(0, 3, 900)] + rng.normal(scale=0.7, size=(900, 3))
    X_missing = X.copy()
    holes = rng.random(X.shape) < 0.2
    holes[holes.all(axis=1), 0] = False
    X_missing[holes] = np.nan
    one = EMImputer().fit_transform(X_missing)
    three = EMImputer(n_components=3, random_state=0, n_init=2, tol=1e-8).fit_transform(X_missing)
    assert _rmse(three, X, holes) < 0.5 * _rmse(one, X, holes)


def test_fitted_attributes_and_score_against_scipy():
    _, X_missing, _ = _correlated(n=300)
    imputer = EMImputer().fit(X_missing)
    assert imputer.n_features_in_ == 6 and imputer.n_iter_ >= 2 and imputer.converged_
    assert imputer.mean_.shape == (6,) and imputer.covariance_.shape == (6, 6)
    np.testing.assert_array_equal(imputer.means_[0], imputer.mean_)
    np.testing.assert_array_equal(imputer.covariances_[0], imputer.covariance_)
    expected = np.array(
        [
            stats.multivariate_normal(
                imputer.mean_[~np.isnan(x)], imputer.covariance_[np.ix_(~np.isnan(x), ~np.isnan(x))]
            ).logpdf(x[~np.isnan(x)])
            for x in X_missing
        ]
    )
    np.testing.assert_allclose(imputer.score_samples(X_missing), expected, rtol=1e-10)
    assert imputer.score(X_missing) == pytest.approx(expected.mean(), rel=1e-10)
    assert imputer.lower_bound_ <= imputer.score(X_missing) + 1e-12


def test_transform_fills_with_the_conditional_mean_of_the_fitted_normal():
    _, X_missing, _ = _correlated(n=200)
    imputer = EMImputer().fit(X_missing)
    filled = imputer.transform(X_missing[:20])
    mu, sigma = imputer.mean_, imputer.covariance_
    for x, row in zip(X_missing[:20], filled, strict=True):
        o, m = ~np.isnan(x), np.isnan(x)
        expected = x.copy()
        expected[m] = mu[m] + sigma[np.ix_(m, o)] @ np.linalg.solve(
            sigma[np.ix_(o, o)], x[o] - mu[o]
        )
        np.testing.assert_allclose(row, expected, rtol=1e-10, atol=1e-12)
    everything_missing = imputer.transform(np.full((2, 6), np.nan))
    np.testing.assert_allclose(everything_missing, np.tile(mu, (2, 1)), rtol=1e-12)


def test_sample_draws_multiple_imputations():
    X, X_missing, holes = _correlated(n=400)
    imputer = EMImputer().fit(X_missing)
    draws = imputer.sample(X_missing, n_imputations=4, random_state=0)
    assert draws.shape == (4, 400, 6)
    np.testing.assert_array_equal(draws, imputer.sample(X_missing, 4, random_state=0))
    for draw in draws:
        np.testing.assert_array_equal(draw[~holes], X_missing[~holes])
        assert not np.isnan(draw).any()
    # averaging draws approaches transform; a single draw is noisier than the mean
    filled = imputer.transform(X_missing)
    assert _rmse(draws[0], X, holes) > _rmse(filled, X, holes)
    many = imputer.sample(X_missing, 200, random_state=1).mean(axis=0)
    assert np.abs(many - filled)[holes].mean() < 0.1


def test_inputs_are_never_modified_and_read_only_inputs_work():
    _, X_missing, _ = _correlated(n=100)
    data = X_missing.copy()
    data.setflags(write=False)
    imputer = EMImputer()
    imputer.fit(data)
    imputer.transform(data)
    imputer.fit_transform(data)
    imputer.sample(data, 2, random_state=0)
    imputer.score(data)
    np.testing.assert_array_equal(data, X_missing)


def test_fit_transform_equals_fit_then_transform_and_pickles():
    _, X_missing, _ = _correlated(n=150)
    a = EMImputer(n_components=2, random_state=0, tol=1e-6).fit_transform(X_missing)
    imputer = EMImputer(n_components=2, random_state=0, tol=1e-6).fit(X_missing)
    np.testing.assert_array_equal(a, imputer.transform(X_missing))
    restored = pickle.loads(pickle.dumps(imputer))
    np.testing.assert_array_equal(restored.transform(X_missing), a)


def test_parameters_follow_the_estimator_protocol():
    imputer = EMImputer(n_components=2, tol=1e-6)
    assert imputer.get_params()["n_components"] == 2
    assert imputer.set_params(covariance_type="diag") is imputer
    assert repr(imputer) == "EMImputer(covariance_type='diag', n_components=2, tol=1e-06)"
    with pytest.raises(ValueError, match="Invalid parameter 'n_component'"):
        imputer.set_params(n_component=3)


@pytest.mark.parametrize(
    "data, error, match",
    [
        (np.array([[0.0, np.inf], [1.0, 2.0]]), ValueError, r"X contains infinity"),
        (np.array([[0.0, np.nan], [1.0, np.nan], [2.0, np.nan]]), ValueError, r"no observed value"),
        (np.full((4, 2), np.nan), ValueError, r"X has no observed entry at all"),
        (np.arange(5.0), ValueError, r"2-D array"),
        (np.zeros((1, 2)), ValueError, r"at least 2 samples"),
        ("abc", TypeError, r"X must be an array of numbers"),
    ],
)
def test_bad_data_is_named(data, error, match):
    with pytest.raises(error, match=match):
        EMImputer().fit(data)


@pytest.mark.parametrize(
    "params, error, match",
    [
        (
            {"n_components": 0},
            ValueError,
            r"^The 'n_components' parameter of EMImputer must be an int in the range \[1, inf\)\. "
            r"Got 0 instead\.$",
        ),
        (
            {"covariance_type": "diagonal"},
            ValueError,
            r"^The 'covariance_type' parameter of EMImputer must be a str among \{'full',",
        ),
        ({"tol": -1.0}, ValueError, r"The 'tol' parameter of EMImputer must be a float in the"),
        ({"reg_covar": -1.0}, ValueError, r"The 'reg_covar' parameter of EMImputer must be a"),
        ({"max_iter": 1.5}, TypeError, r"The 'max_iter' parameter of EMImputer must be an int"),
    ],
)
def test_bad_settings_are_named(params, error, match):
    _, X_missing, _ = _correlated(n=50)
    with pytest.raises(error, match=match):
        EMImputer(**params).fit(X_missing)


def test_use_before_fit_and_with_the_wrong_width():
    _, X_missing, _ = _correlated(n=50)
    for method in ("transform", "score_samples", "score"):
        with pytest.raises(NotFittedError, match="This EMImputer instance is not fitted yet"):
            getattr(EMImputer(), method)(X_missing)
    with pytest.raises(NotFittedError):
        EMImputer().sample(X_missing)
    imputer = EMImputer().fit(X_missing)
    for method in (imputer.transform, imputer.score_samples, imputer.sample):
        with pytest.raises(ValueError, match="X has 3 features, but EMImputer is expecting 6"):
            method(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="n_imputations must be at least 1"):
        imputer.sample(X_missing, 0)


def test_a_singular_covariance_says_to_increase_reg_covar():
    X = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    X[2, 0] = np.nan
    with pytest.raises(ValueError, match="reg_covar"):
        EMImputer().fit(X)
    filled = EMImputer(reg_covar=1e-6).fit_transform(X)
    assert not np.isnan(filled).any()


def test_passes_scikit_learns_estimator_checks():
    estimator_checks = pytest.importorskip("sklearn.utils.estimator_checks")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = estimator_checks.check_estimator(EMImputer(), on_fail=None)
    failures = [r for r in results if r["status"] == "failed"]
    assert len(results) > 30
    assert not failures, [(r["check_name"], repr(r["exception"])) for r in failures]


def test_the_single_normal_is_a_latent_model():
    _, X_missing, _ = _correlated(n=120, d=3)
    start = GaussianMixtureModel.from_data(X_missing, 1, reg_covar=0.0)
    check_latent_model(start, X_missing, n_iter=10)
    result = latentem.EM(tol=1e-10, max_iter=1000).fit(start, X_missing)
    imputer = EMImputer().fit(X_missing)
    np.testing.assert_allclose(result.model.means[0], imputer.mean_, rtol=1e-6)


@settings(max_examples=25)
@given(data=st.data())
def test_observed_data_likelihood_never_decreases_for_one_normal(data):
    d = data.draw(st.integers(1, 5))
    cov = data.draw(lst.spd_matrices(d))
    rng = np.random.default_rng(data.draw(lst.seeds()))
    X = rng.multivariate_normal(rng.normal(0, 5, d), cov, size=data.draw(st.integers(d + 5, 80)))
    X[data.draw(lst.missing_masks(X.shape, max_fraction=0.5))] = np.nan
    try:
        start = GaussianMixtureModel.from_data(X, 1, reg_covar=0.0)
    except ValueError as error:
        if "no observed value" in str(error):  # a column the mask removed entirely
            reject()
        raise
    assert_monotone(start, X, n_iter=15)


def test_save_and_load_round_trip(tmp_path):
    _, X_missing, _ = _correlated(n=150)
    imputer = EMImputer(n_components=2, random_state=0, tol=1e-6).fit(X_missing)
    latentem.save(imputer, tmp_path / "imputer.json")
    again = latentem.load(tmp_path / "imputer.json")
    assert again.get_params() == imputer.get_params()
    for name in ("mean_", "covariance_", "weights_", "means_", "covariances_"):
        assert getattr(again, name).tobytes() == getattr(imputer, name).tobytes(), name
    assert (again.n_iter_, again.converged_, again.lower_bound_) == (
        imputer.n_iter_,
        imputer.converged_,
        imputer.lower_bound_,
    )
    np.testing.assert_array_equal(again.transform(X_missing), imputer.transform(X_missing))
