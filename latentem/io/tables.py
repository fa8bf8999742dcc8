"""Reading data files for the command line: CSV (header detected, empty cells missing) and .npy.

:func:`read_columns` is the command line's reader: it picks columns by name or
0-based position (``--columns``, ``--drop``), keeps a column of row labels
(``--index-col``) apart from the numbers, and reads semicolon files with decimal
commas (``--delimiter``, ``--decimal``). :func:`read_data` and :func:`read_table`
read every column as numbers.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from attrs import frozen

__all__ = ["MISSING_MARKERS", "Table", "read_columns", "read_data", "read_header", "read_table"]

#: Cell texts read as a missing value (NaN), compared without case.
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null"})
_NPY_MAGIC = b"\x93NUMPY"

Column = int | str


@frozen(eq=False)
class Table:
    """What :func:`read_columns` read from a data file.

    Attributes
    ----------
    values : ndarray of shape (n_samples, n_selected)
        The chosen columns as float64, NaN where a value is missing.
    names : list of str or None
        The header's names of the chosen columns; None without a header.
    positions : list of int
        0-based positions of the chosen columns in the file.
    labels : list of str or None
        The row labels of ``index_col`` (stripped text), or None.
    header : list of str or None
        Every name of the header row (stripped), or None.
    rows : list of list of str
        Every data row's fields as text, all columns (for writing them
        back out); a ``.npy`` array's numbers written as ``repr``.
    delimiter : str
        The field separator used (a comma for ``.npy``).
    decimal : str
        The decimal mark of the numbers (``"."`` or ``","``).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "penguins.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("id,species,mass\\nA1,Adelie,3750\\nG1,Gentoo,\\n")
    >>> table = read_columns(path, index_col="id", drop=["species"])
    >>> table.values, table.names, table.labels, table.positions
    (array([[3750.],
           [  nan]]), ['mass'], ['A1', 'G1'], [2])
    >>> table.rows[1]
    ['G1', 'Gentoo', '']
    """

    values: np.ndarray
    names: list[str] | None
    positions: list[int]
    labels: list[str] | None
    header: list[str] | None
    rows: list[list[str]]
    delimiter: str
    decimal: str

    def format_number(self, value: float) -> str:
        """``value`` with every digit of the double, in this file's decimal mark.

        Examples
        --------
        >>> import numpy as np
        >>> Table(np.zeros((0, 0)), None, [], None, None, [], ";", ",").format_number(0.25)
        '0,25'
        """
        text = repr(float(value))
        return text.replace(".", self.decimal) if self.decimal != "." else text


def read_data(
    path: str | os.PathLike[str], *, delimiter: str | None = None, decimal: str = "."
) -> np.ndarray:
    """Read a 2-D float array from a CSV or ``.npy`` file; missing cells become NaN.

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file (recognised by its content; read with
        ``allow_pickle=False``) or a delimited text file. Its first row is a
        header when one of its fields is not a number while the rest of that
        column holds numbers (or when none of its fields is a number), so a
        first row of numbers is never taken for a header. Empty cells and
        the markers in :data:`MISSING_MARKERS` are missing values.
    delimiter : str, optional
        The field separator of a text file; by default a tab for ``.tsv``
        files, otherwise whichever of ``,``, ``;`` and tab the first line
        uses (a comma if none; never a comma when ``decimal=","``).
    decimal : {".", ","}, default="."
        The decimal mark of the numbers: ``","`` reads ``3,14`` as 3.14.

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
    return read_columns(path, delimiter=delimiter, decimal=decimal).values


