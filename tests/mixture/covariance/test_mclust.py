"""All 14 of mclust's structures against R's mclust 6, from the same start partition.

The fixtures are mclust's own fits, written by ``scripts/mclust_fixtures.R`` (R and mclust
are not needed to run this test): ``me()`` from a partition, with tolerances of 1e-13, on
five real data sets: R's ``faithful`` and ``iris`` and mclust's ``diabetes``, ``banknote``
and ``thyroid``, each from a 2- and a 3-cluster start, 5 x 2 x 14 = 140 fits. Measured:
130 of the 140 (every structure but VVE) end at mclust's log-likelihood within 1e-10
relative (127 within 1e-12) and at its parameters within 1e-4 (85 within 1e-6); the ten
VVE fits are the documented difference below. ``python scripts/mclust_agreement.py``
prints these counts.

With mclust's default prior (``prior = priorControl()``, ``prior-fits.json``), for the ten
structures mclust has one for: 98 MAP fits (on faithful, k = 3, mclust's VEI and EVI
fail). Measured: the 88 that are not EEI's end at mclust's log-likelihood within 1e-13
(relative) and its parameters within 1e-10, after the same number of iterations give or
take one; EEI's differ as documented below (``python scripts/mclust_agreement.py
--prior``).
"""

import json
from pathlib import Path

import attrs
import numpy as np
import pytest

import latentem
from latentem import GaussianMixturePrior
from latentem.mixture import accumulate_statistics, covariance_type

FIXTURES = Path(__file__).parents[2] / "fixtures" / "mclust"
FITS = json.loads((FIXTURES / "fits.json").read_text())["fits"]
# mclust's MAP fits with its default prior (priorControl()), from the same partitions, for
# the ten structures it has a prior for (98 fits: on faithful, k = 3, its VEI and EVI fail)
PRIOR_FITS = json.loads((FIXTURES / "prior-fits.json").read_text())["fits"]
# mclust's VVE M-step starts its orientation at the identity and stops at a stationary
# point that is not the maximum (iris, k=3: its M-step reaches -989.40 of
# sum_k tr(W_k S_k^-1) + n_k log|S_k|, latentem's -990.34, lower is better); latentem's
# maximiser starts from the pooled scatter's eigenvectors and the previous orientation.
# So mclust's VVE fits are no maximum of the likelihood: latentem's EM continued from
# them climbs, in 9 of the 10 cases to where latentem's own fit from the start ends,
# above mclust's (docs/user_guide/gaussian_mixtures.rst)
BETTER_THAN_MCLUST = {"VVE"}
# thyroid, k=2, VVE: the two paths part from the first iteration on and reach different
# hills; latentem's fit from the start ends at a maximum (-2523.42) below mclust's point
# (-2498.56), and EM continued from mclust's point climbs to a third, higher one (-2487.50)
# case: (latentem's maximum from the start, latentem's EM continued from mclust's point)
LOWER_THAN_MCLUST = {"thyroid-2-VVE": (-2523.424082632, -2487.502423808)}


def _case(fit):
    return f"{fit['data']}-{fit['k']}-{fit['model']}"


def _continued_from_mclusts_end(fit, X):
    """latentem's EM started at mclust's fitted parameters: its log-likelihood at the end."""
    k, d = fit["k"], X.shape[1]
    mclusts = latentem.GaussianMixtureModel.from_parameters(
        fit["weights"],
        np.reshape(fit["means"], (k, d)),
        np.reshape(fit["covariances"], (k, d, d)),
        covariance_type=fit["model"],
        reg_covar=0.0,
    )
    return latentem.EM(max_iter=100_000, tol=1e-14).fit(mclusts, X).objective


def fit_from_mclusts_start(fit):
    """The data and latentem's EM from the fixture's start partition (scripts use it too)."""
    X = np.loadtxt(FIXTURES / f"{fit['data']}.csv", delimiter=",", skiprows=1)
    labels = np.loadtxt(FIXTURES / f"{fit['data']}-start-{fit['k']}.txt", dtype=int) - 1
    start = latentem.GaussianMixtureModel.from_responsibilities(
        X, np.eye(fit["k"])[labels], covariance_type=fit["model"], reg_covar=0.0
    )
    return X, latentem.EM(max_iter=100_000, tol=1e-14).fit(start, X)


@pytest.mark.parametrize("fit", FITS, ids=_case)
def test_em_from_mclusts_start_ends_where_mclust_ends(fit):
    X, result = fit_from_mclusts_start(fit)
    k, d = fit["k"], X.shape[1]
    model = result.model
    if fit["model"] in BETTER_THAN_MCLUST:
        continued = _continued_from_mclusts_end(fit, X)
        assert continued > fit["loglik"] + 1e-6 * abs(fit["loglik"])  # no maximum
        if _case(fit) in LOWER_THAN_MCLUST:
            ours, from_mclusts = LOWER_THAN_MCLUST[_case(fit)]
            assert result.objective < fit["loglik"] < continued
            assert result.objective == pytest.approx(ours, rel=1e-9)
            assert continued == pytest.approx(from_mclusts, rel=1e-9)
        else:
            assert result.objective > fit["loglik"]
            assert continued == pytest.approx(result.objective, rel=1e-9)
        return
    assert result.objective == pytest.approx(fit["loglik"], rel=1e-9)
    np.testing.assert_allclose(model.weights, fit["weights"], rtol=1e-4)
    np.testing.assert_allclose(model.means, np.reshape(fit["means"], (k, d)), rtol=1e-4)
    full = model.covariance_type.full_matrices(model.covariances, k, d)
    np.testing.assert_allclose(
        full, np.reshape(fit["covariances"], (k, d, d)), rtol=1e-4, atol=1e-6 * np.abs(full).max()
    )
    # mclust's count of free parameters (nMclustParams): covariances + means + weights
    n_parameters = model.n_parameters
    assert n_parameters == latentem.mixture.covariance_type(fit["model"]).n_parameters(k, d) + (
        k * d + k - 1
    )


