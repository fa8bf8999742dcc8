"""latentem.save / latentem.load: exact round trips, and hostile files raise ValueError."""

import copy
import json
import math
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import latentem
from latentem import EM, ConvergenceWarning, EMResult, GaussianMixture, GaussianMixtureModel
from latentem.io import register, register_attrs, sidecar_path
from latentem.testing import strategies as lst

RNG = np.random.default_rng(0)
X = np.concatenate([RNG.normal(0, 1, (80, 2)), RNG.normal(5, 1, (60, 2))])


def same_bits(a, b):
    """Arrays equal bit for bit: same dtype, shape and bytes (so -0.0 and NaN payloads too)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_same_gmm(a, b):
    assert type(a) is type(b)
    for name in ("weights", "means", "covariances", "precisions_cholesky"):
        assert same_bits(getattr(a, name), getattr(b, name)), name
    assert a.covariance_type == b.covariance_type
    assert a.assignment == b.assignment
    assert a.reg_covar == b.reg_covar


def round_trip(obj, tmp_path, **kwargs):
    path = tmp_path / "obj.json"
    latentem.save(obj, path, **kwargs)
    return latentem.load(path)


# ----------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
@pytest.mark.parametrize("assignment", ["soft", "hard"])
@pytest.mark.parametrize("npz_threshold", [None, 0])
def test_gaussian_mixture_model_round_trip_is_exact(
    tmp_path, covariance_type, assignment, npz_threshold
):
    start = GaussianMixtureModel.from_data(
        X, 3, covariance_type=covariance_type, assignment=assignment, random_state=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = EM(max_iter=5, tol=0).fit(start, X).model
    loaded = round_trip(model, tmp_path, npz_threshold=npz_threshold)
    assert_same_gmm(loaded, model)
    assert (sidecar_path(tmp_path / "obj.json") is not None) == (npz_threshold == 0)
    assert loaded.log_likelihood(X) == model.log_likelihood(X)


@given(lst.gaussian_mixture_models(), st.booleans())
def test_random_models_round_trip_exactly(tmp_path_factory, model, use_npz):
    tmp_path = tmp_path_factory.mktemp("models")
    assert_same_gmm(round_trip(model, tmp_path, npz_threshold=0 if use_npz else None), model)


def fitted_attributes(estimator):
    return {key: value for key, value in vars(estimator).items() if key.endswith("_")}


def assert_same_estimator(loaded, original):
    assert type(loaded) is type(original)
    assert sorted(vars(loaded)) == sorted(vars(original))
    for key, value in vars(original).items():
        other = vars(loaded)[key]
        if isinstance(value, np.ndarray):
            assert same_bits(other, value), key
            assert other.flags.writeable, key
        elif isinstance(value, GaussianMixtureModel):
            assert_same_gmm(other, value)
        elif isinstance(value, float) and math.isinf(value):
            assert other == value
        else:
            assert type(other) is type(value) and other == value, key


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_fitted_gaussian_mixture_round_trips(tmp_path, covariance_type):
    gm = GaussianMixture(
        2, covariance_type=covariance_type, assignment="hard", random_state=3, tol=1e-6
    ).fit(X)
    loaded = round_trip(gm, tmp_path)
    assert_same_estimator(loaded, gm)
    assert np.array_equal(loaded.predict_proba(X), gm.predict_proba(X))
    assert loaded.score(X) == gm.score(X)


def test_unfitted_estimator_with_array_params_round_trips(tmp_path):
    gm = GaussianMixture(
        2,
        means_init=np.array([[0.0, 0.0], [5.0, 5.0]]),
        weights_init=[0.25, 0.75],
        precisions_init=None,
        reg_covar=0.0,
        random_state=7,
    )
    loaded = round_trip(gm, tmp_path)
    assert not hasattr(loaded, "model_")
    assert same_bits(loaded.means_init, gm.means_init)
    assert loaded.weights_init == [0.25, 0.75]
    assert loaded.get_params()["reg_covar"] == 0.0
    # and the loaded estimator fits exactly as the original does
    assert_same_estimator(loaded.fit(X), gm.fit(X))


def test_estimator_with_no_iterations_keeps_infinite_lower_bound(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(2, max_iter=0, random_state=0).fit(X)
    assert gm.lower_bound_ == -np.inf
    assert_same_estimator(round_trip(gm, tmp_path), gm)


def test_em_result_round_trips(tmp_path):
    start = GaussianMixtureModel.from_data(X, 2, random_state=0)
    result = EM(tol=1e-6).fit(start, X)
    loaded = round_trip(result, tmp_path)
    assert isinstance(loaded, EMResult)
    assert same_bits(loaded.history, result.history)
    assert (loaded.n_iter, loaded.converged, loaded.n_samples) == (
        result.n_iter,
        result.converged,
        result.n_samples,
    )
    assert_same_gmm(loaded.model, result.model)


class Box:
    """Holds any value: exercises the codec on values models do not hold."""

    def __init__(self, value):
        self.value = value


register(
    Box,
    name="tests.io.Box",
    to_state=lambda box: {"value": box.value},
    from_state=lambda reader: Box(reader.get_value("value")),
    replace=True,
)

ARRAYS = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.bool_]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    elements=None,
)


@given(ARRAYS, st.booleans())
def test_any_array_round_trips_bit_for_bit(tmp_path_factory, array, use_npz):
    tmp_path = tmp_path_factory.mktemp("arrays")
    loaded = round_trip(Box(array), tmp_path, npz_threshold=0 if use_npz else None).value
    assert same_bits(loaded, array)


@given(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True))
def test_any_float_round_trips_bit_for_bit(tmp_path_factory, value):
    loaded = round_trip(Box([value, {"x": value}]), tmp_path_factory.mktemp("floats")).value
    for item in (loaded[0], loaded[1]["x"]):
        assert isinstance(item, float)
        assert math.isnan(item) if math.isnan(value) else same_bits(item, value)


def test_big_endian_arrays_are_saved_by_value(tmp_path):
    array = np.arange(6.0).reshape(2, 3).astype(">f8")
    loaded = round_trip(Box(array), tmp_path).value
    assert loaded.dtype == np.float64 and np.array_equal(loaded, array)


def test_attrs_models_register_in_one_line(tmp_path):
    from attrs import frozen

    @frozen(eq=False)
    class Rates:
        rates: np.ndarray
        counts: np.ndarray
        label: str = "x"

    register_attrs(Rates, name="tests.io.Rates", dtypes={"counts": np.int64}, replace=True)
    value = Rates(np.array([0.5, 1.5]), np.array([1, 2], dtype=np.int64), "y")
    loaded = round_trip(value, tmp_path)
    assert same_bits(loaded.rates, value.rates) and same_bits(loaded.counts, value.counts)
    assert loaded.label == "y"
    # an array of another dtype than the registered one is refused
    path = tmp_path / "obj.json"
    document = json.loads(path.read_text())
    document["object"]["state"]["counts"] = document["object"]["state"]["rates"]
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"counts: expected a int64 array; got float64"):
        latentem.load(path)


# ----------------------------------------------------------------------------- saving errors


def test_unregistered_objects_are_refused_with_the_fix(tmp_path):
    with pytest.raises(TypeError, match=r"register it with latentem\.io\.register"):
        latentem.save(object(), tmp_path / "x.json")
    gm = GaussianMixture(random_state=np.random.RandomState(0))
    with pytest.raises(TypeError, match=r"params\.random_state: .*RandomState"):
        latentem.save(gm, tmp_path / "x.json")
    with pytest.raises(TypeError, match="complex128"):
        latentem.save(Box(np.zeros(2, dtype=complex)), tmp_path / "x.json")
    with pytest.raises(TypeError, match="keys must be strings"):
        latentem.save(Box({"$type": 1}), tmp_path / "x.json")


def test_a_failed_save_leaves_the_previous_file(tmp_path):
    path = tmp_path / "model.json"
    latentem.save(Box([1.0, 2.0]), path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        latentem.save(Box([1.0, object()]), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


# ----------------------------------------------------------------------------- hostile files


@pytest.fixture
def saved(tmp_path):
    """A saved fitted GaussianMixture: (path, parsed JSON)."""
    gm = GaussianMixture(2, random_state=0).fit(X)
    path = tmp_path / "gm.json"
    latentem.save(gm, path)
    return path, json.loads(path.read_text())


def write(path, document):
    path.write_text(json.dumps(document))
    return path


def model_state(document):
    return document["object"]["state"]["fitted"]["model_"]["state"]


def test_every_truncation_of_a_file_raises_value_error(saved):
    path, _ = saved
    text = path.read_bytes()
    for cut in range(0, len(text), max(1, len(text) // 150)):
        path.write_bytes(text[:cut])
        with pytest.raises(ValueError, match=str(path)):
            latentem.load(path)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x93NUMPY\x01\x00garbage",
        b"\xff\xfe\x00binary",
        b"not json at all",
        b"[1, 2, 3]",
        b'{"format": "pickle", "version": 1, "object": null}',
        b'{"format": "latentem", "version": 1, "object": {"$type": "GaussianMixtureModel"}}',
        b'{"format": "latentem", "version": 1, "version": 1, "object": null}',
        b'{"format": "latentem", "version": 1, "object": NaN}',
        b"[" * 100_000,
    ],
)
def test_non_latentem_content_raises_value_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"bad\.json"):
        latentem.load(path)


@pytest.mark.parametrize("version", [2, 99, 0, -1, "1", True, None, 1.0])
def test_wrong_format_version_raises_value_error(saved, version):
    path, document = saved
    document["version"] = version
    with pytest.raises(ValueError, match="version"):
        latentem.load(write(path, document))


def test_newer_type_version_is_refused(saved):
    path, document = saved
    document["object"]["state"]["fitted"]["model_"]["$version"] = 2
    with pytest.raises(ValueError, match="state version 2 is newer"):
        latentem.load(write(path, document))


@pytest.mark.parametrize("name", ["os.system", "builtins.eval", "subprocess.Popen", "", "Box"])
def test_unknown_type_names_are_refused_without_importing(saved, name, monkeypatch):
    path, document = saved
    document["object"]["state"]["fitted"]["model_"]["$type"] = name
    imported = []
    real_import = __builtins__["__import__"] if isinstance(__builtins__, dict) else __import__

    def spy(module, *args, **kwargs):
        imported.append(module)
        return real_import(module, *args, **kwargs)

    monkeypatch.setattr("builtins.__import__", spy)
    with pytest.raises(ValueError, match="unknown type"):
        latentem.load(write(path, document))
    monkeypatch.undo()
    assert not {"os", "subprocess"} & set(imported)


def encoded(array, dtype="float64"):
    import base64

    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<"))
    return {
        "$array": {
            "dtype": dtype,
            "shape": list(data.shape),
            "base64": base64.b64encode(data.tobytes()).decode(),
        }
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("means", encoded(np.zeros((3, 2))), "means must have shape"),
        ("weights", encoded([0.5, 0.6]), "must sum to 1"),
        ("weights", encoded([1.5, -0.5]), "non-negative"),
        ("covariances", encoded(np.zeros((2, 2))), "covariances"),
        ("covariances", encoded(np.ones((2, 2, 2))), "positive definite"),
        ("means", encoded(np.zeros((2, 2)), "int64"), "expected a float64 array; got int64"),
        ("means", encoded(np.zeros(4)), "expected a 2-D array"),
        ("covariance_type", "diagonal", "must be one of"),
        ("reg_covar", "1e-6", "expected a number"),
        ("reg_covar", -1.0, "reg_covar"),
        ("assignment", None, "expected a string"),
    ],
)
def test_tampered_model_values_raise_value_error(saved, field, value, message):
    path, document = saved
    model_state(document)[field] = value
    with pytest.raises(ValueError, match=message):
        latentem.load(write(path, document))


@pytest.mark.parametrize(
    ("array", "message"),
    [
        ({"dtype": "float64", "shape": [10**12], "base64": "AAAAAAAAAAA="}, "needs 8000000000000"),
        ({"dtype": "float64", "shape": [2**62, 2**62], "base64": ""}, "needs"),
        ({"dtype": "float64", "shape": [-1], "base64": ""}, "non-negative"),
        ({"dtype": "float64", "shape": [1] * 40, "base64": ""}, "at most 32"),
        ({"dtype": "float64", "shape": "2", "base64": ""}, "shape must be a list"),
        ({"dtype": "float64", "shape": [True], "base64": ""}, "non-negative integers"),
        ({"dtype": "object", "shape": [1], "base64": "AA=="}, "dtype must be one of"),
        ({"dtype": "complex128", "shape": [1], "base64": "AA=="}, "dtype must be one of"),
        ({"dtype": "float16", "shape": [1], "base64": "AA=="}, "dtype must be one of"),
        ({"dtype": "float64", "shape": [1], "base64": "!!!!!!!!!!!!"}, "not valid base64"),
        ({"dtype": "float64", "shape": [1], "base64": 5}, "must be a string"),
        ({"dtype": "float64", "shape": [1]}, "must hold"),
        ({"dtype": "float64", "shape": [1], "base64": "", "extra": 1}, "must hold"),
        ({"dtype": "float64", "shape": [1], "npz": "a0"}, "npz field"),
    ],
)
def test_tampered_arrays_raise_value_error_before_allocating(saved, array, message):
    path, document = saved
    model_state(document)["weights"] = {"$array": array}
    with pytest.raises(ValueError, match=message):
        latentem.load(write(path, document))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["object"]["state"].update(extra=1),
        lambda d: d["object"]["state"].pop("fitted"),
        lambda d: model_state(d).pop("means"),
        lambda d: model_state(d).update(secret="x"),
        lambda d: d["object"]["state"]["params"].update(n_components=3),
        lambda d: d["object"]["state"]["params"].update(covariance_type="diag"),
        lambda d: d["object"]["state"]["params"].update(evil=1),
        lambda d: d["object"]["state"]["params"].pop("tol"),
        lambda d: d["object"]["state"]["fitted"].update(n_iter_=-1),
        lambda d: d["object"]["state"]["fitted"].update(n_iter_=1000),
        lambda d: d["object"]["state"]["fitted"].update(lower_bounds_=["a"]),
        lambda d: d["object"]["state"]["fitted"].update(converged_=1),
        lambda d: d["object"]["state"]["fitted"].update(weights_=[1.0]),
        lambda d: d["object"]["state"]["fitted"].update(__class__=1),
        lambda d: d["object"]["state"]["fitted"].update(model_={"$float": "inf"}),
        lambda d: d["object"]["state"]["fitted"].update(model_={"$float": "huge"}),
        lambda d: d["object"]["state"]["fitted"].update(model_={"$array": 1, "$type": 2}),
        lambda d: d["object"].update(state=[]),
        lambda d: d.update(extra=1),
        lambda d: d["object"].update({"$version": "1"}),
    ],
)
def test_tampered_structure_raises_value_error(saved, mutate):
    path, document = saved
    mutate(document)
    with pytest.raises(ValueError, match=str(path)):
        latentem.load(write(path, document))


def test_deeply_nested_values_are_refused(saved):
    path, document = saved
    nested = 1.0
    for _ in range(200):
        nested = [nested]
    document["object"]["state"]["params"]["tol"] = nested
    with pytest.raises(ValueError, match="nested more than"):
        latentem.load(write(path, document))


# ----------------------------------------------------------------------------- the .npz file


@pytest.fixture
def saved_npz(tmp_path):
    model = GaussianMixtureModel.from_data(X, 2, random_state=0)
    path = tmp_path / "model.json"
    latentem.save(model, path, npz_threshold=0)
    return model, path, sidecar_path(path)


def test_npz_round_trip_and_missing_or_changed_file(saved_npz):
    model, path, npz = saved_npz
    assert_same_gmm(latentem.load(path), model)
    data = bytearray(npz.read_bytes())
    data[-30] ^= 0xFF
    npz.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="does not match the checksum"):
        latentem.load(path)
    npz.unlink()
    with pytest.raises(ValueError, match="is missing"):
        latentem.load(path)


def rewrite_npz(path, npz, arrays, compression=zipfile.ZIP_STORED, raw_members=None):
    """Replace the .npz by other content and update the checksum, as a careful attacker would."""
    import hashlib
    import io

    with zipfile.ZipFile(npz, "w", compression=compression) as archive:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=True)
            archive.writestr(f"{key}.npy", buffer.getvalue())
        for key, raw in (raw_members or {}).items():
            archive.writestr(f"{key}.npy", raw)
    document = json.loads(path.read_text())
    document["npz"]["sha256"] = hashlib.sha256(npz.read_bytes()).hexdigest()
    path.write_text(json.dumps(document))


def good_arrays(npz):
    with np.load(npz, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.update(a0=np.array([object()], dtype=object)), "stored array is object"),
        (lambda a: a.update(a0=a["a0"].astype(np.int64)), "stored array is int64"),
        (lambda a: a.update(a0=a["a0"][:1]), r"stored array is float64 \(1,\)"),
        (lambda a: a.pop("a0"), "not in the arrays file"),
        (lambda a: a.update(a0=np.asfortranarray(np.ones((2, 2)))), "stored array"),
    ],
)
def test_tampered_npz_members_raise_value_error(saved_npz, change, message):
    _, path, npz = saved_npz
    arrays = good_arrays(npz)
    change(arrays)
    rewrite_npz(path, npz, arrays)
    with pytest.raises(ValueError, match=message):
        latentem.load(path)


def test_npz_members_declaring_huge_sizes_or_compressed_are_refused(saved_npz):
    _, path, npz = saved_npz
    arrays = good_arrays(npz)
    document = json.loads(path.read_text())
    # declare a huge weights array both in the JSON and in a forged .npy header
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    raw = buffer.getvalue() + b"\x00" * 16
    document["object"]["state"]["weights"]["$array"]["shape"] = [10**12]
    path.write_text(json.dumps(document))
    rewrite_npz(path, npz, {k: v for k, v in arrays.items() if k != "a0"}, raw_members={"a0": raw})
    with pytest.raises(ValueError, match="bytes in a"):
        latentem.load(path)
    rewrite_npz(path, npz, arrays, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match=r"compressed|stored array"):
        latentem.load(path)


def test_npz_file_outside_the_folder_is_refused(saved_npz):
    _, path, _ = saved_npz
    document = json.loads(path.read_text())
    document["npz"]["file"] = "../elsewhere.npz"
    with pytest.raises(ValueError, match="must sit next to it"):
        latentem.load(write(path, document))


def test_loaded_objects_do_not_share_memory_with_each_other(tmp_path):
    gm = GaussianMixture(2, random_state=0).fit(X)
    path = tmp_path / "gm.json"
    latentem.save(gm, path)
    first, second = latentem.load(path), latentem.load(path)
    first.means_[0, 0] = 1e9
    assert second.means_[0, 0] == gm.means_[0, 0]
    assert copy.deepcopy(second).means_[0, 0] == gm.means_[0, 0]