def read_table(
    path: str | os.PathLike[str], *, delimiter: str | None = None, decimal: str = "."
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
    table = read_columns(path, delimiter=delimiter, decimal=decimal)
    return table.values, table.header


def read_columns(
    path: str | os.PathLike[str],
    *,
    delimiter: str | None = None,
    decimal: str = ".",
    header: bool | None = None,
    columns: Sequence[Column] | None = None,
    drop: Sequence[Column] | None = None,
    index_col: Column | None = None,
) -> Table:
    """Read the chosen columns of a CSV or ``.npy`` file (the command line's reader).

    Parameters
    ----------
    path, delimiter, decimal
        As in :func:`read_data`.
    header : bool or None, default=None
        Whether the first row of a text file is a header; None detects it
        as :func:`read_data` says.
    columns : sequence of int or str, optional
        The columns to read, in this order: a name of the header, or a
        0-based position (an int, or a string of digits that is not a name
        of the header). Default: every column but ``index_col`` and ``drop``.
    drop : sequence of int or str, optional
        Columns to leave out (only without ``columns``).
    index_col : int or str, optional
        A column of row labels (such as R's row names), kept as text in
        :attr:`Table.labels` and never read as numbers. A header whose
        first name is empty (as R's ``write.csv`` and pandas' ``to_csv``
        write row names) needs it, or ``drop`` or ``columns``: such a
        column is never read as a feature silently.

    Returns
    -------
    Table

    Raises
    ------
    ValueError
        As :func:`read_data`, and for a column that is not in the file, is
        chosen twice, has no name or shares its name with another chosen
        column, or holds text. Messages name the command line's options
        (``--columns``, ``--drop``, ``--index-col``, ``--decimal``).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "faithful.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write('"";"eruptions";"waiting"\\n"1";3,6;79\\n"2";1,8;54\\n')
    >>> table = read_columns(path, decimal=",", index_col=0)
    >>> table.values
    array([[ 3.6, 79. ],
           [ 1.8, 54. ]])
    >>> table.names, table.labels
    (['eruptions', 'waiting'], ['1', '2'])
    >>> read_columns(path, decimal=",", columns=["waiting"]).values.ravel()
    array([79., 54.])
    """
    if decimal not in (".", ","):
        raise ValueError(f"--decimal must be '.' or ','; got {decimal!r}")
    if delimiter is not None:
        delimiter = _check_delimiter(delimiter, decimal)
    if columns is not None and drop is not None:
        raise ValueError("pass --columns (the columns to read) or --drop (those to leave out)")
    path = Path(path)
    raw = _read_bytes(path)
    if raw.startswith(_NPY_MAGIC):
        array = _from_npy(path, raw)
        head, rows = None, [[repr(float(v)) for v in row] for row in array]
        separator, decimal, lines = ",", ".", list(range(1, len(rows) + 1))
    else:
        separator, head, rows, lines = _text_rows(path, raw, delimiter, decimal, header)
    n_columns = len(head) if head is not None else len(rows[0])
    index = None if index_col is None else _position(index_col, head, n_columns, "--index-col")
    positions = _chosen(head, n_columns, index, columns, drop)
    names = None if head is None else [head[j] for j in positions]
    _check_names(path, names, positions, index)
    if raw.startswith(_NPY_MAGIC):
        values = array[:, positions]
    else:
        values = _numbers(path, rows, lines, positions, head, decimal)
    labels = None if index is None else [row[index].strip() for row in rows]
    return Table(values, names, positions, labels, head, rows, separator, decimal)


def read_header(
    path: str | os.PathLike[str],
    *,
    delimiter: str | None = None,
    decimal: str = ".",
    header: bool | None = None,
) -> list[str] | None:
    """The names of a text file's header row as :func:`read_columns` finds it, or None.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "data.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("species,mass\\nAdelie,3750\\n")
    >>> read_header(path)
    ['species', 'mass']
    """
    path = Path(path)
    raw = _read_bytes(path)
    if raw.startswith(_NPY_MAGIC):
        return None
    if delimiter is not None:
        delimiter = _check_delimiter(delimiter, decimal)
    return _text_rows(path, raw, delimiter, decimal, header)[1]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise ValueError(f"{path}: is a folder, not a data file") from None
    except OSError as error:
        raise OSError(f"{path}: cannot read the file ({error.strerror or error})") from None


def _check_delimiter(delimiter: str, decimal: str) -> str:
    delimiter = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(delimiter, delimiter)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(
            f"--delimiter must be one character (e.g. ',' or ';'; 'tab' for a tab); "
            f"got {delimiter!r}"
        )
    if delimiter == decimal:
        raise ValueError(
            f"--delimiter and --decimal are both {decimal!r}; files with decimal commas "
            "separate fields with ';' or a tab"
        )
    return delimiter


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


def _guess_delimiter(path: Path, text: str, decimal: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    candidates = (";", "\t") if decimal == "," else (",", ";", "\t")
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in candidates}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else candidates[0]


def _cell(text: str, decimal: str = ".") -> float | None:
    """The number in a cell, NaN for a missing marker, None if it is not a number."""
    text = text.strip()
    if text.lower() in MISSING_MARKERS:
        return math.nan
    if decimal != ".":
        if "." in text:
            return None
        text = text.replace(decimal, ".")
    try:
        return float(text)
    except ValueError:
        return None


def _is_header(first: list[str], rest: list[list[str]], decimal: str) -> bool:
    """A first row is a header when one of its fields is not a number while the rest of
    its column is numbers or missing, or when none of its fields is a number."""
    text = [j for j, cell in enumerate(first) if _cell(cell, decimal) is None]
    if not text:
        return False
    numbers = [value for value in (_cell(cell, decimal) for cell in first) if value is not None]
    if all(math.isnan(value) for value in numbers):
        return True
    return any(
        all(_cell(row[j], decimal) is not None for row in rest if len(row) == len(first))
        for j in text
    )


def _text_rows(
    path: Path, raw: bytes, delimiter: str | None, decimal: str, header: bool | None
) -> tuple[str, list[str] | None, list[list[str]], list[int]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path}: not a text data file (byte {raw[error.start]:#04x} at offset "
            f"{error.start} is not UTF-8); pass a CSV or .npy file"
        ) from None
    if "\x00" in text:
        raise ValueError(f"{path}: not a text data file (it contains NUL bytes)")
    separator = _guess_delimiter(path, text, decimal) if delimiter is None else delimiter
    try:
        numbered = [
            (number, row)
            for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=separator), 1)
            # a blank line is no row; a line of delimiters is a row of missing values
            if len(row) > 1 or (row and row[0].strip())
        ]
    except csv.Error as error:
        raise ValueError(f"{path}: not a valid CSV file ({error})") from None
    if not numbered:
        raise ValueError(f"{path}: holds no data rows")
    first = numbered[0][1]
    if header is None:
        header = _is_header(first, [row for _, row in numbered[1:200]], decimal)
    head = [cell.strip() for cell in first] if header else None
    if header:
        numbered = numbered[1:]
        if not numbered:
            raise ValueError(f"{path}: holds a header but no data rows")
    n_columns = len(first)
    for line, row in numbered:
        if len(row) != n_columns:
            raise ValueError(
                f"{path}: line {line} has {len(row)} field{'s' if len(row) != 1 else ''}, "
                f"but earlier lines have {n_columns}"
            )
    return separator, head, [row for _, row in numbered], [line for line, _ in numbered]


