"""Warnings and exceptions raised by latentem."""

from __future__ import annotations

__all__ = ["ConvergenceWarning", "NotFittedError", "ObjectiveDecreaseWarning"]


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
