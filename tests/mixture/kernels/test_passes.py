"""The kernels' passes against scipy's densities and per-component statistics."""

import numpy as np
import pytest
from scipy.special import logsumexp

from latentem.core.data import Observations
from latentem.mixture.kernels import FullFactorKernel, FullKernel, prepare_data

from .reference import (
    COVARIANCE_TYPES,
    joint_log_prob,
    random_model,
    relative_error,
    responsibilities,
    sample,
    statistics,
)

# float32 works to ~6e-8 relative per number; sums over rows and the expanded
# quadratic forms lose a few more digits (docs/benchmarks.md has the measurements)
FLOAT32_RTOL = 2e-4


def _kernels(covariance_type, model):
    """Every kernel of the structure: both full kernels for 'full'."""
    if covariance_type == "full":
        return [FullKernel(), FullFactorKernel()]
    return [model.covariance_type.kernel(model.n_features, model.n_components)]


def _cases():
    for covariance_type in COVARIANCE_TYPES:
        model = random_model(covariance_type)
        for kernel in _kernels(covariance_type, model):
            yield pytest.param(covariance_type, kernel, id=f"{covariance_type}-{kernel!r}")


@pytest.mark.parametrize("covariance_type, kernel", list(_cases()))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_densities_equal_scipy(covariance_type, kernel, dtype):
    model = random_model(covariance_type, n_features=4, shift=50.0)
    X = sample(model, 300)
    # few rows per block and two threads, so blocks, tasks and threads all take part
    data = prepare_data(X, kernel, dtype=dtype, n_threads=2, block_rows=16)
    expected = joint_log_prob(model, X)
    rtol = 1e-10 if dtype == np.float64 else FLOAT32_RTOL
    assert relative_error(model.joint_log_prob(data), expected) < rtol
    marginal = logsumexp(expected, axis=1)
    assert relative_error(model.score_samples(data), marginal) < rtol
    proba = model.predict_proba(data)
    np.testing.assert_allclose(proba, np.exp(expected - marginal[:, None]), atol=10 * rtol)
    np.testing.assert_array_equal(model.predict(data), expected.argmax(axis=1))


@pytest.mark.parametrize("covariance_type, kernel", list(_cases()))
@pytest.mark.parametrize("assignment", ["soft", "hard"])
@pytest.mark.parametrize("observed", [False, True], ids=["plain", "weights-and-labels"])
def test_e_step_equals_per_component_statistics(covariance_type, kernel, assignment, observed):
    model = random_model(covariance_type, n_features=3, assignment=assignment)
    X = sample(model, 200)
    rng = np.random.default_rng(4)
    weights = labels = None
    if observed:
        weights = rng.uniform(0.0, 3.0, size=len(X))
        labels = np.where(rng.random(len(X)) < 0.2, rng.integers(0, 3, size=len(X)), -1)
    data = prepare_data(
        Observations(X, sample_weight=weights, labels=labels), kernel, n_threads=2, block_rows=32
    )
    resp, terms = responsibilities(joint_log_prob(model, X), assignment, labels, weights)
    counts, means, scatter = statistics(X, resp, covariance_type)
    stats = model.e_step(data)
    assert stats.log_likelihood == pytest.approx(terms.sum(), rel=1e-11)
    assert model.log_likelihood(data) == pytest.approx(terms.sum(), rel=1e-11)
    np.testing.assert_allclose(stats.counts, counts, rtol=1e-11)
    np.testing.assert_allclose(stats.means, means, rtol=1e-10, atol=1e-12)
    assert relative_error(stats.scatter, scatter) < 1e-10


@pytest.mark.parametrize("covariance_type, kernel", list(_cases()))
def test_float32_statistics_are_close_to_float64(covariance_type, kernel):
    model = random_model(covariance_type, n_features=5)
    X = sample(model, 2000)
    exact = model.e_step(prepare_data(X, kernel))
    single = model.e_step(prepare_data(X, kernel, dtype=np.float32))
    assert single.log_likelihood == pytest.approx(exact.log_likelihood, rel=FLOAT32_RTOL)
    for name in ("counts", "means", "scatter"):
        assert relative_error(getattr(single, name), getattr(exact, name)) < FLOAT32_RTOL, name


