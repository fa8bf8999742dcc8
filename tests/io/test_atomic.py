"""Crash-safe saves: a save killed at any file operation leaves the previous save or the new one.

The fault injection stops a save at its i-th file operation, for every i, as a
kill would: that operation and every later one fail, only descriptors get
closed (as the kernel closes them). Then ``load`` must give back one of the two
complete saves, bit for bit, and the next save must leave no stray file.
"""

import contextlib
import errno
import itertools
import json
import os
import signal
import threading
import time
import traceback
import warnings

import numpy as np
import pytest

import latentem
from latentem import Checkpoint, EMResult, GaussianMixtureModel
from latentem.io import atomic, files, sidecar_path
from tests.forking import needs_fork, run_in_forked_child

RNG = np.random.default_rng(3)
X = np.concatenate([RNG.normal(0, 1, (60, 2)), RNG.normal(4, 1, (60, 2))])
# save's default npz_threshold: arrays of 1 MiB or more go to a separate arrays file
THRESHOLD = 1 << 20
# the file operations of a save; os.close is left alone, as a kill closes descriptors too
OPERATIONS = ("open", "write", "fsync", "fchmod", "replace", "rename", "unlink", "remove")


class Killed(BaseException):
    """Stands for a kill: not an Exception, so no ``except Exception`` of the save catches it."""


def result(seed, *, two_files):
    """A checkpoint's content whose history alone decides how many files its save writes."""
    model = GaussianMixtureModel.from_data(X, 2, random_state=seed)
    length = THRESHOLD // 8 if two_files else 5
    history = np.random.default_rng(seed).normal(size=length).cumsum()
    return EMResult(model, history, length, False, len(X))


def same_bits(a, b):
    return (
        a.n_iter == b.n_iter
        and a.history.tobytes() == b.history.tobytes()
        and all(
            getattr(a.model, name).tobytes() == getattr(b.model, name).tobytes()
            for name in ("weights", "means", "covariances", "precisions_cholesky")
        )
    )


def assert_clean(path, allowed=frozenset()):
    """Only the JSON and the arrays file it names (and ``allowed``) are left beside it."""
    arrays = sidecar_path(path)
    expected = {path.name} | ({arrays.name} if arrays is not None else set())
    assert {p.name for p in path.parent.iterdir()} - set(allowed) == expected


class FaultInjector:
    """Counts the file operations of a save and kills it at the ``kill_at``-th (from 0)."""

    def __init__(self, monkeypatch, kill_at):
        self.kill_at = kill_at
        self.count = 0
        self.killed = False
        for name in OPERATIONS:
            monkeypatch.setattr(os, name, self.wrap(getattr(os, name)))

    def wrap(self, operation):
        def wrapped(*args, **kwargs):
            if self.killed or self.count == self.kill_at:
                self.killed = True  # a dead process does nothing more
                raise Killed
            self.count += 1
            return operation(*args, **kwargs)

        return wrapped


def make_legacy(path):
    """Turn the two-file save at ``path`` into the layout of earlier latentem (``NAME.npz``)."""
    legacy = path.with_suffix(".npz")
    sidecar_path(path).rename(legacy)
    document = json.loads(path.read_text())
    document["npz"]["file"] = legacy.name
    path.write_text(json.dumps(document))


@pytest.mark.parametrize("old", ["one file", "two files", "legacy two files"])
@pytest.mark.parametrize("new", ["one file", "two files"])
def test_a_save_killed_at_any_file_operation_leaves_a_complete_save(
    tmp_path, monkeypatch, old, new
):
    # a kill, unlike a power cut, loses nothing fsync would keep: skip its cost, keep its place
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    before = result(1, two_files=old != "one file")
    after = result(2, two_files=new == "two files")
    again = result(3, two_files=new == "two files")
    seen_new = False
    for kill_at in itertools.count():
        folder = tmp_path / f"kill-{kill_at}"
        folder.mkdir()
        path = folder / "fit.json"
        latentem.save(before, path)
        assert (sidecar_path(path) is None) == (old == "one file")
        if old == "legacy two files":
            make_legacy(path)
        with monkeypatch.context() as patch:
            injector = FaultInjector(patch, kill_at)
            with contextlib.suppress(Killed):
                latentem.save(after, path)
        loaded = latentem.load_checkpoint(path)
        if same_bits(loaded, after):
            seen_new = True
        else:
            # the new save shows once its JSON is in place, and from then on
            assert same_bits(loaded, before) and not seen_new, kill_at
        # the next save removes whatever the killed one left
        latentem.save(again, path)
        assert same_bits(latentem.load_checkpoint(path), again)
        # earlier latentem's NAME.npz is removed only by the save that replaces the JSON
        # naming it (it may be the user's file otherwise): a kill after that replacement
        # leaves it
        assert_clean(path, {"fit.npz"} if old == "legacy two files" and seen_new else set())
        if not injector.killed:
            break
    assert seen_new and kill_at >= 6  # every operation of a complete save was a kill point


