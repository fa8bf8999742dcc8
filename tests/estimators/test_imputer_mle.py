"""EMImputer reaches the maximum-likelihood estimate of the observed data.

Two references, both written here independently of latentem: direct numerical
maximisation of the observed-data likelihood (scipy.optimize over a Cholesky
parametrisation, with its analytic gradient) and, for monotone patterns, the
closed form obtained by factoring the likelihood into regressions (Anderson
1957; Little & Rubin 2002, section 7.4).
"""

import math

import numpy as np
import pytest
from scipy import optimize

from latentem import EMImputer

# Hald's cement data with the values deleted by Little & Rubin (Table 6.4 of the
# 1987 edition; R's mvnmle::missvals): x3 and x5 complete, x1 and x2 missing in
# the last four rows, x4 in the last seven -- a monotone pattern.
CEMENT = np.array(
    [
        [7.0, 26.0, 6.0, 60.0, 78.5],
        [1.0, 29.0, 15.0, 52.0, 74.3],
        [11.0, 56.0, 8.0, 20.0, 104.3],
        [11.0, 31.0, 8.0, 47.0, 87.6],
        [7.0, 52.0, 6.0, 33.0, 95.9],
        [11.0, 55.0, 9.0, 22.0, 109.2],
        [3.0, 71.0, 17.0, np.nan, 102.7],
        [1.0, 31.0, 22.0, np.nan, 72.5],
        [2.0, 54.0, 18.0, np.nan, 93.1],
        [np.nan, np.nan, 4.0, np.nan, 115.9],
        [np.nan, np.nan, 23.0, np.nan, 83.8],
        [np.nan, np.nan, 9.0, np.nan, 113.3],
        [np.nan, np.nan, 8.0, np.nan, 109.4],
    ]
)
CEMENT_BLOCKS = [[2, 4], [0, 1], [3]]

# Little & Rubin's apple-tree data (R's mvnmle::apple): size complete, worm
# infestation missing for the last six trees.
APPLE = np.array(
    [
        [8, 59],
        [6, 58],
        [11, 56],
        [22, 53],
        [14, 50],
        [17, 45],
        [18, 43],
        [24, 42],
        [19, 39],
        [23, 38],
        [26, 30],
        [40, 27],
        [4, np.nan],
        [4, np.nan],
        [5, np.nan],
        [6, np.nan],
        [8, np.nan],
        [10, np.nan],
    ]
)
APPLE_BLOCKS = [[0], [1]]


# ----------------------------------------------------------------------------- references


def _monotone_mle(X, blocks):
    """Closed-form MLE of a monotone pattern: regress each block on all earlier ones.

    ``blocks[0]`` is observed in every row; the rows observing ``blocks[j]``
    observe every earlier block too.
    """
    d = X.shape[1]
    mean, cov = np.zeros(d), np.zeros((d, d))
    first = blocks[0]
    base = X[:, first]
    mean[first] = base.mean(axis=0)
    centred = base - mean[first]
    cov[np.ix_(first, first)] = centred.T @ centred / base.shape[0]
    known = list(first)
    for block in blocks[1:]:
        rows = ~np.isnan(X[:, block]).any(axis=1)
        design = np.column_stack([np.ones(rows.sum()), X[rows][:, known]])
        response = X[rows][:, block]
        coef, *_ = np.linalg.lstsq(design, response, rcond=None)
        residual = response - design @ coef
        intercept, slope = coef[0], coef[1:].T
        within = cov[np.ix_(known, known)]
        mean[block] = intercept + slope @ mean[known]
        cov[np.ix_(block, known)] = slope @ within
        cov[np.ix_(known, block)] = (slope @ within).T
        cov[np.ix_(block, block)] = residual.T @ residual / rows.sum() + slope @ within @ slope.T
        known += block
    return mean, cov


def _pattern_groups(X):
    groups = {}
    for i, row in enumerate(np.isnan(X)):
        groups.setdefault(row.tobytes(), []).append(i)
    return [(~np.isnan(X[rows[0]]), X[rows]) for rows in groups.values()]


def _unpack(theta, d):
    lower = np.zeros((d, d))
    lower[np.tril_indices(d)] = theta[d:]
    lower[np.diag_indices(d)] = np.exp(np.diag(lower))
    return theta[:d], lower


def _negative_log_likelihood(theta, groups, d):
    """Minus the observed-data log-likelihood and its gradient in (mean, log-Cholesky)."""
    mean, lower = _unpack(theta, d)
    cov = lower @ lower.T
    value, grad_mean, grad_cov = 0.0, np.zeros(d), np.zeros((d, d))
    for observed, rows in groups:
        if not observed.any():
            continue
        sub = cov[np.ix_(observed, observed)]
        precision = np.linalg.inv(sub)
        _, log_det = np.linalg.slogdet(sub)
        residual = rows[:, observed] - mean[observed]
        projected = residual @ precision
        n = rows.shape[0]
        value += 0.5 * (n * (observed.sum() * math.log(2 * math.pi) + log_det))
        value += 0.5 * np.sum(projected * residual)
        grad_mean[observed] -= projected.sum(axis=0)
        grad_cov[np.ix_(observed, observed)] += 0.5 * (n * precision - projected.T @ projected)
    grad_lower = 2.0 * grad_cov @ lower
    grad_lower[np.diag_indices(d)] *= np.diag(lower)
    return value, np.concatenate([grad_mean, grad_lower[np.tril_indices(d)]])


