"""Gaussian mixtures: covariance structures, assignments, initialisation and the model."""

from latentem.mixture.assignment import (
    ASSIGNMENTS,
    Assignment,
    HardAssignment,
    SoftAssignment,
    assignment,
)
from latentem.mixture.covariance import (
    COVARIANCE_TYPES,
    CovarianceType,
    DiagCovariance,
    FullCovariance,
    SphericalCovariance,
    TiedCovariance,
    covariance_type,
)
from latentem.mixture.gaussian import (
    GaussianMixtureModel,
    GaussianMixtureStats,
    accumulate_statistics,
    estimate_log_gaussian_prob,
)
from latentem.mixture.initialization import (
    INIT_METHODS,
    initial_responsibilities,
    kmeans,
    kmeans_plusplus,
)

__all__ = [
    "ASSIGNMENTS",
    "COVARIANCE_TYPES",
    "INIT_METHODS",
    "Assignment",
    "CovarianceType",
    "DiagCovariance",
    "FullCovariance",
    "GaussianMixtureModel",
    "GaussianMixtureStats",
    "HardAssignment",
    "SoftAssignment",
    "SphericalCovariance",
    "TiedCovariance",
    "accumulate_statistics",
    "assignment",
    "covariance_type",
    "estimate_log_gaussian_prob",
    "initial_responsibilities",
    "kmeans",
    "kmeans_plusplus",
]
