"""The scikit-learn estimator protocol, implemented without importing scikit-learn."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from latentem.core.engine import EM, EMResult
from latentem.core.exceptions import convergence_warning, not_fitted_error
from latentem.core.model import LatentModel
from latentem.core.parallel import parallel_map
from latentem.core.validation import check_array

__all__ = ["Estimator", "fit_best_start"]


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


class Estimator:
    """Base of the front classes: parameters, cloning, tags and fitted checks.

    Constructor arguments are stored unchanged (as scikit-learn requires) and
    validated in ``fit``. Attributes learnt by ``fit`` end with an underscore.

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

    def _check_predict_X(self, X: Any, *, allow_nan: bool = False) -> np.ndarray:
        """Validate data given after fitting: fitted, numeric, and of the fitted width."""
        self._check_fitted()
        X = check_array(X, allow_nan=allow_nan)
        expected = getattr(self, "n_features_in_", X.shape[1])
        if X.shape[1] != expected:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{expected} features as input"
            )
        return X
