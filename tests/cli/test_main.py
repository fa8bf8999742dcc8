"""The entry point: exit statuses, and one line on stderr for every error, never a traceback."""

import numpy as np
import pytest

from latentem import GaussianMixture
from latentem.cli import main
from latentem.core.validation import physical_memory
from tests.cli.conftest import assert_one_line_error, run_cli


def _raise(error):
    def fit(self, *args, **kwargs):
        raise error

    return fit


def test_running_out_of_memory_is_one_line_naming_the_fix(tmp_path, csv_file, monkeypatch, capsys):
    # before: numpy's MemoryError escaped with its traceback
    message = "Unable to allocate 298. GiB for an array with shape (200000, 200000)"
    monkeypatch.setattr(GaussianMixture, "fit", _raise(MemoryError(message)))
    assert main(["fit", str(csv_file), "-k", "2", "--out", str(tmp_path / "m.json")]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"latentem fit: error: out of memory ({message}): ")
    assert "--columns or --drop" in line


def test_an_unexpected_error_is_one_line_asking_for_a_report(
    tmp_path, csv_file, monkeypatch, capsys
):
    monkeypatch.setattr(GaussianMixture, "fit", _raise(KeyError("means")))
    assert main(["fit", str(csv_file), "-k", "2", "--out", str(tmp_path / "m.json")]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("latentem fit: error: unexpected KeyError: 'means'. This is a bug")
    assert "python -X dev -m latentem" in line
    monkeypatch.setattr(GaussianMixture, "fit", _raise(KeyboardInterrupt()))
    assert main(["fit", str(csv_file), "-k", "2", "--out", str(tmp_path / "m.json")]) == 130


@pytest.mark.skipif(
    physical_memory() is None or physical_memory() > 500 * 2**30,
    reason="needs a machine with less than the 596 GiB the covariances would take",
)
def test_a_200000_column_csv_through_the_real_command(tmp_path):
    rows = np.random.default_rng(0).normal(size=(3, 200_000))
    (tmp_path / "wide.csv").write_text(
        "\n".join(",".join(f"{v:.3f}" for v in row) for row in rows) + "\n"
    )
    process = run_cli("fit", "wide.csv", "-k", 2, "--out", "model.json", cwd=tmp_path)
    assert_one_line_error(process, "wide.csv: has 200000 columns", "--covariance diag")
