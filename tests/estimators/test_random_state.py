"""``random_state=None`` is NumPy's global RandomState, as in scikit-learn and hmmlearn.

After ``np.random.seed(k)`` a fit with ``random_state=None`` repeats exactly,
and equals the fit given a fresh ``np.random.RandomState(k)`` (what
scikit-learn's ``check_random_state(None)`` returns once seeded).
"""

import warnings

import numpy as np
import pytest

import latentem

RNG = np.random.default_rng(0)
X = np.concatenate([RNG.normal(0, 1, (60, 2)), RNG.normal(4, 1, (60, 2))])
X_MISSING = np.where(RNG.random(X.shape) < 0.1, np.nan, X)
COUNTS = RNG.poisson(3.0, (120, 1))
SYMBOLS = RNG.integers(0, 3, (120, 1))


def _fit(kind, random_state):
    """A fitted quantity that depends on the random start."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        if kind == "GaussianMixture":
            gm = latentem.GaussianMixture(
                3, init_params="random", max_iter=2, random_state=random_state
            )
            return gm.fit(X).means_
        if kind == "GaussianMixture.sample":
            gm = latentem.GaussianMixture(2, random_state=0).fit(X)
            gm.random_state = random_state
            return gm.sample(5)[0]
        if kind == "GaussianHMM":
            hmm = latentem.GaussianHMM(3, n_iter=2, random_state=random_state)
            return hmm.fit(X, [60, 60]).means_
        if kind == "GMMHMM":
            hmm = latentem.GMMHMM(2, n_mix=2, n_iter=2, random_state=random_state)
            return hmm.fit(X, [60, 60]).means_
        if kind == "CategoricalHMM":
            hmm = latentem.CategoricalHMM(2, n_iter=2, random_state=random_state)
            return hmm.fit(SYMBOLS).emissionprob_
        if kind == "PoissonHMM":
            hmm = latentem.PoissonHMM(2, n_iter=2, random_state=random_state)
            return hmm.fit(COUNTS).lambdas_
        if kind == "EMImputer":
            imputer = latentem.EMImputer(
                3, init_params="random", max_iter=2, random_state=random_state
            )
            return imputer.fit(X_MISSING).transform(X_MISSING)
        if kind == "select_n_components":
            result = latentem.select_n_components(
                X, [3, 4], init_params="random", max_iter=2, random_state=random_state
            )
            return result.scores["bic"]
    raise AssertionError(kind)


KINDS = [
    "GaussianMixture",
    "GaussianMixture.sample",
    "GaussianHMM",
    "GMMHMM",
    "CategoricalHMM",
    "PoissonHMM",
    "EMImputer",
    "select_n_components",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 7])
def test_numpy_seed_makes_none_repeatable(kind, seed):
    np.random.seed(seed)  # noqa: NPY002 (the global state is what is tested)
    first = _fit(kind, None)
    np.random.seed(seed)  # noqa: NPY002 (the global state is what is tested)
    second = _fit(kind, None)
    np.testing.assert_array_equal(first, second)
    # None is the global RandomState: the same as a RandomState seeded alike
    np.testing.assert_array_equal(first, _fit(kind, np.random.RandomState(seed)))
    # and it is advanced, so the next unseeded fit starts elsewhere
    assert not np.array_equal(first, _fit(kind, None))
