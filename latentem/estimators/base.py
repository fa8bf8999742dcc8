"""The scikit-learn estimator protocol, implemented without importing scikit-learn."""

from __future__ import annotations

import inspect
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from latentem.core.engine import EM, EMResult
from latentem.core.exceptions import convergence_warning, not_fitted_error, user_stacklevel
from latentem.core.model import LatentModel
from latentem.core.parallel import parallel_map
from latentem.core.validation import check_array

__all__ = ["Estimator", "fit_best_start", "input_feature_names", "is_pandas"]


def fit_best_start(
    starts: Sequence[LatentModel],
    data: Any,
    engine_for: Callable[[int], EM],
    not_converged: str,
    *,
    n_jobs: int = 1,
    previous_objective: float | None = None,
    report: Callable[[int, EMResult | None], None] | None = None,
    stacklevel: int = 1,
) -> tuple[int, EMResult]:
    """Fit every start, keep the best, and warn if it did not converge.

    The one fitting driver of the front classes (mixtures and HMMs).

    Parameters
    ----------
    starts : sequence of LatentModel
        The starting models: ``n_init`` drawn ones, or a warm start's one.
    data : object
        What every start is fitted to (prepared once, shared by the starts).
    engine_for : callable
        ``engine_for(i)`` is the :class:`~latentem.EM` of start ``i``; its
        callbacks may record or print that start's iterations.
    not_converged : str
        The :class:`~latentem.ConvergenceWarning` given when the best start
        ran out of iterations (the other starts never warn).
    n_jobs : int, default=1
        Starts fitted at once, on threads.
    previous_objective : float, optional
        Seeds each start's convergence test (a warm start's last objective).
    report : callable, optional
        ``report(i, None)`` before start ``i`` and ``report(i, result)`` after
        it (verbose output).
    stacklevel : int, default=1
        Of the warning, as the caller would pass it to :func:`warnings.warn`
        (1: the caller's line).

    Returns
    -------
    index : int
        The best start; the first of equal objectives, so the choice does
        not depend on ``n_jobs``.
    result : EMResult

    Examples
    --------
    >>> import numpy as np, latentem
    >>> X = np.random.default_rng(0).normal(size=(60, 1))
    >>> starts = [latentem.GaussianMixtureModel.from_data(X, 2, random_state=i) for i in range(3)]
    >>> index, best = fit_best_start(starts, X, lambda i: latentem.EM(), "did not converge")
    >>> best.objective == max(latentem.EM().fit(s, X).objective for s in starts)
    True
    """

    def run(init: int) -> EMResult:
        if report is not None:
            report(init, None)
        engine = attrs.evolve(engine_for(init), convergence_warning=False)
        result = engine.fit(starts[init], data, previous_objective=previous_objective)
        if report is not None:
            report(init, result)
        return result

    results = parallel_map(run, range(len(starts)), n_jobs)
    best = max(range(len(starts)), key=lambda init: results[init].objective)
    if not results[best].converged and results[best].n_iter > 0:  # (max_iter=0 stops at once)
        warnings.warn(not_converged, convergence_warning(), stacklevel=stacklevel + 1)
    return best, results[best]


def is_pandas(X: Any, kind: str) -> bool:
    """Whether ``X`` is a pandas ``kind`` (never imports pandas: only if it is loaded)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(X, getattr(pandas, kind))


def input_feature_names(X: Any) -> np.ndarray | None:
    """The column names of ``X`` by scikit-learn's rule, or None.

    Only a pandas DataFrame whose column names are all strings has feature
    names; they are returned as an object array of str, as scikit-learn keeps
    ``feature_names_in_``. The index of a DataFrame is never a feature (it is
    not a column). Names of mixed types are a TypeError in scikit-learn's
    words; names that are all non-strings (the integers of a frame built from
    an array) are no names.

    Examples
    --------
    >>> input_feature_names([[1.0, 2.0]]) is None
    True
    >>> import pandas as pd  # doctest: +SKIP
    >>> input_feature_names(pd.DataFrame({"waiting": [79.0], "eruptions": [3.6]}))  # doctest: +SKIP
    array(['waiting', 'eruptions'], dtype=object)
    """
    if not is_pandas(X, "DataFrame"):
        return None
    names = np.asarray(X.columns, dtype=object)
    if len(names) == 0:
        return None
    types = sorted(t.__qualname__ for t in {type(name) for name in names})
    if len(types) > 1 and "str" in types:  # scikit-learn's wording, unchanged
        raise TypeError(
            "Feature names are only supported if all input features have string names, "
            f"but your input has {types} as feature name / column name types. "
            "If you want feature names to be stored and validated, you must convert "
            "them all to strings, by using X.columns = X.columns.astype(str) for "
            "example. Otherwise you can remove feature / column names from your input "
            "data, or convert them all to a non-string data type."
        )
    return names if types == ["str"] else None


def _listed(names: list[Any]) -> str:
    """scikit-learn's list of names in a message: ``- name`` lines, at most five."""
    lines = [f"- {name}\n" for name in names[:5]]
    return "".join(lines) + ("- ...\n" if len(names) > 5 else "")


