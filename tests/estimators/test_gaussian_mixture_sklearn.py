"""From the same start, GaussianMixture takes scikit-learn's EM steps."""

import warnings

import numpy as np
import pytest

import latentem

sklearn = pytest.importorskip("sklearn")
from sklearn import datasets  # noqa: E402
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning  # noqa: E402
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


def _blobs():
    X, _ = datasets.make_blobs(n_samples=600, centers=4, n_features=3, random_state=7)
    return X


DATASETS = {
    "iris": lambda: datasets.load_iris().data,
    "wine": lambda: datasets.load_wine().data,
    "breast_cancer": lambda: datasets.load_breast_cancer().data,
    "blobs": _blobs,
}
N_COMPONENTS = {"iris": 3, "wine": 3, "breast_cancer": 2, "blobs": 4}


def _common_start(X, n_components, covariance_type):
    """scikit-learn's k-means start, taken with max_iter=0 (no EM step)."""
    start = SklearnGaussianMixture(
        n_components, covariance_type=covariance_type, max_iter=0, random_state=0
    ).fit(X)
    return {
        "weights_init": start.weights_,
        "means_init": start.means_,
        "precisions_init": start.precisions_,
    }


def _assert_rel(actual, expected, what, rtol=1e-6):
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    scale = np.max(np.abs(expected))
    worst = np.max(np.abs(actual - expected)) / scale if scale > 0 else 0.0
    assert worst <= rtol, f"{what}: relative difference {worst:.3g} > {rtol:g}"


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("name", sorted(DATASETS))
def test_same_steps_as_scikit_learn(name, covariance_type):
    X = DATASETS[name]()
    start = _common_start(X, N_COMPONENTS[name], covariance_type)
    settings = dict(covariance_type=covariance_type, tol=0.0, max_iter=15, **start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        theirs = SklearnGaussianMixture(N_COMPONENTS[name], **settings).fit(X)
        ours = latentem.GaussianMixture(N_COMPONENTS[name], **settings).fit(X)
    assert ours.n_iter_ == theirs.n_iter_ == 15
    assert ours.converged_ == theirs.converged_
    for attribute in (
        "weights_",
        "means_",
        "covariances_",
        "precisions_",
        "precisions_cholesky_",
    ):
        _assert_rel(getattr(ours, attribute), getattr(theirs, attribute), attribute)
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-6)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=1e-6)
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=1e-6)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-6)
    assert ours.aic(X) == pytest.approx(theirs.aic(X), rel=1e-6)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_convergence_decision_as_scikit_learn(covariance_type):
    X = DATASETS["blobs"]()
    start = _common_start(X, 4, covariance_type)
    theirs = SklearnGaussianMixture(4, covariance_type=covariance_type, tol=1e-6, **start).fit(X)
    ours = latentem.GaussianMixture(4, covariance_type=covariance_type, tol=1e-6, **start).fit(X)
    assert ours.converged_ and theirs.converged_
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-9)


def test_warm_start_continues_like_scikit_learn():
    X = DATASETS["iris"]()
    start = _common_start(X, 3, "full")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        theirs = SklearnGaussianMixture(3, warm_start=True, max_iter=4, tol=1e-12, **start)
        ours = latentem.GaussianMixture(3, warm_start=True, max_iter=4, tol=1e-12, **start)
        for _ in range(3):
            theirs.fit(X)
            ours.fit(X)
    assert ours.n_iter_ == theirs.n_iter_
    _assert_rel(ours.means_, theirs.means_, "means_")
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-6)


def test_passes_scikit_learns_estimator_checks():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "does not inherit from BaseEstimator"
        results = check_estimator(latentem.GaussianMixture(), on_fail=None)
    failures = [r for r in results if r["status"] == "failed"]
    assert len(results) > 30
    assert not failures, [(r["check_name"], repr(r["exception"])) for r in failures]
