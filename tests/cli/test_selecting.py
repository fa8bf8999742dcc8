"""``latentem select`` through a subprocess; the candidates parser; the progress bar."""

import argparse
import io

import pytest

import latentem
from latentem.cli.progress import ProgressBar
from latentem.cli.selecting import parse_candidates, parse_structures
from tests.cli.conftest import assert_one_line_error, run_cli


def test_select_prints_the_table_saves_the_best_and_draws_it(tmp_path, csv_file, three_clusters):
    process = run_cli(
        "select",
        csv_file,
        "--k",
        "1-5",
        "--criterion",
        "icl",
        "--out",
        "best.json",
        "--plot",
        "table.png",
        "--progress",
        cwd=tmp_path,
    )
    assert process.returncode == 0, process.stderr
    reference = latentem.select_n_components(three_clusters, range(1, 6), "icl", random_state=0)
    assert reference.table() in process.stdout
    assert "best by icl: 3 components" in process.stdout
    assert latentem.load(tmp_path / "best.json").n_components == 3
    assert (tmp_path / "table.png").stat().st_size > 10_000
    # the progress bar went to stderr, ending at 5/5
    assert "select [" in process.stderr and "5/5 k=5" in process.stderr


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path, csv_file):
    process = run_cli("select", csv_file, "--k", "2,3", "--covariance", "tied", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert process.stderr == ""
    assert len(process.stdout.splitlines()) == 4


def test_select_errors(tmp_path, csv_file):
    assert_one_line_error(
        run_cli("select", csv_file, "--k", "170-181", cwd=tmp_path),
        "data.csv: has 180 rows, fewer than the 181 components",
    )
    process = run_cli("select", csv_file, "--k", "x", cwd=tmp_path)
    assert process.returncode == 2 and "must be numbers of components like 1-10" in process.stderr


def test_select_structures_is_select_model_k_by_structure(tmp_path, csv_file, three_clusters):
    process = run_cli(
        "select",
        csv_file,
        "--k",
        "1-4",
        "--structures",
        "EII,VEV,full",
        "--out",
        "best.json",
        "--plot",
        "table.png",
        cwd=tmp_path,
    )
    assert process.returncode == 0, process.stderr
    # the same call in Python: mclust's start and select_model's own tolerances
    reference = latentem.select_model(
        three_clusters, range(1, 5), ["EII", "VEV", "full"], init_params="hc", random_state=0
    )
    assert str(reference) in process.stdout
    best = latentem.load(tmp_path / "best.json")
    assert (best.covariance_type, best.n_components) == (
        reference.best_estimator.covariance_type,
        reference.best_estimator.n_components,
    )
    assert (tmp_path / "table.png").stat().st_size > 10_000


def test_select_structures_errors(tmp_path, csv_file):
    assert_one_line_error(
        run_cli("select", csv_file, "--structures", "all", "--model", "hmm", cwd=tmp_path),
        "--structures applies to --model gmm",
    )
    assert_one_line_error(
        run_cli("select", csv_file, "--structures", "EII", "--covariance", "diag", cwd=tmp_path),
        "either --covariance (one structure) or --structures",
    )
    assert_one_line_error(
        run_cli("select", csv_file, "--init", "hc", cwd=tmp_path), "--init applies with"
    )
    process = run_cli("select", csv_file, "--structures", "XYZ", cwd=tmp_path)
    assert process.returncode == 2 and "covariance_type must be one of" in process.stderr


def test_parse_structures():
    assert parse_structures(" EII, VVV ,diag,EII") == ["EII", "full", "diag"]
    assert parse_structures("ALL") == list(latentem.mixture.COVARIANCE_TYPES)
    with pytest.raises(argparse.ArgumentTypeError, match="'XYZ'"):
        parse_structures("EII,XYZ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1-10", list(range(1, 11))), ("4", [4]), ("2,4,8", [2, 4, 8]), (" 3 - 5 ,1", [1, 3, 4, 5])],
)
def test_parse_candidates(text, expected):
    assert parse_candidates(text) == expected


@pytest.mark.parametrize("text", ["", "0-3", "a", "1-", "5-2", "1-100000", "1.5"])
def test_parse_candidates_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_candidates(text)


def test_progress_bar_draws_only_when_enabled():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    quiet, loud = io.StringIO(), Terminal()
    for stream in (quiet, loud):
        bar = ProgressBar("select", stream=stream, width=4)
        for done in (1, 2):
            bar(done, 2, done * 10)
    assert quiet.getvalue() == ""
    assert loud.getvalue().startswith("\rselect [##--] 1/2 k=10 ")
    assert "\rselect [####] 2/2 k=20 " in loud.getvalue() and loud.getvalue().endswith("\n")
    forced = io.StringIO()
    ProgressBar("x", stream=forced, enabled=True)(1, 1)
    assert forced.getvalue().startswith("\rx [")
