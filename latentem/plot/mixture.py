"""Mixtures drawn over their data: points coloured by component, covariance ellipses."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_mixture", "plot_objective", "require_matplotlib"]


def require_matplotlib() -> Any:
    """Import ``matplotlib.pyplot`` with the Agg backend, or explain how to install it.

    Examples
    --------
    >>> plt = require_matplotlib()  # doctest: +SKIP
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "latentem.plot needs matplotlib; install it with: pip install 'latentem[plot]'"
        ) from None
    return plt


def _ellipse_points(mean: np.ndarray, covariance: np.ndarray, n_std: float) -> np.ndarray:
    """Points on the ``n_std`` contour of a 2-D Gaussian, shape (100, 2)."""
    angles = np.linspace(0.0, 2.0 * np.pi, 100)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    values, vectors = np.linalg.eigh(covariance)
    return mean + n_std * (circle * np.sqrt(np.maximum(values, 0.0))) @ vectors.T


def plot_mixture(
    model: Any,
    X: np.ndarray,
    *,
    ax: Any = None,
    labels: np.ndarray | None = None,
    title: str | None = None,
    features: tuple[int, int] = (0, 1),
) -> Any:
    """Scatter two features of ``X`` coloured by component, with 1- and 2-sigma ellipses.

    Parameters
    ----------
    model : GaussianMixtureModel
        Any model with ``means``, ``covariances``, ``covariance_type`` and ``predict``.
    X : ndarray of shape (n_samples, n_features)
    ax : matplotlib Axes, optional
    labels : ndarray of shape (n_samples,), optional
        Colours; by default ``model.predict(X)``.
    title : str, optional
    features : pair of int
        The two columns drawn.

    Returns
    -------
    ax : matplotlib Axes
    """
    plt = require_matplotlib()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    X = np.asarray(X, dtype=float)
    labels = model.predict(X) if labels is None else np.asarray(labels)
    i, j = features
    colours = plt.get_cmap("tab10")
    ax.scatter(X[:, i], X[:, j], s=12, c=[colours(int(label) % 10) for label in labels])
    full = model.covariance_type.full_matrices(
        model.covariances, model.n_components, model.n_features
    )
    for k, (mean, covariance) in enumerate(zip(model.means, full, strict=True)):
        block = covariance[np.ix_([i, j], [i, j])]
        for n_std in (1.0, 2.0):
            outline = _ellipse_points(mean[[i, j]], block, n_std)
            ax.plot(outline[:, 0], outline[:, 1], color=colours(k % 10), lw=1.5 / n_std)
        ax.plot(*mean[[i, j]], marker="x", color="black", ms=8)
    if title:
        ax.set_title(title)
    ax.set_xlabel(f"feature {i}")
    ax.set_ylabel(f"feature {j}")
    return ax


def plot_objective(history: Any, *, ax: Any = None, per_sample: int | None = None) -> Any:
    """Line plot of the EM objective per iteration (``EMResult.history``).

    Parameters
    ----------
    history : array-like of shape (n_iter,)
    ax : matplotlib Axes, optional
    per_sample : int, optional
        Divide by this number of samples.
    """
    plt = require_matplotlib()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    values = np.asarray(history, dtype=float)
    if per_sample:
        values = values / per_sample
    ax.plot(np.arange(1, values.size + 1), values, marker="o", ms=3)
    ax.set_xlabel("iteration")
    ax.set_ylabel("objective" + (" per sample" if per_sample else ""))
    return ax
