"""Reading data files for the command line: CSV (header detected, empty cells missing) and .npy."""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import numpy as np

__all__ = ["MISSING_MARKERS", "read_data", "read_table"]

#: Cell texts read as a missing value (NaN), compared without case.
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null"})
_NPY_MAGIC = b"\x93NUMPY"


def read_data(path: str | os.PathLike[str], *, delimiter: str | None = None) -> np.ndarray:
    """Read a 2-D float array from a CSV or ``.npy`` file; missing cells become NaN.

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file (recognised by its content; read with
        ``allow_pickle=False``) or a delimited text file. A first row that
        holds any non-numeric cell is a header and is skipped. Empty cells
        and the markers in :data:`MISSING_MARKERS` are missing values.
    delimiter : str, optional
        The field separator of a text file; by default a tab for ``.tsv``
        files, otherwise whichever of ``,``, ``;`` and tab the first line
        uses (a comma if none).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        float64, NaN where a value is missing. A 1-D ``.npy`` array is read
        as one feature.

    Raises
    ------
    ValueError
        Naming the file and the problem (not text, ragged rows, a cell that
        is not a number, an infinite value, no data rows, an array of
        objects or of the wrong dimension).
    OSError
        If the file cannot be opened (message names the file).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "data.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("height,weight\\n1.5,60\\n1.8,\\n")
    >>> read_data(path)
    array([[ 1.5, 60. ],
           [ 1.8,  nan]])
    """
    return read_table(path, delimiter=delimiter)[0]


def read_table(
    path: str | os.PathLike[str], *, delimiter: str | None = None
) -> tuple[np.ndarray, list[str] | None]:
    """Read a data file as :func:`read_data` does, and its header.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    header : list of str or None
        The column names of a text file's header row (stripped), or None
        for a ``.npy`` file or a text file without a header.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "data.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("height, weight\\n1.5,60\\n")
    >>> read_table(path)
    (array([[ 1.5, 60. ]]), ['height', 'weight'])
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ValueError(f"{path}: is a folder, not a data file") from None
    except OSError as error:
        raise OSError(f"{path}: cannot read the file ({error.strerror or error})") from None
    if raw.startswith(_NPY_MAGIC):
        return _from_npy(path, raw), None
    return _from_text(path, raw, delimiter)


def _from_npy(path: Path, raw: bytes) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, EOFError, OSError) as error:
        raise ValueError(f"{path}: not a readable .npy array ({error})") from None
    if array.dtype.kind not in "fiub":
        raise ValueError(f"{path}: holds {array.dtype} values; latentem reads numbers only")
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(
            f"{path}: holds a {array.ndim}-D array of shape {array.shape}; "
            "pass a 2-D array (n_samples, n_features)"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{path}: holds an empty array of shape {array.shape}")
    X = array.astype(np.float64)
    if np.isinf(X).any():
        row, column = np.argwhere(np.isinf(X))[0]
        raise ValueError(f"{path}: row {row}, column {column} is infinite")
    return X


def _guess_delimiter(path: Path, text: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _cell(text: str) -> float | None:
    """The number in a cell, NaN for a missing marker, None if it is not a number."""
    text = text.strip()
    if text.lower() in MISSING_MARKERS:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def _from_text(
    path: Path, raw: bytes, delimiter: str | None
) -> tuple[np.ndarray, list[str] | None]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path}: not a text data file (byte {raw[error.start]:#04x} at offset "
            f"{error.start} is not UTF-8); pass a CSV or .npy file"
        ) from None
    if "\x00" in text:
        raise ValueError(f"{path}: not a text data file (it contains NUL bytes)")
    separator = _guess_delimiter(path, text) if delimiter is None else delimiter
    try:
        rows = [
            (number, row)
            for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=separator), 1)
            # a blank line is no row; a line of delimiters is a row of missing values
            if len(row) > 1 or (row and row[0].strip())
        ]
    except csv.Error as error:
        raise ValueError(f"{path}: not a valid CSV file ({error})") from None
    if not rows:
        raise ValueError(f"{path}: holds no data rows")
    first = [_cell(cell) for cell in rows[0][1]]
    header = None
    if any(value is None for value in first):
        header = [cell.strip() for cell in rows[0][1]]
        rows = rows[1:]
        if not rows:
            raise ValueError(f"{path}: holds a header but no data rows")
    n_columns = len(rows[0][1])
    X = np.empty((len(rows), n_columns))
    for i, (line, row) in enumerate(rows):
        if len(row) != n_columns:
            raise ValueError(
                f"{path}: line {line} has {len(row)} field{'s' if len(row) != 1 else ''}, "
                f"but earlier lines have {n_columns}"
            )
        for j, cell in enumerate(row):
            value = _cell(cell)
            if value is None:
                raise ValueError(
                    f"{path}: line {line}, column {j + 1}: {cell.strip()!r} is not a number"
                )
            if math.isinf(value):
                raise ValueError(f"{path}: line {line}, column {j + 1} is infinite")
            X[i, j] = value
    return X, header
