"""hmmlearn's own ``test_base.py``, run against latentem.

Opt-in: it runs with ``LATENTEM_PEERS_HMMLEARN=1`` (``scripts/peer_suites.py --hmmlearn``).

Imported from the installed wheel with ``hmm`` (and ``ConvergenceMonitor``)
pointed at latentem's classes (see :mod:`tests.peers.suites`).
"""

import pytest

pytest.importorskip("hmmlearn")

from tests.peers.suites import HMMLEARN_OPT_IN, hmmlearn_names, load_peer_module, peer_tests

PEER_SUITE = "hmmlearn"
pytestmark = HMMLEARN_OPT_IN

TESTS = {"TestMonitor"}  # ConvergenceMonitor's tests; the rest test hmmlearn's BaseHMM
peer = load_peer_module("hmmlearn.tests.test_base", hmmlearn_names())
globals().update({k: v for k, v in peer_tests(peer).items() if k in TESTS})
