"""The EM engine: loop semantics, warnings, callbacks, chunks and resuming."""

import warnings

import numpy as np
import pytest
from attrs import frozen

import latentem
from latentem import EM, ConvergenceWarning, LatentModel, ObjectiveDecreaseWarning
from latentem.core.acceleration import PlainEM
from latentem.core.data import Chunks


@frozen
class MeanStats:
    total: float
    count: int
    log_likelihood: float

    def __add__(self, other):
        return MeanStats(
            self.total + other.total,
            self.count + other.count,
            self.log_likelihood + other.log_likelihood,
        )


@frozen
class UnitGaussian(LatentModel):
    """N(mean, 1): no latent variable, so EM converges in one M-step."""

    mean: float
    step: float = 1.0  # 1.0 is the exact maximiser; other values are a broken M-step

    def log_likelihood(self, x):
        x = np.asarray(x, float)
        return float(np.sum(-0.5 * np.log(2 * np.pi) - 0.5 * (x - self.mean) ** 2))

    def e_step(self, x):
        x = np.asarray(x, float)
        return MeanStats(float(x.sum()), x.size, self.log_likelihood(x))

    def m_step(self, stats):
        target = stats.total / stats.count
        return UnitGaussian(self.mean + self.step * (target - self.mean), self.step)


X = np.random.default_rng(0).normal(3.0, 1.0, size=50)


def test_history_is_objective_before_each_m_step():
    with pytest.warns(ConvergenceWarning):
        result = EM(max_iter=3, tol=0).fit(UnitGaussian(0.0), X)
    assert result.n_iter == 3
    assert result.history[0] == pytest.approx(UnitGaussian(0.0).log_likelihood(X), rel=1e-15)
    assert result.history[1] == pytest.approx(UnitGaussian(X.mean()).log_likelihood(X), rel=1e-15)
    assert result.model.mean == pytest.approx(X.mean(), rel=1e-15)
    assert not result.converged
    with pytest.raises(ValueError):
        result.history[0] = 1.0  # read-only


def test_converged_only_when_change_below_tol():
    result = EM(max_iter=10, tol=1e-9).fit(UnitGaussian(0.0), X)
    # iteration 1 moves to the mean, iteration 2 sees the same objective twice in a row
    assert result.converged and result.n_iter == 3
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        assert not EM(max_iter=2, tol=1e-9).fit(UnitGaussian(0.0), X).converged


