"""``latentem impute`` through a subprocess, on good and bad files."""

import subprocess

import numpy as np
import pytest

import latentem
from latentem.cli import main
from tests.cli.conftest import assert_one_line_error, run_cli
from tests.cli.test_fitting import BAD_FILES, EXPECTED, make_bad_file


@pytest.fixture(scope="module")
def holes():
    """Correlated data, 20% of the entries missing, one row entirely missing."""
    rng = np.random.default_rng(0)
    cov = [[1.0, 0.8, 0.5], [0.8, 1.0, 0.6], [0.5, 0.6, 1.0]]
    X = rng.multivariate_normal([1.0, 2.0, 3.0], cov, size=150)
    X[rng.random(X.shape) < 0.2] = np.nan
    X[7] = np.nan
    return X


@pytest.fixture
def holes_file(tmp_path, holes):
    path = tmp_path / "holes.csv"
    text = "\n".join(",".join("" if np.isnan(v) else repr(float(v)) for v in row) for row in holes)
    path.write_text("a, b ,c\n" + text + "\n")
    return path


def test_impute_writes_the_imputers_conditional_expectations(tmp_path, holes_file, holes):
    process = run_cli(
        "impute", holes_file, "--out", "filled.csv", "--save-model", "imputer.json", cwd=tmp_path
    )
    assert process.returncode == 0, process.stderr
    reference = latentem.EMImputer(random_state=0).fit(holes)
    lines = (tmp_path / "filled.csv").read_text().splitlines()
    assert lines[0] == "a,b,c"  # the header is kept
    filled = np.loadtxt(tmp_path / "filled.csv", delimiter=",", skiprows=1)
    assert np.array_equal(filled, reference.transform(holes))  # every digit
    observed = ~np.isnan(holes)
    assert np.array_equal(filled[observed], holes[observed])
    assert np.array_equal(filled[7], reference.mean_)  # the empty row gets the mean
    missing = int(np.isnan(holes).sum())
    rows = int(np.isnan(holes).any(axis=1).sum())
    assert f"imputed {missing} missing entries in {rows} of 150 rows" in process.stdout
    assert f"converged after {reference.n_iter_} iterations" in process.stdout
    saved = latentem.load(tmp_path / "imputer.json")
    assert saved.covariance_.tobytes() == reference.covariance_.tobytes()


def test_a_saved_imputer_fills_another_file_and_npy_output(tmp_path, holes_file, holes):
    imputer = latentem.EMImputer(2, covariance_type="diag", random_state=1).fit(holes)
    latentem.save(imputer, tmp_path / "imputer.json")
    np.save(tmp_path / "new.npy", holes[:40])
    process = run_cli(
        "impute", "new.npy", "--model", "imputer.json", "--out", "filled.npy", cwd=tmp_path
    )
    assert process.returncode == 0, process.stderr
    assert "loaded from imputer.json" in process.stdout
    filled = np.load(tmp_path / "filled.npy", allow_pickle=False)
    assert np.array_equal(filled, imputer.transform(holes[:40]))


def test_fitting_options_reach_the_imputer(tmp_path, holes_file, holes, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["impute", str(holes_file), "--out", "f.csv", "-k", "2", "--covariance", "tied"]
    args += ["--reg-covar", "1e-6", "--tol", "1e-6", "--seed", "3", "--n-init", "2"]
    assert main([*args, "--max-iter", "50", "--save-model", "m.json"]) == 0
    reference = latentem.EMImputer(
        2, covariance_type="tied", reg_covar=1e-6, tol=1e-6, random_state=3, n_init=2, max_iter=50
    ).fit(holes)
    loaded = latentem.load(tmp_path / "m.json")
    assert loaded.get_params() == reference.get_params()
    assert loaded.means_.tobytes() == reference.means_.tobytes()
    assert "(2 component(s), fitted)" in capsys.readouterr().out


def test_data_without_holes_is_written_unchanged(tmp_path, csv_file, three_clusters):
    process = run_cli("impute", csv_file, "--out", "same.csv", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert "imputed 0 missing entries in 0 of 180 rows" in process.stdout
    assert np.array_equal(
        np.loadtxt(tmp_path / "same.csv", delimiter=",", skiprows=1), three_clusters
    )


@pytest.mark.parametrize("name", ["ragged.csv", "binary.csv", "missing.csv", "objects.npy"])
def test_unreadable_data_files_give_one_line_errors(tmp_path, name):
    path = make_bad_file(tmp_path, name)
    assert name in BAD_FILES
    process = run_cli("impute", path, "--out", "f.csv", cwd=tmp_path)
    assert_one_line_error(process, "latentem impute: error:", name, EXPECTED[name])
    assert not (tmp_path / "f.csv").exists()


def run_main(args, tmp_path, monkeypatch, capsys):
    """The command in this process (faster than a subprocess; same code, same messages)."""
    monkeypatch.chdir(tmp_path)
    status = main([str(arg) for arg in args])
    return subprocess.CompletedProcess(args, status, "", capsys.readouterr().err)


def test_bad_data_and_models_give_one_line_errors(tmp_path, holes_file, monkeypatch, capsys):
    (tmp_path / "empty-column.csv").write_text("a,b\n1,\n2,\n3,\n")
    assert_one_line_error(
        run_cli("impute", "empty-column.csv", "--out", "f.csv", cwd=tmp_path),
        "latentem impute: error:",
        "no observed value",
    )
    (tmp_path / "header.csv").write_text("a,b,c\n1,2\n3,\n")
    assert_one_line_error(
        run_main(["impute", "header.csv", "--out", "f.csv"], tmp_path, monkeypatch, capsys),
        "header.csv: line 2 has 2 fields, but earlier lines have 3",
    )
    latentem.save(latentem.GaussianHMM(2), tmp_path / "hmm.json")
    latentem.save(latentem.EMImputer(), tmp_path / "unfitted.json")
    imputer = latentem.EMImputer().fit(np.random.default_rng(0).normal(size=(30, 2)))
    latentem.save(imputer, tmp_path / "narrow.json")
    for args, message in [
        (["--model", "hmm.json"], "hmm.json: holds a GaussianHMM, not an EMImputer"),
        (["--model", "unfitted.json"], "unfitted.json: holds an unfitted EMImputer"),
        (["--model", "narrow.json"], "has 3 columns but the model in narrow.json was fitted on 2"),
        (["--model", "narrow.json", "-k", "2", "--tol", "1"], "-k, --tol set(s) how to fit"),
        (["--model", "nothing.json"], "nothing.json: cannot read the file"),
    ]:
        process = run_main(
            ["impute", holes_file, "--out", "f.csv", *args], tmp_path, monkeypatch, capsys
        )
        assert_one_line_error(process, "latentem impute: error:", message)
    assert not (tmp_path / "f.csv").exists()
    usage = run_cli("impute", holes_file, cwd=tmp_path)
    assert usage.returncode == 2 and "usage: latentem impute" in usage.stderr
