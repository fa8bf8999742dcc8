"""Choosing the covariance structure and the number of components together, as mclust does."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from attrs import field, frozen

from latentem.core.progress import Progress, as_progress
from latentem.core.validation import as_generator, check_array, check_option, readonly_array
from latentem.estimators.base import input_feature_names
from latentem.estimators.gaussian_mixture import GaussianMixture
from latentem.mixture.covariance import COVARIANCE_TYPES, covariance_type
from latentem.mixture.degenerate import floor_message
from latentem.mixture.gaussian import GaussianMixtureModel
from latentem.mixture.hierarchical import hierarchical_partitions
from latentem.mixture.missing import starting_data
from latentem.selection.components import CRITERIA, _candidates

__all__ = ["ModelSelection", "select_model"]

# mclust's convergence is a relative change of 1e-5 in the log-likelihood; a tolerance on
# the change per sample this small keeps the EM of every cell from stopping short enough
# to change the choice (GaussianMixture's own default, 1e-3, does)
SELECTION_TOL = 1e-6
SELECTION_MAX_ITER = 1000


def _hierarchical_starts(
    X: np.ndarray, ks: np.ndarray, params: dict[str, Any]
) -> tuple[np.ndarray, dict[int, np.ndarray]] | None:
    """With ``init_params="hc"``: the rows the starts are computed on and the partitions
    for every k, both computed once for all cells."""
    if params.get("init_params") != "hc":
        return None
    rng = as_generator(params.get("random_state"))
    complete = starting_data(X)
    return complete, hierarchical_partitions(complete, ks.tolist(), random_state=rng)


def _start(
    starts: tuple[np.ndarray, dict[int, np.ndarray]] | None,
    k: int,
    name: str,
    params: dict[str, Any],
) -> dict[str, Any]:
    """The cell's starting parameters: the M-step of its hierarchical partition."""
    if starts is None:
        return {}
    complete, partitions = starts
    start = GaussianMixtureModel.from_responsibilities(
        complete,
        np.eye(k)[partitions[k]],
        covariance_type=name,
        reg_covar=params.get("reg_covar", 1e-6),
    )
    return {
        "weights_init": start.weights,
        "means_init": start.means,
        "precisions_init": start.precisions,
    }


def _structures(value: Any) -> list[str]:
    if isinstance(value, str) and value == "all":
        return list(COVARIANCE_TYPES)
    items = [value] if isinstance(value, str) else list(value)
    if not items:
        raise ValueError("covariance_type must name at least one structure, or be 'all'")
    names = [covariance_type(item).name for item in items]
    if len(set(names)) != len(names):
        raise ValueError(f"covariance_type must not repeat a structure; got {items}")
    return names


