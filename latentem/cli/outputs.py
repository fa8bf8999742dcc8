"""Where the command line writes: paths checked before any fitting, ``-`` for stdout."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TextIO

__all__ = ["STDOUT", "check_output", "text_output"]

#: The output name that means standard output.
STDOUT = "-"


def check_output(path: str | None, option: str, *, stdout: bool = False) -> str | None:
    """Refuse an output path that cannot be written, before any work is done.

    Parameters
    ----------
    path : str or None
        The value of the option; None (not given) passes.
    option : str
        The flag, for the message (e.g. ``"--out"``).
    stdout : bool, default=False
        Whether ``-`` (standard output) is allowed.

    Returns
    -------
    str or None
        ``path``, unchanged.

    Raises
    ------
    ValueError
        Naming the option, the path and what to do: ``-`` where a file is
        needed, a folder that does not exist, is not a folder or cannot be
        written to, or a path that is a folder.

    Examples
    --------
    >>> check_output("no-such-folder/model.json", "--out")
    Traceback (most recent call last):
    ...
    ValueError: --out no-such-folder/model.json: the folder no-such-folder does not exist; ...
    """
    if path is None:
        return None
    if path == STDOUT:
        if stdout:
            return path
        raise ValueError(f"{option} -: this output must be a file; give a file name")
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise ValueError(f"{option} {path}: is a folder; give a file name inside it")
    if not folder.exists():
        raise ValueError(
            f"{option} {path}: the folder {folder} does not exist; create it first "
            "(mkdir -p) or choose another path"
        )
    if not folder.is_dir():
        raise ValueError(f"{option} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(
            f"{option} {path}: cannot write into the folder {folder} (permission denied); "
            "choose another path"
        )
    return path


@contextmanager
def text_output(path: str | None) -> Iterator[TextIO]:
    """Standard output for None or ``-``, else the file ``path`` opened for writing text."""
    if path is None or path == STDOUT:
        with nullcontext(sys.stdout) as stream:
            yield stream
        return
    with open(path, "w", newline="", encoding="utf-8") as stream:
        yield stream
