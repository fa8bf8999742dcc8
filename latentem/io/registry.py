"""The types :func:`latentem.save` knows, by name: nothing else is ever built from a file.

Each registered type gives two functions: ``to_state(obj) -> dict`` (values:
numbers, strings, booleans, None, arrays, lists, dicts and other registered
objects) and ``from_state(reader) -> obj`` (reading each field back through a
:class:`~latentem.io.codec.StateReader`, which checks its kind). A file names
its types by these registered names, so loading imports nothing and runs no
code but the registered ``from_state`` functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import numpy as np
from attrs import frozen

from latentem.io.codec import StateReader

__all__ = [
    "Codec",
    "codec_for",
    "codec_named",
    "register",
    "register_attrs",
    "register_estimator",
    "registered_names",
]

ToState = Callable[[Any], Mapping[str, Any]]
FromState = Callable[[StateReader], Any]


@frozen
class Codec:
    """How one type is saved: its name in files, state layout version and two functions.

    Examples
    --------
    >>> from latentem.io import codec_named
    >>> codec_named("GaussianMixtureModel").version
    1
    """

    name: str
    cls: type
    to_state: ToState
    from_state: FromState
    version: int = 1


_BY_NAME: dict[str, Codec] = {}
_BY_CLASS: dict[type, Codec] = {}
# codecs that also save instances of subclasses without their own codec
_FOR_SUBCLASSES: dict[type, Codec] = {}


def register(
    cls: type,
    *,
    to_state: ToState,
    from_state: FromState,
    name: str | None = None,
    version: int = 1,
    replace: bool = False,
    subclasses: bool = False,
) -> Codec:
    """Teach :func:`latentem.save` and :func:`latentem.load` a new type.

    Parameters
    ----------
    cls : type
        Instances of exactly this class are saved with ``to_state``
        (subclasses need their own registration, since they may hold more,
        unless ``subclasses`` is true).
    to_state : callable
        ``to_state(obj)`` returns a dict of the fields that rebuild ``obj``.
    from_state : callable
        ``from_state(reader)`` rebuilds the object from a
        :class:`~latentem.io.codec.StateReader`; any ``ValueError`` or
        ``TypeError`` it raises is reported as a ``ValueError`` naming the file.
    name : str, optional
        The name written in files; by default the class's qualified name
        with its module.
    version : int, default=1
        The version of the state layout, available to ``from_state`` as
        ``reader.version``; increase it when the layout changes and keep
        reading the old one. Files with a newer version are refused.
    replace : bool, default=False
        Allow re-registering a name or class (for instance in a notebook
        that redefines the class).
    subclasses : bool, default=False
        Also save instances of subclasses that have no codec of their own
        (for a family whose members are rebuilt from their state alone, such
        as covariance structures saved by registered name).

    Returns
    -------
    Codec

    Examples
    --------
    >>> import numpy as np, latentem, tempfile, os
    >>> from latentem.io import register
    >>> class Rates:
    ...     def __init__(self, rates):
    ...         self.rates = np.asarray(rates, dtype=float)
    >>> _ = register(Rates, name="doc.Rates", replace=True,
    ...              to_state=lambda r: {"rates": r.rates},
    ...              from_state=lambda reader: Rates(reader.get_array("rates", ndim=1)))
    >>> path = os.path.join(tempfile.mkdtemp(), "rates.json")
    >>> latentem.save(Rates([0.5, 2.0]), path)
    >>> latentem.load(path).rates
    array([0.5, 2. ])
    """
    if not isinstance(cls, type):
        raise TypeError(f"cls must be a class; got {cls!r}")
    if not callable(to_state) or not callable(from_state):
        raise TypeError("to_state and from_state must be callables")
    name = f"{cls.__module__}.{cls.__qualname__}" if name is None else name
    if not isinstance(name, str) or not name or name.startswith("$"):
        raise ValueError(f"name must be a non-empty string not starting with '$'; got {name!r}")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer; got {version!r}")
    if not replace:
        if name in _BY_NAME and _BY_NAME[name].cls is not cls:
            raise ValueError(
                f"the name {name!r} is already registered for {_BY_NAME[name].cls!r}; "
                "choose another name or pass replace=True"
            )
        if cls in _BY_CLASS and _BY_CLASS[cls].name != name:
            raise ValueError(
                f"{cls.__qualname__} is already registered as {_BY_CLASS[cls].name!r}; "
                "pass replace=True to change it"
            )
    old = _BY_CLASS.pop(cls, None)
    if old is not None:
        _BY_NAME.pop(old.name, None)
    codec = Codec(name, cls, to_state, from_state, version)
    _BY_NAME[name] = codec
    _BY_CLASS[cls] = codec
    if subclasses:
        _FOR_SUBCLASSES[cls] = codec
    return codec


def codec_for(obj: Any) -> Codec:
    """The codec of ``obj``'s exact class, or a TypeError saying how to register one.

    Examples
    --------
    >>> import latentem
    >>> codec_for(latentem.GaussianMixture()).name
    'GaussianMixture'
    """
    codec = _BY_CLASS.get(type(obj))
    if codec is None:
        codec = next((c for c in _FOR_SUBCLASSES.values() if isinstance(obj, c.cls)), None)
    if codec is None:
        raise TypeError(
            f"latentem.save does not know how to save a {type(obj).__qualname__}; register it "
            "with latentem.io.register (or latentem.io.register_attrs for an attrs class)"
        )
    return codec


def codec_named(name: str) -> Codec:
    """The codec registered under ``name``, or a ValueError listing the known names.

    Examples
    --------
    >>> codec_named("os.system")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown type 'os.system'; this file names a type that is not registered ...
    """
    codec = _BY_NAME.get(name) if isinstance(name, str) else None
    if codec is None:
        raise ValueError(
            f"unknown type {name!r}; this file names a type that is not registered "
            f"(known: {', '.join(sorted(_BY_NAME))}). Import and register the type first"
        )
    return codec


def registered_names() -> list[str]:
    """Names of every registered type, sorted.

    Examples
    --------
    >>> "GaussianMixture" in registered_names()
    True
    """
    return sorted(_BY_NAME)


# ----------------------------------------------------------------------------- helpers


def register_attrs(
    cls: type,
    *,
    name: str | None = None,
    dtypes: Mapping[str, Any] | None = None,
    version: int = 1,
    replace: bool = False,
) -> Codec:
    """Register an attrs class by its ``__init__`` fields.

    Every field with ``init=True`` is saved as it is; loading calls
    ``cls(**fields)``, so the class's converters and validators check the
    values. Arrays must be float64 unless ``dtypes`` names another dtype for
    the field; an array of another dtype in the file is refused.

    Parameters
    ----------
    cls : attrs class
    name, version, replace
        As in :func:`register`.
    dtypes : mapping of field name to dtype, optional

    Examples
    --------
    >>> import numpy as np, latentem, tempfile, os
    >>> from attrs import frozen
    >>> from latentem.io import register_attrs
    >>> @frozen(eq=False)
    ... class Poissons:
    ...     weights: np.ndarray
    ...     rates: np.ndarray
    >>> _ = register_attrs(Poissons, name="doc.Poissons", replace=True)
    >>> path = os.path.join(tempfile.mkdtemp(), "poissons.json")
    >>> latentem.save(Poissons(np.array([0.3, 0.7]), np.array([1.0, 9.0])), path)
    >>> latentem.load(path).rates
    array([1., 9.])
    """
    if not attrs.has(cls):
        raise TypeError(f"{cls!r} is not an attrs class; use latentem.io.register")
    names = [field.name for field in attrs.fields(cls) if field.init]
    wanted = {key: np.dtype(value) for key, value in (dtypes or {}).items()}
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        raise ValueError(f"dtypes names {unknown}, which are not init fields of {cls.__name__}")

    def to_state(obj: Any) -> dict[str, Any]:
        return {key: getattr(obj, key) for key in names}

    def from_state(reader: StateReader) -> Any:
        values = {}
        for key in names:
            value = reader.get_value(key)
            if isinstance(value, np.ndarray):
                value = reader.get_array(key, dtype=wanted.get(key, np.float64))
            values[key] = value
        return cls(**values)

    return register(
        cls, to_state=to_state, from_state=from_state, name=name, version=version, replace=replace
    )


def _public_fitted(estimator: Any) -> list[str]:
    return sorted(key for key in vars(estimator) if key.endswith("_") and not key.startswith("_"))


#: scikit-learn's fitted attribute for the column names of the training data; saved by
#: every front class that has it, as a JSON list of strings (older files lack it).
_NAMES = "feature_names_in_"


def _feature_names(value: Any) -> np.ndarray | None:
    """A saved ``feature_names_in_`` as scikit-learn keeps it: an object array of str."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValueError(f"fitted.{_NAMES} must be a list of strings; got {value!r}")
    names = np.empty(len(value), dtype=object)
    names[:] = value
    return names