# -- mclust's default prior (priorControl()) ----------------------------------------------

# mclust's EEI EM (meeeip in its src/mclust.f, and mseeip, its M-step) leaves each mean at
# its data mean xbar_k while it adds the prior's term c_k (xbar_k - m)(xbar_k - m)^T to the
# scatter; its other routines move the mean to (n_k xbar_k + kappa m) / (n_k + kappa). Such
# an update maximises no objective (the term depends on the responsibilities, not on the
# parameters), so latentem's EEI moves the means as for every other structure, and its fits
# part from mclust's by 1e-9 to 1e-5 (relative log-likelihood). With the means left at the
# data means, latentem's update is mclust's: that is what the test checks for EEI.
UNSHRUNK_MEANS = {"EEI"}


def _map_em(model, X, step):
    """EM from ``model`` until mclust's stop: ``|l_t - l_t-1| <= 1e-13 (1 + |l_t|)``.

    The stop is on the log-likelihood, as mclust's: the MAP objective flattens sooner (on
    iris, EEV, it stops changing by 1e-12 while the log-likelihood still moves by 1e-8).
    """
    prepared = model.prepare(X)
    previous = np.inf
    for _ in range(100_000):
        stats = model.e_step(prepared)
        if abs(stats.log_likelihood - previous) <= 1e-13 * (1.0 + abs(stats.log_likelihood)):
            return model, stats.log_likelihood
        previous = stats.log_likelihood
        model = step(model, stats)
    raise AssertionError("no convergence in 100000 iterations")


def map_fit_from_mclusts_start(fit, unshrunk_means=False):
    """The data and latentem's MAP EM from the fixture's partition, with mclust's prior.

    The first M-step is the MAP one from the partition, as mclust's ``me``.
    ``unshrunk_means``: each M-step leaves the means at the data means (mclust's EEI).
    """
    X = np.loadtxt(FIXTURES / f"{fit['data']}.csv", delimiter=",", skiprows=1)
    labels = np.loadtxt(FIXTURES / f"{fit['data']}-start-{fit['k']}.txt", dtype=int) - 1
    k, structure = fit["k"], covariance_type(fit["model"])
    resp = np.eye(k)[labels]
    prior = GaussianMixturePrior.from_data(X, k, structure)
    start = latentem.GaussianMixtureModel.from_responsibilities(
        X, resp, covariance_type=structure, reg_covar=0.0
    )

    def step(model, stats):
        updated = model.m_step(stats)
        return attrs.evolve(updated, means=stats.means) if unshrunk_means else updated

    first = step(attrs.evolve(start, prior=prior), accumulate_statistics(X, resp, 0.0, structure))
    return X, *_map_em(first, X, step)


def _assert_parameters_are_mclusts(model, fit, rtol):
    k, d = fit["k"], model.means.shape[1]
    np.testing.assert_allclose(model.weights, fit["weights"], rtol=rtol)
    np.testing.assert_allclose(model.means, np.reshape(fit["means"], (k, d)), rtol=rtol)
    full = model.covariance_type.full_matrices(model.covariances, k, d)
    np.testing.assert_allclose(
        full, np.reshape(fit["covariances"], (k, d, d)), rtol=rtol, atol=rtol * np.abs(full).max()
    )


@pytest.mark.parametrize("fit", PRIOR_FITS, ids=_case)
def test_the_default_prior_is_mclusts_default_prior(fit):
    X = np.loadtxt(FIXTURES / f"{fit['data']}.csv", delimiter=",", skiprows=1)
    niw = GaussianMixturePrior.from_data(X, fit["k"], fit["model"]).components
    d = X.shape[1]
    assert niw.shrinkage == fit["shrinkage"][0] and niw.dof == fit["dof"][0]
    np.testing.assert_allclose(niw.mean, fit["mean"], rtol=1e-13)
    scale = np.asarray(fit["scale"])  # one variance, or a (d, d) matrix
    ours = niw.scale if scale.size == 1 else niw.full_scale()
    np.testing.assert_allclose(np.ravel(ours), scale, rtol=1e-12)
    assert scale.size in (1, d * d)


@pytest.mark.parametrize("fit", PRIOR_FITS, ids=_case)
def test_map_em_from_mclusts_start_ends_where_mclust_ends(fit):
    """Measured: all 88 fits but EEI's within 1e-13 of mclust's log-likelihood (relative)
    and 1e-10 of its parameters; EEI's with unshrunk means alike."""
    unshrunk = fit["model"] in UNSHRUNK_MEANS
    X, model, log_likelihood = map_fit_from_mclusts_start(fit, unshrunk_means=unshrunk)
    assert log_likelihood == pytest.approx(fit["loglik"], rel=1e-9)
    _assert_parameters_are_mclusts(model, fit, rtol=1e-6)
    if unshrunk:
        # latentem's own EEI fit ends elsewhere, at a higher MAP objective than mclust's end
        _, ours, _ = map_fit_from_mclusts_start(fit)
        k, d = fit["k"], X.shape[1]
        mclusts = attrs.evolve(
            ours,
            weights=np.asarray(fit["weights"]),
            means=np.reshape(fit["means"], (k, d)),
            covariances=np.reshape(fit["covariances"], (k, d, d)),
        )
        objective = ours.log_likelihood(X) + ours.log_prior()
        assert objective > mclusts.log_likelihood(X) + mclusts.log_prior()
