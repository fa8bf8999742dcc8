"""``latentem fit`` and ``latentem predict`` through a subprocess, on good and bad files."""

import argparse
import json

import numpy as np
import pytest

import latentem
from latentem.cli.common import read_for
from latentem.cli.models import CliModel
from tests.cli.conftest import assert_one_line_error, run_cli


def test_fit_saves_a_model_equal_to_the_same_fit_in_python(tmp_path, csv_file, three_clusters):
    process = run_cli(
        "fit",
        csv_file,
        "-k",
        3,
        "--covariance",
        "diag",
        "--seed",
        4,
        "--tol",
        1e-6,
        "--out",
        "model.json",
        "--plot",
        "fit.png",
        cwd=tmp_path,
    )
    assert process.returncode == 0, process.stderr
    assert "fitted gmm with 3 components to" in process.stdout
    assert "data.csv (180 rows; features x, y)" in process.stdout
    loaded = latentem.load(tmp_path / "model.json")
    reference = latentem.GaussianMixture(3, covariance_type="diag", random_state=4, tol=1e-6).fit(
        three_clusters
    )
    assert loaded.means_.tobytes() == reference.means_.tobytes()
    assert loaded.lower_bounds_ == reference.lower_bounds_
    picture = tmp_path / "fit.png"
    assert picture.stat().st_size > 10_000
    # every digit, so that two fits compare
    assert f"\n  BIC {reference.bic(three_clusters)!r}\n" in process.stdout
    total = float(reference.score_samples(three_clusters).sum())
    assert f"\n  log-likelihood {total!r} ({total / 180!r} per sample)\n" in process.stdout


def test_predict_prints_the_labels_and_probabilities_of_the_saved_model(
    tmp_path, csv_file, three_clusters
):
    gm = latentem.GaussianMixture(3, random_state=0).fit(three_clusters)
    latentem.save(gm, tmp_path / "model.json")
    np.save(tmp_path / "new.npy", three_clusters[::7])
    labels = run_cli("predict", "model.json", "new.npy", cwd=tmp_path)
    assert labels.returncode == 0, labels.stderr
    lines = labels.stdout.splitlines()
    assert lines[0] == "label"
    assert [int(v) for v in lines[1:]] == gm.predict(three_clusters[::7]).tolist()
    proba = run_cli("predict", "model.json", csv_file, "--proba", "--out", "p.csv", cwd=tmp_path)
    assert proba.returncode == 0, proba.stderr
    table = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1)
    assert np.array_equal(table, gm.predict_proba(three_clusters))  # repr floats: exact


def test_hard_spherical_fit_of_a_headerless_tsv(tmp_path, three_clusters):
    path = tmp_path / "data.tsv"
    np.savetxt(path, three_clusters, delimiter="\t", fmt="%.17g")
    process = run_cli(
        "fit",
        path,
        "-k",
        3,
        "--hard",
        "--covariance",
        "spherical",
        "--out",
        "m.json",
        cwd=tmp_path,
    )
    assert process.returncode == 0, process.stderr
    model = latentem.load(tmp_path / "m.json")
    assert (model.assignment, model.covariance_type) == ("hard", "spherical")
    assert model.n_features_in_ == 2


BAD_FILES = {
    "missing.csv": None,
    "ragged.csv": "a,b\n1,2\n3\n",
    "words.csv": "a,b\n1,2\n3,four\n",
    "binary.csv": bytes(range(256)),
    "empty.csv": "",
    "header-only.csv": "a,b\n",
    "infinite.csv": "1,2\ninf,3\n",
    "objects.npy": "OBJECT",
    "truncated.npy": "TRUNCATED",
    "folder.csv": "FOLDER",
}
EXPECTED = {
    "missing.csv": "cannot read the file (No such file or directory)",
    "ragged.csv": "line 3 has 1 field, but earlier lines have 2",
    "words.csv": "line 3, column 'b': 'four' is not a number; leave the column out with --drop b",
    "binary.csv": "not a text data file",
    "empty.csv": "holds no data rows",
    "header-only.csv": "holds a header but no data rows",
    "infinite.csv": "line 2, the column at 0-based position 0 is infinite",
    "objects.npy": "not a readable .npy array",
    "truncated.npy": "not a readable .npy array",
    "folder.csv": "is a folder",
}


