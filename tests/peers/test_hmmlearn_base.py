"""hmmlearn's own ``test_base.py``, run against latentem.

Part of the default run; ``LATENTEM_PEERS_HMMLEARN=0`` leaves it out.

Imported from the installed wheel with ``hmm`` (and ``ConvergenceMonitor``)
pointed at latentem's classes (see :mod:`tests.peers.suites`).
"""

from tests.peers.suites import load_hmmlearn, peer_tests

PEER_SUITE = "hmmlearn"

TESTS = {"TestMonitor"}  # ConvergenceMonitor's tests; the rest test hmmlearn's BaseHMM
peer = load_hmmlearn("hmmlearn.tests.test_base")
globals().update({k: v for k, v in peer_tests(peer).items() if k in TESTS})
