"""Hypothesis strategies for property tests of latent models.

Importing this module needs Hypothesis (``pip install hypothesis``); the rest
of :mod:`latentem.testing` does not.

Examples
--------
>>> from hypothesis import given, settings
>>> from latentem.testing import strategies as lst
>>> @settings(max_examples=5, derandomize=True, deadline=None)
... @given(lst.simplex_weights(3))
... def test_weights_sum_to_one(weights):
...     assert abs(weights.sum() - 1) < 1e-12
>>> test_weights_sum_to_one()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
from hypothesis import strategies as st

from latentem.distributions import (
    Bernoulli,
    Categorical,
    Distribution,
    Exponential,
    Gamma,
    Geometric,
    Independent,
    LogNormal,
    MultivariateNormal,
    Normal,
    Poisson,
    VonMises,
)
from latentem.hmm.emissions import (
    CategoricalEmissions,
    GaussianEmissions,
    GaussianPrior,
    PoissonEmissions,
)
from latentem.hmm.model import HiddenMarkovModel
from latentem.hmm.sequences import Sequences
from latentem.mixture.composed import Mixture
from latentem.mixture.covariance import COVARIANCE_TYPES, covariance_type
from latentem.mixture.gaussian import GaussianMixtureModel

__all__ = [
    "HMM_EMISSIONS",
    "SUPPORTS",
    "distributions",
    "gaussian_mixture_data",
    "gaussian_mixture_models",
    "hmm_data",
    "hmm_models",
    "missing_masks",
    "mixture_data",
    "mixture_problems",
    "mixtures",
    "seeds",
    "simplex_weights",
    "spd_matrices",
]


def seeds() -> st.SearchStrategy[int]:
    """Seeds for ``numpy.random.default_rng``.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(lst.seeds())
    ... def test_seed(seed):
    ...     assert 0 <= seed < 2**32
    >>> test_seed()
    """
    return st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def simplex_weights(draw: Any, n_components: int, min_weight: float = 0.05) -> np.ndarray:
    """Weights on the simplex, each at least ``min_weight`` (which must be below 1/n).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(lst.simplex_weights(4, min_weight=0.1))
    ... def test_weights(weights):
    ...     assert weights.min() >= 0.1 - 1e-12 and abs(weights.sum() - 1) < 1e-12
    >>> test_weights()
    """
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
    """Symmetric positive-definite matrices with eigenvalues in the given range.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> import numpy as np
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(lst.spd_matrices(3, min_eigenvalue=0.5))
    ... def test_spd(matrix):
    ...     assert np.linalg.eigvalsh(matrix).min() > 0.5 - 1e-9
    >>> test_spd()
    """
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
    """Covariances of ``structure``: the nearest ones to k random SPD matrices."""
    matrices = np.stack([draw(spd_matrices(d)) for _ in range(k)])
    return covariance_type(structure).from_full_matrices(matrices)


def _structures(covariance_types: tuple[str, ...] | None) -> tuple[str, ...]:
    # read at draw time, so structures registered after import are included
    return tuple(COVARIANCE_TYPES) if covariance_types is None else covariance_types


@st.composite
def gaussian_mixture_models(
    draw: Any,
    n_components: st.SearchStrategy[int] | None = None,
    n_features: st.SearchStrategy[int] | None = None,
    covariance_types: tuple[str, ...] | None = None,
    assignments: tuple[str, ...] = ("soft", "hard"),
    reg_covar: float = 0.0,
    mean_scale: float = 5.0,
) -> GaussianMixtureModel:
    """Random :class:`~latentem.GaussianMixtureModel` instances.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> from hypothesis import strategies as st
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(lst.gaussian_mixture_models(n_components=st.just(2), covariance_types=("diag",)))
    ... def test_models(model):
    ...     assert model.covariances.shape == (2, model.n_features)
    >>> test_models()
    """
    k = draw(n_components if n_components is not None else st.integers(1, 4))
    d = draw(n_features if n_features is not None else st.integers(1, 3))
    structure = draw(st.sampled_from(_structures(covariance_types)))
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
    """A model and data sampled from it: ``(model, X)``.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> import math
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(lst.gaussian_mixture_data())
    ... def test_sampled_data_fit_the_model(model_and_data):
    ...     model, X = model_and_data
    ...     assert X.shape[1] == model.n_features
    ...     assert math.isfinite(model.log_likelihood(X))
    >>> test_sampled_data_fit_the_model()
    """
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

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(lst.missing_masks((10, 3), max_fraction=0.5))
    ... def test_masks(mask):
    ...     assert mask.shape == (10, 3) and not mask.all(axis=1).any()
    >>> test_masks()
    """
    fraction = draw(st.floats(0.0, max_fraction))
    rng = np.random.default_rng(draw(seeds()))
    mask = rng.random(shape) < fraction
    if keep_one_per_row:
        full_rows = np.flatnonzero(mask.all(axis=1))
        mask[full_rows, rng.integers(0, shape[1], size=full_rows.size)] = False
    return mask


