"""The shared statistics: pairwise merging of moments, weighted sums."""

import numpy as np
import pytest

from latentem.distributions import Moments, WeightedSums


def _direct(x, w):
    mean = w @ x / w.sum()
    centred = x - mean
    return w.sum(), mean, (centred * w[:, None]).T @ centred


@pytest.mark.parametrize("cuts", [[1], [5, 6], [2, 9, 17]])
def test_moments_merge_equals_direct_two_pass_moments(cuts):
    rng = np.random.default_rng(0)
    x = rng.normal(1e6, 3.0, (20, 3))
    w = rng.uniform(0, 2, 20)
    pieces = np.split(np.arange(20), cuts)
    merged = sum(Moments.of(x[i], w[i]) for i in pieces)
    weight, mean, scatter = _direct(x, w)
    assert merged.weight == pytest.approx(weight, rel=1e-14)
    np.testing.assert_allclose(merged.mean, mean, rtol=1e-14)
    np.testing.assert_allclose(merged.scatter, scatter, rtol=1e-9)
    diagonal = sum(Moments.of(x[i], w[i], diagonal=True) for i in pieces)
    np.testing.assert_allclose(diagonal.scatter, np.diag(scatter), rtol=1e-9)


def test_moments_without_weight_are_neutral():
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    some = Moments.of(x, np.array([1.0, 2.0]))
    none = Moments.of(x, np.zeros(2))
    np.testing.assert_array_equal(none.mean, [0.0, 0.0])
    for merged in (some + none, none + some):
        assert merged.weight == some.weight
        np.testing.assert_array_equal(merged.scatter, some.scatter)


def test_moments_of_different_shapes_do_not_add():
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match="cannot add Moments of different shapes"):
        Moments.of(x, np.ones(2)) + Moments.of(x, np.ones(2), diagonal=True)


def test_weighted_sums_add_and_check():
    a = WeightedSums.of(np.array([[1.0, 2.0]]), np.array([3.0]))
    total = sum([a, a])
    assert total.weight == 6.0
    np.testing.assert_array_equal(total.sums, [6.0, 12.0])
    with pytest.raises(TypeError, match=r"Poisson\.maximize needs WeightedSums"):
        WeightedSums.check(a, "Poisson", 1)