@frozen(eq=False)
class ModelSelection:
    """The table of :func:`select_model`: every number of components by every structure.

    Attributes
    ----------
    n_components : ndarray of int, shape (n_k,)
    covariance_types : tuple of str, length n_structures
    criterion : str
    scores : dict of str to ndarray of shape (n_k, n_structures)
        ``"bic"``, ``"aic"``, ``"icl"`` (lower is better), ``"log_likelihood"``
        and ``"n_parameters"``; NaN where the fit failed.
    failures : dict of (int, str) to str
        Why a cell has no usable fit: the error of a fit that failed (a
        singular covariance with ``reg_covar=0``), or the components that
        collapsed onto the ``reg_covar`` floor (mclust's NA for a singular
        fit). Such cells have NaN scores and are never selected.
    best_estimator : GaussianMixture
        The best fit; its ``n_components`` and ``covariance_type`` say what won.
    degenerate : dict of (int, str) to tuple of int
        The cells of ``failures`` that were fitted but collapsed, with their
        collapsed components (:attr:`GaussianMixture.degenerate_components_
        <latentem.GaussianMixture.degenerate_components_>`).

    Examples
    --------
    >>> import numpy as np, latentem
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal([-4, 0], 1, (100, 2)), rng.normal([4, 0], 1, (100, 2))])
    >>> result = latentem.select_model(X, [1, 2, 3], ["EII", "VVV"], random_state=0)
    >>> result.best_estimator.n_components, result.best_estimator.covariance_type
    (2, 'EII')
    >>> print(result.summary())  # doctest: +NORMALIZE_WHITESPACE
    best 3 by bic:
      EII, 2 components: 1437.41
      EII, 3 components: 1448.09
      full, 2 components: 1460.42
    """

    n_components: np.ndarray = field(converter=lambda v: readonly_array(v, np.int64))
    covariance_types: tuple[str, ...]
    criterion: str
    scores: dict[str, np.ndarray]
    failures: dict[tuple[int, str], str]
    best_estimator: Any
    degenerate: dict[tuple[int, str], tuple[int, ...]] = field(factory=dict)

    def ranking(self) -> list[tuple[str, int, float]]:
        """Every fitted cell as ``(covariance_type, n_components, score)``, best first."""
        table = self.scores[self.criterion]
        cells = [
            (name, int(k), float(table[i, j]))
            for i, k in enumerate(self.n_components)
            for j, name in enumerate(self.covariance_types)
            if not math.isnan(table[i, j])
        ]
        return sorted(cells, key=lambda cell: cell[2])

    def summary(self, top: int = 3) -> str:
        """The best ``top`` cells, as mclust's ``summary(mclustBIC)`` lists them.

        A last line counts the cells left out (collapsed or failed), if any.
        """
        lines = [f"best {top} by {self.criterion}:"]
        lines += [
            f"  {name}, {k} components: {value:.2f}" for name, k, value in self.ranking()[:top]
        ]
        if self.failures:
            collapsed = len(self.degenerate)
            failed = len(self.failures) - collapsed
            parts = [f"{collapsed} collapsed onto the reg_covar floor"] if collapsed else []
            parts += [f"{failed} failed"] if failed else []
            lines.append(f"not selected: {' and '.join(parts)} (see failures)")
        return "\n".join(lines)

    def table(self) -> str:
        """The criterion as a table, components by structure.

        A cell with no usable fit reads ``collapsed`` (a component collapsed
        onto the ``reg_covar`` floor) or ``-`` (the fit failed); a legend
        under the table says so when there are any.
        """
        values = self.scores[self.criterion]
        width = max(10, *(len(name) for name in self.covariance_types))
        lines = ["k".rjust(3) + "".join(name.rjust(width + 2) for name in self.covariance_types)]
        for i, k in enumerate(self.n_components):
            cells = (
                self._cell(int(k), name, float(value))
                for name, value in zip(self.covariance_types, values[i], strict=True)
            )
            lines.append(f"{int(k):3d}" + "".join(cell.rjust(width + 2) for cell in cells))
        if self.degenerate:
            lines.append("collapsed: a component collapsed onto the reg_covar floor")
        if len(self.failures) > len(self.degenerate):
            lines.append("-: the fit failed")
        return "\n".join(lines)

    def _cell(self, k: int, name: str, value: float) -> str:
        if (k, name) in self.degenerate:
            return "collapsed"
        return "-" if math.isnan(value) else f"{value:.2f}"

    def __str__(self) -> str:
        return self.table() + "\n" + self.summary()

    def plot(self, **kwargs: Any) -> Any:
        """The criterion against k per structure (:func:`latentem.plot.plot_model_selection`)."""
        from latentem.plot.selection import plot_model_selection

        return plot_model_selection(self, **kwargs)


