"""MAP Gaussian mixtures: the M-step against brute force, mclust's defaults, flat = ML."""

import statistics as pystats
import warnings

import attrs
import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from latentem import ConvergenceWarning, GaussianMixture, GaussianMixtureModel, GaussianMixturePrior
from latentem.distributions import DirichletPrior, NormalInverseWishart
from latentem.mixture import COVARIANCE_TYPES as REGISTRY
from latentem.testing import assert_models_close, assert_monotone
from latentem.testing import strategies as lst

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]
# every registered structure that takes the prior: those four and six of mclust's others
WITH_PRIOR = [name for name, structure in REGISTRY.items() if structure.supports_niw_prior]
RNG = np.random.default_rng(5)
X = np.concatenate([RNG.normal(0, 1, (25, 2)), RNG.normal([3, 1], 0.7, (15, 2))])


def _prior(covariance_type):
    return GaussianMixturePrior.from_data(
        X, 2, covariance_type, shrinkage=0.8, dof=5.0, weight_concentration=[3.0, 2.0]
    )


# -- scipy's densities of a Gaussian mixture's parameters under the prior ---------------------


def _scipy_log_prior(prior, weights, means, covariances, covariance_type):
    niw = prior.components
    kappa, m, nu = niw.shrinkage, niw.mean, niw.dof
    total = stats.dirichlet.logpdf(weights, prior.weights.concentration)
    for k, mean in enumerate(means):
        if covariance_type == "full":
            total += stats.multivariate_normal.logpdf(mean, m, covariances[k] / kappa)
            total += stats.invwishart.logpdf(covariances[k], nu, niw.scale)
        elif covariance_type == "diag":
            for j in range(2):
                variance = covariances[k, j]
                total += stats.norm.logpdf(mean[j], m[j], np.sqrt(variance / kappa))
                total += stats.invgamma.logpdf(variance, nu / 2, scale=float(niw.scale) / 2)
        elif covariance_type == "spherical":
            total += stats.multivariate_normal.logpdf(mean, m, covariances[k] / kappa * np.eye(2))
            total += stats.invgamma.logpdf(covariances[k], nu / 2, scale=float(niw.scale) / 2)
        else:
            total += stats.multivariate_normal.logpdf(mean, m, covariances / kappa)
    if covariance_type == "tied":
        total += stats.invwishart.logpdf(covariances, nu, niw.scale)
    return total


def _chol(values):
    lower = np.array([[np.exp(values[0]), 0.0], [values[1], np.exp(values[2])]])
    return lower @ lower.T


def _unpack(vector, covariance_type):
    weights = np.exp([0.0, vector[0]]) / np.exp([0.0, vector[0]]).sum()
    means = vector[1:5].reshape(2, 2)
    rest = vector[5:]
    if covariance_type == "full":
        covariances = np.stack([_chol(rest[:3]), _chol(rest[3:6])])
    elif covariance_type == "diag":
        covariances = np.exp(rest[:4]).reshape(2, 2)
    elif covariance_type == "spherical":
        covariances = np.exp(rest[:2])
    else:
        covariances = _chol(rest[:3])
    return weights, means, covariances


def _full(covariances, k, covariance_type):
    """Component k's covariance matrix from the layout of ``covariance_type``."""
    return {
        "full": lambda: covariances[k],
        "tied": lambda: covariances,
        "diag": lambda: np.diag(covariances[k]),
        "spherical": lambda: covariances[k] * np.eye(2),
    }[covariance_type]()