class Estimator:
    """Base of the front classes: parameters, cloning, tags and fitted checks.

    Constructor arguments are stored unchanged (as scikit-learn requires) and
    validated in ``fit``. Attributes learnt by ``fit`` end with an underscore.

    Column names follow scikit-learn's rules: ``fit`` on a pandas DataFrame
    whose column names are all strings records them as ``feature_names_in_``
    (an object array of str; the index is never a feature), and every method
    given data afterwards checks them: other names, or the same names in
    another order, are a ValueError; data without names after a fit with names
    (a NumPy array), or the reverse, is a UserWarning, and the columns are
    then taken by position. ``n_features_in_`` is the number of columns.

    Examples
    --------
    >>> from latentem import GaussianMixture
    >>> gm = GaussianMixture(n_components=3)
    >>> gm.get_params()["n_components"]
    3
    >>> gm.set_params(covariance_type="diag")
    GaussianMixture(covariance_type='diag', n_components=3)
    """

    _estimator_type = "density_estimator"
    _allow_nan = False
    # appended to scikit-learn's NotFittedError text
    _not_fitted_advice = " Or load a fitted one with latentem.load."

    @classmethod
    def _get_param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return sorted(
            name
            for name, parameter in signature.parameters.items()
            if name != "self"
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments as a dict (nested ones as ``name__param`` if ``deep``)."""
        params = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update({f"{name}__{key}": item for key, item in value.get_params().items()})
            params[name] = value
        return params

    def set_params(self, **params: Any) -> Estimator:
        """Set constructor arguments; unknown names raise a ValueError listing the valid ones."""
        valid = self._get_param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {valid!r}."
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(type(self).__init__).parameters.items()
        }
        changed = []
        for name in self._get_param_names():
            value = getattr(self, name)
            default = defaults.get(name, inspect.Parameter.empty)
            if isinstance(value, np.ndarray) or isinstance(default, np.ndarray):
                same = False
            else:
                try:
                    same = bool(value == default) and type(value) is type(default)
                except (TypeError, ValueError):
                    same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_is_fitted__(self) -> bool:
        return any(name.endswith("_") and not name.startswith("_") for name in vars(self))

    def __sklearn_tags__(self) -> Any:
        # scikit-learn calls this, so it is importable here; latentem never needs it otherwise
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type=self._estimator_type,
            target_tags=TargetTags(required=False),
            input_tags=InputTags(allow_nan=self._allow_nan),
        )

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            # scikit-learn's wording (check_is_fitted's), then latentem's advice
            raise not_fitted_error(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator." + self._not_fitted_advice
            )

    def _set_feature_names(self, names: np.ndarray | None) -> None:
        """Record the names of a new fit (from :func:`input_feature_names`), or forget old ones."""
        if names is not None:
            self.feature_names_in_ = names
        else:
            vars(self).pop("feature_names_in_", None)

    def _check_feature_names(self, X: Any) -> None:
        """scikit-learn's check of the names of data given after a fit, with its messages.

        The ValueError adds how to reorder a DataFrame when only the order differs.
        """
        fitted = getattr(self, "feature_names_in_", None)
        given = input_feature_names(X)
        name = type(self).__name__
        if fitted is None and given is None:
            return
        if fitted is None:
            warnings.warn(
                f"X has feature names, but {name} was fitted without feature names",
                stacklevel=user_stacklevel(),
            )
            return
        if given is None:
            warnings.warn(
                f"X does not have valid feature names, but {name} was fitted with feature names",
                stacklevel=user_stacklevel(),
            )
            return
        if len(fitted) == len(given) and np.all(np.asarray(fitted) == np.asarray(given)):
            return
        message = "The feature names should match those that were passed during fit.\n"
        unexpected = sorted(set(given) - set(fitted))
        missing = sorted(set(fitted) - set(given))
        if unexpected:
            message += "Feature names unseen at fit time:\n" + _listed(unexpected)
        if missing:
            message += "Feature names seen at fit time, yet now missing:\n" + _listed(missing)
        if not missing and not unexpected:
            message += (
                "Feature names must be in the same order as they were in fit.\n"
                "Reorder the columns with X[estimator.feature_names_in_].\n"
            )
        raise ValueError(message)

    def _check_predict_X(self, X: Any, *, allow_nan: bool = False) -> np.ndarray:
        """Validate data given after fitting: fitted, named as in fit, numeric, of its width."""
        self._check_fitted()
        self._check_feature_names(X)
        X = check_array(X, allow_nan=allow_nan)
        expected = getattr(self, "n_features_in_", X.shape[1])
        if X.shape[1] != expected:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{expected} features as input"
            )
        return X
