"""Gaussian emissions: densities against scipy, the MAP update against numeric optimisation."""

import numpy as np
import pytest
from scipy import optimize, stats

from latentem.hmm.emissions import GaussianEmissions, GaussianPrior
from latentem.mixture.covariance import COVARIANCE_TYPES, covariance_type
from latentem.mixture.statistics import accumulate_statistics

RNG = np.random.default_rng(0)


def covariances(structure, k=3, d=2, rng=RNG):
    a = rng.normal(size=(k, d, d))
    full = a @ np.swapaxes(a, 1, 2) + np.eye(d)
    return covariance_type(structure).from_full_matrices(full)


@pytest.mark.parametrize("structure", COVARIANCE_TYPES)
def test_log_prob_matches_scipy(structure):
    means = RNG.normal(size=(3, 2))
    emissions = GaussianEmissions(means, covariances(structure), structure)
    X = RNG.normal(scale=2.0, size=(50, 2))
    full = emissions.full_covariances()
    expected = np.column_stack(
        [stats.multivariate_normal(means[k], full[k]).logpdf(X) for k in range(3)]
    )
    np.testing.assert_allclose(emissions.log_prob(X), expected, rtol=1e-12)


@pytest.mark.parametrize("structure", COVARIANCE_TYPES)
def test_kernels_are_shift_invariant_and_match_the_two_pass_statistics(structure):
    X = RNG.normal(size=(300, 3))
    means = RNG.normal(size=(4, 3))
    cov = covariances(structure, k=4, d=3)
    # the shifted data are rounded to the float grid at 1e8; shift exactly back to compare
    far, far_means = X + 1e8, means + 1e8
    near, near_means = far - 1e8, far_means - 1e8
    shifted = GaussianEmissions(far_means, cov, structure).log_prob(far)
    np.testing.assert_allclose(
        shifted, GaussianEmissions(near_means, cov, structure).log_prob(near), rtol=1e-12
    )
    posteriors = RNG.dirichlet(np.ones(4), size=300)
    fast = GaussianEmissions(far_means, cov, structure).statistics(far, posteriors)
    exact = accumulate_statistics(far, posteriors, 0.0, covariance_type(structure))
    np.testing.assert_allclose(fast.counts, exact.counts, rtol=1e-13)
    np.testing.assert_allclose(fast.means, exact.means, rtol=1e-15)
    np.testing.assert_allclose(fast.scatter, exact.scatter, rtol=1e-8)


@pytest.mark.parametrize("structure", COVARIANCE_TYPES)
def test_statistics_add_over_rows(structure):
    emissions = GaussianEmissions(RNG.normal(size=(3, 2)), covariances(structure), structure)
    X = RNG.normal(size=(80, 2)) + 1e6
    posteriors = RNG.dirichlet(np.ones(3), size=80)
    whole = emissions.statistics(X, posteriors)
    parts = emissions.statistics(X[:30], posteriors[:30]) + emissions.statistics(
        X[30:], posteriors[30:]
    )
    a, b = emissions.maximize(whole), emissions.maximize(parts)
    np.testing.assert_allclose(a.means, b.means, rtol=1e-13)
    np.testing.assert_allclose(a.covariances, b.covariances, rtol=1e-8)


def map_objective(emissions, X, posteriors):
    return float(np.sum(posteriors * emissions.log_prob(X))) + emissions.log_prior()


def prior_for(structure, k, d):
    scale = {
        "full": np.stack([np.eye(d) * 0.3] * k),
        "diag": np.full((k, d), 0.3),
        "spherical": np.full(k, 0.6),
        "tied": np.eye(d) * 0.3,
    }[structure]
    dof = {"full": np.full(k, 1.5), "diag": np.full((k, d), 1.5), "spherical": np.full(k, 1.5)}
    return GaussianPrior(
        RNG.normal(size=(k, d)), np.array([0.5, 2.0])[:k], scale, dof.get(structure, 1.5), structure
    )


