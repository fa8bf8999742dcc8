"""Chunked and distributed data sources: the in-memory fit to rounding, in O(chunk) memory."""

import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import latentem
from latentem import EM, ArrayChunks, Chunks, ConvergenceWarning, GaussianMixtureModel, Observations
from latentem.core.data import as_source
from latentem.core.sources import (
    DEFAULT_CHUNK_BYTES,
    check_chunk_size,
    is_dask_array,
    is_out_of_core,
    sample_rows,
    scan_rows,
)

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]
RNG = np.random.default_rng(11)
# far from the origin, so the chunks' statistics must be merged about their own means
X = np.concatenate([RNG.normal(0, 1, (600, 3)), RNG.normal(2.5, 1.5, (400, 3))]) + 1e3


def _write_memmap(path, array):
    out = np.memmap(path, dtype=array.dtype, mode="w+", shape=array.shape)
    out[:] = array
    out.flush()
    del out
    return np.memmap(path, dtype=array.dtype, mode="r", shape=array.shape)


def _fit(start, data, **engine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return EM(max_iter=25, tol=0, **engine).fit(start, data)


def assert_same_fit(actual, expected, rtol=1e-10):
    """Objective history and parameters equal to ``rtol`` relative to each array's size."""
    np.testing.assert_allclose(actual.history, expected.history, rtol=rtol)
    for name in ("weights", "means", "covariances"):
        a, b = getattr(actual.model, name), getattr(expected.model, name)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.max(np.abs(b)), err_msg=name)
    assert actual.n_samples == expected.n_samples


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_memmap_fit_equals_the_in_memory_fit(tmp_path, covariance_type):
    data = _write_memmap(tmp_path / "x.dat", X)
    start = GaussianMixtureModel.from_data(X, 3, covariance_type=covariance_type, random_state=0)
    in_memory = _fit(start, X)
    chunked = _fit(start, data, chunk_size=137)  # uneven chunks, the last one short
    assert_same_fit(chunked, in_memory)
    assert isinstance(as_source(data), ArrayChunks)  # memmaps are chunked by default


def test_chunked_peak_memory_stays_well_under_the_data_size(tmp_path):
    rng = np.random.default_rng(0)
    n, d = 100_000, 8  # 6.4 MB of data
    big = _write_memmap(tmp_path / "big.dat", rng.normal(size=(n, d)))
    start = GaussianMixtureModel.from_data(np.asarray(big[:2000]), 3, random_state=0)

    def peak(data, **engine):
        tracemalloc.start()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                EM(max_iter=2, tol=0, **engine).fit(start, data)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    chunked = peak(big, chunk_size=1000)  # 64 kB per chunk; the E-step needs a few times that
    in_memory = peak(np.array(big))
    assert chunked < big.nbytes / 10, (chunked, big.nbytes)
    # the oracle: the same fit in one chunk allocates more than the data itself
    assert in_memory > big.nbytes, (in_memory, big.nbytes)


def test_memmap_chunks_are_windows_released_with_the_chunk(tmp_path):
    data = _write_memmap(tmp_path / "x.dat", X)
    chunks = list(ArrayChunks(data, chunk_size=300).iter_chunks())
    assert [c.shape[0] for c in chunks] == [300, 300, 300, 100]
    assert all(c.base is not data.base for c in chunks)  # own mappings, not views of data
    np.testing.assert_array_equal(np.concatenate(chunks), X)
    # a view of a memmap is sliced instead (its file offset is not its own)
    view = data[100:]
    np.testing.assert_array_equal(
        np.concatenate(list(ArrayChunks(view, chunk_size=333).iter_chunks())), X[100:]
    )


def test_default_chunk_size_is_chosen_by_bytes():
    source = ArrayChunks(np.zeros((10, 4), dtype=np.float32))
    assert source.chunk_size == DEFAULT_CHUNK_BYTES // 16


def test_observations_with_weights_are_chunked_along(tmp_path):
    weights = RNG.integers(0, 3, X.shape[0]).astype(float)
    labels = np.where(RNG.random(X.shape[0]) < 0.1, RNG.integers(0, 2, X.shape[0]), -1)
    start = GaussianMixtureModel.from_data(X, 2, random_state=1)
    whole = _fit(start, Observations(X, weights, labels))
    parts = _fit(start, Observations(_write_memmap(tmp_path / "x.dat", X), weights, labels))
    # oracle for the weights: duplicated rows
    assert_same_fit(parts, whole)


