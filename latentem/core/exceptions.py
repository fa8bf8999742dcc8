"""Warnings and exceptions raised by latentem."""

from __future__ import annotations

import sys

__all__ = ["ConvergenceWarning", "NotFittedError", "ObjectiveDecreaseWarning", "not_fitted_error"]


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the objective met the tolerance.

    Examples
    --------
    >>> import warnings
    >>> from latentem import ConvergenceWarning
    >>> issubclass(ConvergenceWarning, UserWarning)
    True
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
    ...     print(str(error).split(";")[0])
    This GaussianMixture is not fitted yet
    """


_interoperable: dict[type, type] = {}


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
    sklearn_exceptions = sys.modules.get("sklearn.exceptions")
    peer = getattr(sklearn_exceptions, "NotFittedError", None)
    if peer is None:
        return NotFittedError(message)
    if peer not in _interoperable:
        _interoperable[peer] = type("NotFittedError", (NotFittedError, peer), {})
    return _interoperable[peer](message)
