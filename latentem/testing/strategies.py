"""Hypothesis strategies for property tests of latent models.

Importing this module needs Hypothesis (``pip install hypothesis``); the rest
of :mod:`latentem.testing` does not.

Examples
--------
>>> from hypothesis import given, settings
>>> from latentem.testing import strategies as lst
>>> @settings(max_examples=5, derandomize=True)
... @given(lst.simplex_weights(3))
... def test_weights_sum_to_one(weights):
...     assert abs(weights.sum() - 1) < 1e-12
>>> test_weights_sum_to_one()
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from latentem.mixture.covariance import COVARIANCE_TYPES
from latentem.mixture.gaussian import GaussianMixtureModel

__all__ = [
    "gaussian_mixture_data",
    "gaussian_mixture_models",
    "missing_masks",
    "seeds",
    "simplex_weights",
    "spd_matrices",
]


def seeds() -> st.SearchStrategy[int]:
    """Seeds for ``numpy.random.default_rng``."""
    return st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def simplex_weights(draw: Any, n_components: int, min_weight: float = 0.05) -> np.ndarray:
    """Weights on the simplex, each at least ``min_weight`` (which must be below 1/n)."""
    if not 0 <= min_weight < 1.0 / n_components:
        raise ValueError(
            f"min_weight must be in [0, 1/n_components) = [0, {1.0 / n_components:g}); "
            f"got {min_weight}"
        )
    raw = np.array(
        draw(st.lists(st.floats(0.0, 1.0), min_size=n_components, max_size=n_components))
    )
    raw = raw + 1e-3
    shares = raw / raw.sum()
    return min_weight + (1.0 - n_components * min_weight) * shares


@st.composite
def spd_matrices(
    draw: Any, n_features: int, min_eigenvalue: float = 0.1, max_eigenvalue: float = 10.0
) -> np.ndarray:
    """Symmetric positive-definite matrices with eigenvalues in the given range."""
    eigenvalues = np.array(
        draw(
            st.lists(
                st.floats(min_eigenvalue, max_eigenvalue),
                min_size=n_features,
                max_size=n_features,
            )
        )
    )
    rotation, _ = np.linalg.qr(np.random.default_rng(draw(seeds())).normal(size=(n_features,) * 2))
    matrix = (rotation * eigenvalues) @ rotation.T
    return (matrix + matrix.T) / 2.0


def _covariances(draw: Any, structure: str, k: int, d: int) -> np.ndarray:
    if structure == "full":
        return np.stack([draw(spd_matrices(d)) for _ in range(k)])
    if structure == "tied":
        return draw(spd_matrices(d))
    count = k * d if structure == "diag" else k
    values = np.array(draw(st.lists(st.floats(0.1, 10.0), min_size=count, max_size=count)))
    return values.reshape(k, d) if structure == "diag" else values


@st.composite
def gaussian_mixture_models(
    draw: Any,
    n_components: st.SearchStrategy[int] | None = None,
    n_features: st.SearchStrategy[int] | None = None,
    covariance_types: tuple[str, ...] = tuple(COVARIANCE_TYPES),
    assignments: tuple[str, ...] = ("soft", "hard"),
    reg_covar: float = 0.0,
    mean_scale: float = 5.0,
) -> GaussianMixtureModel:
    """Random :class:`~latentem.GaussianMixtureModel` instances."""
    k = draw(n_components if n_components is not None else st.integers(1, 4))
    d = draw(n_features if n_features is not None else st.integers(1, 3))
    structure = draw(st.sampled_from(covariance_types))
    rng = np.random.default_rng(draw(seeds()))
    return GaussianMixtureModel(
        weights=draw(simplex_weights(k)),
        means=rng.normal(scale=mean_scale, size=(k, d)),
        covariances=_covariances(draw, structure, k, d),
        covariance_type=structure,
        assignment=draw(st.sampled_from(assignments)),
        reg_covar=reg_covar,
    )


@st.composite
def gaussian_mixture_data(
    draw: Any,
    models: st.SearchStrategy[GaussianMixtureModel] | None = None,
    n_samples: st.SearchStrategy[int] | None = None,
) -> tuple[GaussianMixtureModel, np.ndarray]:
    """A model and data sampled from it: ``(model, X)``."""
    model = draw(models if models is not None else gaussian_mixture_models())
    n = draw(n_samples if n_samples is not None else st.integers(20, 200))
    X, _ = model.sample(n, random_state=draw(seeds()))
    return model, X


@st.composite
def missing_masks(
    draw: Any, shape: tuple[int, int], max_fraction: float = 0.3, keep_one_per_row: bool = True
) -> np.ndarray:
    """Boolean masks (True = missing) with at most ``max_fraction`` of entries missing.

    With ``keep_one_per_row`` every row keeps at least one observed entry.
    """
    fraction = draw(st.floats(0.0, max_fraction))
    rng = np.random.default_rng(draw(seeds()))
    mask = rng.random(shape) < fraction
    if keep_one_per_row:
        full_rows = np.flatnonzero(mask.all(axis=1))
        mask[full_rows, rng.integers(0, shape[1], size=full_rows.size)] = False
    return mask
