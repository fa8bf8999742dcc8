"""Online (stepwise) EM: the documented step sizes, the statistics it mixes, clear errors."""

import numpy as np
import pytest
from attrs import field, frozen
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from latentem import (
    EM,
    AdditiveStatistics,
    GaussianMixtureModel,
    LatentModel,
    Mixture,
    Observations,
    OnlineEM,
    OnlineState,
)
from latentem.core.stats import scale_statistics
from latentem.distributions import Exponential, LogNormal
from latentem.testing import assert_models_close
from latentem.testing import strategies as lst

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


def test_step_sizes_follow_the_documented_schedule():
    online = OnlineEM(learning_decay=0.7, learning_offset=3.0)
    assert online.step_size(1) == 1.0
    for t in (2, 5, 100):
        assert online.step_size(t) == pytest.approx((t + 3.0) ** -0.7, rel=1e-15)


def _responsibilities(model, X):
    """Posterior responsibilities from scipy's densities (independent of latentem's kernels)."""
    full = model.covariance_type.full_matrices(
        model.covariances, model.n_components, model.n_features
    )
    dens = np.column_stack(
        [
            w * scipy_stats.multivariate_normal(m, c).pdf(X)
            for w, m, c in zip(model.weights, model.means, full, strict=True)
        ]
    )
    return dens / dens.sum(axis=1, keepdims=True)


def _moments(model, X):
    """Per-sample zeroth, first and second moments of the responsibilities: (k,), (k,d), (k,d,d)."""
    resp = _responsibilities(model, X)
    n = X.shape[0]
    return resp.sum(0) / n, resp.T @ X / n, np.einsum("ik,ij,il->kjl", resp, X, X) / n


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
@settings(max_examples=10)
@given(data=st.data())
def test_two_batches_give_the_m_step_of_the_mixed_moments(covariance_type, data):
    """Oracle: the stepwise update written with explicit moments and scipy densities."""
    start = data.draw(
        lst.gaussian_mixture_models(
            n_components=st.integers(1, 3),
            covariance_types=(covariance_type,),
            assignments=("soft",),
            reg_covar=1e-3,
        )
    )
    rng = np.random.default_rng(data.draw(lst.seeds()))
    first, _ = start.sample(int(rng.integers(20, 80)), random_state=rng)
    second, _ = start.sample(int(rng.integers(20, 80)), random_state=rng)
    second = second + rng.normal(0, 0.3, second.shape)  # a different batch distribution
    online = OnlineEM(learning_decay=data.draw(st.floats(0.51, 1.0)))

    state = online.update(start, first)
    # the first batch is one EM step on it
    after_one = start.m_step(start.e_step(first))
    np.testing.assert_allclose(state.model.means, after_one.means, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(state.model.weights, after_one.weights, rtol=1e-9, atol=1e-12)

    state = online.update(state, second)
    rho = online.step_size(2)
    a, b = _moments(start, first), _moments(after_one, second)
    count, total, square = ((1 - rho) * p + rho * q for p, q in zip(a, b, strict=True))
    means = total / count[:, None]
    covariances = square / count[:, None, None] - np.einsum("kj,kl->kjl", means, means)
    np.testing.assert_allclose(state.model.weights, count / count.sum(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(state.model.means, means, rtol=1e-7, atol=1e-7)
    covariances = covariances + 1e-3 * np.eye(start.n_features)  # reg_covar
    expected = covariances if covariance_type == "full" else np.einsum("kjj->kj", covariances)
    np.testing.assert_allclose(state.model.covariances, expected, rtol=1e-6, atol=1e-7)
    assert state.n_batches == 2 and state.n_samples == first.shape[0] + second.shape[0]


def test_decay_one_offset_zero_averages_the_batch_statistics():
    rng = np.random.default_rng(3)
    batches = [rng.normal(size=(int(rng.integers(30, 60)), 2)) for _ in range(5)]
    model = GaussianMixtureModel.from_data(np.concatenate(batches), 2, random_state=0)
    online = OnlineEM(learning_decay=1.0, learning_offset=0.0)
    state, means = OnlineState(model), []
    for batch in batches:
        means.append(state.model.e_step(batch).scale(1.0 / batch.shape[0]))
        state = online.update(state, batch)
    # rho_t = 1/t: the running statistics are the plain average of the batch statistics
    np.testing.assert_allclose(
        state.statistics.counts, np.mean([m.counts for m in means], axis=0), rtol=1e-12
    )
    weighted = np.mean([m.counts[:, None] * m.means for m in means], axis=0)
    np.testing.assert_allclose(
        state.statistics.means, weighted / state.statistics.counts[:, None], rtol=1e-10
    )


def test_progressive_objective_scores_each_batch_before_learning_from_it():
    rng = np.random.default_rng(4)
    batches = [rng.normal(size=(40, 1)) for _ in range(3)]
    model = GaussianMixtureModel.from_data(batches[0], 2, random_state=0)
    state = OnlineEM().update(model, batches[0])
    second = OnlineEM().update(state, batches[1])
    assert second.objective == pytest.approx(state.model.log_likelihood(batches[1]) / 40)
    assert second.mean_objective == pytest.approx((state.objective + second.objective) / 2)


def test_a_one_shot_stream_is_read_once():
    rng = np.random.default_rng(5)
    stream = (rng.normal(size=(25, 2)) for _ in range(8))
    model = GaussianMixtureModel.from_data(rng.normal(size=(25, 2)), 2, random_state=0)
    state = OnlineEM().fit(model, stream)
    assert state.n_batches == 8 and state.n_samples == 200


@frozen
class _Counts(AdditiveStatistics):
    counts: np.ndarray
    log_likelihood: float
    label: str = field(default="x", metadata={"additive": False})


def test_additive_statistics_scale_every_additive_field():
    stats = _Counts(np.array([2.0, 6.0]), -4.0)
    half = 0.5 * stats
    np.testing.assert_array_equal(half.counts, [1.0, 3.0])
    assert half.log_likelihood == -2.0 and half.label == "x"
    assert (stats * np.float32(2.0)).log_likelihood == -8.0
    with pytest.raises(TypeError):
        stats * "2"


# ----------------------------------------------------------------------------- hostile


@frozen
class _Plain:
    total: float
    log_likelihood: float

    def __add__(self, other):
        return _Plain(self.total + other.total, self.log_likelihood + other.log_likelihood)


@frozen
class _Unscalable(LatentModel):
    mean: float

    def log_likelihood(self, x):
        return float(-0.5 * np.sum((np.asarray(x) - self.mean) ** 2))

    def e_step(self, x):
        return _Plain(float(np.sum(x)), self.log_likelihood(x))

    def m_step(self, stats):
        return self


def test_statistics_without_scale_are_a_clear_type_error():
    with pytest.raises(TypeError, match=r"_Plain has no method scale\(factor\)"):
        OnlineEM().update(_Unscalable(0.0), np.ones(3))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"learning_decay": 0.5}, ValueError, r"learning_decay must be in \(0.5, 1\]"),
        ({"learning_decay": 1.2}, ValueError, r"learning_decay must be in \(0.5, 1\]"),
        ({"learning_decay": "fast"}, TypeError, r"learning_decay must be a real number"),
        ({"learning_offset": -1.0}, ValueError, r"learning_offset must be >= 0.0"),
    ],
)
def test_bad_schedules_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        OnlineEM(**kwargs)


