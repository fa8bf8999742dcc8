"""The shared argument checks: messages naming the argument, and the memory guard."""

import numpy as np
import pytest

import latentem
from latentem.core import validation
from latentem.core.validation import check_array, check_numbers, readonly_array


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


NOT_NUMBERS = [
    (["a", "b"], TypeError, r"w must contain numbers only; got dtype <U1 .*convert it to floats"),
    ("abc", TypeError, r"w must be an array of numbers; got a str"),
    ({"a": 1}, TypeError, r"w must contain numbers only; got dtype object"),
    ([1j, 2.0], ValueError, r"w must be real: Complex data not supported .*w\.real"),
    ([[1.0], [1.0, 2.0]], ValueError, r"w could not be read as an array of numbers \(setting"),
    (np.array([b"x"]), TypeError, r"w must contain numbers only; got dtype \|S1"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), TypeError, r"w must contain numbers"),
]


@pytest.mark.parametrize(("value", "error", "message"), NOT_NUMBERS)
def test_check_numbers_names_what_it_got_never_numpys_own_message(value, error, message):
    with pytest.raises(error, match=message):
        check_numbers(value, "w")
    with pytest.raises(error, match=message):  # check_array converts the same way
        check_array(value, "w", ndim=1)


def test_check_numbers_converts_numbers_and_their_strings():
    assert check_numbers([True, 2], "w").tolist() == [1, 2]
    assert check_numbers(["1.5", "2"], "w").tolist() == [1.5, 2.0]
    assert check_numbers(np.float32(3.0), "w").dtype == np.float32


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (["a"], ValueError, r"weights must be an array of numbers; got \['a'\] \(could not"),
        ([[1.0], [1.0, 2.0]], ValueError, r"weights must be an array of numbers; got \[\[1\.0\]"),
        ([{}], TypeError, r"weights must be an array of numbers; got \[\{\}\] \(float\(\)"),
        ("x" * 100, ValueError, r"got 'x{56}\.\.\. \(could not convert"),
    ],
)
def test_readonly_array_names_the_field_it_converts(value, error, message):
    with pytest.raises(error, match=message):
        readonly_array(value, name="weights")
    with pytest.raises(error, match=r"^expected an array of numbers; got "):
        readonly_array(value)


@pytest.mark.parametrize("scale", [1e154, 1e200])
def test_data_whose_squares_overflow_are_refused_with_how_to_rescale(scale):
    X = np.random.default_rng(0).normal(size=(50, 2)) * scale
    row, column = np.unravel_index(np.argmax(np.abs(X)), X.shape)
    for estimator in (latentem.GaussianMixture(2), latentem.GaussianHMM(2), latentem.EMImputer()):
        with pytest.raises(ValueError, match=rf"\(row {row}, column {column}\).*X / 1e150"):
            estimator.fit(X)
    # up to the limit, fits end with finite parameters (the frame scales by powers of two)
    fitted = latentem.GaussianMixture(2, random_state=0).fit(X / scale * 1e153)
    assert np.all(np.isfinite(fitted.covariances_))