def select_model(
    X: Any,
    n_components: Iterable[int] = range(1, 10),
    covariance_type: str | Sequence[str] = "all",
    criterion: str = "bic",
    *,
    progress: Progress | bool | None = None,
    **params: Any,
) -> ModelSelection:
    """Fit every (covariance structure, number of components) and keep the best.

    mclust's ``Mclust()`` in one call: the criterion of every cell, the cells
    that could not be fitted and why, and the best :class:`~latentem.GaussianMixture`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        NaN marks a missing entry. A pandas DataFrame's string column names
        become the best estimator's ``feature_names_in_``.
    n_components : iterable of int, default=range(1, 10)
    covariance_type : "all", str or sequence of str, default="all"
        Structures to try: any registered name or mclust's (``"all"``: every
        registered structure, mclust's fourteen included).
    criterion : {"bic", "aic", "icl"}, default="bic"
        Lower is better (latentem's BIC is minus mclust's).
    progress : bool or callable, optional
        True draws a progress bar on stderr; a callable is called as
        ``progress(done, total, k)`` after each fit.
    **params
        Passed to :class:`~latentem.GaussianMixture`. With ``init_params="hc"``
        (mclust's start) the hierarchical clustering runs once, and every
        cell starts from the M-step of its partition. ``tol`` defaults to
        1e-6 per sample here and ``max_iter`` to 1000: the estimator's own
        1e-3 can stop EM early enough to change which model wins.

    Returns
    -------
    ModelSelection

    Warns
    -----
    UserWarning
        When the best number of components is the largest (or the smallest,
        above 1) of those tried: a wider range may find a better model.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> rng = np.random.default_rng(1)
    >>> X = np.concatenate([rng.normal(c, [2.0, 0.3], (80, 2)) for c in ([0, 0], [0, 3], [0, 6])])
    >>> result = latentem.select_model(X, range(1, 6), ["EII", "EEI", "VVV"], random_state=0)
    >>> result.best_estimator.covariance_type, result.best_estimator.n_components
    ('EEI', 3)
    """
    feature_names = input_feature_names(X)
    X = check_array(X, min_samples=2, allow_nan=True)
    criterion = check_option(criterion, "criterion", CRITERIA)
    progress = as_progress(progress, "select_model")
    ks = _candidates(n_components, X.shape[0])
    names = _structures(covariance_type)
    params = {"tol": SELECTION_TOL, "max_iter": SELECTION_MAX_ITER, **params}
    starts = _hierarchical_starts(X, ks, params)
    shape = (ks.size, len(names))
    scores = {
        name: np.full(shape, math.nan) for name in ("log_likelihood", "n_parameters", *CRITERIA)
    }
    failures: dict[tuple[int, str], str] = {}
    degenerate: dict[tuple[int, str], tuple[int, ...]] = {}
    best: Any = None
    done = 0
    for i, k in enumerate(ks):
        for j, name in enumerate(names):
            fitted: GaussianMixture | None = None
            try:
                start = _start(starts, int(k), name, params)
                fitted = GaussianMixture(int(k), covariance_type=name, **params, **start)
                fitted._fit(X, None, None)  # not fit: a collapse is recorded, not warned about
            except ValueError as error:  # a singular covariance or a collapsed component
                failures[(int(k), name)] = str(error)
                fitted = None
            collapsed = () if fitted is None else tuple(fitted.degenerate_components_.tolist())
            if fitted is not None and collapsed:  # mclust's NA: never selected
                degenerate[(int(k), name)] = collapsed
                failures[(int(k), name)] = _collapsed_reason(fitted, collapsed)
            elif fitted is not None:
                for criterion_name in CRITERIA:
                    scores[criterion_name][i, j] = getattr(fitted, criterion_name)(X)
                scores["log_likelihood"][i, j] = float(fitted.score_samples(X).sum())
                scores["n_parameters"][i, j] = fitted.model_.n_parameters
                value = scores[criterion][i, j]
                if best is None or value < scores[criterion][best[0], best[1]]:
                    best = (i, j, fitted)
            done += 1
            if progress is not None:
                progress(done, ks.size * len(names), int(k))
    if best is None:
        raise ValueError(
            "no (covariance_type, n_components) could be fitted; see the failures: "
            + "; ".join(f"{name} k={k}: {why}" for (k, name), why in list(failures.items())[:3])
        )
    for values in scores.values():
        values.setflags(write=False)
    if ks.size > 1 and (best[0] == ks.size - 1 or (best[0] == 0 and ks[0] > 1)):
        warnings.warn(
            f"the best number of components ({int(ks[best[0]])}) is at the edge of those "
            f"tried ({int(ks[0])} to {int(ks[-1])}); try a wider range",
            UserWarning,
            stacklevel=2,
        )
    best[2]._set_feature_names(feature_names)  # fitted on the array: the DataFrame's names
    return ModelSelection(
        n_components=ks,
        covariance_types=tuple(names),
        criterion=criterion,
        scores=scores,
        failures=failures,
        best_estimator=best[2],
        degenerate=degenerate,
    )


def _collapsed_reason(fitted: GaussianMixture, collapsed: tuple[int, ...]) -> str:
    """The failure of a cell whose fit collapsed: the estimator's warning, in words."""
    model = fitted.model_
    smallest = model.covariance_type.weakest_variances(
        model.covariances, model.n_components, model.n_features
    ).variance
    return floor_message(model.covariance_type, np.array(collapsed), smallest, model.reg_covar)
