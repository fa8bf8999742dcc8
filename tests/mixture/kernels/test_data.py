"""GaussianData: prepared once, valid for every model of its structure and width."""

import numpy as np
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from latentem.core.data import Observations
from latentem.mixture import GaussianMixtureModel
from latentem.mixture.kernels import DiagKernel, FullKernel, GaussianData, prepare_data
from latentem.testing import assert_monotone
from latentem.testing import strategies as lst

from .reference import COVARIANCE_TYPES, random_model, sample

MODEL = random_model("full")
X = sample(MODEL, 200)


def test_the_cache_is_kept_within_its_budget():
    n_rows = FullKernel().n_feature_rows(3)
    cached = prepare_data(X, FullKernel(), cache_bytes=n_rows * len(X) * 8)
    assert cached.features is not None and cached.nbytes == n_rows * len(X) * 8
    assert not cached.features.flags.writeable and not cached.centred.flags.writeable
    over = prepare_data(X, FullKernel(), cache_bytes=n_rows * len(X) * 8 - 1)
    assert over.features is None and over.nbytes == 3 * len(X) * 8
    np.testing.assert_array_equal(cached.centred, over.centred)


def test_weights_labels_and_sizes_are_carried():
    rows = MODEL.prepare(Observations(X, sample_weight=np.ones(len(X)), labels=np.zeros(len(X))))
    data = rows.complete
    assert rows.n_samples == 200 and rows.complete_index is None and rows.incomplete is None
    assert (data.n_samples, data.n_features, data.dtype) == (200, 3, np.float64)
    assert data.sample_weight is not None and data.labels is not None
    assert isinstance(data, GaussianData) and data.n_threads >= 1 and data.block_rows >= 1


def test_the_caller_array_is_not_modified():
    before = X.copy()
    X.setflags(write=False)
    try:
        MODEL.m_step(MODEL.e_step(MODEL.prepare(X, cache_bytes=2**20)))
    finally:
        X.setflags(write=True)
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"dtype": np.float16}, ValueError, r"dtype must be numpy.float64 or numpy.float32; got"),
        ({"dtype": "int"}, ValueError, r"dtype must be numpy.float64 or numpy.float32"),
        ({"dtype": "nonsense"}, ValueError, r"dtype must be numpy.float64 or numpy.float32"),
        ({"cache_bytes": -1}, ValueError, r"cache_bytes must be at least 0; got -1"),
        ({"cache_bytes": 1.5}, TypeError, r"cache_bytes must be an integer"),
        ({"n_threads": 0}, ValueError, r"n_threads must be at least 1; got 0"),
    ],
)
def test_bad_settings_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        MODEL.prepare(X, **kwargs)


def test_data_for_another_model_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"X has 2 features, but the model is expecting 3"):
        MODEL.prepare(X[:, :2])
    diag = prepare_data(X, DiagKernel())
    with pytest.raises(ValueError, match=r"prepared for the 'diag' kernel.* prepare\(\)"):
        MODEL.e_step(diag)
    narrow = random_model("full", n_features=2).prepare(X[:, :2])
    with pytest.raises(ValueError, match=r"X has 2 features, but the model is expecting 3"):
        MODEL.log_likelihood(narrow)
    holes = np.where(X > 2, np.nan, X)
    rows = MODEL.prepare(holes)  # rows with NaN kept apart for the exact path
    with_nan = np.isnan(holes).any(axis=1)
    np.testing.assert_array_equal(rows.complete_index, np.flatnonzero(~with_nan))
    np.testing.assert_array_equal(rows.incomplete.X, holes[rows.incomplete_index])
    assert rows.complete.n_samples + rows.incomplete.n_samples <= len(X)
    with pytest.raises(ValueError, match=r"X contains infinity"):
        MODEL.prepare(np.where(X > 2, np.inf, X))
    with pytest.raises(ValueError, match=r"labels must be -1 \(unknown\) or a component index"):
        MODEL.e_step(MODEL.prepare(Observations(X, labels=np.full(len(X), 3))))


