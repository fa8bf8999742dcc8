"""Argument checks shared by every layer; each message names the argument and the fix."""

from __future__ import annotations

import numbers
import os
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "LARGEST_GAUSSIAN_VALUE",
    "as_generator",
    "check_allocation",
    "check_array",
    "check_float",
    "check_gaussian_range",
    "check_int",
    "check_numbers",
    "check_option",
    "check_probability_vector",
    "invalid_parameter",
    "most_negative_eigenvalue",
    "physical_memory",
    "readonly_array",
]


def readonly_array(value: Any, dtype: Any = np.float64, *, name: str | None = None) -> np.ndarray:
    """Copy ``value`` into a new read-only array (attrs converter for parameters).

    A ``value`` that is not numbers (text, ragged lists) raises the error
    NumPy gives, worded to say what was expected and got, naming ``name``
    when given (an attrs field: ``converter=lambda v: readonly_array(v, name="weights")``).

    Examples
    --------
    >>> a = readonly_array([1, 2])
    >>> a.dtype, a.flags.writeable
    (dtype('float64'), False)
    >>> readonly_array(["a"], name="weights")
    Traceback (most recent call last):
    ...
    ValueError: weights must be an array of numbers; got ['a'] (could not convert string ...
    """
    try:
        array = np.array(value, dtype=dtype, copy=True)
    except (ValueError, TypeError) as error:
        shown = repr(value)
        shown = shown if len(shown) <= 60 else f"{shown[:57]}..."
        expected = "expected" if name is None else f"{name} must be"
        message = f"{expected} an array of numbers; got {shown} ({error})"
        raise (ValueError if isinstance(error, ValueError) else TypeError)(message) from None
    array.setflags(write=False)
    return array


def check_array(
    X: Any,
    name: str = "X",
    *,
    ndim: int = 2,
    allow_nan: bool = False,
    min_samples: int = 1,
    dtypes: tuple[Any, ...] = (np.float64,),
) -> np.ndarray:
    """Validate numeric data and return it as a float array (never the caller's object).

    Parameters
    ----------
    X : array-like
        The data.
    name : str
        The argument name used in error messages.
    ndim : int
        Required number of dimensions.
    allow_nan : bool
        Whether NaN marks a missing entry (infinity is always rejected).
    min_samples : int
        Minimum number of rows.
    dtypes : tuple of dtypes
        Accepted float dtypes; other inputs are converted to the first.

    Returns
    -------
    X : ndarray
        A float array; a new array whenever a conversion was needed. Callers
        never write into it.

    Examples
    --------
    >>> check_array([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> check_array([1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: X must be a 2-D array of shape (n_samples, n_features); got a 1-D array ...
    """
    array = check_numbers(X, name)
    if array.ndim != ndim:
        if ndim == 2 and array.ndim == 1:
            raise ValueError(
                f"{name} must be a 2-D array of shape (n_samples, n_features); got a 1-D "
                f"array of shape {array.shape}. Reshape your data with {name}.reshape(-1, 1) "
                f"if it holds one feature, or {name}.reshape(1, -1) if it holds one sample."
            )
        raise ValueError(f"{name} must be a {ndim}-D array; got {array.ndim}-D shape {array.shape}")
    if array.dtype not in dtypes:
        array = array.astype(dtypes[0])
    n_samples = array.shape[0] if array.ndim else 1
    if n_samples < min_samples:
        raise ValueError(
            f"{name} must have at least {min_samples} sample{'s' if min_samples > 1 else ''}; "
            f"got {n_samples} sample{'s' if n_samples != 1 else ''} (shape={array.shape})"
        )
    if ndim == 2 and array.shape[1] == 0:
        raise ValueError(
            f"{name} must have at least one feature; found array with 0 feature(s) "
            f"(shape={array.shape}) while a minimum of 1 is required."
        )
    finite = np.isfinite(array)
    if not finite.all():
        bad = ~finite if not allow_nan else np.isinf(array)
        if bad.any():
            where = np.argwhere(bad)[0]
            what = "NaN or infinity" if not allow_nan else "infinity"
            raise ValueError(
                f"{name} contains {what} ({int(bad.sum())} entries, first at index "
                f"{tuple(int(i) for i in where)}); remove or impute these entries"
                + ("" if allow_nan else " (NaN marks a missing entry only where documented)")
            )
    return array


