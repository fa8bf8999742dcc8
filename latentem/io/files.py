"""``latentem.save`` and ``latentem.load``: versioned JSON (+ ``.npz``) files, never pickle."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

import numpy as np

from latentem.io import atomic as _atomic
from latentem.io import codec as _codec
from latentem.io.registry import codec_for, codec_named

__all__ = ["FORMAT", "FORMAT_VERSION", "load", "save", "sidecar_path"]

FORMAT = "latentem"
#: Version of the file layout (the envelope, tags and array encoding).
FORMAT_VERSION = 1
_NPZ_THRESHOLD = 1 << 20
# reads of a file whose arrays file a concurrent save removed, before giving up
_READ_ATTEMPTS = 5


def sidecar_path(path: str | os.PathLike[str]) -> Path | None:
    """The ``.npz`` file that holds the large arrays of the saved file ``path``, if any.

    It is the file the JSON names (``model.json.<token>.npz`` since each save
    writes a new one, ``model.npz`` for files saved by earlier latentem);
    copy it along with the JSON.

    Returns
    -------
    Path or None
        None when the file holds all its arrays inline.

    Raises
    ------
    ValueError
        If ``path`` is not a latentem file.
    OSError
        If ``path`` cannot be read.

    Examples
    --------
    >>> import numpy as np, latentem, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> model = latentem.GaussianMixtureModel.from_data(np.eye(3), 1)
    >>> latentem.save(model, path)
    >>> print(sidecar_path(path))
    None
    >>> latentem.save(model, path, npz_threshold=0)
    >>> sidecar_path(path).name.startswith("model.json.")
    True
    """
    path = Path(path)
    name = _arrays_named_by(path)
    return None if name is None else path.parent / name


def _arrays_named_by(path: Path) -> str | None:
    """The arrays file name the saved file ``path`` holds (None: its arrays are inline)."""
    entry = _parse(path).get("npz")
    if entry is None:
        return None
    if not (isinstance(entry, dict) and isinstance(entry.get("file"), str)):
        raise ValueError(f"{path}: the npz field must hold 'file' and 'sha256' strings")
    return str(entry["file"])


def _to_state(store: _codec.ArrayStore) -> Callable[[Any, str], Any]:
    def to_state(value: Any, path: str) -> Any:
        try:
            codec = codec_for(value)
        except TypeError as error:
            raise TypeError(f"{path}: {error}") from None
        state = codec.to_state(value)
        if not isinstance(state, dict):
            raise TypeError(f"{path}: to_state of {codec.name} returned {type(state).__name__}")
        return {
            "$type": codec.name,
            "$version": codec.version,
            "state": _codec.encode(state, store, to_state, f"{path}.state"),
        }

    return to_state


def save(
    obj: Any, path: str | os.PathLike[str], *, npz_threshold: int | None = _NPZ_THRESHOLD
) -> None:
    """Save a model, front class or :class:`~latentem.EMResult` to a JSON file.

    Parameters
    ----------
    obj : object
        An instance of a registered type: every latentem model and front
        class, :class:`~latentem.EMResult`, or a type registered with
        :func:`latentem.io.register`.
    path : str or path-like
        The JSON file to write (replaced atomically if it exists).
    npz_threshold : int or None, default=1 MiB
        Arrays of at least this many bytes are stored in a ``.npz`` file
        next to ``path`` (see :func:`sidecar_path`), whose SHA-256 the JSON
        records; ``None`` keeps every array inside the JSON.

    Notes
    -----
    Arrays are stored as their raw little-endian bytes (base64 in the JSON),
    finite floats as the shortest decimal that reads back to the same
    double, so :func:`load` gives back every number bit for bit. No pickle
    is involved: the file holds only JSON values and plain ``.npy`` arrays.

    Examples
    --------
    >>> import numpy as np, latentem, tempfile, os
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> model = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> latentem.save(model, path)
    >>> bool(np.array_equal(latentem.load(path).covariances, model.covariances))
    True
    """
    path = Path(path)
    if npz_threshold is not None and (isinstance(npz_threshold, bool) or npz_threshold < 0):
        raise ValueError(f"npz_threshold must be a non-negative int or None; got {npz_threshold!r}")
    from latentem import __version__

    store = _codec.ArrayStore(npz_threshold)
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "latentem_version": __version__,
        "object": _to_state(store)(obj, "object"),
    }
    with ExitStack() as held, _atomic.saving(path):
        _atomic.refuse_folder(path)
        # read before it is replaced: the old arrays file goes once the new JSON is in place
        previous = _current_arrays(path) if _atomic.has_arrays_files(path) else None
        if store.npz:
            # a new name each save, written before the JSON that names it and kept (locked)
            # until that JSON is in place: the old JSON keeps naming the old, intact file
            name = _atomic.new_arrays_name(path)
            npz = path.parent / name
            digest = held.enter_context(_atomic.written(npz, _npz_writer(store.npz), target=path))
            document["npz"] = {"file": name, "sha256": digest}
        text = json.dumps(document, indent=1, allow_nan=False).encode("utf-8")
        try:
            with _atomic.written(path, lambda stream: stream.write(text), target=path):
                pass
        except BaseException:
            # the arrays file goes unless the JSON got in place (only its folder's fsync failed)
            if store.npz and _current_arrays(path) != name:
                with suppress(OSError):
                    npz.unlink()
            raise
    _atomic.remove_leftovers(path, lambda: _arrays_named_by(path), previous=previous)


def _current_arrays(path: Path) -> str | None:
    """The arrays file ``path`` names now; None if it names none or cannot be read."""
    try:
        return _arrays_named_by(path)
    except (OSError, ValueError):
        return None


def _npz_writer(arrays: dict[str, np.ndarray]) -> Callable[[Any], str]:
    """Writes ``arrays`` as a ``.npz`` into a stream and returns the SHA-256 of what it wrote."""

    def write(stream: Any) -> str:
        _write_npz(stream, arrays)
        stream.seek(0)
        return _sha256(stream)

    return write


def _write_npz(stream: Any, arrays: dict[str, np.ndarray]) -> None:
    """A plain ``.npz``: one uncompressed ``.npy`` member per array, no pickle."""
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, array in arrays.items():
            with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _sha256(stream: Any) -> str:
    """The SHA-256 of what ``stream`` holds from where it stands to its end."""
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed (non-finite floats are tagged $float)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicated keys in a JSON object: {sorted(keys)}")
    return dict(pairs)


def _parse(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise OSError(f"{path}: cannot read the file ({error.strerror or error})") from None
    try:
        document = json.loads(
            raw.decode("utf-8"),
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except RecursionError:
        raise ValueError(f"{path}: not a latentem file (JSON nested too deeply)") from None
    except ValueError as error:  # includes JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"{path}: not a latentem file (not valid JSON: {error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f'{path}: not a latentem file (no "format": "{FORMAT}" field)')
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"{path}: the format version must be an integer; got {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path}: written in format version {version} by a newer latentem "
            f"({document.get('latentem_version')!r}); this latentem reads version "
            f"{FORMAT_VERSION} at most. Upgrade latentem"
        )
    if version < 1:
        raise ValueError(f"{path}: unknown format version {version}")
    allowed = {"format", "version", "latentem_version", "object", "npz"}
    extra = sorted(set(document) - allowed)
    if extra or "object" not in document:
        raise ValueError(f"{path}: unexpected or missing top-level fields (extra: {extra})")
    return document


class _MissingArrays(ValueError):
    """The arrays file a JSON names does not exist (a concurrent save may have removed it)."""


class _NpzArrays:
    """Arrays read on demand from the checked ``.npz`` sidecar of a file."""

    def __init__(self, path: Path, entry: Any) -> None:
        self._archive: zipfile.ZipFile | None = None
        self._stream: Any = None
        self._entry = entry
        self._path = path
        self._used: set[str] = set()

    def open(self) -> zipfile.ZipFile:
        if self._archive is not None:
            return self._archive
        entry = self._entry
        if not (
            isinstance(entry, dict)
            and set(entry) == {"file", "sha256"}
            and isinstance(entry["file"], str)
            and isinstance(entry["sha256"], str)
        ):
            raise ValueError(f"{self._path}: the npz field must hold 'file' and 'sha256' strings")
        name = entry["file"]
        if Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(f"{self._path}: the npz file must sit next to it; got {name!r}")
        npz = self._path.parent / name
        try:
            # one descriptor for the checksum and the reading: a file replaced in between
            # cannot pass the check with one content and be read with another
            stream = open(npz, "rb")  # noqa: SIM115 (closed by close())
        except (FileNotFoundError, IsADirectoryError):
            raise _MissingArrays(f"{self._path}: its arrays file {npz} is missing") from None
        except OSError as error:
            raise OSError(f"{npz}: cannot read the file ({error.strerror or error})") from None
        try:
            if _sha256(stream) != entry["sha256"]:
                raise ValueError(
                    f"{self._path}: its arrays file {npz} does not match the checksum recorded "
                    "in the JSON (changed, truncated or from another save)"
                )
            stream.seek(0)
            self._archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError) as error:
            stream.close()
            raise ValueError(f"{npz}: not a valid .npz file ({error})") from None
        except BaseException:
            stream.close()
            raise
        self._stream = stream
        return self._archive

    def __call__(self, key: str, dtype: np.dtype, shape: tuple[int, ...], where: str) -> np.ndarray:
        archive = self.open()
        if key in self._used:
            raise ValueError(f"{where}: npz array {key!r} is used twice")
        self._used.add(key)
        try:
            info = archive.getinfo(f"{key}.npy")
        except KeyError:
            raise ValueError(f"{where}: npz array {key!r} is not in the arrays file") from None
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(
                f"{where}: npz array {key!r} is compressed; latentem stores them plain"
            )
        expected = _codec.array_nbytes(shape, dtype)
        try:
            with archive.open(info) as stream:
                major, minor = np.lib.format.read_magic(stream)
                if (major, minor) == (1, 0):
                    header = np.lib.format.read_array_header_1_0(stream)
                elif (major, minor) == (2, 0):
                    header = np.lib.format.read_array_header_2_0(stream)
                else:
                    raise ValueError(f"unsupported .npy version {major}.{minor}")
                stored_shape, fortran, stored_dtype = header
                if stored_dtype != dtype or tuple(stored_shape) != shape or fortran:
                    raise ValueError(
                        f"the stored array is {stored_dtype} {tuple(stored_shape)}"
                        f"{' (Fortran order)' if fortran else ''}; the JSON declares "
                        f"{dtype} {shape}"
                    )
                # the member is stored uncompressed, so its size bounds what we read
                if expected > info.file_size:
                    raise ValueError(f"declares {expected} bytes in a {info.file_size}-byte member")
                raw = stream.read(expected)
        except (ValueError, zipfile.BadZipFile, OSError, EOFError) as error:
            raise ValueError(f"{where}: npz array {key!r} is invalid: {error}") from None
        if len(raw) != expected:
            raise ValueError(f"{where}: npz array {key!r} is truncated")
        return np.frombuffer(raw, dtype=dtype).reshape(shape)

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
        if self._stream is not None:
            self._stream.close()


def _from_state(tree: dict[str, Any], where: str, depth: int, arrays: _NpzArrays) -> Any:
    codec = codec_named(tree["$type"])
    version = tree["$version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{where}: $version must be a positive integer; got {version!r}")
    if version > codec.version:
        raise ValueError(
            f"{where}: {codec.name} state version {version} is newer than this latentem reads "
            f"({codec.version}); upgrade latentem"
        )
    if not isinstance(tree["state"], dict):
        raise ValueError(f"{where}: state must be a JSON object")
    state = _codec.decode(
        tree["state"],
        arrays,
        lambda sub, sub_where, sub_depth: _from_state(sub, sub_where, sub_depth, arrays),
        f"{where}.state",
        depth + 1,
    )
    reader = _codec.StateReader(state, f"{where}.state", version)
    try:
        obj = codec.from_state(reader)
        reader.finish()
    except (ValueError, TypeError, KeyError, IndexError, np.linalg.LinAlgError) as error:
        message = str(error)
        if message.startswith(f"{where}"):
            raise ValueError(message) from None
        raise ValueError(f"{where}: invalid {codec.name}: {message}") from None
    return obj


def load(path: str | os.PathLike[str]) -> Any:
    """Load an object written by :func:`save`.

    Only registered types are built, by their registered ``from_state``
    functions; nothing named in the file is imported or evaluated, and no
    pickle is read.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    object

    Raises
    ------
    ValueError
        If the file is not valid JSON, not a latentem file, of a newer
        format version, names an unknown type, declares arrays whose dtype
        or shape disagree with their data (or with what the type expects),
        has a missing or altered ``.npz`` file, or holds values the type
        rejects. The message names the file and the faulty field.
    OSError
        If the file cannot be read at all.

    Examples
    --------
    >>> import latentem, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.json")
    >>> with open(path, "w") as f:
    ...     _ = f.write('{"format": "latentem", "version": 99, "object": null}')
    >>> latentem.load(path)
    Traceback (most recent call last):
    ...
    ValueError: ...: written in format version 99 by a newer latentem (None); ...
    """
    path = Path(path)
    document, arrays = _read(path)
    try:
        tree = document["object"]
        if not (isinstance(tree, dict) and set(tree) == {"$type", "$version", "state"}):
            raise ValueError("object: must be a saved object ($type, $version, state)")
        return _from_state(tree, "object", 0, arrays)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    finally:
        arrays.close()


def _read(path: Path) -> tuple[dict[str, Any], _NpzArrays]:
    """The parsed file ``path`` and its arrays file, open (so a later removal cannot hurt)."""
    document = _parse(path)
    for attempt in range(1, _READ_ATTEMPTS + 1):
        arrays = _NpzArrays(path, document.get("npz"))
        if document.get("npz") is None:
            return document, arrays
        try:
            arrays.open()
            return document, arrays
        except _MissingArrays:
            # a save may have replaced the JSON and removed the arrays file it named
            # between our reading the two: then the new JSON names an existing file
            newer = _parse(path)
            if attempt == _READ_ATTEMPTS or newer.get("npz") == document.get("npz"):
                raise
            document = newer
    raise AssertionError("unreachable")
