"""The front classes' one fitting driver: restarts, best start, its warning, thread safety."""

import threading
import warnings

import numpy as np
import pytest

import latentem
from latentem.estimators.base import fit_best_start
from latentem.testing import assert_monotone

RNG = np.random.default_rng(11)
X = np.concatenate([RNG.normal(-2, 1, (80, 2)), RNG.normal(2, 1, (80, 2))])


def _no_filter_changes(monkeypatch):
    """Make any change of the process-wide warning filters fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a fit changed the process-wide warning filters")

    for name in ("catch_warnings", "simplefilter", "filterwarnings", "resetwarnings"):
        monkeypatch.setattr(warnings, name, refuse)


def test_the_best_start_is_the_highest_objective_and_alone_warns():
    starts = [latentem.GaussianMixtureModel.from_data(X, 2, random_state=i) for i in range(4)]
    engine = latentem.EM(max_iter=2, tol=0.0)
    with pytest.warns(latentem.ConvergenceWarning):
        separately = [engine.fit(start, X) for start in starts]
    with pytest.warns(latentem.ConvergenceWarning) as record:
        index, best = fit_best_start(starts, X, lambda i: engine, "the best ran out", n_jobs=2)
    assert [str(w.message) for w in record] == ["the best ran out"]
    objectives = [result.objective for result in separately]
    assert index == int(np.argmax(objectives)) and best.objective == max(objectives)
    np.testing.assert_array_equal(best.history, separately[index].history)
    assert record[0].filename == __file__  # the warning points at the caller


@pytest.mark.parametrize(
    "fit",
    [
        lambda: latentem.GaussianMixture(2, n_init=2, max_iter=1).fit(X),
        lambda: latentem.GaussianMixture(2, max_iter=1).fit_predict(X),
        lambda: latentem.GaussianHMM(2, n_init=2, n_iter=1).fit(X),
    ],
)
def test_a_front_class_warning_points_at_the_user_line(fit):
    with pytest.warns(latentem.ConvergenceWarning) as record:
        fit()
    assert [w.filename for w in record] == [__file__]


def test_a_converged_best_start_does_not_warn():
    starts = [latentem.GaussianMixtureModel.from_data(X, 2, random_state=i) for i in range(2)]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fit_best_start(starts, X, lambda i: latentem.EM(max_iter=500), "unexpected")
    assert record == []


def test_front_classes_and_assert_monotone_leave_the_warning_filters_alone(monkeypatch):
    _no_filter_changes(monkeypatch)
    latentem.GaussianMixture(2, n_init=3, n_jobs=2, random_state=0).fit(X)
    latentem.GaussianHMM(2, n_init=2, n_iter=50, tol=1e-6, random_state=0).fit(X)
    start = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0, reg_covar=0.0)
    assert_monotone(start, X, n_iter=5)


def test_concurrent_fits_each_warn_and_no_warning_is_lost():
    n_threads = 8
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        before = list(warnings.filters)

        def fit(seed):
            latentem.GaussianMixture(2, n_init=3, max_iter=1, random_state=seed).fit(X)

        threads = [threading.Thread(target=fit, args=(seed,)) for seed in range(n_threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert warnings.filters == before
    converged = [w for w in record if issubclass(w.category, latentem.ConvergenceWarning)]
    assert len(converged) == n_threads
