"""From the same start, GaussianMixture takes scikit-learn's EM steps."""

import re
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


@pytest.mark.parametrize(
    "params",
    [
        {"n_components": 0},
        {"n_components": -2},
        {"n_components": 2.5},
        {"n_components": "2"},
        {"n_components": 81},
        {"reg_covar": -1e-6},
        {"tol": -1.0},
        {"tol": float("nan")},
        {"max_iter": -1},
        {"n_init": 0},
        {"warm_start": "yes"},
        {"verbose": -1},
        {"verbose_interval": 0},
    ],
    ids=repr,
)
def test_bad_settings_get_scikit_learns_message(params):
    X = DATASETS["blobs"]()[:80]
    with pytest.raises(ValueError) as theirs:
        SklearnGaussianMixture(**{"n_components": 2, **params}).fit(X)
    expected = str(theirs.value)
    if params.get("verbose") == -1:  # scikit-learn's verbose may also be a bool
        expected = expected.replace(", an instance of 'bool' or an instance of 'numpy.bool'", "")
    with pytest.raises((ValueError, TypeError)) as ours:
        latentem.GaussianMixture(**{"n_components": 2, **params}).fit(X)
    assert str(ours.value).startswith(expected)


@pytest.mark.parametrize("name", ["covariance_type", "init_params"])
def test_bad_options_get_scikit_learns_message(name):
    X = DATASETS["blobs"]()[:80]
    with pytest.raises(ValueError) as theirs:
        SklearnGaussianMixture(2, **{name: "nonsense"}).fit(X)
    with pytest.raises(ValueError) as ours:
        latentem.GaussianMixture(2, **{name: "nonsense"}).fit(X)
    # the same sentence; latentem lists its options in its own order (and may have more)
    head, listed, tail = re.fullmatch(r"(.*\{)(.*)(\}.*)", str(theirs.value)).groups()
    ours_head, ours_listed, ours_tail = re.fullmatch(r"(.*\{)(.*)(\}.*)", str(ours.value)).groups()
    assert (ours_head, ours_tail) == (head, tail)
    assert set(listed.split(", ")) <= set(ours_listed.split(", "))


def test_not_fitted_error_starts_with_scikit_learns_message():
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    with pytest.raises(NotFittedError) as theirs:
        check_is_fitted(SklearnGaussianMixture())
    for method in ("predict", "score_samples", "sample"):
        with pytest.raises(NotFittedError) as ours:
            args = () if method == "sample" else (np.zeros((2, 2)),)
            getattr(latentem.GaussianMixture(), method)(*args)
        message = str(ours.value)
        assert message.startswith(str(theirs.value))
        assert "assign weights_, means_ and covariances_" in message  # latentem's advice


def test_initial_parameter_errors_start_with_scikit_learns_message():
    X = DATASETS["blobs"]()[:80]
    cases = [
        {"weights_init": np.full((2, 1), 0.5)},
        {"weights_init": [0.5, 0.4]},
        {"means_init": np.zeros((3, 3))},
        {"precisions_init": np.ones((3, 3, 3))},
        {"precisions_init": -np.ones((2, 3)), "covariance_type": "diag"},
        {"precisions_init": -np.ones(2), "covariance_type": "spherical"},
        {"precisions_init": np.array([np.eye(3), -np.eye(3)])},
    ]
    for params in cases:
        with pytest.raises(ValueError) as theirs:
            SklearnGaussianMixture(2, **params).fit(X)
        with pytest.raises(ValueError) as ours:
            latentem.GaussianMixture(2, **params).fit(X)
        assert str(ours.value).startswith(str(theirs.value)), params


def test_weights_out_of_range_name_the_right_extremes():
    # scikit-learn's message swaps them ("max value" is the minimum); latentem's does not
    X = DATASETS["blobs"]()[:80]
    with pytest.raises(ValueError, match=r"max value 1\.50000, min value -0\.50000"):
        latentem.GaussianMixture(2, weights_init=[1.5, -0.5]).fit(X)


