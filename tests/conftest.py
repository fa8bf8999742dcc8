"""Shared test configuration: deterministic Hypothesis profiles."""

import os

from hypothesis import HealthCheck, settings

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
