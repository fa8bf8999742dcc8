"""Choosing the number of components by an information criterion (BIC, AIC or ICL)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from attrs import field, frozen

from latentem.core.progress import Progress, as_progress
from latentem.core.validation import check_array, check_int, check_option, readonly_array
from latentem.estimators.base import Estimator, input_feature_names
from latentem.estimators.gaussian_mixture import GaussianMixture

__all__ = ["CRITERIA", "SelectionResult", "select_n_components"]

#: The criteria :func:`select_n_components` knows; each is a method of the fitted estimator.
CRITERIA = ("bic", "aic", "icl")


def _candidates(value: Any, n_samples: int) -> np.ndarray:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = [value]
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"candidates must be an iterable of ints; got {value!r}") from None
    if not items:
        raise ValueError("candidates must hold at least one number of components; got none")
    ks = [check_int(k, "candidates", minimum=1) for k in items]
    if len(set(ks)) != len(ks):
        raise ValueError(f"candidates must not repeat a value; got {ks}")
    if max(ks) > n_samples:
        raise ValueError(
            f"candidates go up to {max(ks)} components but X has only {n_samples} samples; "
            f"use candidates of at most {n_samples}"
        )
    return np.array(sorted(ks), dtype=np.int64)


@frozen(eq=False)
class SelectionResult:
    """The table of :func:`select_n_components` and the best fitted estimator.

    Attributes
    ----------
    candidates : ndarray of int, shape (n_candidates,)
        Numbers of components tried, increasing.
    criterion : str
        The criterion that chose: ``"bic"``, ``"aic"`` or ``"icl"``.
    scores : dict of str to ndarray of shape (n_candidates,)
        ``"bic"``, ``"aic"``, ``"icl"`` (lower is better), ``"log_likelihood"``
        and ``"n_parameters"`` for every candidate (NaN where an estimator
        has no such method).
    best_n_components : int
    best_estimator : estimator
        The fitted estimator with ``best_n_components``.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(-4, 1, (100, 1)), rng.normal(4, 1, (100, 1))])
    >>> result = latentem.select_n_components(X, [1, 2, 3], random_state=0)
    >>> result.best_n_components
    2
    >>> print(result)  # doctest: +NORMALIZE_WHITESPACE
    n_components  log_likelihood  n_parameters      bic      aic      icl
               1         -563.50             2  1137.59  1131.00  1137.59
             * 2         -414.03             5   854.54   838.05   854.54
               3         -411.82             8   866.03   839.65   903.49
    best by bic: 2 components
    """

    candidates: np.ndarray = field(converter=lambda v: readonly_array(v, np.int64))
    criterion: str
    scores: dict[str, np.ndarray]
    best_n_components: int
    best_estimator: Any

    @property
    def best_index(self) -> int:
        """Position of the best candidate in :attr:`candidates`."""
        return int(np.flatnonzero(self.candidates == self.best_n_components)[0])

    def table(self) -> str:
        """The table as text, the best row marked with ``*``."""
        columns = ("log_likelihood", "n_parameters", *CRITERIA)
        header = "n_components" + "".join(f"  {name:>{max(len(name), 7)}}" for name in columns)
        lines = [header]
        for i, k in enumerate(self.candidates):
            mark = "*" if i == self.best_index else " "
            cells = [f"{mark} {int(k)}".rjust(len("n_components"))]
            for name in columns:
                value = float(self.scores[name][i])
                text = f"{value:.0f}" if name == "n_parameters" else f"{value:.2f}"
                cells.append(text.rjust(max(len(name), 7)))
            lines.append("  ".join(cells))
        lines.append(f"best by {self.criterion}: {self.best_n_components} components")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, ax: Any = None, *, criteria: Iterable[str] = CRITERIA) -> Any:
        """Draw every criterion against the number of components, the choice marked.

        See :func:`latentem.plot.plot_selection` (needs matplotlib).
        """
        from latentem.plot import plot_selection

        return plot_selection(self, ax=ax, criteria=criteria)


def _score(estimator: Any, name: str, X: np.ndarray, extra: Mapping[str, Any]) -> float:
    method = getattr(estimator, name, None)
    return float(method(X, **extra)) if callable(method) else math.nan


def _log_likelihood(estimator: Any, X: np.ndarray, extra: Mapping[str, Any]) -> float:
    """Total log-likelihood of ``X``: the sum of ``score_samples`` when it gives one
    value per row (scikit-learn's mixtures), else ``score`` (a total, as in hmmlearn)."""
    method = getattr(estimator, "score_samples", None)
    if callable(method):
        values = method(X, **extra)
        if isinstance(values, np.ndarray) and values.shape == (X.shape[0],):
            return float(values.sum())
    return _score(estimator, "score", X, extra)


def select_n_components(
    X: Any,
    candidates: Iterable[int] = range(1, 11),
    criterion: str = "bic",
    *,
    estimator: Callable[..., Any] = GaussianMixture,
    progress: Progress | bool | None = None,
    fit_params: Mapping[str, Any] | None = None,
    **params: Any,
) -> SelectionResult:
    """Fit one estimator per number of components and keep the best by a criterion.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A pandas DataFrame's string column names become the best
        estimator's ``feature_names_in_``.
    candidates : iterable of int, default=range(1, 11)
        Numbers of components to try.
    criterion : {"bic", "aic", "icl"}, default="bic"
        ``bic``: ``-2 log L + p log n``; ``aic``: ``-2 log L + 2 p``;
        ``icl``: BIC plus twice the classification entropy (mclust's ICL),
        which prefers well separated clusters. Lower is better; ties go to
        fewer components.
    estimator : callable, default=GaussianMixture
        Called as ``estimator(n_components=k, **params)`` to make each
        unfitted estimator; it needs ``fit(X)`` and the criterion's method
        (``bic(X)``, ``aic(X)`` or ``icl(X)``).
    progress : bool or callable, optional
        True draws a progress bar on stderr (as the command line does); a
        callable is called as ``progress(done, total, k)`` after each fit.
    fit_params : mapping, optional
        Keyword arguments passed to ``fit`` and to the criteria, e.g.
        ``{"lengths": lengths}`` for models of several sequences.
    **params
        Passed to ``estimator``, e.g. ``covariance_type="diag"``,
        ``n_init=3``, ``random_state=0``.

    Returns
    -------
    SelectionResult

    Examples
    --------
    >>> import numpy as np, latentem
    >>> rng = np.random.default_rng(1)
    >>> centres = np.array([[0, 0], [8, 0], [0, 8]])
    >>> X = np.concatenate([rng.normal(c, 1, (100, 2)) for c in centres])
    >>> result = latentem.select_n_components(X, range(1, 6), "icl", random_state=0)
    >>> result.best_n_components, result.best_estimator.n_components
    (3, 3)
    >>> int(np.argmin(result.scores["bic"])) + 1
    3
    """
    # NaN marks missing entries for estimators that accept them (scikit-learn's allow_nan)
    feature_names = input_feature_names(X)
    X = check_array(X, min_samples=2, allow_nan=bool(getattr(estimator, "_allow_nan", False)))
    criterion = check_option(criterion, "criterion", CRITERIA)
    ks = _candidates(candidates, X.shape[0])
    if not callable(estimator):
        raise TypeError(f"estimator must be a class or callable; got {estimator!r}")
    progress = as_progress(progress, "select_n_components")
    extra = dict(fit_params or {})
    names = ("log_likelihood", "n_parameters", *CRITERIA)
    scores = {name: np.full(ks.size, math.nan) for name in names}
    best: Any = None
    best_value = math.inf
    for i, k in enumerate(ks):
        fitted = estimator(n_components=int(k), **params).fit(X, **extra)
        for name in CRITERIA:
            scores[name][i] = _score(fitted, name, X, extra)
        scores["log_likelihood"][i] = _log_likelihood(fitted, X, extra)
        model = getattr(fitted, "model_", fitted)
        scores["n_parameters"][i] = float(getattr(model, "n_parameters", math.nan))
        value = scores[criterion][i]
        if math.isnan(value):
            raise ValueError(
                f"{type(fitted).__name__} has no {criterion} method; choose another criterion"
            )
        if value < best_value:
            best, best_value = fitted, value
        if progress is not None:
            progress(i + 1, ks.size, int(k))
    for values in scores.values():
        values.setflags(write=False)
    if isinstance(best, Estimator):  # fitted on the array: the DataFrame's names, as fit keeps
        best._set_feature_names(feature_names)
    return SelectionResult(
        candidates=ks,
        criterion=criterion,
        scores=scores,
        best_n_components=int(best.n_components),
        best_estimator=best,
    )
