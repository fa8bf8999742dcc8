"""Long fits lose nothing: an EM callback that saves the fit every few iterations."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from latentem.core.engine import EMResult
from latentem.core.model import LatentModel
from latentem.core.validation import check_int
from latentem.io.atomic import check_writable
from latentem.io.files import load, save

__all__ = ["Checkpoint", "load_checkpoint"]


class Checkpoint:
    """An :class:`~latentem.EM` callback saving the model and history every ``every`` iterations.

    The file is an :class:`~latentem.EMResult` written with
    :func:`latentem.save` (atomically: a crash or a kill at any moment of a
    save leaves the previous checkpoint intact, its arrays file included).
    Resume with ``EM(...).fit(saved.model, data, history=saved.history)``:
    the engine continues the iteration count and the convergence test, so
    the resumed fit ends exactly, bit for bit, where an uninterrupted fit ends.

    Parameters
    ----------
    path : str or path-like
        The checkpoint file (JSON).
    every : int, default=10
        Save after every ``every``-th iteration.
    history : sequence of float, optional
        When resuming, the history loaded from the checkpoint, so the
        checkpoints written by the resumed fit hold the whole history.

    Raises
    ------
    OSError
        If the checkpoint cannot be written there (missing or read-only
        folder, a folder at ``path``): checked when the callback is made,
        before the fit starts. The message names the file and what to do.

    Attributes
    ----------
    history : list of float
        The objective of every iteration seen so far (including the
        ``history`` given).
    last_saved : int
        The iteration of the last save (0 if none yet).

    Examples
    --------
    A fit interrupted at iteration 12 (here by a callback; in life by a
    kill or a crash) resumes from its last checkpoint, saved at iteration 10:

    >>> import numpy as np, latentem, tempfile, os
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(0, 1, (100, 2)), rng.normal(2.5, 1, (100, 2))])
    >>> start = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.json")
    >>> def crash_at_12(iteration, objective, model):
    ...     if iteration == 12:
    ...         raise KeyboardInterrupt
    >>> engine = latentem.EM(max_iter=500, tol=1e-8,
    ...                      callbacks=[latentem.Checkpoint(path, every=5), crash_at_12])
    >>> try:
    ...     engine.fit(start, X)
    ... except KeyboardInterrupt:
    ...     pass
    >>> saved = latentem.load_checkpoint(path)
    >>> saved.n_iter
    10
    >>> resumed = latentem.EM(max_iter=500, tol=1e-8).fit(saved.model, X, history=saved.history)
    >>> full = latentem.EM(max_iter=500, tol=1e-8).fit(start, X)
    >>> bool(np.array_equal(resumed.model.covariances, full.model.covariances))
    True
    >>> bool(np.array_equal(resumed.history, full.history)), resumed.n_iter == full.n_iter
    (True, True)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        every: int = 10,
        *,
        history: Sequence[float] | None = None,
    ) -> None:
        self.path = Path(path)
        self.every = check_int(every, "every", minimum=1)
        # a folder that refuses the file should stop the fit before it starts, not at its
        # first checkpoint, iterations later
        check_writable(self.path)
        self.history: list[float] = [] if history is None else [float(v) for v in history]
        self.last_saved = 0

    def __call__(self, iteration: int, objective: float, model: LatentModel) -> None:
        if iteration != len(self.history) + 1:
            raise ValueError(
                f"Checkpoint({str(self.path)!r}) knows {len(self.history)} iterations but the "
                f"fit is at iteration {iteration}: when resuming, pass the saved history both "
                "to EM.fit(..., history=saved.history) and to Checkpoint(..., history=...), "
                "and use a new Checkpoint for each fit"
            )
        self.history.append(float(objective))
        if iteration % self.every == 0:
            self.save(model)

    def save(self, model: LatentModel) -> None:
        """Write ``model`` and the history now (also useful after the fit ends)."""
        history = np.asarray(self.history, dtype=float)
        save(EMResult(model, history, len(self.history), False, 0), self.path)
        self.last_saved = len(self.history)

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r}, every={self.every})"


def load_checkpoint(path: str | os.PathLike[str]) -> EMResult:
    """Load a checkpoint written by :class:`Checkpoint` (a ValueError if it is anything else).

    Returns
    -------
    EMResult
        ``model`` and ``history`` to resume from; ``converged`` is False.

    Examples
    --------
    >>> import latentem, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "not-a-checkpoint.json")
    >>> latentem.save(latentem.GaussianMixture(), path)
    >>> latentem.load_checkpoint(path)
    Traceback (most recent call last):
    ...
    ValueError: ...: holds a GaussianMixture, not a checkpoint (an EMResult)
    """
    result: Any = load(path)
    if not isinstance(result, EMResult):
        raise ValueError(f"{path}: holds a {type(result).__name__}, not a checkpoint (an EMResult)")
    return result
