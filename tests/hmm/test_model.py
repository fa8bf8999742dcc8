"""HiddenMarkovModel: the LatentModel contract, monotone Baum-Welch, mixtures, any family."""

import warnings

import numpy as np
import pytest
from attrs import frozen
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import latentem
from latentem import EM, Chunks, ConvergenceWarning, GaussianMixtureModel, distributions
from latentem.core.stats import AdditiveStatistics
from latentem.distributions import Distribution
from latentem.hmm import (
    CategoricalEmissions,
    GaussianEmissions,
    HiddenMarkovModel,
    IndependentEmissions,
    PoissonEmissions,
    Sequences,
    split_sequences,
)
from latentem.testing import assert_models_close, assert_monotone, check_latent_model
from latentem.testing import strategies as lst
from tests.reuse import runs_in_turn_and_at_once

# -- a user-written family: the "any Distribution" path ------------------------------------


@frozen
class MomentStats(AdditiveStatistics):
    weight: float
    total: float
    squares: float


@frozen
class Normal(Distribution):
    """A univariate normal written against the Distribution protocol only."""

    mean: float
    variance: float

    def log_prob(self, x):
        return stats.norm.logpdf(x[:, 0], self.mean, np.sqrt(self.variance))

    def statistics(self, x, weights):
        return MomentStats(
            float(weights.sum()), float(weights @ x[:, 0]), float(weights @ x[:, 0] ** 2)
        )

    def maximize(self, s):
        mean = s.total / s.weight
        return Normal(mean, s.squares / s.weight - mean**2)

    def sample(self, n_samples, rng):
        return rng.normal(self.mean, np.sqrt(self.variance), size=(n_samples, 1))

    @property
    def n_parameters(self):
        return 2

    @property
    def n_features(self):
        return 1


@frozen
class Exponential(Distribution):
    """Exponential waiting times, another user-written family."""

    rate: float

    def log_prob(self, x):
        return np.log(self.rate) - self.rate * x[:, 0]

    def statistics(self, x, weights):
        return MomentStats(float(weights.sum()), float(weights @ x[:, 0]), 0.0)

    def maximize(self, s):
        return Exponential(s.weight / s.total)

    def sample(self, n_samples, rng):
        return rng.exponential(1.0 / self.rate, size=(n_samples, 1))

    def check_data(self, x):
        if np.any(x < 0):
            raise ValueError("exponential data must be non-negative")

    @property
    def n_parameters(self):
        return 1

    @property
    def n_features(self):
        return 1


def two_state(emissions, startprob=(0.6, 0.4), transmat=((0.8, 0.2), (0.3, 0.7))):
    return HiddenMarkovModel(startprob, transmat, emissions)


def sampled(model, lengths, seed=0):
    pieces = [model.sample(n, random_state=seed + i)[0] for i, n in enumerate(lengths)]
    return Sequences(np.concatenate(pieces), lengths)


# -- the contract ----------------------------------------------------------------------------


@settings(max_examples=30)
@given(lst.hmm_data(n_sequences=st.integers(2, 4)))
def test_contract_holds_for_random_hmms(model_and_data):
    model, data = model_and_data
    check_latent_model(model, data, split=split_sequences, n_iter=5)


@settings(max_examples=30)
@given(lst.hmm_data(n_sequences=st.integers(1, 3), lengths=st.integers(1, 60)))
def test_objective_never_decreases(model_and_data):
    model, data = model_and_data
    result = assert_monotone(model, data, n_iter=15, rtol=1e-10)
    assert np.all(np.isfinite(result.history))


def test_contract_holds_for_user_written_families():
    truth = two_state([Normal(-2.0, 1.0), Normal(3.0, 0.5)])
    data = sampled(truth, [40, 1, 25, 7])
    check_latent_model(
        two_state([Normal(-1.0, 2.0), Normal(1.0, 2.0)]), data, split=split_sequences
    )
    waiting = sampled(two_state([Exponential(0.5), Exponential(4.0)]), [30, 30])
    check_latent_model(
        two_state([Exponential(1.0), Exponential(2.0)]), waiting, split=split_sequences
    )


