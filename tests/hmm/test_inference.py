"""Forward-backward, Viterbi and MAP decoding against brute-force enumeration of all state paths."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from latentem.hmm import scan
from latentem.hmm.inference import (
    check_log_emissions,
    forward_backward,
    map_decode,
    viterbi_decode,
)
from latentem.hmm.logspace import log_forward_backward
from latentem.hmm.plan import scan_plan
from latentem.hmm.scan import scaled_scan
from latentem.hmm.viterbi import viterbi
from latentem.testing import strategies as lst


def enumerate_paths(log_b, startprob, transmat):
    """Every state path of one sequence with its joint log-probability."""
    T, K = log_b.shape
    with np.errstate(divide="ignore"):
        log_pi, log_A = np.log(startprob), np.log(transmat)
    paths = np.array(list(itertools.product(range(K), repeat=T)))
    scores = log_pi[paths[:, 0]] + log_b[np.arange(T), paths].sum(axis=1)
    if T > 1:
        scores = scores + log_A[paths[:, :-1], paths[:, 1:]].sum(axis=1)
    return paths, scores


def brute_force(log_b, startprob, transmat, lengths):
    """Log-likelihoods, posteriors, summed transitions and best paths by enumeration."""
    K = transmat.shape[0]
    ll, gamma, xi, best_scores, best_paths = [], [], np.zeros((K, K)), [], []
    start = 0
    for length in lengths:
        paths, scores = enumerate_paths(log_b[start : start + length], startprob, transmat)
        start += length
        total = np.logaddexp.reduce(scores)
        weights = np.exp(scores - total)
        ll.append(total)
        g = np.zeros((length, K))
        for t in range(length):
            np.add.at(g[t], paths[:, t], weights)
            if t:
                np.add.at(xi, (paths[:, t - 1], paths[:, t]), weights)
        gamma.append(g)
        best = int(np.argmax(scores))  # first of equal scores, like hmmlearn's argmax
        best_scores.append(scores[best])
        best_paths.append(paths[best])
    return (
        np.array(ll),
        np.concatenate(gamma),
        xi,
        np.array(best_scores),
        np.concatenate(best_paths),
    )


@st.composite
def tiny_problems(draw, max_states=3, max_length=5, zeros=True):
    rng = np.random.default_rng(draw(lst.seeds()))
    K = draw(st.integers(1, max_states))
    lengths = np.array(draw(st.lists(st.integers(1, max_length), min_size=1, max_size=3)))
    startprob = rng.dirichlet(np.ones(K))
    transmat = rng.dirichlet(np.ones(K), size=K)
    if zeros and K > 1 and draw(st.booleans()):
        startprob[0] = 0.0
        transmat[:, 0] = 0.0  # state 0 is never entered
        transmat[0, 0] = 1.0 if K == 1 else 0.0
        transmat /= transmat.sum(axis=1, keepdims=True)
        startprob /= startprob.sum()
    log_b = rng.normal(scale=draw(st.sampled_from([1.0, 5.0])), size=(lengths.sum(), K))
    return log_b, startprob, transmat, lengths


@settings(max_examples=40)
@given(tiny_problems())
def test_forward_backward_equals_enumeration(problem):
    log_b, startprob, transmat, lengths = problem
    ll, gamma, xi, _, _ = brute_force(log_b, startprob, transmat, lengths)
    result = forward_backward(log_b, startprob, transmat, lengths)
    np.testing.assert_allclose(result.log_likelihood, ll, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.posteriors, gamma, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.transitions, xi, rtol=1e-10, atol=1e-12)
    assert not np.any(np.isnan(result.posteriors))


@settings(max_examples=40)
@given(tiny_problems())
def test_log_space_forward_backward_equals_enumeration(problem):
    log_b, startprob, transmat, lengths = problem
    ll, gamma, xi, _, _ = brute_force(log_b, startprob, transmat, lengths)
    with np.errstate(divide="ignore"):
        result = log_forward_backward(log_b, np.log(startprob), np.log(transmat), lengths)
    np.testing.assert_allclose(result.log_likelihood, ll, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.posteriors, gamma, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.transitions, xi, rtol=1e-10, atol=1e-12)


@settings(max_examples=40)
@given(tiny_problems(), st.sampled_from([None, 2, 3]))
def test_viterbi_equals_enumeration(problem, block):
    log_b, startprob, transmat, lengths = problem
    _, _, _, best_scores, best_paths = brute_force(log_b, startprob, transmat, lengths)
    with np.errstate(divide="ignore"):
        log_prob, states = viterbi(log_b, np.log(startprob), np.log(transmat), lengths, block=block)
    np.testing.assert_allclose(log_prob, best_scores, rtol=1e-12)
    np.testing.assert_array_equal(states, best_paths)


@settings(max_examples=25)
@given(tiny_problems(max_length=12), st.integers(2, 4))
def test_blocked_scan_equals_enumeration(problem, block):
    """Long sequences cut into blocks of 2-4 steps give the unblocked answer."""
    log_b, startprob, transmat, lengths = problem
    if lengths.sum() > 12:
        lengths = np.array([12])
        log_b = log_b[:12]
    ll, gamma, xi, _, _ = brute_force(log_b[: lengths.sum()], startprob, transmat, lengths)
    plan = scan_plan(lengths, block=block)
    result = scaled_scan(log_b[plan.layout.rows], startprob, transmat, plan)
    assert not result.failed.any()
    np.testing.assert_allclose(result.log_likelihood, ll, rtol=1e-12)
    np.testing.assert_allclose(result.posteriors[plan.positions], gamma, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.transitions, xi, rtol=1e-9, atol=1e-12)


def test_map_decode_takes_the_most_probable_state_of_each_step():
    rng = np.random.default_rng(3)
    log_b = rng.normal(size=(7, 3))
    startprob, transmat = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3), size=3)
    _, gamma, _, _, _ = brute_force(log_b, startprob, transmat, [4, 3])
    log_prob, states = map_decode(
        forward_backward(log_b, startprob, transmat, [4, 3]).posteriors, [4, 3]
    )
    np.testing.assert_array_equal(states, gamma.argmax(axis=1))
    expected = [np.log(gamma[:4].max(axis=1)).sum(), np.log(gamma[4:].max(axis=1)).sum()]
    np.testing.assert_allclose(log_prob, expected, rtol=1e-12)


def test_viterbi_decode_wrapper_matches_enumeration():
    rng = np.random.default_rng(4)
    log_b = rng.normal(size=(6, 2))
    startprob, transmat = np.array([0.3, 0.7]), np.array([[0.9, 0.1], [0.0, 1.0]])
    _, _, _, best, path = brute_force(log_b, startprob, transmat, [6])
    log_prob, states = viterbi_decode(log_b, startprob, transmat, np.array([6]))
    np.testing.assert_allclose(log_prob, best)
    np.testing.assert_array_equal(states, path)


def long_problem(seed, T, K=3, spread=3.0):
    rng = np.random.default_rng(seed)
    transmat = 0.6 * np.eye(K) + 0.4 * rng.dirichlet(np.ones(K), size=K)
    return rng.normal(scale=spread, size=(T, K)), rng.dirichlet(np.ones(K)), transmat


def assert_scan_equals_log_space(log_b, startprob, transmat, lengths, block):
    """The blocked scaled scan, in blocks of ``block`` steps, against log space."""
    lengths = np.array(lengths)
    reference = log_forward_backward(log_b, np.log(startprob), np.log(transmat), lengths)
    plan = scan_plan(lengths, block=block)
    result = scaled_scan(log_b[plan.layout.rows], startprob, transmat, plan)
    assert not result.failed.any()
    np.testing.assert_allclose(result.log_likelihood, reference.log_likelihood, rtol=1e-12)
    np.testing.assert_allclose(
        result.posteriors[plan.positions], reference.posteriors, rtol=1e-8, atol=1e-12
    )
    np.testing.assert_allclose(result.transitions, reference.transitions, rtol=1e-10)


@pytest.mark.parametrize("lengths", [[2000], [700, 1, 3, 900], [300] * 4])
def test_scaled_scan_equals_log_space_on_long_sequences(lengths):
    log_b, startprob, transmat = long_problem(0, sum(lengths))
    assert_scan_equals_log_space(log_b, startprob, transmat, lengths, block=64)


def _agreements(monkeypatch):
    """Record whether each check of the block products found their rows in agreement."""
    seen = []
    check = scan._rows_agree

    def spy(Q, dead):
        common = check(Q, dead)
        seen.append(common is not None)
        return common

    monkeypatch.setattr(scan, "_rows_agree", spy)
    return seen


def slowly_forgetting_problem(T, K=3):
    """Sticky transitions and weak emissions: block rows agree only after ~200 steps."""
    rng = np.random.default_rng(5)
    transmat = 0.9 * np.eye(K) + 0.1 * rng.dirichlet(np.ones(K), size=K)
    return rng.normal(scale=0.5, size=(T, K)), rng.dirichlet(np.ones(K)), transmat


@pytest.mark.parametrize(
    "lengths, slowly", [([3000], False), ([2500, 40, 1700], False), ([3000], True)]
)
def test_blocks_that_forget_their_start_carry_one_row_and_stay_exact(monkeypatch, lengths, slowly):
    # a mixing chain: every block's rows come to agree, and the scan goes on with one
    # row per block. Slowly forgetting blocks disagree at the first checks (by up to
    # 1e-1), so taking their rows as equal too early would show in the answer.
    seen = _agreements(monkeypatch)
    T = sum(lengths)
    log_b, startprob, transmat = slowly_forgetting_problem(T) if slowly else long_problem(1, T, K=4)
    assert_scan_equals_log_space(log_b, startprob, transmat, lengths, block=300)
    assert True in seen
    if slowly:
        assert seen[:3] == [False] * 3


def test_carrying_one_row_keeps_the_bounds_of_rows_that_died_before(monkeypatch):
    # state 2 is absorbing and explains the data e^60 times worse: the row started in
    # it dies, the others agree. Carrying one row must give the block products of the
    # full computation: the same live rows and scales, and the dead rows' bounds as
    # they were (the live rows' scale proves nothing about them).
    T = 3000
    transmat = np.array([[0.85, 0.15, 0.0], [0.25, 0.75, 0.0], [0.0, 0.0, 1.0]])
    rng = np.random.default_rng(0)
    log_b = np.column_stack([rng.normal(size=T), rng.normal(size=T), np.full(T, -60.0)])
    plan = scan_plan(np.array([T]), block=300)
    emissions = scan.scaled_exp(log_b[plan.layout.rows])[0]
    seen = _agreements(monkeypatch)
    Q, log_scale, dead = scan._block_products(emissions, transmat, plan.block_layout)
    assert True in seen
    monkeypatch.setattr(scan, "_rows_agree", lambda Q, dead: None)
    full_Q, full_scale, full_dead = scan._block_products(emissions, transmat, plan.block_layout)
    assert full_dead.any() and not full_dead.all()
    np.testing.assert_array_equal(dead, full_dead)
    np.testing.assert_allclose(Q, full_Q, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(log_scale[~dead], full_scale[~dead], rtol=1e-13)
    np.testing.assert_array_equal(log_scale[dead], full_scale[dead])


def test_blocks_that_never_forget_their_start_keep_every_row(monkeypatch):
    # a deterministic cycle seen through uninformative emissions never forgets where it
    # started: the rows stay distinct, and the answer is still exact
    seen = _agreements(monkeypatch)
    T = 2000
    transmat = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    startprob = np.array([0.5, 0.3, 0.2])
    log_b = np.zeros((T, 3))
    lengths = np.array([T])
    with np.errstate(divide="ignore"):
        reference = log_forward_backward(log_b, np.log(startprob), np.log(transmat), lengths)
    plan = scan_plan(lengths, block=300)
    result = scaled_scan(log_b[plan.layout.rows], startprob, transmat, plan)
    assert seen and True not in seen
    assert not result.failed.any()
    np.testing.assert_allclose(result.log_likelihood, reference.log_likelihood, atol=1e-12)
    np.testing.assert_allclose(result.posteriors[plan.positions], reference.posteriors, atol=1e-12)
    np.testing.assert_allclose(result.transitions, reference.transitions, rtol=1e-10, atol=1e-9)


def test_underflow_is_detected_and_redone_in_log_space():
    """An unreachable state explains every observation e^800 times better than the reachable
    ones, so the scaled emissions of the reachable states underflow: the scan must notice
    and the answer must still be exact (log space)."""
    T = 3000
    transmat = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.0, 0.0, 1.0]])
    startprob = np.array([1.0, 0.0, 0.0])
    rng = np.random.default_rng(0)
    log_b = np.column_stack([rng.normal(size=T), rng.normal(size=T), np.full(T, 800.0)])
    lengths = np.array([T])
    plan = scan_plan(lengths, block=64)
    fast = scaled_scan(log_b[plan.layout.rows], startprob, transmat, plan)
    assert fast.failed.all()
    with np.errstate(divide="ignore"):
        reference = log_forward_backward(log_b, np.log(startprob), np.log(transmat), lengths)
    result = forward_backward(log_b, startprob, transmat, lengths)
    assert np.isfinite(result.log_likelihood[0])
    np.testing.assert_allclose(result.log_likelihood, reference.log_likelihood, rtol=1e-12)
    np.testing.assert_allclose(result.posteriors, reference.posteriors, atol=1e-12)
    np.testing.assert_allclose(result.transitions, reference.transitions, rtol=1e-10)
    # the same with the reachable states tied: enumeration of a short piece agrees too
    ll, gamma, _, _, _ = brute_force(log_b[:6], startprob, transmat, [6])
    short = forward_backward(log_b[:6], startprob, transmat, [6])
    np.testing.assert_allclose(short.log_likelihood, ll, rtol=1e-12)
    np.testing.assert_allclose(short.posteriors, gamma, atol=1e-12)


def test_impossible_observation_gives_minus_infinity_without_nan():
    log_b = np.array([[0.0, 0.0], [-np.inf, -np.inf], [0.0, 0.0], [0.0, -1.0]])
    result = forward_backward(log_b, np.array([0.5, 0.5]), np.full((2, 2), 0.5), [3, 1])
    assert result.log_likelihood[0] == -np.inf
    assert np.isfinite(result.log_likelihood[1])
    assert not np.any(np.isnan(result.posteriors))
    np.testing.assert_array_equal(result.posteriors[:3], 0.0)
    assert not np.any(np.isnan(result.transitions))


def test_zero_start_and_transition_probabilities_give_zero_posteriors():
    rng = np.random.default_rng(1)
    log_b = rng.normal(size=(50, 3))
    startprob = np.array([0.0, 1.0, 0.0])
    transmat = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    result = forward_backward(log_b, startprob, transmat, [50])
    np.testing.assert_array_equal(result.posteriors[:, 0], 0.0)
    assert result.transitions[0].sum() == 0.0 and result.transitions[2, 1] == 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_positive_infinite_emissions_are_rejected(bad):
    log_b = np.zeros((3, 2))
    log_b[1, 1] = bad
    with pytest.raises(ValueError, match="row 1 under state 1"):
        check_log_emissions(log_b, 2)
    with pytest.raises(ValueError, match="shape"):
        check_log_emissions(np.zeros((3, 3)), 2)


@pytest.mark.parametrize("magnitude", [2.0**20, 2.0**40])
def test_log_space_posteriors_do_not_depend_on_constants_per_step(magnitude):
    """Adding a constant to every state's log-emission of a step changes no posterior and
    adds the constant to log p(x). The data are chosen so that ``L + c`` is exact in
    float64 (multiples of 2^-10 plus integers), so any difference is the algorithm's."""
    rng = np.random.default_rng(4)
    lengths = np.array([4, 6, 1])
    L = np.round(rng.normal(size=(11, 3)) * 1024) / 1024
    startprob, transmat = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3), size=3)
    c = -np.round(rng.uniform(0, magnitude, size=(11, 1)))
    a = log_forward_backward(L, np.log(startprob), np.log(transmat), lengths)
    b = log_forward_backward(L + c, np.log(startprob), np.log(transmat), lengths)
    np.testing.assert_allclose(b.posteriors, a.posteriors, rtol=0, atol=1e-13)
    np.testing.assert_allclose(b.posteriors.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(b.transitions, a.transitions, rtol=1e-12, atol=1e-13)
    shifted = a.log_likelihood + np.add.reduceat(c[:, 0], [0, 4, 10])
    np.testing.assert_allclose(b.log_likelihood, shifted, rtol=1e-15)
