"""A covariance structure written outside the package, registered through the public API.

``SharedDiagonal`` (mclust's EEI: one diagonal covariance shared by every
component) is what a contributor would write: no edit inside ``latentem/``.
It must work in GaussianMixture, GaussianHMM, GMMHMM, EMImputer, save/load
and the CLI, with priors, NaN entries, float32 and chunked data, and pass
``check_covariance_structure``.

The class lives in ``examples/covariance_structure.py`` (loaded here without
running its script), the worked example the guide
``docs/user_guide/covariance_structures.rst`` quotes: the guide shows the tested code.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import latentem
from latentem.cli.main import main as cli_main
from latentem.mixture import COVARIANCE_TYPES, register_covariance_type
from latentem.testing import assert_monotone, check_covariance_structure

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "covariance_structure.py"


def load_example():
    """examples/covariance_structure.py as a module: the class, not registered yet."""
    spec = importlib.util.spec_from_file_location("covariance_structure_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SharedDiagonal = load_example().SharedDiagonal
STRUCTURE = SharedDiagonal()
NAME = STRUCTURE.name


@pytest.fixture(autouse=True)
def registered():
    register_covariance_type(STRUCTURE)
    yield
    COVARIANCE_TYPES.pop(NAME)


def data(n=240, seed=0, holes=0.0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]])
    X = centres[rng.integers(0, 3, n)] + rng.normal(size=(n, 2)) * [1.0, 0.5]
    X[rng.random(X.shape) < holes] = np.nan
    return X


def reference_score(gm, X):
    """scipy's marginal density of each row's observed entries."""
    out = np.zeros((X.shape[0], gm.n_components))  # nothing observed: density 1
    for i, row in enumerate(X):
        seen = ~np.isnan(row)
        for k in range(gm.n_components if seen.any() else 0):
            cov = np.diag(gm.covariances_[seen])
            out[i, k] = stats.multivariate_normal(gm.means_[k, seen], cov).logpdf(row[seen])
    return logsumexp(np.log(gm.weights_) + out, axis=1)


def test_it_passes_the_conformance_check():
    check_covariance_structure(STRUCTURE, n_samples=90)
    check_covariance_structure(NAME, n_components=2, n_features=1, n_samples=40, random_state=3)


@pytest.mark.parametrize("holes", [0.0, 0.15])
def test_gaussian_mixture_fits_it_with_one_shared_diagonal(holes):
    X = data(holes=holes)
    gm = latentem.GaussianMixture(3, covariance_type=NAME, random_state=0, tol=1e-8).fit(X)
    assert gm.covariances_.shape == (2,)
    assert gm.converged_
    np.testing.assert_allclose(gm.score_samples(X), reference_score(gm, X), rtol=1e-10, atol=1e-14)
    # the ML M-step pools every component's scatter: closed form from the responsibilities
    if holes == 0.0:
        resp = gm.predict_proba(X)
        means = resp.T @ X / resp.sum(axis=0)[:, None]
        pooled = sum(resp[:, k] @ (X - means[k]) ** 2 for k in range(3)) / X.shape[0]
        np.testing.assert_allclose(gm.covariances_, pooled + gm.reg_covar, rtol=1e-6)


def test_float32_chunked_and_a_prior():
    X = data(n=600)
    exact = latentem.GaussianMixture(3, covariance_type=NAME, random_state=1, tol=1e-10).fit(X)
    single = latentem.GaussianMixture(
        3, covariance_type=NAME, random_state=1, tol=1e-10, dtype="float32"
    ).fit(X)
    np.testing.assert_allclose(single.covariances_, exact.covariances_, rtol=1e-4)
    start = latentem.GaussianMixtureModel(exact.weights_, exact.means_, exact.covariances_, NAME)
    whole = start.e_step(X)
    chunks = [X[:200], X[200:450], X[450:]]
    summed = start.e_step(chunks[0]) + start.e_step(chunks[1]) + start.e_step(chunks[2])
    np.testing.assert_allclose(summed.log_likelihood, whole.log_likelihood, rtol=1e-12)
    np.testing.assert_allclose(
        start.m_step(summed).covariances, start.m_step(whole).covariances, rtol=1e-10
    )
    fitted = latentem.EM(tol=1e-10).fit(start, latentem.Chunks(lambda: iter(chunks))).model
    np.testing.assert_allclose(fitted.covariances, exact.covariances_, rtol=1e-6)
    chunked = latentem.GaussianMixture(
        3, covariance_type=NAME, random_state=1, tol=1e-10, chunk_size=128
    ).fit(X)
    np.testing.assert_allclose(chunked.covariances_, exact.covariances_, rtol=1e-6)
    prior = latentem.GaussianMixturePrior.from_data(X, 3, NAME)
    assert_monotone(latentem.GaussianMixtureModel(*start_params(exact), NAME, prior=prior), X)


def start_params(gm):
    return gm.weights_, gm.means_, gm.covariances_


@pytest.mark.filterwarnings("ignore::latentem.ConvergenceWarning")  # few iterations, on purpose
@pytest.mark.parametrize("holes", [0.0, 0.1])
def test_hmms_fit_it_with_nan_and_priors(holes):
    X = data(n=300, seed=2, holes=holes)
    hmm = latentem.GaussianHMM(3, covariance_type=NAME, n_iter=30, random_state=0, tol=1e-6)
    hmm.fit(X, lengths=[100, 200])
    assert hmm.covars_.shape == (3, 2, 2)
    assert np.isfinite(hmm.score(X, lengths=[100, 200]))
    assert hmm.monitor_.history[-1] >= hmm.monitor_.history[0]
    gmmhmm = latentem.GMMHMM(2, n_mix=2, covariance_type=NAME, n_iter=20, random_state=0)
    gmmhmm.fit(X, lengths=[100, 200])
    assert np.isfinite(gmmhmm.score(X, lengths=[100, 200]))
    history = np.array(gmmhmm.monitor_.history)
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:]))


@pytest.mark.filterwarnings("ignore::latentem.ConvergenceWarning")  # few iterations, on purpose
def test_imputer_save_load_and_cli(tmp_path):
    X = data(n=200, seed=3, holes=0.1)
    imputer = latentem.EMImputer(n_components=3, covariance_type=NAME, random_state=0).fit(X)
    filled = imputer.transform(X)
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[~np.isnan(X)], X[~np.isnan(X)])
    gm = latentem.GaussianMixture(3, covariance_type=NAME, random_state=0).fit(data())
    hmm = latentem.GaussianHMM(2, covariance_type=NAME, n_iter=5, random_state=0).fit(data())
    for fitted, method in ((gm, "score_samples"), (hmm, "predict_proba")):
        latentem.save(fitted, tmp_path / "model.json")
        loaded = latentem.load(tmp_path / "model.json")
        np.testing.assert_array_equal(
            getattr(loaded, method)(X[:20]), getattr(fitted, method)(X[:20])
        )
    np.save(tmp_path / "data.npy", data())
    out = tmp_path / "cli.json"
    status = cli_main(
        ["fit", str(tmp_path / "data.npy"), "-k", "3", "--covariance", NAME, "--out", str(out)]
    )
    assert status == 0
    assert latentem.load(out).covariance_type == NAME


class WithoutPriors(SharedDiagonal):
    """The structure with neither prior's update: what it lacks fails at the option check."""

    name = "shared_diagonal_without_priors"
    niw_log_pdf = latentem.mixture.CovarianceType.niw_log_pdf
    conjugate_terms = latentem.mixture.CovarianceType.conjugate_terms


def test_a_structure_without_priors_is_refused_where_one_is_needed():
    structure = register_covariance_type(WithoutPriors())
    try:
        assert not structure.supports_niw_prior and not structure.supports_conjugate_prior
        assert STRUCTURE.supports_niw_prior and STRUCTURE.supports_conjugate_prior
        X = data(n=120)
        with pytest.raises(ValueError, match=r"has no conjugate prior update.*prior=None"):
            latentem.GaussianHMM(2, covariance_type=structure.name).fit(X)
        with pytest.raises(ValueError, match="no MAP update under a"):
            latentem.GaussianMixture(2, covariance_type=structure.name, prior="default").fit(X)
        fitted = latentem.GaussianMixture(2, covariance_type=structure.name, random_state=0).fit(X)
        assert fitted.covariances_.shape == (2,)
    finally:
        COVARIANCE_TYPES.pop(structure.name)