def test_saves_killed_by_sigkill_at_random_moments_leave_a_loadable_file(tmp_path):
    """A child process saves in a loop; SIGKILL it at random moments, then load."""
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork and SIGKILL")
    path = tmp_path / "fit.json"
    # one-file and two-file saves in turn: a kill finds every kind of transition
    saves = [result(seed, two_files=seed % 2 == 0) for seed in range(4)]
    checkpoints = [Checkpoint(path, history=saved.history) for saved in saves]
    checkpoints[0].save(saves[0].model)
    rng = np.random.default_rng(16)
    for _ in range(6):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            pid = os.fork()
        if pid == 0:  # the child saves until it is killed
            try:
                for i in itertools.count(1):
                    checkpoints[i % len(saves)].save(saves[i % len(saves)].model)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.01, 0.15))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        loaded = latentem.load_checkpoint(path)
        assert any(same_bits(loaded, saved) for saved in saves)
    checkpoints[1].save(saves[1].model)
    assert same_bits(latentem.load_checkpoint(path), saves[1])
    assert_clean(path)


@pytest.mark.parametrize("locks", ["flock", "per process"])
def test_concurrent_saves_and_loads_of_one_file_never_break_it(tmp_path, monkeypatch, locks):
    if locks == "per process":
        # as NFS's POSIX locks: a thread always gets a lock its own process holds
        monkeypatch.setattr(atomic, "_lock", lambda fd, wait: True)
    path = tmp_path / "m.json"
    models = [GaussianMixtureModel.from_data(X, 3, random_state=seed) for seed in range(4)]
    latentem.save(models[0], path, npz_threshold=0)
    errors, done = [], threading.Event()

    def guarded(work):
        def run():
            try:
                work()
            except BaseException as error:
                errors.append("".join(traceback.format_exception(error)))

        return threading.Thread(target=run)

    def saver(offset):
        for i in range(25):
            # inline and arrays-file saves in turn (npz_threshold=0: every array in the file)
            latentem.save(models[(i + offset) % 4], path, npz_threshold=0 if i % 3 else None)

    def loader():
        while not done.is_set():
            loaded = latentem.load(path)
            assert any(loaded.means.tobytes() == m.means.tobytes() for m in models)

    savers = [guarded(lambda offset=offset: saver(offset)) for offset in range(3)]
    readers = [guarded(loader) for _ in range(2)]
    for thread in savers + readers:
        thread.start()
    for thread in savers:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert not errors, errors[0]
    latentem.save(models[1], path, npz_threshold=0)
    assert_clean(path)


def test_load_follows_a_save_that_replaced_the_file_while_it_read(tmp_path, monkeypatch):
    """The arrays file named by the JSON load read is gone: load reads the new JSON."""
    path = tmp_path / "m.json"
    first, second = (GaussianMixtureModel.from_data(X, 2, random_state=seed) for seed in (0, 1))
    latentem.save(first, path, npz_threshold=0)
    parse = files._parse

    def parse_then_save(where):
        document = parse(where)
        monkeypatch.setattr(files, "_parse", parse)
        latentem.save(second, path, npz_threshold=0)  # removes the arrays file just named
        return document

    monkeypatch.setattr(files, "_parse", parse_then_save)
    assert latentem.load(path).means.tobytes() == second.means.tobytes()