def register_estimator(
    cls: type,
    *,
    name: str | None = None,
    fitted: Iterable[str] | None = None,
    restore: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None,
    read: Callable[[Any], dict[str, Any]] | None = None,
    version: int = 1,
    replace: bool = False,
) -> Codec:
    """Register a front class (scikit-learn protocol): constructor params + fitted attributes.

    Saved state: ``{"params": get_params(deep=False), "fitted": {...}}``.
    Loading calls ``cls(**params)`` and sets the fitted attributes in one
    step.

    Parameters
    ----------
    cls : type
        A class with ``get_params``.
    fitted : iterable of str, optional
        The fitted attributes to save. By default every public attribute
        ending with ``_`` present on the estimator.
    restore : callable, optional
        ``restore(estimator, fitted) -> attributes``: given the new
        estimator and the loaded fitted values, return every fitted
        attribute to set (for instance derived ones, recomputed rather than
        trusted from the file). It may raise ``ValueError`` for
        inconsistent values.
    read : callable, optional
        ``read(estimator) -> fitted``: the fitted values to save, by name
        (for attributes stored in another form than their public one). By
        default the listed attributes the estimator has.
    name, version, replace
        As in :func:`register`.

    Notes
    -----
    ``feature_names_in_`` (scikit-learn's column names of the training data)
    is saved whenever the estimator has it, as a list of strings, and read
    back as an object array of str; files without it load as before.

    Examples
    --------
    >>> import numpy as np, latentem, tempfile, os
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> gm = latentem.GaussianMixture(2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "gm.json")
    >>> latentem.save(gm, path)
    >>> again = latentem.load(path)
    >>> bool(np.array_equal(again.means_, gm.means_)), again.get_params() == gm.get_params()
    (True, True)
    """
    listed = None if fitted is None else tuple(fitted)

    def to_state(estimator: Any) -> dict[str, Any]:
        if read is not None:
            fitted_values = read(estimator)
        else:
            names = _public_fitted(estimator) if listed is None else listed
            fitted_values = {
                key: getattr(estimator, key) for key in names if hasattr(estimator, key)
            }
        if getattr(estimator, _NAMES, None) is not None:
            fitted_values[_NAMES] = [str(name) for name in getattr(estimator, _NAMES)]
        return {"params": estimator.get_params(deep=False), "fitted": fitted_values}

    def from_state(reader: StateReader) -> Any:
        params = reader.get_dict("params")
        fitted_values = dict(reader.get_dict("fitted"))
        names = _feature_names(fitted_values.pop(_NAMES, None))
        if listed is not None:
            extra = sorted(set(fitted_values) - set(listed))
            if extra:
                raise ValueError(f"unexpected fitted attribute(s) {extra}")
        for key in fitted_values:
            if not key.endswith("_") or key.startswith("_"):
                raise ValueError(f"{key!r} is not a fitted attribute name")
        valid = set(cls._get_param_names()) if hasattr(cls, "_get_param_names") else None
        if valid is not None and set(params) != valid:
            raise ValueError(
                f"params must name exactly the constructor arguments of {cls.__name__} "
                f"{sorted(valid)}; got {sorted(params)}"
            )
        estimator = cls(**params)
        if fitted_values:
            values = fitted_values if restore is None else restore(estimator, fitted_values)
            vars(estimator).update(values)
        if names is not None:
            width = vars(estimator).get("n_features_in_")
            if width is not None and width != len(names):
                raise ValueError(
                    f"fitted.{_NAMES} holds {len(names)} names for n_features_in_={width}"
                )
            setattr(estimator, _NAMES, names)
        return estimator

    return register(
        cls, to_state=to_state, from_state=from_state, name=name, version=version, replace=replace
    )
