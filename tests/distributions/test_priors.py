"""Conjugate priors: densities against scipy, MAP updates against brute force, flat = ML."""

import attrs
import numpy as np
import pytest
from scipy import optimize, stats

from latentem.distributions import (
    BetaPrior,
    DirichletPrior,
    GammaPrior,
    Normal,
    NormalInverseWishart,
    Poisson,
)
from latentem.distributions.priors import niw_mode
from latentem.distributions.statistics import Moments
from latentem.testing import assert_models_close
from tests.distributions.cases import CASES

CASE = {case.name: case for case in CASES}


def test_gamma_beta_dirichlet_densities_equal_scipy():
    assert GammaPrior(3.0, 2.0).log_pdf(0.7) == pytest.approx(
        stats.gamma.logpdf(0.7, 3.0, scale=0.5), rel=1e-13
    )
    assert BetaPrior(2.0, 4.0).log_pdf(0.3) == pytest.approx(
        stats.beta.logpdf(0.3, 2, 4), rel=1e-13
    )
    p = np.array([0.2, 0.7])
    assert BetaPrior([2.0, 3.0], [4.0, 1.5]).log_pdf(p) == pytest.approx(
        stats.beta.logpdf(p, [2.0, 3.0], [4.0, 1.5]).sum(), rel=1e-13
    )
    w = np.array([0.2, 0.3, 0.5])
    assert DirichletPrior([1.5, 2.0, 3.0]).log_pdf(w) == pytest.approx(
        stats.dirichlet.logpdf(w, [1.5, 2.0, 3.0]), rel=1e-13
    )
    # improper priors contribute their kernel only: flat ones contribute nothing
    assert GammaPrior(1.0, 0.0).log_pdf(4.2) == 0.0
    assert GammaPrior(2.5, 0.0).log_pdf(4.2) == pytest.approx(1.5 * np.log(4.2), rel=1e-14)


def test_normal_inverse_wishart_density_equals_scipy():
    scale = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 1.5]])
    prior = NormalInverseWishart(0.7, [0.0, 1.0, -1.0], 5.5, scale)
    mean = np.array([0.2, 0.9, -0.5])
    cov = np.array([[1.2, 0.1, 0.0], [0.1, 0.8, -0.2], [0.0, -0.2, 2.0]])
    expected = stats.multivariate_normal.logpdf(
        mean, prior.mean, cov / 0.7
    ) + stats.invwishart.logpdf(cov, 5.5, scale)
    assert prior.log_pdf(mean, cov) == pytest.approx(expected, rel=1e-12)
    # diagonal: one normal-inverse-gamma prior per feature, shape dof/2 and scale lambda/2
    variances = np.diag(cov)
    expected = sum(
        stats.norm.logpdf(mean[j], prior.mean[j], np.sqrt(variances[j] / 0.7))
        + stats.invgamma.logpdf(variances[j], 5.5 / 2, scale=scale[j, j] / 2)
        for j in range(3)
    )
    diagonal = attrs.evolve(prior, scale=np.diag(scale))
    assert diagonal.log_pdf(mean, variances) == pytest.approx(expected, rel=1e-12)


# family with prior, scipy log-density of the family's parameters under that prior
PRIORS = {
    "Normal": (
        NormalInverseWishart(2.0, [0.0], 4.0, 1.5),
        lambda f: (
            stats.norm.logpdf(f.loc, 0.0, f.scale / np.sqrt(2.0))
            + stats.invgamma.logpdf(f.scale**2, 2.0, scale=0.75)
        ),
    ),
    "LogNormal": (
        NormalInverseWishart(1.0, [1.0], 3.0, 0.5),
        lambda f: (
            stats.norm.logpdf(f.mu, 1.0, f.sigma)
            + stats.invgamma.logpdf(f.sigma**2, 1.5, scale=0.25)
        ),
    ),
    "MultivariateNormal-full": (
        NormalInverseWishart(0.5, [0.0, 1.0], 5.0, [[1.0, 0.3], [0.3, 2.0]]),
        lambda f: (
            stats.multivariate_normal.logpdf(f.mean, [0.0, 1.0], f.cov / 0.5)
            + stats.invwishart.logpdf(f.cov, 5.0, [[1.0, 0.3], [0.3, 2.0]])
        ),
    ),
    "MultivariateNormal-diag": (
        NormalInverseWishart(0.5, [0.0, 1.0, 0.0], 3.0, [1.0, 2.0, 0.5]),
        lambda f: sum(
            stats.norm.logpdf(f.mean[j], [0.0, 1.0, 0.0][j], np.sqrt(f.cov[j] / 0.5))
            + stats.invgamma.logpdf(f.cov[j], 1.5, scale=[1.0, 2.0, 0.5][j] / 2)
            for j in range(3)
        ),
    ),
    "Exponential": (GammaPrior(3.0, 4.0), lambda f: stats.gamma.logpdf(f.rate, 3.0, scale=0.25)),
    "Poisson": (GammaPrior(2.0, 0.5), lambda f: stats.gamma.logpdf(f.rate, 2.0, scale=2.0)),
    "Geometric": (BetaPrior(3.0, 2.0), lambda f: stats.beta.logpdf(f.p, 3.0, 2.0)),
    "Bernoulli": (
        BetaPrior([2.0, 1.0, 5.0], 3.0),
        lambda f: stats.beta.logpdf(f.p, [2.0, 1.0, 5.0], 3.0).sum(),
    ),
    "Categorical": (
        DirichletPrior([2.0, 1.0, 4.0, 1.5]),
        lambda f: stats.dirichlet.logpdf(f.probs, [2.0, 1.0, 4.0, 1.5]),
    ),
}


