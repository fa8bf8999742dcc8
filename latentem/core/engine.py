"""The generic EM engine: one loop for every :class:`~latentem.LatentModel`."""

from __future__ import annotations

import functools
import math
import operator
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from attrs import field, frozen

from latentem.core.data import DataSource, as_source, count_samples
from latentem.core.exceptions import ConvergenceWarning, ObjectiveDecreaseWarning
from latentem.core.model import LatentModel
from latentem.core.validation import check_float, check_int, readonly_array

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
        ``model``). Read-only.
    n_iter : int
        Number of M-steps taken.
    converged : bool
        True only if the change of the objective per sample fell below
        ``tol``; never true merely because ``max_iter`` ran out.
    n_samples : int
        Number of samples the engine counted in the data.

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
    history: np.ndarray = field(converter=readonly_array)
    n_iter: int
    converged: bool
    n_samples: int = 0

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
    n_samples = 0

    def visit(chunk: Any) -> Any:
        nonlocal n_samples
        n_samples += count_samples(chunk)
        return model.e_step(chunk)

    stats = functools.reduce(operator.add, map(visit, source.iter_chunks()))
    return stats, n_samples


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
    decrease_rtol : float, default=1e-9
        A drop of the objective larger than this, relative to its size,
        raises :class:`~latentem.ObjectiveDecreaseWarning`.

    Notes
    -----
    Iteration ``t`` computes ``stats = model.e_step(data)`` (summed over the
    chunks of the data), records the objective ``stats.log_likelihood +
    model.log_prior()`` and replaces the model by ``model.m_step(stats)``.
    The fit stops once ``|objective_t - objective_{t-1}| / n_samples < tol``
    or after ``max_iter`` iterations, warning with
    :class:`~latentem.ConvergenceWarning` in the second case.

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
    decrease_rtol: float = field(
        default=1e-9, converter=lambda v: check_float(v, "decrease_rtol", minimum=0.0), kw_only=True
    )

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
            Whatever the model's ``e_step`` accepts, or a
            :class:`~latentem.core.data.DataSource` of chunks.
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
        source = as_source(data)
        objectives = [float(value) for value in (() if history is None else history)]
        converged = False
        n_samples = 0
        start = time.perf_counter()
        while len(objectives) < self.max_iter:
            iteration = len(objectives) + 1
            stats, n_samples = expected_statistics(model, source)
            objective = float(stats.log_likelihood) + float(model.log_prior())
            self._check_objective(objective, iteration, model)
            previous = objectives[-1] if objectives else previous_objective
            if objectives:
                self._check_decrease(objectives[-1], objective, iteration, model)
            objectives.append(objective)
            model = model.m_step(stats)
            change = math.inf if previous is None else (objective - previous) / max(n_samples, 1)
            if self.verbose:
                elapsed = time.perf_counter() - start
                print(
                    f"EM iteration {iteration:4d}  objective {objective: .10e}  "
                    f"change/sample {change: .3e}  {elapsed:8.3f}s",
                    flush=True,
                )
            for callback in self.callbacks:
                callback(iteration, objective, model)
            if abs(change) < self.tol:
                converged = True
                break
        if self.verbose:
            state = "converged" if converged else "stopped at max_iter without converging"
            print(f"EM {state} after {len(objectives)} iterations", flush=True)
        if not converged and self.max_iter > 0:
            warnings.warn(
                f"EM did not converge in max_iter={self.max_iter} iterations: the objective "
                f"per sample still changed by more than tol={self.tol:g}. Increase max_iter "
                "or tol, or start from better parameters",
                ConvergenceWarning,
                stacklevel=2,
            )
        return EMResult(
            model=model,
            history=np.asarray(objectives, dtype=float),
            n_iter=len(objectives),
            converged=converged,
            n_samples=n_samples,
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

    def _check_decrease(
        self, previous: float, objective: float, iteration: int, model: LatentModel
    ) -> None:
        drop = previous - objective
        scale = max(abs(previous), abs(objective), 1e-300)
        if drop > self.decrease_rtol * scale:
            warnings.warn(
                f"EM objective decreased at iteration {iteration}: {previous:.12g} -> "
                f"{objective:.12g} (relative drop {drop / scale:.3g}). The M-step of "
                f"{type(model).__name__} does not maximise the expected complete-data "
                "objective, or its statistics do not match its log_likelihood "
                "(a regularisation such as reg_covar > 0 also breaks the guarantee)",
                ObjectiveDecreaseWarning,
                stacklevel=3,
            )
