"""The core: the LatentModel protocol, additive statistics, data sources and the EM engine."""

from latentem.core.data import (
    Chunks,
    DataSource,
    InMemory,
    Observations,
    as_observations,
    as_source,
)
from latentem.core.engine import EM, EMResult, expected_statistics
from latentem.core.exceptions import ConvergenceWarning, NotFittedError, ObjectiveDecreaseWarning
from latentem.core.model import LatentModel, Statistics
from latentem.core.stats import AdditiveStatistics

__all__ = [
    "EM",
    "AdditiveStatistics",
    "Chunks",
    "ConvergenceWarning",
    "DataSource",
    "EMResult",
    "InMemory",
    "LatentModel",
    "NotFittedError",
    "ObjectiveDecreaseWarning",
    "Observations",
    "Statistics",
    "as_observations",
    "as_source",
    "expected_statistics",
]
