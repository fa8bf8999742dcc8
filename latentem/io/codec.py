"""Turning values into JSON-able trees and back, losslessly and without executing anything.

A saved object is a tree of JSON values in which three tagged objects carry
what JSON cannot:

- ``{"$array": {"dtype": "float64", "shape": [2, 3], "base64": "..."}}`` -- an
  array as its raw little-endian bytes (or ``"npz": "a0"`` when the bytes live
  in the ``.npz`` file next to the JSON);
- ``{"$float": "inf"}`` -- a non-finite float (finite floats are JSON numbers:
  Python writes the shortest decimal that reads back to the same double);
- ``{"$type": "GaussianMixtureModel", "$version": 1, "state": {...}}`` -- an
  object of a registered type (see :mod:`latentem.io.registry`).

Decoding builds arrays only after checking that the declared dtype is one of
:data:`SAVED_DTYPES` and that the declared shape matches the bytes present, so a
tampered file can neither allocate more memory than its own size nor smuggle
in an object array.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["MAX_DEPTH", "SAVED_DTYPES", "ArrayStore", "StateReader", "array_nbytes", "check_shape"]

#: The array dtypes a file may declare, by name, with their exact byte layout.
SAVED_DTYPES: dict[str, np.dtype] = {
    "float64": np.dtype("<f8"),
    "float32": np.dtype("<f4"),
    "int64": np.dtype("<i8"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("|b1"),
}

#: Deepest nesting of lists, dicts and objects a file may use.
MAX_DEPTH = 64
_MAX_NDIM = 32
_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _fail(path: str, problem: str) -> ValueError:
    return ValueError(f"{path}: {problem}")


def check_shape(shape: Any, path: str) -> tuple[int, ...]:
    """A declared shape as a tuple of non-negative ints, or a ValueError naming ``path``."""
    if not isinstance(shape, list) or len(shape) > _MAX_NDIM:
        raise _fail(path, f"shape must be a list of at most {_MAX_NDIM} integers; got {shape!r}")
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise _fail(path, f"shape must hold non-negative integers; got {shape!r}")
    return tuple(shape)


def array_nbytes(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """Bytes an array of ``shape`` and ``dtype`` holds, in exact integer arithmetic."""
    return math.prod(shape) * dtype.itemsize


def _dtype_name(array: np.ndarray, path: str) -> str:
    # either byte order is saved (as little-endian); the kind and size must match exactly
    for name, dtype in SAVED_DTYPES.items():
        if array.dtype.kind == dtype.kind and array.dtype.itemsize == dtype.itemsize:
            return name
    listed = ", ".join(SAVED_DTYPES)
    raise TypeError(
        f"{path}: cannot save an array of dtype {array.dtype}; latentem saves arrays of "
        f"dtype {listed} only. Convert it, e.g. with .astype(np.float64)"
    )


class ArrayStore:
    """Where encoded arrays go: inline base64, or a dict of arrays bound for the ``.npz``.

    Parameters
    ----------
    npz_threshold : int or None
        Arrays of at least this many bytes go to the ``.npz`` file; ``None``
        keeps every array inline.
    """

    def __init__(self, npz_threshold: int | None) -> None:
        self.npz_threshold = npz_threshold
        self.npz: dict[str, np.ndarray] = {}

    def encode(self, array: np.ndarray, path: str) -> dict[str, Any]:
        name = _dtype_name(array, path)
        # C order, little-endian (np.ascontiguousarray would turn 0-d arrays into 1-d)
        data = np.array(array, dtype=SAVED_DTYPES[name], order="C", copy=True)
        entry: dict[str, Any] = {"dtype": name, "shape": list(data.shape)}
        if self.npz_threshold is not None and data.nbytes >= self.npz_threshold:
            key = f"a{len(self.npz)}"
            self.npz[key] = data
            entry["npz"] = key
        else:
            entry["base64"] = base64.b64encode(data.tobytes()).decode("ascii")
        return {"$array": entry}


def encode(value: Any, store: ArrayStore, to_state: Callable[[Any, str], Any], path: str) -> Any:
    """A JSON-able tree for ``value``; ``to_state`` encodes registered objects."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isfinite(number):
            return number
        return {"$float": "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")}
    if isinstance(value, np.ndarray):
        return store.encode(value, path)
    if isinstance(value, (list, tuple)):
        return [encode(item, store, to_state, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$"):
                raise TypeError(
                    f"{path}: cannot save a dict key {key!r}; keys must be strings not "
                    "starting with '$'"
                )
            out[key] = encode(item, store, to_state, f"{path}.{key}")
        return out
    return to_state(value, path)


ArrayLoader = Callable[[str, np.dtype, tuple[int, ...], str], np.ndarray]


def decode(
    tree: Any,
    load_npz: ArrayLoader,
    from_state: Callable[[dict[str, Any], str, int], Any],
    path: str,
    depth: int = 0,
) -> Any:
    """Rebuild values from a JSON tree; ``from_state`` rebuilds registered objects."""
    if depth > MAX_DEPTH:
        raise _fail(path, f"nested more than {MAX_DEPTH} levels deep")
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if isinstance(tree, list):
        return [
            decode(item, load_npz, from_state, f"{path}[{i}]", depth + 1)
            for i, item in enumerate(tree)
        ]
    if not isinstance(tree, dict):  # pragma: no cover - json.loads makes nothing else
        raise _fail(path, f"unexpected JSON value {tree!r}")
    tags = [key for key in tree if key.startswith("$")]
    if not tags:
        return {
            key: decode(item, load_npz, from_state, f"{path}.{key}", depth + 1)
            for key, item in tree.items()
        }
    if tags == ["$float"] and len(tree) == 1:
        if tree["$float"] not in _NONFINITE:
            raise _fail(path, f"$float must be 'inf', '-inf' or 'nan'; got {tree['$float']!r}")
        return _NONFINITE[tree["$float"]]
    if tags == ["$array"] and len(tree) == 1:
        return _decode_array(tree["$array"], load_npz, path)
    if set(tree) == {"$type", "$version", "state"}:
        return from_state(tree, path, depth)
    raise _fail(path, f"unknown tagged object with keys {sorted(tree)}")


def _decode_array(entry: Any, load_npz: ArrayLoader, path: str) -> np.ndarray:
    if not isinstance(entry, dict) or not (
        set(entry) == {"dtype", "shape", "base64"} or set(entry) == {"dtype", "shape", "npz"}
    ):
        raise _fail(path, "an $array must hold 'dtype', 'shape' and one of 'base64' or 'npz'")
    if entry["dtype"] not in SAVED_DTYPES:
        listed = ", ".join(SAVED_DTYPES)
        raise _fail(path, f"array dtype must be one of {listed}; got {entry['dtype']!r}")
    dtype = SAVED_DTYPES[entry["dtype"]]
    shape = check_shape(entry["shape"], path)
    if "npz" in entry:
        if not isinstance(entry["npz"], str):
            raise _fail(path, f"npz key must be a string; got {entry['npz']!r}")
        array = load_npz(entry["npz"], dtype, shape, path)
    else:
        text = entry["base64"]
        if not isinstance(text, str):
            raise _fail(path, "base64 data must be a string")
        expected = array_nbytes(shape, dtype)
        # base64 has 4 characters per 3 bytes: compare before decoding anything
        if len(text) != 4 * ((expected + 2) // 3):
            raise _fail(
                path,
                f"declared shape {list(shape)} of {entry['dtype']} needs {expected} bytes, "
                f"but the data holds about {len(text) * 3 // 4}",
            )
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as error:
            raise _fail(path, f"array data is not valid base64 ({error})") from None
        if len(raw) != expected:
            raise _fail(path, f"array data holds {len(raw)} bytes; shape needs {expected}")
        array = np.frombuffer(raw, dtype=dtype).reshape(shape)
    # native byte order and writable: the caller owns the array
    return array.astype(dtype.newbyteorder("="), copy=True)


class StateReader:
    """The decoded state of one saved object, read field by field with type checks.

    A ``from_state`` function (see :func:`latentem.io.register`) receives one
    and asks for each field with the kind it expects; any mismatch raises a
    ``ValueError`` naming the file path of the field. :meth:`finish` (called
    by the loader after ``from_state``) rejects fields nobody asked for.

    Attributes
    ----------
    version : int
        The version of the type's state layout the file was written with.

    Examples
    --------
    >>> import numpy as np
    >>> reader = StateReader({"rate": 2.5, "counts": np.array([1.0, 2.0])}, "state", 1)
    >>> reader.get_float("rate"), reader.get_array("counts", ndim=1)
    (2.5, array([1., 2.]))
    >>> reader.get_int("rate")
    Traceback (most recent call last):
    ...
    ValueError: state.rate: expected an integer; got 2.5
    """

    def __init__(self, state: dict[str, Any], path: str, version: int) -> None:
        self._state = state
        self._path = path
        self._read: set[str] = set()
        self.version = version

    def _get(self, key: str) -> Any:
        if key not in self._state:
            raise _fail(self._path, f"missing field {key!r}")
        self._read.add(key)
        return self._state[key]

    def has(self, key: str) -> bool:
        """Whether the state holds ``key`` (for optional fields)."""
        return key in self._state

    def get_value(self, key: str) -> Any:
        """The decoded value, whatever its kind."""
        return self._get(key)

    def get_array(
        self, key: str, *, dtype: Any = np.float64, ndim: int | None = None
    ) -> np.ndarray:
        """An array of exactly ``dtype`` (and ``ndim`` dimensions, if given)."""
        value = self._get(key)
        wanted = np.dtype(dtype)
        if not isinstance(value, np.ndarray):
            raise _fail(f"{self._path}.{key}", f"expected an array; got {type(value).__name__}")
        if value.dtype != wanted:
            raise _fail(f"{self._path}.{key}", f"expected a {wanted} array; got {value.dtype}")
        if ndim is not None and value.ndim != ndim:
            raise _fail(
                f"{self._path}.{key}", f"expected a {ndim}-D array; got shape {value.shape}"
            )
        return value

    def get_float(self, key: str) -> float:
        """A float (a JSON integer is accepted as its float value)."""
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(f"{self._path}.{key}", f"expected a number; got {value!r}")
        return float(value)

    def get_int(self, key: str, *, minimum: int | None = None) -> int:
        """An integer, at least ``minimum`` if given."""
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(f"{self._path}.{key}", f"expected an integer; got {value!r}")
        if minimum is not None and value < minimum:
            raise _fail(f"{self._path}.{key}", f"must be at least {minimum}; got {value}")
        return value

    def get_bool(self, key: str) -> bool:
        """``true`` or ``false``."""
        value = self._get(key)
        if not isinstance(value, bool):
            raise _fail(f"{self._path}.{key}", f"expected true or false; got {value!r}")
        return value

    def get_str(self, key: str, options: Any = None) -> str:
        """A string, one of ``options`` if given."""
        value = self._get(key)
        if not isinstance(value, str):
            raise _fail(f"{self._path}.{key}", f"expected a string; got {value!r}")
        if options is not None and value not in options:
            listed = ", ".join(repr(option) for option in options)
            raise _fail(f"{self._path}.{key}", f"must be one of {listed}; got {value!r}")
        return value

    def get_object(self, key: str, cls: type | tuple[type, ...] | None = None) -> Any:
        """A nested saved object, an instance of ``cls`` if given."""
        value = self._get(key)
        if cls is not None and not isinstance(value, cls):
            raise _fail(f"{self._path}.{key}", f"expected a {cls}; got {type(value).__name__}")
        return value

    def get_dict(self, key: str) -> dict[str, Any]:
        """A JSON object (its values decoded)."""
        value = self._get(key)
        if not isinstance(value, dict):
            raise _fail(f"{self._path}.{key}", f"expected an object; got {type(value).__name__}")
        return value

    def finish(self) -> None:
        """Raise a ValueError if the state holds fields that were never read."""
        unread = sorted(set(self._state) - self._read)
        if unread:
            raise _fail(self._path, f"unexpected field(s) {unread}")
