"""Public checks of the :class:`~latentem.LatentModel` contract, for latentem and for users.

``assert_monotone`` and ``check_latent_model`` work with any model;
``latentem.testing.strategies`` (which needs Hypothesis) offers strategies for
property tests.
"""

from latentem.testing.checks import (
    assert_models_close,
    assert_monotone,
    check_latent_model,
    split_rows,
)
from latentem.testing.structures import check_covariance_structure

__all__ = [
    "assert_models_close",
    "assert_monotone",
    "check_covariance_structure",
    "check_latent_model",
    "split_rows",
]
