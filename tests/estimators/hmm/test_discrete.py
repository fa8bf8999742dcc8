"""CategoricalHMM and PoissonHMM take hmmlearn 0.3's Baum-Welch steps from the same start."""

import logging
import warnings

import numpy as np
import pytest

import latentem
from latentem import ConvergenceWarning

hmm = pytest.importorskip("hmmlearn.hmm")
logging.getLogger("hmmlearn").setLevel(logging.ERROR)

K = 3
LENGTHS = [30, 1, 45, 12]
RTOL, ATOL = 1e-6, 1e-10


def start(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "startprob_": rng.dirichlet(np.ones(K)),
        "transmat_": rng.dirichlet(np.ones(K), size=K),
    }


def fit_pair(reference, ours, X, parameters):
    for model in (reference, ours):
        for name, value in parameters.items():
            setattr(model, name, np.copy(value))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, LENGTHS)


def assert_same(reference, ours, X, names):
    for name in ("startprob_", "transmat_", *names):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(reference, name), rtol=RTOL, atol=ATOL
        )
    assert ours.score(X, LENGTHS) == pytest.approx(reference.score(X, LENGTHS), rel=RTOL)
    np.testing.assert_allclose(
        ours.predict_proba(X, LENGTHS), reference.predict_proba(X, LENGTHS), rtol=RTOL, atol=ATOL
    )
    np.testing.assert_array_equal(ours.predict(X, LENGTHS), reference.predict(X, LENGTHS))
    np.testing.assert_allclose(ours.monitor_.history, list(reference.monitor_.history), rtol=RTOL)
    assert ours.bic(X, LENGTHS) == pytest.approx(reference.bic(X, LENGTHS), rel=RTOL)


@pytest.mark.parametrize(
    "priors",
    [{}, {"emissionprob_prior": 2.0, "transmat_prior": 1.5, "startprob_prior": 3.0}],
)
def test_categorical_takes_the_same_steps_as_hmmlearn(priors):
    rng = np.random.default_rng(1)
    X = rng.integers(0, 4, size=(sum(LENGTHS), 1))
    parameters = {**start(), "emissionprob_": rng.dirichlet(np.ones(4), size=K)}
    reference = hmm.CategoricalHMM(K, init_params="", n_iter=12, tol=-np.inf, **priors)
    ours = latentem.CategoricalHMM(K, init_params="", n_iter=12, tol=0.0, **priors)
    fit_pair(reference, ours, X, parameters)
    assert_same(reference, ours, X, ["emissionprob_"])


def test_categorical_subsets_of_params_match_hmmlearn():
    rng = np.random.default_rng(2)
    X = rng.integers(0, 3, size=(sum(LENGTHS), 1))
    parameters = {**start(2), "emissionprob_": rng.dirichlet(np.ones(3), size=K)}
    for params in ("se", "te", "st"):
        reference = hmm.CategoricalHMM(K, init_params="", params=params, n_iter=5, tol=-np.inf)
        ours = latentem.CategoricalHMM(K, init_params="", params=params, n_iter=5, tol=0.0)
        fit_pair(reference, ours, X, parameters)
        assert_same(reference, ours, X, ["emissionprob_"])