# -- component families and mixtures of them ------------------------------------------


def _family(family: Callable[..., Distribution], *ranges: tuple[float, float]) -> Any:
    """Draws ``family`` with one parameter per ``(low, high)`` range, in order."""

    def draw_family(draw: Any, d: int) -> Distribution:
        return family(*(draw(st.floats(low, high)) for low, high in ranges))

    return draw_family


def _bernoulli(draw: Any, d: int) -> Distribution:
    return Bernoulli(draw(st.lists(st.floats(0.05, 0.95), min_size=d, max_size=d)))


def _categorical(draw: Any, d: int) -> Distribution:
    return Categorical(draw(simplex_weights(d, min_weight=0.05)))


def _multivariate_normal(draw: Any, d: int) -> Distribution:
    mean = np.random.default_rng(draw(seeds())).normal(scale=3.0, size=d)
    if draw(st.booleans()):
        return MultivariateNormal(mean, draw(spd_matrices(d, 0.3, 5.0)))
    return MultivariateNormal(mean, draw(st.lists(st.floats(0.3, 5.0), min_size=d, max_size=d)))


SUPPORTS: dict[str, tuple[Any, ...]] = {
    "real": (
        _family(Normal, (-5.0, 5.0), (0.5, 3.0)),
        _family(VonMises, (-np.pi, np.pi), (0.1, 10.0)),
    ),
    "positive": (
        _family(Exponential, (0.2, 5.0)),
        _family(Gamma, (0.5, 10.0), (0.2, 5.0)),
        _family(LogNormal, (-1.0, 1.0), (0.3, 1.5)),
    ),
    "counts": (_family(Poisson, (0.5, 20.0)),),
    "trials": (_family(Geometric, (0.05, 0.95)),),
    "binary": (_bernoulli,),
    "symbols": (_categorical,),
    "vectors": (_multivariate_normal,),
}
"""Groups of families sharing a support, so that any of them can model data of any other.

``binary``, ``symbols`` and ``vectors`` take a size (columns, symbols, dimension).
"""

_SIZED = ("binary", "symbols", "vectors")


@st.composite
def distributions(
    draw: Any, support: str | None = None, size: st.SearchStrategy[int] | None = None
) -> Distribution:
    """Random instances of the built-in families of one support (see :data:`SUPPORTS`).

    Parameters
    ----------
    support : str, optional
        A key of :data:`SUPPORTS`; drawn at random if omitted.
    size : strategy of int, optional
        Number of columns (``binary``, ``vectors``) or symbols (``symbols``);
        2 to 3 by default.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> import numpy as np
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(lst.distributions())
    ... def test_samples_have_finite_log_density(family):
    ...     x = family.sample(20, np.random.default_rng(0))
    ...     assert np.all(np.isfinite(family.log_prob(x)))
    >>> test_samples_have_finite_log_density()
    """
    support = draw(st.sampled_from(sorted(SUPPORTS))) if support is None else support
    d = draw(size if size is not None else st.integers(2, 3)) if support in _SIZED else 1
    return cast(Distribution, draw(st.sampled_from(SUPPORTS[support]))(draw, d))


@st.composite
def _signatures(draw: Any) -> tuple[tuple[str, int], ...]:
    """A tuple of (support, size) per part: one part, or an Independent of 2-3 parts."""
    supports = sorted(SUPPORTS)
    n_parts = draw(st.sampled_from([1, 1, 2, 3]))
    parts = []
    for _ in range(n_parts):
        support = draw(st.sampled_from(supports))
        parts.append((support, draw(st.integers(2, 3)) if support in _SIZED else 1))
    return tuple(parts)


