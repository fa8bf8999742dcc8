"""Partially labelled sequences: the known states are clamped exactly, against brute force.

The references enumerate every state path of short sequences, keep the paths
consistent with the labels, and weigh them with scipy's densities, so they share
nothing with the forward-backward scan.
"""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import latentem
from latentem import ConvergenceWarning
from latentem.hmm import HiddenMarkovModel, PoissonEmissions, Sequences
from latentem.testing import assert_monotone
from latentem.testing import strategies as lst

LENGTHS = [5, 3, 1, 4]


def poisson_hmm(K=3, seed=0):
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.5, 8.0, size=(K, 2))
    startprob = rng.dirichlet(np.ones(K))
    transmat = rng.dirichlet(np.ones(K), size=K)
    return HiddenMarkovModel(startprob, transmat, PoissonEmissions(rates))


def labelled_data(K=3, seed=1):
    rng = np.random.default_rng(seed)
    n = sum(LENGTHS)
    X = rng.poisson(3.0, size=(n, 2)).astype(float)
    labels = np.where(rng.random(n) < 0.4, rng.integers(0, K, n), -1)
    labels[0], labels[5] = 1, -1  # a labelled first step, an unlabelled one
    return X, labels


def brute_force(model, X, labels):
    """Per sequence: log p(x, labels), the posteriors, expected transitions and the best path."""
    rates, K = model.emissions.rates, model.n_states
    densities = np.prod(stats.poisson.pmf(X[:, None, :], rates[None]), axis=2)  # (n, K)
    scores, posteriors, best = [], [], []
    transitions, start = np.zeros((K, K)), np.zeros(K)
    for rows in np.split(np.arange(len(X)), np.cumsum(LENGTHS)[:-1]):
        paths = np.array(list(itertools.product(range(K), repeat=len(rows))))
        known = labels[rows] >= 0
        consistent = np.all(paths[:, known] == labels[rows][known], axis=1)
        paths = paths[consistent]
        joint = model.startprob[paths[:, 0]] * densities[rows[0], paths[:, 0]]
        for t in range(1, len(rows)):
            step = model.transmat[paths[:, t - 1], paths[:, t]]
            joint = joint * step * densities[rows[t], paths[:, t]]
        total = joint.sum()
        scores.append(np.log(total))
        marginals = np.zeros((len(rows), K))
        for t in range(len(rows)):
            np.add.at(marginals[t], paths[:, t], joint / total)
            if t:
                np.add.at(transitions, (paths[:, t - 1], paths[:, t]), joint / total)
        np.add.at(start, paths[:, 0], joint / total)
        posteriors.append(marginals)
        best.append(paths[np.argmax(joint)])
    return np.array(scores), np.concatenate(posteriors), transitions, start, np.concatenate(best)


def test_every_method_clamps_the_known_states_exactly():
    model = poisson_hmm()
    X, labels = labelled_data()
    data = Sequences(X, LENGTHS, labels)
    scores, posteriors, _, _, best = brute_force(model, X, labels)
    np.testing.assert_allclose(model.score_sequences(data), scores, rtol=1e-11)
    np.testing.assert_allclose(model.predict_proba(data), posteriors, rtol=1e-9, atol=1e-13)
    np.testing.assert_array_equal(model.predict(data), best)
    known = labels >= 0
    np.testing.assert_array_equal(model.predict(data)[known], labels[known])
    np.testing.assert_array_equal(model.predict(data, "map")[known], labels[known])


def test_one_baum_welch_step_is_the_brute_force_m_step():
    model = poisson_hmm()
    X, labels = labelled_data()
    _, posteriors, transitions, start, _ = brute_force(model, X, labels)
    fitted = model.m_step(model.e_step(Sequences(X, LENGTHS, labels)))
    np.testing.assert_allclose(fitted.startprob, start / start.sum(), rtol=1e-9)
    expected = transitions / transitions.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(fitted.transmat, expected, rtol=1e-9, atol=1e-15)
    rates = (posteriors.T @ X) / posteriors.sum(axis=0)[:, None]
    np.testing.assert_allclose(fitted.emissions.rates, rates, rtol=1e-9)


def test_labels_follow_their_sequences():
    X, labels = labelled_data()
    data = Sequences(X, LENGTHS, labels)
    np.testing.assert_array_equal(data[[1, 3]].labels, np.concatenate([labels[5:8], labels[9:]]))
    chunks = data.chunks(8)
    np.testing.assert_array_equal(np.concatenate([c.labels for c in chunks]), labels)
    model = poisson_hmm()
    total = sum(model.e_step(chunk).log_likelihood for chunk in chunks)
    assert total == pytest.approx(model.log_likelihood(data), rel=1e-12)


