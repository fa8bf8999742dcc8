"""Mixture of any families: EM against an independent loop, weights, labels, priors, contract."""

import collections.abc
import warnings

import attrs
import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp

import latentem
from latentem import EM, ConvergenceWarning, Mixture, Observations
from latentem.core.data import Chunks
from latentem.distributions import (
    Bernoulli,
    BetaPrior,
    Categorical,
    DirichletPrior,
    Exponential,
    Gamma,
    GammaPrior,
    Geometric,
    Independent,
    LogNormal,
    MultivariateNormal,
    Normal,
    NormalInverseWishart,
    Poisson,
    VonMises,
)
from latentem.testing import assert_models_close, assert_monotone, check_latent_model
from latentem.testing import strategies as lst

RNG = np.random.default_rng(7)

# -- an independent EM loop: plain numpy and scipy.stats, none of latentem's families ----------


def _normal_step(x, r):
    mean = r @ x / r.sum()
    return mean, np.sqrt(r @ (x - mean) ** 2 / r.sum())


REFERENCE = {
    "normal": (
        lambda x, p: stats.norm.logpdf(x[:, 0], p[0], p[1]),
        lambda x, r: _normal_step(x[:, 0], r),
        lambda f: (f.loc, f.scale),
    ),
    "exponential": (
        lambda x, p: stats.expon.logpdf(x[:, 0], scale=1.0 / p[0]),
        lambda x, r: (r.sum() / (r @ x[:, 0]),),
        lambda f: (f.rate,),
    ),
    "lognormal": (
        lambda x, p: stats.lognorm.logpdf(x[:, 0], p[1], scale=np.exp(p[0])),
        lambda x, r: _normal_step(np.log(x[:, 0]), r),
        lambda f: (f.mu, f.sigma),
    ),
    "geometric": (
        lambda x, p: stats.geom.logpmf(x[:, 0], p[0]),
        lambda x, r: (r.sum() / (r @ x[:, 0]),),
        lambda f: (f.p,),
    ),
    "mvn": (
        lambda x, p: stats.multivariate_normal.logpdf(x, p[0], p[1]),
        lambda x, r: (
            r @ x / r.sum(),
            ((x - r @ x / r.sum()) * r[:, None]).T @ (x - r @ x / r.sum()) / r.sum(),
        ),
        lambda f: (f.mean, f.cov),
    ),
    "normal_x_poisson": (
        lambda x, p: stats.norm.logpdf(x[:, 0], p[0], p[1]) + stats.poisson.logpmf(x[:, 1], p[2]),
        lambda x, r: (*_normal_step(x[:, 0], r), r @ x[:, 1] / r.sum()),
        lambda f: (f.parts[0].loc, f.parts[0].scale, f.parts[1].rate),
    ),
}


def reference_em(kinds, weights, params, x, n_iter):
    """Textbook EM: responsibilities by log-sum-exp, then weighted closed-form updates."""
    weights, params = np.array(weights, dtype=float), [tuple(p) for p in params]
    history = []
    for _ in range(n_iter):
        joint = np.column_stack(
            [REFERENCE[kind][0](x, p) for kind, p in zip(kinds, params, strict=True)]
        ) + np.log(weights)
        norm = logsumexp(joint, axis=1)
        history.append(norm.sum())
        resp = np.exp(joint - norm[:, None])
        weights = resp.mean(axis=0)
        params = [REFERENCE[kind][1](x, resp[:, k]) for k, kind in enumerate(kinds)]
    return weights, params, np.array(history)