def _component(draw: Any, signature: tuple[tuple[str, int], ...]) -> Distribution:
    parts = [draw(distributions(support, st.just(size))) for support, size in signature]
    return parts[0] if len(parts) == 1 else Independent(parts)


@st.composite
def mixtures(
    draw: Any,
    n_components: st.SearchStrategy[int] | None = None,
    signature: tuple[tuple[str, int], ...] | None = None,
) -> Mixture:
    """Random :class:`~latentem.Mixture` instances whose components share a support.

    Each component is one family of a support group, or an
    :class:`~latentem.distributions.Independent` product over groups; all
    components use the same groups, so data from one suit every other.

    Parameters
    ----------
    n_components : strategy of int, optional
        1 to 3 by default.
    signature : tuple of (support, size) pairs, optional
        The groups of the columns; drawn at random if omitted.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> from hypothesis import strategies as st
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(lst.mixtures(n_components=st.just(2)))
    ... def test_two_components(mixture):
    ...     assert len(mixture) == 2 and abs(mixture.weights.sum() - 1) < 1e-12
    >>> test_two_components()
    """
    k = draw(n_components if n_components is not None else st.integers(1, 3))
    signature = draw(_signatures()) if signature is None else signature
    components = [_component(draw, signature) for _ in range(k)]
    return Mixture(components, draw(simplex_weights(k)))


@st.composite
def mixture_data(
    draw: Any,
    models: st.SearchStrategy[Mixture] | None = None,
    n_samples: st.SearchStrategy[int] | None = None,
) -> tuple[Mixture, np.ndarray]:
    """A mixture and data sampled from it: ``(mixture, X)``.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> import math
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(lst.mixture_data())
    ... def test_data_fit_their_mixture(mixture_and_data):
    ...     mixture, X = mixture_and_data
    ...     assert math.isfinite(mixture.log_likelihood(X))
    >>> test_data_fit_their_mixture()
    """
    model = draw(models if models is not None else mixtures())
    n = draw(n_samples if n_samples is not None else st.integers(30, 150))
    X, _ = model.sample(n, random_state=draw(seeds()))
    return model, X


@st.composite
def mixture_problems(
    draw: Any,
    n_components: st.SearchStrategy[int] | None = None,
    n_samples: st.SearchStrategy[int] | None = None,
) -> tuple[Mixture, np.ndarray]:
    """A starting mixture and data from *another* mixture of the same families: ``(start, X)``.

    What a property test of EM needs: a fit that has somewhere to go.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> from latentem.testing import assert_monotone
    >>> @settings(max_examples=3, derandomize=True, deadline=None)
    ... @given(lst.mixture_problems())
    ... def test_em_never_decreases(problem):
    ...     start, X = problem
    ...     assert_monotone(start, X, n_iter=5)
    >>> test_em_never_decreases()
    """
    signature = draw(_signatures())
    k = draw(n_components if n_components is not None else st.integers(1, 3))
    truth = draw(mixtures(st.just(k), signature))
    start = draw(mixtures(st.just(k), signature))
    n = draw(n_samples if n_samples is not None else st.integers(30, 150))
    X, _ = truth.sample(n, random_state=draw(seeds()))
    return start, X


HMM_EMISSIONS = ("gaussian", "categorical", "poisson")


@st.composite
def _transition_matrix(draw: Any, n_states: int, structural_zeros: bool) -> np.ndarray:
    rows = [draw(simplex_weights(n_states, min_weight=0.0)) for _ in range(n_states)]
    matrix = np.array(rows)
    if structural_zeros and n_states > 1 and draw(st.booleans()):
        # forbid some transitions (never a whole row) to exercise structural zeros
        mask = np.random.default_rng(draw(seeds())).random((n_states, n_states)) < 0.3
        mask[np.arange(n_states), np.arange(n_states)] = False
        matrix = np.where(mask, 0.0, matrix)
        matrix /= matrix.sum(axis=1, keepdims=True)
    return matrix


def _weak_prior(name: str, k: int, d: int, scale: float) -> GaussianPrior | None:
    """``Psi`` = ``scale`` times the identity, ``nu = 0``, no prior on the means."""
    structure = covariance_type(name)
    if not structure.supports_conjugate_prior:
        return None
    psi = structure.from_full_matrices(scale * np.broadcast_to(np.eye(d), (k, d, d)))
    dof = np.zeros(structure.conjugate_dof_shape(k, d))
    return GaussianPrior(np.zeros((k, d)), np.zeros(k), psi, dof, structure)


