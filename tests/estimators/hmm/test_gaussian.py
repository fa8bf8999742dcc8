"""GaussianHMM and GMMHMM take hmmlearn 0.3's Baum-Welch steps from the same start."""

import logging
import warnings

import numpy as np
import pytest

import latentem
from latentem import ConvergenceWarning, NotFittedError

hmm = pytest.importorskip("hmmlearn.hmm")
logging.getLogger("hmmlearn").setLevel(logging.ERROR)

K, D = 3, 2
LENGTHS = [40, 1, 55, 14]
RTOL, ATOL = 1e-6, 1e-10


def data(seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(K, D))
    states = rng.integers(0, K, size=sum(LENGTHS))
    return centres[states] + rng.normal(size=(sum(LENGTHS), D))


def start(structure, seed=1):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(K, D, D))
    full = a @ np.swapaxes(a, 1, 2) + np.eye(D)
    covars = {
        "full": full,
        "diag": rng.uniform(0.5, 2.0, size=(K, D)),
        "spherical": rng.uniform(0.5, 2.0, size=K),
        "tied": full[0],
    }[structure]
    return {
        "startprob_": rng.dirichlet(np.ones(K)),
        "transmat_": rng.dirichlet(np.ones(K), size=K),
        "means_": rng.normal(scale=2.0, size=(K, D)),
        "covars_": covars,
    }


def fit_both(structure, n_iter=12, **kwargs):
    X = data()
    reference = hmm.GaussianHMM(K, structure, init_params="", n_iter=n_iter, tol=-np.inf, **kwargs)
    ours = latentem.GaussianHMM(K, structure, init_params="", n_iter=n_iter, tol=0.0, **kwargs)
    for model in (reference, ours):
        for name, value in start(structure).items():
            setattr(model, name, np.copy(value))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, LENGTHS)
    return X, reference, ours


def reference_covars(reference, structure):
    if structure == "spherical":  # hmmlearn returns (K * D, D, D) here
        return np.stack([np.eye(D) * reference._covars_[k, 0] for k in range(K)])
    return reference.covars_


PRIORS = {
    "default": {},
    "priors": {
        "startprob_prior": 1.5,
        "transmat_prior": 2.0,
        "means_prior": 0.5,
        "means_weight": 0.3,
        "covars_prior": 0.2,
        "covars_weight": 3.0,
    },
}


@pytest.mark.parametrize("priors", list(PRIORS))
@pytest.mark.parametrize("structure", ["full", "diag", "spherical", "tied"])
def test_same_steps_as_hmmlearn(structure, priors):
    X, reference, ours = fit_both(structure, **PRIORS[priors])
    for name in ("startprob_", "transmat_", "means_"):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(reference, name), rtol=RTOL, atol=ATOL
        )
    np.testing.assert_allclose(
        ours.covars_, reference_covars(reference, structure), rtol=RTOL, atol=ATOL
    )
    assert ours.score(X, LENGTHS) == pytest.approx(reference.score(X, LENGTHS), rel=RTOL)
    np.testing.assert_allclose(
        ours.predict_proba(X, LENGTHS), reference.predict_proba(X, LENGTHS), rtol=RTOL, atol=ATOL
    )
    np.testing.assert_array_equal(ours.predict(X, LENGTHS), reference.predict(X, LENGTHS))
    log_prob, states = ours.decode(X, LENGTHS, algorithm="viterbi")
    reference_log_prob, reference_states = reference.decode(X, LENGTHS, algorithm="viterbi")
    assert log_prob == pytest.approx(reference_log_prob, rel=RTOL)
    np.testing.assert_array_equal(states, reference_states)
    np.testing.assert_array_equal(
        ours.decode(X, LENGTHS, algorithm="map")[1],
        reference.decode(X, LENGTHS, algorithm="map")[1],
    )
    np.testing.assert_allclose(ours.monitor_.history, list(reference.monitor_.history), rtol=RTOL)
    assert ours.monitor_.iter == reference.monitor_.iter == 12
    assert ours.bic(X, LENGTHS) == pytest.approx(reference.bic(X, LENGTHS), rel=RTOL)
    assert ours.aic(X, LENGTHS) == pytest.approx(reference.aic(X, LENGTHS), rel=RTOL)
    np.testing.assert_allclose(
        ours.get_stationary_distribution(), reference.get_stationary_distribution(), rtol=1e-8
    )


@pytest.mark.parametrize("params", ["stm", "st", "tc", "smc", "m", ""])
def test_subsets_of_params_match_hmmlearn(params):
    """``c`` without ``m`` is left out: hmmlearn then uses uncentred moments (its bug)."""
    if "c" in params and "m" not in params:
        params = params.replace("c", "")
    _, reference, ours = fit_both("diag", n_iter=5, params=params)
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(reference, name), rtol=RTOL, atol=ATOL
        )