def _position(column: Column, head: list[str] | None, n_columns: int, option: str) -> int:
    """The 0-based position of a column given by name or position."""
    if isinstance(column, str) and head is not None:
        matches = [j for j, name in enumerate(head) if name == column.strip()]
        if len(matches) > 1:
            raise ValueError(
                f"{option}: the header names {len(matches)} columns {column.strip()!r} "
                f"(positions {', '.join(map(str, matches))}); pick one by its 0-based position"
            )
        if matches:
            return matches[0]
    text = column.strip() if isinstance(column, str) else column
    if isinstance(text, str) and not text.isdigit():
        if head is None:
            raise ValueError(
                f"{option}: the file has no header, so columns are picked by 0-based "
                f"position (0 to {n_columns - 1}); got {text!r}"
            )
        raise ValueError(f"{option}: no column is named {text!r}; the header has {_listing(head)}")
    position = int(text)
    if not 0 <= position < n_columns:
        raise ValueError(
            f"{option}: there is no column {position}; the file has {n_columns} column(s), "
            f"at 0-based positions 0 to {n_columns - 1}"
        )
    return position


def _listing(head: list[str]) -> str:
    names = ", ".join(repr(name) for name in head[:20])
    return names + (f", ... ({len(head)} in all)" if len(head) > 20 else "")


