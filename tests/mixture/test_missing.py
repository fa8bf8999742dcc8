"""Gaussian mixtures on data with NaN, against per-row references written with scipy."""

import attrs
import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from scipy import stats

from latentem import Observations
from latentem.mixture import GaussianMixtureModel, accumulate_statistics, missing
from latentem.testing import assert_models_close, assert_monotone, check_latent_model
from latentem.testing import strategies as lst
from tests.mixture.test_gaussian import _random_model

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]
ASSIGNMENTS = ["soft", "hard"]
RNG = np.random.default_rng(21)


def _data(n=120, d=4, fraction=0.3, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, d))
    X = np.concatenate(
        [
            rng.multivariate_normal(np.zeros(d), a @ a.T + np.eye(d), n // 2),
            rng.multivariate_normal(np.full(d, 4.0), np.eye(d), n - n // 2),
        ]
    )
    X[rng.random(X.shape) < fraction] = np.nan
    return X


def _model(covariance_type, assignment="soft", k=3, d=4, seed=0):
    """The random model of test_gaussian, without regularisation so M-steps are exact."""
    return attrs.evolve(_random_model(covariance_type, assignment, k, d, seed), reg_covar=0.0)


def _full(model):
    return model.covariance_type.full_matrices(
        model.covariances, model.n_components, model.n_features
    )


def _observed_log_densities(model, X):
    """``log w_k + log N(x_o | mu_ko, Sigma_k,oo)`` row by row with scipy."""
    full = _full(model)
    out = np.empty((X.shape[0], model.n_components))
    for i, x in enumerate(X):
        o = ~np.isnan(x)
        for k in range(model.n_components):
            density = 0.0
            if o.any():
                density = stats.multivariate_normal(
                    model.means[k][o], full[k][np.ix_(o, o)]
                ).logpdf(x[o])
            out[i, k] = np.log(model.weights[k]) + density
    return out


def _reference_statistics(model, X, resp):
    """Expected complete-data moments row by row, with explicit inverses.

    Rows with nothing observed are skipped (the documented rule).
    """
    full, d = _full(model), X.shape[1]
    k_count = model.n_components
    first, second = np.zeros((k_count, d)), np.zeros((k_count, d, d))
    resp = np.where(np.isnan(X).all(axis=1)[:, None], 0.0, resp)
    for i, x in enumerate(X):
        o, m = ~np.isnan(x), np.isnan(x)
        for k in range(k_count):
            completed, conditional = x.copy(), np.zeros((d, d))
            if m.any():
                gain = full[k][np.ix_(m, o)] @ np.linalg.inv(full[k][np.ix_(o, o)])
                completed[m] = model.means[k][m] + gain @ (x[o] - model.means[k][o])
                conditional[np.ix_(m, m)] = full[k][np.ix_(m, m)] - gain @ full[k][np.ix_(o, m)]
            first[k] += resp[i, k] * completed
            second[k] += resp[i, k] * (np.outer(completed, completed) + conditional)
    counts = resp.sum(axis=0)
    means = first / counts[:, None]
    scatter = second - counts[:, None, None] * np.einsum("ki,kj->kij", means, means)
    return counts, means, scatter


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_densities_equal_scipy_on_the_observed_entries(covariance_type, assignment):
    model = _model(covariance_type, assignment)
    X = _data()
    X[3] = np.nan  # nothing observed: log-density 0, posterior = weights
    expected = _observed_log_densities(model, X)
    np.testing.assert_allclose(model.joint_log_prob(X), expected, rtol=1e-12)
    marginal = np.logaddexp.reduce(expected, axis=1)
    np.testing.assert_allclose(model.score_samples(X), marginal, rtol=1e-12, atol=1e-12)
    assert model.score_samples(X)[3] == pytest.approx(0.0, abs=1e-14)
    np.testing.assert_allclose(model.predict_proba(X)[3], model.weights, rtol=1e-12)
    np.testing.assert_allclose(
        model.predict_proba(X), np.exp(expected - marginal[:, None]), rtol=1e-10, atol=1e-14
    )
    np.testing.assert_array_equal(model.predict(X), expected.argmax(axis=1))
    keep = np.arange(X.shape[0]) != 3
    objective = marginal[keep] if assignment == "soft" else expected[keep].max(axis=1)
    assert model.log_likelihood(X) == pytest.approx(objective.sum(), rel=1e-12)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_e_and_m_step_equal_a_per_row_reference(covariance_type, assignment):
    model = _model(covariance_type, assignment)
    X = _data()
    joint = _observed_log_densities(model, X)
    if assignment == "soft":
        resp = np.exp(joint - np.logaddexp.reduce(joint, axis=1)[:, None])
    else:
        resp = np.eye(model.n_components)[joint.argmax(axis=1)]
    counts, means, scatter = _reference_statistics(model, X, resp)
    stats_ = model.e_step(X)
    np.testing.assert_allclose(stats_.counts, counts, rtol=1e-10)
    np.testing.assert_allclose(stats_.means, means, rtol=1e-10, atol=1e-12)
    layout = {
        "full": scatter,
        "diag": np.einsum("kii->ki", scatter),
        "spherical": np.einsum("kii->ki", scatter),
        "tied": scatter.sum(axis=0),
    }[covariance_type]
    np.testing.assert_allclose(stats_.scatter, layout, rtol=1e-9, atol=1e-10)
    new = model.m_step(stats_)
    covariances = scatter / counts[:, None, None]
    expected = {
        "full": covariances,
        "diag": np.einsum("kii->ki", covariances),
        "spherical": np.einsum("kii->k", covariances) / X.shape[1],
        "tied": scatter.sum(axis=0) / counts.sum(),
    }[covariance_type]
    np.testing.assert_allclose(new.weights, counts / counts.sum(), rtol=1e-10)
    np.testing.assert_allclose(new.means, means, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(new.covariances, expected, rtol=1e-9)


@pytest.mark.parametrize(
    "block_rows, gather_floats", [(1, 1 << 21), (10**9, 1 << 21), (10**9, 40), (5, 40)]
)
@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_every_row_path_of_the_pattern_kernel_agrees(
    covariance_type, block_rows, gather_floats, monkeypatch
):
    # frequent patterns take matrix products, rare ones per-row factors, in chunks
    monkeypatch.setattr(missing, "_BLOCK_ROWS", block_rows)
    monkeypatch.setattr(missing, "_GATHER_FLOATS", gather_floats)
    model = _model(covariance_type, "soft")
    X = _data(n=300, fraction=0.3)
    X = X[~np.isnan(X).all(axis=1)]
    joint = _observed_log_densities(model, X)
    np.testing.assert_allclose(model.joint_log_prob(X), joint, rtol=1e-12)
    resp = np.exp(joint - np.logaddexp.reduce(joint, axis=1)[:, None])
    counts, means, scatter = _reference_statistics(model, X, resp)
    found = model.e_step(X)
    np.testing.assert_allclose(found.counts, counts, rtol=1e-10)
    np.testing.assert_allclose(found.means, means, rtol=1e-10, atol=1e-12)
    expected = scatter if covariance_type == "full" else scatter.sum(axis=0)
    np.testing.assert_allclose(found.scatter, expected, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_missing_kernels_on_complete_rows_equal_the_complete_data_path(covariance_type):
    model = _model(covariance_type)
    X = _data(fraction=0.0)
    found = model.covariance_type.conditionals(
        X, model.means, model.precisions_cholesky, residuals=True
    )
    np.testing.assert_allclose(
        found.log_prob + np.log(model.weights), model.joint_log_prob(X), rtol=1e-12
    )
    resp = model.predict_proba(X)
    counts, means, scatter = found.statistics(model.means, resp)
    plain = accumulate_statistics(X, resp, 0.0, model.covariance_type)
    np.testing.assert_allclose(counts, plain.counts, rtol=1e-12)
    np.testing.assert_allclose(means, plain.means, rtol=1e-12)
    np.testing.assert_allclose(scatter, plain.scatter, rtol=1e-10)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_rows_with_nothing_observed_are_left_out(covariance_type, assignment):
    model = _model(covariance_type, assignment)
    X = _data()
    padded = np.insert(X, [0, 7, 7, X.shape[0]], np.nan, axis=0)
    assert_models_close(model.e_step(padded), model.e_step(X), rtol=1e-12, atol=1e-12)
    assert model.log_likelihood(padded) == pytest.approx(model.log_likelihood(X), rel=1e-13)
    only_empty = model.e_step(np.full((3, 4), np.nan))
    assert only_empty.log_likelihood == 0.0 and np.all(only_empty.counts == 0)
    with pytest.raises(ValueError, match="no responsibility at all"):
        model.m_step(only_empty)
    # the criteria count only rows with something observed (n in BIC's log n)
    assert model.bic(padded) == pytest.approx(model.bic(X), rel=1e-13)
    assert model.icl(padded) == pytest.approx(model.icl(X), rel=1e-13)
    assert model.aic(padded) == pytest.approx(model.aic(X), rel=1e-13)


@pytest.mark.parametrize("covariance_type", ["full", "tied"])
def test_one_factorisation_per_pattern_and_component(covariance_type, monkeypatch):
    model = _model(covariance_type)
    X = _data(n=400, fraction=0.3)
    patterns = {tuple(row) for row in np.isnan(X) if row.any() and not row.all()}
    calls = []
    cholesky = np.linalg.cholesky

    def counting(matrices):
        calls.append(matrices.shape[:-2])
        return cholesky(matrices)

    monkeypatch.setattr(np.linalg, "cholesky", counting)
    model.e_step(X)
    assert len(patterns) < np.isnan(X).any(axis=1).sum()
    # batched calls, one per number of missing entries: together a factor per
    # pattern (and per component unless the covariance is tied), none per row
    per_pattern = model.n_components if covariance_type == "full" else 1
    assert {shape[0] for shape in calls} == {per_pattern}
    assert sum(shape[1] for shape in calls) == len(patterns)
    assert len(calls) == len({sum(pattern) for pattern in patterns})


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_contract_with_missing_entries_weights_and_labels(covariance_type, assignment):
    X = _data(n=90)
    start = GaussianMixtureModel.from_data(
        X, 2, covariance_type=covariance_type, assignment=assignment, random_state=0
    )
    check_latent_model(start, X, n_iter=8)
    weights = RNG.integers(0, 3, size=X.shape[0])
    weighted = Observations(X, sample_weight=weights)
    replicated = np.repeat(X, weights, axis=0)
    assert_models_close(
        start.m_step(start.e_step(weighted)),
        start.m_step(start.e_step(replicated)),
        rtol=1e-10,
        atol=1e-12,
    )
    assert start.log_likelihood(weighted) == pytest.approx(start.log_likelihood(replicated))
    labels = np.full(X.shape[0], -1)
    labels[:4] = 1
    pinned = start.e_step(Observations(X, labels=labels))
    expected = start.joint_log_prob(X[:4])[:, 1].sum() + start.log_likelihood(X[4:])
    assert pinned.log_likelihood == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_data_far_from_the_origin_fit_alike(covariance_type):
    X = _data(n=200)
    shift = 1e8
    start = _model(covariance_type, k=2)
    moved_start = GaussianMixtureModel(
        start.weights, start.means + shift, start.covariances, covariance_type=covariance_type
    )
    plain = start.m_step(start.e_step(X))
    moved = moved_start.m_step(moved_start.e_step(X + shift))
    # X + 1e8 is itself rounded to ~1.5e-8, which bounds the agreement
    scale = np.max(np.abs(plain.covariances))
    np.testing.assert_allclose(moved.covariances, plain.covariances, atol=1e-6 * scale)
    np.testing.assert_allclose(moved.means - shift, plain.means, atol=1e-7)
    np.testing.assert_allclose(moved.weights, plain.weights, rtol=1e-6)


def test_hostile_input_names_the_problem():
    model = _model("full")
    X = _data()
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"X contains infinity"):
        model.e_step(X)
    with pytest.raises(ValueError, match=r"X contains infinity"):
        model.score_samples(X)
    never = _data()
    never[:, 2] = np.nan
    with pytest.raises(ValueError, match=r"no observed value \(column 2\).*Drop it"):
        GaussianMixtureModel.from_data(never, 2)
    with pytest.raises(ValueError, match="no observed entry at all"):
        GaussianMixtureModel.from_data(np.full((5, 2), np.nan), 1)
    few = np.full((6, 2), np.nan)
    few[:2] = [[0.0, 1.0], [1.0, 0.0]]
    with pytest.raises(ValueError, match=r"n_components=3 exceeds the number of samples \(2\)"):
        GaussianMixtureModel.from_data(few, 3)
    with pytest.raises(ValueError, match="X has 3 features, but the model is expecting 4"):
        model.e_step(np.full((2, 3), np.nan))


def test_starting_data_fills_column_means_and_leaves_input_alone():
    X = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan], [3.0, 5.0, np.nan]])
    before = X.copy()
    np.testing.assert_array_equal(missing.starting_data(X), [[1.0, 5.0, 2.0], [3.0, 5.0, 2.0]])
    np.testing.assert_array_equal(X, before)
    model = _model("full", d=3)
    for method in (model.e_step, model.score_samples, model.predict_proba, model.log_likelihood):
        method(X)
        np.testing.assert_array_equal(X, before)


