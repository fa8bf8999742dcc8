"""Warnings and exceptions raised by latentem."""

from __future__ import annotations

import sys
from types import FrameType

__all__ = [
    "ConvergenceWarning",
    "DegenerateFitWarning",
    "NotFittedError",
    "ObjectiveDecreaseWarning",
    "convergence_warning",
    "not_fitted_error",
    "user_stacklevel",
]


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the objective met the tolerance.

    A filter on scikit-learn's ``sklearn.exceptions.ConvergenceWarning`` catches
    it too. The rule: latentem never imports scikit-learn (that would double
    the time of ``import latentem``), so each warning is issued as a subclass
    of both classes whenever ``sklearn.exceptions`` is already imported when
    it is issued -- as it is in any program that names scikit-learn's class in
    a filter or a ``pytest.warns``. Filters on this class always catch it.

    Examples
    --------
    >>> import warnings
    >>> from latentem import ConvergenceWarning
    >>> issubclass(ConvergenceWarning, UserWarning)
    True
    >>> from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("ignore", SklearnConvergenceWarning)
    ...     warnings.warn("did not converge", convergence_warning())
    >>> caught
    []
    """


class ObjectiveDecreaseWarning(UserWarning):
    """The EM objective went down between two iterations.

    EM never decreases ``stats.log_likelihood + model.log_prior()``; a drop
    beyond rounding means the M-step is not a maximiser of the expected
    complete-data objective, or the E-step's statistics do not match the
    model's likelihood. This is the warning research code needs while a new
    model is being written.

    Examples
    --------
    >>> from latentem import ObjectiveDecreaseWarning
    >>> issubclass(ObjectiveDecreaseWarning, UserWarning)
    True
    """


class DegenerateFitWarning(UserWarning):
    """A fit went through a degenerate point, or ended on one that a floor props up.

    For example a hidden state whose covariance collapsed (the M-step gave a
    matrix that is not positive definite) had its eigenvalues raised to
    ``min_covar``; or a :class:`~latentem.GaussianMixture` component ended
    with a covariance that has a direction of variance at most twice
    ``reg_covar``, so that ``reg_covar``, not the data, sets it and its
    likelihood (see ``degenerate_components_``). The message names the state
    or component and what to change so that the rule is not needed.

    Examples
    --------
    >>> from latentem import DegenerateFitWarning
    >>> issubclass(DegenerateFitWarning, UserWarning)
    True
    """


class NotFittedError(ValueError, AttributeError):
    """A front class was used before ``fit``.

    It subclasses both ``ValueError`` and ``AttributeError``, as
    scikit-learn's own ``NotFittedError`` does.

    Examples
    --------
    >>> from latentem import GaussianMixture, NotFittedError
    >>> try:
    ...     GaussianMixture().predict([[0.0]])
    ... except NotFittedError as error:
    ...     print(str(error).split(".")[0])
    This GaussianMixture instance is not fitted yet
    """


_interoperable: dict[tuple[type, type], type] = {}


def _with_peer(ours: type, module: str, name: str) -> type:
    """``ours``, or a subclass of ``ours`` and of ``module.name`` when that module is loaded."""
    peer = getattr(sys.modules.get(module), name, None)
    if not isinstance(peer, type) or issubclass(ours, peer):
        return ours
    key = (ours, peer)
    if key not in _interoperable:
        _interoperable[key] = type(ours.__name__, (ours, peer), {"__module__": ours.__module__})
    return _interoperable[key]


def convergence_warning() -> type[ConvergenceWarning]:
    """The category to warn with: :class:`ConvergenceWarning`, also scikit-learn's when loaded.

    See :class:`ConvergenceWarning` for the rule.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("did not converge", convergence_warning())
    >>> issubclass(caught[0].category, ConvergenceWarning)
    True
    """
    return _with_peer(ConvergenceWarning, "sklearn.exceptions", "ConvergenceWarning")


def not_fitted_error(message: str) -> NotFittedError:
    """A :class:`NotFittedError`, also scikit-learn's ``NotFittedError`` when that is loaded.

    latentem never imports scikit-learn, but code that already uses it (its
    ``check_is_fitted``, its estimator checks) catches its own class; when
    ``sklearn.exceptions`` is imported the error subclasses both.

    Examples
    --------
    >>> from latentem.core.exceptions import not_fitted_error
    >>> isinstance(not_fitted_error("not fitted"), NotFittedError)
    True
    """
    return _with_peer(NotFittedError, "sklearn.exceptions", "NotFittedError")(message)


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning given by the caller name the user's line.

    The first frame outside latentem, however deep the call: the user's
    ``predict(X)`` rather than the check inside it.
    """
    level = 1
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "latentem":
        level, frame = level + 1, frame.f_back
    return level
