"""Observations: per-row weights and labels, checked with messages naming them."""

import numpy as np
import pytest

from latentem import GaussianMixture
from latentem.core.data import Observations

X = np.random.default_rng(0).normal(size=(6, 2))


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        (["a"] * 6, TypeError, r"sample_weight must contain numbers only; got dtype <U1"),
        ("abc", TypeError, r"sample_weight must be an array of numbers; got a str"),
        ({"a": 1}, TypeError, r"sample_weight must contain numbers only; got dtype object"),
        ([1j] * 6, ValueError, r"sample_weight must be real: Complex data not supported"),
        ([[1.0], [1.0, 2.0]] + [1.0] * 4, ValueError, r"sample_weight could not be read as an"),
        ([None] * 6, ValueError, r"finite and non-negative; got min=n/a and 6 non-finite .*row 0"),
        (
            [1.0] * 5 + [np.inf],
            ValueError,
            r"got min=1.0 and 1 non-finite entries \(first at row 5",
        ),
        ([-1.0] * 6, ValueError, r"sample_weight must be finite and non-negative; got min=-1.0"),
        ([[1.0]] * 6, ValueError, r"sample_weight must be 1-D, one weight per row; got shape"),
    ],
)
def test_bad_sample_weight_is_named_with_what_it_got(weights, error, message):
    # before: numpy's own "could not convert string to float: 'a'" and the like
    with pytest.raises(error, match=message):
        Observations(X, sample_weight=weights)
    with pytest.raises(error, match=message):  # the front class checks them the same way
        GaussianMixture(1).fit(X, sample_weight=weights)


def test_weights_of_numbers_and_strings_of_numbers_are_read_only_floats():
    for weights, expected in [
        (["1.5", "2", "1", "0", "1", "1"], [1.5, 2.0, 1.0, 0.0, 1.0, 1.0]),
        ([True, False, True, True, True, True], [1.0, 0.0, 1.0, 1.0, 1.0, 1.0]),
    ]:
        observations = Observations(X, sample_weight=weights)
        assert observations.sample_weight.tolist() == expected
        assert observations.sample_weight.dtype == np.float64
        assert not observations.sample_weight.flags.writeable
