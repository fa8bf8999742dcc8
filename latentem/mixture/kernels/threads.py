"""Threads: how many the kernels use (BLAS is held to one thread meanwhile).

The kernels' matrix products are small (a block of rows times a few
components), where BLAS's own threads cost more than they give; with the
kernels' threads running too they oversubscribe the cores, and when other
processes hold the cores they make every product wait (measured many times
slower under load; ``docs/benchmarks.md``, "Threads and BLAS"). Every pass of
the kernels therefore holds BLAS to one thread, through threadpoolctl, and
spreads the blocks over its own threads instead
(:func:`latentem.core.parallel.single_threaded_blas`).
"""

from __future__ import annotations

import os

__all__ = ["default_threads"]


def default_threads() -> int:
    """Number of cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