def check_numbers(value: Any, name: str) -> np.ndarray:
    """``value`` as a NumPy array of real numbers (bool, int or float), or an error naming ``name``.

    The conversions and refusals of :func:`check_array`, without its checks of
    shape and values: a pandas object gives its values, strings of numbers
    become floats, and anything else that is not numbers (text, objects,
    complex numbers, ragged lists, sparse matrices) is a ``TypeError`` or
    ``ValueError`` saying what ``name`` got and how to fix it, never NumPy's
    own message.

    Examples
    --------
    >>> check_numbers([1, 2.5], "sample_weight")
    array([1. , 2.5])
    >>> check_numbers(["a"], "sample_weight")
    Traceback (most recent call last):
    ...
    TypeError: sample_weight must contain numbers only; got dtype <U1 (could not convert ...
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers; got a {type(value).__name__}")
    if hasattr(value, "toarray") and hasattr(value, "nnz"):
        raise TypeError(
            f"{name} is a sparse matrix, which latentem does not accept; "
            f"pass a dense array, e.g. {name}.toarray()"
        )
    if hasattr(value, "dtypes") and hasattr(value, "to_numpy"):  # pandas DataFrame or Series
        value = _pandas_values(value)
    if hasattr(value, "__array_namespace__") and not hasattr(value, "__array__"):
        # an array-API array NumPy cannot read directly (array-api-strict): its DLPack view
        try:
            value = np.from_dlpack(value)
        except (AttributeError, BufferError, RuntimeError, TypeError, ValueError) as error:
            raise TypeError(
                f"{name} is a {type(value).__name__} that NumPy cannot read ({error}); move it to "
                f"the CPU or convert it to a NumPy array first"
            ) from None
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name} could not be read as an array of numbers ({error})") from None
    if array.dtype.kind == "O":
        array = _missing_as_nan(array)
    if array.dtype.kind in "USO" or array.dtype.kind == "V":
        try:
            array = array.astype(np.float64)
        except (ValueError, TypeError) as error:
            raise TypeError(
                f"{name} must contain numbers only; got dtype {array.dtype} ({error}); "
                "convert it to floats first"
            ) from None
    if array.dtype.kind == "c":
        raise ValueError(
            f"{name} must be real: Complex data not supported (got dtype {array.dtype}); "
            f"pass {name}.real or {name}.abs() as appropriate"
        )
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} must contain numbers; got dtype {array.dtype}")
    return array


def _pandas_values(X: Any) -> Any:
    """The values of a pandas DataFrame or Series; its index is never among them.

    Columns of pandas' nullable dtypes (``Int64``, ``Float64``, ``boolean``)
    become float64 with NaN where they hold ``pd.NA``; other columns keep
    their NumPy dtype (a float32 frame stays float32). The values are in C
    order, as in a NumPy array of the same rows, so that both give the same
    fit to the last bit (pandas stores columns, which sums in another order).
    """
    dtypes = [X.dtypes] if hasattr(X.dtypes, "kind") else list(X.dtypes)
    nullable = any(not isinstance(dtype, np.dtype) for dtype in dtypes)
    if nullable:
        try:
            return np.ascontiguousarray(X.to_numpy(dtype=np.float64, na_value=np.nan))
        except (TypeError, ValueError):
            pass  # not numbers: check_array says so in its own words
    return np.ascontiguousarray(X.to_numpy())


def _missing_as_nan(array: np.ndarray) -> np.ndarray:
    """An object array with ``pd.NA`` or ``None`` entries, those entries NaN (pandas only)."""
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return array
    missing = pandas.isna(array)
    if not np.any(missing):
        return array
    array = array.copy()
    array[missing] = np.nan
    return array


def invalid_parameter(owner: str, name: str, expected: str, value: Any, advice: str = "") -> str:
    """scikit-learn's message for an invalid constructor argument, then latentem's advice.

    Examples
    --------
    >>> print(invalid_parameter("GaussianMixture", "tol", "a float in the range [0.0, inf)", -1))
    The 'tol' parameter of GaussianMixture must be a float in the range [0.0, inf). Got -1 instead.
    """
    message = f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
    return f"{message} {advice}" if advice else message


def _range(kind: str, minimum: float | None, exclusive: bool = False) -> str:
    """scikit-learn's wording of an interval: ``an int in the range [1, inf)``."""
    if minimum is None:
        return kind
    return f"{kind} in the range {'(' if exclusive else '['}{minimum}, inf)"