def test_bad_state_and_empty_streams_are_named():
    model = GaussianMixtureModel([1.0], [[0.0]], [[[1.0]]])
    with pytest.raises(TypeError, match="state must be an OnlineState"):
        OnlineEM().update("model", np.ones((3, 1)))
    with pytest.raises(ValueError, match="batches yielded nothing"):
        OnlineEM().fit(model, [])
    with pytest.raises(ValueError, match=r"X contains .*infinity"):
        OnlineEM().update(model, np.array([[0.0], [np.inf]]))


# ----------------------------------------------------------------------------- any mixture


@settings(max_examples=25)
@given(problem=lst.mixture_data(), factor=st.floats(0.1, 10.0), seed=lst.seeds())
def test_scaled_statistics_are_those_of_scaled_weights(problem, factor, seed):
    """The oracle of ``scale``: multiplying every row's weight by the factor."""
    mixture, X = problem
    weights = np.random.default_rng(seed).uniform(0.5, 2.0, X.shape[0])
    scaled = scale_statistics(mixture.e_step(Observations(X, weights)), factor)
    direct = mixture.e_step(Observations(X, weights * factor))
    np.testing.assert_allclose(scaled.counts, direct.counts, rtol=1e-10)
    assert scaled.log_likelihood == pytest.approx(direct.log_likelihood, rel=1e-10)
    assert_models_close(mixture.m_step(scaled), mixture.m_step(direct), rtol=1e-8, atol=1e-10)


def test_online_em_fits_a_mixture_of_families_from_a_stream():
    truth = Mixture([LogNormal(1.5, 0.3), Exponential(1.0)], weights=[0.6, 0.4])
    stream, _ = truth.sample(40_000, random_state=1)
    stream = stream[np.random.default_rng(0).permutation(stream.shape[0])]  # sampled by component
    held_out, _ = truth.sample(10_000, random_state=2)
    start = Mixture([LogNormal(1.0, 1.0), Exponential(0.5)])
    batch = EM(max_iter=500, tol=1e-8).fit(start, stream).model
    online = OnlineEM().fit(start, (stream[i : i + 500] for i in range(0, 40_000, 500))).model
    reference = batch.log_likelihood(held_out) / held_out.shape[0]
    assert abs(online.log_likelihood(held_out) / held_out.shape[0] - reference) <= 0.01 * abs(
        reference
    )
    # the oracle of both: the truth's likelihood
    truth_score = truth.log_likelihood(held_out) / held_out.shape[0]
    assert abs(truth_score - reference) <= 0.01 * abs(reference)
