"""plot_states: the background shows the state of every time step; posteriors stack to 1."""

import numpy as np
import pytest

from latentem.plot import plot_states
from tests.plot.conftest import assert_picture

STATES = np.repeat([0, 1, 2, 1, 0], [30, 20, 25, 15, 10])
SIGNAL = np.array([0.0, 4.0, -3.0])[STATES] + np.random.default_rng(0).normal(0, 0.5, STATES.size)


def test_state_sequence_background_matches_the_states(tmp_path):
    (ax,) = plot_states(SIGNAL, STATES, title="regimes")
    (image,) = ax.images
    assert np.array_equal(np.asarray(image.get_array()).ravel(), STATES)
    (line,) = ax.get_lines()
    assert np.array_equal(line.get_ydata(), SIGNAL)
    path = tmp_path / "states.png"
    ax.figure.savefig(path, dpi=60)
    assert_picture(path)


def test_posteriors_give_a_second_panel_and_the_most_probable_state():
    posterior = np.full((STATES.size, 3), 0.1)
    posterior[np.arange(STATES.size), STATES] = 0.8
    times = np.linspace(0.0, 10.0, STATES.size)
    signal_ax, posterior_ax = plot_states(
        np.column_stack([SIGNAL, -SIGNAL]), posterior, times=times
    )
    assert np.array_equal(np.asarray(signal_ax.images[0].get_array()).ravel(), STATES)
    assert len(signal_ax.get_lines()) == 2
    assert len(posterior_ax.collections) == 3
    # the top of the stacked bands is 1 everywhere
    top = posterior_ax.collections[-1].get_paths()[0].vertices[:, 1]
    assert np.allclose(top.max(), 1.0)


@pytest.mark.parametrize(
    ("states", "message"),
    [
        (STATES[:-1], "one entry per time step"),
        (STATES - 1, "non-negative integer"),
        (STATES.astype(float) + 0.5, "non-negative integer"),
        (np.full((STATES.size, 2), 0.7), "posterior probabilities"),
    ],
)
def test_bad_states_are_explained(states, message):
    with pytest.raises(ValueError, match=message):
        plot_states(SIGNAL, states)


def test_a_dated_series_is_drawn_against_its_dates_with_gaps_for_missing_values():
    pd = pytest.importorskip("pandas")
    states = np.repeat([0, 1, 0], 20)
    index = pd.date_range("2024-01-01", periods=60, freq="D")
    returns = pd.Series(np.array([0.0, 3.0])[states], index=index, name="returns")
    returns.iloc[4] = np.nan
    signal_ax, posterior_ax = plot_states(returns, np.eye(2)[states])
    assert signal_ax.get_ylabel() == "returns" and posterior_ax.get_xlabel() == "date"
    from matplotlib import dates

    line = signal_ax.get_lines()[0]
    first = dates.num2date(line.get_xdata()[0]).date()
    assert str(first) == "2024-01-01"
    assert np.isnan(line.get_ydata()[4])
    # explicit numpy dates work too, and a frame's columns name the signal
    frame = pd.DataFrame({"a": np.zeros(60), "b": np.ones(60)})
    (ax,) = plot_states(frame, states, times=index.values)
    assert ax.get_ylabel() == "a, b" and ax.get_xlabel() == "date"
