"""Crash-safe files: write beside the target, fsync, rename; remove what killed saves left.

A save of ``model.json`` may write two files: an arrays file
``model.json.<token>.npz`` (a new random token each save) and the JSON that
names it. Each is written to a temporary file ``.model.json.<token>.tmp`` in
the same folder, fsync'd and renamed into place, the arrays file first. The
arrays file of the previous save is removed only once the new JSON is in place
(and the folder fsync'd), so whatever moment a save is killed at, the JSON on
disk names an arrays file that exists and is complete.

Files that killed saves leave (temporary files, arrays files no JSON names) are
removed by the next save of the same target. A save in progress holds an
exclusive ``flock`` on each file it writes until its JSON is in place; a lock
is released by the kernel when its process dies, even by SIGKILL. So a file
that matches our naming pattern and can be locked belongs to a save that has
ended: if it is a temporary file, or an arrays file that the JSON does not
name (read after taking the lock), nothing will ever use it and it can go.
Concurrent saves of one target, from threads or processes, never remove each
other's files. Where ``flock`` does not exist (Windows) or a file system
refuses it, only the previous save's arrays file is removed.
"""

from __future__ import annotations

import errno
import io
import os
import re
import secrets
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar, cast

if sys.platform != "win32":
    import fcntl

__all__ = [
    "cannot_save",
    "check_writable",
    "has_arrays_files",
    "legacy_arrays_name",
    "new_arrays_name",
    "refuse_folder",
    "remove_leftovers",
    "saving",
    "written",
]

_T = TypeVar("_T")
# 64 random bits: names never repeat, so a name a JSON once held is never reused
_TOKEN = "[0-9a-f]{16}"
# tempfile.mkstemp's names, which latentem used before this module for the same files
_MKSTEMP = "[a-z0-9_]{8}"

_ADVICE = {
    errno.ENOSPC: "free space on its device or save elsewhere",
    errno.EACCES: "make its folder writable or save elsewhere",
    errno.EPERM: "make its folder writable or save elsewhere",
    errno.EROFS: "its file system is read-only; save elsewhere",
    errno.ENOENT: "create its folder first or save elsewhere",
    errno.ENOTDIR: "a part of the path is a file, not a folder; save elsewhere",
    errno.EISDIR: "the path is a folder; give a file name",
}
if hasattr(errno, "EDQUOT"):
    _ADVICE[errno.EDQUOT] = "your disk quota is used up; free space or save elsewhere"


def new_arrays_name(target: Path) -> str:
    """A fresh name for the arrays file of the JSON file ``target``."""
    return f"{target.name}.{secrets.token_hex(8)}.npz"


def legacy_arrays_name(target: Path) -> str:
    """The arrays file earlier latentem wrote beside ``target``: ``model.json`` -> ``model.npz``."""
    return target.with_suffix(".npz").name if target.suffix == ".json" else f"{target.name}.npz"


def cannot_save(target: Path, error: OSError) -> OSError:
    """``error`` (same class and errno) with a message naming ``target`` and what to do."""
    advice = _ADVICE.get(error.errno or 0, "save elsewhere")
    cause = error.strerror or str(error)
    named = type(error)(f"{target}: cannot write the file ({cause}); {advice}")
    # errno only: with strerror or filename set, str(named) would drop the message
    named.errno = error.errno
    return named


@contextmanager
def saving(target: Path) -> Iterator[None]:
    """Turn the OSErrors of writing ``target`` into ones naming it and saying the fix."""
    try:
        yield
    except OSError as error:
        raise cannot_save(target, error) from None


class _Descriptor(io.RawIOBase):
    """A seekable binary stream over a file descriptor it does not own.

    Every write is an ``os.write`` (so the fault-injection tests can stop a
    save between any two); closing the stream leaves the descriptor open.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = os.read(self._fd, len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            done += os.write(self._fd, view[done:])
        return done

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return os.lseek(self._fd, offset, whence)

    def tell(self) -> int:
        return os.lseek(self._fd, 0, os.SEEK_CUR)


# The files this process's saves hold, as (device, inode): a sweep in another thread skips
# them without opening them. Where flock is emulated by POSIX locks (NFS), the locks are
# the process's, so they would not keep its own threads apart, and a sweep's closing of
# the file would drop them.
_held: set[tuple[int, int]] = set()
_held_lock = threading.Lock()


def _after_fork_in_child() -> None:
    # the child has only the forking thread: a lock another thread held would stay held.
    # The files held stay listed: the parent's saves still write them.
    global _held_lock
    _held_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _key(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_dev, stat.st_ino


def _lock(fd: int, *, wait: bool) -> bool:
    """Take an exclusive ``flock`` on ``fd``; False if it is held elsewhere or unsupported."""
    if sys.platform == "win32":
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _still_named(path: Path, fd: int) -> bool:
    """Whether ``path`` is still the file open as ``fd`` (not removed or replaced since)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(fd))
    except FileNotFoundError:
        return False


