"""Fast Gaussian-mixture kernels: all components at once, as matrix products over row blocks.

* :mod:`~latentem.mixture.kernels.frame`: the centred, scaled or whitened
  coordinates the expansions are evaluated in;
* :mod:`~latentem.mixture.kernels.features`: per-row features (products
  ``y_i y_j``, squares, coordinates);
* :mod:`~latentem.mixture.kernels.base`: the kernel protocol (parameters as
  coefficients on the features, moments, statistics), implemented per covariance
  structure in :mod:`~latentem.mixture.kernels.full`,
  :mod:`~latentem.mixture.kernels.diagonal` and
  :mod:`~latentem.mixture.kernels.tied`;
* :mod:`~latentem.mixture.kernels.responsibilities`: soft and hard
  responsibilities of a block, labels and sample weights;
* :mod:`~latentem.mixture.kernels.data`: :class:`GaussianData`, rows prepared
  once per fit, and the memory budget of the feature cache;
* :mod:`~latentem.mixture.kernels.blocks`: blocked, threaded passes, with
  BLAS held to one thread (:mod:`~latentem.mixture.kernels.threads`);
* :mod:`~latentem.mixture.kernels.passes`: the E-step, M-step moments and
  inference as passes over the data.

The package exports what a user of the kernels needs: :class:`GaussianData`
and :func:`prepare_data`, the kernels and their budgets; the building blocks
stay in their modules.
"""

from latentem.mixture.kernels.base import Kernel
from latentem.mixture.kernels.data import (
    BLOCK_BYTES,
    FEATURE_CACHE_BYTES,
    KERNEL_DTYPES,
    GaussianData,
    prepare_data,
)
from latentem.mixture.kernels.diagonal import DiagKernel, SphericalKernel
from latentem.mixture.kernels.full import FullFactorKernel, FullKernel, full_kernel
from latentem.mixture.kernels.responsibilities import log_floor
from latentem.mixture.kernels.tied import TiedKernel

__all__ = [
    "BLOCK_BYTES",
    "FEATURE_CACHE_BYTES",
    "KERNEL_DTYPES",
    "DiagKernel",
    "FullFactorKernel",
    "FullKernel",
    "GaussianData",
    "Kernel",
    "SphericalKernel",
    "TiedKernel",
    "full_kernel",
    "log_floor",
    "prepare_data",
]
