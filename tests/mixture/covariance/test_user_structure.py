"""A covariance structure written outside the package, registered through the public API.

``SharedDiagonal`` (mclust's EEI: one diagonal covariance shared by every
component) is what a contributor would write: no edit inside ``latentem/``.
It must work in GaussianMixture, GaussianHMM, GMMHMM, EMImputer, save/load
and the CLI, with priors, NaN entries, float32 and chunked data, and pass
``check_covariance_structure``.
"""

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import latentem
from latentem.cli.main import main as cli_main
from latentem.mixture import COVARIANCE_TYPES, CovarianceType, register_covariance_type
from latentem.mixture.covariance.base import check_positive
from latentem.mixture.kernels import DiagKernel
from latentem.mixture.kernels.base import Components
from latentem.mixture.missing import diagonal_conditionals
from latentem.testing import assert_monotone, check_covariance_structure


class SharedDiagonal(CovarianceType):
    """One diagonal covariance for all components, stored as variances (d,)."""

    name = "shared_diagonal"
    _kernel = DiagKernel()  # reads (k, d) factors, sums per-feature scatter (k, d)

    def parameter_shape(self, n_components, n_features):
        return (n_features,)

    def n_parameters(self, n_components, n_features):
        return n_features

    def full_matrices(self, covariances, n_components, n_features):
        return np.repeat(np.diag(covariances)[None], n_components, axis=0)

    def from_full_matrices(self, matrices):
        return np.diagonal(matrices, axis1=-2, axis2=-1).mean(axis=-2)

    def same_for_all(self, covariance, n_components):
        return np.diag(covariance).astype(float)

    def precisions_cholesky(self, covariances):
        check_positive(covariances, "covariances")
        return 1.0 / np.sqrt(covariances)

    def covariances_from_precisions(self, precisions):
        check_positive(precisions, "precisions")
        return 1.0 / precisions

    def precisions(self, precisions_cholesky):
        return precisions_cholesky**2

    def log_det_cholesky(self, precisions_cholesky, n_features):
        return np.atleast_1d(np.log(precisions_cholesky).sum())

    def components(self, log_weights, means, precisions_cholesky):
        factors = np.broadcast_to(precisions_cholesky, means.shape)
        log_det = np.full(means.shape[0], np.log(precisions_cholesky).sum())
        return Components(log_weights, means, factors, log_det)

    def independent_view(self, covariances, n_components, n_features):
        diag = COVARIANCE_TYPES["diag"]
        return diag, np.repeat(covariances[..., None, :], n_components, axis=-2)

    def group_terms(self, numerator, denominator, n_groups):
        d = numerator.shape[-1]
        pooled = numerator.reshape(n_groups, -1, d).sum(axis=1)
        return pooled, denominator.reshape(n_groups, -1, d).sum(axis=1)

    def shift_scatter(self, delta, weight):
        return weight[:, None] * delta**2

    def covariances_from_scatter(self, scatter, counts, reg_covar, previous):
        return scatter.sum(axis=0) / counts.sum() + reg_covar

    def conditionals(self, X, means, precisions_cholesky, residuals=False):
        variances = np.broadcast_to(1.0 / precisions_cholesky**2, means.shape)
        return diagonal_conditionals(X, means, np.array(variances), residuals)

    # mixture prior: per feature, a normal-inverse-gamma shared by the K means,
    # log p = sum_j -(nu + 2 + K)/2 log v_j - (lambda_j + kappa sum_k delta_kj^2) / (2 v_j)
    def niw_flat_dof(self, n_components, n_features):
        return -(2.0 + n_components)

    def niw_default_scale(self, covariance, factor, n_samples):
        return factor * np.diag(covariance)

    def niw_is_proper(self, niw):
        return bool(niw.shrinkage > 0 and niw.dof > 0 and np.all(niw.diagonal_scale() > 0))

    def niw_covariances(self, update):
        u = update
        numerator = u.niw.diagonal_scale() + (u.scatter + u.factor[:, None] * u.deviations**2).sum(
            axis=0
        )
        denominator = u.niw.dof + u.counts.sum() + 2.0 + u.counts.size
        return numerator / denominator + u.reg_covar

    def niw_log_pdf(self, niw, means, covariances):
        k = means.shape[0]
        spread = niw.diagonal_scale() + niw.shrinkage * ((means - niw.mean) ** 2).sum(axis=0)
        return float(
            np.sum(-(niw.dof + 2.0 + k) / 2.0 * np.log(covariances) - spread / (2 * covariances))
        )

    # the HMM emissions' conjugate prior: scale (d,), one dof
    def conjugate_dof_shape(self, n_components, n_features):
        return ()

    def conjugate_check_scale(self, scale):
        if np.any(scale < 0):
            raise ValueError("prior scale must be non-negative")

    def conjugate_log_density(
        self, delta, means_weight, scale, dof, precisions_cholesky, covariances
    ):
        quadratic = scale + (means_weight[:, None] * delta**2).sum(axis=0)
        return -0.5 * float(np.sum(quadratic / covariances + dof * np.log(covariances)))

    def conjugate_terms(self, counts, scatter, shift, means_weight, delta, scale, dof):
        per_component = scatter + counts[:, None] * shift**2 + means_weight[:, None] * delta**2
        return scale + per_component.sum(axis=0), np.asarray(dof + counts.sum())

    def hmmlearn_prior(self, n_states, n_features, covars_prior, covars_weight):
        scale = np.broadcast_to(np.asarray(covars_prior, dtype=float), (n_features,))
        return scale, np.asarray(max(float(covars_weight) - 1.0, 0.0))

    def hmmlearn_mixture_prior(self, n_states, n_mix, n_features, covars_prior, covars_weight):
        diag = COVARIANCE_TYPES["diag"]
        return diag.hmmlearn_mixture_prior(n_states, n_mix, n_features, covars_prior, covars_weight)


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
