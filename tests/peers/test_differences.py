"""The expected failures listed on the "Differences from ..." pages name real peer tests."""

import importlib

import pytest

from tests.peers.suites import SUITES, documented_differences, peer_tests

#: suite -> the test modules of tests/peers that run it
RUNNERS = {
    "scikit-learn": [
        "tests.peers.test_sklearn_gaussian_mixture",
        "tests.peers.test_sklearn_mixture",
    ],
}


@pytest.mark.parametrize("suite", sorted(RUNNERS))
def test_every_listed_failure_names_a_peer_test(suite):
    pytest.importorskip(suite.replace("scikit-learn", "sklearn"))
    names = set()
    for runner in RUNNERS[suite]:
        names |= set(peer_tests(importlib.import_module(runner).peer))
    listed = documented_differences(suite)
    assert listed, f"no expected failure listed for {suite} on {SUITES[suite][0]}"
    for pattern, reason in listed.items():
        assert pattern.split("[")[0].split("::")[0] in names, pattern
        assert reason.endswith("."), f"the reason for {pattern} is not one sentence"