def _chosen(
    head: list[str] | None,
    n_columns: int,
    index: int | None,
    columns: Sequence[Column] | None,
    drop: Sequence[Column] | None,
) -> list[int]:
    """Positions of the columns to read as numbers, in order."""
    if columns is not None:
        positions = [_position(column, head, n_columns, "--columns") for column in columns]
        if not positions:
            raise ValueError("--columns: name at least one column")
        repeated = sorted({j for j in positions if positions.count(j) > 1})
        if repeated:
            raise ValueError(f"--columns: column {repeated[0]} is chosen twice")
        if index in positions:
            raise ValueError(
                f"--columns: column {index} is the --index-col (row labels); leave it out"
            )
        return positions
    dropped = {_position(column, head, n_columns, "--drop") for column in drop or ()}
    positions = [j for j in range(n_columns) if j != index and j not in dropped]
    if not positions:
        raise ValueError("--drop and --index-col leave no column to read")
    return positions


def _check_names(
    path: Path, names: list[str] | None, positions: list[int], index: int | None
) -> None:
    if names is None:
        return
    for name, position in zip(names, positions, strict=True):
        if not name:
            hint = (
                "as R's write.csv and pandas' to_csv write row names; pass --index-col 0 to "
                "read them as row labels, or --drop 0"
                if position == 0 and index is None
                else f"name it in the header, or leave it out with --drop {position}"
            )
            raise ValueError(f"{path}: column {position} has no name in the header, {hint}")
    for name in names:
        if names.count(name) > 1:
            where = [p for n, p in zip(names, positions, strict=True) if n == name]
            raise ValueError(
                f"{path}: the header names columns {where[0]} and {where[1]} both {name!r}; "
                "rename one, or leave one out with --drop or --columns"
            )


def _numbers(
    path: Path,
    rows: list[list[str]],
    lines: list[int],
    positions: list[int],
    head: list[str] | None,
    decimal: str,
) -> np.ndarray:
    X = np.empty((len(rows), len(positions)))
    for i, row in enumerate(rows):
        for k, j in enumerate(positions):
            value = _cell(row[j], decimal)
            if value is None or math.isinf(value):
                raise ValueError(_bad_cell(path, lines[i], j, row[j].strip(), head, decimal))
            X[i, k] = value
    return X


def _bad_cell(
    path: Path, line: int, column: int, cell: str, head: list[str] | None, decimal: str
) -> str:
    """The message for a cell that is not a finite number, with the likely fix."""
    named = f"column {head[column]!r}" if head else f"the column at 0-based position {column}"
    where = f"{path}: line {line}, {named}"
    if _cell(cell, decimal) is not None:
        return f"{where} is infinite"
    if decimal == "." and _cell(cell, ",") is not None:
        hint = "if the file writes decimal commas, pass --decimal ','"
    elif decimal == "," and _cell(cell, ".") is not None:
        hint = "this number has a decimal point, but --decimal ',' was given"
    else:
        hint = (
            f"leave the column out with --drop {head[column] if head else column}, pick the "
            "numeric columns with "
            "--columns, or read row labels with --index-col"
        )
    return f"{where}: {cell!r} is not a number; {hint}"
