"""read_data: CSV with detected headers and missing cells, .npy without pickle."""

import numpy as np
import pytest

from latentem.io import read_data


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_header_is_detected_and_empty_cells_are_missing(tmp_path):
    path = write(tmp_path, "a.csv", "x, y ,z\n1, 2,3\n4,,NA\n\n 7 ,8e-1,-9\n")
    X = read_data(path)
    expected = np.array([[1, 2, 3], [4, np.nan, np.nan], [7, 0.8, -9]])
    assert np.array_equal(X, expected, equal_nan=True)
    headerless = write(tmp_path, "b.csv", "1,2\n3,4\n")
    assert np.array_equal(read_data(headerless), [[1, 2], [3, 4]])


def test_a_line_of_delimiters_is_a_row_of_missing_values(tmp_path):
    X = read_data(write(tmp_path, "a.csv", "1,2\n,\n3,4\n"))
    assert X.shape == (3, 2) and np.isnan(X[1]).all()


@pytest.mark.parametrize(
    ("name", "text", "delimiter"),
    [
        ("a.tsv", "a\tb\n1\t2\n3\t4\n", None),
        ("a.txt", "a;b\n1;2\n3;4\n", None),
        ("a.txt", "1\t2\n3\t4\n", None),
        ("a.dat", "1|2\n3|4\n", "|"),
    ],
)
def test_delimiters(tmp_path, name, text, delimiter):
    X = read_data(write(tmp_path, name, text), delimiter=delimiter)
    assert np.array_equal(X, [[1, 2], [3, 4]])


def test_quoted_fields_and_byte_order_mark(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes('\ufeff"x,1","y"\n"1.5",2\n'.encode())
    assert np.array_equal(read_data(path), [[1.5, 2.0]])


def test_npy_arrays(tmp_path):
    np.save(tmp_path / "one.npy", np.arange(4))
    np.save(tmp_path / "two.npy", np.array([[True, False]]))
    np.save(tmp_path / "three.npy", np.zeros((2, 2, 2)))
    np.save(tmp_path / "text.npy", np.array(["a", "b"]))
    np.save(tmp_path / "nan.npy", np.array([[1.0, np.nan]]))
    assert np.array_equal(read_data(tmp_path / "one.npy"), [[0.0], [1.0], [2.0], [3.0]])
    assert read_data(tmp_path / "two.npy").dtype == np.float64
    assert np.isnan(read_data(tmp_path / "nan.npy")[0, 1])
    with pytest.raises(ValueError, match=r"three\.npy: holds a 3-D array"):
        read_data(tmp_path / "three.npy")
    with pytest.raises(ValueError, match=r"text\.npy: holds <U1 values"):
        read_data(tmp_path / "text.npy")


def test_npy_is_recognised_by_content_not_name(tmp_path):
    np.save(tmp_path / "data.npy", np.ones((2, 2)))
    (tmp_path / "data.csv").write_bytes((tmp_path / "data.npy").read_bytes())
    assert np.array_equal(read_data(tmp_path / "data.csv"), np.ones((2, 2)))


def test_pickled_npy_is_never_unpickled(tmp_path, monkeypatch):
    import pickle

    np.save(tmp_path / "evil.npy", np.array([object()], dtype=object), allow_pickle=True)
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(ValueError, match=r"not a readable \.npy array"):
        read_data(tmp_path / "evil.npy")


def test_errors_name_the_file(tmp_path):
    with pytest.raises(OSError, match=r"nope\.csv: cannot read the file"):
        read_data(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match=r"nul\.csv: not a text data file \(it contains NUL"):
        read_data(write(tmp_path, "nul.csv", "1,2\x00\n"))
    with pytest.raises(
        ValueError, match=r"line 2, the column at 0-based position 1: 'x' is not a number"
    ):
        read_data(write(tmp_path, "w.csv", "1,2\n3,x\n"))


def test_read_table_gives_the_header_too(tmp_path):
    from latentem.io import read_table

    path = tmp_path / "with.csv"
    path.write_text(" height ;weight\n1.5;60\n1.8;\n")
    X, header = read_table(path)
    assert header == ["height", "weight"]
    np.testing.assert_array_equal(X, read_data(path))
    (tmp_path / "without.csv").write_text("1,2\n3,4\n")
    assert read_table(tmp_path / "without.csv")[1] is None
    np.save(tmp_path / "array.npy", np.ones((2, 2)))
    assert read_table(tmp_path / "array.npy")[1] is None
