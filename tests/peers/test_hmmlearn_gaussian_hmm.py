"""hmmlearn's own ``test_gaussian_hmm.py``, run against latentem.

Part of the default run; ``LATENTEM_PEERS_HMMLEARN=0`` leaves it out.

Imported from the installed wheel with ``hmm`` (and ``ConvergenceMonitor``)
pointed at latentem's classes (see :mod:`tests.peers.suites`).
"""

from tests.peers.suites import load_hmmlearn, peer_tests

PEER_SUITE = "hmmlearn"
peer = load_hmmlearn("hmmlearn.tests.test_gaussian_hmm")
globals().update(peer_tests(peer))
