"""SQUAREM: the same optimum in far fewer E-steps, a monotone objective, clear errors."""

import itertools
import warnings

import numpy as np
import pytest
from attrs import frozen
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp

from latentem import EM, ConvergenceWarning, GaussianMixtureModel, Squarem
from latentem.core.acceleration import PlainEM, Vectorizable, accelerate
from latentem.testing import strategies as lst
from tests.core.test_engine import UnitGaussian
from tests.mixture.test_properties import COLLAPSE_ERRORS

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


def _overlapping(covariance_type, seed, k=2, d=2, n=600):
    """Heavily overlapping components: EM converges slowly (much missing information)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 0.7, (k, d))
    X = np.concatenate([rng.normal(c, 1, (n // k, d)) for c in centres])
    start = GaussianMixtureModel.from_data(
        X, k, covariance_type=covariance_type, random_state=seed, reg_covar=0.0
    )
    return start, X


def scipy_log_likelihood(model, X):
    """The mixture's log-likelihood from scipy's densities (the independent oracle)."""
    full = model.covariance_type.full_matrices(
        model.covariances, model.n_components, model.n_features
    )
    terms = [
        np.log(w) + stats.multivariate_normal(m, c).logpdf(X)
        for w, m, c in zip(model.weights, model.means, full, strict=True)
    ]
    return float(logsumexp(np.column_stack(terms), axis=1).sum())


@pytest.mark.parametrize(
    "covariance_type, seed", [("full", 1), ("diag", 1), ("spherical", 2), ("tied", 1)]
)
def test_squarem_reaches_the_optimum_with_at_least_3x_fewer_e_steps(covariance_type, seed):
    start, X = _overlapping(covariance_type, seed)
    plain = EM(max_iter=20000, tol=1e-9).fit(start, X)
    fast = EM(max_iter=20000, tol=1e-9, accelerate="squarem").fit(start, X)
    assert plain.converged and fast.converged
    assert plain.n_estep >= 3 * fast.n_estep, (plain.n_estep, fast.n_estep)
    assert plain.n_estep == plain.n_iter and fast.n_estep >= fast.n_iter
    # never ends lower than plain EM on these problems
    assert fast.objective >= plain.objective - 1e-9 * abs(plain.objective)
    # the objective is scipy's log-likelihood (the independent oracle) ...
    oracle = scipy_log_likelihood(fast.model, X)
    assert oracle == pytest.approx(fast.objective, rel=1e-6)
    # ... and the optimum is plain EM's run a thousand times tighter: SQUAREM ends
    # within 1e-7 per sample of it, and closer than plain EM at the same tol
    optimum = EM(max_iter=200_000, tol=1e-12).fit(start, X)
    assert optimum.converged
    gap, plain_gap = optimum.objective - fast.objective, optimum.objective - plain.objective
    assert gap < 1e-7 * X.shape[0]
    assert gap <= 0.5 * plain_gap, (gap, plain_gap)


def test_history_is_monotone_and_counts_every_e_step():
    start, X = _overlapping("full", 0)
    seen = []
    result = EM(
        max_iter=60,
        tol=0,
        accelerate="squarem",
        callbacks=[lambda i, objective, model: seen.append(objective)],
    )
    with pytest.warns(ConvergenceWarning, match="max_iter=60 E-steps"):
        result = result.fit(start, X)
    assert result.n_estep == 60  # the budget is E-steps, rejected extrapolations included
    assert result.n_iter == len(result.history) == len(seen) <= 60
    np.testing.assert_array_equal(seen, result.history)
    assert np.all(np.diff(result.history) >= 0)
    # the returned model is the EM image of the last kept point: at least as good
    assert start.log_likelihood(X) <= result.history[-1] <= result.model.log_likelihood(X)


def test_alpha_one_is_exactly_plain_em():
    start, X = _overlapping("diag", 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = EM(max_iter=3, tol=0).fit(start, X)
        # step_max stays 1 if mstep is 1: every step is the plain EM step theta2
        fast = EM(max_iter=3, tol=0, accelerate=Squarem(step_max=1.0, mstep=1.0)).fit(start, X)
    np.testing.assert_array_equal(fast.history, plain.history)
    np.testing.assert_array_equal(fast.model.covariances, plain.model.covariances)


@settings(max_examples=20)
@given(data=st.data())
def test_safeguarded_objective_never_decreases_nor_ends_below_its_start(data):
    """The property SQUAREM guarantees. (Ending at least as high as plain EM from the same
    start over the same budget is not guaranteed: the two may climb to different optima,
    so that comparison is made on fixed slow problems above, not here.)"""
    covariance_type = data.draw(st.sampled_from(COVARIANCE_TYPES))
    assignment = data.draw(st.sampled_from(["soft", "hard"]))
    truth = data.draw(
        lst.gaussian_mixture_models(
            n_components=st.integers(1, 3), covariance_types=(covariance_type,)
        )
    )
    X, _ = truth.sample(data.draw(st.integers(30, 150)), random_state=data.draw(lst.seeds()))
    try:
        start = GaussianMixtureModel.from_data(
            X,
            data.draw(st.integers(1, 3)),
            covariance_type=covariance_type,
            assignment=assignment,
            reg_covar=0.0,
            random_state=data.draw(lst.seeds()),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = EM(max_iter=40, tol=0, accelerate="squarem").fit(start, X)
    except ValueError as error:
        # a component collapsing onto too few points with reg_covar=0 is a documented error
        if any(phrase in str(error) for phrase in COLLAPSE_ERRORS):
            reject()
        raise
    history = result.history
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))
    assert history[-1] >= history[0] - 1e-12 * abs(history[0])  # equal up to rounding at an optimum
    assert result.n_estep <= 40 and result.n_iter <= result.n_estep


class _RecordingEvaluator:
    """An engine's evaluator that also records the objective of every valid point."""

    def __init__(self, evaluate, objectives):
        self.evaluate, self.objectives = evaluate, objectives

    @property
    def remaining(self):
        return self.evaluate.remaining

    def __call__(self, model):
        point = self.evaluate(model)
        self.objectives.append(point.objective)
        return point

    def attempt(self, make_model):
        point = self.evaluate.attempt(make_model)
        if point is not None:
            self.objectives.append(point.objective)
        return point


