"""Front classes following scikit-learn's and hmmlearn's conventions."""

from latentem.estimators.base import Estimator
from latentem.estimators.gaussian_mixture import GaussianMixture

__all__ = ["Estimator", "GaussianMixture"]