@pytest.mark.parametrize("n_components", [2, 3, 7, 20])
def test_float32_weights_init_is_accepted_like_scikit_learn(n_components):
    X = DATASETS["blobs"]()[:80].astype(np.float32)
    # a float32 vector summing to 1 in float32, but not exactly in float64
    rng = np.random.default_rng(n_components)
    weights = rng.dirichlet(np.ones(n_components)).astype(np.float32)
    weights[-1] = np.float32(1) - weights[:-1].sum(dtype=np.float32)
    assert float(weights.sum(dtype=np.float64)) != 1.0 or n_components == 2
    options = {"weights_init": weights, "max_iter": 0, "random_state": 0}
    theirs = SklearnGaussianMixture(n_components, **options).fit(X)
    ours = latentem.GaussianMixture(n_components, **options).fit(X)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=1e-6)
    assert ours.weights_.sum() == pytest.approx(1.0, abs=1e-15)
    # a float64 vector off by as much is still refused, as scikit-learn refuses it
    off = weights.astype(np.float64) * (1 + 5e-7)
    for estimator in (SklearnGaussianMixture, latentem.GaussianMixture):
        with pytest.raises(ValueError, match="should be normalized"):
            estimator(n_components, weights_init=off).fit(X)


def test_scikit_learns_convergence_warning_filter_catches_latentems():
    X = DATASETS["blobs"]()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        latentem.GaussianMixture(4, max_iter=1, tol=0.0, random_state=0).fit(X)
        latentem.EM(max_iter=1, tol=0.0).fit(
            latentem.GaussianMixtureModel.from_data(X, 2, random_state=0), X
        )
    assert not [w for w in caught if "converge" in str(w.message)]
    with pytest.warns(SklearnConvergenceWarning) as recorded:
        latentem.GaussianMixture(4, max_iter=1, tol=0.0, random_state=0).fit(X)
    # the same warning is latentem's own class too
    assert all(issubclass(w.category, latentem.ConvergenceWarning) for w in recorded)


class _Wrapped:
    """Values behind ``shape``, ``dtype`` and integer indexing only (no slices)."""

    def __init__(self, values):
        self._values = np.asarray(values)

    shape = property(lambda self: self._values.shape)
    dtype = property(lambda self: self._values.dtype)

    def __getitem__(self, key):
        if not isinstance(key, int):
            raise IndexError("only integers are valid indices")
        return self._values[key]

    def __len__(self):
        return len(self._values)


class _InMemoryArray(_Wrapped):
    """An in-memory array of another library, read by NumPy through ``__array__``."""

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._values, dtype=dtype)


class _ArrayAPIArray(_Wrapped):
    """An array-API array NumPy reads only through DLPack (as array-api-strict's)."""

    def __array_namespace__(self, api_version=None):
        return np

    def __dlpack__(self, **kwargs):
        return self._values.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._values.__dlpack_device__()


@pytest.mark.parametrize("kind", [_InMemoryArray, _ArrayAPIArray, list])
def test_array_likes_are_converted_like_scikit_learn(kind):
    X = DATASETS["blobs"]()
    data = X.tolist() if kind is list else kind(X)
    options = {"covariance_type": "diag", "random_state": 0, **_common_start(X, 4, "diag")}
    ours = latentem.GaussianMixture(4, **options).fit(data)
    reference = latentem.GaussianMixture(4, **options).fit(X)
    np.testing.assert_array_equal(ours.means_, reference.means_)
    np.testing.assert_array_equal(ours.predict(data), reference.predict(X))
    if kind is not _ArrayAPIArray:  # scikit-learn needs array_api_compat for those
        theirs = SklearnGaussianMixture(4, **options).fit(data)
        _assert_rel(ours.means_, theirs.means_, "means_")