def _pair(kind):
    n1, n2 = 120, 80
    if kind == "normal":
        x = np.concatenate([RNG.normal(-1, 1, n1), RNG.normal(3, 0.7, n2)])[:, None]
        return [Normal(-0.5, 2.0), Normal(1.0, 2.0)], x, ["normal", "normal"]
    if kind == "normal+exponential":
        x = np.concatenate([RNG.exponential(1.0, n1), RNG.normal(6, 1.0, n2)])[:, None]
        return [Normal(4.0, 2.0), Exponential(0.7)], x, ["normal", "exponential"]
    if kind == "lognormal+exponential":
        x = np.concatenate([RNG.lognormal(1.5, 0.3, n1), RNG.exponential(1.0, n2)])[:, None]
        return [LogNormal(1.0, 1.0), Exponential(0.5)], x, ["lognormal", "exponential"]
    if kind == "geometric+geometric":
        x = np.concatenate([RNG.geometric(0.6, n1), RNG.geometric(0.1, n2)])[:, None].astype(float)
        return [Geometric(0.5), Geometric(0.2)], x, ["geometric", "geometric"]
    if kind == "mvn+mvn":
        x = np.concatenate(
            [
                RNG.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], n1),
                RNG.multivariate_normal([3, 1], [[1, -0.3], [-0.3, 0.5]], n2),
            ]
        )
        return (
            [MultivariateNormal([1, 0], np.eye(2)), MultivariateNormal([2, 2], np.eye(2))],
            x,
            ["mvn", "mvn"],
        )
    x = np.column_stack(
        [
            np.concatenate([RNG.normal(0, 1, n1), RNG.normal(3, 1, n2)]),
            np.concatenate([RNG.poisson(2, n1), RNG.poisson(10, n2)]),
        ]
    ).astype(float)
    parts = [
        Independent([Normal(0.5, 1.5), Poisson(4.0)]),
        Independent([Normal(2.0, 1.5), Poisson(6.0)]),
    ]
    return parts, x, ["normal_x_poisson", "normal_x_poisson"]


PAIRS = [
    "normal",
    "normal+exponential",
    "lognormal+exponential",
    "geometric+geometric",
    "mvn+mvn",
    "normal_x_poisson",
]


@pytest.mark.parametrize("kind", PAIRS)
def test_em_matches_an_independent_em_loop(kind):
    components, x, kinds = _pair(kind)
    start = Mixture(components, [0.4, 0.6])
    with pytest.warns(ConvergenceWarning):
        result = EM(max_iter=40, tol=0).fit(start, x)
    initial = [REFERENCE[k][2](c) for k, c in zip(kinds, components, strict=True)]
    weights, params, history = reference_em(kinds, [0.4, 0.6], initial, x, 40)
    np.testing.assert_allclose(result.history, history, rtol=1e-10)
    np.testing.assert_allclose(result.model.weights, weights, rtol=1e-8, atol=1e-12)
    for component, kind, expected in zip(result.model, kinds, params, strict=True):
        for ours, theirs in zip(REFERENCE[kind][2](component), expected, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)
    assert np.all(np.diff(result.history) >= -1e-9 * np.abs(result.history[1:]))


def _documented_collapse(error):
    return "cannot be updated" in str(error)


@given(problem=lst.mixture_problems(), hard=st.booleans())
def test_objective_never_decreases(problem, hard):
    start, x = problem
    if hard:
        start = attrs.evolve(start, assignment="hard")
    try:
        assert_monotone(start, x, n_iter=15)
    except AssertionError as error:
        if _documented_collapse(error):
            reject()
        raise


@settings(max_examples=15)
@given(problem=lst.mixture_problems())
def test_contract_holds_for_random_mixtures(problem):
    start, x = problem
    try:
        check_latent_model(start, x, n_iter=5)
    except (AssertionError, ValueError) as error:
        if _documented_collapse(error):
            reject()
        raise