def make_bad_file(tmp_path, name):
    path = tmp_path / name
    content = BAD_FILES[name]
    if content == "OBJECT":
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif content == "TRUNCATED":
        np.save(path, np.ones((50, 2)))
        path.write_bytes(path.read_bytes()[:200])
    elif content == "FOLDER":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    return path


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unreadable_data_files_give_one_line_errors(tmp_path, name):
    path = make_bad_file(tmp_path, name)
    process = run_cli("fit", path, "-k", 2, "--out", "m.json", cwd=tmp_path)
    assert_one_line_error(process, "latentem fit: error:", name, EXPECTED[name])
    assert not (tmp_path / "m.json").exists()


def test_missing_values_fit_with_gmm_and_are_refused_by_other_models(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("x,y\n1,2\n3,\n4,5\n,\n6,7\n2,3\n")
    process = run_cli("fit", path, "-k", 1, "--out", "m.json", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    X = np.array([[1, 2], [3, np.nan], [4, 5], [np.nan, np.nan], [6, 7], [2, 3]])
    reference = latentem.GaussianMixture(1, random_state=0).fit(X)
    loaded = latentem.load(tmp_path / "m.json")
    np.testing.assert_allclose(loaded.means_, reference.means_, rtol=1e-12)
    labels = run_cli("predict", "m.json", path, "--proba", cwd=tmp_path)
    assert labels.returncode == 0, labels.stderr
    table = run_cli("select", path, "--k", "1-2", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    without = CliModel(name="plain", summary="no missing values", build=lambda a, k: None)
    args = argparse.Namespace(
        data=str(path), delimiter=None, decimal=".", header=None, columns=None, drop=None,
        index_col=None,
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"2 data row\(s\) have missing values \(first: data"):
        read_for(without, args)


def test_bad_model_files_and_mismatched_data(tmp_path, csv_file, three_clusters):
    (tmp_path / "garbage.json").write_text("{not json")
    assert_one_line_error(
        run_cli("predict", "garbage.json", csv_file, cwd=tmp_path),
        "latentem predict: error: garbage.json: not a latentem file",
    )
    gm = latentem.GaussianMixture(2, random_state=0).fit(three_clusters)
    latentem.save(gm, tmp_path / "model.json")
    document = json.loads((tmp_path / "model.json").read_text())
    document["object"]["$type"] = "os.system"
    (tmp_path / "evil.json").write_text(json.dumps(document))
    assert_one_line_error(
        run_cli("predict", "evil.json", csv_file, cwd=tmp_path), "evil.json", "unknown type"
    )
    np.save(tmp_path / "wide.npy", np.ones((5, 3)))
    assert_one_line_error(
        run_cli("predict", "model.json", "wide.npy", cwd=tmp_path),
        "wide.npy: has 3 columns but the model in model.json was fitted on 2",
    )
    latentem.save(latentem.GaussianMixture(2), tmp_path / "unfitted.json")
    assert_one_line_error(
        run_cli("predict", "unfitted.json", csv_file, cwd=tmp_path), "unfitted GaussianMixture"
    )


def test_usage_errors_exit_with_status_2(tmp_path, csv_file):
    for args in (["fit", csv_file, "-k", "0", "--out", "m.json"], ["fit", csv_file, "-k", "2"]):
        process = run_cli(*args, cwd=tmp_path)
        assert process.returncode == 2
        assert "usage: latentem fit" in process.stderr


def test_verbose_reports_every_iteration_on_stderr_and_keeps_stdout_for_results(tmp_path, csv_file):
    quiet = run_cli("fit", csv_file, "-k", "2", "--out", "q.json", cwd=tmp_path)
    loud = run_cli("fit", csv_file, "-k", "2", "--out", "l.json", "--verbose", cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert loud.stdout.replace("l.json", "q.json") == quiet.stdout
    lines = loud.stderr.splitlines()
    assert lines[0] == "Initialization 0" and "Iteration 1" in lines[1]
    hmm = run_cli(
        "fit", csv_file, "-k", "2", "--model", "hmm", "--out", "h.json", "--verbose", cwd=tmp_path
    )
    assert hmm.returncode == 0 and hmm.stderr.split()[0] == "1"  # hmmlearn's iteration table
