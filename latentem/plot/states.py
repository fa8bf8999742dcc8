"""Hidden state sequences drawn over the signal (for HMMs, or any per-time-step posterior)."""

from __future__ import annotations

from typing import Any

import numpy as np

from latentem.core.validation import check_array
from latentem.plot.backend import component_colours, require_matplotlib

__all__ = ["plot_states"]


def _as_states(states: Any, n_steps: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Most probable state per step (T,) and posteriors (T, K) or None."""
    array = np.asarray(states)
    if array.ndim == 1:
        if array.shape[0] != n_steps:
            raise ValueError(
                f"states must have one entry per time step ({n_steps}); got {array.shape[0]}"
            )
        if array.size and (array.dtype.kind not in "iu" or array.min() < 0):
            raise ValueError("a 1-D states array must hold non-negative integer state indices")
        return array.astype(np.intp), None
    posteriors = check_array(states, "states")
    if posteriors.shape[0] != n_steps:
        raise ValueError(
            f"states must have one row per time step ({n_steps}); got {posteriors.shape[0]}"
        )
    if np.any(posteriors < 0) or not np.allclose(posteriors.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError(
            "2-D states must be posterior probabilities (T, n_states): non-negative rows "
            "summing to 1, e.g. the output of predict_proba"
        )
    return np.argmax(posteriors, axis=1), posteriors


def plot_states(
    signal: Any,
    states: Any,
    *,
    axes: Any = None,
    times: Any = None,
    state_names: Any = None,
    title: str | None = None,
) -> Any:
    """Draw a signal over the background colour of its hidden state at every time step.

    Parameters
    ----------
    signal : array-like of shape (T,) or (T, n_features), Series or DataFrame
        One line per feature, labelled by a DataFrame's columns (a Series'
        name); NaN (a missing entry) leaves a gap in its line.
    states : array-like of int of shape (T,), or of float of shape (T, n_states)
        The state of every step (e.g. ``hmm.predict(X)``), or posterior
        probabilities (e.g. ``hmm.predict_proba(X)``); with posteriors a
        second panel stacks them and the background shows the most probable
        state.
    axes : matplotlib Axes or pair of Axes, optional
        One Axes for a state sequence, two for posteriors; by default a new
        figure.
    times : array-like of shape (T,), optional
        The time of every step: numbers, or dates (``datetime64``, a pandas
        DatetimeIndex), drawn as dates. By default the index of a pandas
        ``signal`` when it holds dates, otherwise 0, 1, ..., T-1.
    state_names : sequence of str, optional
    title : str, optional

    Returns
    -------
    axes : tuple of matplotlib Axes
        ``(signal_axes,)`` or ``(signal_axes, posterior_axes)``.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.plot import plot_states
    >>> states = np.repeat([0, 1, 0, 2], 25)
    >>> signal = np.array([0.0, 3.0, -3.0])[states] + np.random.default_rng(0).normal(size=100)
    >>> (ax,) = plot_states(signal, states)
    >>> ax.images[0].get_array().ravel()[:3].tolist()
    [0, 0, 0]
    >>> posterior = np.eye(3)[states] * 0.9 + 0.1 / 3
    >>> signal_ax, posterior_ax = plot_states(signal, posterior)
    >>> len(posterior_ax.collections)  # one band per state
    3
    """
    plt = require_matplotlib()
    columns = _column_names(signal)
    if times is None and _are_dates(getattr(signal, "index", None)):
        times = signal.index
    values = np.asarray(signal, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    values = check_array(values, "signal", allow_nan=True)
    n_steps = values.shape[0]
    path, posteriors = _as_states(states, n_steps)
    n_states = int(path.max()) + 1 if posteriors is None else posteriors.shape[1]
    dates = _are_dates(times)
    t = _time_axis(times, n_steps)
    if t.shape[0] != n_steps:
        raise ValueError(f"times must have one entry per time step ({n_steps}); got {t.shape[0]}")
    names = [f"state {k}" for k in range(n_states)] if state_names is None else list(state_names)
    if len(names) < n_states:
        raise ValueError(f"state_names must name {n_states} states; got {len(names)}")
    wanted = 1 if posteriors is None else 2
    if axes is None:
        ratios = [3, 1][:wanted]
        _, created = plt.subplots(
            wanted,
            1,
            figsize=(8, 2.5 + 1.5 * wanted),
            sharex=True,
            gridspec_kw={"height_ratios": ratios},
            squeeze=False,
        )
        axes = tuple(created[:, 0])
    else:
        axes = tuple(np.atleast_1d(axes))
        if len(axes) != wanted:
            raise ValueError(f"axes must hold {wanted} Axes for these states; got {len(axes)}")
    from matplotlib.colors import ListedColormap

    colours = component_colours(n_states)
    ax = axes[0]
    for column in range(values.shape[1]):
        ax.plot(t, values[:, column], color="black", lw=0.8)
    if not np.isfinite(values).any():
        raise ValueError("signal has no observed value (all NaN), so there is nothing to draw")
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    pad = 0.05 * (high - low or 1.0)
    # one image row coloured by state: cheap for long series, unlike a patch per run
    step = (t[-1] - t[0]) / max(n_steps - 1, 1) if n_steps > 1 else 1.0
    ax.imshow(
        path[None, :],
        aspect="auto",
        cmap=ListedColormap(colours),
        vmin=-0.5,
        vmax=n_states - 0.5,
        alpha=0.3,
        interpolation="nearest",
        extent=(t[0] - step / 2, t[-1] + step / 2, low - pad, high + pad),
        origin="lower",
    )
    ax.set_ylabel(", ".join(columns) if columns and len(columns) <= 3 else "signal")
    from matplotlib.patches import Patch

    ax.legend(
        handles=[Patch(color=colours[k], alpha=0.5, label=names[k]) for k in range(n_states)],
        loc="best",
        framealpha=0.9,
        fontsize="small",
        ncol=min(n_states, 4),
    )
    if title:
        ax.set_title(title)
    if posteriors is not None:
        axes[1].stackplot(t, posteriors.T, colors=colours, labels=names[:n_states])
        axes[1].set_ylim(0.0, 1.0)
        axes[1].set_ylabel("posterior")
    axes[-1].set_xlabel("date" if dates else "time")
    if dates:
        for each in axes:
            each.xaxis_date()
        axes[-1].figure.autofmt_xdate()
    return axes


def _column_names(signal: Any) -> list[str] | None:
    """A DataFrame's column names, or a named Series' name (None otherwise)."""
    if hasattr(signal, "columns"):
        return [str(column) for column in signal.columns]
    name = getattr(signal, "name", None)
    return None if name is None or not hasattr(signal, "index") else [str(name)]


def _are_dates(times: Any) -> bool:
    return times is not None and np.asarray(times).dtype.kind == "M"


def _time_axis(times: Any, n_steps: int) -> np.ndarray:
    """The steps' positions on the x axis: 0..T-1, the given numbers, or dates as day numbers."""
    if times is None:
        return np.arange(n_steps, dtype=float)
    if _are_dates(times):
        from matplotlib import dates

        moments = np.asarray(times).astype("datetime64[us]")
        if np.isnat(moments).any():
            raise ValueError("times must not hold missing dates (NaT)")
        return np.asarray(dates.date2num(moments), dtype=float)
    return check_array(times, "times", ndim=1)
