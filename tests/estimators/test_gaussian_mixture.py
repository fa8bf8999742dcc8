"""GaussianMixture behaviour beyond scikit-learn equivalence: restarts, hard EM, verbosity."""

import warnings

import numpy as np
import pytest

from latentem import ConvergenceWarning, GaussianMixture

RNG = np.random.default_rng(2)
# five tight clusters: single random starts often merge two of them
X = np.concatenate([RNG.normal(centre, 0.3, (60, 2)) for centre in [0, 3, 6, 9, 12]])


def test_restarts_keep_the_best_objective(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(
            5, init_params="random", n_init=6, max_iter=3, tol=0, verbose=1, random_state=0
        ).fit(X)
    printed = [
        float(line.rsplit(" ", 1)[1])
        for line in capsys.readouterr().out.splitlines()
        if "objective per sample" in line
    ]
    assert len(printed) == 6 and len(set(printed)) > 1  # the restarts differ
    assert gm.lower_bound_ == pytest.approx(max(printed), abs=1e-8)
    assert gm.lower_bounds_[-1] == gm.lower_bound_


def test_fit_predict_equals_fit_then_predict():
    gm = GaussianMixture(3, random_state=1, max_iter=3, tol=0)
    with pytest.warns(ConvergenceWarning):
        labels = gm.fit_predict(X)
    np.testing.assert_array_equal(labels, gm.predict(X))


def test_hard_assignment_reports_the_classification_objective():
    gm = GaussianMixture(5, assignment="hard", random_state=0, reg_covar=0.0).fit(X)
    joint = gm.model_.joint_log_prob(X)
    # converged hard EM: the last M-step kept the partition, so the parameters did not move
    assert gm.lower_bound_ == pytest.approx(joint.max(axis=1).mean(), rel=1e-12)
    assert np.all(np.diff(gm.lower_bounds_) >= -1e-12)
    assert gm.converged_
    proba = gm.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_verbose_prints_restarts_and_iterations(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        GaussianMixture(
            2, verbose=2, verbose_interval=1, max_iter=3, tol=0, n_init=2, random_state=0
        ).fit(X[:100])
    out = capsys.readouterr().out
    assert out.count("Initialization 0") == 1 and out.count("Initialization 1") == 1
    assert out.count("Iteration 3") == 2


def test_warm_start_on_new_data_raises_no_decrease_warning():
    other = X + 3.0 * RNG.normal(size=X.shape)
    gm = GaussianMixture(3, warm_start=True, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the objective on new data is not comparable
        gm.fit(other)
    assert gm.converged_ and len(gm.lower_bounds_) == gm.n_iter_


def _two_clusters_stream(rows=20_000):
    rng = np.random.default_rng(0)
    half = rows // 2
    return np.concatenate([rng.normal(0, 1, (half, 2)), rng.normal(4, 1, (half, 2))])


def test_an_ordered_stream_warns_once_and_a_shuffled_one_reaches_the_batch_fit():
    X = _two_clusters_stream()
    batch = GaussianMixture(2, random_state=0).fit(X)
    ordered = GaussianMixture(2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for start in range(0, len(X), 1000):
            ordered.partial_fit(X[start : start + 1000])
    unlike = [w for w in caught if "looks unlike the stream so far" in str(w.message)]
    assert len(unlike) == 1 and "shuffle the stream" in str(unlike[0].message)
    assert unlike[0].filename == __file__  # points at the user's partial_fit line
    assert batch.score(X) - ordered.score(X) > 0.5  # what the warning is about
    shuffled = GaussianMixture(2, random_state=0)
    order = np.random.default_rng(1).permutation(len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for start in range(0, len(X), 1000):
            shuffled.partial_fit(X[order[start : start + 1000]])
    assert batch.score(X) - shuffled.score(X) < 1e-3