def _direct_mle(X):
    """Maximise the observed-data likelihood with BFGS on standardised data."""
    centre, scale = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
    Z = (X - centre) / scale
    d = X.shape[1]
    groups = _pattern_groups(Z)
    start = np.zeros(d + d * (d + 1) // 2)
    result = optimize.minimize(
        _negative_log_likelihood,
        start,
        args=(groups, d),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-10, "maxiter": 20000},
    )
    mean, lower = _unpack(result.x, d)
    # BFGS stops on rounding ("precision loss") once the gradient is this small: with
    # n >= 13 standardised rows the parameters are then within ~1e-7 of the optimum
    assert np.max(np.abs(result.jac)) < 1e-5, result.message
    return centre + scale * mean, np.outer(scale, scale) * (lower @ lower.T)


def _assert_same_mle(imputer, mean, cov, rtol=1e-4):
    np.testing.assert_allclose(imputer.mean_, mean, rtol=rtol, atol=rtol * np.max(np.abs(mean)))
    np.testing.assert_allclose(
        imputer.covariance_, cov, rtol=rtol, atol=rtol * np.max(np.abs(np.diag(cov)))
    )


# ----------------------------------------------------------------------------- data


def _random_data(n=200, d=5, fraction=0.3, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, d))
    X = rng.multivariate_normal(rng.normal(0, 3, d), a @ a.T + 0.5 * np.eye(d), size=n)
    X[rng.random(X.shape) < fraction] = np.nan
    return X[~np.isnan(X).all(axis=1)]


def _random_monotone(n=300, d=4, seed=1):
    """About 30% of the entries missing, monotone: column j missing wherever j-1 is."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, d))
    X = rng.multivariate_normal(np.arange(d, dtype=float), a @ a.T + np.eye(d), size=n)
    first_missing = rng.choice(np.arange(1, d + 1), size=n, p=[0.2, 0.25, 0.25, 0.3])
    X[np.arange(d)[None, :] >= first_missing[:, None]] = np.nan
    return X


def _mar_data(seed=2):
    """Missing at random, not completely: x1, x2 deleted more often when x0 is large."""
    rng = np.random.default_rng(seed)
    X = rng.multivariate_normal(
        [1.0, -1.0, 0.5], [[1, 0.6, 0.3], [0.6, 1, 0.5], [0.3, 0.5, 1]], 250
    )
    for j in (1, 2):
        X[rng.random(250) < 1 / (1 + np.exp(-2 * X[:, 0])) * 0.6, j] = np.nan
    return X


def _sklearn(name, fraction=0.3, seed=3):
    datasets = pytest.importorskip("sklearn.datasets")
    X = getattr(datasets, name)().data.astype(float)
    X = X[:, :6] if X.shape[1] > 6 else X
    rng = np.random.default_rng(seed)
    X[rng.random(X.shape) < fraction] = np.nan
    return X[~np.isnan(X).all(axis=1)]


def _fit(X):
    imputer = EMImputer(tol=1e-12, max_iter=5000).fit(X)
    assert imputer.converged_
    return imputer


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize(
    "X, blocks",
    [(CEMENT, CEMENT_BLOCKS), (APPLE, APPLE_BLOCKS), (_random_monotone(), [[0], [1], [2], [3]])],
    ids=["little-rubin-cement", "little-rubin-apple", "random-monotone"],
)
def test_monotone_pattern_gives_the_factored_closed_form(X, blocks):
    assert 0.15 < np.isnan(X).mean() < 0.45
    mean, cov = _monotone_mle(X, blocks)
    _assert_same_mle(_fit(X), mean, cov)


@pytest.mark.parametrize(
    "make",
    [
        lambda: CEMENT,
        lambda: APPLE,
        _random_data,
        _mar_data,
        lambda: _sklearn("load_iris"),
        lambda: _sklearn("load_diabetes"),
    ],
    ids=["cement", "apple", "random-30%", "missing-at-random", "iris-30%", "diabetes-30%"],
)
def test_mle_equals_direct_numerical_maximisation(make):
    X = make()
    mean, cov = _direct_mle(X)
    _assert_same_mle(_fit(X), mean, cov)


def test_default_settings_reach_the_mle():
    X = _random_data(seed=5)
    imputer = EMImputer().fit(X)
    assert imputer.converged_
    mean, cov = _direct_mle(X)
    _assert_same_mle(imputer, mean, cov)


def test_complete_data_give_the_sample_moments():
    X = _random_data(fraction=0.0)
    imputer = EMImputer().fit(X)
    assert imputer.n_iter_ <= 2
    np.testing.assert_allclose(imputer.mean_, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(imputer.covariance_, np.cov(X.T, bias=True), rtol=1e-10)
    np.testing.assert_array_equal(imputer.transform(X), X)
