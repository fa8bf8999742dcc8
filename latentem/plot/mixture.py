"""A mixture over its data: 1-D densities, 2-D ellipses, points coloured by responsibility.

What is drawn depends on what the model can do, not on its class:

- ``joint_log_prob(X)`` (``log w_k + log p_k(x)``, shape (n, k)) gives the
  component curves of a 1-D density plot and the responsibilities that
  colour the points;
- :func:`gaussian_components` (a ``functools.singledispatch`` function that
  other models register with) gives the means and covariances drawn as
  ellipses.

A fitted front class is drawn through its ``model_``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import logsumexp

from latentem.core.validation import check_array
from latentem.distributions import MultivariateNormal, Normal
from latentem.mixture.composed import Mixture
from latentem.mixture.gaussian import GaussianMixtureModel
from latentem.plot.backend import component_colours, new_axes, require_matplotlib

__all__ = [
    "as_model",
    "feature_labels",
    "gaussian_components",
    "plot_mixture",
    "responsibility_colours",
]


def as_model(model: Any) -> Any:
    """The model behind a fitted front class (its ``model_``), or ``model`` itself.

    Examples
    --------
    >>> import latentem
    >>> m = latentem.GaussianMixtureModel([1.0], [[0.0]], [[[1.0]]])
    >>> as_model(m) is m
    True
    """
    return getattr(model, "model_", model)


@functools.singledispatch
def gaussian_components(model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights (k,), means (k, d) and full covariances (k, d, d) of a model's Gaussians.

    A ``functools.singledispatch`` function: a model whose components (or
    states) are Gaussian registers how to read them, and
    :func:`plot_mixture` draws their ellipses::

        @gaussian_components.register
        def _(model: GaussianHMMModel):
            return stationary_weights, model.means, full_covariances

    Raises
    ------
    TypeError
        For a model with no registered reading.

    Examples
    --------
    >>> import latentem
    >>> m = latentem.GaussianMixtureModel([0.5, 0.5], [[0.0], [2.0]], [1.0, 4.0],
    ...                                    covariance_type="spherical")
    >>> weights, means, covariances = gaussian_components(m)
    >>> covariances.ravel()
    array([1., 4.])
    """
    raise TypeError(
        f"no Gaussian components are known for {type(model).__name__}; register them with "
        "@latentem.plot.gaussian_components.register"
    )


@gaussian_components.register
def _(model: GaussianMixtureModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    full = model.covariance_type.full_matrices(
        model.covariances, model.n_components, model.n_features
    )
    return np.asarray(model.weights), np.asarray(model.means), full


@gaussian_components.register
def _(model: Mixture) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    means, covariances = [], []
    for component in model:
        if isinstance(component, MultivariateNormal):
            means.append(np.asarray(component.mean))
            covariances.append(np.asarray(component.cov))
        elif isinstance(component, Normal):
            means.append(np.array([component.loc]))
            covariances.append(np.array([[component.scale**2]]))
        else:
            raise TypeError(
                f"component {type(component).__name__} of the Mixture is not Gaussian; "
                "only Normal and MultivariateNormal components have ellipses"
            )
    return np.asarray(model.weights), np.stack(means), np.stack(covariances)


def responsibility_colours(model: Any, X: np.ndarray) -> np.ndarray:
    """RGB colour of every row: the components' colours mixed by their responsibilities.

    A row shared half and half between a blue and an orange component is
    drawn half way between the two colours; certain rows get their
    component's own colour. Needs ``joint_log_prob`` (or ``predict_proba``).

    Returns
    -------
    colours : ndarray of shape (n_samples, 3)

    Examples
    --------
    >>> import numpy as np, latentem
    >>> m = latentem.GaussianMixtureModel([0.5, 0.5], [[-5.0], [5.0]], [[[1.0]], [[1.0]]])
    >>> colours = responsibility_colours(m, np.array([[-5.0], [0.0], [5.0]]))
    >>> bool(np.allclose(colours[1], colours[[0, 2]].mean(axis=0)))
    True
    """
    model = as_model(model)
    if hasattr(model, "joint_log_prob"):
        joint = np.asarray(model.joint_log_prob(X))
        resp = np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
    else:
        resp = np.asarray(model.predict_proba(X))
    return np.clip(resp @ component_colours(resp.shape[1]), 0.0, 1.0)


def _ellipse(mean: np.ndarray, covariance: np.ndarray, n_std: float, **style: Any) -> Any:
    """The ``n_std`` contour of a 2-D Gaussian as a matplotlib ``Ellipse``."""
    from matplotlib.patches import Ellipse

    values, vectors = np.linalg.eigh(covariance)
    values = np.maximum(values, 0.0)
    angle = float(np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])))
    return Ellipse(
        xy=(float(mean[0]), float(mean[1])),
        width=2.0 * n_std * float(np.sqrt(values[1])),
        height=2.0 * n_std * float(np.sqrt(values[0])),
        angle=angle,
        fill=False,
        **style,
    )