def test_covariances_without_means_use_the_scatter_about_the_current_means():
    X = data()
    ours = latentem.GaussianHMM(K, "diag", init_params="", params="c", n_iter=1, tol=0.0)
    for name, value in start("diag").items():
        setattr(ours, name, np.copy(value))
    model = ours._current_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, LENGTHS)
    gamma = model.predict_proba(latentem.Sequences(X, LENGTHS))
    scatter = np.einsum("tk,tkd->kd", gamma, (X[:, None, :] - model.emissions.means) ** 2)
    expected = (0.01 + scatter) / gamma.sum(axis=0)[:, None]  # default covars_prior, weight
    np.testing.assert_allclose(ours._covars_, expected, rtol=1e-10)
    np.testing.assert_array_equal(ours.means_, model.emissions.means)


def test_fit_from_data_restarts_and_monitor():
    X = data(3)
    one = latentem.GaussianHMM(K, n_iter=100, tol=1e-4, random_state=0).fit(X, LENGTHS)
    assert one.monitor_.converged and one.monitor_.iter < 100
    assert np.all(np.diff(one.monitor_.history) > -1e-9)  # the default prior is weak
    best = latentem.GaussianHMM(K, n_iter=100, tol=1e-4, random_state=0, n_init=4).fit(X, LENGTHS)
    assert best.score(X, LENGTHS) >= one.score(X, LENGTHS) - 1e-9
    with pytest.warns(ConvergenceWarning, match="n_iter=2"):
        short = latentem.GaussianHMM(K, n_iter=2, tol=0.0, random_state=0).fit(X, LENGTHS)
    assert not short.monitor_.converged and short.monitor_.iter == 2


def test_sampling_is_reproducible_and_follows_the_model():
    _, _, ours = fit_both("full", n_iter=3)
    X, states = ours.sample(500, random_state=0)
    X2, states2 = ours.sample(500, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(states, states2)
    assert X.shape == (500, D) and states.shape == (500,)
    _, fixed_first = ours.sample(5, random_state=1, currstate=2)
    assert fixed_first[0] == 2


def test_covars_setter_takes_the_layout_and_getter_returns_full_matrices():
    model = latentem.GaussianHMM(2, "spherical")
    model.means_ = np.zeros((2, 3))
    model.covars_ = [1.0, 2.0]
    np.testing.assert_array_equal(model.covars_, [np.eye(3), 2 * np.eye(3)])


def test_verbose_prints_every_iteration(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        latentem.GaussianHMM(2, n_iter=3, tol=0.0, verbose=True, random_state=0).fit(data())
    assert len(capsys.readouterr().err.strip().splitlines()) == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"params": "stmx"},
            ValueError,
            r"params must be a string of letters among 's' \(startprob\).*got 'x' in 'stmx'",
        ),
        ({"init_params": "q"}, ValueError, r"init_params must be a string of letters .*'q'"),
        ({"params": ["s", "t"]}, TypeError, "string of parameter letters"),
        ({"covariance_type": "diagonal"}, ValueError, "covariance_type must be one of"),
        ({"algorithm": "posterior"}, ValueError, "algorithm must be one of 'viterbi', 'map'"),
        ({"implementation": "fast"}, ValueError, "implementation must be one of 'log', 'scaling'"),
        ({"n_components": 0}, ValueError, "n_components must be at least 1"),
        ({"tol": -1.0}, ValueError, "tol must be >= 0"),
        ({"n_components": 500}, ValueError, "n_components=500 exceeds the number of samples"),
    ],
)
def test_bad_settings_say_what_to_change(kwargs, error, message):
    with pytest.raises(error, match=message):
        latentem.GaussianHMM(**kwargs).fit(data(), LENGTHS)


def test_bad_data_and_starting_values_say_what_to_change():
    X = data()
    with pytest.raises(ValueError, match="lengths must sum to the number of rows of X"):
        latentem.GaussianHMM(2).fit(X, [10, 10])
    with pytest.raises(ValueError, match="lengths must be positive"):
        latentem.GaussianHMM(2).fit(X, [0, sum(LENGTHS)])
    model = latentem.GaussianHMM(K)
    model.startprob_ = np.full(K, 1 / K)  # a model used without fit must have every parameter
    model.transmat_ = np.full((K, K), 1 / K)
    with pytest.raises(ValueError, match="GaussianHMM has no means_; fit it, or set means_"):
        model.score(X, LENGTHS)
    model = latentem.GaussianHMM(K, init_params="st")
    model.means_ = np.zeros((2, D))
    with pytest.raises(ValueError, match=r"means_ must have shape \(n_components, n_features\)"):
        model.fit(X, LENGTHS)
    model = latentem.GaussianHMM(K, init_params="mc")
    model.startprob_ = [0.5, 0.5, 0.5]
    model.transmat_ = np.full((K, K), 1 / K)
    with pytest.raises(ValueError, match="startprob_ must sum to 1"):
        model.fit(X, LENGTHS)
    with pytest.raises(NotFittedError):
        latentem.GaussianHMM(2).predict(X)
    fitted = latentem.GaussianHMM(2, n_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X, LENGTHS)
    with pytest.raises(ValueError, match="X has 3 features, but GaussianHMM is expecting 2"):
        fitted.score(np.zeros((5, 3)))