def test_generic_path_takes_the_same_steps_as_the_batched_gaussian():
    truth = two_state([Normal(-2.0, 1.0), Normal(3.0, 0.5)])
    data = sampled(truth, [40, 1, 25])
    generic = two_state([Normal(-1.0, 2.0), Normal(1.0, 1.5)])
    batched = two_state(GaussianEmissions([[-1.0], [1.0]], [[2.0], [1.5]], "diag"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = EM(max_iter=8, tol=0).fit(generic, data)
        b = EM(max_iter=8, tol=0).fit(batched, data)
    np.testing.assert_allclose(a.history, b.history, rtol=1e-12)
    np.testing.assert_allclose(a.model.transmat, b.model.transmat, rtol=1e-10)
    means = [component.mean for component in a.model.emissions.components]
    variances = [component.variance for component in a.model.emissions.components]
    np.testing.assert_allclose(means, b.model.emissions.means.ravel(), rtol=1e-10)
    np.testing.assert_allclose(variances, b.model.emissions.covariances.ravel(), rtol=1e-9)


def test_user_family_data_checks_and_sampling_are_used():
    model = two_state([Exponential(1.0), Exponential(2.0)])
    with pytest.raises(ValueError, match="non-negative"):
        model.log_likelihood(np.array([[1.0], [-1.0]]))
    X, states = model.sample(200, random_state=0)
    assert X.shape == (200, 1) and np.all(X >= 0) and set(states) <= {0, 1}
    assert model.n_parameters == 1 + 2 + 2


# -- mixtures: sequences of length 1 ----------------------------------------------------------


@pytest.mark.parametrize("structure", ["full", "diag", "spherical", "tied"])
def test_length_one_sequences_are_a_mixture(structure):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-2, 1, (60, 2)), rng.normal(2, 0.7, (40, 2))])
    start = GaussianMixtureModel.from_data(
        X, 3, covariance_type=structure, reg_covar=0.0, random_state=0
    )
    hmm = HiddenMarkovModel(
        start.weights,
        rng.dirichlet(np.ones(3), size=3),  # irrelevant: no sequence has a transition
        GaussianEmissions(start.means, start.covariances, structure),
    )
    data = Sequences(X, np.ones(X.shape[0], dtype=int))
    assert hmm.log_likelihood(data) == pytest.approx(start.log_likelihood(X), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture = EM(max_iter=10, tol=0).fit(start, X)
        chain = EM(max_iter=10, tol=0).fit(hmm, data)
    np.testing.assert_allclose(chain.history, mixture.history, rtol=1e-11)
    np.testing.assert_allclose(chain.model.startprob, mixture.model.weights, rtol=1e-10)
    np.testing.assert_allclose(chain.model.emissions.means, mixture.model.means, rtol=1e-9)
    np.testing.assert_allclose(
        chain.model.emissions.covariances, mixture.model.covariances, rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        chain.model.predict_proba(data), mixture.model.predict_proba(X), atol=1e-10
    )


# -- chunked and fixed parameters, priors and degenerate states ---------------------------------


def test_chunked_em_equals_em_on_all_the_data():
    truth = two_state(PoissonEmissions([[2.0], [9.0]]))
    data = sampled(truth, [30, 5, 1, 40, 12])
    start = two_state(PoissonEmissions([[1.0], [5.0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = EM(max_iter=6, tol=0).fit(start, data)
        chunked = EM(max_iter=6, tol=0).fit(start, Chunks(data.chunks(40)))
    np.testing.assert_allclose(chunked.history, whole.history, rtol=1e-12)
    assert_models_close(chunked.model, whole.model, rtol=1e-11)


def test_fixed_parameters_are_kept():
    model = HiddenMarkovModel(
        [0.5, 0.5],
        [[0.9, 0.1], [0.2, 0.8]],
        CategoricalEmissions([[0.7, 0.3], [0.1, 0.9]], fixed=["probabilities"]),
        fixed=["transmat"],
    )
    data = Sequences(np.array([[0], [1], [1], [0], [1]]), [3, 2])
    fitted = model.m_step(model.e_step(data))
    np.testing.assert_array_equal(fitted.transmat, model.transmat)
    np.testing.assert_array_equal(fitted.emissions.probabilities, model.emissions.probabilities)
    assert not np.array_equal(fitted.startprob, model.startprob)


def test_dirichlet_priors_give_the_closed_form_map():
    model = HiddenMarkovModel(
        [0.5, 0.5],
        [[0.9, 0.1], [0.2, 0.8]],
        CategoricalEmissions([[0.7, 0.3], [0.1, 0.9]], prior=3.0),
        startprob_prior=2.0,
        transmat_prior=[[1.5, 1.0], [4.0, 2.0]],
    )
    data = Sequences(np.array([[0], [1], [1], [0], [1], [1]]), [4, 2])
    s = model.e_step(data)
    fitted = model.m_step(s)
    np.testing.assert_allclose(fitted.startprob, (s.start + 1) / (s.start + 1).sum())
    numerator = s.transitions + np.array([[0.5, 0.0], [3.0, 1.0]])
    np.testing.assert_allclose(fitted.transmat, numerator / numerator.sum(axis=1, keepdims=True))
    counts = s.emissions.counts + 2.0
    np.testing.assert_allclose(
        fitted.emissions.probabilities, counts / counts.sum(axis=1, keepdims=True)
    )
    assert_monotone(model, data, n_iter=20)


def test_unvisited_state_keeps_its_transition_row_and_zeros_stay_zero():
    model = HiddenMarkovModel(
        [1.0, 0.0, 0.0],
        [[0.6, 0.4, 0.0], [0.0, 0.5, 0.5], [0.3, 0.3, 0.4]],
        PoissonEmissions([[1.0], [4.0], [10.0]]),
    )
    data = Sequences(np.array([[1], [0], [3], [1]]), [2, 2])  # state 2 is two steps away
    fitted = model.m_step(model.e_step(data))
    np.testing.assert_array_equal(fitted.transmat[2], model.transmat[2])
    assert fitted.transmat[0, 2] == 0.0 and fitted.transmat[1, 0] == 0.0
    np.testing.assert_array_equal(fitted.emissions.rates[2], model.emissions.rates[2])
    assert np.all(np.isfinite(fitted.transmat))


# -- sampling and the stationary distribution -----------------------------------------------


def test_sampled_transitions_follow_the_transition_matrix():
    transmat = np.array([[0.8, 0.2, 0.0], [0.1, 0.6, 0.3], [0.5, 0.0, 0.5]])
    model = HiddenMarkovModel([0.0, 1.0, 0.0], transmat, PoissonEmissions([[1.0], [5.0], [20.0]]))
    X, states = model.sample(20_000, random_state=1)
    assert states[0] == 1
    counts = np.zeros((3, 3))
    np.add.at(counts, (states[:-1], states[1:]), 1)
    empirical = counts / counts.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(empirical, transmat, atol=0.02)
    assert counts[0, 2] == 0 and counts[2, 1] == 0
    for k, rate in enumerate([1.0, 5.0, 20.0]):
        assert X[states == k].mean() == pytest.approx(rate, rel=0.1)
    again = model.sample(50, random_state=1, currstate=2)
    assert again[1][0] == 2
    np.testing.assert_array_equal(
        model.sample(50, random_state=3)[1], model.sample(50, random_state=3)[1]
    )


def test_stationary_distribution_solves_pi_equals_pi_transmat():
    transmat = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.0, 0.4, 0.6]])
    model = HiddenMarkovModel([1.0, 0.0, 0.0], transmat, PoissonEmissions([[1.0], [2.0], [3.0]]))
    pi = model.stationary_distribution()
    system = np.vstack([transmat.T - np.eye(3), np.ones(3)])
    expected = np.linalg.lstsq(system, np.array([0, 0, 0, 1.0]), rcond=None)[0]
    np.testing.assert_allclose(pi, expected, atol=1e-12)


# -- hostile input -----------------------------------------------------------------------------


POISSON = PoissonEmissions([[1.0], [2.0]])


@pytest.mark.parametrize(
    ("startprob", "transmat", "message"),
    [
        (
            [0.5, 0.6],
            [[0.5, 0.5], [0.5, 0.5]],
            r"startprob must sum to 1; got sum 1\.1\. Normalise",
        ),
        ([1.5, -0.5], [[0.5, 0.5], [0.5, 0.5]], "startprob must be non-negative"),
        ([0.5, 0.5], [[0.5, 0.5], [0.0, 0.0]], "row 1 sums to 0.*every state needs outgoing"),
        ([0.5, 0.5], [[0.5, 0.6], [0.5, 0.5]], "every row of transmat must sum to 1; row 0"),
        ([0.5, 0.5], [[0.5, 0.5]], r"transmat must have shape \(2, 2\)"),
        ([1.0], [[1.0]], r"startprob must have shape \(2,\)"),
        ([np.nan, 1.0], [[0.5, 0.5], [0.5, 0.5]], "startprob must be finite"),
    ],
)
def test_probabilities_off_the_simplex_are_rejected(startprob, transmat, message):
    with pytest.raises(ValueError, match=message):
        HiddenMarkovModel(startprob, transmat, POISSON)


def test_bad_priors_fixed_names_and_emissions_are_rejected():
    with pytest.raises(ValueError, match="positive Dirichlet concentrations"):
        HiddenMarkovModel([0.5, 0.5], np.full((2, 2), 0.5), POISSON, transmat_prior=0.0)
    with pytest.raises(ValueError, match="fixed for HiddenMarkovModel must name parameters"):
        HiddenMarkovModel([0.5, 0.5], np.full((2, 2), 0.5), POISSON, fixed=["startprobs"])
    with pytest.raises(TypeError, match="one distribution per state"):
        HiddenMarkovModel([1.0], [[1.0]], Normal(0.0, 1.0))
    with pytest.raises(TypeError, match=r"emissions\[1\] must be a latentem.distributions"):
        HiddenMarkovModel([0.5, 0.5], np.full((2, 2), 0.5), [Normal(0.0, 1.0), "normal"])
    with pytest.raises(TypeError, match="HMMStats"):
        HiddenMarkovModel([0.5, 0.5], np.full((2, 2), 0.5), POISSON).m_step(object())


def test_data_that_does_not_fit_the_emissions_is_rejected():
    gaussian = two_state(
        GaussianEmissions([[0.0, 0.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]], "diag")
    )
    with pytest.raises(ValueError, match="X has 3 features, but the emissions model 2"):
        gaussian.log_likelihood(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="lengths must sum"):
        gaussian.e_step(Sequences(np.zeros((4, 2)), [2, 1]))
    with pytest.raises(ValueError, match="infinit"):
        gaussian.log_likelihood(np.array([[0.0, np.inf]]))


def test_zero_probability_data_stops_em_with_a_clear_error():
    model = two_state(CategoricalEmissions([[1.0, 0.0], [1.0, 0.0]]))
    data = Sequences(np.array([[0], [1]]), [2])
    assert model.log_likelihood(data) == -np.inf
    with pytest.raises(ValueError, match="non-finite log_likelihood"):
        EM(max_iter=3).fit(model, data)


def test_decode_rejects_unknown_algorithms_and_predict_uses_viterbi():
    model = two_state(POISSON)
    data = Sequences(np.array([[0], [3], [1]]), [3])
    with pytest.raises(ValueError, match="algorithm must be one of 'viterbi', 'map'"):
        model.decode(data, algorithm="posterior")
    np.testing.assert_array_equal(model.predict(data), model.decode(data)[1])
    assert latentem.HiddenMarkovModel is HiddenMarkovModel
    assert isinstance(model.emissions, PoissonEmissions)
    assert isinstance(two_state([Normal(0, 1), Normal(1, 1)]).emissions, IndependentEmissions)


@pytest.mark.parametrize(
    ("generic", "batched", "data"),
    [
        (
            [
                distributions.MultivariateNormal([0.0, 0.0], np.eye(2)),
                distributions.MultivariateNormal([1.0, 1.0], 2 * np.eye(2)),
            ],
            GaussianEmissions([[0.0, 0.0], [1.0, 1.0]], [np.eye(2), 2 * np.eye(2)], "full"),
            np.random.default_rng(0).normal(size=(80, 2)),
        ),
        (
            [distributions.Poisson(1.0), distributions.Poisson(5.0)],
            PoissonEmissions([[1.0], [5.0]]),
            np.random.default_rng(1).poisson(3.0, size=(80, 1)),
        ),
        (
            [
                distributions.Categorical([0.2, 0.3, 0.5]),
                distributions.Categorical([0.6, 0.3, 0.1]),
            ],
            CategoricalEmissions([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]),
            np.random.default_rng(2).integers(0, 3, size=(80, 1)),
        ),
    ],
)
def test_library_families_through_the_generic_path_match_the_batched_emissions(
    generic, batched, data
):
    sequences = Sequences(data, [30, 1, 49])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = EM(max_iter=6, tol=0).fit(two_state(generic), sequences)
        b = EM(max_iter=6, tol=0).fit(two_state(batched), sequences)
    np.testing.assert_allclose(a.history, b.history, rtol=1e-12)
    np.testing.assert_allclose(a.model.transmat, b.model.transmat, rtol=1e-10)
    np.testing.assert_allclose(
        a.model.predict_proba(sequences), b.model.predict_proba(sequences), atol=1e-10
    )


def test_prepared_data_are_reused_only_by_emissions_that_prepare_alike():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 2))
    data = Sequences(X, [20, 40])
    diag = two_state(GaussianEmissions([[0.0, 0.0], [1.0, 1.0]], np.ones((2, 2)), "diag"))
    full = two_state(GaussianEmissions([[0.0, 0.0], [1.0, 1.0]], [np.eye(2)] * 2, "full"))
    for model in (diag, full, diag):  # a cache of one family must not serve the other
        assert model.log_likelihood(data) == pytest.approx(
            model.log_likelihood(Sequences(X.copy(), [20, 40])), rel=1e-13
        )
    symbols = Sequences(np.array([[0], [2], [1]]), [3])
    two_state(CategoricalEmissions([[0.3, 0.3, 0.4], [0.5, 0.25, 0.25]])).log_likelihood(symbols)
    with pytest.raises(ValueError, match="got symbol 2"):
        two_state(CategoricalEmissions([[0.5, 0.5], [0.5, 0.5]])).log_likelihood(symbols)
    with pytest.raises(ValueError, match="read-only"):
        data.X[0, 0] = 1.0


def test_e_steps_reusing_work_arrays_equal_fresh_ones_also_from_threads():
    # E-steps on the same data keep the scan's work arrays for the next one; a step
    # must see nothing of the previous step's values, nor of a concurrent step's
    truth = two_state(GaussianEmissions([[0.0, 0.0], [3.0, 1.0]], np.ones((2, 2)), "diag"))
    data = sampled(truth, [7000, 3, 1, 4500])
    models = [
        two_state(
            GaussianEmissions([[0.5 * i, 0.0], [2.0, 1.0 + i]], np.full((2, 2), 1.0 + i), "diag"),
            transmat=((0.9 - 0.1 * i, 0.1 + 0.1 * i), (0.2, 0.8)),
        )
        for i in range(4)
    ]

    def fresh(model):  # data the scan has never seen: new work arrays
        return model.e_step(Sequences(data.X.copy(), data.lengths))

    expected = [fresh(model) for model in models]
    for variant, result in runs_in_turn_and_at_once(lambda i: models[i].e_step(data), 4):
        reference = expected[variant]
        assert result.log_likelihood == reference.log_likelihood
        np.testing.assert_array_equal(result.transitions, reference.transitions)
        np.testing.assert_array_equal(result.start, reference.start)