@pytest.mark.parametrize("structure", ["full", "diag", "spherical", "tied"])
def test_map_update_maximises_the_weighted_objective(structure):
    """The closed-form M-step beats every parameter scipy.optimize can find."""
    k, d = (1, 2) if structure in ("full", "tied") else (2, 2)
    X = RNG.normal(size=(12, d)) * [1.0, 2.0]
    posteriors = RNG.dirichlet(np.ones(k), size=12)
    start = GaussianEmissions(
        RNG.normal(size=(k, d)),
        covariances(structure, k, d),
        structure,
        prior=prior_for(structure, k, d),
    )
    best = start.maximize(start.statistics(X, posteriors))
    target = map_objective(best, X, posteriors)
    assert target >= map_objective(start, X, posteriors)

    def negative(theta):
        means = theta[: k * d].reshape(k, d)
        rest = theta[k * d :]
        if structure == "diag":
            cov = np.exp(rest).reshape(k, d)
        elif structure == "spherical":
            cov = np.exp(rest)
        else:
            n = 1 if structure == "tied" else k
            lower = np.zeros((n, d, d))
            lower[:, np.tril_indices(d)[0], np.tril_indices(d)[1]] = rest.reshape(n, -1)
            cov = lower @ np.swapaxes(lower, 1, 2) + 1e-9 * np.eye(d)
            cov = cov[0] if structure == "tied" else cov
        try:
            candidate = GaussianEmissions(means, cov, structure, prior=start.prior)
        except ValueError:
            return np.inf
        return -map_objective(candidate, X, posteriors)

    if structure in ("diag", "spherical"):
        initial = np.concatenate([best.means.ravel(), np.log(best.covariances).ravel()])
    else:
        covs = best.covariances[None] if structure == "tied" else best.covariances
        lower = np.linalg.cholesky(covs)[:, np.tril_indices(d)[0], np.tril_indices(d)[1]]
        initial = np.concatenate([best.means.ravel(), lower.ravel()])
    found = optimize.minimize(
        negative,
        initial + 0.05,
        method="Nelder-Mead",
        options={"maxiter": 20000, "xatol": 1e-10, "fatol": 1e-12},
    )
    assert -found.fun <= target + 1e-7 * abs(target)
    assert -found.fun == pytest.approx(target, rel=1e-5)


def test_zero_weight_state_keeps_its_parameters_and_collapse_says_what_to_do():
    emissions = GaussianEmissions([[0.0], [5.0]], [[1.0], [2.0]], "diag")
    X = np.array([[0.1], [0.3], [-0.2]])
    posteriors = np.column_stack([np.ones(3), np.zeros(3)])
    fitted = emissions.maximize(emissions.statistics(X, posteriors))
    assert fitted.means[1, 0] == 5.0 and fitted.covariances[1, 0] == 2.0
    one_point = emissions.statistics(X[:1], posteriors[:1])
    advice = r"collapsed onto .*min_covar > 0.*covars_prior=c \* np.eye\(n_features\)"
    with pytest.raises(ValueError, match=advice):
        emissions.maximize(one_point)


def test_bad_parameters_are_rejected():
    with pytest.raises(ValueError, match="not positive definite"):
        GaussianEmissions([[0.0, 0.0]], [[[1.0, 2.0], [2.0, 1.0]]], "full")
    with pytest.raises(ValueError, match="positive and finite"):
        GaussianEmissions([[0.0]], [[-1.0]], "diag")
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        GaussianEmissions([[0.0]], [[1.0]], "diagonal")
    with pytest.raises(ValueError, match=r"means must have shape \(n_states, n_features\)"):
        GaussianEmissions([0.0, 1.0], [1.0, 1.0], "spherical")
    with pytest.raises(ValueError, match=r"prior means_weight .* shape"):
        GaussianPrior(np.zeros((2, 1)), np.zeros(3), np.ones((2, 1)), np.zeros((2, 1)), "diag")
    with pytest.raises(ValueError, match="means_weight must be non-negative"):
        GaussianPrior(np.zeros((1, 1)), [-1.0], np.ones((1, 1)), np.zeros((1, 1)), "diag")
    with pytest.raises(ValueError, match="prior's parameters must be finite"):
        GaussianPrior(np.zeros((1, 1)), [1.0], np.ones((1, 1)), [[np.inf]], "diag")
    with pytest.raises(ValueError, match=r"covars_prior\) must be non-negative"):
        GaussianPrior(np.zeros((1, 1)), [1.0], [-0.5], [1.0], "spherical")
    with pytest.raises(ValueError, match="must be positive semidefinite"):
        GaussianPrior(np.zeros((1, 2)), [1.0], [[[1.0, 2.0], [2.0, 1.0]]], [3.0], "full")
    with pytest.raises(ValueError, match="must be symmetric"):
        GaussianPrior(np.zeros((1, 2)), [1.0], [[1.0, 0.5], [0.0, 1.0]], 3.0, "tied")
    hmm = pytest.importorskip("latentem").GaussianHMM(2, covars_prior=-1.0, n_iter=2)
    with pytest.raises(ValueError, match="covars_prior"):
        hmm.fit(np.random.default_rng(0).normal(size=(30, 1)))
    with pytest.raises(ValueError, match="fixed for GaussianEmissions"):
        GaussianEmissions([[0.0]], [[1.0]], "diag", fixed=["mean"])