def _density_1d(model: Any, X: np.ndarray, ax: Any, bins: int | str) -> None:
    x = X[:, 0]
    span = float(x.max() - x.min()) or 1.0
    grid = np.linspace(x.min() - 0.1 * span, x.max() + 0.1 * span, 400)[:, None]
    ax.hist(x, bins=bins, density=True, color="0.85", edgecolor="0.6", label="data")
    if hasattr(model, "joint_log_prob"):
        try:
            joint = np.asarray(model.joint_log_prob(grid))
        except ValueError:
            # a family with bounded support (x >= 0, counts...): stay within the data
            grid = np.linspace(x.min(), x.max(), 400)[:, None]
            joint = np.asarray(model.joint_log_prob(grid))
        colours = component_colours(joint.shape[1])
        for k in range(joint.shape[1]):
            density = np.exp(joint[:, k])
            ax.plot(grid[:, 0], density, color=colours[k], lw=2.5, label=f"component {k}")
        total = np.exp(logsumexp(joint, axis=1))
    else:
        total = np.exp(np.asarray(model.score_samples(grid)))
    # dashed and on top: where one component alone makes the density, both stay visible
    ax.plot(grid[:, 0], total, color="black", lw=1.2, ls="--", label="mixture", zorder=3)
    ax.set_ylabel("density")
    ax.legend(loc="best", fontsize="small")


def _scatter_2d(
    model: Any,
    X: np.ndarray,
    ax: Any,
    features: tuple[int, int],
    n_std: Sequence[float],
    colour_by: str,
) -> None:
    i, j = features
    sizes: Any = 10
    if colour_by == "responsibility":
        colours = responsibility_colours(model, X)
    else:
        labels = np.asarray(model.predict(X))
        colours = component_colours(int(labels.max()) + 1)[labels]
        if colour_by == "uncertainty":  # mclust's picture: the less certain, the larger
            uncertainty = 1.0 - np.asarray(model.predict_proba(X)).max(axis=1)
            sizes = 4 + 200 * uncertainty
    ax.scatter(X[:, i], X[:, j], s=sizes, c=colours, alpha=0.8, linewidths=0)
    try:
        weights, means, covariances = gaussian_components(model)
    except TypeError:
        return
    palette = component_colours(means.shape[0])
    block = np.ix_([i, j], [i, j])
    for k, (mean, covariance) in enumerate(zip(means, covariances, strict=True)):
        for n in n_std:
            patch = _ellipse(mean[[i, j]], covariance[block], n, color=palette[k], lw=2.0 / n)
            patch.set_gid(f"component-{k}")
            ax.add_patch(patch)
        ax.plot(mean[i], mean[j], marker="x", color="black", ms=8, mew=2)
    _legend_2d(ax, weights, palette, n_std)


