"""plot_selection draws the table's values and marks the chosen number of components."""

import numpy as np

import latentem
from latentem.plot import plot_selection
from tests.plot.conftest import assert_picture

RNG = np.random.default_rng(3)
X = np.concatenate([RNG.normal(c, 0.5, (60, 2)) for c in ((0, 0), (5, 0), (0, 5))])


def test_lines_are_the_scores_and_the_star_is_the_best(tmp_path):
    result = latentem.select_n_components(X, range(1, 6), "aic", random_state=0)
    ax = result.plot()
    lines = {line.get_label(): line for line in ax.get_lines()}
    for name in ("bic", "aic", "icl"):
        assert np.array_equal(lines[name.upper()].get_ydata(), result.scores[name])
    (star,) = [line for label, line in lines.items() if label.startswith("best by AIC")]
    best = result.candidates[np.argmin(result.scores["aic"])]
    assert star.get_xdata()[0] == result.best_n_components == best
    assert star.get_ydata()[0] == result.scores["aic"].min()
    path = tmp_path / "selection.png"
    ax.figure.savefig(path, dpi=60)
    assert_picture(path)
    assert plot_selection(result, criteria=["icl"]).get_lines()[0].get_label() == "ICL"


def test_model_selection_draws_one_line_per_structure_and_stars_the_best(tmp_path):
    selection = latentem.select_model(X, range(1, 5), ["EII", "VVV", "EEE"], random_state=0)
    ax = selection.plot()
    lines = {line.get_label(): line for line in ax.get_lines()}
    table = selection.scores["bic"]
    for j, name in enumerate(selection.covariance_types):
        np.testing.assert_array_equal(lines[name].get_ydata(), table[:, j])
    (star,) = [line for label, line in lines.items() if label.startswith("best by BIC")]
    best = selection.best_estimator
    assert star.get_label() == f"best by BIC: {best.covariance_type}, {best.n_components}"
    assert star.get_ydata()[0] == np.nanmin(table)
    path = tmp_path / "model_selection.png"
    ax.figure.savefig(path, dpi=60)
    assert_picture(path)
    other = latentem.plot.plot_model_selection(selection, criterion="aic")
    assert other.get_ylabel().startswith("AIC")
