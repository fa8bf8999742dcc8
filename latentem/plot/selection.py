"""The tables of :func:`latentem.select_n_components` and :func:`latentem.select_model`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from latentem.plot.backend import new_axes, require_matplotlib

__all__ = ["plot_model_selection", "plot_selection"]

_MARKERS = {"bic": "o", "aic": "s", "icl": "^"}


def _star(ax: Any, x: Any, y: Any, label: str) -> None:
    """The chosen cell: a gold star."""
    style = {"marker": "*", "ms": 18, "color": "gold", "markeredgecolor": "black"}
    ax.plot(x, y, linestyle="none", label=label, **style)


def plot_selection(
    result: Any, *, ax: Any = None, criteria: Iterable[str] = ("bic", "aic", "icl")
) -> Any:
    """Each criterion against the number of components, the chosen one starred.

    Parameters
    ----------
    result : SelectionResult
        Anything with ``candidates``, ``scores`` (criterion -> values),
        ``criterion`` and ``best_n_components``.
    ax : matplotlib Axes, optional
    criteria : iterable of str
        The criteria drawn (those with no finite value are skipped).

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np, latentem
    >>> from latentem.plot import plot_selection
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(-4, 1, (100, 1)), rng.normal(4, 1, (100, 1))])
    >>> result = latentem.select_n_components(X, [1, 2, 3, 4], random_state=0)
    >>> ax = plot_selection(result)
    >>> [line.get_label() for line in ax.get_lines()][:3]
    ['BIC', 'AIC', 'ICL']
    """
    require_matplotlib()
    ax = new_axes(ax, (5.5, 4.0))
    ks = np.asarray(result.candidates)
    for name in criteria:
        values = np.asarray(result.scores[name], dtype=float)
        if not np.isfinite(values).any():
            continue
        ax.plot(ks, values, marker=_MARKERS.get(name, "o"), label=name.upper())
    chosen = np.asarray(result.scores[result.criterion], dtype=float)
    best = int(np.flatnonzero(ks == result.best_n_components)[0])
    _star(ax, ks[best], chosen[best], f"best by {result.criterion.upper()}: {ks[best]}")
    ax.axvline(ks[best], color="0.6", lw=1, ls="--")
    ax.set_xticks(ks)
    ax.set_xlabel("number of components")
    ax.set_ylabel("criterion (lower is better)")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_model_selection(selection: Any, *, ax: Any = None, criterion: str | None = None) -> Any:
    """The criterion against the number of components, one line per structure (mclust's plot).

    Cells that could not be fitted leave a gap; the best cell is starred.
    latentem's BIC is minus mclust's, so lower is better and the picture is
    mclust's ``plot(mclustBIC)`` upside down.

    Parameters
    ----------
    selection : ModelSelection
        What :func:`latentem.select_model` returns (anything with
        ``n_components``, ``covariance_types``, ``scores`` and ``criterion``).
    ax : matplotlib Axes, optional
    criterion : {"bic", "aic", "icl"}, optional
        The selection's own criterion by default.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np, latentem
    >>> from latentem.plot import plot_model_selection
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(-4, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
    >>> selection = latentem.select_model(X, [1, 2, 3], ["EII", "VVV"], random_state=0)
    >>> ax = plot_model_selection(selection)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['EII', 'full']
    """
    require_matplotlib()
    ax = new_axes(ax, (6.5, 4.5))
    name = selection.criterion if criterion is None else criterion
    values = np.asarray(selection.scores[name], dtype=float)
    ks = np.asarray(selection.n_components)
    import matplotlib

    markers, colours = "os^vD<>phx*+dH8", matplotlib.colormaps["tab20"]  # 14 tell apart
    for j, structure in enumerate(selection.covariance_types):
        style = {"marker": markers[j % len(markers)], "color": colours(j % 20)}
        ax.plot(ks, values[:, j], ms=4, lw=1, label=structure, **style)
    if np.isfinite(values).any():
        row, column = np.unravel_index(np.nanargmin(values), values.shape)
        best = f"{selection.covariance_types[column]}, {int(ks[row])}"
        _star(ax, ks[row], values[row, column], f"best by {name.upper()}: {best}")
    ax.set_xticks(ks)
    ax.set_xlabel("number of components")
    ax.set_ylabel(f"{name.upper()} (lower is better)")
    ax.legend(loc="best", fontsize="x-small", ncol=2)
    return ax
