"""hmmlearn's own ``test_gmm_hmm.py``, run against latentem.

Opt-in: it runs with ``LATENTEM_PEERS_HMMLEARN=1`` (``scripts/peer_suites.py --hmmlearn``).

Imported from the installed wheel with ``hmm`` (and ``ConvergenceMonitor``)
pointed at latentem's classes (see :mod:`tests.peers.suites`).
"""

import pytest

pytest.importorskip("hmmlearn")

from tests.peers.suites import HMMLEARN_OPT_IN, hmmlearn_names, load_peer_module, peer_tests

PEER_SUITE = "hmmlearn"
pytestmark = HMMLEARN_OPT_IN
peer = load_peer_module("hmmlearn.tests.test_gmm_hmm", hmmlearn_names())
globals().update(peer_tests(peer))
