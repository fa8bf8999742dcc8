"""Independent fits (restarts) side by side in threads, and BLAS held to one thread meanwhile."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from threadpoolctl import ThreadpoolController

from latentem.core.validation import check_int

__all__ = ["check_n_jobs", "parallel_map", "single_threaded_blas"]

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
    # held here, by the thread that waits for every worker, so the limit lasts until
    # the last one is done (the workers' own holds then change nothing)
    with single_threaded_blas(), ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


@functools.cache
def _blas_controller() -> ThreadpoolController:
    # finding the loaded BLAS libraries takes about a millisecond: do it once
    return ThreadpoolController()


_limit_lock = threading.Lock()
_limit: Any = None
_limit_owner: threading.Thread | None = None
_depth = threading.local()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Hold BLAS to one thread (process-wide) inside the block.

    Work that spreads over its own threads (the kernels' row blocks,
    restarts side by side) holds BLAS to one thread so the two kinds of
    threads do not oversubscribe the cores.

    Notes
    -----
    BLAS's thread count is one setting for the whole process, and
    threadpoolctl (3.8 and later) lets only the thread that set it change it
    back. So the limit belongs to the thread that set it: it is set by the
    first hold when none is in force, other threads' holds meanwhile change
    nothing, and it is lifted when its owner's outermost hold ends, by the
    owner. BLAS is therefore always given back its own setting; if the owner
    finishes before other holders, they run their remaining work with BLAS's
    threads (slower, never wrong). A thread that hands work to others should
    hold BLAS for as long as they run, as :func:`parallel_map` does.

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded_blas():
    ...     product = np.ones((200, 200)) @ np.ones((200, 200))
    >>> float(product[0, 0])
    200.0
    """
    global _limit, _limit_owner
    depth = getattr(_depth, "value", 0)
    if depth == 0:
        with _limit_lock:
            if _limit is None:
                _limit = _blas_controller().limit(limits=1, user_api="blas")
                _limit_owner = threading.current_thread()
    _depth.value = depth + 1
    try:
        yield
    finally:
        _depth.value = depth
        if depth == 0:
            with _limit_lock:
                if _limit_owner is threading.current_thread():
                    _limit.restore_original_limits()
                    _limit, _limit_owner = None, None


def _after_fork_in_child() -> None:
    """Make the hold usable in a child forked while other threads held it.

    The child has only the thread that forked: a lock another thread held
    stays held for ever, and a limit another thread owned would never be
    lifted. The child gets a new lock, and the forking thread owns the
    limit, lifting it at the end of its next hold (BLAS gets its setting back).
    """
    global _limit_lock, _limit_owner
    _limit_lock = threading.Lock()
    if _limit is not None:
        _limit_owner = threading.current_thread()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
