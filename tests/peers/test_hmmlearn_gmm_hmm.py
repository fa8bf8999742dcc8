"""hmmlearn's own ``test_gmm_hmm.py``, run against latentem.

Opt-in: it runs with ``LATENTEM_PEERS_HMMLEARN=1`` (``scripts/peer_suites.py --hmmlearn``).

Imported from the installed wheel with ``hmm`` (and ``ConvergenceMonitor``)
pointed at latentem's classes (see :mod:`tests.peers.suites`).
"""

from tests.peers.suites import load_hmmlearn, peer_tests

PEER_SUITE = "hmmlearn"
peer = load_hmmlearn("hmmlearn.tests.test_gmm_hmm")
globals().update(peer_tests(peer))
pytestmark = peer.pytestmark  # hmmlearn's own: these tests fail on hmmlearn too (xfail)