def _user_free_families():
    x = np.concatenate([RNG.gamma(2.0, 1.0, 60), RNG.lognormal(1.5, 0.4, 60)])[:, None]
    return [
        (Mixture([Normal(0, 1), Normal(3, 2)]), RNG.normal(0, 2, (80, 1))),
        (Mixture([Gamma(1.0, 1.0), LogNormal(1.0, 0.5), Exponential(0.3)]), x),
        (Mixture([Poisson(1.0), Poisson(8.0)]), RNG.poisson(4.0, (90, 1)).astype(float)),
        (
            Mixture([Categorical([0.5, 0.3, 0.2]), Categorical([0.2, 0.3, 0.5])]),
            RNG.integers(0, 3, (70, 1)).astype(float),
        ),
        (
            Mixture([Bernoulli([0.2, 0.8]), Bernoulli([0.7, 0.4])]),
            (RNG.random((60, 2)) < 0.5).astype(float),
        ),
        (Mixture([VonMises(0.0, 1.0), VonMises(2.0, 3.0)]), RNG.vonmises(1.0, 2.0, (70, 1))),
        (
            Mixture(
                [
                    Independent([Normal(0, 1), Categorical([0.5, 0.5])]),
                    Independent([Normal(2, 1), Categorical([0.1, 0.9])]),
                ],
                assignment="hard",
            ),
            np.column_stack([RNG.normal(1, 1.5, 80), RNG.integers(0, 2, 80)]),
        ),
        (
            Mixture(
                [
                    MultivariateNormal(
                        [0, 0],
                        [1.0, 1.0],
                        prior=NormalInverseWishart(0.1, [0.0, 0.0], 4.0, [1.0, 1.0]),
                    ),
                    MultivariateNormal([1, 1], np.eye(2)),
                ],
                prior=DirichletPrior(2.0),
                fixed=[False, True],
            ),
            RNG.normal(0, 1, (70, 2)),
        ),
    ]


@pytest.mark.parametrize("case", range(8))
def test_check_latent_model_passes_for_family_combinations(case):
    model, x = _user_free_families()[case]
    check_latent_model(model, x, n_iter=10)


# -- the sequence of components --------------------------------------------------------


def test_mixture_is_a_sequence_of_its_components():
    components = [Normal(0, 1), Exponential(2.0), Gamma(2.0, 1.0)]
    mixture = Mixture(components)
    assert isinstance(mixture, collections.abc.Sequence)
    assert len(mixture) == 3
    assert mixture[1] is components[1] and mixture[-1] is components[2]
    assert list(mixture) == components
    assert mixture[:2] == tuple(components[:2])
    assert components[0] in mixture
    np.testing.assert_allclose(mixture.weights, [1 / 3] * 3)


# -- sample weights, labels, fixed components, priors -----------------------------------


@pytest.mark.parametrize("assignment", ["soft", "hard"])
@pytest.mark.parametrize("kind", PAIRS)
def test_integer_sample_weights_equal_replicated_rows(kind, assignment):
    components, x, _ = _pair(kind)
    model = Mixture(components, [0.3, 0.7], assignment=assignment)
    counts = np.random.default_rng(1).integers(0, 4, size=len(x))
    weighted = Observations(x, sample_weight=counts)
    replicated = np.repeat(x, counts, axis=0)
    assert model.log_likelihood(weighted) == pytest.approx(
        model.log_likelihood(replicated), rel=1e-12
    )
    assert_models_close(
        model.m_step(model.e_step(weighted)),
        model.m_step(model.e_step(replicated)),
        rtol=1e-12,
        atol=1e-14,
    )


