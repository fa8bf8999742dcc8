"""Passes over the rows of :class:`GaussianData` in blocks, on several threads.

Consecutive blocks are grouped into at most :data:`MAX_TASKS` tasks; a task
is run by one thread, in order, and accumulates into its own slot, so every
result is the same whatever the number of threads or their timing. Threads
take tasks as they become free: the calling thread and helpers from a pool
kept for the life of the process (:func:`worker_pool`). NumPy releases the GIL in matrix products
and ufuncs, so the threads run in parallel; BLAS is held to one thread
meanwhile, since its own threads would fight them for the cores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from attrs import frozen

from latentem.core.buffers import ALIGNMENT, aligned_empty
from latentem.core.parallel import single_threaded_blas
from latentem.mixture.kernels.data import GaussianData

__all__ = ["MAX_TASKS", "BlockPlan", "Workspace", "plan_blocks", "run_blocks", "worker_pool"]

#: Upper bound on the number of tasks (and accumulator slots) of one pass.
MAX_TASKS = 64


@frozen
class BlockPlan:
    """How a pass splits the rows: ``tasks[t]`` lists the row slices of task ``t``."""

    tasks: tuple[tuple[slice, ...], ...]

    @property
    def n_tasks(self) -> int:
        """Number of tasks."""
        return len(self.tasks)


def plan_blocks(n_samples: int, block_rows: int) -> BlockPlan:
    """Blocks of ``block_rows`` rows grouped into at most :data:`MAX_TASKS` tasks.

    Examples
    --------
    >>> plan_blocks(10, 4).tasks
    ((slice(0, 4, None),), (slice(4, 8, None),), (slice(8, 10, None),))
    """
    starts = list(range(0, n_samples, block_rows)) or [0]
    blocks = [slice(start, min(start + block_rows, n_samples)) for start in starts]
    per_task = -(-len(blocks) // MAX_TASKS)
    return BlockPlan(
        tuple(tuple(blocks[i : i + per_task]) for i in range(0, len(blocks), per_task))
    )


class Workspace:
    """Per-thread scratch: reused buffers and the features of the current block.

    It holds the data's arrays but not the :class:`GaussianData` object, so a
    pool of workspaces kept for that object does not keep it alive.
    """

    def __init__(self, data: GaussianData) -> None:
        self._kernel = data.kernel
        self._centred = data.centred
        self._features = data.features
        self._dtype = data.dtype
        # wide enough for any block of this data, and no wider: a chunk of a few rows
        # must not pay for a full block
        self._widest = min(data.block_rows, data.n_samples)
        self._buffers: dict[str, np.ndarray] = {}
        self._n_feature_rows = data.kernel.n_feature_rows(data.n_features)

    def buffer(self, name: str, n_rows: int, width: int) -> np.ndarray:
        """An (n_rows, width) array of the working dtype, reused across blocks.

        Its rows are contiguous and start on cache lines (the buffer is padded
        to whole lines); for a narrower block it is a view whose rows are
        ``block_rows`` (rounded up to a line) apart, which matrix products
        accept as is.
        """
        stored = self._buffers.get(name)
        if stored is None or stored.shape[0] != n_rows or stored.shape[1] < width:
            # every row starts on a cache line: the buffer does, and rows are padded
            # to whole lines
            per_line = ALIGNMENT // self._dtype.itemsize
            padded = -(-max(width, self._widest) // per_line) * per_line
            stored = aligned_empty((n_rows, padded), self._dtype)
            self._buffers[name] = stored
        return stored[:, :width] if width < stored.shape[1] else stored

    def features(self, rows: slice) -> np.ndarray:
        """The block's features, shape (n_feature_rows, n_rows_in_block)."""
        if self._features is not None:
            return self._features[:, rows]
        centred = self._centred[:, rows]
        out = self.buffer("features", self._n_feature_rows, centred.shape[1])
        self._kernel.write_features(centred, out)
        return out


Work = Callable[[int, slice, Workspace], None]


def run_blocks(data: GaussianData, plan: BlockPlan, work: Work) -> None:
    """Call ``work(task, rows, workspace)`` for every block of ``plan``.

    The blocks of one task run in order on one thread; tasks are spread over
    ``data.n_threads`` threads, the calling thread being one of them. The
    first exception raised by ``work`` is re-raised. BLAS runs on one thread
    meanwhile, even with one thread of ours: its own threads cost more than
    they give on these small products, and far more when other processes
    hold the cores.
    """
    lock = threading.Lock()
    upcoming = iter(range(plan.n_tasks))
    errors: list[BaseException] = []

    pool = data.workspaces

    def worker() -> None:
        with pool.borrow(lambda: Workspace(data)) as workspace:
            while not errors:
                with lock:
                    task = next(upcoming, None)
                if task is None:
                    return
                try:
                    for rows in plan.tasks[task]:
                        work(task, rows, workspace)
                except BaseException as error:  # re-raised in the calling thread
                    errors.append(error)

    with single_threaded_blas():
        helpers = [
            worker_pool().submit(worker) for _ in range(min(data.n_threads, plan.n_tasks) - 1)
        ]
        worker()
        # helpers still queued behind other work found nothing left to do: drop them
        for helper in helpers:
            if not helper.cancel():
                helper.result()
    if errors:
        raise errors[0]


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def worker_pool() -> ThreadPoolExecutor:
    """The threads that help the calling thread through a pass.

    Created on first use and kept for the life of the process (starting a
    thread per pass costs milliseconds when the machine is busy); it grows
    to the largest number of helpers a pass has asked for.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=64, thread_name_prefix="latentem-kernels")
        return _pool


def _forget_pool() -> None:
    # a forked child has none of its parent's threads; it starts its own pool, and its
    # own lock (a fork while another thread held the parent's would leave it held)
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
