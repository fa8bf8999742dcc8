"""A text progress bar on stderr, drawn only where someone watches it."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["Progress", "ProgressBar", "as_progress"]

#: ``progress(done, total, *extra)``, called after each unit of work.
Progress = Callable[..., None]


class ProgressBar:
    """``label [#####-----] 5/10 k=5 3.2s`` redrawn in place on a stream.

    Parameters
    ----------
    label : str
    stream : text stream, default=sys.stderr
    enabled : bool or None, default=None
        None draws only when ``stream`` is a terminal.
    width : int, default=30

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar("select", stream=out, enabled=True, width=10)
    >>> bar(1, 4, 3)
    >>> out.getvalue().split("] ")[0]
    '\\rselect [##--------'
    """

    def __init__(
        self,
        label: str,
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        width: int = 30,
    ) -> None:
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else bool(enabled)
        self.width = width
        self.start = time.perf_counter()

    def __call__(self, done: int, total: int, *extra: Any) -> None:
        if not self.enabled:
            return
        filled = round(self.width * done / max(total, 1))
        what = f" k={extra[0]}" if extra else ""
        elapsed = time.perf_counter() - self.start
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'-' * (self.width - filled)}] "
            f"{done}/{total}{what} {elapsed:.1f}s"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def as_progress(progress: Any, label: str) -> Progress | None:
    """A ``progress`` argument as a callable: True draws a :class:`ProgressBar` on stderr.

    ``None`` and ``False`` draw nothing; a callable is called as ``progress(done,
    total, k)``.

    Examples
    --------
    >>> as_progress(None, "select") is None, type(as_progress(True, "select")).__name__
    (True, 'ProgressBar')
    >>> as_progress("yes", "select")
    Traceback (most recent call last):
    ...
    TypeError: progress must be True, False, None or a callable (done, total, k); got 'yes'
    """
    if progress is None or progress is False:
        return None
    if progress is True:
        return ProgressBar(label, enabled=True)
    if not callable(progress):
        raise TypeError(
            f"progress must be True, False, None or a callable (done, total, k); got {progress!r}"
        )
    return progress
