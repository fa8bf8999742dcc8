"""GaussianMixture(dtype=...): float32 kernels against the float64 fit from the same start."""

import warnings

import numpy as np
import pytest

from latentem import ConvergenceWarning, GaussianMixture
from latentem.mixture import GaussianMixtureModel

RNG = np.random.default_rng(8)
X = np.concatenate([RNG.normal(c, 1.0, (400, 4)) for c in (-4.0, 0.0, 5.0)])
COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


def _start(covariance_type):
    model = GaussianMixtureModel.from_data(X, 3, covariance_type=covariance_type, random_state=0)
    return {
        "weights_init": model.weights,
        "means_init": model.means,
        "precisions_init": model.precisions,
    }


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_float32_fit_agrees_with_float64(covariance_type):
    settings = dict(
        covariance_type=covariance_type, tol=0.0, max_iter=20, **_start(covariance_type)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exact = GaussianMixture(3, **settings).fit(X)
        single = GaussianMixture(3, dtype=np.float32, **settings).fit(X)
    # the documented float32 accuracy: about 1e-5 relative
    assert single.lower_bound_ == pytest.approx(exact.lower_bound_, rel=1e-5)
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(
            getattr(single, name), getattr(exact, name), rtol=1e-4, atol=1e-5
        )
    np.testing.assert_array_equal(single.predict(X), exact.predict(X))
    assert single.score(X) == pytest.approx(exact.score(X), rel=1e-5)
    assert single.weights_.dtype == np.float64


def test_float32_fit_predict_equals_predict_and_accepts_a_string():
    gm = GaussianMixture(3, dtype="float32", random_state=0)
    labels = gm.fit_predict(X)
    np.testing.assert_array_equal(labels, gm.predict(X))
    assert gm.get_params()["dtype"] == "float32"


@pytest.mark.parametrize("dtype", [np.float16, np.int64, "double precision", None])
def test_bad_dtype_is_named(dtype):
    with pytest.raises(ValueError, match=r"dtype must be numpy.float64 or numpy.float32; got"):
        GaussianMixture(2, dtype=dtype).fit(X)
