"""What ``fit``, ``select`` and ``impute`` check before fitting: a model too large for memory."""

import numpy as np
import pytest

from latentem import GaussianMixture
from latentem.cli import main
from latentem.cli.common import check_model_size
from latentem.core import validation
from latentem.io.tables import read_columns

GIB = 2**30


@pytest.fixture(scope="module")
def wide_csv(tmp_path_factory):
    """3 rows of 200,000 numbers: a transposed file, or a table of far too many columns."""
    path = tmp_path_factory.mktemp("wide") / "wide.csv"
    rows = np.random.default_rng(0).normal(size=(3, 200_000))
    path.write_text("\n".join(",".join(f"{v:.3f}" for v in row) for row in rows) + "\n")
    return path


@pytest.mark.parametrize(
    "argv, shown",
    [
        (
            ["fit", "-k", "2"],
            "--covariance full and 2 component(s), whose covariances alone "
            "hold 8e+10 numbers, needs 640 GB",
        ),
        (
            ["fit", "-k", "2", "--covariance", "tied"],
            "--covariance tied and 2 component(s), "
            "whose covariances alone hold 4e+10 numbers, needs 320 GB",
        ),
        (["fit", "-k", "2", "--model", "hmm", "--covariance", "full"], "--covariance full"),
        (["select", "--k", "1-3", "--no-progress"], "--covariance full and 3 component(s)"),
        (["impute"], "--covariance full and 1 component(s)"),
    ],
)
def test_a_file_of_200000_columns_is_one_line_naming_the_fix_before_any_fit(
    wide_csv, tmp_path, monkeypatch, capsys, argv, shown
):
    # before: a numpy traceback (Unable to allocate 298. GiB) from deep inside the fit
    monkeypatch.setattr(validation, "physical_memory", lambda: 16 * GIB)
    command, *options = argv
    out = ["--out", str(tmp_path / ("filled.csv" if command == "impute" else "model.json"))]
    if command == "select":
        out = []
    assert main([command, str(wide_csv), *options, *out]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"latentem {command}: error: {wide_csv}: has 200000 columns, so ")
    for fragment in (shown, "more than this machine's memory (17.2 GB)", "--columns or --drop"):
        assert fragment in line
    assert "--covariance diag" in line and "transpose the file" in line
    assert not (tmp_path / "model.json").exists() and not (tmp_path / "filled.csv").exists()


def test_models_that_fit_in_memory_pass_and_the_bound_is_the_covariances_alone(
    tmp_path, monkeypatch
):
    path = tmp_path / "data.csv"
    np.savetxt(path, np.random.default_rng(0).normal(size=(100, 50)), delimiter=",")
    table = read_columns(path)
    full = GaussianMixture(2, covariance_type="full")
    size = 8 * 2 * 50 * 50  # bytes of two 50 x 50 float64 matrices
    monkeypatch.setattr(validation, "physical_memory", lambda: size)
    check_model_size(full, 2, str(path), table)
    check_model_size(GaussianMixture(2, covariance_type="diag"), 2, str(path), table)
    monkeypatch.setattr(validation, "physical_memory", lambda: size - 1)
    with pytest.raises(
        ValueError, match=r"covariances alone hold 5e\+03 numbers, needs 40 kB"
    ) as error:
        check_model_size(full, 2, str(path), table)
    assert "transpose" not in str(error.value)  # more rows than columns
    monkeypatch.setattr(validation, "physical_memory", lambda: None)  # the system does not say
    check_model_size(full, 2, str(path), table)
    check_model_size(object(), 2, str(path), table)  # a model without covariances
