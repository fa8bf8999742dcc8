"""How the engine steps from one point to the next: plain EM, or SQUAREM extrapolation.

A stepping strategy yields the *kept* points of a fit, each with its E-step
already done; :class:`~latentem.EM` records them, tests convergence and stops.
Plain EM keeps every point, each one EM step after the last; :class:`Squarem`
also tries extrapolated points and keeps one only if it does not lower the
objective.
"""

from __future__ import annotations

import abc
import functools
import math
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Protocol, cast, runtime_checkable

import numpy as np
from attrs import field, frozen

from latentem.core.model import LatentModel
from latentem.core.validation import check_float

__all__ = [
    "ACCELERATIONS",
    "PlainEM",
    "Point",
    "Squarem",
    "Stepping",
    "Vectorizable",
    "accelerate",
]


@runtime_checkable
class Vectorizable(Protocol):
    """The optional protocol a model implements to be accelerated.

    ``to_vector()`` returns the parameters as a 1-D float array and
    ``from_vector(vector)`` returns a new model of the same structure from
    such a vector; ``m.from_vector(m.to_vector())`` equals ``m`` to rounding.
    Extrapolation works best in coordinates in which the EM map is close to
    linear (for mixtures, the natural parameters: weights, means,
    covariances). ``from_vector`` raises ``ValueError`` for a vector outside
    the parameter space (a negative weight, an indefinite covariance);
    SQUAREM then rejects that step. An unconstrained parametrisation, where
    every vector is valid, works too.

    Examples
    --------
    >>> import latentem
    >>> model = latentem.GaussianMixtureModel([1.0], [[0.0, 1.0]], [[[2.0, 0.5], [0.5, 1.0]]])
    >>> isinstance(model, Vectorizable), model.to_vector()
    (True, array([1. , 0. , 1. , 2. , 0.5, 1. ]))
    """

    def to_vector(self) -> np.ndarray: ...

    def from_vector(self, vector: np.ndarray) -> LatentModel: ...


@frozen(eq=False)
class Point:
    """Parameters with their E-step done.

    Attributes
    ----------
    model : LatentModel
        The parameters the E-step ran at.
    stats : Statistics
        Its statistics.
    objective : float
        ``stats.log_likelihood + model.log_prior()``.
    next_model : LatentModel or None
        ``model.m_step(stats)``: the model one EM step after ``model`` (None
        when the objective is not finite).
    n_samples : int
        Samples counted by the E-step.
    em_step : bool
        True when ``model`` is the ``next_model`` of the point kept before it, so
        the change of objective between the two is an EM step's change (the
        convergence test uses only those).
    """

    model: LatentModel
    stats: Any
    objective: float
    next_model: LatentModel | None
    n_samples: int
    em_step: bool = True


class Evaluator(Protocol):
    """What a stepping strategy is given: E-steps, counted against a budget."""

    @property
    def remaining(self) -> int: ...

    def __call__(self, model: LatentModel) -> Point: ...

    def attempt(self, make_model: Callable[[], LatentModel]) -> Point | None: ...


class Stepping(abc.ABC):
    """A way of stepping through parameters; see :class:`PlainEM` and :class:`Squarem`.

    :meth:`points` receives the starting model and an evaluator (``evaluate(model)`` runs
    an E-step and returns a :class:`Point`; ``evaluate.remaining`` is the E-step budget
    left) and yields the points the fit keeps; the engine records them, tests
    convergence and stops pulling when it has converged.

    Examples
    --------
    A stepping that keeps every other EM step (the E-step in between is spent, not kept):

    >>> import numpy as np, latentem
    >>> class EveryOther(Stepping):
    ...     name = "every other"
    ...     def points(self, model, evaluate):
    ...         point = evaluate(model)
    ...         yield point
    ...         while evaluate.remaining >= 2:
    ...             point = evaluate(evaluate(point.next_model).next_model)
    ...             yield point
    >>> X = np.random.default_rng(0).normal(size=(50, 1))
    >>> start = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0)
    >>> result = latentem.EM(max_iter=500, tol=1e-6, accelerate=EveryOther()).fit(start, X)
    >>> result.converged, result.n_estep == 2 * result.n_iter - 1
    (True, True)
    """

    name: ClassVar[str]
    #: Whether :class:`~latentem.EM` returns the best kept point when the objective ended
    #: below it; plain EM returns its last step, as scikit-learn does.
    keeps_best: ClassVar[bool] = False

    def check_model(self, model: LatentModel) -> None:  # noqa: B027 - most steppings take any model
        """Raise a TypeError if this stepping cannot drive ``model``."""

    @abc.abstractmethod
    def points(self, model: LatentModel, evaluate: Evaluator) -> Iterator[Point]:
        """Yield the kept points, starting with ``model``'s own, until the budget is spent."""


