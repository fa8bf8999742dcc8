"""The Gaussian mixture model against independent references."""

import warnings

import attrs
import numpy as np
import pytest
from scipy import stats

from latentem import EM, ConvergenceWarning
from latentem.mixture import GaussianMixtureModel

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]
RNG = np.random.default_rng(11)


def _run(start, data, n_iter):
    """Exactly ``n_iter`` EM iterations (tol=0 never converges, so silence that warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return EM(max_iter=n_iter, tol=0).fit(start, data)


X = np.concatenate([RNG.normal(0, 1, (60, 3)), RNG.normal(3, 0.7, (40, 3)) @ np.diag([1, 2, 0.5])])


def _random_model(covariance_type, assignment="soft", k=3, d=3, seed=0):
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(k) * 3)
    means = rng.normal(1.5, 1.5, size=(k, d))
    full = []
    for _ in range(k):
        a = rng.normal(size=(d, d))
        full.append(a @ a.T + d * np.eye(d))
    full = np.array(full)
    covariances = {
        "full": full,
        "diag": np.einsum("kii->ki", full),
        "spherical": np.einsum("kii->k", full) / d,
        "tied": full[0],
    }[covariance_type]
    return GaussianMixtureModel(
        weights, means, covariances, covariance_type=covariance_type, assignment=assignment
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_densities_equal_scipy(covariance_type):
    model = _random_model(covariance_type)
    full = model.covariance_type.full_matrices(model.covariances, 3, 3)
    expected = np.column_stack(
        [
            np.log(w) + stats.multivariate_normal(mu, cov).logpdf(X)
            for w, mu, cov in zip(model.weights, model.means, full, strict=True)
        ]
    )
    np.testing.assert_allclose(model.joint_log_prob(X), expected, rtol=1e-12)
    np.testing.assert_allclose(
        model.score_samples(X), np.logaddexp.reduce(expected, axis=1), rtol=1e-12
    )
    assert model.log_likelihood(X) == pytest.approx(np.logaddexp.reduce(expected, axis=1).sum())


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_m_step_is_the_closed_form_weighted_estimate(covariance_type):
    model = _random_model(covariance_type)
    resp = model.predict_proba(X)
    new = model.m_step(model.e_step(X))
    counts = resp.sum(axis=0)
    means = resp.T @ X / counts[:, None]
    full = np.array(
        [(resp[:, k, None] * (X - means[k])).T @ (X - means[k]) / counts[k] for k in range(3)]
    )
    reg = model.reg_covar
    expected = {
        "full": full + reg * np.eye(3),
        "diag": np.einsum("kii->ki", full) + reg,
        "spherical": np.einsum("kii->k", full) / 3 + reg,
        "tied": np.einsum("k,kij->ij", counts, full) / counts.sum() + reg * np.eye(3),
    }[covariance_type]
    np.testing.assert_allclose(new.weights, counts / counts.sum(), rtol=1e-12)
    np.testing.assert_allclose(new.means, means, rtol=1e-12)
    np.testing.assert_allclose(new.covariances, expected, rtol=1e-10)


def _classification_em(X, weights, means, variances, n_iter):
    """Independent hard EM for diagonal Gaussians, written with scipy.stats.norm."""
    for _ in range(n_iter):
        joint = np.column_stack(
            [
                np.log(w) + stats.norm(mu, np.sqrt(var)).logpdf(X).sum(axis=1)
                for w, mu, var in zip(weights, means, variances, strict=True)
            ]
        )
        labels = joint.argmax(axis=1)
        weights = np.array([np.mean(labels == k) for k in range(len(weights))])
        means = np.array([X[labels == k].mean(axis=0) for k in range(len(weights))])
        variances = np.array([X[labels == k].var(axis=0) for k in range(len(weights))])
    return weights, means, variances


def test_hard_em_equals_an_independent_classification_em_loop():
    start = GaussianMixtureModel(
        [0.4, 0.6],
        [[1.0, 1.0, 1.0], [4.0, 4.0, 4.0]],
        np.ones((2, 3)),
        covariance_type="diag",
        assignment="hard",
        reg_covar=0.0,
    )
    result = _run(start, X, 6)
    weights, means, variances = _classification_em(
        X, start.weights, start.means, start.covariances, 6
    )
    np.testing.assert_allclose(result.model.weights, weights, rtol=1e-12)
    np.testing.assert_allclose(result.model.means, means, rtol=1e-12)
    np.testing.assert_allclose(result.model.covariances, variances, rtol=1e-10)
    assert np.all(np.diff(result.history) >= -1e-9 * np.abs(result.history[1:]))


def test_empty_component_keeps_its_parameters_with_weight_zero():
    far = GaussianMixtureModel(
        [0.5, 0.5],
        [[0.0, 0.0, 0.0], [1e3, 1e3, 1e3]],
        np.ones((2, 3)),
        covariance_type="diag",
        assignment="hard",
    )
    new = far.m_step(far.e_step(X))
    assert new.weights[1] == 0.0
    np.testing.assert_array_equal(new.means[1], far.means[1])
    np.testing.assert_array_equal(new.covariances[1], far.covariances[1])
    assert np.all(np.isfinite(new.predict_proba(X)))
    assert np.all(new.predict(X) == 0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_shifted_data_fit_with_the_same_covariances(covariance_type):
    shift = 1e8
    start = _random_model(covariance_type, k=2)
    shifted_start = GaussianMixtureModel(
        start.weights, start.means + shift, start.covariances, covariance_type=covariance_type
    )
    plain = _run(start, X, 10).model
    moved = _run(shifted_start, X + shift, 10).model
    # X + 1e8 is itself rounded to ~1.5e-8, which bounds the agreement
    np.testing.assert_allclose(moved.covariances, plain.covariances, rtol=1e-6)
    np.testing.assert_allclose(moved.means - shift, plain.means, atol=1e-6)
    np.testing.assert_allclose(moved.weights, plain.weights, rtol=1e-6)


def test_sample_follows_the_model():
    model = _random_model("full", k=2, d=2)
    draws, labels = model.sample(20000, random_state=0)
    assert draws.shape == (20000, 2) and np.all(np.diff(labels) >= 0)
    np.testing.assert_allclose(np.bincount(labels) / 20000, model.weights, atol=0.02)
    for k in range(2):
        rows = draws[labels == k]
        cov = model.covariances[k]
        # five standard errors of the sample mean and of the sample covariance
        mean_error = 5 * np.sqrt(np.diag(cov) / rows.shape[0])
        cov_error = 5 * np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / rows.shape[0])
        assert np.all(np.abs(rows.mean(axis=0) - model.means[k]) < mean_error)
        assert np.all(np.abs(np.cov(rows.T) - cov) < cov_error)


def test_parameters_are_read_only_copies():
    means = np.zeros((1, 2))
    model = GaussianMixtureModel([1.0], means, [np.eye(2)])
    means[0, 0] = 5.0
    assert model.means[0, 0] == 0.0
    with pytest.raises(ValueError):
        model.means[0, 0] = 1.0


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_collapse_below_rounding_is_a_named_error(covariance_type):
    model = GaussianMixtureModel(
        [0.5, 0.5], [[0.0] * 3, [1.0] * 3], np.stack([np.eye(3)] * 2), reg_covar=0.0
    )
    stats = model.e_step(X)

    def shrunk(variance, centre):
        """Statistics whose components all sit at ``centre`` with the given variance."""
        layout = {
            "full": np.stack([np.eye(3)] * 2),
            "diag": np.ones((2, 3)),
            "spherical": np.ones((2, 3)),
            "tied": np.eye(3),
        }[covariance_type]
        scatter = layout * variance * (stats.counts.sum() if covariance_type == "tied" else 1.0)
        if covariance_type != "tied":
            scatter = scatter * stats.counts.reshape((2,) + (1,) * (layout.ndim - 1))
        return type(stats)(
            stats.counts, np.full((2, 3), centre), scatter, stats.log_likelihood, covariance_type
        )

    start = GaussianMixtureModel(
        model.weights,
        model.means,
        _random_model(covariance_type, k=2).covariances,
        covariance_type=covariance_type,
        reg_covar=0.0,
    )
    # a deviation of 1e-100 around 50 is far below the rounding of the mean (~7e-15)
    with pytest.raises(ValueError, match=r"component \d collapsed onto a point: .* reg_covar"):
        start.m_step(shrunk(1e-200, 50.0))
    # a deviation of 1e-10 around 1 is tiny but resolvable
    fitted = start.m_step(shrunk(1e-20, 1.0))
    assert np.all(np.isfinite(fitted.precisions_cholesky))


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_a_variance_lost_to_float32_rounding_is_a_collapse(covariance_type):
    model = GaussianMixtureModel.from_data(X, 2, covariance_type=covariance_type, random_state=0)
    stats = model.e_step(X)
    # component 0 shrinks to a variance of 1e-8 about its mean; the rows' mean is
    # elsewhere, so summed squares about it cancel to float32's resolution, ~1e-7
    scatter = np.array(stats.scatter)
    scatter[0] = scatter[0] / np.max(scatter[0]) * 1e-8 * stats.counts[0]
    means = np.array(stats.means)
    means[0] = np.average(means, axis=0, weights=stats.counts) + 3.0
    tiny = attrs.evolve(stats, means=means, scatter=scatter)
    assert np.all(np.isfinite(model.m_step(tiny).precisions_cholesky))  # float64 resolves it
    in_float32 = attrs.evolve(tiny, machine_epsilon=np.finfo(np.float32).eps)
    with pytest.raises(ValueError, match=r"component 0 collapsed .* fit in float64"):
        model.m_step(in_float32)
    # statistics added together keep the coarser rounding
    with pytest.raises(ValueError, match=r"component 0 collapsed"):
        model.m_step(tiny.scale(0.5) + in_float32.scale(0.5))
    with pytest.raises(ValueError, match=r"machine_epsilon must be a rounding unit in \(0, 1\)"):
        attrs.evolve(stats, machine_epsilon=0.0)
    with pytest.raises(TypeError, match=r"machine_epsilon must be a number"):
        attrs.evolve(stats, machine_epsilon=np.float32)


def test_float32_em_stops_at_a_single_point_component_instead_of_losing_ground():
    # found by Hypothesis: hard EM empties a component down to one point; in float32 its
    # variance came out as 1.25e-8 instead of 0, and the objective then fell by 0.17%
    truth = GaussianMixtureModel(
        [0.9491018, 0.0508982],
        [[-2.69346804, 3.83630131, 3.37801556], [-2.83957449, 5.67047205, 0.27761548]],
        [0.91730703, 1.04902584],
        covariance_type="spherical",
    )
    rows, _ = truth.sample(144, random_state=13280495)
    start = GaussianMixtureModel.from_data(
        rows, 3, covariance_type="spherical", assignment="hard", reg_covar=0.0, random_state=128
    )
    for dtype in (np.float64, np.float32):
        data = start.prepare(rows, dtype=dtype)
        model, objectives = start, []
        with pytest.raises(ValueError, match=r"component 0 collapsed onto a point"):
            for _ in range(30):
                stats = model.e_step(data)
                objectives.append(stats.log_likelihood)
                model = model.m_step(stats)
        assert len(objectives) == 10  # the same iteration in both precisions
        assert np.all(np.diff(objectives) >= -1e-9 * np.abs(objectives[1:]))


def test_rows_prepared_in_the_models_frame_score_as_the_methods_do():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + 5.0])
    model = GaussianMixtureModel.from_data(X, 2, covariance_type="full", random_state=0)
    reference = np.logaddexp.reduce(
        [
            np.log(w) + stats.multivariate_normal(m, c).logpdf(X)
            for w, m, c in zip(model.weights, model.means, model.covariances, strict=True)
        ],
        axis=0,
    )
    for frame in ("data", "model"):
        prepared = model.prepare(X, frame=frame)
        np.testing.assert_allclose(model.score_samples(prepared), reference, rtol=1e-12)
    with pytest.raises(ValueError, match="frame must be one of 'data', 'model'; got 'rows'"):
        model.prepare(X, frame="rows")