def test_starting_parameters_from_prepared_data_equal_those_from_the_array():
    resp = MODEL.predict_proba(X)
    from_array = GaussianMixtureModel.from_responsibilities(X, resp)
    from_data = GaussianMixtureModel.from_responsibilities(MODEL.prepare(X), resp)
    np.testing.assert_allclose(from_data.covariances, from_array.covariances, rtol=1e-12)
    with pytest.raises(ValueError, match=r"for the 'diag' kernel, but covariance_type='full'"):
        GaussianMixtureModel.from_responsibilities(prepare_data(X, DiagKernel()), resp)


def test_a_model_with_other_components_reuses_the_data():
    data = MODEL.prepare(X)
    other = random_model("full", n_components=5, seed=3)
    assert other.log_likelihood(data) == pytest.approx(other.log_likelihood(X), rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@given(data=st.data())
def test_em_on_prepared_data_never_decreases_the_objective(covariance_type, dtype, data):
    truth = data.draw(lst.gaussian_mixture_models(covariance_types=(covariance_type,)))
    rows, _ = truth.sample(data.draw(st.integers(40, 200)), random_state=data.draw(lst.seeds()))
    try:
        start = GaussianMixtureModel.from_data(
            rows,
            data.draw(st.integers(1, 4)),
            covariance_type=covariance_type,
            assignment=data.draw(st.sampled_from(["soft", "hard"])),
            reg_covar=0.0,
            random_state=data.draw(lst.seeds()),
        )
        prepared = start.prepare(rows, dtype=dtype, n_threads=2)
        # float32 rounding moves the objective by up to ~1e-5 relative (docs/benchmarks.md),
        # the tolerance GaussianMixture(dtype="float32") uses too
        assert_monotone(start, prepared, n_iter=12, rtol=1e-9 if dtype == np.float64 else 1e-4)
    except (ValueError, AssertionError) as error:
        message = str(error)
        if any(s in message for s in ("positive definite", "must be positive", "collapsed")):
            reject()  # a collapsed component is a documented error
        raise


def test_narrow_problems_run_on_one_thread_and_wide_ones_on_every_core(monkeypatch):
    from latentem.mixture.kernels import data as data_module

    monkeypatch.setattr(data_module, "default_threads", lambda: 2)
    rows = np.random.default_rng(0).normal(size=(50, 16))
    # diag at d=2: features [1, y, y^2] are 5 rows; 5 x 3 components < 64
    narrow = prepare_data(rows[:, :2], DiagKernel(), n_components=3)
    wide = prepare_data(rows, DiagKernel(), n_components=16)
    assert (narrow.n_threads, wide.n_threads) == (1, 2)
    # an explicit choice wins
    assert prepare_data(rows[:, :2], DiagKernel(), n_components=3, n_threads=2).n_threads == 2


def test_long_narrow_problems_run_on_every_core_in_larger_blocks(monkeypatch):
    from latentem.mixture.kernels import data as data_module

    monkeypatch.setattr(data_module, "default_threads", lambda: 2)
    enough = 2 * data_module.MIN_NARROW_ROWS_PER_THREAD
    assert data_module.default_plan(DiagKernel(), enough - 1, 2, 3) == (1, 16384)
    # 5 features + 3 per component: 4 MiB holds 37449 rows, a power of two below that
    assert data_module.default_plan(DiagKernel(), enough, 2, 3) == (2, 32768)
    # d = 3, k = 5: 4 MiB holds 23831 rows, so 16384 (not the nearest power, 32768)
    assert data_module.default_plan(DiagKernel(), enough, 3, 5) == (2, 16384)
    with pytest.raises(ValueError, match=r"n_threads must be"):
        prepare_data(np.zeros((20, 2)), DiagKernel(), n_threads=0)
    # one explicit thread keeps blocks within cache
    rows = np.zeros((20, 2))
    assert prepare_data(rows, DiagKernel(), n_components=3, n_threads=1).block_rows == 16384