def check_int(
    value: Any, name: str, *, minimum: int | None = None, owner: str | None = None
) -> int:
    """Return ``value`` as an int, or raise naming ``name``.

    With ``owner`` (a front class's name), the message is scikit-learn's
    parameter-validation wording.

    Examples
    --------
    >>> check_int(3, "n_components", minimum=1)
    3
    >>> check_int(2.5, "n_components", minimum=1)
    Traceback (most recent call last):
    ...
    TypeError: n_components must be an integer; got 2.5 (float)
    >>> check_int(0, "n_components", minimum=1, owner="GaussianMixture")
    Traceback (most recent call last):
    ...
    ValueError: The 'n_components' parameter of GaussianMixture must be an int in the range [1, ...
    """
    expected = _range("an int", minimum)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        if owner is not None:
            raise TypeError(invalid_parameter(owner, name, expected, value))
        raise TypeError(f"{name} must be an integer; got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        if owner is not None:
            raise ValueError(invalid_parameter(owner, name, expected, value))
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    return value


def check_float(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    exclusive: bool = False,
    owner: str | None = None,
) -> float:
    """Return ``value`` as a finite float, or raise naming ``name``.

    With ``owner`` (a front class's name), the message is scikit-learn's
    parameter-validation wording.

    Examples
    --------
    >>> check_float(-1.0, "tol", minimum=0.0)
    Traceback (most recent call last):
    ...
    ValueError: tol must be >= 0.0; got -1.0
    >>> check_float(float("nan"), "tol", minimum=0.0, owner="GaussianMixture")
    Traceback (most recent call last):
    ...
    ValueError: The 'tol' parameter of GaussianMixture must be a float in the range [0.0, inf)...
    """
    expected = _range("a float", minimum, exclusive)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if owner is not None:
            raise TypeError(invalid_parameter(owner, name, expected, value))
        raise TypeError(f"{name} must be a real number; got {value!r} ({type(value).__name__})")
    value = float(value)
    too_small = minimum is not None and not (value > minimum if exclusive else value >= minimum)
    if owner is not None and (too_small or not np.isfinite(value)):
        raise ValueError(invalid_parameter(owner, name, expected, value))
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    if too_small:
        raise ValueError(f"{name} must be {'>' if exclusive else '>='} {minimum}; got {value}")
    return value


def check_probability_vector(values: np.ndarray, name: str) -> None:
    """Raise a ValueError naming ``name`` unless ``values`` is a point of the simplex.

    Examples
    --------
    >>> check_probability_vector(np.array([0.7, 0.5]), "weights")
    Traceback (most recent call last):
    ...
    ValueError: weights must sum to 1; got sum=1.2
    """
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array; got shape {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{name} must be non-negative and finite; got {values}")
    total = float(values.sum())
    if not np.isclose(total, 1.0, rtol=0.0, atol=1e-8):
        raise ValueError(f"{name} must sum to 1; got sum={total:.12g}")


def most_negative_eigenvalue(matrices: np.ndarray) -> float | None:
    """The smallest eigenvalue of symmetric ``matrices`` (..., d, d) that is negative
    beyond rounding, or None when every matrix is positive semi-definite.

    "Beyond rounding" is below ``-1e-12`` times the largest entry of its
    matrix, so a covariance that is singular up to rounding passes.

    Examples
    --------
    >>> round(most_negative_eigenvalue(np.array([[1.0, 2.0], [2.0, 1.0]])), 9)
    -1.0
    >>> most_negative_eigenvalue(np.array([[[1.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 0.0]]]))
    """
    stacked = np.asarray(matrices, dtype=float)
    stacked = stacked.reshape(-1, *stacked.shape[-2:])
    if stacked.size == 0:
        return None
    smallest = np.linalg.eigvalsh(stacked)[:, 0]
    negative = smallest < -1e-12 * np.abs(stacked).max(axis=(1, 2))
    return float(smallest[negative].min()) if negative.any() else None


def check_option(value: Any, name: str, options: Iterable[str], *, owner: str | None = None) -> str:
    """Return ``value`` if it is one of ``options``.

    With ``owner`` (a front class's name), the message is scikit-learn's
    parameter-validation wording.

    Examples
    --------
    >>> check_option("diagonal", "covariance_type", ["full", "diag", "spherical", "tied"])
    Traceback (most recent call last):
    ...
    ValueError: covariance_type must be one of 'full', 'diag', 'spherical', 'tied'; got 'diagonal'
    >>> check_option("fuzzy", "assignment", ["soft", "hard"], owner="GaussianMixture")
    Traceback (most recent call last):
    ...
    ValueError: The 'assignment' parameter of GaussianMixture must be a str among {'soft', ...
    """
    options = list(options)
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(option) for option in options)
        if owner is not None:
            raise ValueError(invalid_parameter(owner, name, f"a str among {{{listed}}}", value))
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def as_generator(
    random_state: Any, name: str = "random_state", *, owner: str | None = None
) -> np.random.Generator:
    """A NumPy ``Generator`` from None, an int seed, a ``RandomState`` or a ``Generator``.

    A ``RandomState`` is advanced by one draw, so sharing one across calls
    gives different but reproducible streams, as in scikit-learn. None is
    NumPy's global ``RandomState`` (as in scikit-learn's
    ``check_random_state``): after ``np.random.seed(k)`` the draws repeat.
    With ``owner`` (a front class's name), an invalid value is reported in
    scikit-learn's parameter-validation wording.

    Examples
    --------
    >>> int(as_generator(0).integers(10)) == int(as_generator(0).integers(10))
    True
    >>> np.random.seed(3)  # noqa: NPY002
    >>> first = as_generator(None).normal()
    >>> np.random.seed(3)  # noqa: NPY002
    >>> first == as_generator(None).normal()
    True
    """
    if random_state is None:
        random_state = np.random.mtrand._rand  # what np.random.seed seeds
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            if owner is not None:
                raise ValueError(invalid_parameter(owner, name, _SEEDS, random_state))
            raise ValueError(f"{name} must be a non-negative integer seed; got {random_state}")
        return np.random.default_rng(int(random_state))
    if owner is not None:
        raise TypeError(invalid_parameter(owner, name, _SEEDS, random_state))
    raise TypeError(
        f"{name} must be None, an int seed, a numpy Generator or RandomState; got {random_state!r}"
    )


_SEEDS = (
    "an int in the range [0, inf), an instance of 'numpy.random.mtrand.RandomState', "
    "an instance of 'numpy.random.Generator' or None"
)


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine (None where the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):  # not POSIX, or not reported
        return None


def check_allocation(n_entries: int, what: str, advice: str, itemsize: int = 8) -> None:
    """Refuse, before allocating, an array larger than this machine's physical memory.

    A size that the arguments fix (an alphabet sized from the largest symbol, a
    transition matrix of ``n_components ** 2``) would otherwise end in a
    ``MemoryError`` or in the process being killed. Python ints do not overflow,
    so ``n_entries`` is exact however large.

    Parameters
    ----------
    n_entries : int
        Number of entries of the array.
    what : str
        What the array is and how its size follows from the arguments.
    advice : str
        What to change.
    itemsize : int, default=8

    Examples
    --------
    >>> check_allocation(10, "a small table", "nothing")
    >>> check_allocation(10**20, "a table of 10**20 entries", "use fewer")
    Traceback (most recent call last):
    ...
    ValueError: a table of 10**20 entries needs 800 EB, more than ...; use fewer
    """
    memory = physical_memory()
    needed = int(n_entries) * itemsize
    if memory is not None and needed > memory:
        raise ValueError(
            f"{what} needs {_bytes(needed)}, more than this machine's memory "
            f"({_bytes(memory)}); {advice}"
        )


def _bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if value < 1000:
            return f"{value:.3g} {unit}"
        value /= 1000
    return f"{value:.3g} EB"


#: Beyond this magnitude (2^510, about 3.4e153) a variance of the data, up to the square of
#: twice the largest value, can overflow float64 (1.8e308), and a Gaussian fit can only end
#: in infinities. Below it the kernels' frames (powers of two) keep every step finite.
LARGEST_GAUSSIAN_VALUE = 2.0**510


def check_gaussian_range(X: np.ndarray, name: str = "X") -> None:
    """Refuse data whose variances would overflow float64, saying how to rescale them.

    Examples
    --------
    >>> check_gaussian_range(np.array([[1e10, np.nan]]))
    >>> check_gaussian_range(np.array([[1.0], [-3e155]]))
    Traceback (most recent call last):
    ...
    ValueError: X has values as large as 3e+155 (row 1, column 0), whose squares overflow ...
    """
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(X)
    too_large = magnitude > LARGEST_GAUSSIAN_VALUE
    if too_large.any():
        row, column = np.unravel_index(int(np.nanargmax(magnitude)), magnitude.shape)
        largest = float(magnitude[row, column])
        raise ValueError(
            f"{name} has values as large as {largest:.3g} (row {row}, column {column}), whose "
            "squares overflow float64 (largest 1.8e+308), so no variance of them can be "
            f"estimated; divide {name} by a power of ten (e.g. {name} / 1e150) and scale "
            "the fitted means (and the covariances, by its square) back"
        )
