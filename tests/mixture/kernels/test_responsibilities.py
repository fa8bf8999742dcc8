"""Block responsibilities against scipy's logsumexp; no subnormal ever reaches a product."""

import numpy as np
import pytest
from scipy.special import logsumexp

from latentem.mixture.kernels.responsibilities import (
    hard_objective,
    hard_responsibilities,
    log_floor,
    objective_terms,
    soft_objective,
    soft_responsibilities,
)

RNG = np.random.default_rng(2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_soft_responsibilities_equal_the_normalised_exponentials(dtype):
    joint = (RNG.normal(size=(5, 200)) * 30).astype(dtype)
    expected = np.exp(joint - logsumexp(joint, axis=0))
    resp = joint.copy()
    terms = soft_responsibilities(resp)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(terms, logsumexp(joint.astype(float), axis=0), rtol=rtol)
    floor = np.exp(log_floor(np.dtype(dtype)))
    # below the floor (relative to the row's largest) a responsibility is 0; above it,
    # the clipping moves it by at most the floor
    np.testing.assert_allclose(resp, expected, rtol=rtol * 10, atol=2 * floor)
    assert np.all(resp[expected < floor] == 0)
    tiny = np.finfo(dtype).tiny
    assert not np.any((resp > 0) & (resp < tiny))  # nothing subnormal
    np.testing.assert_allclose(soft_objective(joint.copy()), terms)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blocks_in_exp_range_skip_the_shift_and_agree_with_shifted_blocks(dtype):
    # a block whose values exp() takes without underflow or overflow is normalised
    # unshifted; the same block moved past that range goes through the row-wise
    # shift. Both must give scipy's answer and each other's.
    reach = -log_floor(np.dtype(dtype))
    joint = (RNG.uniform(-0.4, 0.4, size=(4, 300)) * reach).astype(dtype)
    rtol = 1e-13 if dtype == np.float64 else 2e-6
    for offset in (0.0, 0.7 * reach, -0.7 * reach):
        moved = joint + dtype(offset)
        resp = moved.copy()
        terms = soft_responsibilities(resp)
        expected_terms = logsumexp(moved.astype(float), axis=0)
        np.testing.assert_allclose(terms, expected_terms, rtol=rtol)
        expected = np.exp(moved.astype(float) - expected_terms)
        np.testing.assert_allclose(resp, expected, rtol=10 * rtol, atol=1e-300)
        np.testing.assert_allclose(resp.sum(axis=0), 1.0, rtol=10 * rtol)


def test_clipping_is_relative_to_the_most_probable_component():
    joint = np.array([[0.0], [-400.0], [-600.0], [-np.inf]])
    soft_responsibilities(joint)
    assert joint[1, 0] == pytest.approx(np.exp(-400.0), rel=1e-12)
    assert joint[2, 0] == 0.0 and joint[3, 0] == 0.0


def test_hard_responsibilities_break_ties_to_the_lowest_index():
    joint = np.array([[-1.0, -2.0, -5.0], [-1.0, -1.0, -3.0]])
    expected_terms = hard_objective(joint.copy())
    terms = hard_responsibilities(joint)
    np.testing.assert_array_equal(terms, expected_terms)
    np.testing.assert_array_equal(joint, [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])


def test_labels_pin_rows_and_weights_scale_them():
    joint = np.log(np.array([[0.2, 0.5, 0.1], [0.3, 0.1, 0.6]]))
    original = joint.copy()
    labels = np.array([1, -1, 0])
    weights = np.array([2.0, 0.5, 1.0])
    terms = objective_terms(joint, soft_responsibilities, labels, weights)
    free = logsumexp(original[:, 1])
    np.testing.assert_allclose(terms, [2 * original[1, 0], 0.5 * free, original[0, 2]])
    np.testing.assert_allclose(joint[:, 0], [0.0, 2.0])
    np.testing.assert_allclose(joint[:, 1], 0.5 * np.exp(original[:, 1] - free))
    np.testing.assert_allclose(joint[:, 2], [1.0, 0.0])
