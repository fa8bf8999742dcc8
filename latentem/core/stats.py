"""An optional helper base for additive sufficient statistics."""

from __future__ import annotations

import numbers
from typing import Any, TypeVar, cast

import attrs
import numpy as np

__all__ = ["AdditiveStatistics", "scale_statistics"]

_S = TypeVar("_S", bound="AdditiveStatistics")


class AdditiveStatistics:
    """Give an attrs class of statistics a field-wise ``+``.

    Subclass it in an attrs class whose fields are numbers or arrays; ``a + b``
    adds every field. A field declared with ``metadata={"additive": False}``
    is a label that both operands must share (checked, then kept). ``sum()``
    over a list of statistics works because ``0 + stats`` is ``stats``.

    Using this base is optional: the engine accepts any object with ``+`` and
    a float ``log_likelihood``.

    Examples
    --------
    >>> import numpy as np
    >>> from attrs import frozen
    >>> from latentem import AdditiveStatistics
    >>> @frozen
    ... class Moments(AdditiveStatistics):
    ...     count: float
    ...     total: np.ndarray
    ...     log_likelihood: float
    >>> a = Moments(2.0, np.array([1.0, 2.0]), -3.0)
    >>> b = Moments(1.0, np.array([0.5, 0.5]), -1.0)
    >>> a + b
    Moments(count=3.0, total=array([1.5, 2.5]), log_likelihood=-4.0)
    >>> sum([a, b]).count
    3.0
    """

    def __add__(self: _S, other: Any) -> _S:
        if type(other) is not type(self):
            return NotImplemented
        values = {}
        for field in attrs.fields(cast(Any, type(self))):
            if not field.init:
                continue
            mine, theirs = getattr(self, field.name), getattr(other, field.name)
            if field.metadata.get("additive", True):
                values[field.name] = mine + theirs
            else:
                if not _same(mine, theirs):
                    raise ValueError(
                        f"cannot add {type(self).__name__} with different {field.name!r}: "
                        f"{mine!r} and {theirs!r}; add statistics computed by the same model"
                    )
                values[field.name] = mine
        return type(self)(**values)

    def __radd__(self: _S, other: Any) -> _S:
        if isinstance(other, (int, float)) and other == 0:
            return self
        return NotImplemented

    def scale(self: _S, factor: float) -> _S:
        """Every additive field times ``factor``: the statistics with every row's weight scaled.

        Online EM (:class:`~latentem.OnlineEM`) mixes statistics with it;
        ``factor * stats`` is the same.

        Examples
        --------
        >>> import numpy as np
        >>> from attrs import frozen
        >>> @frozen
        ... class Counts(AdditiveStatistics):
        ...     counts: np.ndarray
        ...     log_likelihood: float
        >>> 0.5 * Counts(np.array([2.0, 4.0]), -6.0)
        Counts(counts=array([1., 2.]), log_likelihood=-3.0)
        """
        factor = float(factor)
        values = {}
        for field in attrs.fields(cast(Any, type(self))):
            if field.init:
                value = getattr(self, field.name)
                values[field.name] = (
                    value * factor if field.metadata.get("additive", True) else value
                )
        return type(self)(**values)

    def __mul__(self: _S, factor: Any) -> _S:
        if isinstance(factor, numbers.Real) and not isinstance(factor, (bool, np.bool_)):
            return self.scale(float(factor))
        return NotImplemented

    __rmul__ = __mul__


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)


def scale_statistics(stats: Any, factor: float) -> Any:
    """``stats.scale(factor)`` (``stats * factor`` for arrays and numbers), or a TypeError.

    The statistics of the same rows with every row's weight multiplied by
    ``factor``; online EM mixes statistics with it.

    Examples
    --------
    >>> scale_statistics(np.array([1.0, 2.0]), 0.5)
    array([0.5, 1. ])
    >>> scale_statistics("counts", 2.0)
    Traceback (most recent call last):
    ...
    TypeError: online EM needs statistics that can be scaled by a number: str has no ...
    """
    if isinstance(stats, (np.ndarray, numbers.Real)) and not isinstance(stats, bool):
        return stats * factor
    scale = getattr(stats, "scale", None)
    if not callable(scale):
        raise TypeError(
            "online EM needs statistics that can be scaled by a number: "
            f"{type(stats).__name__} has no method scale(factor). Add one returning the "
            "statistics of the same rows with every row's weight multiplied by factor "
            "(subclasses of latentem.AdditiveStatistics have it)"
        )
    return scale(factor)
