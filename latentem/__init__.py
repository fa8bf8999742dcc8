"""latentem: latent-variable models fitted by expectation-maximization.

One protocol (:class:`LatentModel`) drives one engine (:class:`EM`); Gaussian
mixtures are the flagship plugin, behind a scikit-learn compatible
:class:`GaussianMixture`.
"""

from latentem.core import (
    EM,
    AdditiveStatistics,
    ArrayChunks,
    Chunks,
    ConvergenceWarning,
    DegenerateFitWarning,
    EMResult,
    LatentModel,
    NotFittedError,
    ObjectiveDecreaseWarning,
    Observations,
    OnlineEM,
    OnlineState,
    Squarem,
    Statistics,
)
from latentem.estimators import (
    GMMHMM,
    CategoricalHMM,
    EMImputer,
    GaussianHMM,
    GaussianMixture,
    PoissonHMM,
)
from latentem.hmm import HiddenMarkovModel, Sequences
from latentem.io import Checkpoint, load, load_checkpoint, save
from latentem.mixture import GaussianData, GaussianMixtureModel, GaussianMixturePrior, Mixture
from latentem.selection import ModelSelection, SelectionResult, select_model, select_n_components

__version__ = "0.1.0.dev0"

__all__ = [
    "EM",
    "GMMHMM",
    "AdditiveStatistics",
    "ArrayChunks",
    "Checkpoint",
    "Chunks",
    "ConvergenceWarning",
    "DegenerateFitWarning",
    "CategoricalHMM",
    "EMImputer",
    "EMResult",
    "GaussianData",
    "GaussianHMM",
    "GaussianMixture",
    "GaussianMixtureModel",
    "GaussianMixturePrior",
    "HiddenMarkovModel",
    "LatentModel",
    "Mixture",
    "NotFittedError",
    "ObjectiveDecreaseWarning",
    "Observations",
    "OnlineEM",
    "OnlineState",
    "PoissonHMM",
    "Sequences",
    "ModelSelection",
    "SelectionResult",
    "Squarem",
    "Statistics",
    "__version__",
    "load",
    "load_checkpoint",
    "save",
    "select_model",
    "select_n_components",
]