def test_categorical_symbols_out_of_range_say_what_to_change():
    X = np.array([[0], [1], [2], [5]])
    with pytest.raises(
        ValueError, match=r"symbols 0 \.\. 3 \(n_symbols=4\); got symbol 5 at row 3"
    ):
        latentem.CategoricalHMM(2, n_features=4).fit(X)
    model = latentem.CategoricalHMM(2, n_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    assert model.emissionprob_.shape == (2, 6) and model.n_features is None
    with pytest.raises(ValueError, match="got symbol 6 at row 0"):
        model.predict([[6]])
    with pytest.raises(ValueError, match="non-negative integer symbols"):
        model.fit([[0], [-2]])  # -1 is a missing symbol, as in pandas' codes
    with pytest.raises(ValueError, match=r"'e' \(probabilities\).*got 'm'"):
        latentem.CategoricalHMM(2, params="stm").fit(X)


def test_poisson_takes_the_same_steps_as_hmmlearn():
    rng = np.random.default_rng(3)
    X = np.concatenate([rng.poisson(2.0, size=(50, 2)), rng.poisson(9.0, size=(38, 2))])
    parameters = {**start(3), "lambdas_": rng.uniform(1.0, 8.0, size=(K, 2))}
    reference = hmm.PoissonHMM(K, init_params="", n_iter=12, tol=-np.inf)
    ours = latentem.PoissonHMM(K, init_params="", n_iter=12, tol=0.0)
    fit_pair(reference, ours, X, parameters)
    assert_same(reference, ours, X, ["lambdas_"])


def test_poisson_prior_is_the_per_state_posterior_mean():
    rng = np.random.default_rng(4)
    X = rng.poisson(4.0, size=(sum(LENGTHS), 1))
    ours = latentem.PoissonHMM(
        K, init_params="", params="l", n_iter=1, tol=0.0, lambdas_prior=2.0, lambdas_weight=0.5
    )
    parameters = {**start(4), "lambdas_": rng.uniform(1.0, 8.0, size=(K, 1))}
    for name, value in parameters.items():
        setattr(ours, name, value)
    gamma = ours.predict_proba(X, LENGTHS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, LENGTHS)
    expected = (2.0 + gamma.T @ X) / (0.5 + gamma.sum(axis=0))[:, None]
    np.testing.assert_allclose(ours.lambdas_, expected, rtol=1e-12)


def test_poisson_rejects_non_counts():
    with pytest.raises(ValueError, match="non-negative counts; got -1 at row 1, column 0"):
        latentem.PoissonHMM(2).fit([[1], [-1], [3]])
    with pytest.raises(ValueError, match="whole numbers"):
        latentem.PoissonHMM(2).fit([[1.5], [2.0]])


@pytest.mark.parametrize("tol", [1e-1, 1e-3])
def test_tol_is_on_the_total_log_likelihood_as_in_hmmlearn(tol):
    rng = np.random.default_rng(6)
    X = rng.integers(0, 3, size=(sum(LENGTHS), 1))
    parameters = {**start(6), "emissionprob_": rng.dirichlet(np.ones(3), size=K)}
    reference = hmm.CategoricalHMM(K, init_params="", n_iter=500, tol=tol)
    ours = latentem.CategoricalHMM(K, init_params="", n_iter=500, tol=tol)
    fit_pair(reference, ours, X, parameters)
    assert ours.monitor_.converged
    assert ours.monitor_.iter == reference.monitor_.iter < 500
    np.testing.assert_allclose(ours.emissionprob_, reference.emissionprob_, rtol=RTOL, atol=ATOL)


def test_categorical_accepts_several_columns_of_symbols():
    """An extension of hmmlearn: each column emitted independently given the state."""
    truth = latentem.CategoricalHMM(2, init_params="")
    truth.startprob_ = np.array([0.5, 0.5])
    truth.transmat_ = np.array([[0.95, 0.05], [0.05, 0.95]])
    truth.emissionprob_ = np.array(
        [[[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]], [[0.1, 0.1, 0.8], [0.8, 0.1, 0.1]]]
    )
    X, states = truth.sample(400, random_state=0)
    assert X.shape == (400, 2)
    model = latentem.CategoricalHMM(2, n_iter=100, tol=1e-6, random_state=0, n_init=3).fit(X)
    assert model.emissionprob_.shape == (2, 2, 3) and model.n_features_in_ == 2
    labels = model.predict(X)
    assert max(np.mean(labels == states), np.mean(labels != states)) > 0.95
    order = np.argsort(model.emissionprob_[:, 0, 0])[::-1]
    np.testing.assert_allclose(model.emissionprob_[order], truth.emissionprob_, atol=0.08)
    with pytest.raises(ValueError, match="X has 1 features, but CategoricalHMM is expecting 2"):
        model.predict(X[:, :1])
