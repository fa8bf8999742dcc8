"""Covariance structures of the Gaussian family, and the registry that lists them.

Each structure is one class (:class:`CovarianceType`) owning everything that
depends on it; :data:`COVARIANCE_TYPES` maps names to them and feeds the front
classes, the HMM emissions, the CLI, save/load, the Hypothesis strategies and
the tests. The user's string (``"full"``, ...) is parsed once, by
:func:`covariance_type`; a new structure joins through
:func:`register_covariance_type`.
"""

from __future__ import annotations

from latentem.mixture.covariance.base import CovarianceType
from latentem.mixture.covariance.diagonal import DiagCovariance, SphericalCovariance
from latentem.mixture.covariance.eigen import EIGEN_STRUCTURES
from latentem.mixture.covariance.full import FullCovariance
from latentem.mixture.covariance.tied import TiedCovariance

__all__ = [
    "COVARIANCE_TYPES",
    "CovarianceType",
    "DiagCovariance",
    "accepted_names",
    "FullCovariance",
    "SphericalCovariance",
    "TiedCovariance",
    "covariance_type",
    "register_covariance_type",
]

#: Every registered structure by name, in registration order.
COVARIANCE_TYPES: dict[str, CovarianceType] = {}


def register_covariance_type(structure: CovarianceType) -> CovarianceType:
    """Add a structure to :data:`COVARIANCE_TYPES`, so every part of latentem accepts it.

    Parameters
    ----------
    structure : CovarianceType
        An instance of a :class:`CovarianceType` subclass with a unique ``name``.

    Returns
    -------
    CovarianceType
        ``structure``, so the call can wrap a class definition's instance.

    Raises
    ------
    TypeError
        If ``structure`` is not a CovarianceType instance.
    ValueError
        If its name is taken by another structure, or is not a non-empty string.

    Examples
    --------
    >>> register_covariance_type(DiagCovariance())  # registering again is harmless
    DiagCovariance()
    >>> class Other(DiagCovariance):
    ...     name = "diag"
    >>> register_covariance_type(Other())
    Traceback (most recent call last):
    ...
    ValueError: covariance_type name 'diag' is taken by DiagCovariance(); give Other a new name
    """
    if not isinstance(structure, CovarianceType):
        raise TypeError(
            f"structure must be an instance of a CovarianceType subclass; got "
            f"{type(structure).__name__}"
        )
    name = getattr(structure, "name", None)
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"{type(structure).__name__} needs a class attribute name (a non-empty string); "
            f"got {name!r}"
        )
    for label in (name, *structure.aliases):
        taken = _lookup(label)
        if taken is not None and taken != structure:
            raise ValueError(
                f"covariance_type name {label!r} is taken by {taken!r}; give "
                f"{type(structure).__name__} a new name"
            )
    COVARIANCE_TYPES[name] = structure
    return structure


def accepted_names() -> list[str]:
    """Every name :func:`covariance_type` accepts: the registered ones, then their aliases.

    Examples
    --------
    >>> accepted_names()[:4], "VVV" in accepted_names()
    (['full', 'diag', 'spherical', 'tied'], True)
    """
    aliases = [alias for structure in COVARIANCE_TYPES.values() for alias in structure.aliases]
    return [*COVARIANCE_TYPES, *aliases]


def _lookup(label: str) -> CovarianceType | None:
    """The registered structure named (or aliased) ``label``, if any."""
    if label in COVARIANCE_TYPES:
        return COVARIANCE_TYPES[label]
    return next((s for s in COVARIANCE_TYPES.values() if label in s.aliases), None)


for _structure in (
    FullCovariance(),
    DiagCovariance(),
    SphericalCovariance(),
    TiedCovariance(),
    *EIGEN_STRUCTURES,
):
    register_covariance_type(_structure)


def covariance_type(value: str | CovarianceType) -> CovarianceType:
    """Parse a covariance type name (or pass a :class:`CovarianceType` through).

    Examples
    --------
    >>> covariance_type("tied"), covariance_type("EEE")  # mclust's name for it
    (TiedCovariance(), TiedCovariance())
    >>> covariance_type("diagonal")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: covariance_type must be one of 'full' (VVV), ..., 'EVV'; got 'diagonal'
    """
    if isinstance(value, CovarianceType):
        return value
    found = _lookup(value) if isinstance(value, str) else None
    if found is not None:
        return found
    listed = ", ".join(
        repr(name) + "".join(f" ({alias})" for alias in structure.aliases)
        for name, structure in COVARIANCE_TYPES.items()
    )
    raise ValueError(f"covariance_type must be one of {listed}; got {value!r}")
