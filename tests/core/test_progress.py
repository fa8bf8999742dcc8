"""Progress in Python: ``progress=True`` draws the command line's bar on stderr."""

import numpy as np
import pytest

import latentem
from latentem.core.progress import ProgressBar, as_progress

X = np.random.default_rng(0).normal(size=(120, 2))


def test_selection_draws_a_bar_when_asked(capsys):
    latentem.select_n_components(X, [1, 2, 3], progress=True)
    latentem.select_model(X, [1, 2], ["EII", "VVV"], progress=True)
    err = capsys.readouterr().err
    assert "select_n_components [" in err and "3/3 k=3" in err
    assert "select_model [" in err and "4/4 k=2" in err


def test_no_bar_unless_asked(capsys):
    latentem.select_n_components(X, [1, 2], progress=False)
    latentem.select_model(X, [1, 2], ["EII"])
    assert capsys.readouterr().err == ""


def test_a_callable_is_called_after_each_fit():
    calls = []
    latentem.select_model(X, [1, 2], ["EII", "VVV"], progress=lambda *a: calls.append(a))
    assert calls == [(1, 4, 1), (2, 4, 1), (3, 4, 2), (4, 4, 2)]


def test_bad_progress_is_a_type_error():
    with pytest.raises(TypeError, match="progress must be True, False, None or a callable"):
        as_progress("yes", "x")
    assert isinstance(as_progress(True, "x"), ProgressBar)
