"""The generic EM engine: one loop for every :class:`~latentem.LatentModel`."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
from attrs import Factory, field, frozen

from latentem.core.acceleration import PlainEM, Point, Stepping
from latentem.core.acceleration import accelerate as parse_accelerate
from latentem.core.data import Chunks, DataSource, InMemory, as_source
from latentem.core.exceptions import ObjectiveDecreaseWarning, convergence_warning
from latentem.core.model import LatentModel
from latentem.core.sources import check_chunk_size
from latentem.core.validation import check_float, check_int, check_numbers, readonly_array

__all__ = ["EM", "EMResult", "expected_statistics"]

Callback = Callable[[int, float, LatentModel], Any]


@frozen
class EMResult:
    """What :meth:`EM.fit` returns.

    Attributes
    ----------
    model : LatentModel
        The model after the last M-step.
    history : ndarray of shape (n_iter,)
        The objective ``stats.log_likelihood + model.log_prior()`` of every
        iteration, evaluated at the parameters *before* that iteration's
        M-step (so ``history[-1]`` is a lower bound on the objective of
        ``model``). Read-only. With acceleration it holds the objective of
        every kept point (EM steps and accepted extrapolations), in order;
        with :class:`~latentem.Squarem` it decreases only where plain EM
        would (see its Notes), and if it ended below a point the fit
        evaluated, that best point is kept again as the last entry and is
        ``model``.
    n_iter : int
        Number of iterations: M-steps taken from kept points, the length of
        ``history``.
    converged : bool
        True only if the change of the objective per sample fell below
        ``tol``; never true merely because ``max_iter`` ran out.
    n_samples : int
        Number of samples the engine counted in the data.
    n_estep : int
        E-steps spent, rejected extrapolations included (``n_iter`` for
        plain EM).

    Examples
    --------
    >>> import numpy as np, latentem
    >>> X = np.random.default_rng(0).normal(size=(200, 2))
    >>> model = latentem.GaussianMixtureModel.from_data(X, n_components=1)
    >>> result = latentem.EM(max_iter=5).fit(model, X)
    >>> result.n_iter, result.converged
    (2, True)
    """

    model: LatentModel
    history: np.ndarray = field(converter=lambda value: readonly_array(value, name="history"))
    n_iter: int
    converged: bool
    n_samples: int = 0
    n_estep: int = field(default=Factory(lambda self: self.n_iter, takes_self=True))

    @property
    def objective(self) -> float:
        """The last objective in :attr:`history` (``-inf`` if no iteration ran)."""
        return float(self.history[-1]) if self.history.size else -math.inf


def _check_callbacks(value: Any) -> tuple[Callback, ...]:
    if value is None:
        return ()
    if callable(value):
        return (value,)
    callbacks = tuple(value)
    for callback in callbacks:
        if not callable(callback):
            raise TypeError(
                "callbacks must be callables taking (iteration, objective, model); "
                f"got {callback!r}"
            )
    return callbacks


def _check_history(history: Any) -> list[float]:
    """The objectives of an earlier run, as a list of floats (``EM.fit(history=...)``)."""
    values = check_numbers(history, "history")
    if values.ndim != 1:
        raise ValueError(
            f"history must be 1-D, one objective per iteration; got shape {values.shape}"
        )
    return [float(value) for value in values]


def expected_statistics(model: LatentModel, source: DataSource) -> tuple[Any, int]:
    """Run the E-step over every chunk of ``source`` and add the statistics.

    Returns
    -------
    stats : Statistics
        The sum of the chunks' statistics.
    n_samples : int
        Number of samples counted over the chunks.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> X = np.random.default_rng(0).normal(size=(100, 1))
    >>> model = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0)
    >>> stats, n_samples = expected_statistics(model, latentem.Chunks([X[:30], X[30:]]))
    >>> n_samples, bool(np.isclose(stats.log_likelihood, model.log_likelihood(X)))
    (100, True)
    """
    return source.sum_over_chunks(model.e_step)


class _Evaluator:
    """E-steps at given parameters, counted against the fit's budget."""

    def __init__(self, source: DataSource, budget: int) -> None:
        self.source = source
        self.budget = budget
        self.n_estep = 0
        self.n_samples = 0
        self.best: Point | None = None  # the highest objective of every point evaluated

    @property
    def remaining(self) -> int:
        return self.budget - self.n_estep

    def __call__(self, model: LatentModel) -> Point:
        self.n_estep += 1
        stats, n_samples = expected_statistics(model, self.source)
        self.n_samples = n_samples
        objective = float(stats.log_likelihood) + float(model.log_prior())
        next_model = model.m_step(stats) if math.isfinite(objective) else None
        point = Point(model, stats, objective, next_model, n_samples)
        if next_model is not None and (self.best is None or objective > self.best.objective):
            self.best = point
        return point

    def attempt(self, make_model: Callable[[], LatentModel]) -> Point | None:
        """The point of parameters that may be invalid; None if they are."""
        with np.errstate(all="ignore"):
            try:
                point = self(make_model())
            except (ValueError, ArithmeticError):
                return None
        return point if point.next_model is not None else None


