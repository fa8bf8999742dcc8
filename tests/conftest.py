"""Shared test configuration: deterministic Hypothesis profiles."""

import os

from hypothesis import HealthCheck, settings

try:  # threadpoolctl comes with scikit-learn, a test dependency
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - the suite still runs, only slower
    threadpool_limits = None

# The suite runs many tiny LAPACK calls, which multi-threaded OpenBLAS slows down by
# orders of magnitude on a loaded 2-core machine (measured: 91 s against 180 s for the
# whole suite). Speed is measured by benchmarks/, never by tests.
if threadpool_limits is not None:
    threadpool_limits(limits=1, user_api="blas")

# "ci" (the default) is deterministic, so the suite gives the same verdict on every run;
# HYPOTHESIS_PROFILE=dev explores new examples with more of them.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