def test_max_iter_zero_returns_the_model_unchanged_without_warning():
    start = UnitGaussian(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = EM(max_iter=0).fit(start, X)
    assert result.model is start and result.n_iter == 0 and result.history.size == 0
    assert result.objective == -np.inf


def test_decrease_is_reported_with_a_dedicated_warning():
    overshoot = UnitGaussian(0.0, step=2.5)  # not a maximiser: objective oscillates upward
    with pytest.warns(ObjectiveDecreaseWarning, match="decreased at iteration"):
        EM(max_iter=2, tol=1e300).fit(overshoot, X)


def test_callbacks_and_verbose(capsys):
    seen = []
    EM(
        max_iter=5, tol=1e-9, verbose=1, callbacks=[lambda i, o, m: seen.append((i, o, m.mean))]
    ).fit(UnitGaussian(0.0), X)
    assert [i for i, _, _ in seen] == [1, 2, 3]
    assert seen[0][2] == pytest.approx(X.mean())
    out = capsys.readouterr().out
    assert "EM iteration    1" in out and "EM converged after 3 iterations" in out


def test_chunked_data_gives_the_in_memory_fit():
    chunks = Chunks([X[:17], X[17:30], X[30:]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = EM(max_iter=4, tol=0).fit(UnitGaussian(0.0), X)
        parts = EM(max_iter=4, tol=0).fit(UnitGaussian(0.0), chunks)
    np.testing.assert_allclose(parts.history, whole.history, rtol=1e-13)
    assert parts.n_samples == whole.n_samples == X.size


def test_resume_from_history_ends_where_the_uninterrupted_fit_ends():
    rng = np.random.default_rng(1)
    data = np.concatenate([rng.normal(0, 1, (80, 2)), rng.normal(3, 1, (80, 2))])
    start = latentem.GaussianMixtureModel.from_data(data, 2, random_state=0)
    engine = EM(max_iter=30, tol=1e-8)
    checkpoints = {}
    full = EM(max_iter=30, tol=1e-8, callbacks=[lambda i, o, m: checkpoints.setdefault(i, m)]).fit(
        start, data
    )
    stop = 4
    resumed = engine.fit(checkpoints[stop], data, history=full.history[:stop])
    assert resumed.n_iter == full.n_iter and resumed.converged == full.converged
    np.testing.assert_array_equal(resumed.history, full.history)
    np.testing.assert_array_equal(resumed.model.covariances, full.model.covariances)


class _BestKeepingEM(PlainEM):
    """Plain EM steps, returning the best point as SQUAREM does."""

    keeps_best = True


def test_a_stepping_that_keeps_the_best_ends_at_the_best_point_it_evaluated():
    # an M-step that overshoots 2.2 times the way to the mean: the objective falls at every step
    start, seen = UnitGaussian(0.0, step=2.2), []

    def record(iteration, objective, model):
        seen.append((objective, model))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = EM(max_iter=5, tol=0, decrease_rtol=None).fit(start, X)
        best = EM(
            max_iter=5, tol=0, decrease_rtol=None, callbacks=record, accelerate=_BestKeepingEM()
        ).fit(start, X)
        climbing = EM(max_iter=5, tol=0, accelerate=_BestKeepingEM()).fit(UnitGaussian(0.0), X)
        plain_climbing = EM(max_iter=5, tol=0).fit(UnitGaussian(0.0), X)
    assert np.all(np.diff(plain.history) < 0) and plain.model.mean != 0.0  # the last step
    # the start was the best point: kept once more (no E-step), returned as it is
    np.testing.assert_array_equal(best.history, [*plain.history, plain.history[0]])
    assert best.model == start and best.objective == max(o for o, _ in seen)
    assert seen[-1] == (plain.history[0], start)
    assert best.n_iter == 6 and best.n_estep == 5
    # a fit that ends at its best point is left as it is
    assert climbing.model == plain_climbing.model
    np.testing.assert_array_equal(climbing.history, plain_climbing.history)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"max_iter": -1}, ValueError, "max_iter must be at least 0"),
        ({"max_iter": 2.5}, TypeError, "max_iter must be an integer"),
        ({"tol": -1e-3}, ValueError, "tol must be >= 0"),
        ({"tol": "small"}, TypeError, "tol must be a real number"),
        ({"callbacks": [1]}, TypeError, "callbacks must be callables"),
    ],
)
def test_bad_settings_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        EM(**kwargs)


def test_non_model_and_non_finite_objective_are_clear_errors():
    with pytest.raises(TypeError, match=r"model must be a latentem\.LatentModel"):
        EM().fit(object(), X)
    with pytest.raises(ValueError, match="objective is nan at iteration 1"):
        EM().fit(UnitGaussian(0.0), np.array([1.0, np.nan]))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"history": ["a"]}, TypeError, r"history must contain numbers only; got dtype <U1"),
        ({"history": [[1.0]]}, ValueError, r"history must be 1-D, one objective per iteration"),
        ({"history": "abc"}, TypeError, r"history must be an array of numbers; got a str"),
        ({"previous_objective": "a"}, TypeError, r"previous_objective must be a real number"),
    ],
)
def test_bad_history_to_resume_from_is_named(kwargs, error, message):
    # before: "could not convert string to float: 'a'", or a TypeError from a subtraction
    with pytest.raises(error, match=message):
        EM().fit(UnitGaussian(0.0), X, **kwargs)
    with pytest.raises(ValueError, match=r"^history must be an array of numbers; got \['a'\]"):
        latentem.EMResult(UnitGaussian(0.0), ["a"], 1, False)


def test_one_shot_iterators_are_refused():
    with pytest.raises(TypeError, match="re-iterable"):
        Chunks(iter([X]))
