"""Emission families of hidden Markov models: one component per state, evaluated together."""

from latentem.hmm.emissions.base import (
    Emissions,
    IndependentEmissions,
    PerStateStats,
    as_emissions,
)
from latentem.hmm.emissions.discrete import (
    CategoricalEmissions,
    CategoricalStats,
    PoissonEmissions,
    PoissonStats,
)
from latentem.hmm.emissions.gaussian import GaussianEmissions, GaussianPrior
from latentem.hmm.emissions.gaussian_mixture import GaussianMixtureEmissions

__all__ = [
    "CategoricalEmissions",
    "CategoricalStats",
    "Emissions",
    "GaussianEmissions",
    "GaussianMixtureEmissions",
    "GaussianPrior",
    "IndependentEmissions",
    "PerStateStats",
    "PoissonEmissions",
    "PoissonStats",
    "as_emissions",
]
