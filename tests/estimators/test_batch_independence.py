"""A row's score, posterior and label do not depend on the other rows of its batch.

Issue 16, item 1: inference used to prepare each batch in a frame centred and
whitened by that batch, so one large row cost every other row about
``eps (outlier / sigma)^2`` and NaN from about 1e155. Rows are drawn with
magnitudes from 1e-300 to 1e300 next to ordinary ones; every answer for the
batch must equal the answer for the row alone (to 1e-12: the matrix products
of a single row and of a block may round differently), with no NaN.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from latentem import EMImputer, GaussianHMM, GaussianMixture
from latentem.mixture import COVARIANCE_TYPES, GaussianMixtureModel

N_FEATURES, N_COMPONENTS = 3, 3
TOLERANCE = {"rtol": 1e-12, "atol": 1e-12}


def _full_covariances(rng, k=N_COMPONENTS, d=N_FEATURES):
    rotations = np.linalg.qr(rng.normal(size=(k, d, d)))[0]
    spectra = rng.uniform(0.2, 3.0, size=(k, 1, d))
    return (rotations * spectra) @ np.swapaxes(rotations, 1, 2)


def _model(name, seed=0):
    rng = np.random.default_rng(seed)
    structure = COVARIANCE_TYPES[name]
    return GaussianMixtureModel(
        rng.dirichlet(np.full(N_COMPONENTS, 3.0)),
        rng.normal(0.0, 2.0, size=(N_COMPONENTS, N_FEATURES)),
        structure.from_full_matrices(_full_covariances(rng)),
        covariance_type=name,
    )


def _estimator(name):
    gm = GaussianMixture(N_COMPONENTS, covariance_type=name)
    gm.model_ = _model(name)
    return gm


ESTIMATORS = {name: _estimator(name) for name in COVARIANCE_TYPES}

# magnitudes from 1e-300 to 1e300 with either sign, and ordinary values near the means
ENTRIES = st.one_of(
    st.builds(
        lambda sign, exponent, mantissa: sign * mantissa * 10.0**exponent,
        st.sampled_from([-1.0, 1.0]),
        st.integers(-300, 299),
        st.floats(1.0, 9.99),
    ),
    st.floats(-8.0, 8.0),
)
BATCHES = st.lists(
    st.lists(ENTRIES, min_size=N_FEATURES, max_size=N_FEATURES), min_size=2, max_size=5
).map(np.array)


def _check_rows_alone(method, X, compare):
    batch = method(X)
    assert not np.isnan(batch).any(), f"NaN for finite input:\n{X!r}\n{batch!r}"
    for i in range(X.shape[0]):
        compare(batch[i], method(X[i : i + 1])[0])


def _same_label(proba):
    def compare(batch, alone):
        # equal labels, unless the two are tied to rounding
        assert batch == alone or abs(proba[batch] - proba[alone]) <= 1e-12

    return compare


def _assert_close(batch, alone):
    np.testing.assert_allclose(batch, alone, **TOLERANCE)


def _check_estimator(estimator, X):
    _check_rows_alone(estimator.score_samples, X, _assert_close)
    _check_rows_alone(estimator.predict_proba, X, _assert_close)
    proba = estimator.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    labels = estimator.predict(X)
    for i in range(X.shape[0]):
        _same_label(proba[i])(labels[i], estimator.predict(X[i : i + 1])[0])


@pytest.mark.parametrize("name", list(COVARIANCE_TYPES))
@settings(max_examples=15)
@given(X=BATCHES)
def test_gaussian_mixture_answers_a_row_as_it_answers_it_alone(name, X):
    _check_estimator(ESTIMATORS[name], X)


def test_one_huge_row_changes_no_other_row_and_gets_its_own_log_density():
    gm = ESTIMATORS["full"]
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, N_FEATURES))
    alone = gm.score_samples(X)
    for outlier in (1e6, 1e10, 1e155, 1e200):
        batch = np.vstack([X, np.full(N_FEATURES, outlier)])
        scores = gm.score_samples(batch)
        np.testing.assert_allclose(scores[:-1], alone, rtol=1e-14)
        np.testing.assert_array_equal(gm.predict(batch)[:-1], gm.predict(X))
        assert scores[-1] < -1e11 or (outlier > 1e150 and scores[-1] == -np.inf)
        np.testing.assert_allclose(gm.predict_proba(batch).sum(axis=1), 1.0, rtol=1e-14)


@settings(max_examples=20)
@given(X=BATCHES)
def test_the_imputer_answers_a_row_as_it_answers_it_alone(X):
    X = np.where(np.arange(X.size).reshape(X.shape) % 4 == 1, np.nan, X)  # some holes
    _check_rows_alone(IMPUTER.score_samples, X, _assert_close)


@pytest.mark.parametrize("name", ["full", "diag", "spherical", "tied"])
@settings(max_examples=10)
@given(X=BATCHES)
def test_a_hidden_markov_model_scores_a_row_as_it_scores_it_alone(name, X):
    hmm = HMMS[name]
    n = X.shape[0]
    total, posteriors = hmm.score_samples(X, lengths=[1] * n)
    assert not np.isnan(posteriors).any() and not np.isnan(total)
    alone = [hmm.score_samples(X[i : i + 1]) for i in range(n)]
    np.testing.assert_allclose(total, sum(score for score, _ in alone), **TOLERANCE)
    np.testing.assert_allclose(posteriors, np.vstack([p for _, p in alone]), **TOLERANCE)


def _imputer():
    rng = np.random.default_rng(1)
    X = _model("full").sample(300, random_state=rng)[0]
    X[rng.random(X.shape) < 0.1] = np.nan
    return EMImputer(n_components=2, random_state=0, tol=1e-2).fit(X)


def _hmm(name):
    model = _model(name)
    hmm = GaussianHMM(N_COMPONENTS, covariance_type=name, init_params="", params="")
    hmm.startprob_ = np.full(N_COMPONENTS, 1.0 / N_COMPONENTS)
    hmm.transmat_ = np.full((N_COMPONENTS, N_COMPONENTS), 1.0 / N_COMPONENTS)
    hmm.means_ = model.means
    hmm.covars_ = np.array(model.covariances)
    return hmm


IMPUTER = _imputer()
HMMS = {name: _hmm(name) for name in ["full", "diag", "spherical", "tied"]}
