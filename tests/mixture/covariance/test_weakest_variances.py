"""CovarianceType.weakest_variances, for every registered structure, against numpy's eigenvalues.

And the M-step of a singular scatter: no structure may turn it into a finite, well
conditioned covariance (the common-orientation structures once did, from the other start).
"""

import numpy as np
import pytest

from latentem.mixture import GaussianMixtureModel
from latentem.mixture.covariance import COVARIANCE_TYPES
from latentem.mixture.statistics import accumulate_statistics

STRUCTURES = list(COVARIANCE_TYPES.values())
K, D = 3, 4


def _fitted_covariances(structure, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(120, D)) * [1.0, 3.0, 0.2, 10.0]
    return GaussianMixtureModel.from_data(
        X, K, covariance_type=structure, random_state=seed
    ).covariances


@pytest.mark.parametrize("structure", STRUCTURES, ids=lambda s: s.name)
@pytest.mark.parametrize("seed", [0, 1])
def test_the_smallest_variance_is_numpys_smallest_eigenvalue(structure, seed):
    covariances = _fitted_covariances(structure, seed)
    smallest, direction, scale = structure.weakest_variances(covariances, K, D)
    matrices = structure.full_matrices(covariances, K, D)
    eigenvalues = np.linalg.eigvalsh(matrices)
    np.testing.assert_allclose(smallest, eigenvalues[:, 0], rtol=1e-12)
    # a unit direction along which the variance is the smallest (for spherical: any)
    np.testing.assert_allclose(np.linalg.norm(direction, axis=1), 1.0, rtol=1e-12)
    along = np.einsum("ki,kij,kj->k", direction, matrices, direction)
    np.testing.assert_allclose(along, smallest, rtol=1e-9)
    # the scale is the largest eigenvalue, or the variance itself where variances are held
    # on their own; never below the smallest, never above the largest
    assert np.all(scale >= smallest * (1 - 1e-12))
    assert np.all(scale <= eigenvalues[:, -1] * (1 + 1e-12))


@pytest.mark.parametrize("structure", STRUCTURES, ids=lambda s: s.name)
def test_a_covariance_that_is_not_finite_has_nan(structure):
    covariances = np.array(_fitted_covariances(structure, 0))
    covariances[...] = np.nan
    smallest, direction, _ = structure.weakest_variances(covariances, K, D)
    assert np.isnan(smallest).all() and np.isnan(direction).all()


@pytest.mark.parametrize("structure", STRUCTURES, ids=lambda s: s.name)
@pytest.mark.parametrize("seed", range(8))
def test_the_m_step_of_a_singular_scatter_is_singular_or_not_finite(structure, seed):
    # five points in six dimensions, on scales from 1 to 1e5: a scatter of rank 4
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(5, 6)) * np.logspace(0, 5, 6)
    stats = accumulate_statistics(X, np.ones((5, 1)), 0.0, structure)
    previous = np.zeros(structure.parameter_shape(1, 6))
    with np.errstate(all="ignore"):
        covariances = structure.covariances_from_scatter(stats.scatter, stats.counts, 0.0, previous)
    smallest, _, scale = structure.weakest_variances(covariances, 1, 6)
    if structure.n_parameters(1, 6) > 6:  # an orientation is estimated: no maximum exists
        assert not smallest[0] > 6 * np.finfo(float).eps * scale[0], (smallest, scale)
    else:  # axis-aligned: the variances of the five points (numpy's), or their mean
        variances = np.var(X, axis=0)
        reference = variances if structure.n_parameters(1, 6) == 6 else variances.mean()
        diagonal = np.diag(structure.full_matrices(covariances, 1, 6)[0])
        np.testing.assert_allclose(diagonal, np.broadcast_to(reference, 6), rtol=1e-9)
