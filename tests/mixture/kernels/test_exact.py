"""The exact path: explicit differences, no overflow, limit posteriors, and who takes it."""

import numpy as np
import pytest

from latentem.mixture import GaussianMixtureModel, covariance_type
from latentem.mixture.kernels.base import expansion_limits
from latentem.mixture.kernels.exact import exact_joint, exact_moments, limit_joint, lost_digits

from .reference import COVARIANCE_TYPES, joint_log_prob, random_model


def _exact(model, X, which=None):
    structure = model.covariance_type
    kernel = structure.kernel(model.n_features, model.n_components)
    with np.errstate(divide="ignore"):
        log_weights = np.log(model.weights)
    components = structure.components(log_weights, model.means, model.precisions_cholesky)
    return exact_joint(X, components, kernel.exact_factors(components), which)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_joints_equal_scipy_and_do_not_depend_on_the_batch(covariance_type):
    model = random_model(covariance_type, shift=1e6)
    X = model.means[0] + np.random.default_rng(2).normal(scale=3.0, size=(40, 3))
    joint, _ = _exact(model, X)
    np.testing.assert_allclose(joint.T, joint_log_prob(model, X), rtol=1e-13)
    for i in range(len(X)):  # the same operations on a row, whatever comes with it
        np.testing.assert_array_equal(_exact(model, X[i : i + 1])[0][:, 0], joint[:, i])
    np.testing.assert_array_equal(_exact(model, X, np.array([2, 0]))[0], joint[[2, 0]])


def test_a_row_beyond_the_floats_gets_minus_infinity_and_finite_distances():
    model = random_model("full")
    X = np.array([[1e200, -1e200, 3e199], [1e150, 0.0, 0.0], [1e-300, 0.0, -1e-300]])
    joint, log_distances = _exact(model, X)
    assert np.all(joint[:, 0] == -np.inf) and np.all(np.isfinite(log_distances))
    # 1e150 is 1e300 squared deviations away: finite, and that large
    assert np.all(np.isfinite(joint[:, 1])) and np.all(joint[:, 1] < -1e298)
    np.testing.assert_allclose(joint[:, 2], joint_log_prob(model, X[2:])[0], rtol=1e-14)


def test_the_widest_component_along_the_direction_takes_the_limit():
    model = GaussianMixtureModel(
        [0.2, 0.3, 0.5],
        np.zeros((3, 2)),
        [[1.0, 1.0], [4.0, 0.5], [4.0, 0.5]],
        covariance_type="diag",
    )
    _, log_distances = _exact(model, np.array([[1e300, 0.0], [0.0, 1e300]]))
    stand_ins = limit_joint(log_distances, np.log(model.weights))
    # along feature 0 the two wide components tie and share by weight; along 1 the first wins
    proba = np.exp(stand_ins - np.log(np.exp(stand_ins).sum(axis=0)))
    np.testing.assert_allclose(proba, [[0.0, 1.0], [0.375, 0.0], [0.625, 0.0]], atol=1e-15)
    assert model.predict(np.array([[1e300, 0.0], [0.0, 1e300]])).tolist() == [2, 0]


def test_components_of_weight_zero_never_take_a_row():
    model = GaussianMixtureModel([0.0, 1.0], [[0.0], [5.0]], [10.0, 1.0], "spherical")
    joint, log_distances = _exact(model, np.array([[1e300], [0.0]]))
    assert np.all(joint[0] == -np.inf) and np.all(log_distances[0] == np.inf)
    np.testing.assert_array_equal(model.predict_proba(np.array([[1e300]])), [[0.0, 1.0]])