def _legend_2d(ax: Any, weights: np.ndarray, palette: np.ndarray, n_std: Sequence[float]) -> None:
    """One entry per component (its colour and weight), one for the means and the contours."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=palette[k], lw=2, label=f"component {k} (weight {w:.2f})")
        for k, w in enumerate(weights)
    ]
    handles.append(Line2D([], [], color="black", marker="x", ms=8, mew=2, ls="none", label="means"))
    contours = " and ".join(f"{n:g}" for n in n_std)
    handles.append(Line2D([], [], color="0.4", lw=1.5, label=f"{contours} standard deviations"))
    ax.legend(handles=handles, loc="best", fontsize="small")


def plot_mixture(
    model: Any,
    X: Any,
    *,
    ax: Any = None,
    title: str | None = None,
    features: tuple[int, int] = (0, 1),
    n_std: Sequence[float] = (1.0, 2.0),
    colour_by: str | None = None,
    bins: int | str = "auto",
) -> Any:
    """Draw a mixture over its data.

    With one feature: a histogram of the data, every component's weighted
    density ``w_k p_k(x)`` and the mixture density. With two or more: the
    points (two of the features) coloured by their responsibilities, and
    the ``n_std``-sigma ellipse and mean of every Gaussian component.

    Parameters
    ----------
    model : model or fitted front class
        Needs ``joint_log_prob`` (or ``predict_proba``/``score_samples``);
        ellipses need :func:`gaussian_components`.
    X : array-like of shape (n_samples, n_features)
        Rows with missing entries (NaN) are left out of the picture, which
        says how many; axes are labelled with the estimator's
        ``feature_names_in_`` (or a DataFrame's columns).
    ax : matplotlib Axes, optional
        Drawn into; by default a new figure.
    title : str, optional
    features : pair of int, default=(0, 1)
        The two columns drawn when there are two or more.
    n_std : sequence of float, default=(1, 2)
        Contours drawn per component, in standard deviations.
    colour_by : {"responsibility", "label", "uncertainty"}, optional
        Mix the components' colours by responsibility, or colour each point
        by its most probable component; ``"uncertainty"`` does that too and
        draws each point larger the less certain its component (1 minus its
        largest posterior), as mclust's uncertainty plot. By default
        ``"label"`` for a model with hard assignment (each point belongs to
        one component) and ``"responsibility"`` otherwise.
    bins : int or str, default="auto"
        Histogram bins of the 1-D plot.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np, latentem
    >>> from latentem.plot import plot_mixture
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> gm = latentem.GaussianMixture(3, random_state=0).fit(X)
    >>> ax = plot_mixture(gm, X, title="three components")
    >>> len(ax.patches)  # a 1- and a 2-sigma ellipse per component
    6
    >>> ax.figure.savefig("mixture.png")  # doctest: +SKIP
    """
    require_matplotlib()
    names = feature_labels(model, X)
    model = as_model(model)
    X = check_array(X, allow_nan=True)
    missing = np.isnan(X).any(axis=1)
    X = X[~missing]
    if X.shape[0] == 0:
        raise ValueError("X has no row without missing entries (NaN), so there is nothing to draw")
    if colour_by is None:
        hard = getattr(getattr(model, "assignment", None), "name", None) == "hard"
        colour_by = "label" if hard else "responsibility"
    if colour_by not in ("responsibility", "label", "uncertainty"):
        raise ValueError(
            f"colour_by must be 'responsibility', 'label' or 'uncertainty'; got {colour_by!r}"
        )
    ax = new_axes(ax)
    if X.shape[1] == 1:
        _density_1d(model, X, ax, bins)
        ax.set_xlabel(names[0])
    else:
        for feature in features:
            if not 0 <= feature < X.shape[1]:
                raise ValueError(
                    f"features must be two column indices below {X.shape[1]}; got {features}"
                )
        _scatter_2d(model, X, ax, features, n_std, colour_by)
        ax.set_xlabel(names[features[0]])
        ax.set_ylabel(names[features[1]])
    if missing.any():  # said on the picture, so that nobody takes it for all the data
        ax.annotate(
            f"{int(missing.sum())} of {missing.size} rows with missing entries not drawn",
            xy=(0.01, 0.01),
            xycoords="axes fraction",
            fontsize="small",
            color="0.3",
        )
    if title:
        ax.set_title(title)
    return ax


def feature_labels(estimator: Any, X: Any) -> list[str]:
    """Axis labels: the estimator's ``feature_names_in_``, X's columns, or ``feature j``.

    Examples
    --------
    >>> import numpy as np
    >>> feature_labels(object(), np.zeros((2, 2)))
    ['feature 0', 'feature 1']
    """
    names = getattr(estimator, "feature_names_in_", None)
    if names is None and hasattr(X, "columns"):
        names = [str(column) for column in X.columns]
    if names is not None:
        return [str(name) for name in names]
    width = np.shape(X)[1] if np.ndim(X) == 2 else 1
    return [f"feature {j}" for j in range(width)]