@pytest.mark.parametrize("covariance_type, kernel", list(_cases()))
@pytest.mark.parametrize("cache", [0, 2**30], ids=["blockwise", "cached"])
def test_blocks_threads_and_chunks_do_not_change_the_statistics(covariance_type, kernel, cache):
    model = random_model(covariance_type)
    X = sample(model, 500)
    whole = model.e_step(prepare_data(X, kernel, n_threads=1, block_rows=10_000))
    blocked = model.e_step(prepare_data(X, kernel, n_threads=3, block_rows=7, cache_bytes=cache))
    halves = model.e_step(prepare_data(X[:123], kernel)) + model.e_step(
        prepare_data(X[123:], kernel)
    )
    for stats in (blocked, halves):
        assert stats.log_likelihood == pytest.approx(whole.log_likelihood, rel=1e-12)
        np.testing.assert_allclose(stats.counts, whole.counts, rtol=1e-12)
        np.testing.assert_allclose(stats.means, whole.means, rtol=1e-11, atol=1e-12)
        assert relative_error(stats.scatter, whole.scatter) < 1e-11


def test_results_do_not_depend_on_the_number_of_threads():
    model = random_model("full")
    X = sample(model, 3000)
    one, many = (prepare_data(X, FullKernel(), n_threads=t, block_rows=64) for t in (1, 4))
    a, b = model.e_step(one), model.e_step(many)
    assert a.log_likelihood == b.log_likelihood
    np.testing.assert_array_equal(a.scatter, b.scatter)


@pytest.mark.parametrize("covariance_type, kernel", list(_cases()))
def test_data_far_from_the_origin_give_the_same_statistics(covariance_type, kernel):
    shift = 1e8
    model = random_model(covariance_type, n_features=3)
    moved = random_model(covariance_type, n_features=3, shift=shift)
    X = sample(model, 400)
    plain = model.e_step(prepare_data(X, kernel))
    far = moved.e_step(prepare_data(X + shift, kernel))
    # X + 1e8 is itself rounded to ~1.5e-8, which bounds the agreement
    assert relative_error(far.scatter, plain.scatter) < 1e-6
    np.testing.assert_allclose(far.counts, plain.counts, rtol=1e-6)
    np.testing.assert_allclose(far.means - shift, plain.means, atol=1e-6)
    assert far.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-7)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_extreme_scales_stay_finite_and_exact(covariance_type):
    model = random_model(covariance_type)
    X = sample(model, 300)
    for scale in (1e150, 1e-150):
        scaled = random_model(covariance_type)
        scaled = type(model)(
            model.weights,
            model.means * scale,
            model.covariances * scale**2,
            covariance_type=covariance_type,
        )
        stats = scaled.e_step(X * scale)
        reference = model.e_step(X)
        np.testing.assert_allclose(stats.counts, reference.counts, rtol=1e-9)
        assert relative_error(stats.scatter, reference.scatter * scale**2) < 1e-9
        n_features = X.shape[1]
        assert stats.log_likelihood == pytest.approx(
            reference.log_likelihood - len(X) * n_features * np.log(scale), rel=1e-9
        )


def test_a_component_no_row_reaches_gets_exactly_zero_responsibility():
    model = random_model("diag")
    far = type(model)(
        [0.5, 0.5], [[0.0, 0.0, 0.0], [1e3, 1e3, 1e3]], np.ones((2, 3)), covariance_type="diag"
    )
    X = sample(model, 100)
    stats = far.e_step(X)
    assert stats.counts[1] == 0.0
    new = far.m_step(stats)
    np.testing.assert_array_equal(new.means[1], far.means[1])
    assert new.weights[1] == 0.0
    assert np.all(np.isfinite(new.joint_log_prob(X)[:, 0]))
    assert np.all(new.joint_log_prob(X)[:, 1] == -np.inf)
