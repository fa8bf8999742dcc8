"""The numerical M-steps (gamma shape, von Mises kappa) and their monotone safeguard."""

import math

import numpy as np
import pytest
from scipy import optimize, special, stats

from latentem.distributions import Gamma, VonMises
from latentem.distributions import circular as circular_module
from latentem.distributions import gamma as gamma_module
from latentem.distributions.circular import von_mises_kappa_mle
from latentem.distributions.gamma import gamma_shape_mle
from latentem.distributions.numerics import solve_decreasing


@pytest.mark.parametrize("target", [1e-8, 0.3, 1.0, 50.0, 1e7])
def test_solver_finds_roots_across_scales(target):
    root = solve_decreasing(lambda t: (math.log(target) - t, -1.0), 0.0)
    assert root == pytest.approx(math.log(target), abs=1e-13)
    # a flat-then-steep function where plain Newton would overshoot
    root = solve_decreasing(
        lambda t: (-math.tanh(5 * (t - 3.0)), -5 / math.cosh(5 * (t - 3.0)) ** 2), -4.0
    )
    assert root == pytest.approx(3.0, abs=1e-12)


def test_solver_reports_a_missing_root():
    with pytest.raises(ValueError, match="no sign change"):
        solve_decreasing(lambda t: (1.0 + math.exp(-t), -math.exp(-t)), 0.0)


@pytest.mark.parametrize(("shape", "scale"), [(0.3, 1.0), (1.0, 2.0), (4.0, 0.5), (150.0, 0.01)])
def test_gamma_shape_equals_scipys_fit(shape, scale):
    x = np.random.default_rng(0).gamma(shape, scale, 3000)
    expected, _, _ = stats.gamma.fit(x, floc=0, method="MLE")
    ours = gamma_shape_mle(x.mean(), np.log(x).mean())
    # scipy's optimiser stops early; the root of the score equation is the reference
    root = optimize.brentq(
        lambda a: np.log(a) - special.digamma(a) - (np.log(x.mean()) - np.log(x).mean()),
        1e-6,
        1e6,
        xtol=1e-14,
        rtol=1e-15,
    )
    assert ours == pytest.approx(root, rel=1e-12)
    assert ours == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("resultant", [1e-6, 0.05, 0.5, 0.9, 0.999, 0.9999999])
def test_von_mises_kappa_solves_the_bessel_ratio(resultant):
    kappa = von_mises_kappa_mle(resultant)
    ratio = special.i1e(kappa) / special.i0e(kappa)
    assert ratio == pytest.approx(resultant, rel=1e-12)


def test_von_mises_equals_scipys_fit():
    x = np.random.default_rng(1).vonmises(1.0, 4.0, 2000)
    kappa, loc, _ = stats.vonmises.fit(x, fscale=1)
    fitted = VonMises(0.0, 1.0).maximize(VonMises(0.0, 1.0).statistics(x[:, None], np.ones(2000)))
    assert fitted.kappa == pytest.approx(kappa, rel=1e-6)
    assert math.remainder(fitted.loc - loc, 2 * math.pi) == pytest.approx(0.0, abs=1e-8)


def _weighted_objective(family, x, weights):
    return float(weights @ family.log_prob(x))


def test_gamma_falls_back_to_the_current_shape_when_the_solve_would_lower_the_objective(
    monkeypatch,
):
    x = np.random.default_rng(2).gamma(2.0, 1.0, (200, 1))
    weights = np.ones(200)
    current = Gamma(2.1, 2.0)
    monkeypatch.setattr(gamma_module, "gamma_shape_mle", lambda mean, mean_log, start: 40.0)
    updated = current.maximize(current.statistics(x, weights))
    assert updated.shape == current.shape
    assert updated.rate == pytest.approx(current.shape / x.mean(), rel=1e-14)
    assert _weighted_objective(updated, x, weights) >= _weighted_objective(current, x, weights)


def test_von_mises_falls_back_to_the_current_kappa_when_the_solve_would_lower_the_objective(
    monkeypatch,
):
    x = np.random.default_rng(3).vonmises(0.5, 2.0, (200, 1))
    weights = np.ones(200)
    current = VonMises(2.0, 1.9)
    monkeypatch.setattr(circular_module, "von_mises_kappa_mle", lambda resultant, start: 500.0)
    updated = current.maximize(current.statistics(x, weights))
    assert updated.kappa == current.kappa
    assert updated.loc == pytest.approx(math.atan2(np.sin(x).sum(), np.cos(x).sum()), abs=1e-13)
    assert _weighted_objective(updated, x, weights) >= _weighted_objective(current, x, weights)


def test_uniform_angles_give_zero_concentration():
    angles = np.linspace(-math.pi, math.pi, 8, endpoint=False)[:, None]
    fitted = VonMises(1.0, 3.0).maximize(VonMises(1.0, 3.0).statistics(angles, np.ones(8)))
    assert fitted.kappa == 0.0
    np.testing.assert_allclose(fitted.log_prob(angles), -math.log(2 * math.pi))
