"""The objective per iteration and the fit frame by frame (PNG frames, animated GIF)."""

import numpy as np
import pytest
from PIL import Image

import latentem
from latentem.plot import FrameRecorder, plot_objective, save_frames
from tests.plot.conftest import assert_picture

RNG = np.random.default_rng(1)
X = np.concatenate([RNG.normal(0, 1, (60, 2)), RNG.normal(5, 1, (60, 2))])
START = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0)


def recorded(every=1):
    recorder = FrameRecorder(START, every=every)
    result = latentem.EM(tol=1e-8, callbacks=[recorder]).fit(START, X)
    return recorder, result


def test_objective_line_is_the_history():
    _, result = recorded()
    ax = plot_objective(result.history, per_sample=X.shape[0])
    (line,) = ax.get_lines()
    assert np.array_equal(line.get_xdata(), np.arange(1, result.n_iter + 1))
    assert np.allclose(line.get_ydata(), result.history / X.shape[0], rtol=1e-15)


def test_recorder_keeps_every_nth_model():
    recorder, result = recorded(every=2)
    iterations = [i for i, _ in recorder.frames]
    assert iterations == [0, *range(2, result.n_iter + 1, 2)]
    assert recorder.frames[0][1] is START
    with pytest.raises(ValueError, match="every must be at least 1"):
        FrameRecorder(every=0)


def test_png_frames_one_per_recorded_iteration(tmp_path):
    recorder, _ = recorded()
    written = save_frames(recorder, X, tmp_path / "frames")
    assert [p.name for p in written] == [f"frame-{i:03d}.png" for i, _ in recorder.frames]
    for path in written:
        assert_picture(path)
    # the first frame (bad start) and the last (converged) differ
    assert written[0].read_bytes() != written[-1].read_bytes()


def test_animated_gif_has_one_frame_per_model(tmp_path):
    recorder, _ = recorded()
    (path,) = save_frames(recorder.frames, X, tmp_path / "fit.gif", fps=4)
    assert_picture(path)
    with Image.open(path) as gif:
        assert gif.n_frames == len(recorder.frames)


def test_no_frames_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="frames is empty"):
        save_frames([], X, tmp_path / "x.gif")


def test_frame_names_follow_the_pattern(tmp_path):
    recorder, _ = recorded(every=3)
    written = save_frames(recorder, X, tmp_path, name="fit-{iteration:02d}.png", dpi=40)
    assert [p.name for p in written] == [f"fit-{i:02d}.png" for i, _ in recorder.frames]


def test_the_slow_creep_shows_as_the_distance_to_the_best_value_on_a_log_axis():
    history = -1.0 - np.concatenate([[1000.0], 0.5 ** np.arange(1, 30)])
    ax = plot_objective(history)  # the first step dwarfs the rest: the gap view by default
    assert ax.get_yscale() == "log"
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), history.max() - history[:-1])
    assert plot_objective(history, gap=False).get_yscale() == "linear"
    steady = -10.0 + np.arange(20.0)  # no step dwarfs the others
    assert plot_objective(steady).get_yscale() == "linear"
    assert plot_objective(history[:3]).get_yscale() == "linear"  # too short to tell
