"""One table of every built-in family: data, scipy's density and an unconstrained parametrisation.

Each case names a family, how to draw data in its support, scipy's log-density
(the reference the family must match) and a map from an unconstrained vector to
the family's parameters, so that scipy.optimize can maximise a weighted
log-likelihood by brute force, independently of the family's own update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import expit, logit

from latentem.distributions import (
    Bernoulli,
    Categorical,
    Distribution,
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


@dataclass(frozen=True)
class Case:
    name: str
    start: Distribution
    draw: Callable[[np.random.Generator, int], np.ndarray]
    scipy_log_prob: Callable[[Distribution, np.ndarray], np.ndarray]
    to_vector: Callable[[Distribution], np.ndarray]
    from_vector: Callable[[np.ndarray], Distribution]
    params: Callable[[Distribution], np.ndarray]


def _cholesky_vector(cov: np.ndarray) -> np.ndarray:
    lower = np.linalg.cholesky(cov)
    lower[np.diag_indices_from(lower)] = np.log(np.diag(lower))
    return lower[np.tril_indices_from(lower)]


def _cov_from_vector(values: np.ndarray, d: int) -> np.ndarray:
    lower = np.zeros((d, d))
    lower[np.tril_indices(d)] = values
    lower[np.diag_indices(d)] = np.exp(np.diag(lower))
    return lower @ lower.T


def _softmax(free: np.ndarray) -> np.ndarray:
    logits = np.concatenate([[0.0], free])
    e = np.exp(logits - logits.max())
    return e / e.sum()


CASES = [
    Case(
        "Normal",
        Normal(0.5, 2.0),
        lambda rng, n: rng.normal(1.0, 1.5, (n, 1)),
        lambda f, x: stats.norm.logpdf(x[:, 0], f.loc, f.scale),
        lambda f: np.array([f.loc, np.log(f.scale)]),
        lambda v: Normal(v[0], np.exp(v[1])),
        lambda f: np.array([f.loc, f.scale]),
    ),
    Case(
        "LogNormal",
        LogNormal(0.0, 1.0),
        lambda rng, n: rng.lognormal(0.3, 0.6, (n, 1)),
        lambda f, x: stats.lognorm.logpdf(x[:, 0], f.sigma, scale=np.exp(f.mu)),
        lambda f: np.array([f.mu, np.log(f.sigma)]),
        lambda v: LogNormal(v[0], np.exp(v[1])),
        lambda f: np.array([f.mu, f.sigma]),
    ),
    Case(
        "MultivariateNormal-full",
        MultivariateNormal([0.0, 0.0], [[1.0, 0.2], [0.2, 1.0]]),
        lambda rng, n: rng.multivariate_normal([1.0, -1.0], [[2.0, 0.6], [0.6, 1.0]], n),
        lambda f, x: stats.multivariate_normal.logpdf(x, f.mean, f.cov),
        lambda f: np.concatenate([f.mean, _cholesky_vector(f.cov)]),
        lambda v: MultivariateNormal(v[:2], _cov_from_vector(v[2:], 2)),
        lambda f: np.concatenate([f.mean, f.cov.ravel()]),
    ),
    Case(
        "MultivariateNormal-diag",
        MultivariateNormal([0.0, 0.0, 0.0], [1.0, 1.0, 1.0]),
        lambda rng, n: rng.normal([1.0, -2.0, 0.0], [0.5, 2.0, 1.0], (n, 3)),
        lambda f, x: stats.multivariate_normal.logpdf(x, f.mean, np.diag(f.cov)),
        lambda f: np.concatenate([f.mean, np.log(f.cov)]),
        lambda v: MultivariateNormal(v[:3], np.exp(v[3:])),
        lambda f: np.concatenate([f.mean, f.cov]),
    ),
    Case(
        "Exponential",
        Exponential(1.0),
        lambda rng, n: rng.exponential(2.5, (n, 1)),
        lambda f, x: stats.expon.logpdf(x[:, 0], scale=1.0 / f.rate),
        lambda f: np.array([np.log(f.rate)]),
        lambda v: Exponential(np.exp(v[0])),
        lambda f: np.array([f.rate]),
    ),
    Case(
        "Gamma",
        Gamma(1.0, 1.0),
        lambda rng, n: rng.gamma(3.0, 0.5, (n, 1)),
        lambda f, x: stats.gamma.logpdf(x[:, 0], f.shape, scale=1.0 / f.rate),
        lambda f: np.log([f.shape, f.rate]),
        lambda v: Gamma(np.exp(v[0]), np.exp(v[1])),
        lambda f: np.array([f.shape, f.rate]),
    ),
    Case(
        "Poisson",
        Poisson(1.0),
        lambda rng, n: rng.poisson(4.0, (n, 1)).astype(float),
        lambda f, x: stats.poisson.logpmf(x[:, 0], f.rate),
        lambda f: np.array([np.log(f.rate)]),
        lambda v: Poisson(np.exp(v[0])),
        lambda f: np.array([f.rate]),
    ),
    Case(
        "Geometric",
        Geometric(0.5),
        lambda rng, n: rng.geometric(0.3, (n, 1)).astype(float),
        lambda f, x: stats.geom.logpmf(x[:, 0], f.p),
        lambda f: np.array([logit(f.p)]),
        lambda v: Geometric(expit(v[0])),
        lambda f: np.array([f.p]),
    ),
    Case(
        "Bernoulli",
        Bernoulli([0.5, 0.5, 0.5]),
        lambda rng, n: (rng.random((n, 3)) < [0.2, 0.5, 0.9]).astype(float),
        lambda f, x: stats.bernoulli.logpmf(x, f.p).sum(axis=1),
        lambda f: logit(f.p),
        lambda v: Bernoulli(expit(v)),
        lambda f: np.array(f.p),
    ),
    Case(
        "Categorical",
        Categorical([0.25, 0.25, 0.25, 0.25]),
        lambda rng, n: rng.choice(4, size=(n, 1), p=[0.1, 0.2, 0.3, 0.4]).astype(float),
        lambda f, x: stats.multinomial.logpmf(np.eye(4)[x[:, 0].astype(int)], 1, f.probs),
        lambda f: np.log(f.probs[1:] / f.probs[0]),
        lambda v: Categorical(_softmax(v)),
        lambda f: np.array(f.probs),
    ),
    Case(
        "VonMises",
        VonMises(0.0, 1.0),
        lambda rng, n: rng.vonmises(2.0, 3.0, (n, 1)),
        lambda f, x: stats.vonmises.logpdf(x[:, 0], f.kappa, loc=f.loc),
        lambda f: np.array([f.loc, np.log(f.kappa)]),
        lambda v: VonMises(v[0], np.exp(v[1])),
        lambda f: np.array([np.cos(f.loc), np.sin(f.loc), f.kappa]),
    ),
    Case(
        "Independent",
        Independent([Normal(0.0, 1.0), Poisson(1.0)]),
        lambda rng, n: np.column_stack([rng.normal(2.0, 0.5, n), rng.poisson(7.0, n)]),
        lambda f, x: (
            stats.norm.logpdf(x[:, 0], f.parts[0].loc, f.parts[0].scale)
            + stats.poisson.logpmf(x[:, 1], f.parts[1].rate)
        ),
        lambda f: np.array([f.parts[0].loc, np.log(f.parts[0].scale), np.log(f.parts[1].rate)]),
        lambda v: Independent([Normal(v[0], np.exp(v[1])), Poisson(np.exp(v[2]))]),
        lambda f: np.array([f.parts[0].loc, f.parts[0].scale, f.parts[1].rate]),
    ),
]

CASE_IDS = [case.name for case in CASES]