def test_moments_are_summed_about_the_reference():
    rng = np.random.default_rng(0)
    X, resp = rng.normal(size=(50, 2)) + 1e12, rng.random(50)
    count, first, second = exact_moments(X, resp, np.full(2, 1e12), diagonal=False)
    centred = X - 1e12
    assert count == pytest.approx(resp.sum(), rel=1e-15)
    np.testing.assert_allclose(first, resp @ centred, rtol=1e-13)
    np.testing.assert_allclose(second, (resp[:, None] * centred).T @ centred, rtol=1e-13)
    _, _, diagonal = exact_moments(X, resp, np.full(2, 1e12), diagonal=True)
    np.testing.assert_allclose(diagonal, np.diag(second), rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_moments_of_a_component_with_few_rows_gather_them_and_keep_float64(dtype):
    # most responsibilities 0 (a far component): the rows it has are gathered
    rng = np.random.default_rng(1)
    X = (rng.normal(size=(60, 3)) + 1e6).astype(dtype)
    resp = np.where(np.arange(60) < 7, rng.random(60), 0.0)
    reference = X[:7].astype(np.float64).mean(axis=0)
    count, first, second = exact_moments(X, resp, reference, diagonal=False)
    centred = X[:7].astype(np.float64) - reference
    assert first.dtype == second.dtype == np.float64
    assert count == pytest.approx(resp.sum(), rel=1e-15)
    np.testing.assert_allclose(first, resp[:7] @ centred, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(second, (resp[:7, None] * centred).T @ centred, rtol=1e-13)
    _, _, diagonal = exact_moments(X, resp, reference, diagonal=True)
    np.testing.assert_allclose(diagonal, np.diag(second), rtol=1e-13)


def test_digits_lost_to_cancellation_are_found():
    counts = np.array([100.0, 100.0, 100.0])
    offsets = np.array([[1.0, 1.0], [0.0, 1e4 + 1.0], [0.0, 1.0]])
    scatter = 100.0 * np.array([np.eye(2), np.eye(2), [[1.0, 1.0], [1.0, 1.0]]])
    # 100 * 2 is fine, 100 * 1e8 is not, and a singular scatter off the reference is lost
    assert lost_digits(counts, offsets, scatter, shared=False).tolist() == [False, True, True]
    pooled = lost_digits(counts, offsets - 1.0, 300.0 * np.eye(2), shared=True)
    assert pooled.tolist() == [False, True, False]
    assert not lost_digits(np.zeros(3), offsets, scatter, shared=False).any()  # no rows


def test_rows_and_components_the_expansion_cannot_serve_are_marked():
    # 2^13 deviations of rounding budget in float64: a component whose mean is 1e4
    # deviations from the centre is exact for every row, the others up to their radius
    radii2, exact = expansion_limits(
        np.array([1.0, 4.0, 1.0]), np.array([0.0, 1e2, 1e8]), np.zeros(3, bool), np.float64
    )
    assert exact.tolist() == [2]
    np.testing.assert_allclose(radii2, [8192.0**2, ((8192 - 10) / 2) ** 2, np.inf])
    radii2, exact = expansion_limits(
        np.array([1.0, 1.0]), np.array([np.inf, 0.0]), np.array([False, True]), np.float64
    )
    assert exact.tolist() == [0] and np.all(radii2 == np.inf)  # the other is absent


@pytest.mark.parametrize("name", ["full", "diag", "tied", "VVE"])
def test_far_clusters_are_evaluated_exactly_to_the_last_digits(name):
    # two unit clusters 1e9 apart: the expansion about any one centre would lose
    # eps * (5e8)^2 = 55 nats; the exact path keeps every digit
    full = np.array([[[1.0, 0.3], [0.3, 2.0]], [[0.5, 0.0], [0.0, 1.0]]])
    means = np.array([[0.0, 0.0], [1e9, -1e9]])
    model = GaussianMixtureModel(
        [0.4, 0.6], means, covariance_type(name).from_full_matrices(full), name
    )
    X = np.concatenate([means[0] + [[0.5, -1.0]], means[1] + [[2.0, 0.25]]])
    expected = joint_log_prob(model, X)
    np.testing.assert_allclose(model.joint_log_prob(X), expected, rtol=1e-13)
    np.testing.assert_allclose(
        model.score_samples(X), np.logaddexp.reduce(expected, axis=1), rtol=1e-13
    )
