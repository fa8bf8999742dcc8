"""The ``GaussianMixture`` half of scikit-learn's own ``test_mixture.py``, run against latentem.

The module's tests take each mixture estimator as a parameter; the
``GaussianMixture`` instance becomes a ``latentem.GaussianMixture`` with the
same parameters and the ``BayesianGaussianMixture`` one is left out.
"""

import pytest

pytest.importorskip("sklearn")

from sklearn.mixture import BayesianGaussianMixture, GaussianMixture

import latentem
from tests.peers.suites import DROP, load_peer_module, peer_tests

PEER_SUITE = "scikit-learn"


def latentem_half(value):
    """latentem's ``GaussianMixture`` for scikit-learn's, built with the same arguments."""
    if isinstance(value, BayesianGaussianMixture):
        return DROP
    if isinstance(value, GaussianMixture):
        defaults = GaussianMixture().get_params()
        given = {k: v for k, v in value.get_params().items() if v is not defaults[k]}
        return latentem.GaussianMixture(**given)
    return value


peer = load_peer_module(
    "sklearn.mixture.tests.test_mixture",
    {"GaussianMixture": latentem.GaussianMixture},
    swap=latentem_half,
)
globals().update(peer_tests(peer))
