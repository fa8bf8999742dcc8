"""hmmlearn-compatible hidden Markov model estimators."""

from latentem.estimators.hmm.base import BaseHMM, ConvergenceMonitor
from latentem.estimators.hmm.discrete import CategoricalHMM, PoissonHMM
from latentem.estimators.hmm.gaussian import GMMHMM, GaussianHMM

__all__ = [
    "GMMHMM",
    "BaseHMM",
    "CategoricalHMM",
    "ConvergenceMonitor",
    "GaussianHMM",
    "PoissonHMM",
]