@st.composite
def hmm_models(
    draw: Any,
    n_states: st.SearchStrategy[int] | None = None,
    n_features: st.SearchStrategy[int] | None = None,
    emissions: tuple[str, ...] = HMM_EMISSIONS,
    covariance_types: tuple[str, ...] | None = None,
    structural_zeros: bool = True,
    covariance_prior: float = 1e-2,
) -> HiddenMarkovModel:
    """Random :class:`~latentem.hmm.HiddenMarkovModel` instances.

    Parameters
    ----------
    n_states, n_features : strategies of int, optional
        1-4 states and 1-3 features (symbols: 2-5) by default.
    emissions : tuple of {"gaussian", "categorical", "poisson"}
    covariance_types : tuple of str
        For Gaussian emissions.
    structural_zeros : bool
        Whether transition matrices may contain zeros (a state's own
        transition and its row sum stay positive).
    covariance_prior : float, default=1e-2
        Scale of a weak :class:`~latentem.hmm.GaussianPrior` (``Psi`` =
        this times the identity, ``nu = 0``, no prior on the means) that
        keeps a Gaussian state fitted to one or two points from collapsing;
        0 gives maximum likelihood.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from latentem.testing import strategies as lst
    >>> @settings(max_examples=5, derandomize=True)
    ... @given(lst.hmm_models(emissions=("poisson",)))
    ... def test_rows_are_stochastic(model):
    ...     assert abs(model.transmat.sum(axis=1) - 1).max() < 1e-12
    >>> test_rows_are_stochastic()
    """
    k = draw(n_states if n_states is not None else st.integers(1, 4))
    family = draw(st.sampled_from(emissions))
    rng = np.random.default_rng(draw(seeds()))
    if family == "gaussian":
        d = draw(n_features if n_features is not None else st.integers(1, 3))
        structure = draw(st.sampled_from(_structures(covariance_types)))
        model_emissions: Any = GaussianEmissions(
            rng.normal(scale=3.0, size=(k, d)),
            _covariances(draw, structure, k, d),
            structure,
            prior=_weak_prior(structure, k, d, covariance_prior) if covariance_prior else None,
        )
    elif family == "categorical":
        n_symbols = draw(n_features if n_features is not None else st.integers(2, 5))
        model_emissions = CategoricalEmissions(
            np.array([draw(simplex_weights(n_symbols, min_weight=0.02)) for _ in range(k)])
        )
    else:
        d = draw(n_features if n_features is not None else st.integers(1, 3))
        model_emissions = PoissonEmissions(rng.uniform(0.5, 10.0, size=(k, d)))
    return HiddenMarkovModel(
        startprob=draw(simplex_weights(k, min_weight=0.0)),
        transmat=draw(_transition_matrix(k, structural_zeros)),
        emissions=model_emissions,
    )


@st.composite
def hmm_data(
    draw: Any,
    models: st.SearchStrategy[HiddenMarkovModel] | None = None,
    n_sequences: st.SearchStrategy[int] | None = None,
    lengths: st.SearchStrategy[int] | None = None,
) -> tuple[HiddenMarkovModel, Sequences]:
    """A model and :class:`~latentem.hmm.Sequences` sampled from it: ``(model, data)``.

    By default 1-5 sequences of 1-40 steps (length-1 sequences included).

    Examples
    --------
    >>> from hypothesis import given, settings, strategies as st
    >>> from latentem.hmm import split_sequences
    >>> from latentem.testing import check_latent_model, strategies as lst
    >>> @settings(max_examples=5, derandomize=True, deadline=None)
    ... @given(lst.hmm_data(n_sequences=st.integers(2, 3)))
    ... def test_contract(model_and_data):
    ...     model, data = model_and_data
    ...     check_latent_model(model, data, split=split_sequences, n_iter=3)
    >>> test_contract()
    """
    model = draw(models if models is not None else hmm_models())
    count = draw(n_sequences if n_sequences is not None else st.integers(1, 5))
    sizes = [draw(lengths if lengths is not None else st.integers(1, 40)) for _ in range(count)]
    seed = draw(seeds())
    pieces = [model.sample(size, random_state=seed + i)[0] for i, size in enumerate(sizes)]
    return model, Sequences(np.concatenate(pieces), sizes)
