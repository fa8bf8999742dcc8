"""Every family against scipy: densities, weighted updates (brute force), sampling, statistics."""

import re

import numpy as np
import pytest
from scipy import optimize, stats

from latentem.distributions import (
    Bernoulli,
    Categorical,
    Exponential,
    Gamma,
    Geometric,
    Independent,
    LogNormal,
    MultivariateNormal,
    Normal,
    Poisson,
    VonMises,
)
from latentem.testing import assert_models_close
from tests.distributions.cases import CASE_IDS, CASES

RNG = np.random.default_rng(20240607)


def _weighted_data(case, n=80, seed=0):
    rng = np.random.default_rng(seed)
    x = case.draw(rng, n)
    weights = rng.uniform(0.0, 2.0, n)
    weights[rng.random(n) < 0.1] = 0.0
    return x, weights


def _objective(case, family, x, weights):
    return float(weights @ case.scipy_log_prob(family, x))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_log_prob_equals_scipy(case):
    x = case.draw(np.random.default_rng(1), 50)
    np.testing.assert_allclose(
        case.start.log_prob(x), case.scipy_log_prob(case.start, x), rtol=1e-12, atol=1e-12
    )
    fitted = case.start.maximize(case.start.statistics(x, np.ones(len(x))))
    np.testing.assert_allclose(
        fitted.log_prob(x), case.scipy_log_prob(fitted, x), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_weighted_update_maximises_the_weighted_log_likelihood(case):
    x, weights = _weighted_data(case)
    fitted = case.start.maximize(case.start.statistics(x, weights))

    def loss(vector):
        return -_objective(case, case.from_vector(vector), x, weights)

    brute = optimize.minimize(loss, case.to_vector(case.start), method="BFGS", tol=1e-12)
    ours = _objective(case, fitted, x, weights)
    # brute force from a generic start reaches the same parameters...
    np.testing.assert_allclose(
        case.params(case.from_vector(brute.x)), case.params(fitted), rtol=1e-4, atol=1e-5
    )
    assert ours >= -brute.fun - 1e-10 * abs(ours)
    # ...and cannot improve on ours when started there
    polished = optimize.minimize(loss, case.to_vector(fitted), method="BFGS", tol=1e-14)
    assert -polished.fun <= ours + 1e-9 * abs(ours)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_integer_weights_equal_replicated_rows(case):
    x, _ = _weighted_data(case, seed=2)
    counts = np.random.default_rng(3).integers(0, 4, size=len(x))
    weighted = case.start.maximize(case.start.statistics(x, counts.astype(float)))
    replicated_x = np.repeat(x, counts, axis=0)
    replicated = case.start.maximize(
        case.start.statistics(replicated_x, np.ones(len(replicated_x)))
    )
    assert_models_close(weighted, replicated, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_statistics_add_over_any_split(case):
    x, weights = _weighted_data(case, seed=4)
    whole = case.start.maximize(case.start.statistics(x, weights))
    cut = 23
    parts = case.start.statistics(x[:cut], weights[:cut]) + case.start.statistics(
        x[cut:], weights[cut:]
    )
    assert_models_close(case.start.maximize(parts), whole, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_zero_weight_keeps_the_parameters(case):
    x, _ = _weighted_data(case, n=10, seed=5)
    assert case.start.maximize(case.start.statistics(x, np.zeros(10))) is case.start


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_samples_lie_in_the_support_and_refit_to_the_parameters(case):
    rng = np.random.default_rng(6)
    truth = case.start.maximize(case.start.statistics(*_weighted_data(case, n=400, seed=7)))
    x = truth.sample(20000, rng)
    assert x.shape == (20000, truth.n_features)
    truth.check_data(x)
    refit = truth.maximize(truth.statistics(x, np.ones(len(x))))
    np.testing.assert_allclose(case.params(refit), case.params(truth), rtol=0.06, atol=0.03)


def test_statistics_are_accurate_far_from_the_origin():
    x = RNG.normal(0.0, 1.0, (200, 2))
    for family in (Normal(0.0, 1.0), MultivariateNormal([0.0, 0.0], np.eye(2))):
        columns = x[:, : family.n_features]
        near = family.maximize(family.statistics(columns, np.ones(200)))
        far = family.maximize(family.statistics(columns + 1e8, np.ones(200)))
        spread = (lambda f: f.scale) if isinstance(family, Normal) else (lambda f: f.cov)
        np.testing.assert_allclose(spread(far), spread(near), rtol=1e-6)


def test_n_parameters():
    assert Normal(0, 1).n_parameters == 2
    assert MultivariateNormal(np.zeros(3), np.eye(3)).n_parameters == 3 + 6
    assert MultivariateNormal(np.zeros(3), np.ones(3)).n_parameters == 6
    assert Categorical([0.2, 0.3, 0.5]).n_parameters == 2
    assert Bernoulli([0.1, 0.2]).n_parameters == 2
    assert Gamma(1, 1).n_parameters == VonMises(0, 1).n_parameters == 2
    assert Independent([Normal(0, 1), Poisson(2.0), Bernoulli([0.5, 0.5])]).n_parameters == 5
    assert Independent([Normal(0, 1), Bernoulli([0.5, 0.5])]).n_features == 3


@pytest.mark.parametrize(
    ("family", "values", "shown"),
    [
        (Poisson(2.0), [1.0, -1.0, 2.5], "(-1, 2.5)"),
        (Geometric(0.3), [0.0, 2.0], "(0)"),
        (LogNormal(0.0, 1.0), [0.0, 1.0, -3.0], "(-3, 0)"),
        (Gamma(2.0, 1.0), [0.0], "(0)"),
        (Exponential(1.0), [-0.25], "(-0.25)"),
        (Categorical([0.5, 0.3, 0.2]), [0.0, 3.0, 1.5], "(1.5, 3)"),
    ],
)
def test_data_outside_the_support_are_named(family, values, shown):
    x = np.array(values)[:, None]
    name = type(family).__name__
    with pytest.raises(ValueError, match=rf"{name} data must be .*{re.escape(shown)}"):
        family.check_data(x)


def test_bernoulli_rejects_non_binary_values():
    match = r"Bernoulli data must be 0 or 1; got 2 offending values \(0.5, 2\)"
    with pytest.raises(ValueError, match=match):
        Bernoulli([0.5, 0.5]).check_data(np.array([[0.0, 1.0], [0.5, 2.0]]))


def test_log_prob_is_minus_infinity_outside_the_support_as_in_scipy():
    values = np.array([-1.0, 0.5, 2.0])
    for family, expected in [
        (Poisson(2.0), stats.poisson.logpmf(values, 2.0)),
        (Geometric(0.4), stats.geom.logpmf(values, 0.4)),
        (Exponential(2.0), stats.expon.logpdf(values, scale=0.5)),
        (LogNormal(0.0, 1.0), stats.lognorm.logpdf(values, 1.0)),
        (Gamma(2.0, 1.0), stats.gamma.logpdf(values, 2.0)),
        (Categorical([0.5, 0.5]), [-np.inf, -np.inf, -np.inf]),
    ]:
        np.testing.assert_allclose(family.log_prob(values[:, None]), expected, rtol=1e-14)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Normal(0.0, 0.0), "Normal scale must be > 0"),
        (lambda: Normal(np.nan, 1.0), "Normal loc must be finite"),
        (lambda: Exponential(-1.0), "Exponential rate must be > 0"),
        (lambda: Gamma(0.0, 1.0), "Gamma shape must be > 0"),
        (lambda: Poisson(-0.5), "Poisson rate must be >= 0"),
        (lambda: Geometric(1.5), r"Geometric p must be in \(0, 1\]"),
        (lambda: Bernoulli([0.5, 1.2]), r"Bernoulli p must lie in \[0, 1\]"),
        (lambda: Categorical([0.5, 0.6]), "Categorical probs must sum to 1; got sum=1.1"),
        (lambda: VonMises(0.0, -1.0), "VonMises kappa must be >= 0"),
        (lambda: MultivariateNormal([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), "not positive definite"),
        (lambda: MultivariateNormal([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]]), "must be symmetric"),
        (lambda: MultivariateNormal([0.0, 0.0], np.eye(3)), r"must have shape \(2, 2\)"),
        (lambda: MultivariateNormal([0.0, 0.0], [1.0, 0.0]), "positive variances"),
        (lambda: Independent([]), "at least one distribution"),
    ],
)
def test_bad_parameters_are_named(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_independent_rejects_what_is_not_a_family():
    with pytest.raises(TypeError, match=r"Independent parts\[1\] must be a latentem.distributions"):
        Independent([Normal(0.0, 1.0), "Poisson"])
    with pytest.raises(TypeError, match="a sequence of distributions"):
        Independent(Normal(0.0, 1.0))


def test_independent_names_the_part_and_columns_of_bad_data():
    family = Independent([Bernoulli([0.5, 0.5]), Poisson(1.0)])
    with pytest.raises(ValueError, match=r"part 0 \(Bernoulli, columns 0..1\): Bernoulli data"):
        family.check_data(np.array([[0.0, 3.0, 1.0]]))
    with pytest.raises(ValueError, match=r"part 1 \(Poisson, column 2\)"):
        family.check_data(np.array([[0.0, 1.0, -1.0]]))


@pytest.mark.parametrize("value", [2.0, 0.1, 1e8 + 0.1, 1e-300])
def test_identical_rows_are_a_collapse_whatever_their_rounding(value):
    # 60 rows of 0.1 sum with rounding, which left a "variance" of 1e-33 (scale 7e-17)
    x = np.full((60, 1), value)
    with pytest.raises(ValueError, match=r"Normal collapsed onto one point.*prior"):
        Normal(0.0, 1.0).maximize(Normal(0.0, 1.0).statistics(x, np.ones(60)))
    family = MultivariateNormal(np.zeros(2), np.ones(2))  # diagonal
    with pytest.raises(ValueError, match=r"MultivariateNormal collapsed .* feature 0"):
        family.maximize(family.statistics(np.hstack([x, x + 1.0]), np.ones(60)))


@pytest.mark.parametrize(
    "family", [Normal(0.0, 1.0), MultivariateNormal(np.zeros(2), np.eye(2))], ids=["1", "2"]
)
def test_a_tiny_but_positive_weight_gives_the_weighted_estimate(family):
    # with every weight 6e-64 the flat prior's dof arithmetic cancelled to 0 before
    x = np.random.default_rng(0).normal(size=(100, family.n_features))
    tiny = family.maximize(family.statistics(x, np.full(100, 6e-64)))
    unit = family.maximize(family.statistics(x, np.ones(100)))
    for name in ("loc", "scale", "mean", "cov"):
        if hasattr(unit, name):
            np.testing.assert_allclose(getattr(tiny, name), getattr(unit, name), rtol=1e-12)
    x_sum = x.mean(axis=0)  # the closed form of the weighted mean, any equal weights
    np.testing.assert_allclose(getattr(tiny, "loc", getattr(tiny, "mean", None)), x_sum.squeeze())


def test_collapsed_data_have_no_finite_estimate():
    x = np.full((5, 1), 2.0)
    with pytest.raises(ValueError, match="Gamma shape has no finite maximum-likelihood"):
        Gamma(1.0, 1.0).maximize(Gamma(1.0, 1.0).statistics(x, np.ones(5)))
    with pytest.raises(ValueError, match="VonMises kappa has no finite maximum-likelihood"):
        VonMises(0.0, 1.0).maximize(VonMises(0.0, 1.0).statistics(x, np.ones(5)))
    with pytest.raises(ValueError, match="Exponential rate has no finite estimate"):
        Exponential(1.0).maximize(Exponential(1.0).statistics(np.zeros((3, 1)), np.ones(3)))


def test_maximize_rejects_foreign_statistics():
    stats = Poisson(1.0).statistics(np.ones((3, 1)), np.ones(3))
    with pytest.raises(TypeError, match=r"Gamma\.maximize needs WeightedSums"):
        Gamma(1.0, 1.0).maximize(stats)
    with pytest.raises(TypeError, match=r"Normal\.maximize needs Moments"):
        Normal(0.0, 1.0).maximize(stats)


def test_parameters_are_read_only_and_updates_return_new_instances():
    family = Bernoulli([0.2, 0.4])
    with pytest.raises(ValueError):
        family.p[0] = 0.5
    x = np.array([[1.0, 0.0], [1.0, 1.0]])
    updated = family.maximize(family.statistics(x, np.ones(2)))
    assert updated is not family
    np.testing.assert_array_equal(family.p, [0.2, 0.4])
    np.testing.assert_array_equal(updated.p, [1.0, 0.5])
