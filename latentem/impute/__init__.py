"""Missing data: imputation from a multivariate normal or a Gaussian mixture fitted by EM.

The latent-variable model is :class:`~latentem.mixture.GaussianMixtureModel`
(with one component, the multivariate normal), whose E-step takes the
expectation over missing entries (NaN) as well as over the component labels
(:mod:`latentem.mixture.missing`); this package turns a fitted model into
filled-in data. :class:`latentem.EMImputer` is the scikit-learn style front.
"""

from latentem.impute.conditional import (
    conditional_expectation,
    draw_imputations,
    mixture_moments,
)

__all__ = ["conditional_expectation", "draw_imputations", "mixture_moments"]