def _missing_problem(draw, covariance_type, assignment):
    truth = draw(
        lst.gaussian_mixture_models(
            n_components=st.integers(1, 3),
            n_features=st.integers(2, 4),
            covariance_types=(covariance_type,),
        )
    )
    X, _ = truth.sample(draw(st.integers(40, 120)), random_state=draw(lst.seeds()))
    X[draw(lst.missing_masks(X.shape, max_fraction=0.4))] = np.nan
    start = GaussianMixtureModel.from_data(
        X,
        draw(st.integers(1, 3)),
        covariance_type=covariance_type,
        assignment=assignment,
        reg_covar=0.0,
        random_state=draw(lst.seeds()),
    )
    return start, X


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@settings(max_examples=20)
@given(data=st.data())
def test_observed_data_objective_never_decreases(covariance_type, assignment, data):
    try:
        start, X = _missing_problem(data.draw, covariance_type, assignment)
        assert_monotone(start, X, n_iter=12, rtol=1e-9)
    except (ValueError, AssertionError) as error:
        # a component collapsing with reg_covar=0 is a documented error, not a decrease
        collapse = (
            "not positive definite",
            "must be positive",
            "collapsed onto a point",
            "is singular",
        )
        if any(phrase in str(error) for phrase in collapse):
            reject()
        raise
