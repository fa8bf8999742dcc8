"""Categorical and Poisson emissions: densities against scipy, updates, hostile data."""

import numpy as np
import pytest
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
        ([[0], [-1]], ValueError, "non-negative integer symbols; got -1 at row 1"),
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
        ([[np.inf, 1.0]], "NaN or infinity"),
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
