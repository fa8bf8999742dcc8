"""A state whose covariance collapses: floored at ``min_covar``, with a warning naming it.

The data are those of hmmlearn's own ``TestGaussianHMMWithFullCovars::test_fit``
(its generator at ``RandomState(10)``), fitted from 20 k-means starts (hmmlearn's
test takes numpy's global seed; here ``random_state`` is the seed); on most of
them a state ends up with two points in three dimensions.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import latentem
from latentem import DegenerateFitWarning, GaussianHMM

make_spd_matrix = pytest.importorskip("sklearn.datasets").make_spd_matrix


def _normalized(a: np.ndarray, axis: int | None = None) -> np.ndarray:
    return a / a.sum(axis=axis, keepdims=True)


def _hmmlearn_test_fit_model() -> tuple[GaussianHMM, np.ndarray, list[int]]:
    """hmmlearn's ``test_fit`` model and data for full covariances (generated, not copied)."""
    prng = np.random.RandomState(10)
    k = d = 3
    startprob = _normalized(prng.rand(k))
    transmat = _normalized(prng.rand(k, k), axis=1)
    means = prng.randint(-20, 20, (k, d))
    # hmmlearn's make_covar_matrix("full"), from the same generator
    covars = np.stack([make_spd_matrix(d, random_state=prng) + 0.1 * np.eye(d) for _ in range(k)])
    model = GaussianHMM(k, "full")
    model.startprob_ = startprob
    model.transmat_ = _normalized(transmat + np.diag(prng.rand(k)), 1)
    model.means_ = 20 * means
    model.covars_ = covars
    lengths = [10] * 10
    X, _ = model.sample(sum(lengths), random_state=prng)
    return model, X, lengths


def _fit_recording(model: GaussianHMM, X: np.ndarray, lengths: list[int]) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, lengths=lengths)
    return [str(w.message) for w in caught if issubclass(w.category, DegenerateFitWarning)]


@pytest.mark.parametrize("seed", range(20))
def test_hmmlearns_test_fit_data_finish_positive_definite(seed):
    model, X, lengths = _hmmlearn_test_fit_model()
    model.set_params(random_state=seed)
    messages = _fit_recording(model, X, lengths)
    eigenvalues = np.linalg.eigvalsh(model.covars_)
    assert np.all(eigenvalues > 0)
    floored = np.isclose(eigenvalues[:, 0], model.min_covar, rtol=1e-9)
    # a floored state is named in a warning, and hmmlearn's data do collapse
    assert floored.any() == bool(messages)
    for state in np.flatnonzero(floored):
        assert any(f"state {state} collapsed" in message for message in messages)
    for message in messages:
        assert "min_covar=0.001" in message and "covars_prior=c * np.eye(n_features)" in message


def test_the_data_do_collapse_without_the_floor_and_the_error_gives_working_advice():
    model, X, lengths = _hmmlearn_test_fit_model()
    collapsed = 0
    for seed in range(20):
        model.set_params(min_covar=0.0, random_state=seed)
        try:
            model.fit(X, lengths=lengths)
        except ValueError as error:
            collapsed += 1
            assert "covars_prior=c * np.eye(n_features)" in str(error)
    assert collapsed >= 10
    # the advice works: an identity-shaped prior regularises every seed's fit
    for seed in range(20):
        model.set_params(min_covar=0.0, covars_prior=0.01 * np.eye(3), random_state=seed)
        model.fit(X, lengths=lengths)
        assert np.all(np.linalg.eigvalsh(model.covars_) > 0)


def test_the_objective_never_decreases_except_where_the_floor_first_acts():
    # Raising the eigenvalues below c is the exact maximiser over covariances whose
    # eigenvalues are all at least c, so the objective can go down only at a step that
    # floors a state whose previous covariance had an eigenvalue below c.
    checked = excused = 0
    for seed in range(20):
        model, X, lengths = _hmmlearn_test_fit_model()
        model.set_params(n_iter=0, init_params="mc", random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", latentem.ConvergenceWarning)
            model.fit(X, lengths=lengths)  # the k-means start only
        hmm, data = model.model_, latentem.Sequences(X, lengths)
        stats = hmm.e_step(data)
        for _ in range(15):
            objective = stats.log_likelihood + hmm.log_prior()
            smallest = np.linalg.eigvalsh(hmm.emissions.full_covariances())[:, 0]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                hmm = hmm.m_step(stats)
            stats = hmm.e_step(data)
            named = [
                int(state)
                for w in caught
                if issubclass(w.category, DegenerateFitWarning)
                for state in re.findall(r"state (\d+)", str(w.message))
            ]
            if any(smallest[state] < model.min_covar * (1 - 1e-9) for state in named):
                excused += 1
                continue
            checked += 1
            after = stats.log_likelihood + hmm.log_prior()
            assert after >= objective - 1e-9 * abs(objective)
    assert excused >= 20 and checked >= 200


def test_healthy_fits_are_untouched_by_the_floor():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + 6])
    kwargs = {"n_components": 2, "covariance_type": "full", "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateFitWarning)
        floored = GaussianHMM(n_iter=20, **kwargs).fit(X)
    unfloored = GaussianHMM(min_covar=0.0, n_iter=20, **kwargs)
    # the floor is no part of a healthy fit: the same steps from the same start
    unfloored.set_params(init_params="")
    start = GaussianHMM(n_iter=0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        start.fit(X)
    for name in ("startprob_", "transmat_", "means_"):
        setattr(unfloored, name, getattr(start, name))
    unfloored.covars_ = start.covars_
    unfloored.fit(X)
    np.testing.assert_array_equal(floored.covars_, unfloored.covars_)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "tied"])
def test_gmmhmm_floors_a_constant_feature_and_names_the_component(covariance_type):
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(size=60), np.full(60, 715.0)])
    model = latentem.GMMHMM(2, n_mix=2, covariance_type=covariance_type, random_state=0)
    messages = _fit_recording(model, X, [30, 30])
    assert messages and "component" in messages[0]
    full = model.model_.emissions.full_covariances()
    assert np.all(np.linalg.eigvalsh(full) > 0)