@frozen
class EM:
    """Expectation-maximization for any :class:`~latentem.LatentModel`.

    Parameters
    ----------
    max_iter : int, default=100
        Maximum number of iterations (M-steps). 0 returns the model unchanged.
    tol : float, default=1e-3
        Convergence threshold on the change of the objective *per sample*
        between two iterations (scikit-learn's convention). 0 runs exactly
        ``max_iter`` iterations.
    callbacks : callable or sequence of callables, default=()
        Each is called after every M-step as ``callback(iteration, objective,
        model)`` with the 1-based iteration number, the objective evaluated
        at the start of the iteration, and the new model.
    verbose : int, default=0
        If positive, print one progress line per iteration.
    convergence_warning : bool, default=True
        Warn with :class:`~latentem.ConvergenceWarning` when ``max_iter`` runs
        out. A caller that judges several fits (a front class's restarts)
        turns it off and warns about the one it keeps, instead of changing
        the process-wide warning filters, which other threads share.
    decrease_rtol : float or None, default=1e-9
        A drop of the objective larger than this, relative to its size (or
        to 1 for an objective of size below 1),
        raises :class:`~latentem.ObjectiveDecreaseWarning`. None: no warning,
        for a caller that judges the history itself
        (:func:`~latentem.testing.assert_monotone`).
    chunk_size : int, optional
        Rows per chunk for array data (see
        :func:`~latentem.core.data.as_source`). By default a ``np.memmap`` or
        other out-of-core array is read in chunks of about 16 MiB and an
        in-memory array is one chunk; a dask array is processed block by
        block by dask.
    accelerate : None, "squarem" or Stepping, default=None
        ``"squarem"`` (or a :class:`~latentem.Squarem` with its own step
        settings) extrapolates EM steps; the model must implement
        ``to_vector`` and ``from_vector``.

    Notes
    -----
    A model may offer ``prepare(data)`` (see :class:`~latentem.LatentModel`):
    data held in memory (an array, or a :class:`~latentem.Chunks` list of
    in-memory chunks) is then prepared once per fit, and the prepared objects
    are what every E-step receives. Chunks read afresh on every E-step (a
    function, files, a cluster) are prepared by the E-steps.

    Iteration ``t`` computes ``stats = model.e_step(data)`` (summed over the
    chunks of the data), records the objective ``stats.log_likelihood +
    model.log_prior()`` and replaces the model by ``model.m_step(stats)``.
    The fit stops once ``|objective_t - objective_{t-1}| / n_samples < tol``
    or after ``max_iter`` iterations, warning with
    :class:`~latentem.ConvergenceWarning` in the second case.

    With ``accelerate``, ``max_iter`` bounds the E-steps spent (rejected
    extrapolations included), ``history`` holds the objective of every kept
    point and the convergence test applies to EM steps only: the fit stops
    when an EM step from a kept point changes the objective per sample by
    less than ``tol``, as plain EM does. A stepping that
    :attr:`~latentem.core.acceleration.Stepping.keeps_best` (SQUAREM) never
    ends below the best point it kept: when an EM step lowered the
    objective (``reg_covar > 0``, see :class:`~latentem.Squarem`) and the
    fit never climbed back above the best point by the end, that point is
    kept once more (one more ``history`` entry and callback, no E-step)
    and returned as it is, not its EM image; the same holds for a better
    point the stepping evaluated but did not keep. Plain EM returns its last
    step, as scikit-learn does.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(-3, 1, (100, 1)), rng.normal(3, 1, (100, 1))])
    >>> start = latentem.GaussianMixtureModel.from_parameters(
    ...     weights=[0.5, 0.5], means=[[-1.0], [1.0]], covariances=[[[1.0]], [[1.0]]])
    >>> result = latentem.EM(tol=1e-8).fit(start, X)
    >>> np.round(result.model.means.ravel(), 2)
    array([-2.92,  2.95])
    >>> bool(np.all(np.diff(result.history) >= 0))
    True
    """

    max_iter: int = field(default=100, converter=lambda v: check_int(v, "max_iter", minimum=0))
    tol: float = field(default=1e-3, converter=lambda v: check_float(v, "tol", minimum=0.0))
    callbacks: tuple[Callback, ...] = field(default=(), converter=_check_callbacks, kw_only=True)
    verbose: int = field(default=0, converter=int, kw_only=True)
    convergence_warning: bool = field(default=True, converter=bool, kw_only=True)
    decrease_rtol: float | None = field(
        default=1e-9,
        converter=lambda v: None if v is None else check_float(v, "decrease_rtol", minimum=0.0),
        kw_only=True,
    )
    chunk_size: int | None = field(default=None, converter=check_chunk_size, kw_only=True)
    accelerate: Stepping = field(default=None, converter=parse_accelerate, kw_only=True)

    def fit(
        self,
        model: LatentModel,
        data: Any,
        *,
        history: Sequence[float] | None = None,
        previous_objective: float | None = None,
    ) -> EMResult:
        """Fit ``model`` to ``data`` by EM.

        Parameters
        ----------
        model : LatentModel
            The starting parameters.
        data : object
            Whatever the model's ``e_step`` accepts, a
            :class:`~latentem.core.data.DataSource` of chunks, a
            ``np.memmap`` or other out-of-core array (read in chunks), or a
            dask array (its blocks' statistics computed by dask).
        history : sequence of float, optional
            The history of an earlier run that stopped at ``model`` (for
            instance a checkpoint). The fit continues its iteration count and
            convergence test, so resuming ends exactly where an uninterrupted
            fit ends.
        previous_objective : float, optional
            The final objective of an earlier fit that ended at ``model``,
            possibly on other data (scikit-learn's ``warm_start``). It only
            seeds the first iteration's convergence test: it is not part of
            ``history`` and a drop from it is no warning.

        Returns
        -------
        EMResult
        """
        if not isinstance(model, LatentModel):
            raise TypeError(
                f"model must be a latentem.LatentModel; got {type(model).__name__}. "
                "Subclass LatentModel and implement e_step, m_step and log_likelihood"
            )
        self.accelerate.check_model(model)
        source = as_source(data, self.chunk_size)
        prepare = getattr(model, "prepare", None)
        # once per fit, for every E-step; not a subclass of the caller's, which may do more
        if callable(prepare) and type(source) in (InMemory, Chunks):
            source = source.prepared_by(prepare)
        objectives = [] if history is None else _check_history(history)
        if previous_objective is not None:
            previous_objective = check_float(previous_objective, "previous_objective")
        evaluate = _Evaluator(source, budget=self.max_iter - len(objectives))
        converged = False
        start = time.perf_counter()
        last: Point | None = None
        for point in self.accelerate.points(model, evaluate):
            iteration = len(objectives) + 1
            objective = point.objective
            self._check_objective(objective, iteration, point.model)
            previous = objectives[-1] if objectives else previous_objective
            if objectives:
                self._check_decrease(objectives[-1], objective, iteration, point.model)
            objectives.append(objective)
            model = cast(LatentModel, point.next_model)  # finite objective: the M-step ran
            last = point
            change = (
                math.inf
                if previous is None or not point.em_step
                else (objective - previous) / max(point.n_samples, 1)
            )
            if self.verbose:
                elapsed = time.perf_counter() - start
                kind = "" if point.em_step else "  (extrapolated)"
                print(
                    f"EM iteration {iteration:4d}  objective {objective: .10e}  "
                    f"change/sample {change: .3e}  {elapsed:8.3f}s{kind}",
                    flush=True,
                )
            for callback in self.callbacks:
                callback(iteration, objective, model)
            if abs(change) < self.tol:
                converged = True
                break
        best = evaluate.best
        if (
            self.accelerate.keeps_best
            and best is not None
            and last is not None
            and self._dropped(best.objective, last.objective)
        ):
            # the fit ended below a point it evaluated (an EM step lowered the objective
            # and never climbed back): that point is kept again and returned as it is
            model = best.model
            objectives.append(best.objective)
            if self.verbose:
                print(
                    f"EM iteration {len(objectives):4d}  objective {best.objective: .10e}  "
                    "(the best point, kept again)",
                    flush=True,
                )
            for callback in self.callbacks:
                callback(len(objectives), best.objective, model)
        if self.verbose:
            state = "converged" if converged else "stopped at max_iter without converging"
            print(
                f"EM {state} after {len(objectives)} iterations ({evaluate.n_estep} E-steps)",
                flush=True,
            )
        if not converged and self.max_iter > 0 and self.convergence_warning:
            spent = "iterations" if isinstance(self.accelerate, PlainEM) else "E-steps"
            warnings.warn(
                f"EM did not converge in max_iter={self.max_iter} {spent}: the objective "
                f"per sample still changed by more than tol={self.tol:g}. Increase max_iter "
                "or tol, or start from better parameters",
                convergence_warning(),
                stacklevel=2,
            )
        return EMResult(
            model=model,
            history=np.asarray(objectives, dtype=float),
            n_iter=len(objectives),
            converged=converged,
            n_samples=evaluate.n_samples,
            n_estep=evaluate.n_estep,
        )

    @staticmethod
    def _check_objective(objective: float, iteration: int, model: LatentModel) -> None:
        if not math.isfinite(objective):
            raise ValueError(
                f"the EM objective is {objective} at iteration {iteration}: "
                f"{type(model).__name__}.e_step returned a non-finite log_likelihood. "
                "Check the data for NaN or infinite values, and the parameters for "
                "degenerate values (zero variances, zero probabilities of observed data)"
            )

    def _dropped(self, previous: float, objective: float) -> bool:
        """Whether ``objective`` is below ``previous`` by more than ``decrease_rtol`` allows."""
        # an objective near 0 (data of probability ~1) is rounded in absolute terms
        scale = max(abs(previous), abs(objective), 1.0)
        return previous - objective > (self.decrease_rtol or 0.0) * scale

    def _check_decrease(
        self, previous: float, objective: float, iteration: int, model: LatentModel
    ) -> None:
        drop = previous - objective
        scale = max(abs(previous), abs(objective), 1.0)
        if self.decrease_rtol is not None and self._dropped(previous, objective):
            warnings.warn(
                f"EM objective decreased at iteration {iteration}: {previous:.12g} -> "
                f"{objective:.12g} (relative drop {drop / scale:.3g}). The M-step of "
                f"{type(model).__name__} does not maximise the expected complete-data "
                "objective, or its statistics do not match its log_likelihood "
                "(a regularisation such as reg_covar > 0 also breaks the guarantee)",
                ObjectiveDecreaseWarning,
                stacklevel=3,
            )