@frozen
class PlainEM(Stepping):
    """Every point is the ``next_model`` of the one before: one EM step after it.

    Examples
    --------
    >>> accelerate(None)
    PlainEM()
    """

    name: ClassVar[str] = "none"

    def points(self, model: LatentModel, evaluate: Evaluator) -> Iterator[Point]:
        if evaluate.remaining <= 0:
            return
        point = evaluate(model)
        while True:
            yield point
            if evaluate.remaining <= 0 or point.next_model is None:
                return
            point = evaluate(point.next_model)


def _check_step(value: Any, name: str) -> float:
    return check_float(value, name, minimum=1.0)


@frozen
class Squarem(Stepping):
    """SQUAREM: squared extrapolation of EM steps with a monotonicity safeguard.

    Parameters
    ----------
    step_max : float, default=1.0
        Initial largest step length (``step.max0`` of the R package).
    mstep : float, default=4.0
        Factor by which the largest step length grows after a step used it
        fully, and shrinks after a rejected step.

    Notes
    -----
    Varadhan & Roland (2008), scheme S3. From a kept point ``theta0`` with
    EM images ``theta1 = F(theta0)`` and ``theta2 = F(theta1)``, with
    ``u = to_vector()``, ``r = u(theta1) - u(theta0)`` and
    ``v = u(theta2) - 2 u(theta1) + u(theta0)``, the step length is
    ``alpha = |r| / |v|`` clipped to ``[1, step_max]`` and the candidate is
    ``u0 + 2 alpha r + alpha^2 v`` (``alpha = 1`` gives ``theta2`` exactly,
    a plain EM step).

    A cycle spends two E-steps: one at ``theta1`` (whose M-step gives
    ``theta2``) and one at the candidate, which also gives the candidate's
    EM image (R's "stabilisation step") for the next cycle. The candidate is
    kept only if its objective is at least that of ``theta0`` and of
    ``theta1``, and if the E-step at its EM image (the first E-step of the
    next cycle, spent at once) does not find a lower objective; otherwise
    the fit continues from ``theta1`` (whose EM image ``theta2`` is the next
    point). As in the R package SQUAREM (``squarem1`` with
    ``objfn.inc = 0``), ``step_max`` is multiplied by ``mstep`` whenever a
    kept step used it and divided by ``mstep`` (not below its initial
    value) after a rejection. A candidate that cannot be evaluated (invalid
    parameters, non-finite objective) is rejected the same way. Every
    E-step, rejected ones included, counts towards ``max_iter``.

    So an extrapolation never lowers the objective, and the kept points
    decrease only where plain EM itself would: at an EM step from a point
    EM reached by an EM step, whose M-step does not maximise the
    objective. That happens with ``reg_covar > 0`` (the M-step adds it to
    the maximising covariances; it shows when a component's variances
    come close to ``reg_covar``, as when hard assignment gives a component
    few points, missing entries included) and through rounding; with
    ``reg_covar=0`` and an exact M-step the kept objective never
    decreases. When the fit ends below a point it evaluated (kept or not:
    a candidate whose EM image fell back may be the highest),
    :class:`~latentem.EM` keeps that point again and returns it
    (:attr:`keeps_best`), so the fit never ends below any point it
    evaluated.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (300, 1)), rng.normal(1.0, 1, (300, 1))])
    >>> start = latentem.GaussianMixtureModel.from_parameters(
    ...     [0.5, 0.5], [[-0.5], [1.5]], [[[1.0]], [[1.0]]], reg_covar=0.0)
    >>> plain = latentem.EM(max_iter=5000, tol=1e-9).fit(start, X)
    >>> fast = latentem.EM(max_iter=5000, tol=1e-9, accelerate="squarem").fit(start, X)
    >>> bool(fast.n_estep * 5 < plain.n_estep), bool(fast.objective >= plain.objective)
    (True, True)
    >>> bool(np.all(np.diff(fast.history) >= 0))
    True
    """

    name: ClassVar[str] = "squarem"
    keeps_best: ClassVar[bool] = True

    step_max: float = field(default=1.0, converter=lambda v: _check_step(v, "step_max"))
    mstep: float = field(default=4.0, converter=lambda v: _check_step(v, "mstep"))

    def check_model(self, model: LatentModel) -> None:
        if not isinstance(model, Vectorizable):
            raise TypeError(
                f"accelerate='squarem' extrapolates the parameters as a vector, but "
                f"{type(model).__name__} has no to_vector() and from_vector(vector). Add "
                "to_vector() returning the parameters as an unconstrained 1-D float array and "
                "from_vector(vector) returning a new model from one (GaussianMixtureModel "
                "shows how), or use accelerate=None"
            )

    def points(self, model: LatentModel, evaluate: Evaluator) -> Iterator[Point]:
        self.check_model(model)
        if evaluate.remaining <= 0:
            return
        base = evaluate(model)
        yield base
        step_max = self.step_max
        first: Point | None = None  # base's EM image, when already evaluated
        while base.next_model is not None:
            if first is None:
                if evaluate.remaining <= 0:
                    return
                first = evaluate(base.next_model)
            yield first
            if evaluate.remaining <= 0 or first.next_model is None:
                return
            alpha, vector = self._step(base.model, first.model, first.next_model, step_max)
            if vector is None:
                # alpha = 1 is a plain EM step: kept as EM keeps it
                base, first = evaluate(first.next_model), None
                yield base
            else:
                trial, image = self._try(base, first, vector, evaluate)
                if trial is None:
                    if alpha == step_max:
                        step_max = max(self.step_max, step_max / self.mstep)
                    base, first = first, None
                    continue
                base, first = trial, image
                yield base
            if alpha == step_max:
                step_max *= self.mstep

    @staticmethod
    def _try(
        base: Point, first: Point, vector: np.ndarray, evaluate: Evaluator
    ) -> tuple[Point | None, Point | None]:
        """The extrapolated point if it is kept, and its EM image (evaluated if budget allows).

        Kept only if its objective is at least that of ``base`` and ``first``
        and, when an E-step is left for it, its EM image's objective is at
        least its own.
        """
        trial = evaluate.attempt(
            functools.partial(cast(Vectorizable, base.model).from_vector, vector)
        )
        if trial is None or trial.objective < max(base.objective, first.objective):
            return None, None
        image = None
        if evaluate.remaining > 0:
            image = evaluate(cast(LatentModel, trial.next_model))
            if image.next_model is None or not image.objective >= trial.objective:
                # EM falls back from the extrapolated point (an M-step that does not
                # maximise, e.g. reg_covar near a collapsing component): not kept
                return None, None
        kept = Point(
            trial.model,
            trial.stats,
            trial.objective,
            trial.next_model,
            trial.n_samples,
            em_step=False,
        )
        return kept, image

    @staticmethod
    def _step(
        theta0: Any, theta1: Any, theta2: Any, step_max: float
    ) -> tuple[float, np.ndarray | None]:
        """The step length and the extrapolated vector (None for ``alpha = 1``: ``theta2``)."""
        u0 = np.asarray(theta0.to_vector(), dtype=float)
        r = np.asarray(theta1.to_vector(), dtype=float) - u0
        v = np.asarray(theta2.to_vector(), dtype=float) - u0 - 2.0 * r
        sr2, sv2 = float(r @ r), float(v @ v)
        if not (math.isfinite(sr2) and math.isfinite(sv2)) or sr2 == 0.0:
            return 1.0, None
        alpha = math.sqrt(sr2 / sv2) if sv2 > 0.0 else step_max
        alpha = min(max(alpha, 1.0), step_max)
        if alpha == 1.0:
            return alpha, None
        return alpha, u0 + 2.0 * alpha * r + alpha**2 * v


ACCELERATIONS: dict[str, Stepping] = {"squarem": Squarem()}


def accelerate(value: Any) -> Stepping:
    """Parse the ``accelerate`` option: ``None``, ``"squarem"`` or a :class:`Stepping`.

    Examples
    --------
    >>> accelerate("squarem")
    Squarem(step_max=1.0, mstep=4.0)
    >>> accelerate("anderson")
    Traceback (most recent call last):
    ...
    ValueError: accelerate must be None or one of 'squarem'; got 'anderson'
    """
    if value is None:
        return PlainEM()
    if isinstance(value, Stepping):
        return value
    listed = ", ".join(repr(name) for name in ACCELERATIONS)
    if not isinstance(value, str):
        raise TypeError(
            f"accelerate must be None, one of {listed} or a latentem.Squarem(...); "
            f"got {value!r} ({type(value).__name__})"
        )
    if value not in ACCELERATIONS:
        raise ValueError(f"accelerate must be None or one of {listed}; got {value!r}")
    return ACCELERATIONS[value]
