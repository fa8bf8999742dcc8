"""Checkpoints: a fit killed mid-way and resumed ends exactly where an uninterrupted fit ends."""

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import latentem
from latentem import EM, Checkpoint, ConvergenceWarning, GaussianMixtureModel

# overlapping clusters: EM needs many iterations, so there is a middle to interrupt
RNG = np.random.default_rng(5)
X = np.concatenate([RNG.normal(0, 1, (150, 2)), RNG.normal(1.5, 1, (150, 2))])
START = GaussianMixtureModel.from_data(X, 3, random_state=2, reg_covar=0.0)
MAX_ITER, TOL = 60, 1e-12


def fit(model=START, history=None, callbacks=()):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return EM(max_iter=MAX_ITER, tol=TOL, callbacks=callbacks).fit(model, X, history=history)


def assert_identical(a, b):
    assert a.n_iter == b.n_iter and a.converged == b.converged
    assert a.history.tobytes() == b.history.tobytes()
    for name in ("weights", "means", "covariances", "precisions_cholesky"):
        assert getattr(a.model, name).tobytes() == getattr(b.model, name).tobytes(), name


def interrupt_at(iteration):
    def callback(i, objective, model):
        if i == iteration:
            raise KeyboardInterrupt

    return callback


def test_resumed_fit_equals_the_uninterrupted_fit_bit_for_bit(tmp_path):
    full = fit()
    assert full.n_iter > 20  # the interruption below happens mid-way
    path = tmp_path / "fit.json"
    with pytest.raises(KeyboardInterrupt):
        fit(callbacks=[Checkpoint(path, every=5), interrupt_at(13)])
    saved = latentem.load_checkpoint(path)
    assert saved.n_iter == 10 and not saved.converged
    assert saved.history.tobytes() == full.history[:10].tobytes()
    # resume, still checkpointing, and get interrupted a second time
    with pytest.raises(KeyboardInterrupt):
        fit(
            saved.model,
            saved.history,
            callbacks=[Checkpoint(path, every=5, history=saved.history), interrupt_at(17)],
        )
    saved = latentem.load_checkpoint(path)
    assert saved.n_iter == 15
    assert_identical(fit(saved.model, saved.history), full)


def test_a_killed_process_resumes_from_its_checkpoint(tmp_path):
    """SIGKILL a real fit in a child process, then resume from what it left on disk."""
    path = tmp_path / "fit.json"
    script = textwrap.dedent(
        f"""
        import time, warnings
        import numpy as np, latentem
        rng = np.random.default_rng(5)
        X = np.concatenate([rng.normal(0, 1, (150, 2)), rng.normal(1.5, 1, (150, 2))])
        start = latentem.GaussianMixtureModel.from_data(X, 3, random_state=2, reg_covar=0.0)
        slow = lambda i, objective, model: time.sleep(0.05)
        warnings.simplefilter("ignore")
        engine = latentem.EM(max_iter={MAX_ITER}, tol={TOL},
                             callbacks=[latentem.Checkpoint({str(path)!r}, every=3), slow])
        engine.fit(start, X)
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if path.exists() and latentem.load_checkpoint(path).n_iter >= 9:
                break
            assert child.poll() is None, "the child finished before it could be killed"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    saved = latentem.load_checkpoint(path)
    assert 9 <= saved.n_iter < MAX_ITER
    assert_identical(fit(saved.model, saved.history), fit())


def test_resuming_without_the_history_is_caught(tmp_path):
    path = tmp_path / "fit.json"
    with pytest.raises(KeyboardInterrupt):
        fit(callbacks=[Checkpoint(path, every=4), interrupt_at(6)])
    saved = latentem.load_checkpoint(path)
    with pytest.raises(ValueError, match="pass the saved history"):
        fit(saved.model, saved.history, callbacks=[Checkpoint(path, every=4)])


def test_checkpoint_arguments_and_files_are_checked(tmp_path):
    with pytest.raises(ValueError, match="every must be at least 1"):
        Checkpoint(tmp_path / "x.json", every=0)
    with pytest.raises(TypeError, match="every must be an integer"):
        Checkpoint(tmp_path / "x.json", every=2.5)
    path = tmp_path / "model.json"
    latentem.save(START, path)
    with pytest.raises(ValueError, match="not a checkpoint"):
        latentem.load_checkpoint(path)


def test_checkpoint_save_after_the_fit_holds_the_whole_history(tmp_path):
    checkpoint = Checkpoint(tmp_path / "fit.json", every=1000)
    result = fit(callbacks=[checkpoint])
    assert checkpoint.last_saved == 0
    checkpoint.save(result.model)
    saved = latentem.load_checkpoint(checkpoint.path)
    assert saved.history.tobytes() == result.history.tobytes()
    assert saved.model.means.tobytes() == result.model.means.tobytes()


def test_a_checkpoint_that_cannot_be_written_fails_before_the_fit_starts(tmp_path):
    missing = tmp_path / "no-such-folder" / "fit.json"
    with pytest.raises(FileNotFoundError, match=rf"{missing}: cannot write .*create its folder"):
        fit(callbacks=[Checkpoint(missing, every=5)])
    with pytest.raises(IsADirectoryError, match=rf"{tmp_path}: .*give a file name"):
        Checkpoint(tmp_path)
    Checkpoint(tmp_path / "fit.json")  # the check leaves nothing behind
    assert list(tmp_path.iterdir()) == []
