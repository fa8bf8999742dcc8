"""GaussianMixture at scale: chunked input, partial_fit, accelerate= and parallel restarts."""

import warnings

import numpy as np
import pytest

import latentem
from latentem import Chunks, ConvergenceWarning, GaussianMixture, GaussianMixtureModel
from latentem.estimators import fit_data as fit_data_module

RNG = np.random.default_rng(21)
TRUTH = GaussianMixtureModel.from_parameters(
    [0.5, 0.3, 0.2],
    [[0.0, 0.0], [3.0, 1.0], [-2.0, 4.0]],
    [[[1.0, 0.3], [0.3, 1.0]], [[0.5, 0.0], [0.0, 2.0]], [[1.5, -0.5], [-0.5, 1.0]]],
)
X, _ = TRUTH.sample(1500, random_state=1)
X = X[np.random.default_rng(2).permutation(X.shape[0])]
FITTED = ("weights_", "means_", "covariances_", "precisions_cholesky_", "lower_bounds_")


def _memmap(path, array):
    out = np.memmap(path, dtype=float, mode="w+", shape=array.shape)
    out[:] = array
    out.flush()
    return np.memmap(path, dtype=float, mode="r", shape=array.shape)


def assert_same_estimates(actual, expected, rtol=1e-10):
    for name in FITTED:
        a, b = np.asarray(getattr(actual, name)), np.asarray(getattr(expected, name))
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.max(np.abs(b)), err_msg=name)
    assert actual.n_iter_ == expected.n_iter_ and actual.converged_ == expected.converged_


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_memmap_fit_equals_the_in_memory_fit(tmp_path, covariance_type):
    settings = {"n_components": 3, "covariance_type": covariance_type, "random_state": 0}
    expected = GaussianMixture(**settings, tol=1e-6).fit(X)
    data = _memmap(tmp_path / "x.dat", X)
    actual = GaussianMixture(**settings, tol=1e-6, chunk_size=200).fit(data)
    assert_same_estimates(actual, expected)
    # fit_predict walks the chunks too, and agrees with predict on the array
    labels = GaussianMixture(**settings, tol=1e-6, chunk_size=200).fit_predict(data)
    np.testing.assert_array_equal(labels, expected.predict(X))


def test_other_chunked_inputs_equal_the_in_memory_fit():
    expected = GaussianMixture(3, random_state=0).fit(X)
    chunks = Chunks([X[:400], X[400:1000], X[1000:]])
    assert_same_estimates(GaussianMixture(3, random_state=0).fit(chunks), expected)
    assert_same_estimates(GaussianMixture(3, random_state=0, chunk_size=333).fit(X), expected)


def test_large_chunked_input_is_initialised_from_a_uniform_sample(tmp_path, monkeypatch):
    monkeypatch.setattr(fit_data_module, "INIT_SAMPLE_ROWS", 300)
    data = _memmap(tmp_path / "x.dat", X)
    rows = fit_data_module.validated_fit_data(data, None, None, 256, np.random.default_rng(4))
    assert rows.sample.X.shape[0] == 300 < rows.n_samples == X.shape[0]
    first = GaussianMixture(3, random_state=4, chunk_size=256).fit(data)
    again = GaussianMixture(3, random_state=4, chunk_size=500).fit(X)
    # the same sample is drawn whatever the storage, so the fits agree
    assert_same_estimates(first, again)
    # the oracle: the truth's parameters are recovered
    order = np.argsort(first.means_[:, 0])
    np.testing.assert_allclose(
        first.means_[order], TRUTH.means[np.argsort(TRUTH.means[:, 0])], atol=0.25
    )


def test_partial_fit_over_a_stream_reaches_the_batch_likelihood_within_one_percent():
    rng = np.random.default_rng(7)
    stream, _ = TRUTH.sample(60_000, random_state=8)
    stream = stream[rng.permutation(stream.shape[0])]
    held_out, _ = TRUTH.sample(20_000, random_state=9)
    batch = GaussianMixture(3, random_state=0, tol=1e-6).fit(stream)
    online = GaussianMixture(3, random_state=0)
    for start in range(0, stream.shape[0], 500):
        online.partial_fit(stream[start : start + 500])
    reference = batch.score(held_out)
    assert abs(online.score(held_out) - reference) <= 0.01 * abs(reference)
    # the oracle of both: the true parameters' likelihood
    assert abs(TRUTH.score_samples(held_out).mean() - reference) <= 0.01 * abs(reference)
    assert online.n_iter_ == 120 and len(online.lower_bounds_) == 120
    assert not online.converged_