class _Temporary:
    """A new temporary file beside ``target``: created, held by this process, locked.

    A sweep may take the file for a leftover between its creation and the
    lock; once locked (and held), the file is ours only if its name still
    leads to it, else another name is tried.
    """

    def __init__(self, target: Path) -> None:
        for _ in range(100):
            self.path = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
            flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            self.fd: int | None = os.open(self.path, flags, 0o666)
            self._key: tuple[int, int] | None = None
            try:
                self._key = _key(os.fstat(self.fd))
                with _held_lock:
                    _held.add(self._key)
                if not _lock(self.fd, wait=True) or _still_named(self.path, self.fd):
                    return
            except BaseException:
                self.close()
                raise
            self.close()
        raise OSError(errno.EAGAIN, "no temporary file survived 100 attempts")

    def close(self) -> None:
        """Release the file (its lock with it); it may be swept from now on."""
        if self._key is not None:
            with _held_lock:
                _held.discard(self._key)
            self._key = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _fsync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable before the next step relies on them."""
    if sys.platform == "win32":  # folders cannot be opened there; NTFS journals renames
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as error:
        # some file systems (and FUSE mounts) cannot fsync a folder: nothing more to do there
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _mode(target: Path) -> int | None:
    """The mode of the JSON a save replaces, for every file it writes: saving keeps it."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return None  # a new file: 0o666 less the umask, as ``open`` would give it


@contextmanager
def written(path: Path, write: Callable[[io.RawIOBase], _T], *, target: Path) -> Iterator[_T]:
    """Write the file ``path`` of the save of ``target`` with ``write``; the file is in place.

    ``write`` gets a seekable binary stream; what it returns is yielded. The
    file is written to a locked temporary file, fsync'd and renamed to
    ``path``, and the folder fsync'd; it stays locked until the ``with``
    block ends, so that no sweep takes it for a leftover while the save that
    wrote it goes on. If anything fails, the temporary file is removed and
    ``path`` is as it was.
    """
    temporary = _Temporary(target)
    try:
        fd = cast(int, temporary.fd)
        try:
            mode = _mode(target)
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            result = write(_Descriptor(fd))
            os.fsync(fd)
            if sys.platform == "win32":  # an open file cannot be renamed there
                temporary.close()
            os.replace(temporary.path, path)
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary.path)
            raise
        _fsync_folder(path.parent)
        yield result
    finally:
        temporary.close()


def refuse_folder(target: Path) -> None:
    """Raise IsADirectoryError if ``target`` is a folder (before anything is written for it)."""
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))


def check_writable(target: Path) -> None:
    """Raise the OSError a save of ``target`` would meet in creating its files, if any.

    The check creates and removes one temporary file, as a save does first.
    """
    with saving(target):
        refuse_folder(target)
        temporary = _Temporary(target)
        try:
            os.unlink(temporary.path)
        finally:
            temporary.close()


def _remove_if_unused(path: Path, unused: Callable[[], bool]) -> None:
    """Remove ``path`` if no save holds it and ``unused()`` says so (asked under its lock)."""
    try:
        # a file of this process's saves is not even opened: closing it would drop their
        # locks where those are POSIX locks (NFS)
        if _key(os.stat(path)) in _held:
            return
        fd = os.open(path, os.O_RDWR)  # NFS locks exclusively only what is open for writing
    except OSError:
        return  # removed meanwhile, or not ours to touch
    try:
        if _lock(fd, wait=False) and unused():
            # under _held_lock: a save of this process that created the file after the check
            # above either is seen now or sees, once it holds the file, the name gone
            with _held_lock:
                if _key(os.fstat(fd)) not in _held and _still_named(path, fd):
                    os.unlink(path)
    except (OSError, ValueError):
        pass  # cleaning is best effort: the save it follows has succeeded
    finally:
        os.close(fd)


def _patterns(target: Path) -> tuple[re.Pattern[str], re.Pattern[str], str]:
    """Our temporary and arrays file names for ``target``, and its legacy arrays name."""
    name = re.escape(target.name)
    legacy = legacy_arrays_name(target)
    temporary = rf"\.(?:{name}\.(?:{_TOKEN}|{_MKSTEMP})|{re.escape(legacy)}\.{_MKSTEMP})\.tmp"
    return re.compile(temporary), re.compile(rf"{name}\.{_TOKEN}\.npz"), legacy


def has_arrays_files(target: Path) -> bool:
    """Whether any arrays file of ``target`` (ours or legacy) sits beside it."""
    _, arrays, legacy = _patterns(target)
    try:
        return any(arrays.fullmatch(name) or name == legacy for name in os.listdir(target.parent))
    except OSError:
        return False


def remove_leftovers(
    target: Path, named_arrays: Callable[[], str | None], *, previous: str | None = None
) -> None:
    """Remove what superseded or killed saves of ``target`` left beside it.

    Call it after a save of ``target`` has put its JSON in place.

    Parameters
    ----------
    target : Path
        The JSON file just saved.
    named_arrays : callable
        Reads the arrays file name the JSON holds now (None if it holds its
        arrays inline); a ValueError or OSError keeps the arrays file asked about.
    previous : str, optional
        The arrays file the JSON named before this save replaced it: removed
        without a lock, because no JSON can name it again (a name is never
        reused, and its own save replaced the JSON before this one read it).
    """
    folder = target.parent
    temporary, arrays, legacy = _patterns(target)
    if previous is not None and (arrays.fullmatch(previous) or previous == legacy):
        with suppress(OSError):
            os.unlink(folder / previous)
    try:
        names = os.listdir(folder)
    except OSError:
        return

    def unnamed(candidate: str) -> Callable[[], bool]:
        return lambda: named_arrays() != candidate

    for candidate in names:
        if temporary.fullmatch(candidate):
            _remove_if_unused(folder / candidate, lambda: True)
        elif arrays.fullmatch(candidate):
            _remove_if_unused(folder / candidate, unnamed(candidate))
