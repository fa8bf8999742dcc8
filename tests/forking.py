"""Running a function in a child forked with ``os.fork``, never hanging the parent.

For fork-safety tests: the child runs ``work()`` and leaves with ``os._exit``
(0 if ``work`` returned true, 1 if it returned false, 2 if it raised), so it
never returns into the test runner; the parent waits at most ``timeout``
seconds and kills a child still running then.
"""

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

#: Where a test may fork: POSIX but not macOS, whose system libraries (Accelerate,
#: Objective-C) are not fork-safe; Python itself starts processes by spawning there.
needs_fork = pytest.mark.skipif(
    not hasattr(os, "fork") or not hasattr(os, "register_at_fork") or sys.platform == "darwin",
    reason="needs os.fork on a platform where forking is supported",
)

HUNG = "hung"


def run_in_forked_child(work: Callable[[], bool], timeout: float = 4.0) -> int | str:
    """The child's exit status (0: ``work()`` was true), or ``HUNG`` if it was killed."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which coverage does not follow
        status = 2
        try:
            status = 0 if work() else 1
        finally:
            os._exit(status)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return HUNG
        time.sleep(0.005)


@contextmanager
def held_by_another_thread(enter: Callable[[], AbstractContextManager[object]]) -> Iterator[None]:
    """Inside the block, another thread is inside ``with enter():`` and waits."""
    inside, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with enter():
            inside.set()
            leave.wait()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(5)
        yield
    finally:
        leave.set()
        thread.join()