# -- GMMHMM ------------------------------------------------------------------------------------

M = 2


def gmm_start(structure, seed=3):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(K, M, D, D))
    full = a @ np.swapaxes(a, -1, -2) + np.eye(D)
    covars = {
        "full": full,
        "diag": rng.uniform(0.5, 2.0, size=(K, M, D)),
        "spherical": rng.uniform(0.5, 2.0, size=(K, M)),
        "tied": full[:, 0],
    }[structure]
    return {
        "startprob_": rng.dirichlet(np.ones(K)),
        "transmat_": rng.dirichlet(np.ones(K), size=K),
        "weights_": rng.dirichlet(np.ones(M), size=K),
        "means_": rng.normal(scale=2.0, size=(K, M, D)),
        "covars_": covars,
    }


GMM_PRIORS = {
    "default": {},
    "priors": {"weights_prior": 2.0, "means_weight": 0.5, "means_prior": 0.3},
}


@pytest.mark.parametrize("priors", list(GMM_PRIORS))
@pytest.mark.parametrize("structure", ["full", "diag", "spherical", "tied"])
def test_gmmhmm_takes_the_same_steps_as_hmmlearn(structure, priors):
    X = data(5)
    kwargs = {"covariance_type": structure, "init_params": "", "n_iter": 10, **GMM_PRIORS[priors]}
    reference = hmm.GMMHMM(K, M, tol=-np.inf, **kwargs)
    ours = latentem.GMMHMM(K, M, tol=0.0, **kwargs)
    for model in (reference, ours):
        for name, value in gmm_start(structure).items():
            setattr(model, name, np.copy(value))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, LENGTHS)
    for name in ("startprob_", "transmat_", "weights_", "means_", "covars_"):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(reference, name), rtol=RTOL, atol=ATOL
        )
    assert ours.score(X, LENGTHS) == pytest.approx(reference.score(X, LENGTHS), rel=RTOL)
    np.testing.assert_allclose(
        ours.predict_proba(X, LENGTHS), reference.predict_proba(X, LENGTHS), rtol=RTOL, atol=ATOL
    )
    np.testing.assert_array_equal(ours.predict(X, LENGTHS), reference.predict(X, LENGTHS))


def test_gmmhmm_fits_from_data_and_rejects_unknown_letters():
    X = data(6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = latentem.GMMHMM(2, 2, n_iter=20, random_state=0).fit(X, LENGTHS)
    assert np.all(np.diff(model.monitor_.history) > -1e-9)
    assert model.means_.shape == (2, 2, D) and model.covars_.shape == (2, 2, D)
    with pytest.raises(ValueError, match=r"'w' \(weights\).*got 'e'"):
        latentem.GMMHMM(2, 2, params="stmcwe").fit(X, LENGTHS)


@pytest.mark.parametrize("covariance_type", ["diag", "full", "spherical", "tied"])
def test_posteriors_of_data_far_from_the_model_are_finite_and_sum_to_one(covariance_type):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) + 5.0])
    model = latentem.GaussianHMM(2, covariance_type, random_state=0, n_iter=20).fit(X)
    for far in (X[:20] + 1e10, X[:50] * 1e5, np.vstack([X[:10], X[:10] + 1e10])):
        posteriors = model.predict_proba(far)
        assert np.all(np.isfinite(posteriors))
        np.testing.assert_allclose(posteriors.sum(axis=1), 1.0, rtol=1e-12)
        assert np.isfinite(model.score(far))


def test_gmmhmm_spherical_with_more_gaussians_than_features_takes_hmmlearns_steps():
    # hmmlearn's default spherical prior has alpha = -(n_mix + 2) / 2, an improper prior
    # (negative dof) when n_mix > n_features; hmmlearn fits such data and so does latentem
    hmmlearn_hmm = pytest.importorskip("hmmlearn.hmm")
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(100, 1)), rng.normal(size=(100, 1)) + 5.0])
    names = ("startprob_", "transmat_", "weights_", "means_", "covars_")
    start = hmmlearn_hmm.GMMHMM(2, n_mix=2, covariance_type="spherical", random_state=0)
    start.set_params(n_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start.fit(X)
    ours = latentem.GMMHMM(2, n_mix=2, covariance_type="spherical", n_iter=20, init_params="")
    theirs = hmmlearn_hmm.GMMHMM(2, n_mix=2, covariance_type="spherical", n_iter=20)
    theirs.set_params(init_params="")
    for model in (ours, theirs):
        for name in names:
            setattr(model, name, np.array(getattr(start, name)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X)
    np.testing.assert_allclose(
        list(ours.monitor_.history), list(theirs.monitor_.history), rtol=1e-12
    )
    for name in ("means_", "weights_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-10)
    np.testing.assert_allclose(ours.covars_.ravel(), theirs.covars_.ravel(), rtol=1e-10)