@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        ([0, 3, -1], ValueError, r"states 0 \.\. 2 \(n_states=3\).*got 3 at row 1"),
        ([0, -2, -1], ValueError, "got -2 at row 1"),
        ([0, 1], ValueError, r"one entry per row of X, shape \(3,\)"),
        ([0.5, 1, 1], TypeError, "labels must be integers"),
    ],
)
def test_bad_labels_say_what_is_wrong(labels, error, message):
    with pytest.raises(error, match=message):
        poisson_hmm().log_likelihood(Sequences(np.zeros((3, 2)), labels=labels))


# -- the front classes ---------------------------------------------------------------------


def two_regimes(seed=0, n=300):
    rng = np.random.default_rng(seed)
    states = np.repeat(rng.integers(0, 2, n // 10), 10)
    X = rng.normal(size=(n, 2)) + 4.0 * states[:, None]
    return X, states


def test_all_unknown_is_the_unlabelled_fit_bit_for_bit():
    X, _ = two_regimes()
    kwargs = {"n_components": 2, "random_state": 0, "n_iter": 20, "tol": 1e-6}
    plain = latentem.GaussianHMM(**kwargs).fit(X, lengths=[100, 200])
    unknown = latentem.GaussianHMM(**kwargs).fit(X, lengths=[100, 200], labels=np.full(300, -1))
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(unknown, name))
    assert plain.monitor_.history == unknown.monitor_.history


def test_all_known_is_the_supervised_maximum_likelihood_estimate():
    X, states = two_regimes()
    lengths = [100, 200]
    model = latentem.GaussianHMM(2, "diag", covars_prior=0.0, random_state=0, n_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, lengths=lengths, labels=states)
    firsts = states[[0, 100]]
    np.testing.assert_allclose(model.startprob_, np.bincount(firsts, minlength=2) / 2)
    pairs = np.zeros((2, 2))
    for rows in (np.arange(100), np.arange(100, 300)):
        np.add.at(pairs, (states[rows[:-1]], states[rows[1:]]), 1.0)
    np.testing.assert_allclose(model.transmat_, pairs / pairs.sum(axis=1, keepdims=True))
    for k in range(2):
        np.testing.assert_allclose(model.means_[k], X[states == k].mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(
            np.diag(model.covars_[k]), X[states == k].var(axis=0), rtol=1e-10
        )
    assert model.monitor_.converged


def test_every_hmm_front_class_takes_labels():
    rng = np.random.default_rng(0)
    counts = rng.poisson(3.0, size=(40, 1))
    labels = np.where(np.arange(40) % 7 == 0, 1, -1)
    for model in (
        latentem.PoissonHMM(2, random_state=0),
        latentem.CategoricalHMM(2, random_state=0),
        latentem.GMMHMM(2, n_mix=2, random_state=0, covariance_type="diag"),
    ):
        data = counts.astype(float) if isinstance(model, latentem.GMMHMM) else counts
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(data, labels=labels)
        posteriors = model.model_.predict_proba(Sequences(data, labels=labels))
        np.testing.assert_allclose(posteriors[labels == 1, 1], 1.0)


@st.composite
def labelled_problems(draw):
    K, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    family = draw(st.sampled_from(("gaussian", "poisson", "categorical")))

    def models():
        # no structural zeros: labels drawn from the truth stay possible under the start
        return lst.hmm_models(
            n_states=st.just(K),
            n_features=st.just(d),
            emissions=(family,),
            structural_zeros=False,
        )

    truth, start = draw(models()), draw(models())
    lengths = [draw(st.integers(5, 25)), *draw(st.lists(st.integers(1, 6), max_size=2))]
    seed = draw(lst.seeds())
    pieces = [truth.sample(n, random_state=seed + i) for i, n in enumerate(lengths)]
    X = np.concatenate([x for x, _ in pieces])
    truth_states = np.concatenate([s for _, s in pieces])
    rng = np.random.default_rng(draw(lst.seeds()))
    labels = np.where(rng.random(len(X)) < draw(st.floats(0.0, 1.0)), truth_states, -1)
    return start, Sequences(X, lengths, labels)


@given(labelled_problems())
def test_baum_welch_never_decreases_the_objective_with_labels(problem):
    start, data = problem
    assert_monotone(start, data, n_iter=8)
