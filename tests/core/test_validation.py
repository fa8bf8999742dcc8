"""Shared argument checks: the memory guard."""

import numpy as np
import pytest

import latentem
from latentem.core import validation


@pytest.fixture
def small_machine(monkeypatch):
    """A machine with 1 GB of memory, whatever this one has."""
    monkeypatch.setattr(validation, "physical_memory", lambda: 10**9)


def test_an_allocation_beyond_memory_is_a_value_error_naming_the_fix(small_machine):
    validation.check_allocation(10**8, "a table", "use fewer")  # 800 MB: fits
    with pytest.raises(ValueError, match=r"a table needs 1.6 GB, more than .* \(1 GB\); use fewer"):
        validation.check_allocation(2 * 10**8, "a table", "use fewer")


def test_a_machine_that_does_not_say_its_memory_allocates_as_asked(monkeypatch):
    monkeypatch.setattr(validation, "physical_memory", lambda: None)
    validation.check_allocation(10**30, "a table", "use fewer")


def test_sizes_fixed_by_the_arguments_are_refused_before_allocation(small_machine):
    with pytest.raises(ValueError, match=r"largest symbol in X, 100000000000\).*numpy.unique"):
        latentem.CategoricalHMM(3).fit([[0], [10**11]])
    with pytest.raises(ValueError, match="transition matrix of n_components=20000 states"):
        latentem.GaussianHMM(20_000).fit(np.zeros((10, 1)))
    with pytest.raises(ValueError, match="Baum-Welch on 100000 rows with n_components=500"):
        latentem.PoissonHMM(500).fit(np.zeros((100_000, 1)))
