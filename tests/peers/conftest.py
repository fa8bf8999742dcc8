"""Run peer projects' own tests against latentem: their fixtures, and the expected failures.

The fixtures are those scikit-learn's own ``conftest.py`` gives its tests (that
file is not loaded here). Every peer test whose name is listed on a
"Differences from ..." docs page is marked ``xfail(strict=True)`` with the
page's reason, so the suite notices when one starts to pass; set
``LATENTEM_PEERS_RAW=1`` to run them unmarked (how ``scripts/peer_suites.py
--raw`` counts them).
"""

import os

import numpy as np
import pytest

from tests.peers.suites import documented_differences, expected_failure


@pytest.fixture(params=[np.float32, np.float64])
def global_dtype(request):
    # scikit-learn runs float32 only when SKLEARN_RUN_FLOAT32_TESTS=1; both always run here
    return request.param


@pytest.fixture(autouse=True)
def _hmmlearn_seed(request):
    # hmmlearn's conftest seeds NumPy's global state, with HMMLEARN_SEED or a random seed;
    # here the seed is fixed (0 by default) so that every run gives the same verdict
    if getattr(request.module, "PEER_SUITE", None) == "hmmlearn":
        np.random.seed(int(os.environ.get("HMMLEARN_SEED", "0")))  # noqa: NPY002


def pytest_generate_tests(metafunc):
    if "global_random_seed" in metafunc.fixturenames:
        seed = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42")
        metafunc.parametrize("global_random_seed", [int(seed)])


def pytest_collection_modifyitems(config, items):
    raw = os.environ.get("LATENTEM_PEERS_RAW", "0") != "0"
    for item in items:
        suite = getattr(getattr(item, "module", None), "PEER_SUITE", None)
        if suite is None:
            continue
        # a warning is no failure in the peers' own runs (a user sees it and goes on)
        item.add_marker(pytest.mark.filterwarnings("default::latentem.ObjectiveDecreaseWarning"))
        reason = None if raw else expected_failure(documented_differences(suite), item)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
