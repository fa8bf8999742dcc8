"""Categorical and Poisson emissions: densities against scipy, updates, hostile data."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from latentem.hmm.emissions import CategoricalEmissions, CategoricalStats, PoissonEmissions

RNG = np.random.default_rng(0)


def test_categorical_log_prob_and_counts_match_direct_computation():
    probabilities = RNG.dirichlet(np.ones(4), size=3)
    emissions = CategoricalEmissions(probabilities)
    X = emissions.check_data(RNG.integers(0, 4, size=(30, 1)))
    np.testing.assert_allclose(np.exp(emissions.log_prob(X)), probabilities[:, X[:, 0]].T)
    posteriors = RNG.dirichlet(np.ones(3), size=30)
    counts = emissions.statistics(X, posteriors).counts
    expected = np.stack([[posteriors[X[:, 0] == j, k].sum() for j in range(4)] for k in range(3)])
    np.testing.assert_allclose(counts, expected, rtol=1e-13)
    with np.errstate(divide="ignore"):
        sparse = CategoricalEmissions([[1.0, 0.0], [0.5, 0.5]]).log_prob(np.array([[1]]))
    assert sparse[0, 0] == -np.inf and sparse[0, 1] == pytest.approx(np.log(0.5))


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        ([[0], [4]], ValueError, r"symbols 0 \.\. 3 \(n_symbols=4\); got symbol 4 at row 1"),
        ([[0], [-2]], ValueError, "non-negative integer symbols; got -2 at row 1"),
        ([[0.5]], ValueError, r"whole numbers\); got 0\.5"),
        ([[0, 1]], ValueError, r"one column of symbols, shape \(n_samples, 1\)"),
        ([0, 1], ValueError, r"reshape\(-1, 1\)"),
        ([["a"]], TypeError, "numbers"),
    ],
)
def test_categorical_data_out_of_range_say_what_to_change(X, error, message):
    with pytest.raises(error, match=message):
        CategoricalEmissions(np.full((2, 4), 0.25)).check_data(X)


def test_categorical_update_and_bad_probabilities():
    emissions = CategoricalEmissions([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]], prior=2.0)
    counts = np.array([[3.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    fitted = emissions.maximize(CategoricalStats(counts))
    np.testing.assert_allclose(fitted.probabilities[0], [4 / 6, 2 / 6, 0.0])  # zero stays zero
    np.testing.assert_allclose(fitted.probabilities[1], [1 / 3, 1 / 3, 1 / 3])
    with pytest.raises(ValueError, match=r"row 1 sums to 0\.9"):
        CategoricalEmissions([[0.5, 0.5], [0.4, 0.5]])
    with pytest.raises(ValueError, match="non-negative"):
        CategoricalEmissions([[1.5, -0.5]])
    with pytest.raises(ValueError, match=r"shape \(n_states, n_symbols\)"):
        CategoricalEmissions([0.5, 0.5])


def test_poisson_log_prob_matches_scipy_including_zero_rates():
    rates = np.array([[1.5, 0.2], [7.0, 3.0], [0.0, 2.0]])
    emissions = PoissonEmissions(rates)
    X = emissions.check_data(RNG.poisson(2.0, size=(40, 2)))
    X[0] = [0, 1]
    expected = np.column_stack([stats.poisson(r).logpmf(X).sum(axis=1) for r in rates])
    np.testing.assert_allclose(emissions.log_prob(X), expected, rtol=1e-12)
    positive = PoissonEmissions(rates[:2])
    expected = np.column_stack([stats.poisson(r).logpmf(X).sum(axis=1) for r in rates[:2]])
    np.testing.assert_allclose(positive.log_prob(X), expected, rtol=1e-12)


def test_poisson_update_maximises_the_weighted_objective_with_its_prior():
    X = RNG.poisson(4.0, size=(20, 1)).astype(float)
    posteriors = RNG.dirichlet(np.ones(2), size=20)
    emissions = PoissonEmissions(
        [[1.0], [2.0]], prior_shape=[[2.0], [0.5]], prior_rate=[[1.0], [3.0]]
    )
    fitted = emissions.maximize(emissions.statistics(X, posteriors))

    def objective(log_rates):
        candidate = PoissonEmissions(
            np.exp(log_rates).reshape(2, 1), emissions.prior_shape, emissions.prior_rate
        )
        return -(np.sum(posteriors * candidate.log_prob(X)) + candidate.log_prior())

    found = optimize.minimize(objective, np.zeros(2), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fitted.rates.ravel(), np.exp(found.x), rtol=1e-6)


@pytest.mark.parametrize(
    ("X", "message"),
    [
        ([[1, -2]], "non-negative counts; got -2 at row 0, column 1"),
        ([[1.5, 2.0]], "whole numbers"),
        ([[1, 2, 3]], "X has 3 features, but the emissions model 2 features"),
        ([[np.inf, 1.0]], "X contains infinity"),
    ],
)
def test_poisson_rejects_data_that_are_not_counts(X, message):
    with pytest.raises(ValueError, match=message):
        PoissonEmissions(np.ones((2, 2))).check_data(X)


def test_poisson_rejects_bad_rates_and_priors():
    with pytest.raises(ValueError, match="rates must be finite and non-negative"):
        PoissonEmissions([[-1.0]])
    with pytest.raises(ValueError, match="prior_rate must be finite and non-negative"):
        PoissonEmissions([[1.0]], prior_rate=-1.0)
    with pytest.raises(ValueError, match="fixed for PoissonEmissions"):
        PoissonEmissions([[1.0]], fixed=["lambdas"])


# -- several columns of symbols --------------------------------------------------------------


def _columns_model(seed, k=3, d=2, s=4):
    from latentem.hmm import HiddenMarkovModel

    rng = np.random.default_rng(seed)
    probabilities = rng.dirichlet(np.ones(s), size=(k, d))
    return HiddenMarkovModel(
        rng.dirichlet(np.ones(k)),
        rng.dirichlet(np.ones(k), size=k),
        CategoricalEmissions(probabilities),
    )


def test_several_columns_equal_independent_categoricals_on_the_generic_path():
    from latentem import EM, ConvergenceWarning
    from latentem.distributions import Categorical, Independent
    from latentem.hmm import HiddenMarkovModel, Sequences

    model = _columns_model(0)
    generic = HiddenMarkovModel(
        model.startprob,
        model.transmat,
        [Independent([Categorical(p) for p in state]) for state in model.emissions.probabilities],
    )
    X, _ = model.sample(60, random_state=1)
    data = Sequences(X, [25, 1, 34])
    assert model.log_likelihood(data) == pytest.approx(generic.log_likelihood(data), rel=1e-12)
    np.testing.assert_allclose(model.predict_proba(data), generic.predict_proba(data), atol=1e-12)
    np.testing.assert_array_equal(model.predict(data), generic.predict(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = EM(max_iter=4, tol=0).fit(model, data).model
        theirs = EM(max_iter=4, tol=0).fit(generic, data).model
    for k, state in enumerate(theirs.emissions.components):
        for c, part in enumerate(state.parts):
            np.testing.assert_allclose(ours.emissions.probabilities[k, c], part.probs, rtol=1e-10)
    np.testing.assert_allclose(ours.transmat, theirs.transmat, rtol=1e-10)
    assert ours.n_parameters == theirs.n_parameters == 2 + 6 + 3 * 2 * 3


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 3), st.integers(2, 4))
def test_several_columns_keep_the_latent_model_contract(seed, n_states, n_columns):
    from latentem.hmm import Sequences, split_sequences
    from latentem.testing import check_latent_model

    truth = _columns_model(seed, n_states, n_columns, 3)
    start = _columns_model(seed + 1, n_states, n_columns, 3)
    X, _ = truth.sample(50, random_state=seed)
    check_latent_model(start, Sequences(X, [20, 30]), split=split_sequences, n_iter=5)


def test_several_columns_reject_data_of_another_width():
    emissions = CategoricalEmissions(np.full((2, 3, 4), 0.25))
    assert emissions.n_features == 3 and emissions.n_parameters == 2 * 3 * 3
    with pytest.raises(ValueError, match=r"3 columns of symbols, shape \(n_samples, 3\)"):
        emissions.check_data([[0, 1]])
    with pytest.raises(ValueError, match=r"got symbol 4 at row 0, column 2"):
        emissions.check_data([[0, 1, 4]])
    with pytest.raises(ValueError, match=r"or \(n_states, n_columns, n_symbols\)"):
        CategoricalEmissions(np.full((2, 3, 4, 1), 1.0))
    with pytest.raises(ValueError, match=r"row 1, 0 sums to 0\.9"):
        CategoricalEmissions([[[0.5, 0.5]], [[0.4, 0.5]]])