@pytest.mark.parametrize("name", sorted(PRIORS))
def test_map_update_maximises_weighted_log_likelihood_plus_log_prior(name):
    case = CASE[name]
    prior, scipy_log_prior = PRIORS[name]
    rng = np.random.default_rng(11)
    x = case.draw(rng, 25)
    weights = rng.uniform(0.0, 1.5, 25)
    family = attrs.evolve(case.start, prior=prior)
    fitted = family.maximize(family.statistics(x, weights))

    def objective(f):
        return float(weights @ case.scipy_log_prob(f, x) + scipy_log_prior(f))

    def loss(vector):
        return -objective(case.from_vector(vector))

    brute = optimize.minimize(loss, case.to_vector(case.start), method="BFGS", tol=1e-12)
    np.testing.assert_allclose(
        case.params(case.from_vector(brute.x)), case.params(fitted), rtol=1e-4, atol=1e-5
    )
    ours = objective(fitted)
    assert ours >= -brute.fun - 1e-10 * abs(ours)
    # the family's own log_prior is the same density (up to the constant of improper priors)
    assert fitted.log_prior() == pytest.approx(scipy_log_prior(fitted), rel=1e-10)


FLAT = {
    "Normal": NormalInverseWishart.flat(1, diagonal=True),
    "LogNormal": NormalInverseWishart.flat(1, diagonal=True),
    "MultivariateNormal-full": NormalInverseWishart.flat(2),
    "MultivariateNormal-diag": NormalInverseWishart.flat(3, diagonal=True),
    "Exponential": GammaPrior(1.0, 0.0),
    "Poisson": GammaPrior(1.0, 0.0),
    "Geometric": BetaPrior(1.0, 1.0),
    "Bernoulli": BetaPrior(1.0, 1.0),
    "Categorical": DirichletPrior(1.0),
}


@pytest.mark.parametrize("name", sorted(FLAT))
def test_map_with_a_flat_prior_equals_maximum_likelihood(name):
    case = CASE[name]
    rng = np.random.default_rng(12)
    x = case.draw(rng, 40)
    weights = rng.uniform(0.0, 2.0, 40)
    ml = case.start.maximize(case.start.statistics(x, weights))
    flat = attrs.evolve(case.start, prior=FLAT[name])
    assert_models_close(
        attrs.evolve(flat.maximize(flat.statistics(x, weights)), prior=None),
        ml,
        rtol=1e-12,
        atol=1e-14,
    )


def test_niw_mode_with_no_data_is_the_prior_mode():
    prior = NormalInverseWishart(2.0, [1.0, -1.0], 6.0, [[2.0, 0.0], [0.0, 4.0]])
    mean, cov = niw_mode(Moments(0.0, np.zeros(2), np.zeros((2, 2))), prior)
    np.testing.assert_allclose(mean, [1.0, -1.0])
    np.testing.assert_allclose(cov, np.diag([2.0, 4.0]) / (6.0 + 2 + 2))


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: DirichletPrior(0.5), ValueError, "concentration must be a finite number >= 1"),
        (lambda: GammaPrior(0.5, 1.0), ValueError, "GammaPrior shape must be >= 1"),
        (lambda: GammaPrior(2.0, -1.0), ValueError, "GammaPrior rate must be >= 0"),
        (lambda: BetaPrior(1.0, 0.2), ValueError, "BetaPrior b must be a finite number >= 1"),
        (
            lambda: NormalInverseWishart(1.0, [0.0, 0.0], 3.0, [[1.0, 2.0], [2.0, 1.0]]),
            ValueError,
            "positive semi-definite",
        ),
        (
            lambda: NormalInverseWishart(1.0, [0.0, 0.0], 3.0, np.eye(3)),
            ValueError,
            "match the mean's 2 features",
        ),
        (lambda: NormalInverseWishart(-1.0, [0.0], 3.0, 1.0), ValueError, "shrinkage must be >= 0"),
        (lambda: Normal(0.0, 1.0, prior=GammaPrior(2.0, 1.0)), TypeError, "NormalInverseWishart"),
        (
            lambda: Normal(0.0, 1.0, prior=NormalInverseWishart.flat(2)),
            ValueError,
            "prior has 2 features but the family has 1",
        ),
        (
            lambda: Poisson(1.0, prior=BetaPrior(1.0, 1.0)),
            TypeError,
            "Poisson prior must be a GammaPrior",
        ),
    ],
)
def test_bad_hyperparameters_are_named(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_dirichlet_size_must_match_the_categories():
    from latentem.distributions import Bernoulli, Categorical

    with pytest.raises(ValueError, match="has 2 entries but there are 3 categories"):
        Categorical([0.2, 0.3, 0.5], prior=DirichletPrior([1.0, 2.0]))
    with pytest.raises(ValueError, match="Bernoulli prior a has 2 entries for 3 features"):
        Bernoulli([0.2, 0.3, 0.5], prior=BetaPrior([1.0, 2.0], 1.0))