def test_weighted_fit_equals_replicated_fit():
    components, x, _ = _pair("normal_x_poisson")
    start = Mixture(components)
    counts = np.random.default_rng(2).integers(0, 3, size=len(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = EM(max_iter=25, tol=0).fit(start, Observations(x, sample_weight=counts))
        replicated = EM(max_iter=25, tol=0).fit(start, np.repeat(x, counts, axis=0))
    np.testing.assert_allclose(weighted.history, replicated.history, rtol=1e-12)
    assert_models_close(weighted.model, replicated.model, rtol=1e-10, atol=1e-12)


def test_labelled_rows_are_pinned_to_their_component():
    x = np.concatenate([RNG.normal(0, 1, 50), RNG.normal(6, 1, 50)])[:, None]
    model = Mixture([Normal(0, 1), Normal(6, 1)], [0.5, 0.5])
    labels = np.full(100, -1)
    labels[:3] = 1  # three rows of the first cluster, declared to belong to the second
    pinned = model.e_step(Observations(x, labels=labels))
    free = model.e_step(x[3:])
    np.testing.assert_allclose(pinned.counts, free.counts + np.array([0.0, 3.0]), rtol=1e-12)
    joint = np.log(0.5) + stats.norm.logpdf(x[:3, 0], 6.0, 1.0)
    assert pinned.log_likelihood == pytest.approx(joint.sum() + free.log_likelihood, rel=1e-12)
    # the pinned rows move component 1's mean, by exactly their share
    updated = model.m_step(pinned)
    unpinned = model.m_step(free)
    expected = (unpinned[1].loc * free.counts[1] + x[:3, 0].sum()) / (free.counts[1] + 3)
    assert updated[1].loc == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="below n_components=2; got 2"):
        model.e_step(Observations(x, labels=np.full(100, 2)))


def test_semi_supervised_fit_keeps_labels_and_weights_through_chunks():
    components, x, _ = _pair("normal+exponential")
    labels = np.full(len(x), -1)
    labels[[0, 5, 150]] = [1, 1, 0]
    obs = Observations(x, sample_weight=np.linspace(0.5, 2.0, len(x)), labels=labels)
    start = Mixture(components)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        whole = EM(max_iter=10, tol=0).fit(start, obs)
        chunked = EM(max_iter=10, tol=0).fit(start, Chunks([obs[:70], obs[70:]]))
    np.testing.assert_allclose(chunked.history, whole.history, rtol=1e-12)
    assert_models_close(chunked.model, whole.model, rtol=1e-10, atol=1e-12)


def test_fixed_components_and_weights_stay_put():
    x = np.concatenate([RNG.normal(0, 1, 60), RNG.normal(5, 1, 60)])[:, None]
    anchor = Normal(5.0, 0.5)
    start = Mixture([Normal(1.0, 2.0), anchor], fixed=[False, True])
    fitted = EM(tol=1e-10, max_iter=300).fit(start, x).model
    assert fitted[1] is anchor and fitted[0] is not start[0]
    assert fitted.n_parameters == 1 + 2
    frozen_weights = attrs.evolve(start, weights=[0.2, 0.8], fixed_weights=True)
    refit = EM(tol=1e-10, max_iter=300).fit(frozen_weights, x).model
    np.testing.assert_array_equal(refit.weights, [0.2, 0.8])
    assert refit.n_parameters == 2


def test_dirichlet_prior_on_the_weights_is_its_map():
    x = np.concatenate([RNG.normal(0, 1, 30), RNG.normal(5, 1, 10)])[:, None]
    model = Mixture([Normal(0, 1), Normal(5, 1)], prior=DirichletPrior([3.0, 5.0]))
    summary = model.e_step(x)
    expected = (summary.counts + np.array([2.0, 4.0])) / (summary.counts.sum() + 6.0)
    np.testing.assert_allclose(model.m_step(summary).weights, expected, rtol=1e-14)
    assert model.log_prior() == pytest.approx(
        stats.dirichlet.logpdf(model.weights, [3.0, 5.0]), rel=1e-13
    )


def test_map_with_flat_priors_equals_maximum_likelihood():
    x = np.column_stack([RNG.normal(0, 1, 90), RNG.poisson(3, 90), RNG.exponential(2, 90)])
    parts = lambda prior: [  # noqa: E731 - a table of two variants
        Independent(
            [
                Normal(0.5, 1.0, prior=prior and NormalInverseWishart.flat(1, diagonal=True)),
                Poisson(2.0, prior=prior and GammaPrior(1.0, 0.0)),
                Exponential(1.0, prior=prior and GammaPrior(1.0, 0.0)),
            ]
        ),
        Independent(
            [
                Normal(-0.5, 2.0, prior=prior and NormalInverseWishart.flat(1, diagonal=True)),
                Poisson(5.0, prior=prior and GammaPrior(1.0, 0.0)),
                Exponential(0.3, prior=prior and GammaPrior(1.0, 0.0)),
            ]
        ),
    ]
    ml = Mixture(parts(None))
    flat = Mixture(parts(True), prior=DirichletPrior(1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ml_fit = EM(max_iter=20, tol=0).fit(ml, x).model
        flat_fit = EM(max_iter=20, tol=0).fit(flat, x).model
    np.testing.assert_allclose(flat_fit.weights, ml_fit.weights, rtol=1e-12)
    for a, b in zip(flat_fit, ml_fit, strict=True):
        for pa, pb in zip(a.parts, b.parts, strict=True):
            assert_models_close(attrs.evolve(pa, prior=None), pb, rtol=1e-11, atol=1e-13)


def test_map_fit_never_decreases_the_posterior_objective():
    x = np.concatenate([RNG.poisson(1, 40), RNG.poisson(9, 30)])[:, None].astype(float)
    start = Mixture(
        [Poisson(2.0, prior=GammaPrior(2.0, 1.0)), Poisson(5.0, prior=GammaPrior(3.0, 0.5))],
        prior=DirichletPrior(2.0),
    )
    result = assert_monotone(start, x, n_iter=30)
    model = result.model
    expected_prior = (
        stats.dirichlet.logpdf(model.weights, [2.0, 2.0])
        + stats.gamma.logpdf(model[0].rate, 2.0, scale=1.0)
        + stats.gamma.logpdf(model[1].rate, 3.0, scale=2.0)
    )
    assert model.log_prior() == pytest.approx(expected_prior, rel=1e-12)


def test_geometric_prior_pulls_towards_its_mode():
    x = np.ones((3, 1))
    family = Geometric(0.5, prior=BetaPrior(2.0, 4.0))
    assert family.maximize(family.statistics(x, np.ones(3))).p == pytest.approx(4.0 / 7.0)


# -- inference -------------------------------------------------------------------------------


def test_inference_matches_scipy():
    model = Mixture([Normal(0, 1), Exponential(0.5)], [0.3, 0.7])
    x = np.array([[0.1], [2.0], [7.5]])
    joint = np.column_stack(
        [
            np.log(0.3) + stats.norm.logpdf(x[:, 0]),
            np.log(0.7) + stats.expon.logpdf(x[:, 0], scale=2),
        ]
    )
    np.testing.assert_allclose(model.joint_log_prob(x), joint, rtol=1e-13)
    np.testing.assert_allclose(model.score_samples(x), logsumexp(joint, axis=1), rtol=1e-13)
    np.testing.assert_allclose(
        model.predict_proba(x), np.exp(joint - logsumexp(joint, axis=1, keepdims=True)), rtol=1e-12
    )
    np.testing.assert_array_equal(model.predict(x), np.argmax(joint, axis=1))
    loglik = logsumexp(joint, axis=1).sum()
    assert model.n_parameters == 1 + 2 + 1
    assert model.bic(x) == pytest.approx(-2 * loglik + 4 * np.log(3), rel=1e-13)
    assert model.aic(x) == pytest.approx(-2 * loglik + 8, rel=1e-13)


def test_sample_draws_from_each_component_in_order():
    model = Mixture([Poisson(3.0), Geometric(0.5)], [0.25, 0.75])
    x, labels = model.sample(4000, random_state=0)
    assert x.shape == (4000, 1) and np.all(np.diff(labels) >= 0)
    assert np.mean(labels == 0) == pytest.approx(0.25, abs=0.03)
    assert x[labels == 0].mean() == pytest.approx(3.0, abs=0.15)
    assert x[labels == 1].mean() == pytest.approx(2.0, abs=0.1)
    x_again, _ = model.sample(4000, random_state=0)
    np.testing.assert_array_equal(x, x_again)


# -- hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("components", "x", "match"),
    [
        (
            [Normal(0, 1), Poisson(2.0)],
            [[1.0], [-2.0], [0.5]],
            r"component 1 \(Poisson\): Poisson data must be non-negative integers; "
            r"got 2 offending values \(-2, 0.5\)",
        ),
        (
            [Exponential(1.0), LogNormal(0, 1)],
            [[1.0], [0.0]],
            r"component 1 \(LogNormal\): LogNormal data must be positive; "
            r"got 1 offending value \(0\)",
        ),
        (
            [Categorical([0.5, 0.5]), Categorical([0.2, 0.8])],
            [[0.0], [2.0]],
            r"component 0 \(Categorical\).*symbols in 0..1; got 1 offending value \(2\)",
        ),
        ([Geometric(0.5), Geometric(0.2)], [[0.0]], r"component 0 \(Geometric\).*integers >= 1"),
        ([Bernoulli([0.5]), Bernoulli([0.2])], [[3.0]], r"component 0 \(Bernoulli\).*0 or 1"),
    ],
)
def test_data_outside_a_support_name_the_component_and_values(components, x, match):
    model = Mixture(components)
    for call in (model.e_step, model.log_likelihood, model.predict):
        with pytest.raises(ValueError, match=match):
            call(np.array(x))


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: Mixture([]), ValueError, "at least one distribution; got an empty sequence"),
        (lambda: Mixture([Normal(0, 1), 3.0]), TypeError, r"components\[1\] must be a latentem"),
        (lambda: Mixture(Normal(0, 1)), TypeError, "a single Normal"),
        (lambda: Mixture(5), TypeError, "sequence of distributions; got int"),
        (
            lambda: Mixture([Normal(0, 1), MultivariateNormal([0, 0], np.eye(2))]),
            ValueError,
            "same number of features; got 0: Normal with 1, 1: MultivariateNormal with 2",
        ),
        (
            lambda: Mixture([Normal(0, 1), Normal(1, 1)], [0.6, 0.6]),
            ValueError,
            r"weights must sum to 1; got sum=1\.2",
        ),
        (lambda: Mixture([Normal(0, 1), Normal(1, 1)], [1.5, -0.5]), ValueError, "non-negative"),
        (
            lambda: Mixture([Normal(0, 1), Normal(1, 1)], [1.0]),
            ValueError,
            "one entry per component",
        ),
        (
            lambda: Mixture([Normal(0, 1)], fixed=[True, False]),
            ValueError,
            "one flag per component",
        ),
        (lambda: Mixture([Normal(0, 1)], fixed=["yes"]), TypeError, "True/False"),
        (lambda: Mixture([Normal(0, 1)], prior=GammaPrior(1, 1)), TypeError, "DirichletPrior"),
        (
            lambda: Mixture([Normal(0, 1)], prior=DirichletPrior([1.0, 1.0])),
            ValueError,
            "2 entries but there are 1",
        ),
        (
            lambda: Mixture([Normal(0, 1)], assignment="fuzzy"),
            ValueError,
            "assignment must be one of",
        ),
    ],
)
def test_bad_mixtures_are_named(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_bad_data_shapes_are_named():
    model = Mixture([Normal(0, 1), Normal(1, 1)])
    with pytest.raises(ValueError, match="X has 2 features, but the mixture's components model 1"):
        model.e_step(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="Reshape your data"):
        model.e_step(np.zeros(3))
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.e_step(np.array([[np.nan]]))
    with pytest.raises(TypeError, match="MixtureStats"):
        model.m_step(Mixture([Normal(0, 1)]).e_step(np.zeros((2, 1))))
    with pytest.raises(ValueError, match="no responsibility at all"):
        model.m_step(model.e_step(Observations(np.zeros((2, 1)), sample_weight=[0.0, 0.0])))


def test_a_collapsed_component_is_reported_with_advice():
    x = np.concatenate([np.full(5, 3.0), RNG.normal(10, 1, 30)])[:, None]
    model = Mixture([Normal(3.0, 0.001), Normal(10, 1)], assignment="hard")
    with pytest.raises(
        ValueError, match=r"component 0 \(Normal\) cannot be updated: .*give it a prior"
    ):
        model.m_step(model.e_step(x))


def test_inputs_are_not_changed():
    x = RNG.normal(0, 1, (20, 1))
    before = x.copy()
    weights = np.ones(20)
    model = Mixture([Normal(0, 1), Normal(1, 1)])
    model.m_step(model.e_step(Observations(x, sample_weight=weights)))
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(weights, np.ones(20))


def test_top_level_names():
    assert latentem.Mixture is Mixture
