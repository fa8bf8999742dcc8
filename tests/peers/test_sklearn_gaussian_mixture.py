"""scikit-learn's own ``test_gaussian_mixture.py``, run against latentem.

Imported from the installed wheel with ``GaussianMixture`` pointed at
``latentem.GaussianMixture`` (see :mod:`tests.peers.suites`).
"""

import pytest

pytest.importorskip("sklearn")

import latentem
from tests.peers.suites import load_peer_module, peer_tests

PEER_SUITE = "scikit-learn"
peer = load_peer_module(
    "sklearn.mixture.tests.test_gaussian_mixture", {"GaussianMixture": latentem.GaussianMixture}
)
globals().update(peer_tests(peer))
