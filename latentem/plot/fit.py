"""A fit over its iterations: the objective per iteration, and the fit frame by frame."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from latentem.core.model import LatentModel
from latentem.core.validation import check_array, check_int
from latentem.plot.backend import new_axes, require_matplotlib
from latentem.plot.mixture import plot_mixture

__all__ = ["FrameRecorder", "plot_objective", "save_frames"]

#: ``(iteration, model after that iteration)``, as :class:`FrameRecorder` keeps it.
RecordedFrame = tuple[int, Any]


def plot_objective(
    history: Any, *, ax: Any = None, per_sample: int | None = None, gap: bool | None = None
) -> Any:
    """The EM objective against the iteration (``EMResult.history``).

    EM's first steps gain orders of magnitude more than its last, so on a
    linear axis the first point flattens the slow creep towards the maximum.
    With ``gap`` the picture is the distance to the final value on a log
    axis instead, ``max(history) - history[t]``, where the creep shows as a
    line (linear convergence) or a bend (superlinear).

    Parameters
    ----------
    history : array-like of shape (n_iter,)
        ``history[t]`` is the objective at the start of iteration ``t + 1``.
    ax : matplotlib Axes, optional
    per_sample : int, optional
        Divide by this number of samples (scikit-learn's ``lower_bound_``
        scale).
    gap : bool, optional
        Draw the distance to the best value on a log axis. By default, when
        the first step gains more than twice all the later ones together.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np, latentem
    >>> from latentem.plot import plot_objective
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (50, 1)), rng.normal(6, 1, (50, 1))])
    >>> start = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0)
    >>> result = latentem.EM(tol=1e-8).fit(start, X)
    >>> plot_objective(result.history, per_sample=X.shape[0], gap=False).get_ylabel()
    'objective per sample'
    >>> plot_objective(result.history, gap=True).get_yscale()
    'log'
    """
    values = check_array(history, "history", ndim=1)
    ax = new_axes(ax, (5.5, 3.5))
    if per_sample:
        values = values / check_int(per_sample, "per_sample", minimum=1)
    iterations = np.arange(1, values.size + 1)
    steps = np.diff(values)
    if gap is None:  # the first step gains more than twice all the others together
        gap = steps.size >= 3 and steps[0] > 2.0 * (float(values.max()) - values[1])
    unit = " per sample" if per_sample else ""
    if gap:
        distance = float(values.max()) - values
        shown = distance > 0  # the best value itself has no place on a log axis
        ax.plot(iterations[shown], distance[shown], marker="o", ms=3)
        ax.set_yscale("log")
        ax.set_ylabel(f"gap to the best objective{unit}")
    else:
        ax.plot(iterations, values, marker="o", ms=3)
        ax.set_ylabel(f"objective{unit}")
    ax.set_xlabel("iteration")
    return ax


class FrameRecorder:
    """An :class:`~latentem.EM` callback keeping the model after every ``every``-th iteration.

    Parameters
    ----------
    start : LatentModel, optional
        Recorded as frame 0, so the pictures begin with the starting guess.
    every : int, default=1

    Attributes
    ----------
    frames : list of (int, model)
        ``(iteration, model after that iteration)``.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> from latentem.plot import FrameRecorder
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (50, 2))])
    >>> start = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0)
    >>> recorder = FrameRecorder(start)
    >>> result = latentem.EM(tol=1e-6, callbacks=[recorder]).fit(start, X)
    >>> [iteration for iteration, _ in recorder.frames] == list(range(result.n_iter + 1))
    True
    """

    def __init__(self, start: LatentModel | None = None, every: int = 1) -> None:
        self.every = check_int(every, "every", minimum=1)
        self.frames: list[RecordedFrame] = [] if start is None else [(0, start)]

    def __call__(self, iteration: int, objective: float, model: LatentModel) -> None:
        if iteration % self.every == 0:
            self.frames.append((iteration, model))


def _limits(X: np.ndarray, features: tuple[int, int]) -> tuple[tuple[float, float], ...]:
    out = []
    for column in (X[:, features[0]],) if X.shape[1] == 1 else X[:, list(features)].T:
        low, high = float(column.min()), float(column.max())
        margin = 0.15 * (high - low or 1.0)
        out.append((low - margin, high + margin))
    return tuple(out)


def save_frames(
    frames: Any,
    X: Any,
    path: str | os.PathLike[str],
    *,
    draw: Callable[..., Any] = plot_mixture,
    fps: int = 2,
    dpi: int = 80,
    figsize: tuple[float, float] = (5.0, 4.5),
    features: tuple[int, int] = (0, 1),
    name: str = "frame-{iteration:03d}.png",
) -> list[Path]:
    """Draw a fit frame by frame: an animated GIF, or one PNG per frame in a folder.

    Parameters
    ----------
    frames : FrameRecorder or list of (int, model)
    X : array-like of shape (n_samples, n_features)
        The data, drawn under every frame.
    path : str or path-like
        A ``.gif`` file (written with matplotlib's ``PillowWriter``), or a
        folder that receives ``frame-000.png``, ``frame-001.png``, ... named
        by iteration.
    draw : callable, default=plot_mixture
        ``draw(model, X, ax=ax, title=...)`` draws one frame.
    fps : int, default=2
        Frames per second of the GIF.
    dpi : int, default=80
    figsize : pair of float
    features : pair of int
        The columns drawn (the axes keep the same limits in every frame).
    name : str, default="frame-{iteration:03d}.png"
        File name of each PNG frame in the folder, formatted with the
        frame's ``iteration``.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import numpy as np, latentem, tempfile, os
    >>> from latentem.plot import FrameRecorder, save_frames
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (50, 2))])
    >>> start = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0)
    >>> recorder = FrameRecorder(start, every=2)
    >>> _ = latentem.EM(tol=1e-6, callbacks=[recorder]).fit(start, X)
    >>> folder = tempfile.mkdtemp()
    >>> [p.name for p in save_frames(recorder, X, os.path.join(folder, "fit.gif"))]
    ['fit.gif']
    """
    plt = require_matplotlib()
    frames = list(frames.frames if isinstance(frames, FrameRecorder) else frames)
    if not frames:
        raise ValueError("frames is empty; record at least one (iteration, model) frame")
    X = check_array(X)
    path = Path(path)
    limits = _limits(X, features)
    fig, ax = plt.subplots(figsize=figsize)

    def render(index: int) -> None:
        iteration, model = frames[index]
        ax.clear()
        title = (
            f"after {iteration} iteration{'s' if iteration != 1 else ''}" if iteration else "start"
        )
        draw(model, X, ax=ax, title=title)
        ax.set_xlim(*limits[0])
        if len(limits) > 1:
            ax.set_ylim(*limits[1])

    try:
        if path.suffix.lower() == ".gif":
            from matplotlib.animation import FuncAnimation, PillowWriter

            path.parent.mkdir(parents=True, exist_ok=True)
            animation = FuncAnimation(fig, render, frames=len(frames), interval=1000.0 / fps)
            animation.save(path, writer=PillowWriter(fps=fps), dpi=dpi)
            return [path]
        path.mkdir(parents=True, exist_ok=True)
        written = []
        for index, (iteration, _) in enumerate(frames):
            render(index)
            target = path / name.format(iteration=iteration)
            fig.savefig(target, dpi=dpi)
            written.append(target)
        return written
    finally:
        plt.close(fig)
