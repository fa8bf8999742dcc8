"""A safeguarded Newton solver for the families without a closed-form M-step."""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["solve_decreasing"]


def solve_decreasing(
    function: Callable[[float], tuple[float, float]],
    start: float,
    *,
    rtol: float = 1e-15,
    max_iter: int = 200,
) -> float:
    """Root in ``t`` of a continuous, strictly decreasing function on the real line.

    Parameters
    ----------
    function : callable
        ``function(t) -> (value, derivative)``; it must change sign once.
    start : float
        First guess.
    rtol : float
        Stop once a step changes ``t`` by less than ``rtol * max(1, |t|)``.
    max_iter : int
        Bound on the number of steps.

    Returns
    -------
    float
        The root.

    Notes
    -----
    Newton steps are taken while they stay inside the current bracket and
    halve its width at least every other step; otherwise the bracket is
    bisected (Press et al., *Numerical Recipes*, ``rtsafe``). The bracket is
    first found by doubling steps from ``start``. The iteration therefore
    converges for any strictly decreasing function, quadratically near the
    root.

    Examples
    --------
    >>> root = solve_decreasing(lambda t: (2.0 - math.exp(t), -math.exp(t)), 0.0)
    >>> abs(root - math.log(2.0)) < 1e-15
    True
    """
    value, slope = function(start)
    if value == 0.0:
        return start
    # bracket [low, high] with function(low) > 0 > function(high): step from start
    # towards the sign change (up if the value is positive, else down)
    sign = 1.0 if value > 0 else -1.0
    inside, step = start, 1.0
    while True:
        outside = start + sign * step
        if sign * function(outside)[0] <= 0:
            break
        inside, step = outside, 2.0 * step
        if step > 1e6:
            raise ValueError("solve_decreasing found no sign change; the root is unbounded")
    low, high = (inside, outside) if sign > 0 else (outside, inside)
    t = start if low < start < high else 0.5 * (low + high)
    value, slope = function(t)
    previous_width = high - low
    for _ in range(max_iter):
        if value == 0.0:
            return t
        if value > 0:
            low = t
        else:
            high = t
        candidate = t - value / slope if slope < 0 else math.nan
        if not (low < candidate < high) or abs(candidate - t) > 0.5 * previous_width:
            candidate = 0.5 * (low + high)
        previous_width = abs(candidate - t)
        converged = previous_width <= rtol * max(1.0, abs(t))
        t = candidate
        if converged or high - low <= rtol * max(1.0, abs(t)):
            return t
        value, slope = function(t)
    return t
