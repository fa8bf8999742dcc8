"""Independent fits (restarts) side by side in threads."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from latentem.core.validation import check_int

__all__ = ["check_n_jobs", "parallel_map"]

_T = TypeVar("_T")


def check_n_jobs(value: Any, name: str = "n_jobs") -> int:
    """Number of worker threads: ``None`` or 1 run in the caller, ``-1`` uses every core.

    Negative values count back from the number of cores as in joblib
    (``-2`` is all but one), never below 1.

    Examples
    --------
    >>> check_n_jobs(None), check_n_jobs(3)
    (1, 3)
    >>> check_n_jobs(0)
    Traceback (most recent call last):
    ...
    ValueError: n_jobs must be a positive number of threads, or -1 for one per core; got 0
    """
    if value is None:
        return 1
    value = check_int(value, name)
    if value == 0:
        raise ValueError(
            f"{name} must be a positive number of threads, or -1 for one per core; got 0"
        )
    if value < 0:
        return max(1, (os.cpu_count() or 1) + 1 + value)
    return value


def parallel_map(function: Callable[[Any], _T], items: Sequence[Any], n_jobs: int) -> list[_T]:
    """``[function(item) for item in items]``, on up to ``n_jobs`` threads, in order.

    Threads share the data without copying it; NumPy's large array
    operations and BLAS release the GIL, so fits overlap. The first
    exception raised by any call is raised here.

    Examples
    --------
    >>> parallel_map(lambda x: x * x, [1, 2, 3], n_jobs=2)
    [1, 4, 9]
    """
    workers = min(n_jobs, len(items))
    if workers <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))
