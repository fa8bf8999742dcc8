"""The degenerate-component rule, and the M-step refusing a singular covariance at reg_covar=0."""

import numpy as np
import pytest

from latentem import EM, GaussianMixtureModel
from latentem.mixture.covariance import COVARIANCE_TYPES
from latentem.mixture.degenerate import FLOOR_FACTOR, degenerate_components

STRUCTURES = list(COVARIANCE_TYPES.values())
ORIENTED = [s for s in STRUCTURES if s.n_parameters(1, 6) > 6]  # estimate correlations
REG = 1e-6
WEIGHTS, MEANS = np.array([0.5, 0.5]), np.zeros((2, 3))


def _rotation(d, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


@pytest.mark.parametrize("factor, degenerate", [(1.0, True), (2.0, True), (2.01, False)])
def test_the_floor_is_twice_reg_covar_in_any_direction(factor, degenerate):
    # eigenvalues (3, 1, factor * reg) in a rotated frame: only numpy knows the direction
    q = _rotation(3, 0)
    healthy = q @ np.diag([3.0, 1.0, 0.5]) @ q.T
    suspect = q @ np.diag([3.0, 1.0, factor * REG]) @ q.T
    covariances = np.stack([healthy, suspect])
    found = degenerate_components(COVARIANCE_TYPES["full"], WEIGHTS, MEANS, covariances, REG)
    assert found.tolist() == ([1] if degenerate else [])
    assert FLOOR_FACTOR == 2.0


def test_a_variance_at_the_floor_in_one_feature_of_a_diagonal_covariance():
    variances = np.array([[1.0, 2.0, 1.5 * REG], [1.0, 2.0, 3.0]])
    found = degenerate_components(COVARIANCE_TYPES["diag"], WEIGHTS, MEANS, variances, REG)
    assert found.tolist() == [0]


def test_a_shared_covariance_is_degenerate_for_every_component():
    q = _rotation(2, 1)
    tied = q @ np.diag([2.0, REG]) @ q.T
    means = np.zeros((3, 2))
    found = degenerate_components(COVARIANCE_TYPES["tied"], np.ones(3) / 3, means, tied, REG)
    assert found.tolist() == [0, 1, 2]


def test_with_reg_covar_0_only_a_covariance_singular_to_rounding_is_degenerate():
    q = _rotation(3, 2)
    tiny = q @ np.diag([1.0, 1.0, 1e-12]) @ q.T  # ill conditioned, not singular
    flat = q @ np.diag([1.0, 1.0, 0.0]) @ q.T  # singular (rounding leaves ~1e-16)
    covariances = np.stack([tiny, flat, np.full((3, 3), np.nan)])
    weights, means = np.ones(3) / 3, np.zeros((3, 3))
    found = degenerate_components(COVARIANCE_TYPES["full"], weights, means, covariances, 0.0)
    assert found.tolist() == [1, 2]


def test_rounding_from_far_away_counts_along_the_weakest_direction():
    # each component's statistics are exact relative to its own spread wherever it lies
    # (issue 16): 1e3 away from the others, a variance of 1e-12 is resolved; what
    # remains is the rounding of the mean itself, (16 eps 1e10)^2 = 1.3e-9 at 1e10 (of
    # which the weakest direction, a rotation of the first axis, takes a few percent)
    q = _rotation(3, 3)
    covariances = np.stack([np.eye(3), q @ np.diag([1.0, 1.0, 1e-12]) @ q.T])
    weights = np.array([0.5, 0.5])
    full = COVARIANCE_TYPES["full"]
    for far in (1e3, 1e10):
        means = np.array([[-far, 0.0, 0.0], [far, 0.0, 0.0]])
        found = degenerate_components(full, weights, means, covariances, 0.0)
        assert found.tolist() == ([1] if far > 1e8 else [])


@pytest.mark.parametrize("structure", ORIENTED, ids=lambda s: s.name)
@pytest.mark.parametrize("n_samples", [5, 6])
def test_a_rank_deficient_start_is_a_value_error_at_reg_covar_0(structure, n_samples):
    # 5 or 6 points in 6 dimensions span at most 5: the covariance has no inverse
    X = np.random.default_rng(n_samples).normal(size=(n_samples, 6)) * np.logspace(0, 3, 6)
    with pytest.raises(ValueError, match=r"component 0 is singular with reg_covar=0.*reg_covar"):
        GaussianMixtureModel.from_responsibilities(
            X, np.ones((n_samples, 1)), covariance_type=structure, reg_covar=0.0
        )


def test_the_singular_component_among_several_is_named():
    # a component started on three points in 3-D (they span a plane), away from the rest
    rng = np.random.default_rng(3)
    plane = rng.normal(size=(3, 3)) + 10.0
    X = np.concatenate([rng.normal(size=(60, 3)), plane])
    resp = np.zeros((63, 2))
    resp[:60, 0], resp[60:, 1] = 1.0, 1.0
    with pytest.raises(ValueError, match=r"covariance of component 1 is singular"):
        start = GaussianMixtureModel.from_responsibilities(X, resp, reg_covar=0.0)
        EM(max_iter=5).fit(start, X)


def test_the_model_reports_its_degenerate_components():
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(size=(60, 2)), np.repeat([[8.0, 8.0]], 3, axis=0)])
    resp = np.zeros((63, 2))
    resp[:60, 0], resp[60:, 1] = 1.0, 1.0
    model = GaussianMixtureModel.from_responsibilities(X, resp, reg_covar=REG)
    # numpy: three equal rows have covariance 0, so the M-step gives reg_covar * I
    np.testing.assert_allclose(model.covariances[1], REG * np.eye(2), rtol=1e-7, atol=1e-13)
    assert model.degenerate_components.tolist() == [1]
