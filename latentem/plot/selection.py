"""The table of :func:`latentem.select_n_components` as a picture."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from latentem.plot.backend import new_axes, require_matplotlib

__all__ = ["plot_selection"]

_MARKERS = {"bic": "o", "aic": "s", "icl": "^"}


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
    ax.plot(
        ks[best],
        chosen[best],
        marker="*",
        ms=18,
        color="gold",
        markeredgecolor="black",
        linestyle="none",
        label=f"best by {result.criterion.upper()}: {result.best_n_components}",
    )
    ax.axvline(ks[best], color="0.6", lw=1, ls="--")
    ax.set_xticks(ks)
    ax.set_xlabel("number of components")
    ax.set_ylabel("criterion (lower is better)")
    ax.legend(loc="best", fontsize="small")
    return ax