def test_leftovers_of_killed_saves_go_and_other_files_stay(tmp_path):
    path = tmp_path / "fit.json"
    ours = [
        ".fit.json.0123456789abcdef.tmp",  # a killed save's temporary file
        ".fit.json.abc_1234.tmp",  # the same, from earlier latentem (tempfile's names)
        ".fit.npz.x9y8z7w6.tmp",  # earlier latentem's temporary arrays file
        "fit.json.fedcba9876543210.npz",  # an arrays file whose JSON was never written
    ]
    others = [
        "fit.npz",  # not named by fit.json: perhaps the user's
        "fit.json.backup.npz",
        ".fit.json.tmp",
        ".other.json.0123456789abcdef.tmp",
        "other.json.0123456789abcdef.npz",
        "fit.json.0123456789ABCDEF.npz",
    ]
    for name in ours + others:
        (tmp_path / name).write_bytes(b"x")
    latentem.save(result(0, two_files=True), path)
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"fit.json", sidecar_path(path).name, *others}


def test_a_file_held_by_a_save_in_progress_is_not_removed(tmp_path):
    """An unlocked leftover goes; one a live save holds (its flock) stays."""
    fcntl = pytest.importorskip("fcntl")
    path = tmp_path / "fit.json"
    held = tmp_path / "fit.json.00000000000000aa.npz"
    free = tmp_path / ".fit.json.00000000000000bb.tmp"
    held.write_bytes(b"x")
    free.write_bytes(b"x")
    with open(held, "rb+") as stream:
        fcntl.flock(stream, fcntl.LOCK_EX)
        latentem.save(result(0, two_files=False), path)
        assert held.exists() and not free.exists()
    latentem.save(result(0, two_files=False), path)
    assert not held.exists()


def fail_writes(monkeypatch, code, when=lambda data: True):
    real = os.write

    def write(fd, data):
        if when(data):
            raise OSError(code, os.strerror(code))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("failing", ["arrays file", "JSON"])
def test_a_full_disk_names_the_file_and_leaves_the_previous_save(tmp_path, monkeypatch, failing):
    path = tmp_path / "fit.json"
    before, after = result(1, two_files=True), result(2, two_files=True)
    latentem.save(before, path)
    files = sorted(tmp_path.iterdir())
    # the JSON starts with "{"; the arrays file with "PK" (zip)
    is_json = (lambda data: bytes(data[:1]) == b"{") if failing == "JSON" else (lambda _: True)
    fail_writes(monkeypatch, errno.ENOSPC, is_json)
    with pytest.raises(OSError, match=rf"{path}: cannot write .*free space") as caught:
        latentem.save(after, path)
    assert caught.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert sorted(tmp_path.iterdir()) == files
    assert same_bits(latentem.load_checkpoint(path), before)


@pytest.mark.parametrize(
    ("code", "kind", "advice"),
    [
        (errno.EACCES, PermissionError, "make its folder writable"),
        (errno.EROFS, OSError, "read-only"),
    ],
)
def test_an_unwritable_folder_names_the_file_and_the_fix(tmp_path, monkeypatch, code, kind, advice):
    real = os.open

    def refuse(name, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), name)
        return real(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    path = tmp_path / "fit.json"
    with pytest.raises(kind, match=rf"{path}: cannot write .*{advice}") as caught:
        latentem.save(result(0, two_files=False), path)
    assert caught.value.errno == code
    with pytest.raises(kind, match=rf"{path}: cannot write .*{advice}"):
        Checkpoint(path)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_or_a_folder_as_the_path_is_refused_before_writing(tmp_path):
    missing = tmp_path / "no-such-folder" / "fit.json"
    with pytest.raises(FileNotFoundError, match=rf"{missing}: .*create its folder"):
        latentem.save(result(0, two_files=True), missing)
    with pytest.raises(IsADirectoryError, match=rf"{tmp_path}: .*the path is a folder"):
        latentem.save(result(0, two_files=True), tmp_path)
    assert list(tmp_path.iterdir()) == []


@needs_fork
def test_a_child_forked_while_another_thread_holds_the_save_registry_can_save(tmp_path):
    # before: the child waited for ever on the registry's lock held in the parent
    model = result(0, two_files=False).model
    inside, leave = threading.Event(), threading.Event()

    def hold():
        with atomic._held_lock:
            inside.set()
            leave.wait()

    def child():
        latentem.save(model, tmp_path / "child.json")
        return np.array_equal(latentem.load(tmp_path / "child.json").means, model.means)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(5)
        assert run_in_forked_child(child) == 0
    finally:
        leave.set()
        thread.join()
    latentem.save(model, tmp_path / "parent.json")  # the parent's lock works as before
