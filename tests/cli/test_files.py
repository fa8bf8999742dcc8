"""Real files through the command line: R's write.csv, semicolons and decimal commas,
chosen, dropped and swapped columns, text columns, first rows of numbers, outputs."""

import json
import os
import stat
import warnings

import numpy as np
import pytest

import latentem
from latentem.cli import main
from tests.cli.conftest import assert_one_line_error, run_cli


@pytest.fixture(scope="module")
def faithful():
    """Old Faithful-like eruptions (minutes) and waiting times: 120 rows, two groups."""
    rng = np.random.default_rng(1)
    short = np.column_stack([rng.normal(2.0, 0.3, 45), rng.normal(54.0, 6.0, 45)])
    long = np.column_stack([rng.normal(4.3, 0.4, 75), rng.normal(80.0, 6.0, 75)])
    return np.round(np.concatenate([short, long])[rng.permutation(120)], 6)


def write_r_csv(path, X, *, sep=",", dec=".", extra=None):
    """As R's write.csv / write.csv2 write a data frame: quoted names, row names first."""
    names = ['""', '"eruptions"', '"waiting"'] + ([f'"{extra[0]}"'] if extra else [])
    lines = [sep.join(names)]
    for i, row in enumerate(X):
        cells = [f'"{i + 1}"'] + [repr(float(v)).replace(".", dec) for v in row]
        if extra:
            cells.append(f'"{extra[1][i]}"')
        lines.append(sep.join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def python_fit(X):
    return latentem.GaussianMixture(2, random_state=0).fit(X)


def test_r_write_csv_with_row_names_fits_the_numbers_and_keeps_the_names(tmp_path, faithful):
    write_r_csv(tmp_path / "faithful.csv", faithful)
    process = run_cli(
        "fit", "faithful.csv", "-k", 2, "--index-col", 0, "--out", "m.json", cwd=tmp_path
    )
    assert process.returncode == 0, process.stderr
    assert "faithful.csv (120 rows; features eruptions, waiting)" in process.stdout
    loaded = latentem.load(tmp_path / "m.json")
    assert loaded.means_.tobytes() == python_fit(faithful).means_.tobytes()
    assert loaded.feature_names_in_.tolist() == ["eruptions", "waiting"]
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["object"]["state"]["fitted"]["feature_names_in_"] == ["eruptions", "waiting"]
    # without --index-col the row names are never fitted silently
    assert_one_line_error(
        run_cli("fit", "faithful.csv", "-k", 2, "--out", "n.json", cwd=tmp_path),
        "faithful.csv: column 0 has no name in the header",
        "pass --index-col 0",
    )
    assert not (tmp_path / "n.json").exists()


def test_semicolons_and_decimal_commas_read_as_the_same_numbers(tmp_path, faithful):
    write_r_csv(tmp_path / "faithful2.csv", faithful, sep=";", dec=",")
    process = run_cli(
        "fit", "faithful2.csv", "-k", 2, "--decimal", ",", "--index-col", "0", "--out", "m.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    assert latentem.load(tmp_path / "m.json").means_.tobytes() == (
        python_fit(faithful).means_.tobytes()
    )
    # forgetting --decimal says what to do
    assert_one_line_error(
        run_cli("fit", "faithful2.csv", "-k", 2, "--index-col", 0, "--out", "m.json",
                cwd=tmp_path),
        "line 2, column 'eruptions'",
        "is not a number; if the file writes decimal commas, pass --decimal ','",
    )  # fmt: skip


def test_columns_by_name_or_position_in_any_order_and_drop(tmp_path, faithful):
    species = [("Adelie", "Gentoo")[i % 2] for i in range(120)]
    write_r_csv(tmp_path / "f.csv", faithful, extra=("kind", species))
    swapped = np.ascontiguousarray(faithful[:, [1, 0]])
    for options in (["--columns", "waiting,eruptions"], ["--columns", "2,1"]):
        process = run_cli("fit", "f.csv", "-k", 2, *options, "--out", "m.json", cwd=tmp_path)
        assert process.returncode == 0, process.stderr
        loaded = latentem.load(tmp_path / "m.json")
        assert loaded.means_.tobytes() == python_fit(swapped).means_.tobytes()
        assert loaded.feature_names_in_.tolist() == ["waiting", "eruptions"]
    process = run_cli("fit", "f.csv", "-k", 2, "--drop", "0,kind", "--out", "d.json", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert latentem.load(tmp_path / "d.json").means_.tobytes() == (
        python_fit(faithful).means_.tobytes()
    )
    # a text column left in is named, with the option that leaves it out
    assert_one_line_error(
        run_cli("fit", "f.csv", "-k", 2, "--index-col", 0, "--out", "m.json", cwd=tmp_path),
        "line 2, column 'kind': 'Adelie' is not a number; leave the column out with --drop kind",
    )
    for options, message in [
        (["--columns", "waiting,height"], "--columns: no column is named 'height'; the header"),
        (["--columns", "waiting,waiting"], "--columns: column 2 is chosen twice"),
        (["--columns", "7"], "--columns: there is no column 7; the file has 4 column(s)"),
        (["--index-col", "1", "--columns", "1"], "column 1 is the --index-col"),
        (["--delimiter", ";;"], "--delimiter must be one character"),
    ]:
        assert_one_line_error(
            run_cli("fit", "f.csv", "-k", 2, *options, "--out", "m.json", cwd=tmp_path),
            "latentem fit: error:",
            message,
        )


def test_a_first_row_of_numbers_is_never_a_header(tmp_path, faithful):
    # a headerless file with a text column: its first row is data, not a header
    rows = [f"{a!r},{b!r},{'short' if a < 3 else 'long'}" for a, b in faithful.tolist()]
    (tmp_path / "plain.csv").write_text("\n".join(rows) + "\n")
    process = run_cli("fit", "plain.csv", "-k", 2, "--drop", 2, "--out", "m.json", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert "plain.csv (120 rows; 2 features)" in process.stdout
    loaded = latentem.load(tmp_path / "m.json")
    assert loaded.means_.tobytes() == python_fit(faithful).means_.tobytes()
    assert not hasattr(loaded, "feature_names_in_")
    # a header of numbers (years) is read as one when told so
    (tmp_path / "years.csv").write_text("2019,2020\n" + "\n".join(rows[i][:-6] for i in range(3)))
    assert (
        "(3 rows; features 2019, 2020)"
        in run_cli("fit", "years.csv", "-k", 1, "--header", "--out", "y.json", cwd=tmp_path).stdout
    )
    assert (
        "(4 rows; 2 features)"
        in run_cli("fit", "years.csv", "-k", 1, "--out", "y.json", cwd=tmp_path).stdout
    )


def test_predict_matches_columns_by_name_and_appends_label_and_uncertainty(tmp_path, faithful):
    model = python_fit(faithful)
    write_r_csv(tmp_path / "train.csv", faithful)
    assert (
        run_cli(
            "fit", "train.csv", "-k", 2, "--index-col", 0, "--out", "m.json", cwd=tmp_path
        ).returncode
        == 0
    )
    # new data: columns swapped, a text column, semicolons and decimal commas, one hole
    new = faithful[:10].copy()
    lines = ['"waiting";"id";"eruptions"']
    for i, (eruptions, waiting) in enumerate(new):
        cell = "" if i == 3 else repr(float(eruptions)).replace(".", ",")
        lines.append(f"{repr(float(waiting)).replace('.', ',')};row{i};{cell}")
    (tmp_path / "new.csv").write_text("\n".join(lines) + "\n")
    new[3, 0] = np.nan
    process = run_cli(
        "predict", "m.json", "new.csv", "--decimal", ",", "--append", "--out", "-", cwd=tmp_path
    )
    assert process.returncode == 0, process.stderr
    out = process.stdout.splitlines()
    assert out[0] == "waiting;id;eruptions;label;uncertainty"
    assert [line.split(";")[:3] for line in out[1:]] == [line.split(";") for line in lines[1:]]
    labels = [int(line.split(";")[3]) for line in out[1:]]
    uncertainty = [float(line.split(";")[4].replace(",", ".")) for line in out[1:]]
    assert labels == model.predict(new).tolist()
    assert uncertainty == (1.0 - model.predict_proba(new).max(axis=1)).tolist()
    # the model's columns, in another order than the model's, are refused
    assert_one_line_error(
        run_cli("predict", "m.json", "new.csv", "--decimal", ",", "--columns", "0,2",
                cwd=tmp_path),
        "the columns chosen are 'waiting', 'eruptions' but the model in m.json was fitted on "
        "them in the order 'eruptions', 'waiting'",
    )  # fmt: skip
    (tmp_path / "other.csv").write_text("a,waiting\n1,2\n")
    assert_one_line_error(
        run_cli("predict", "m.json", "other.csv", cwd=tmp_path),
        "other.csv: has no column 'eruptions'; the model in m.json was fitted on",
    )


def test_impute_to_stdout_keeps_every_column_and_the_row_labels(tmp_path):
    X = np.random.default_rng(3).multivariate_normal([0, 1], [[1, 0.7], [0.7, 1]], 40)
    X[[2, 5], 1] = np.nan
    lines = ["id;x;y;note"] + [
        f"r{i};{repr(a).replace('.', ',')};{'NA' if np.isnan(b) else repr(b).replace('.', ',')};n"
        for i, (a, b) in enumerate(X.tolist())
    ]
    (tmp_path / "holes.csv").write_text("\n".join(lines) + "\n")
    process = run_cli(
        "impute", "holes.csv", "--decimal", ",", "--index-col", "id", "--drop", "note",
        "--out", "-", cwd=tmp_path,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    filled = latentem.EMImputer(random_state=0).fit_transform(X)
    out = process.stdout.splitlines()
    assert out[0] == "id;x;y;note"
    for i in range(40):
        cells = out[i + 1].split(";")
        expected = lines[i + 1].split(";")
        if i in (2, 5):
            expected[2] = repr(float(filled[i, 1])).replace(".", ",")
        assert cells == expected
    assert "imputed 2 missing entries in 2 of 40 rows of holes.csv (features x, y)" in (
        process.stderr
    )


def test_bad_output_paths_fail_before_fitting_without_temporary_names(tmp_path, faithful):
    np.save(tmp_path / "data.npy", faithful)
    for command in (
        ["fit", "data.npy", "-k", 2, "--out", "nowhere/m.json"],
        ["select", "data.npy", "--k", "1-2", "--out", "nowhere/m.json"],
        ["fit", "data.npy", "-k", 2, "--out", "m.json", "--plot", "nowhere/p.png"],
        ["predict", "m.json", "data.npy", "--out", "nowhere/labels.csv"],
        ["impute", "data.npy", "--out", "nowhere/filled.csv"],
    ):
        process = run_cli(*command, cwd=tmp_path)
        assert_one_line_error(process, "the folder nowhere does not exist; create it first")
        assert ".tmp" not in process.stderr and process.stdout == ""
    assert_one_line_error(
        run_cli("fit", "data.npy", "-k", 2, "--out", "-", cwd=tmp_path),
        "--out -: this output must be a file",
    )
    with pytest.raises(OSError) as error:
        latentem.save(python_fit(faithful), tmp_path / "nowhere" / "m.json")
    assert "nowhere/m.json: cannot write the file" in str(error.value)
    assert ".tmp" not in str(error.value)


def test_saved_files_honour_the_umask(tmp_path, faithful, monkeypatch, capsys):
    np.save(tmp_path / "data.npy", faithful)
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        assert main(["fit", "data.npy", "-k", "2", "--out", "m.json"]) == 0
        os.chmod("m.json", 0o640)  # replacing a file keeps its permissions
        latentem.save(python_fit(faithful), "m.json")
        os.umask(0o002)
        latentem.save(python_fit(faithful), "n.json")
    finally:
        os.umask(old)
    capsys.readouterr()
    assert stat.S_IMODE(os.stat("m.json").st_mode) == 0o640
    assert stat.S_IMODE(os.stat("n.json").st_mode) == 0o664
    os.remove("m.json")
    os.umask(0o022)
    try:
        assert main(["fit", "data.npy", "-k", "2", "--out", "m.json"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat("m.json").st_mode) == 0o644


def test_version(tmp_path):
    process = run_cli("--version", cwd=tmp_path)
    assert process.returncode == 0
    assert process.stdout.strip() == f"latentem {latentem.__version__}"


def test_inspect_prints_the_saved_parameters_with_every_digit(tmp_path, faithful):
    import ast

    write_r_csv(tmp_path / "faithful.csv", faithful)
    run_cli("fit", "faithful.csv", "-k", 2, "--index-col", 0, "--out", "m.json", cwd=tmp_path)
    process = run_cli("inspect", "m.json", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    reference = python_fit(faithful)
    lines = process.stdout.splitlines()
    assert lines[0] == "GaussianMixture (fitted)"
    assert "  features: eruptions, waiting" in lines

    def block(name):
        start = lines.index(f"  {name}") + 1
        # the array runs on (blank lines between matrices included) to the next name
        ends = [i for i in range(start, len(lines)) if lines[i][:4].strip()]
        end = ends[0] if ends else len(lines)
        return np.array(ast.literal_eval(" ".join(lines[start:end])))

    for name in ("weights_", "means_", "covariances_"):
        assert block(name).tobytes() == getattr(reference, name).tobytes(), name
    assert_one_line_error(
        run_cli("inspect", "faithful.csv", cwd=tmp_path), "faithful.csv: not a latentem file"
    )


def test_named_models_take_the_files_arrays_without_a_feature_name_warning(
    tmp_path, faithful, capsys
):
    """The CLI matches columns by name itself, so scikit-learn's unnamed-array warning is noise."""
    write_r_csv(tmp_path / "train.csv", faithful)
    holes = faithful.copy()
    holes[::9, 1] = np.nan
    write_r_csv(tmp_path / "holes.csv", holes)
    commands = [
        ["fit", "train.csv", "-k", "2", "--index-col", "0", "--out", "m.json"],
        ["predict", "m.json", "train.csv", "--index-col", "0", "--append", "--out", "p.csv"],
        ["fit", "train.csv", "-k", "2", "--index-col", "0", "--model", "hmm", "--out", "h.json"],
        ["predict", "h.json", "train.csv", "--index-col", "0", "--out", "s.csv"],
        ["impute", "holes.csv", "--index-col", "0", "--out", "f.csv", "--save-model", "i.json"],
        ["impute", "holes.csv", "--index-col", "0", "--model", "i.json", "--out", "g.csv"],
        ["select", "train.csv", "--index-col", "0", "--k", "1-3"],
    ]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for command in commands:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                assert main(command) == 0, (command, capsys.readouterr().err)
            err = capsys.readouterr().err
            assert "feature names" not in err, (command, err)
            assert not [w for w in caught if "feature names" in str(w.message)], command
    finally:
        os.chdir(cwd)
    assert latentem.load(tmp_path / "i.json").feature_names_in_.tolist() == [
        "eruptions",
        "waiting",
    ]
