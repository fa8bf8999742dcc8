"""Component families for mixtures and HMM emissions.

Every family implements :class:`Distribution`: ``log_prob``, additive weighted
``statistics``, a maximum-likelihood (or MAP) ``maximize``, ``sample``,
``n_parameters``, ``n_features`` and optional ``check_data`` / ``log_prior``.
Data are always 2-D, shape (n_samples, n_features).
"""

from latentem.distributions.base import (
    Distribution,
    prior_of_type,
    support_error,
    total_weight,
)
from latentem.distributions.circular import VonMises
from latentem.distributions.discrete import Bernoulli, Categorical, Geometric, Poisson
from latentem.distributions.gamma import Exponential, Gamma
from latentem.distributions.independent import Independent, IndependentStats
from latentem.distributions.normal import LogNormal, MultivariateNormal, Normal
from latentem.distributions.priors import (
    BetaPrior,
    DirichletPrior,
    GammaPrior,
    NormalInverseWishart,
)
from latentem.distributions.statistics import Moments, WeightedSums

__all__ = [
    "Bernoulli",
    "BetaPrior",
    "Categorical",
    "DirichletPrior",
    "Distribution",
    "Exponential",
    "Gamma",
    "GammaPrior",
    "Geometric",
    "Independent",
    "IndependentStats",
    "LogNormal",
    "Moments",
    "MultivariateNormal",
    "Normal",
    "NormalInverseWishart",
    "Poisson",
    "VonMises",
    "WeightedSums",
    "prior_of_type",
    "support_error",
    "total_weight",
]
