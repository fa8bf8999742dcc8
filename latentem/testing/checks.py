"""Contract checks for any :class:`~latentem.LatentModel`, including users' own."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from latentem.core.engine import EM, EMResult
from latentem.core.model import LatentModel

__all__ = ["assert_models_close", "assert_monotone", "check_latent_model", "split_rows"]

Splitter = Callable[[Any, np.random.Generator], tuple[Any, Any]]


def split_rows(data: Any, rng: np.random.Generator) -> tuple[Any, Any]:
    """Split the rows of an array (or items of a list) at random into two non-empty parts.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = split_rows(np.arange(10.0), np.random.default_rng(0))
    >>> len(a) + len(b), len(a) > 0, len(b) > 0
    (10, True, True)
    """
    n_samples = len(data)
    if n_samples < 2:
        raise ValueError(f"data must have at least 2 rows to be split; got {n_samples}")
    order = rng.permutation(n_samples)
    cut = int(rng.integers(1, n_samples))
    first, second = np.sort(order[:cut]), np.sort(order[cut:])
    if isinstance(data, np.ndarray):
        return data[first], data[second]
    return [data[i] for i in first], [data[i] for i in second]


def _parameters(model: Any) -> dict[str, Any]:
    if attrs.has(type(model)):
        return {f.name: getattr(model, f.name) for f in attrs.fields(type(model))}
    return dict(vars(model))


def _close(a: Any, b: Any, rtol: float, atol: float, path: str) -> str | None:
    """None if ``a`` and ``b`` agree, else a description of the first difference."""
    if isinstance(a, LatentModel) or attrs.has(type(a)):
        if type(a) is not type(b):
            return f"{path}: {type(a).__name__} != {type(b).__name__}"
        for name, value in _parameters(a).items():
            problem = _close(value, _parameters(b)[name], rtol, atol, f"{path}.{name}")
            if problem:
                return problem
        return None
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a_array, b_array = np.asarray(a), np.asarray(b)
        if a_array.shape != b_array.shape:
            return f"{path}: shape {a_array.shape} != {b_array.shape}"
        if a_array.dtype.kind in "fc" or b_array.dtype.kind in "fc":
            if not np.allclose(a_array, b_array, rtol=rtol, atol=atol, equal_nan=True):
                worst = np.max(np.abs(a_array - b_array))
                return f"{path}: arrays differ (largest absolute difference {worst:.3g})"
            return None
        return None if np.array_equal(a_array, b_array) else f"{path}: arrays differ"
    if isinstance(a, float) or isinstance(b, float):
        ok = math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=atol) or (
            math.isnan(float(a)) and math.isnan(float(b))
        )
        return None if ok else f"{path}: {a!r} != {b!r}"
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            problem = _close(x, y, rtol, atol, f"{path}[{i}]")
            if problem:
                return problem
        return None
    try:
        return None if bool(a == b) else f"{path}: {a!r} != {b!r}"
    except (TypeError, ValueError):
        return f"{path}: cannot compare {a!r} and {b!r}"


def assert_models_close(
    actual: Any, expected: Any, *, rtol: float = 1e-7, atol: float = 1e-12, what: str = "model"
) -> None:
    """Assert two models (or statistics) have the same parameters, field by field.

    Examples
    --------
    >>> import latentem
    >>> m = latentem.GaussianMixtureModel([1.0], [[0.0]], [[[1.0]]])
    >>> assert_models_close(m, m)
    """
    problem = _close(actual, expected, rtol, atol, what)
    if problem:
        raise AssertionError(problem)


def assert_monotone(
    model: LatentModel,
    data: Any,
    *,
    n_iter: int = 20,
    rtol: float = 1e-9,
) -> EMResult:
    """Run ``n_iter`` EM iterations and assert the objective never decreases.

    Parameters
    ----------
    model : LatentModel
        Starting parameters.
    data : object
        Data the model's ``e_step`` accepts.
    n_iter : int, default=20
        Number of iterations.
    rtol : float, default=1e-9
        A drop of at most ``rtol`` times the objective's size (at least 1) is
        rounding.

    Returns
    -------
    EMResult
        The run, for further checks.

    Raises
    ------
    AssertionError
        Naming the first iteration whose objective is lower than the one
        before, or is not finite.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> from latentem.testing import assert_monotone
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> start = latentem.GaussianMixtureModel.from_data(X, 3, random_state=0, reg_covar=0.0)
    >>> result = assert_monotone(start, X, n_iter=10)
    >>> result.n_iter
    10
    """
    # the decrease is this check's own test (no warning, and no warning filter changed)
    engine = EM(max_iter=n_iter, tol=0.0, convergence_warning=False, decrease_rtol=None)
    try:
        result = engine.fit(model, data)
    except ValueError as error:
        raise AssertionError(f"EM failed on {type(model).__name__}: {error}") from error
    history = result.history
    for i in range(1, history.size):
        previous, current = float(history[i - 1]), float(history[i])
        # an objective near 0 (data of probability ~1) is rounded in absolute terms
        scale = max(abs(previous), abs(current), 1.0)
        if not previous - current <= rtol * scale:
            raise AssertionError(
                f"objective of {type(model).__name__} decreased at iteration {i + 1}: "
                f"{previous!r} -> {current!r} (relative drop {(previous - current) / scale:.3g} "
                f"> rtol={rtol:g}); the M-step is not a maximiser of the expected "
                "complete-data objective, or the E-step's statistics do not match it"
            )
    return result


def check_latent_model(
    model: LatentModel,
    data: Any,
    *,
    n_iter: int = 10,
    rtol: float = 1e-9,
    split: Splitter = split_rows,
    random_state: int = 0,
    exact_m_step: bool | None = None,
) -> None:
    """Check the whole :class:`~latentem.LatentModel` contract on ``data``.

    Checks, in order:

    1. ``e_step(data)`` returns statistics with ``+`` and a finite float
       ``log_likelihood``, and leaves the data unchanged;
    2. ``log_likelihood(data)`` equals the E-step's;
    3. ``m_step`` returns a model of the same type and changes neither the
       model nor the statistics;
    4. the statistics of a random split of the data, added, give the same
       objective and the same M-step as the statistics of the whole;
    5. the M-step is a maximiser, as far as the protocol lets one see: its
       answer depends on the statistics alone, so applied again to the same
       statistics from its own answer it stays there (a partial step, such
       as half a step towards the maximiser, moves again), and it answers
       the statistics (an M-step that returns its input for the statistics
       of all the data and of a part of them alike is lazy);
    6. EM from ``model`` never decreases the objective over ``n_iter``
       iterations (:func:`assert_monotone`).

    What these checks cannot see: an M-step that jumps to the same wrong
    point whatever the current parameters (a maximiser of the wrong
    objective that still never lowers the right one), and, with
    ``exact_m_step=False``, a partial step. Only a comparison with an
    independent maximiser (a closed form, a brute-force search) sees those.

    Parameters
    ----------
    model : LatentModel
    data : object
        Data the model's ``e_step`` accepts.
    n_iter : int, default=10
    rtol : float, default=1e-9
        Relative tolerance of the comparisons.
    split : callable, default=split_rows
        ``split(data, rng) -> (part_a, part_b)``; pass your own for data
        that are not split by rows (e.g. sequences).
    random_state : int, default=0
    exact_m_step : bool, optional
        Whether ``m_step`` is an exact maximiser, whose answer depends on the
        statistics only. False for a generalised EM step (one that only
        increases the expected objective, e.g. a few MM iterations from the
        current parameters): check 5 then only asks that the M-step answers
        the statistics. By default the model's optional ``m_step_is_exact``
        attribute says (true when it has none); latentem's models set it.

    Raises
    ------
    AssertionError
        Naming the check that failed.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> from latentem.testing import check_latent_model
    >>> X = np.random.default_rng(0).normal(size=(60, 2))
    >>> check_latent_model(latentem.GaussianMixtureModel.from_data(X, 2, random_state=0), X)
    """
    name = type(model).__name__
    rng = np.random.default_rng(random_state)
    data_before = copy.deepcopy(data)

    stats = model.e_step(data)
    loglik = getattr(stats, "log_likelihood", None)
    if loglik is None:
        raise AssertionError(
            f"{name}.e_step returned {type(stats).__name__} without log_likelihood"
        )
    try:
        loglik = float(loglik)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{name}.e_step's log_likelihood is not a float: {error}") from None
    if not math.isfinite(loglik):
        raise AssertionError(f"{name}.e_step's log_likelihood is {loglik}, not finite")
    problem = _close(data, data_before, 0.0, 0.0, "data")
    if problem:
        raise AssertionError(f"{name}.e_step modified its input data ({problem})")

    direct = float(model.log_likelihood(data))
    if not math.isclose(direct, loglik, rel_tol=rtol, abs_tol=rtol):
        raise AssertionError(
            f"{name}.log_likelihood(data) = {direct!r} differs from e_step(data).log_likelihood "
            f"= {loglik!r}"
        )

    model_before, stats_before = copy.deepcopy(model), copy.deepcopy(stats)
    new_model = model.m_step(stats)
    if type(new_model) is not type(model):
        raise AssertionError(f"{name}.m_step returned a {type(new_model).__name__}, not a {name}")
    for what, before, after in (
        ("model", model_before, model),
        ("statistics", stats_before, stats),
    ):
        problem = _close(after, before, 0.0, 0.0, what)
        if problem:
            raise AssertionError(f"{name}.m_step modified its {what} ({problem})")

    part_a, part_b = split(data, rng)
    try:
        combined = model.e_step(part_a) + model.e_step(part_b)
    except Exception as error:  # any failure here is a broken contract
        raise AssertionError(f"statistics of {name} cannot be added: {error!r}") from error
    if not math.isclose(float(combined.log_likelihood), loglik, rel_tol=rtol, abs_tol=rtol):
        raise AssertionError(
            f"statistics of {name} are not additive: log_likelihood of the parts sums to "
            f"{float(combined.log_likelihood)!r}, the whole gives {loglik!r}"
        )
    problem = _close(model.m_step(combined), new_model, 1e3 * rtol, 1e3 * rtol, "model")
    if problem:
        raise AssertionError(
            f"statistics of {name} are not additive: the M-step of the parts' sum differs "
            f"from the M-step of the whole ({problem})"
        )

    if exact_m_step is None:
        exact_m_step = bool(getattr(model, "m_step_is_exact", True))
    _check_maximiser(model, new_model, stats, part_a, 1e3 * rtol, exact_m_step)
    assert_monotone(model, data, n_iter=n_iter, rtol=rtol)


def _check_maximiser(
    model: LatentModel,
    new_model: LatentModel,
    stats: Any,
    part: Any,
    tolerance: float,
    exact_m_step: bool,
) -> None:
    """Check 5 of :func:`check_latent_model`: an M-step's answer is the statistics' maximiser."""
    name = type(model).__name__
    if exact_m_step:
        again = new_model.m_step(stats)
        problem = _close(again, new_model, tolerance, tolerance, "model")
        if problem:
            raise AssertionError(
                f"{name}.m_step is not a maximiser: applied again to the same statistics, "
                f"from its own answer, it moved the parameters again ({problem}). The "
                "maximiser of the expected complete-data objective depends on the statistics "
                "only, so a partial step (e.g. half a step towards it) fails here; for a "
                "generalised EM step pass exact_m_step=False"
            )
    unchanged = _close(new_model, model, 0.0, 0.0, "model") is None
    if unchanged and _close(model.m_step(model.e_step(part)), model, 0.0, 0.0, "model") is None:
        raise AssertionError(
            f"{name}.m_step ignores its statistics: for all the data and for a part of them "
            "it returned the parameters it was given. An M-step computes new parameters "
            "from the statistics (unless every parameter is fixed, when there is nothing "
            "to check)"
        )