def test_partial_fit_after_fit_continues_from_the_fit_and_fit_starts_afresh():
    gm = GaussianMixture(3, random_state=0).fit(X)
    before = gm.means_.copy()
    gm.partial_fit(X[:500])
    # one batch from a fitted model is one EM step on that batch
    step = gm.model_
    expected = GaussianMixture(3, random_state=0).fit(X).model_
    expected = expected.m_step(expected.e_step(X[:500]))
    np.testing.assert_allclose(step.means, expected.means, rtol=1e-12)
    assert gm.n_iter_ == 1 and not np.allclose(gm.means_, before)
    gm.fit(X)
    np.testing.assert_allclose(gm.means_, before, rtol=1e-12)


def test_accelerated_estimator_reaches_the_same_optimum_in_fewer_e_steps():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 0.7, (2, 2))
    data = np.concatenate([rng.normal(c, 1, (300, 2)) for c in centres])
    plain = GaussianMixture(2, covariance_type="diag", tol=1e-9, max_iter=10_000, random_state=0)
    fast = GaussianMixture(
        2, covariance_type="diag", tol=1e-9, max_iter=10_000, random_state=0, accelerate="squarem"
    )
    plain.fit(data)
    fast.fit(data)
    assert plain.converged_ and fast.converged_
    assert fast.n_iter_ * 3 < plain.n_iter_
    assert fast.lower_bound_ >= plain.lower_bound_ - 1e-9
    assert np.all(np.diff(fast.lower_bounds_) >= 0)


def test_parallel_restarts_give_the_sequential_result():
    settings = {"n_components": 3, "n_init": 4, "random_state": 3, "max_iter": 30}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sequential = GaussianMixture(**settings).fit(X)
        threaded = GaussianMixture(**settings, n_jobs=2).fit(X)
        everything = GaussianMixture(**settings, n_jobs=-1).fit(X)
    assert_same_estimates(threaded, sequential, rtol=0.0)
    assert_same_estimates(everything, sequential, rtol=0.0)


# ----------------------------------------------------------------------------- hostile


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"chunk_size": 0}, ValueError, r"chunk_size must be at least 1; got 0"),
        ({"chunk_size": 1.5}, TypeError, r"chunk_size must be None"),
        ({"accelerate": "anderson"}, ValueError, r"accelerate must be None or one of 'squarem'"),
        ({"n_jobs": 0}, ValueError, r"n_jobs must be a positive number of threads, or -1"),
        ({"n_jobs": "2"}, TypeError, r"n_jobs must be an integer"),
    ],
)
def test_bad_scale_settings_are_named(params, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(2, **params).fit(X)


def test_bad_chunked_input_is_named(tmp_path):
    bad = X.copy()
    bad[1234, 1] = np.inf
    with pytest.raises(ValueError, match=r"a chunk of X contains NaN or infinity"):
        GaussianMixture(2, chunk_size=100).fit(_memmap(tmp_path / "bad.dat", bad))
    with pytest.raises(ValueError, match=r"chunks of X have different numbers of columns \(1, 2\)"):
        GaussianMixture(2).fit(Chunks([X[:100], X[100:200, :1]]))
    with pytest.raises(TypeError, match=r"one-shot iterator"):
        GaussianMixture(2).fit(iter([X[:100], X[100:]]))
    with pytest.raises(ValueError, match=r"at least 2 samples; got 1"):
        GaussianMixture(1).fit(Chunks([X[:1]]))


def test_bad_partial_fit_input_is_named():
    gm = GaussianMixture(3, random_state=0).partial_fit(X[:100])
    with pytest.raises(ValueError, match=r"X has 1 features, but GaussianMixture is expecting 2"):
        gm.partial_fit(X[:50, :1])
    with pytest.raises(
        ValueError,
        match=r"^Expected n_samples >= n_components but got n_components = 3, "
        r"n_samples = 2; reduce n_components",
    ):
        GaussianMixture(3).partial_fit(X[:2])
    with pytest.raises(ValueError, match=r"learning_decay must be in \(0.5, 1\]"):
        GaussianMixture(3, learning_decay=0.4).partial_fit(X[:100])


def test_scale_options_are_estimator_parameters():
    gm = GaussianMixture(2, chunk_size=10, accelerate="squarem", n_jobs=2, learning_decay=0.8)
    params = gm.get_params()
    assert params["chunk_size"] == 10 and params["accelerate"] == "squarem"
    assert params["n_jobs"] == 2 and params["learning_decay"] == 0.8
    assert params["learning_offset"] == 0.0
    assert "chunk_size=10" in repr(gm)
    assert latentem.GaussianMixture is GaussianMixture
