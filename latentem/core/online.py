"""Online (stepwise) EM: one pass over a stream of batches that is never held whole."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from attrs import evolve, field, frozen

from latentem.core.data import as_source
from latentem.core.engine import expected_statistics
from latentem.core.model import LatentModel
from latentem.core.stats import scale_statistics
from latentem.core.validation import check_float

__all__ = ["OnlineEM", "OnlineState"]


def _check_decay(value: Any) -> float:
    value = check_float(value, "learning_decay")
    if not 0.5 < value <= 1.0:
        raise ValueError(
            f"learning_decay must be in (0.5, 1] so that the step sizes rho_t = "
            f"(t + learning_offset)^-learning_decay sum to infinity while their squares "
            f"do not (Robbins-Monro); got {value}"
        )
    return value


@frozen(eq=False)
class OnlineState:
    """Where an online EM run stands after some batches.

    Attributes
    ----------
    model : LatentModel
        The parameters after the last batch.
    statistics : Statistics or None
        The running statistics, normalised to one sample; None before the
        first batch.
    n_batches : int
        Batches seen.
    n_samples : int
        Samples seen.
    objective : float
        The objective per sample of the last batch at the parameters
        *before* its update (``nan`` before the first batch).
    mean_objective : float
        The same, averaged over every sample seen: an honest running
        estimate of the fit, since each batch is scored before it is learnt
        from ("progressive validation").

    Examples
    --------
    >>> import numpy as np, latentem
    >>> start = latentem.GaussianMixtureModel([1.0], [[0.0]], [[[1.0]]])
    >>> state = latentem.OnlineEM().update(start, np.array([[1.0], [3.0]]))
    >>> state.n_batches, state.n_samples, state.model.means
    (1, 2, array([[2.]]))
    """

    model: LatentModel
    statistics: Any = None
    n_batches: int = 0
    n_samples: int = 0
    objective: float = math.nan
    mean_objective: float = math.nan


@frozen(kw_only=True)
class OnlineEM:
    """Stepwise EM over a stream of batches (Cappé & Moulines 2009; Liang & Klein 2009).

    Parameters
    ----------
    learning_decay : float, default=0.6
        ``kappa`` in the step size ``rho_t = (t + t0)^-kappa``; in (0.5, 1].
    learning_offset : float, default=0.0
        ``t0 >= 0``; larger values make the early batches count less.

    Notes
    -----
    With ``s_bar_t`` the statistics of batch ``t`` (1-based) at the current
    parameters, divided by its number of samples, the running statistics are

        s_1 = s_bar_1,    s_t = (1 - rho_t) s_{t-1} + rho_t s_bar_t,
        rho_t = (t + t0)^-kappa,

    and after each batch the parameters become the M-step of ``s_t`` scaled
    back to the samples seen so far (which matters only for models with a
    prior). ``kappa = 1, t0 = 0`` averages the batches' statistics
    equally; ``0.5 < kappa <= 1`` is the Robbins-Monro condition under which
    stepwise EM converges to a stationary point of the likelihood.

    The statistics must have ``scale(factor)`` (the statistics of the same
    rows with every weight multiplied by ``factor``); ``+`` of two scaled
    statistics gives the mixture of both. :class:`~latentem.GaussianMixtureModel`,
    :class:`~latentem.Mixture` and every built-in family have it, so
    ``OnlineEM().update(state, batch)`` is the ``partial_fit`` of any of them.
    Shuffle a stream whose order follows the latent classes: online EM
    assumes the batches are exchangeable.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> rng = np.random.default_rng(0)
    >>> batches = (np.concatenate([rng.normal(-3, 1, (50, 1)), rng.normal(3, 1, (50, 1))])
    ...            for _ in range(200))  # a one-shot stream
    >>> start = latentem.GaussianMixtureModel.from_parameters(
    ...     [0.5, 0.5], [[-1.0], [1.0]], [[[1.0]], [[1.0]]])
    >>> state = latentem.OnlineEM().fit(start, batches)
    >>> state.n_batches, state.n_samples
    (200, 20000)
    >>> np.round(np.sort(state.model.means.ravel()), 1)
    array([-3.,  3.])
    """

    learning_decay: float = field(default=0.6, converter=_check_decay)
    learning_offset: float = field(
        default=0.0, converter=lambda v: check_float(v, "learning_offset", minimum=0.0)
    )

    def step_size(self, t: int) -> float:
        """``rho_t`` for batch ``t`` (1-based); the first batch has step 1."""
        if t <= 1:
            return 1.0
        return float((t + self.learning_offset) ** -self.learning_decay)

    def update(self, state: OnlineState | LatentModel, batch: Any) -> OnlineState:
        """Learn from one more batch.

        Parameters
        ----------
        state : OnlineState or LatentModel
            The run so far, or a model to start a run from.
        batch : object
            Data the model's ``e_step`` accepts (or a data source of chunks).

        Returns
        -------
        OnlineState
        """
        if isinstance(state, LatentModel):
            state = OnlineState(state)
        if not isinstance(state, OnlineState):
            raise TypeError(
                "state must be an OnlineState from an earlier update or a latentem.LatentModel "
                f"to start from; got {type(state).__name__}"
            )
        model = state.model
        stats, n_samples = expected_statistics(model, as_source(batch))
        if n_samples <= 0:
            raise ValueError("the batch has no samples; pass batches with at least one row")
        objective = (float(stats.log_likelihood) + float(model.log_prior())) / n_samples
        if not math.isfinite(objective):
            raise ValueError(
                f"the objective of batch {state.n_batches + 1} is {objective}: check it for "
                "NaN or infinite values"
            )
        mean = scale_statistics(stats, 1.0 / n_samples)
        t = state.n_batches + 1
        if state.statistics is None:
            running = mean
        else:
            rho = self.step_size(t)
            running = scale_statistics(state.statistics, 1.0 - rho) + scale_statistics(mean, rho)
        seen = state.n_samples + n_samples
        return evolve(
            state,
            model=model.m_step(scale_statistics(running, float(seen))),
            statistics=running,
            n_batches=t,
            n_samples=seen,
            objective=objective,
            mean_objective=objective
            if state.n_samples == 0
            else state.mean_objective + (objective - state.mean_objective) * n_samples / seen,
        )

    def fit(self, model: LatentModel | OnlineState, batches: Iterable[Any]) -> OnlineState:
        """One pass over ``batches`` (any iterable, one-shot iterators included)."""
        state = model if isinstance(model, OnlineState) else OnlineState(model)
        for batch in batches:
            state = self.update(state, batch)
        if state.n_batches == 0:
            raise ValueError("batches yielded nothing; pass at least one batch")
        return state
