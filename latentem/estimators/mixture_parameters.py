"""The parameter attributes of :class:`~latentem.GaussianMixture`: checked, in step, followed.

scikit-learn's users read, assign and edit ``weights_``, ``means_``,
``covariances_``, ``precisions_`` and ``precisions_cholesky_``. The
estimator keeps them as the parameters themselves: these helpers check a
value on its own (naming the attribute), derive the two covariance layouts
that were not assigned, notice values edited in place, and build the model
of the current values, checking that their shapes agree.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from attrs import define

from latentem.mixture.covariance import CovarianceType
from latentem.mixture.gaussian import GaussianMixtureModel
from latentem.mixture.prior import GaussianMixturePrior

__all__ = [
    "LAYOUTS",
    "PARAMETERS",
    "ParameterState",
    "build_model",
    "checked_parameter",
    "edited_parameters",
    "follow_edits",
    "parameter_attributes",
]

#: The parameter attributes of a fitted ``GaussianMixture``.
PARAMETERS = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")
#: The three layouts of the covariance parameter.
LAYOUTS = ("covariances_", "precisions_", "precisions_cholesky_")
# when several layouts were edited in place, the first edited of these is followed
# (scikit-learn's density reads precisions_cholesky_) and the others must agree with it
_LEADERS = ("precisions_cholesky_", "precisions_", "covariances_")
_FIX = {
    "covariances_": "assign symmetric positive-definite covariances (positive variances "
    "for 'diag' and 'spherical')",
    "precisions_": "assign symmetric positive-definite precisions (positive values for "
    "'diag' and 'spherical')",
    "precisions_cholesky_": "assign triangular factors U with a positive diagonal and "
    "precision U @ U.T, such as numpy.linalg.cholesky(precision) (positive values for "
    "'diag' and 'spherical')",
}
# stand-ins for n_components and n_features, to read a layout's shape off parameter_shape
_K, _D = 1_000_003, 1_000_033
_SYMBOLS = {_K: "n_components", _D: "n_features"}


@define(eq=False)
class ParameterState:
    """What a ``GaussianMixture`` last checked its parameter attributes against.

    Attributes
    ----------
    values : dict of str to ndarray
        A read-only copy of every parameter attribute as last checked; an
        attribute whose value differs was edited since.
    model : GaussianMixtureModel or None
        The model of ``values``; None until it is next needed after an edit.
    template : GaussianMixtureModel or None
        The model whose ``covariance_type``, ``assignment``, ``reg_covar`` and
        ``prior`` a rebuilt model keeps (the fit's); None when the attributes
        were set on an unfitted estimator (the constructor's arguments then).
    fitted : bool
        Whether ``values`` are what a fit (or ``partial_fit``, or loading)
        produced, so that ``lower_bound_`` is their objective.
    """

    values: dict[str, np.ndarray]
    model: GaussianMixtureModel | None
    template: GaussianMixtureModel | None
    fitted: bool

    def __eq__(self, other: object) -> bool:
        """Equal when recording the same values, settings and ``fitted``.

        So a copy (``copy.deepcopy``, pickling, :func:`latentem.load`) equals
        its original, as the estimator's other attributes do.
        """
        if not isinstance(other, ParameterState):
            return NotImplemented
        mine, theirs = self.settings(), other.settings()
        return (
            self.fitted == other.fitted
            and self.values.keys() == other.values.keys()
            and all(_same(self.values[name], other.values[name]) for name in self.values)
            and (mine is None) == (theirs is None)
            and (
                mine is None
                or theirs is None
                or all(
                    _equal(getattr(mine, key), getattr(theirs, key))
                    for key in ("covariance_type", "assignment", "reg_covar", "prior")
                )
            )
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: its model is filled in lazily

    def settings(self) -> GaussianMixtureModel | None:
        """The model whose settings a model of new values keeps, if any."""
        return self.model if self.model is not None else self.template

    def changed(
        self, updates: dict[str, np.ndarray], removed: tuple[str, ...] = ()
    ) -> ParameterState:
        """The state after ``updates`` (checked values) and the removal of ``removed``."""
        values = {name: value for name, value in self.values.items() if name not in removed}
        values.update({name: _frozen(value) for name, value in updates.items()})
        return ParameterState(values, None, self.settings(), fitted=False)


def _equal(first: Any, second: Any) -> bool:
    """Equality of settings: arrays by value, attrs objects (priors) field by field."""
    if first is second:
        return True
    if isinstance(first, np.ndarray):
        return isinstance(second, np.ndarray) and _same(first, second)
    if attrs.has(type(first)):
        return type(first) is type(second) and all(
            _equal(getattr(first, field.name), getattr(second, field.name))
            for field in attrs.fields(type(first))
        )
    return bool(first == second)


def _frozen(value: np.ndarray) -> np.ndarray:
    copy = np.array(value, dtype=float, copy=True)
    copy.setflags(write=False)
    return copy


def parameter_attributes(model: GaussianMixtureModel, *, fitted: bool) -> dict[str, Any]:
    """The parameter attributes of ``model`` (fresh writable copies) and their state.

    Examples
    --------
    >>> model = GaussianMixtureModel([1.0], [[0.0]], [[[4.0]]])
    >>> attributes = parameter_attributes(model, fitted=True)
    >>> attributes["precisions_cholesky_"], attributes["_parameter_state"].model is model
    (array([[[0.5]]]), True)
    """
    attributes = {
        "weights_": np.array(model.weights),
        "means_": np.array(model.means),
        "covariances_": np.array(model.covariances),
        "precisions_": np.array(model.precisions),
        "precisions_cholesky_": np.array(model.precisions_cholesky),
    }
    values = {name: _frozen(value) for name, value in attributes.items()}
    return {**attributes, "_parameter_state": ParameterState(values, model, model, fitted)}


# ----------------------------------------------------------------------------- one value


def _as_array(name: str, value: Any) -> np.ndarray:
    """A writable float64 copy of ``value`` (never the caller's array)."""
    try:
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError
        return np.array(array, dtype=float, copy=True)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an array of real numbers; got {type(value).__name__} "
            f"{_abbreviated(value)}"
        ) from None


def _abbreviated(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _layout_shape(structure: CovarianceType) -> tuple[str, ...]:
    """The shape of a covariance layout, in words: ``('n_components', 'n_features', ...)``."""
    return tuple(_SYMBOLS[size] for size in structure.parameter_shape(_K, _D))


def _check_layout_shape(name: str, array: np.ndarray, structure: CovarianceType) -> None:
    symbols = _layout_shape(structure)
    sizes: dict[str, int] = {}
    consistent = array.ndim == len(symbols) and array.size > 0
    for symbol, size in zip(symbols, array.shape, strict=False):
        consistent = consistent and sizes.setdefault(symbol, size) == size
    if not consistent:
        raise ValueError(
            f"{name} for covariance_type={structure.name!r} must be an array of shape "
            f"({', '.join(symbols)}); got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; got NaN or infinite values; {_FIX[name]}")


def _precisions_from_factor(array: np.ndarray, structure: CovarianceType) -> np.ndarray:
    """``U @ U.T`` for triangular factors ``U`` with a positive diagonal (positive values)."""
    name = "precisions_cholesky_"
    if _layout_shape(structure)[-2:] == ("n_features", "n_features"):
        upper = ~np.any(np.tril(array, -1), axis=(-2, -1))
        lower = ~np.any(np.triu(array, 1), axis=(-2, -1))
        if not np.all(upper | lower):
            raise ValueError(
                f"{name} must hold triangular Cholesky factors; got a matrix with entries on "
                f"both sides of the diagonal (to set the precisions, assign precisions_); "
                f"{_FIX[name]}"
            )
        checked = np.diagonal(array, axis1=-2, axis2=-1)
    else:
        checked = array
    if not np.all(checked > 0):
        raise ValueError(
            f"{name} must have a positive diagonal (positive values for 'diag' and "
            f"'spherical'); got {float(np.min(checked)):.6g}; {_FIX[name]}"
        )
    return np.array(structure.precisions(array), dtype=float)


def checked_parameter(name: str, value: Any, structure: CovarianceType) -> dict[str, np.ndarray]:
    """Check the value of one parameter attribute on its own; return what it sets.

    ``weights_`` and ``means_`` set themselves. Any of the three covariance
    layouts sets all three (``covariances_``, ``precisions_`` and
    ``precisions_cholesky_``), derived as the model derives them, so that
    they agree; ``precisions_cholesky_`` may be any triangular factor with a
    positive diagonal and comes back as the upper one.

    Parameters
    ----------
    name : str
        One of :data:`PARAMETERS`.
    value : array-like
        The value assigned; it is copied, never changed.
    structure : CovarianceType
        The layout of the covariances.

    Returns
    -------
    dict of str to ndarray
        The attributes to set, as fresh writable float64 arrays.

    Raises
    ------
    ValueError
        Naming ``name`` and the fix, when the value is invalid by itself
        (shape of the wrong kind, NaN, weights off the simplex, a covariance
        that is not positive definite). Whether its shape agrees with the
        other attributes is checked when the model is next built.

    Examples
    --------
    >>> from latentem.mixture.covariance import COVARIANCE_TYPES
    >>> layouts = checked_parameter("covariances_", [[4.0]], COVARIANCE_TYPES["tied"])
    >>> layouts["precisions_"], layouts["precisions_cholesky_"]
    (array([[0.25]]), array([[0.5]]))
    >>> checked_parameter("weights_", [0.5, 0.6], COVARIANCE_TYPES["tied"])
    Traceback (most recent call last):
    ...
    ValueError: weights_ must sum to 1; got sum=1.1. Assign weights / weights.sum()
    """
    array = _as_array(name, value)
    if name == "weights_":
        if array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"weights_ must be a 1-D array of shape (n_components,); got shape {array.shape}"
            )
        if not np.all(np.isfinite(array)) or np.any(array < 0):
            raise ValueError(f"weights_ must be non-negative and finite; got {array}")
        total = float(array.sum())
        if not np.isclose(total, 1.0, rtol=0.0, atol=1e-8):
            raise ValueError(
                f"weights_ must sum to 1; got sum={total:.12g}. Assign weights / weights.sum()"
            )
        return {name: array}
    if name == "means_":
        if array.ndim != 2 or array.size == 0:
            raise ValueError(
                "means_ must be a 2-D array of shape (n_components, n_features); got shape "
                f"{array.shape}"
            )
        if not np.all(np.isfinite(array)):
            raise ValueError("means_ must be finite; got NaN or infinite values")
        return {name: array}
    if name not in LAYOUTS:
        raise ValueError(f"{name!r} is not a parameter attribute; use one of {PARAMETERS}")
    _check_layout_shape(name, array, structure)
    try:
        if name == "covariances_":
            covariances = array
        else:
            precisions = (
                _precisions_from_factor(array, structure)
                if name == "precisions_cholesky_"
                else array
            )
            covariances = np.array(structure.covariances_from_precisions(precisions), dtype=float)
        factors = np.array(structure.precisions_cholesky(covariances), dtype=float)
    except ValueError as error:
        if str(error).startswith(name):
            raise
        reason = str(error).split("; in a fit")[0]
        raise ValueError(
            f"{name} is not valid for covariance_type={structure.name!r}: {reason}; {_FIX[name]}"
        ) from None
    return {
        "covariances_": covariances,
        "precisions_": np.array(structure.precisions(factors), dtype=float),
        "precisions_cholesky_": factors,
    }


# ----------------------------------------------------------------------------- edits


def _same(current: Any, checked: np.ndarray) -> bool:
    """Whether ``current`` holds the checked value (NaN never does: it was refused)."""
    if not isinstance(current, np.ndarray) or current.shape != checked.shape:
        return False
    if current.size <= 4096 and current.dtype == checked.dtype:
        return current.tobytes() == checked.tobytes()  # faster than NumPy's call on few numbers
    return bool(np.array_equal(current, checked))


def edited_parameters(attributes: dict[str, Any], state: ParameterState | None) -> list[str]:
    """The parameter attributes assigned, edited in place or deleted since ``state``."""
    values = {} if state is None else state.values
    edited = []
    for name in PARAMETERS:
        present, known = name in attributes, name in values
        if present != known or (present and not _same(attributes[name], values[name])):
            edited.append(name)
    return edited


def _agree(value: Any, expected: np.ndarray) -> bool:
    array = np.asarray(value, dtype=float)
    if array.shape != expected.shape:
        return False
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return bool(np.allclose(array, expected, rtol=1e-6, atol=1e-12 * scale))


def follow_edits(
    attributes: dict[str, Any], edited: list[str], structure: CovarianceType
) -> dict[str, np.ndarray]:
    """Check the attributes edited without assignment; return the values they set.

    When several covariance layouts were edited, the first of
    ``precisions_cholesky_``, ``precisions_``, ``covariances_`` is followed and
    the others must agree with it (to 1e-6 relative), else ValueError.

    Examples
    --------
    >>> from latentem.mixture.covariance import COVARIANCE_TYPES
    >>> attributes = {"covariances_": np.array([4.0]), "precisions_": np.array([9.0])}
    >>> follow_edits(attributes, ["covariances_", "precisions_"], COVARIANCE_TYPES["spherical"])
    Traceback (most recent call last):
    ...
    ValueError: precisions_ and covariances_ were both edited and disagree; ...
    """
    updates: dict[str, np.ndarray] = {}
    for name in ("weights_", "means_"):
        if name in edited and name in attributes:
            updates.update(checked_parameter(name, attributes[name], structure))
    layouts = [name for name in _LEADERS if name in edited and name in attributes]
    if layouts:
        leader = layouts[0]
        derived = checked_parameter(leader, attributes[leader], structure)
        for other in layouts[1:]:
            if not _agree(attributes[other], derived[other]):
                raise ValueError(
                    f"{leader} and {other} were both edited and disagree; edit or assign just "
                    f"one of them (gm.{leader} = ...): the other layouts follow it"
                )
        updates.update(derived)
    return updates


# ----------------------------------------------------------------------------- the model


def build_model(
    values: dict[str, np.ndarray],
    structure: CovarianceType,
    *,
    assignment: Any,
    reg_covar: float,
    prior: GaussianMixturePrior | None,
    n_features_in: int | None,
    owner: str = "GaussianMixture",
) -> GaussianMixtureModel:
    """The model of checked parameter values, once their shapes are seen to agree.

    Raises
    ------
    ValueError
        Naming the attribute missing or whose shape disagrees with the others.

    Examples
    --------
    >>> from latentem.mixture.covariance import COVARIANCE_TYPES
    >>> values = {"weights_": np.array([1.0]), "means_": np.array([[0.0, 0.0]]),
    ...           "covariances_": np.array([1.0, 1.0])}
    >>> build_model(values, COVARIANCE_TYPES["spherical"], assignment="soft", reg_covar=0.0,
    ...             prior=None, n_features_in=2)
    Traceback (most recent call last):
    ...
    ValueError: covariances_ (like precisions_ and precisions_cholesky_) must have shape (1,) ...
    """
    for name in ("weights_", "means_"):
        if name not in values:
            raise ValueError(
                f"{owner} has no {name}; fit it, or assign {name} before using the estimator"
            )
    if "covariances_" not in values:
        raise ValueError(
            f"{owner} has no covariances_; fit it, or assign covariances_ (or precisions_, or "
            "precisions_cholesky_) before using the estimator"
        )
    weights, means, covariances = (
        values["weights_"],
        values["means_"],
        values["covariances_"],
    )
    k, d = weights.shape[0], means.shape[1]
    if means.shape[0] != k:
        raise ValueError(
            f"means_ has {means.shape[0]} rows but weights_ has {k} entries; assign one row "
            "of means_ and one weight per component"
        )
    if n_features_in is not None and d != n_features_in:
        raise ValueError(
            f"means_ has {d} columns but the estimator was fitted on n_features_in_="
            f"{n_features_in} features; assign means_ of shape ({k}, {n_features_in})"
        )
    expected = structure.parameter_shape(k, d)
    if covariances.shape != expected:
        raise ValueError(
            f"covariances_ (like precisions_ and precisions_cholesky_) must have shape "
            f"{expected} for covariance_type={structure.name!r}, {k} components (weights_) "
            f"and {d} features (means_); got {covariances.shape}"
        )
    try:
        return GaussianMixtureModel(
            weights,
            means,
            covariances,
            covariance_type=structure,
            assignment=assignment,
            reg_covar=reg_covar,
            prior=prior,
        )
    except ValueError as error:
        raise ValueError(f"the parameter attributes do not make a valid model: {error}") from None
