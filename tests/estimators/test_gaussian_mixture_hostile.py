"""Hostile and degenerate input: clear errors naming the argument, or finite parameters."""

import warnings

import numpy as np
import pytest

from latentem import ConvergenceWarning, GaussianMixture, NotFittedError

RNG = np.random.default_rng(5)
X = np.concatenate([RNG.normal(0, 1, (40, 2)), RNG.normal(5, 1, (40, 2))])
COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


@pytest.mark.parametrize(
    "data, error, match",
    [
        (np.array([[0.0, np.inf], [1.0, 2.0]]), ValueError, r"X contains .*infinity"),
        (np.array([[0.0, np.nan], [1.0, np.nan], [3.0, np.nan]]), ValueError, r"no observed value"),
        (np.full((3, 2), np.nan), ValueError, r"X has no observed entry at all"),
        (np.arange(5.0), ValueError, r"2-D array .* Reshape your data"),
        (np.zeros((4, 2, 2)), ValueError, r"X must be a 2-D array"),
        (np.zeros((0, 2)), ValueError, r"at least 2 samples; got 0"),
        (np.zeros((1, 2)), ValueError, r"at least 2 samples; got 1 sample"),
        (np.zeros((5, 0)), ValueError, r"0 feature\(s\)"),
        ("abc", TypeError, r"X must be an array of numbers; got a str"),
        ([["a", "b"], ["c", "d"]], TypeError, r"X must contain numbers only"),
        (np.ones((3, 2)) + 1j, ValueError, r"Complex data not supported"),
    ],
)
def test_bad_data_is_named(data, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(1).fit(data)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_components": 81}, ValueError, r"^Expected n_samples >= n_components but got "),
        ({"assignment": "fuzzy"}, ValueError, r"must be a str among \{'soft', 'hard'\}"),
        ({"tol": float("inf")}, ValueError, r"must be a float in the range \[0.0, inf\)"),
        (
            {"random_state": "seed"},
            TypeError,
            r"^The 'random_state' parameter of GaussianMixture must be an int in the range "
            r"\[0, inf\), an instance of 'numpy.random.mtrand.RandomState', an instance of "
            r"'numpy.random.Generator' or None. Got 'seed' instead.$",
        ),
        ({"random_state": -1}, ValueError, r"^The 'random_state' parameter of GaussianMixture"),
    ],
)
def test_bad_settings_are_named(params, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(**{"n_components": 2, **params}).fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        (
            {"weights_init": [0.5, 0.3, 0.2]},
            r"^The parameter 'weights' should have the shape of \(2,\), but got \(3,\): "
            r"weights_init",
        ),
        (
            {"weights_init": [0.7, 0.5]},
            r"^The parameter 'weights' should be normalized, but got sum\(weights\) = 1.20000: "
            r"weights_init sums to 1.2; normalise it",
        ),
        (
            {"weights_init": [1.5, -0.5]},
            r"^The parameter 'weights' should be in the range \[0, 1\], but got max value 1.50000, "
            r"min value -0.50000: weights_init",
        ),
        (
            {"means_init": np.zeros((3, 2))},
            r"^The parameter 'means' should have the shape of \(2, 2\), but got \(3, 2\): "
            r"means_init",
        ),
        (
            {"precisions_init": np.ones((2, 2))},
            r"^The parameter 'full precision' should have the shape of \(2, 2, 2\), but got "
            r"\(2, 2\): precisions_init .* must have shape \(2, 2, 2\)",
        ),
        (
            {"precisions_init": np.array([[[1.0, 2.0], [2.0, 1.0]], np.eye(2)])},
            r"^'full precision' should be symmetric, positive-definite: precisions_init is "
            r"invalid: precisions\[0\] is not positive definite",
        ),
        (
            {"precisions_init": np.array([[[1.0, 0.5], [0.0, 1.0]], np.eye(2)])},
            r"precisions\[0\] must be symmetric",
        ),
        (
            {"covariance_type": "diag", "precisions_init": -np.ones((2, 2))},
            r"^'diag precision' should be positive: .*precisions must be positive",
        ),
    ],
)
def test_bad_initial_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(2, **params).fit(X)


def test_use_before_fit_and_with_wrong_width():
    with pytest.raises(NotFittedError, match=r"instance is not fitted yet\. Call 'fit'"):
        GaussianMixture(2).predict(X)
    with pytest.raises(NotFittedError):
        GaussianMixture(2).sample(3)
    gm = GaussianMixture(2, random_state=0).fit(X)
    for method in (gm.predict, gm.predict_proba, gm.score, gm.score_samples, gm.bic, gm.aic):
        with pytest.raises(
            ValueError, match="X has 3 features, but GaussianMixture is expecting 2"
        ):
            method(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"^Invalid value for 'n_samples': 0\. "):
        gm.sample(0)


def test_inputs_are_never_modified_and_read_only_inputs_work():
    data = X.copy()
    data.setflags(write=False)
    means_init = np.array([[0.0, 0.0], [5.0, 5.0]])
    before = means_init.copy()
    gm = GaussianMixture(2, means_init=means_init, random_state=0).fit(data)
    gm.predict(data), gm.score_samples(data), gm.predict_proba(data)
    np.testing.assert_array_equal(data, X)
    np.testing.assert_array_equal(means_init, before)
    assert gm.means_init is means_init  # constructor arguments are kept as given


def _assert_finite_or_named(make, covariance_type, assignment, reg_covar=1e-6):
    gm = GaussianMixture(
        3,
        covariance_type=covariance_type,
        assignment=assignment,
        reg_covar=reg_covar,
        random_state=0,
        max_iter=20,
    )
    data = make()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm.fit(data)
    except ValueError as error:
        assert "reg_covar" in str(error), str(error)  # the error says what to change
        return
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.all(np.isfinite(getattr(gm, name))), name
    assert np.all(np.isfinite(gm.predict_proba(data)))


DEGENERATE = {
    "identical points": lambda: np.ones((20, 2)),
    "a constant column": lambda: np.column_stack([RNG.normal(size=30), np.full(30, 7.0)]),
    "fewer distinct points than components": lambda: np.repeat([[0.0, 0.0], [1.0, 1.0]], 10, 0),
    "n == k": lambda: RNG.normal(size=(3, 2)),
    "scaled by 1e150": lambda: X * 1e150,
    "scaled by 1e-150": lambda: X * 1e-150,
    "300 dimensions": lambda: RNG.normal(size=(60, 300)),
}


@pytest.mark.parametrize("assignment", ["soft", "hard"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("case", sorted(DEGENERATE))
def test_degenerate_but_legal_data(case, covariance_type, assignment):
    _assert_finite_or_named(DEGENERATE[case], covariance_type, assignment)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_collapse_without_regularisation_is_a_named_error(covariance_type):
    with pytest.raises(ValueError, match=r"increase reg_covar"):
        GaussianMixture(2, covariance_type=covariance_type, reg_covar=0.0, random_state=0).fit(
            np.repeat([[0.0, 0.0], [1.0, 1.0]], 10, 0)
        )
