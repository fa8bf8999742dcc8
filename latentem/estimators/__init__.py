"""Front classes following scikit-learn's and hmmlearn's conventions."""

from latentem.estimators.base import Estimator
from latentem.estimators.gaussian_mixture import GaussianMixture
from latentem.estimators.hmm import GMMHMM, CategoricalHMM, GaussianHMM, PoissonHMM
from latentem.estimators.imputer import EMImputer

__all__ = [
    "GMMHMM",
    "CategoricalHMM",
    "EMImputer",
    "Estimator",
    "GaussianHMM",
    "GaussianMixture",
    "PoissonHMM",
]
