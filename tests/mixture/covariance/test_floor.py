"""``CovarianceType.floor_collapsed``: the floor of collapsed covariances, per structure."""

from __future__ import annotations

import numpy as np
import pytest

from latentem.mixture import COVARIANCE_TYPES, covariance_type

STRUCTURES = sorted(COVARIANCE_TYPES)


def _healthy(structure_name: str, k: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(k, d, d))
    full = factors @ np.swapaxes(factors, 1, 2) + np.eye(d)
    return covariance_type(structure_name).from_full_matrices(full)


@pytest.mark.parametrize("name", STRUCTURES)
def test_healthy_covariances_come_back_as_they_are(name):
    structure = covariance_type(name)
    covariances = _healthy(name, 3, 3)
    floored, collapsed = structure.floor_collapsed(covariances, 3, 3, 1e-3)
    assert floored is covariances
    assert not collapsed.any()


def _singular(structure, k: int, d: int) -> tuple[np.ndarray, int]:
    """Covariances of the structure with a singular component, and its index.

    Tried in turn: one component loses a random direction, then the first
    feature; then every component loses the first feature (shared
    structures); then every component is zero (one shared variance).
    """
    full = structure.full_matrices(_healthy(structure.name, k, d), k, d)
    direction = np.array([1.0, -2.0, 0.5]) / np.linalg.norm([1.0, -2.0, 0.5])
    axis = np.eye(d)[0]
    for vector, which in ((direction, [1]), (axis, [1]), (axis, list(range(k))), (None, None)):
        if vector is None:
            candidate = np.zeros_like(full)
        else:
            projector = np.eye(d) - np.outer(vector, vector)
            candidate = full.copy()
            candidate[which] = projector @ full[which] @ projector
        with np.errstate(invalid="ignore", divide="ignore"):
            covariances = structure.from_full_matrices(candidate)
        if not np.all(np.isfinite(covariances)):  # the structure's own fit has no answer
            continue
        smallest = np.linalg.eigvalsh(structure.full_matrices(covariances, k, d))[:, 0]
        if smallest[1] <= 1e-12:
            return covariances, 1
    pytest.skip(f"{structure.name}'s fit to singular matrices is not finite")


@pytest.mark.parametrize("name", STRUCTURES)
def test_a_singular_component_is_floored_or_refused_by_the_structure(name):
    structure = covariance_type(name)
    k, d, floor = 3, 3, 1e-3
    covariances, index = _singular(structure, k, d)
    before = np.linalg.eigvalsh(structure.full_matrices(covariances, k, d))
    try:
        floored, collapsed = structure.floor_collapsed(covariances, k, d, floor)
    except ValueError as error:
        assert name in str(error) and "prior" in str(error)
        return
    assert collapsed[index]
    after = np.linalg.eigvalsh(structure.full_matrices(floored, k, d))
    assert np.all(after[collapsed] >= floor * (1 - 1e-8))
    # the floor raises only what was below it: the other eigenvalues stay
    np.testing.assert_allclose(after[collapsed], np.maximum(before[collapsed], floor), rtol=1e-9)
    structure.precisions_cholesky(floored)  # positive definite: no ValueError


def test_the_free_structures_floor_exactly_and_keep_the_others():
    # full: eigenvalues below the floor raised, eigenvectors kept, other components untouched
    rng = np.random.default_rng(3)
    vectors = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    singular = vectors @ np.diag([0.0, 2.0, 5.0]) @ vectors.T
    healthy = np.diag([1.0, 2.0, 3.0])
    floored, collapsed = covariance_type("full").floor_collapsed(
        np.stack([healthy, singular]), 2, 3, 0.25
    )
    assert collapsed.tolist() == [False, True]
    assert np.array_equal(floored[0], healthy)
    expected = vectors @ np.diag([0.25, 2.0, 5.0]) @ vectors.T
    np.testing.assert_allclose(floored[1], expected, rtol=0, atol=1e-14)
    # spherical and diag: a zero variance is the collapse
    floored, collapsed = covariance_type("spherical").floor_collapsed(
        np.array([0.0, 2.0]), 2, 4, 0.1
    )
    assert floored.tolist() == [0.1, 2.0] and collapsed.tolist() == [True, False]


def test_a_matrix_below_the_rounding_of_its_mean_has_collapsed():
    # positive to the last digit, but below what statistics summed far from the centre resolve
    covariance = np.array([[[1.0, 0.0], [0.0, 1e-12]]])
    structure = covariance_type("full")
    _, collapsed = structure.floor_collapsed(covariance, 1, 2, 1e-3)
    assert not collapsed.any()
    _, collapsed = structure.floor_collapsed(covariance, 1, 2, 1e-3, resolution=1e-10)
    assert collapsed.all()


def test_non_finite_matrices_are_left_to_the_callers_checks():
    covariance = np.array([[np.nan, 1.0]])
    floored, collapsed = covariance_type("diag").floor_collapsed(covariance, 1, 2, 1e-3)
    assert floored is covariance and not collapsed.any()
