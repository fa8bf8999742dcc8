"""Frames: centred, scaled or whitened coordinates, mapped back exactly or stably."""

import numpy as np
import pytest

from latentem.mixture.kernels.frame import (
    scaled_frame,
    scaled_frame_of,
    whitened_frame,
    whitened_frame_of,
)
from latentem.mixture.rows import reference_frame

from .reference import COVARIANCE_TYPES, random_model

RNG = np.random.default_rng(0)
CORRELATED = RNG.normal(size=(400, 3)) @ np.array([[2.0, 0, 0], [1.5, 0.1, 0], [0.3, 0.2, 5.0]])


def test_scaled_frame_is_exact_and_within_one():
    X = CORRELATED * 1e3 + 1e8
    frame, rows = scaled_frame(X)
    assert np.all(np.abs(rows) <= 1.0)
    _, exponents = np.frexp(frame.scale)
    np.testing.assert_array_equal(frame.scale, np.ldexp(0.5, exponents))  # powers of two
    np.testing.assert_array_equal(rows.T * frame.scale, X - frame.centre)  # no rounding
    np.testing.assert_allclose(frame.centre, X.mean(axis=0), rtol=1e-15)


def test_whitened_frame_has_unit_covariance_and_maps_back():
    frame, rows = whitened_frame(CORRELATED)
    np.testing.assert_allclose(rows @ rows.T / rows.shape[1], np.eye(3), atol=1e-12)
    assert np.all(np.triu(frame.factor, 1) == 0) and np.all(np.diag(frame.factor) > 0)
    back = frame.means_from_frame(rows.T)
    np.testing.assert_allclose(back, CORRELATED, rtol=1e-13, atol=1e-13)
    covariance = np.cov(CORRELATED.T, bias=True)
    mapped = frame.scatter_from_frame((rows @ rows.T / rows.shape[1])[None])[0]
    np.testing.assert_allclose(mapped, covariance, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "X",
    [
        np.column_stack([RNG.normal(size=50), np.full(50, 7.0)]),  # a constant feature
        np.column_stack([np.arange(50.0), 2 * np.arange(50.0)]),  # collinear features
        np.ones((5, 2)),  # identical rows
        np.zeros((1, 3)),  # one row
    ],
    ids=["constant", "collinear", "identical", "one-row"],
)
def test_degenerate_data_fall_back_to_a_diagonal_factor(X):
    frame, rows = whitened_frame(X)
    assert np.all(np.isfinite(rows)) and np.count_nonzero(np.tril(frame.factor, -1)) == 0
    np.testing.assert_allclose(frame.means_from_frame(rows.T), X, rtol=1e-14, atol=1e-12)


@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_extreme_scales_do_not_overflow(scale):
    frame, rows = whitened_frame(CORRELATED * scale)
    assert np.all(np.isfinite(rows)) and np.all(np.isfinite(frame.factor))
    np.testing.assert_allclose(rows @ rows.T / rows.shape[1], np.eye(3), atol=1e-12)


def test_frames_of_a_distribution_bring_each_row_in_on_its_own():
    X = np.vstack([CORRELATED[:7], [[1e300, -1e-300, 0.0]]])
    covariance = np.cov(CORRELATED.T)
    for frame in (
        whitened_frame_of(CORRELATED.mean(axis=0), covariance),
        scaled_frame_of(CORRELATED.mean(axis=0), np.diag(covariance)),
    ):
        rows = frame.transform(X)
        for i in range(len(X)):
            np.testing.assert_array_equal(frame.transform(X[i : i + 1])[:, 0], rows[:, i])
    whitened = whitened_frame_of(CORRELATED.mean(axis=0), covariance)
    np.testing.assert_allclose(whitened.factor @ whitened.factor.T, covariance, rtol=1e-13)
    scale = scaled_frame_of(np.zeros(3), np.diag(covariance)).scale
    _, exponents = np.frexp(scale)
    np.testing.assert_array_equal(scale, np.ldexp(0.5, exponents))  # powers of two
    assert np.all(scale >= np.sqrt(np.diag(covariance))) and np.all(
        scale < 2 * np.sqrt(np.diag(covariance))
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_model_frame_is_centred_on_the_mixture_and_whitened_by_its_covariance(covariance_type):
    model = random_model(covariance_type, shift=1e8)
    frame = reference_frame(model.covariance_type, model.weights, model.means, model.covariances)
    np.testing.assert_allclose(frame.centre, model.weights @ model.means, rtol=1e-15)
    X = model.sample(20000, random_state=0)[0]
    rows = frame.transform(X)
    # the mixture's own rows have about unit spread in its frame (scaled: within a factor 2)
    spread = np.sqrt(np.mean(rows**2, axis=1))
    assert np.all(spread > 0.4) and np.all(spread < 1.1)