def _hard_with_holes(seed, n=300, d=5, k=4):
    """Hard assignment with 30% of the entries missing: some components close in on few
    points, where the default reg_covar=1e-6 makes M-steps that lower the objective."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.0, (k, d))
    X = np.concatenate([rng.normal(c, 1, (n // k, d)) for c in centres])
    X[rng.random(X.shape) < 0.3] = np.nan
    X = X[~np.isnan(X).all(axis=1)]
    return GaussianMixtureModel.from_data(X, k, assignment="hard", random_state=seed), X


@pytest.mark.parametrize("seed", [1, 2, 6])
def test_squarem_ends_at_the_best_point_and_drops_only_where_plain_em_would(seed):
    """Before: 83 to 122 decreases per fit, most right after an extrapolation, and a
    returned model up to 5e-4 (relative) below the best point kept."""
    start, X = _hard_with_holes(seed)
    kept, evaluated, seen = [], [], []

    class Recording(Squarem):
        """SQUAREM, recording the points it keeps and the objective of every point it evaluates."""

        def points(self, model, evaluate):
            for point in super().points(model, _RecordingEvaluator(evaluate, evaluated)):
                kept.append(point)
                yield point

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning, ObjectiveDecreaseWarning
        result = EM(
            max_iter=300,
            tol=1e-8,
            accelerate=Recording(),
            callbacks=[lambda i, objective, model: seen.append(objective)],
        ).fit(start, X)
    # the fit ends at the best point it evaluated, kept or not, with that point's objective
    np.testing.assert_array_equal(seen, result.history)
    assert result.objective == max(seen) == max(evaluated)
    assert result.model.log_likelihood(X) >= max(seen) - 1e-12 * abs(max(seen))
    # an extrapolation never lowers the objective, nor does the EM step right after one:
    # a drop is an EM step from a point EM reached itself, as plain EM takes
    for before, after in itertools.pairwise(kept):
        if after.objective < before.objective:
            assert after.em_step and before.em_step, (before.objective, after.objective)
    assert result.n_estep <= 300


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@settings(max_examples=15)
@given(data=st.data())
def test_vector_round_trip(covariance_type, data):
    model = data.draw(lst.gaussian_mixture_models(covariance_types=(covariance_type,)))
    vector = model.to_vector()
    k, d = model.n_components, model.n_features
    assert vector.shape == (k + k * d + model.covariance_type.n_parameters(k, d),)
    back = model.from_vector(vector)
    np.testing.assert_allclose(back.weights, model.weights, rtol=1e-13)
    np.testing.assert_array_equal(back.means, model.means)
    np.testing.assert_array_equal(back.covariances, model.covariances)


def test_from_vector_keeps_dead_components_dead_and_refuses_invalid_vectors():
    model = GaussianMixtureModel([0.0, 1.0], [[0.0], [1.0]], [[[1.0]], [[2.0]]])
    vector = model.to_vector()
    vector[0] = 0.7  # an extrapolation cannot revive a component of weight 0
    np.testing.assert_array_equal(model.from_vector(vector).weights, [0.0, 1.0])
    bad = model.to_vector()
    bad[1] = -0.5
    with pytest.raises(ValueError, match="weights must be non-negative"):
        model.from_vector(bad)
    bad = model.to_vector()
    bad[-1] = -1.0
    with pytest.raises(ValueError, match="not positive definite"):
        model.from_vector(bad)
    with pytest.raises(ValueError, match="vector must be 1-D with 6 entries"):
        model.from_vector(np.zeros(5))


# ----------------------------------------------------------------------------- any model


@frozen
class _VectorGaussian(UnitGaussian):
    """N(mean, 1) whose M-step goes half way: a slow linear map, with the vector protocol."""

    def to_vector(self):
        return np.array([self.mean])

    def from_vector(self, vector):
        return _VectorGaussian(float(vector[0]), self.step)

    def m_step(self, stats):
        return _VectorGaussian(super().m_step(stats).mean, self.step)


def test_a_user_model_with_the_vector_protocol_is_accelerated():
    x = np.random.default_rng(0).normal(3.0, 1.0, 100)
    start = _VectorGaussian(0.0, step=0.5)
    assert isinstance(start, Vectorizable)
    plain = EM(max_iter=500, tol=1e-12).fit(start, x)
    fast = EM(max_iter=500, tol=1e-12, accelerate="squarem").fit(start, x)
    # a linear map is extrapolated to its fixed point, the sample mean, at once
    assert fast.model.mean == pytest.approx(x.mean(), rel=1e-12)
    assert fast.n_estep < plain.n_estep / 3


# ----------------------------------------------------------------------------- hostile


def test_a_model_without_the_vector_protocol_is_a_clear_type_error():
    x = np.random.default_rng(0).normal(size=20)
    assert not isinstance(UnitGaussian(0.0), Vectorizable)
    with pytest.raises(TypeError, match=r"UnitGaussian has no to_vector\(\) and from_vector"):
        EM(accelerate="squarem").fit(UnitGaussian(0.0), x)


@pytest.mark.parametrize(
    "value, error, match",
    [
        ("anderson", ValueError, r"accelerate must be None or one of 'squarem'; got 'anderson'"),
        ("SQUAREM", ValueError, r"accelerate must be None or one of 'squarem'"),
        (True, TypeError, r"accelerate must be None, one of 'squarem' or a latentem.Squarem"),
        (3, TypeError, r"accelerate must be None"),
    ],
)
def test_unknown_accelerate_is_named(value, error, match):
    with pytest.raises(error, match=match):
        EM(accelerate=value)


def test_bad_squarem_settings_are_named():
    with pytest.raises(ValueError, match=r"step_max must be >= 1.0; got 0.5"):
        Squarem(step_max=0.5)
    with pytest.raises(TypeError, match=r"mstep must be a real number"):
        Squarem(mstep="4")
    assert isinstance(accelerate(None), PlainEM)
    custom = Squarem(step_max=2.0)
    assert accelerate(custom) is custom
