"""The core: the LatentModel protocol, additive statistics, data sources and the EM engine."""

from latentem.core.acceleration import PlainEM, Squarem, Stepping, Vectorizable
from latentem.core.data import (
    Chunks,
    DataSource,
    InMemory,
    Observations,
    as_observations,
    as_source,
)
from latentem.core.engine import EM, EMResult, expected_statistics
from latentem.core.exceptions import (
    ConvergenceWarning,
    DegenerateFitWarning,
    NotFittedError,
    ObjectiveDecreaseWarning,
)
from latentem.core.model import LatentModel, Statistics
from latentem.core.online import OnlineEM, OnlineState
from latentem.core.sources import ArrayChunks, DaskArray
from latentem.core.stats import AdditiveStatistics

__all__ = [
    "EM",
    "AdditiveStatistics",
    "ArrayChunks",
    "Chunks",
    "ConvergenceWarning",
    "DegenerateFitWarning",
    "DaskArray",
    "DataSource",
    "EMResult",
    "InMemory",
    "LatentModel",
    "NotFittedError",
    "ObjectiveDecreaseWarning",
    "Observations",
    "OnlineEM",
    "OnlineState",
    "PlainEM",
    "Squarem",
    "Statistics",
    "Stepping",
    "Vectorizable",
    "as_observations",
    "as_source",
    "expected_statistics",
]
