"""Importing matplotlib lazily, with the advice to install it when it is missing."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["component_colours", "new_axes", "require_matplotlib"]


def require_matplotlib() -> Any:
    """Import ``matplotlib.pyplot``, or explain how to install it.

    Without a display (no ``DISPLAY`` on Linux, or ``MPLBACKEND`` unset in a
    script) matplotlib picks a non-interactive backend itself; latentem only
    draws on figures and saves them, so any backend works.

    Examples
    --------
    >>> plt = require_matplotlib()
    >>> hasattr(plt, "subplots")
    True
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "latentem.plot needs matplotlib; install it with: pip install matplotlib"
        ) from None
    return plt


def new_axes(ax: Any, figsize: tuple[float, float] = (5.5, 4.5)) -> Any:
    """``ax`` if given, else the axes of a new figure."""
    if ax is not None:
        return ax
    _, ax = require_matplotlib().subplots(figsize=figsize)
    return ax


def component_colours(n_components: int) -> np.ndarray:
    """RGB colours of components 0..k-1, shape (k, 3): tab10, then tab20, then a colour wheel.

    Examples
    --------
    >>> component_colours(3).shape
    (3, 3)
    """
    from matplotlib import colormaps

    if n_components <= 10:
        palette = colormaps["tab10"](np.arange(n_components))
    elif n_components <= 20:
        palette = colormaps["tab20"](np.arange(n_components))
    else:
        palette = colormaps["hsv"](np.linspace(0.0, 1.0, n_components, endpoint=False))
    return np.asarray(palette, dtype=float)[:, :3]
