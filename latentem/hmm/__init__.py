"""Hidden Markov models: one LatentModel with any emission family, and fast inference.

:class:`HiddenMarkovModel` is the model (Baum-Welch is EM on it);
:class:`Sequences` holds several sequences (``X`` plus ``lengths``);
:mod:`latentem.hmm.emissions` holds the emission families and the generic
wrapper for any :class:`~latentem.distributions.Distribution`;
:mod:`latentem.hmm.inference` holds forward-backward, Viterbi and MAP
decoding on emission log-probabilities.
"""

from latentem.hmm.emissions import (
    CategoricalEmissions,
    Emissions,
    GaussianEmissions,
    GaussianMixtureEmissions,
    GaussianPrior,
    IndependentEmissions,
    PoissonEmissions,
)
from latentem.hmm.inference import forward_backward, map_decode, viterbi_decode
from latentem.hmm.model import DECODERS, HiddenMarkovModel, HMMStats
from latentem.hmm.sequences import Sequences, as_sequences, split_sequences

__all__ = [
    "DECODERS",
    "CategoricalEmissions",
    "Emissions",
    "GaussianEmissions",
    "GaussianMixtureEmissions",
    "GaussianPrior",
    "HMMStats",
    "HiddenMarkovModel",
    "IndependentEmissions",
    "PoissonEmissions",
    "Sequences",
    "as_sequences",
    "forward_backward",
    "map_decode",
    "split_sequences",
    "viterbi_decode",
]
