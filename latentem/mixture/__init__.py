"""Mixtures: Gaussian (covariance structures, assignments, starts, fast kernels), composed."""

from latentem.mixture.assignment import (
    ASSIGNMENTS,
    Assignment,
    HardAssignment,
    SoftAssignment,
    apply_observations,
    assignment,
)
from latentem.mixture.composed import Mixture, MixtureStats
from latentem.mixture.covariance import (
    COVARIANCE_TYPES,
    CovarianceType,
    DiagCovariance,
    FullCovariance,
    SphericalCovariance,
    TiedCovariance,
    accepted_names,
    covariance_type,
    register_covariance_type,
)
from latentem.mixture.gaussian import GaussianMixtureModel
from latentem.mixture.initialization import (
    INIT_METHODS,
    initial_responsibilities,
    kmeans,
    kmeans_plusplus,
)
from latentem.mixture.kernels import GaussianData
from latentem.mixture.prior import GaussianMixturePrior
from latentem.mixture.statistics import (
    GaussianMixtureStats,
    accumulate_statistics,
    estimate_log_gaussian_prob,
)

__all__ = [
    "ASSIGNMENTS",
    "COVARIANCE_TYPES",
    "accepted_names",
    "INIT_METHODS",
    "Assignment",
    "CovarianceType",
    "DiagCovariance",
    "FullCovariance",
    "GaussianData",
    "GaussianMixtureModel",
    "GaussianMixturePrior",
    "GaussianMixtureStats",
    "HardAssignment",
    "Mixture",
    "MixtureStats",
    "SoftAssignment",
    "SphericalCovariance",
    "TiedCovariance",
    "accumulate_statistics",
    "apply_observations",
    "assignment",
    "covariance_type",
    "estimate_log_gaussian_prob",
    "initial_responsibilities",
    "kmeans",
    "kmeans_plusplus",
    "register_covariance_type",
]