def _pack(model):
    vector = [np.log(model.weights[1] / model.weights[0]), *model.means.ravel()]
    if model.covariance_type.name in ("full", "tied"):
        for cov in np.reshape(model.covariances, (-1, 2, 2)):
            lower = np.linalg.cholesky(cov)
            vector += [np.log(lower[0, 0]), lower[1, 0], np.log(lower[1, 1])]
    else:
        vector += list(np.log(np.ravel(model.covariances)))
    return np.array(vector)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_map_m_step_maximises_expected_log_likelihood_plus_log_prior(covariance_type):
    prior = _prior(covariance_type)
    start = GaussianMixtureModel.from_data(
        X, 2, covariance_type=covariance_type, random_state=1, reg_covar=0.0
    )
    start = attrs.evolve(start, prior=prior)
    resp = start.predict_proba(X)

    def objective(weights, means, covariances):
        dens = np.column_stack(
            [
                stats.multivariate_normal.logpdf(
                    X, means[k], _full(covariances, k, covariance_type)
                )
                for k in range(2)
            ]
        )
        expected = float(np.sum(resp * (np.log(weights) + dens)))
        return expected + _scipy_log_prior(prior, weights, means, covariances, covariance_type)

    fitted = start.m_step(start.e_step(X))
    ours = objective(fitted.weights, fitted.means, fitted.covariances)

    def loss(vector):
        return -objective(*_unpack(vector, covariance_type))

    brute = optimize.minimize(loss, _pack(start), method="BFGS", tol=1e-12)
    weights, means, covariances = _unpack(brute.x, covariance_type)
    np.testing.assert_allclose(weights, fitted.weights, rtol=1e-5)
    np.testing.assert_allclose(means, fitted.means, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(covariances, fitted.covariances, rtol=1e-4, atol=1e-6)
    assert ours >= -brute.fun - 1e-10 * abs(ours)
    polished = optimize.minimize(loss, _pack(fitted), method="BFGS", tol=1e-14)
    assert -polished.fun <= ours + 1e-9 * abs(ours)
    assert fitted.log_prior() == pytest.approx(
        _scipy_log_prior(prior, fitted.weights, fitted.means, fitted.covariances, covariance_type),
        rel=1e-11,
    )


@pytest.mark.parametrize("covariance_type", WITH_PRIOR)
def test_map_with_a_flat_prior_equals_maximum_likelihood(covariance_type):
    start = GaussianMixtureModel.from_data(
        X, 3, covariance_type=covariance_type, random_state=2, reg_covar=1e-4
    )
    flat = attrs.evolve(start, prior=GaussianMixturePrior.flat(3, 2, covariance_type))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        from latentem import EM

        ml = EM(max_iter=15, tol=0).fit(start, X)
        map_ = EM(max_iter=15, tol=0).fit(flat, X)
    assert_models_close(attrs.evolve(map_.model, prior=None), ml.model, rtol=1e-12, atol=1e-13)
    # the flat prior's log-density is a constant: the objectives differ by it alone
    np.testing.assert_allclose(map_.history - flat.log_prior(), ml.history, rtol=1e-13)


def test_default_prior_is_mclusts():
    n_components = 3
    for covariance_type in COVARIANCE_TYPES:
        prior = GaussianMixturePrior.from_data(X, n_components, covariance_type)
        niw = prior.components
        assert niw.shrinkage == 0.01 and niw.dof == 2 + 2
        np.testing.assert_allclose(niw.mean, [pystats.fmean(column) for column in X.T])
        variances = [pystats.variance(column) for column in X.T]  # R's var: n - 1
        factor = (1 / n_components) ** (2 / 2)
        if covariance_type in ("full", "tied"):
            covariance = pystats.covariance(list(X[:, 0]), list(X[:, 1]))
            expected = factor * np.array([[variances[0], covariance], [covariance, variances[1]]])
            np.testing.assert_allclose(niw.scale, expected, rtol=1e-12)
        else:
            assert float(niw.scale) == pytest.approx(factor * sum(variances) / 2, rel=1e-12)
        np.testing.assert_array_equal(prior.weights.concentration, 1.0)


def test_default_prior_from_weighted_data_equals_replicated_data():
    counts = RNG.integers(0, 4, size=len(X))
    weighted = GaussianMixturePrior.from_data(X, 2, "full", sample_weight=counts)
    replicated = GaussianMixturePrior.from_data(np.repeat(X, counts, axis=0), 2, "full")
    assert_models_close(weighted, replicated, rtol=1e-12, atol=1e-14)


def test_an_empty_component_takes_what_the_prior_determines_and_keeps_the_rest():
    model = GaussianMixtureModel(
        [0.5, 0.5], [[0.0, 0.0], [100.0, 100.0]], np.stack([np.eye(2)] * 2), reg_covar=0.0
    )
    proper = attrs.evolve(model, prior=_prior("full"))
    updated = proper.m_step(proper.e_step(X))  # component 1 receives no responsibility
    niw = proper.prior.components
    np.testing.assert_allclose(updated.means[1], niw.mean, rtol=1e-14)
    np.testing.assert_allclose(updated.covariances[1], niw.scale / (niw.dof + 2 + 2), rtol=1e-14)
    assert updated.weights[1] == pytest.approx(1.0 / (len(X) + 3.0), rel=1e-14)
    # without shrinkage the prior leaves the mean free (kept) but still has a mode in the
    # covariance: the inverse-Wishart's, with the normal's |Sigma|^(-1/2)
    no_shrinkage = attrs.evolve(
        model,
        prior=GaussianMixturePrior(components=attrs.evolve(niw, shrinkage=0.0)),
    )
    kept = no_shrinkage.m_step(no_shrinkage.e_step(X))
    np.testing.assert_array_equal(kept.means[1], [100.0, 100.0])
    mode = niw.scale / (niw.dof + 2 + 2)
    np.testing.assert_allclose(kept.covariances[1], mode, rtol=1e-14)

    def log_prior(covariance):
        covariances = np.stack([kept.covariances[0], covariance])
        return attrs.evolve(kept, covariances=covariances).log_prior()

    best = log_prior(mode)
    for other in (np.eye(2), 1.01 * mode, 0.99 * mode, mode + 1e-3 * np.eye(2)):
        assert log_prior(other) < best
    # a flat prior determines nothing: the component keeps both
    flat = attrs.evolve(model, prior=GaussianMixturePrior.flat(2, 2, "full"))
    both_kept = flat.m_step(flat.e_step(X))
    np.testing.assert_array_equal(both_kept.means[1], [100.0, 100.0])
    np.testing.assert_array_equal(both_kept.covariances[1], np.eye(2))


def test_a_prior_dof_below_the_flat_one_is_refused():
    niw = NormalInverseWishart(0.0, np.zeros(2), -4.5, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"dof must be at least -4 for covariance_type='full'"):
        GaussianMixtureModel(
            [1.0], [[0.0, 0.0]], [np.eye(2)], prior=GaussianMixturePrior(components=niw)
        )


@pytest.mark.parametrize("covariance_type", WITH_PRIOR)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_map_objective_never_decreases(covariance_type, data):
    truth = data.draw(lst.gaussian_mixture_models(covariance_types=(covariance_type,)))
    x, _ = truth.sample(data.draw(st.integers(20, 120)), random_state=data.draw(lst.seeds()))
    k = data.draw(st.integers(1, 4))
    if k > len(x):
        reject()
    prior = GaussianMixturePrior.from_data(
        x,
        k,
        covariance_type,
        shrinkage=data.draw(st.floats(0.0, 2.0)),
        weight_concentration=data.draw(st.floats(1.0, 5.0)),
    )
    start = GaussianMixtureModel.from_data(
        x,
        k,
        covariance_type=covariance_type,
        assignment=data.draw(st.sampled_from(["soft", "hard"])),
        reg_covar=1e-6,  # only so that a start on too few points is still a valid model
        random_state=data.draw(lst.seeds()),
    )
    # the prior's positive-definite scale keeps every MAP covariance positive definite
    assert_monotone(attrs.evolve(start, prior=prior, reg_covar=0.0), x, n_iter=15)


@pytest.mark.parametrize("covariance_type", WITH_PRIOR)
def test_reg_covar_under_the_prior_keeps_the_structure(covariance_type):
    start = GaussianMixtureModel.from_data(
        X, 3, covariance_type=covariance_type, random_state=0, reg_covar=0.05
    )
    model = attrs.evolve(start, prior=GaussianMixturePrior.from_data(X, 3, covariance_type))
    updated = model.m_step(model.e_step(X)).covariances
    structure = model.covariance_type
    # mclust's constrained structures add reg_covar times the weight to the scatter before
    # their maximiser (their maximum-likelihood rule); the others add it afterwards
    projected = structure.from_full_matrices(structure.full_matrices(updated, 3, 2))
    np.testing.assert_allclose(projected, updated, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("covariance_type", ["VEE", "EVE", "VVE", "EVV"])
def test_mclusts_structures_without_a_prior_refuse_one_as_mclust_does(covariance_type):
    match = (
        rf"covariance_type='{covariance_type}' has no MAP update under the mixture's "
        r"NormalInverseWishart prior, and mclust has none for it either .* pick a "
        r"covariance_type that has one: VVV, VVI, VII, EEE, EII, EEI, VEI, EVI, EEV, VEV"
    )
    with pytest.raises(ValueError, match=match):
        GaussianMixture(2, covariance_type=covariance_type, prior="default").fit(X)
    with pytest.raises(ValueError, match=match):
        GaussianMixtureModel(
            [0.5, 0.5],
            X[:2],
            np.stack([np.eye(2)] * 2),
            covariance_type,
            prior=GaussianMixturePrior.from_data(X, 2, "full"),
        )


def _one_component_prior():
    return GaussianMixturePrior.from_data(X, 1, "full")


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (
            lambda: GaussianMixtureModel(
                [1.0], [[0.0, 0.0]], [1.0], "spherical", prior=_one_component_prior()
            ),
            ValueError,
            "spherical covariance needs a scalar NormalInverseWishart scale",
        ),
        (
            lambda: GaussianMixtureModel(
                [1.0], [[0.0, 0.0]], [[1.0, 2.0]], "diag", prior=_one_component_prior()
            ),
            ValueError,
            "diagonal NormalInverseWishart scale",
        ),
        (
            lambda: GaussianMixtureModel([1.0], [[0.0]], [[[1.0]]], prior=_one_component_prior()),
            ValueError,
            "prior components mean has 2 features but the model has 1",
        ),
        (
            lambda: GaussianMixtureModel(
                [0.5, 0.5], [[0.0, 0.0]] * 2, [np.eye(2)] * 2, prior=DirichletPrior(2.0)
            ),
            TypeError,
            "prior must be a GaussianMixturePrior",
        ),
        (
            lambda: GaussianMixturePrior(weights=NormalInverseWishart.flat(1)),
            TypeError,
            "GaussianMixturePrior weights must be a DirichletPrior",
        ),
        (
            lambda: GaussianMixtureModel(
                [1.0], [[0.0, 0.0]], [np.eye(2)], prior=GaussianMixturePrior(DirichletPrior([1, 2]))
            ),
            ValueError,
            "2 entries but there are 1 categories",
        ),
    ],
)
def test_bad_priors_are_named(build, error, match):
    with pytest.raises(error, match=match):
        build()