@settings(max_examples=15)
@given(chunk_size=st.integers(1, 1200), covariance_type=st.sampled_from(COVARIANCE_TYPES))
def test_any_chunk_size_gives_the_in_memory_objective_and_never_decreases(
    chunk_size, covariance_type
):
    data = X[:300]
    start = GaussianMixtureModel.from_data(
        data, 2, covariance_type=covariance_type, random_state=3, reg_covar=0.0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = EM(max_iter=8, tol=0).fit(start, data)
        chunked = EM(max_iter=8, tol=0, chunk_size=chunk_size).fit(start, data)
    np.testing.assert_allclose(chunked.history, whole.history, rtol=1e-11)
    assert np.all(np.diff(chunked.history) >= -1e-9 * np.abs(chunked.history[1:]))


def test_scan_and_sample_rows():
    source = Chunks([X[:250], X[250:700], X[700:]])
    assert scan_rows(source) == (1000, 3)
    everything, indices = sample_rows(source, 1000, 1000, np.random.default_rng(0))
    np.testing.assert_array_equal(everything, X)
    np.testing.assert_array_equal(indices, np.arange(1000))
    sample, indices = sample_rows(source, 100, 1000, np.random.default_rng(5))
    expected = np.sort(np.random.default_rng(5).choice(1000, 100, replace=False))
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_array_equal(sample, X[expected])
    via_take, _ = sample_rows(ArrayChunks(X, 77), 100, 1000, np.random.default_rng(5))
    np.testing.assert_array_equal(via_take, X[expected])


def test_importing_latentem_does_not_import_dask():
    code = "import sys, latentem; latentem.EM(); print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "value, error, match",
    [
        (0, ValueError, "chunk_size must be at least 1; got 0"),
        (-5, ValueError, "chunk_size must be at least 1; got -5"),
        (2.5, TypeError, "chunk_size must be None .* or a positive number of rows"),
        ("64MB", TypeError, "chunk_size must be None"),
        (True, TypeError, "chunk_size must be None"),
    ],
)
def test_bad_chunk_size_is_named(value, error, match):
    with pytest.raises(error, match=match):
        check_chunk_size(value)
    with pytest.raises(error, match=match):
        EM(chunk_size=value)


def test_chunks_of_the_wrong_width_are_named():
    start = GaussianMixtureModel.from_data(X, 2, random_state=0)
    source = Chunks([X[:100], X[100:200, :2]])
    with pytest.raises(ValueError, match="X has 2 features, but the model is expecting 3"):
        EM().fit(start, source)
    with pytest.raises(ValueError, match=r"different numbers of columns \(2, 3\)"):
        scan_rows(source)


def test_a_one_shot_iterator_is_refused_with_the_fix():
    start = GaussianMixtureModel.from_data(X, 2, random_state=0)
    with pytest.raises(TypeError, match=r"one-shot iterator .* latentem.Chunks\(function\)"):
        EM().fit(start, iter([X[:500], X[500:]]))
    with pytest.raises(TypeError, match="re-iterable"):
        Chunks(chunk for chunk in [X])


def test_empty_or_shapeless_arrays_are_refused():
    with pytest.raises(ValueError, match="no rows"):
        ArrayChunks(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="ArrayChunks needs an array-like with a shape"):
        ArrayChunks([[1.0, 2.0]])


# ----------------------------------------------------------------------------- dask


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_fit_on_a_two_process_cluster_equals_the_in_memory_fit(dask_client):
    da = pytest.importorskip("dask.array")
    data = da.from_array(X, chunks=(150, 2))  # column chunks are merged into rows
    assert is_dask_array(data) and not is_dask_array(X)
    start = GaussianMixtureModel.from_data(X, 3, random_state=0)
    from distributed import get_task_stream

    with get_task_stream(dask_client) as stream:
        distributed = _fit(start, data)
    assert_same_fit(distributed, _fit(start, X))
    # every block's E-step of every iteration ran as a task on the cluster's workers
    e_steps = [task for task in stream.data if str(task["key"]).startswith("_apply_and_count")]
    assert len(e_steps) == data.numblocks[0] * distributed.n_estep
    assert {task["worker"] for task in e_steps} <= set(dask_client.scheduler_info()["workers"])


def test_dask_hostile_blocks_are_named(dask_client):
    da = pytest.importorskip("dask.array")
    bad = X.copy()
    bad[700, 1] = np.nan
    with pytest.raises(ValueError, match="a chunk of X contains NaN"):
        scan_rows(as_source(da.from_array(bad, chunks=(200, 3))))


def test_estimator_fits_a_dask_array(dask_client):
    da = pytest.importorskip("dask.array")
    data = da.from_array(X, chunks=(250, 3))
    expected = latentem.GaussianMixture(2, random_state=0, tol=1e-8).fit(X)
    actual = latentem.GaussianMixture(2, random_state=0, tol=1e-8).fit(data)
    np.testing.assert_allclose(actual.means_, expected.means_, rtol=1e-10)
    np.testing.assert_allclose(actual.lower_bounds_, expected.lower_bounds_, rtol=1e-10)


class _RowSliced:
    """A lazy on-disk array of a user's own: row slices only, no ``__array__``."""

    def __init__(self, values):
        self._values = np.asarray(values)

    shape = property(lambda self: self._values.shape)
    dtype = property(lambda self: self._values.dtype)

    def __getitem__(self, key):
        return self._values[key]


def test_only_out_of_core_arrays_are_read_in_chunks(tmp_path):
    values = np.arange(12.0).reshape(6, 2)
    memmap = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", shape=(6, 2))
    # h5py and zarr arrays are told by their module (they also have __array__)
    on_disk = type("Dataset", (_RowSliced,), {"__module__": "h5py._hl.dataset"})
    on_disk.__array__ = lambda self, dtype=None, copy=None: self._values
    assert is_out_of_core(memmap)
    assert is_out_of_core(on_disk(values))
    assert is_out_of_core(_RowSliced(values))
    # array-likes NumPy converts stay in memory, whatever else they offer
    for marker in ("__array__", "__array_interface__", "__array_namespace__", "__dlpack__"):
        in_memory = type("Array", (_RowSliced,), {marker: lambda self, *a, **k: None})
        assert not is_out_of_core(in_memory(values)), marker
    assert not is_out_of_core(values) and not is_out_of_core(values.tolist())
