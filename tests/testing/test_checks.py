"""A user's Poisson mixture written against the protocol only, and the contract checks."""

import warnings

import numpy as np
import pytest
from attrs import frozen
from scipy import stats
from scipy.special import gammaln, logsumexp

import latentem
from latentem.testing import assert_monotone, check_latent_model


@frozen(eq=False)
class PoissonStats:
    counts: np.ndarray
    totals: np.ndarray
    log_likelihood: float

    def __add__(self, other):
        return PoissonStats(
            self.counts + other.counts,
            self.totals + other.totals,
            self.log_likelihood + other.log_likelihood,
        )


@frozen(eq=False)
class PoissonMixture(latentem.LatentModel):
    weights: np.ndarray
    rates: np.ndarray

    def _joint(self, x):
        x = np.asarray(x, dtype=float)[:, None]
        return np.log(self.weights) + x * np.log(self.rates) - self.rates - gammaln(x + 1)

    def log_likelihood(self, x):
        return float(logsumexp(self._joint(x), axis=1).sum())

    def e_step(self, x):
        joint = self._joint(x)
        norm = logsumexp(joint, axis=1, keepdims=True)
        resp = np.exp(joint - norm)
        return PoissonStats(resp.sum(0), resp.T @ np.asarray(x, float), float(norm.sum()))

    def m_step(self, stats):
        return type(self)(stats.counts / stats.counts.sum(), stats.totals / stats.counts)


@frozen(eq=False)
class OvershootingPoissonMixture(PoissonMixture):
    """M-step that returns rates 50% above the maximiser."""

    def m_step(self, stats):
        best = stats.totals / stats.counts
        return type(self)(stats.counts / stats.counts.sum(), 1.5 * best)


@frozen(eq=False)
class ForgetfulStats(PoissonStats):
    """``+`` keeps the left operand's totals: not additive."""

    def __add__(self, other):
        return ForgetfulStats(
            self.counts + other.counts, self.totals, self.log_likelihood + other.log_likelihood
        )


@frozen(eq=False)
class ForgetfulPoissonMixture(PoissonMixture):
    def e_step(self, x):
        s = super().e_step(x)
        return ForgetfulStats(s.counts, s.totals, s.log_likelihood)


RNG = np.random.default_rng(0)
X = np.concatenate([RNG.poisson(2.0, 300), RNG.poisson(15.0, 200)])
START = {"weights": np.array([0.5, 0.5]), "rates": np.array([1.0, 10.0])}


def _closed_form_em(x, weights, rates, n_iter):
    """The Poisson-mixture EM loop, written directly with scipy.stats.poisson."""
    for _ in range(n_iter):
        joint = weights * np.column_stack([stats.poisson(r).pmf(x) for r in rates])
        resp = joint / joint.sum(axis=1, keepdims=True)
        weights = resp.mean(axis=0)
        rates = resp.T @ x / resp.sum(axis=0)
    return weights, rates


def test_user_model_is_fitted_by_em_and_matches_the_closed_form_loop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        result = latentem.EM(max_iter=25, tol=0).fit(PoissonMixture(**START), X)
    weights, rates = _closed_form_em(X, START["weights"], START["rates"], 25)
    np.testing.assert_allclose(result.model.weights, weights, rtol=1e-10)
    np.testing.assert_allclose(result.model.rates, rates, rtol=1e-10)


def test_check_latent_model_accepts_the_user_model():
    check_latent_model(PoissonMixture(**START), X)


def test_non_maximising_m_step_is_rejected_by_both_checks():
    near_optimum = latentem.EM(tol=1e-12).fit(PoissonMixture(**START), X).model
    broken = OvershootingPoissonMixture(near_optimum.weights, near_optimum.rates)
    with pytest.raises(AssertionError, match="decreased at iteration"):
        check_latent_model(broken, X)
    with pytest.raises(AssertionError, match="decreased at iteration"):
        assert_monotone(broken, X)


@frozen(eq=False)
class LazyPoissonMixture(PoissonMixture):
    """M-step that returns its input: EM 'converges' at once, wherever it starts."""

    def m_step(self, stats):
        return self


@frozen(eq=False)
class HalfStepPoissonMixture(PoissonMixture):
    """M-step that goes half way to the maximiser: monotone, but not a maximiser."""

    def m_step(self, stats):
        best = type(self)(stats.counts / stats.counts.sum(), stats.totals / stats.counts)
        return type(self)((self.weights + best.weights) / 2, (self.rates + best.rates) / 2)


def test_a_lazy_m_step_is_named_though_em_thinks_it_converged():
    lazy = LazyPoissonMixture(**START)
    result = latentem.EM(max_iter=50).fit(lazy, X)
    assert result.converged and result.n_iter <= 2  # what the issue saw
    assert_monotone(lazy, X)  # and the objective never decreases
    with pytest.raises(AssertionError, match=r"LazyPoissonMixture.m_step ignores its statistics"):
        check_latent_model(lazy, X)
    with pytest.raises(AssertionError, match="ignores its statistics"):
        check_latent_model(lazy, X, exact_m_step=False)


def test_a_partial_m_step_is_named_unless_declared_generalised():
    half = HalfStepPoissonMixture(**START)
    assert_monotone(half, X)
    with pytest.raises(AssertionError, match=r"HalfStepPoissonMixture.m_step is not a maximiser"):
        check_latent_model(half, X)
    check_latent_model(half, X, exact_m_step=False)


def test_the_exact_m_step_passes_at_its_own_fixed_point():
    # at a fixed point the whole data's M-step returns the model: not lazy, since a part
    # of the data moves it
    converged = latentem.EM(tol=0.0, max_iter=2000).fit(PoissonMixture(**START), X).model
    check_latent_model(converged, X)


def test_non_additive_statistics_are_rejected():
    with pytest.raises(AssertionError, match="not additive"):
        check_latent_model(ForgetfulPoissonMixture(**START), X)


def test_wrong_model_type_and_mutation_are_named():
    @frozen(eq=False)
    class Shapeshifter(PoissonMixture):
        def m_step(self, stats):
            return PoissonMixture(stats.counts / stats.counts.sum(), stats.totals / stats.counts)

    with pytest.raises(AssertionError, match="returned a PoissonMixture, not a Shapeshifter"):
        check_latent_model(Shapeshifter(**START), X)

    @frozen(eq=False)
    class Vandal(PoissonMixture):
        def m_step(self, stats):
            stats.totals[:] = 0.0  # writes into its input
            return super().m_step(stats)

    with pytest.raises(AssertionError, match="m_step modified its statistics"):
        check_latent_model(Vandal(**START), X)


def test_log_likelihood_must_match_the_e_step():
    @frozen(eq=False)
    class Inconsistent(PoissonMixture):
        def log_likelihood(self, x):
            return super().log_likelihood(x) + 1.0

    with pytest.raises(AssertionError, match="differs from e_step"):
        check_latent_model(Inconsistent(**START), X)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
@pytest.mark.parametrize("assignment", ["soft", "hard"])
def test_gaussian_mixture_passes_the_contract(covariance_type, assignment):
    data = np.concatenate([RNG.normal(0, 1, (50, 2)), RNG.normal(4, 1, (50, 2))])
    model = latentem.GaussianMixtureModel.from_data(
        data, 2, covariance_type=covariance_type, assignment=assignment, random_state=0
    )
    check_latent_model(model, data)
