"""Per-row features against products written out."""

import numpy as np

from latentem.mixture.kernels.features import (
    n_quadratic_rows,
    pack_upper,
    unpack_upper,
    write_linear_features,
    write_quadratic_features,
    write_square_features,
)

RNG = np.random.default_rng(1)
Y = RNG.normal(size=(4, 9))


def test_quadratic_features_are_the_upper_products_then_coordinates_then_one():
    out = np.empty((n_quadratic_rows(4) + 4 + 1, 9))
    write_quadratic_features(Y, out)
    products = [Y[i] * Y[j] for i in range(4) for j in range(i, 4)]
    np.testing.assert_array_equal(out, np.vstack([products, Y, np.ones(9)]))


def test_square_and_linear_features():
    out = np.empty((9, 9))
    write_square_features(Y, out)
    np.testing.assert_array_equal(out, np.vstack([Y**2, Y, np.ones(9)]))
    out = np.empty((5, 9))
    write_linear_features(Y, out)
    np.testing.assert_array_equal(out, np.vstack([Y, np.ones(9)]))


def test_packed_weights_give_the_quadratic_form():
    a = RNG.normal(size=(2, 4, 4))
    sym = a + np.swapaxes(a, 1, 2)
    products = np.empty((n_quadratic_rows(4) + 5, 9))
    write_quadratic_features(Y, products)
    forms = pack_upper(sym) @ products[: n_quadratic_rows(4)]
    np.testing.assert_allclose(forms, np.einsum("ib,kij,jb->kb", Y, sym, Y), rtol=1e-13)
    rows, cols = np.triu_indices(4)
    np.testing.assert_array_equal(unpack_upper(sym[:, rows, cols], 4), sym)
