"""``latentem impute``: fill the holes of a data file by EM (:class:`~latentem.EMImputer`)."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import numpy as np

from latentem.cli.common import (
    add_data_argument,
    check_model_size,
    features_text,
    name_features,
    non_negative_float,
    positive_int,
    read_args,
    warnings_to_stderr,
)
from latentem.cli.fitting import read_for_model
from latentem.cli.models import log_likelihood_line
from latentem.cli.outputs import STDOUT, check_output, text_output
from latentem.estimators.imputer import EMImputer
from latentem.io.files import load, save
from latentem.io.tables import Table
from latentem.mixture.covariance import COVARIANCE_TYPES

__all__ = ["add_parser", "filled_rows", "run_impute", "write_table"]

# fitting options (refused together with --model): attribute -> flag, EMImputer argument, default
_FIT_OPTIONS: dict[str, tuple[str, str, Any]] = {
    "k": ("-k", "n_components", 1),
    "covariance": ("--covariance", "covariance_type", "full"),
    "reg_covar": ("--reg-covar", "reg_covar", 0.0),
    "max_iter": ("--max-iter", "max_iter", 1000),
    "tol": ("--tol", "tol", 1e-10),
    "n_init": ("--n-init", "n_init", 1),
    "seed": ("--seed", "random_state", 0),
}


def write_table(path: str | Path, X: np.ndarray, header: list[str] | None) -> None:
    """Write ``X`` to a ``.npy`` file, or as CSV with every digit of each double.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "filled.csv")
    >>> write_table(path, np.array([[0.1, 2.0]]), ["a", "b"])
    >>> print(open(path).read(), end="")
    a,b
    0.1,2.0
    """
    path = Path(path)
    if path.suffix.lower() == ".npy":
        with open(path, "wb") as stream:
            np.save(stream, X, allow_pickle=False)
        return
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        if header is not None:
            writer.writerow(header)
        writer.writerows([[repr(float(v)) for v in row] for row in X])


def _imputer(args: argparse.Namespace) -> tuple[EMImputer, bool]:
    """The saved imputer of ``--model``, or a new one from the fitting options."""
    if args.model is not None:
        given = [
            flag for name, (flag, _, _) in _FIT_OPTIONS.items() if getattr(args, name) is not None
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)} set(s) how to fit an imputer, but --model {args.model} "
                "gives a fitted one; leave out one or the other"
            )
        imputer: Any = load(args.model)
        if not isinstance(imputer, EMImputer):
            raise ValueError(f"{args.model}: holds a {type(imputer).__name__}, not an EMImputer")
        if not imputer.__sklearn_is_fitted__():
            raise ValueError(f"{args.model}: holds an unfitted EMImputer")
        return imputer, False
    options = {
        argument: default if getattr(args, name) is None else getattr(args, name)
        for name, (_, argument, default) in _FIT_OPTIONS.items()
    }
    return EMImputer(**options), True


def filled_rows(table: Table, filled: np.ndarray) -> list[list[str]]:
    """Every row of DATA as read, its missing cells in the chosen columns filled.

    The cells that were present keep their text; a filled cell gets every
    digit of its double in the file's decimal mark.
    """
    rows = [list(row) for row in table.rows]
    for i, j in zip(*np.nonzero(np.isnan(table.values)), strict=True):
        rows[i][table.positions[j]] = table.format_number(filled[i, j])
    return rows


def _write_filled(path: str, table: Table, filled: np.ndarray) -> None:
    if path != STDOUT and Path(path).suffix.lower() == ".npy":
        write_table(path, filled, None)
        return
    with text_output(path) as stream:
        writer = csv.writer(stream, delimiter=table.delimiter, lineterminator="\n")
        if table.header is not None:
            writer.writerow(table.header)
        writer.writerows(filled_rows(table, filled))


def run_impute(args: argparse.Namespace) -> int:
    """Fit (or load) an EMImputer, fill the missing entries of DATA, write ``--out``."""
    check_output(args.out, "--out", stdout=True)
    check_output(args.save_model, "--save-model")
    imputer, fit = _imputer(args)
    table = read_args(args) if fit else read_for_model(imputer, args, args.model)
    X = table.values
    if fit:
        check_model_size(imputer, imputer.n_components, args.data, table)
    missing = np.isnan(X)
    with warnings_to_stderr("impute"):
        if fit:
            imputer.fit(X)
            name_features(imputer, table)
        filled = imputer.transform(X)
    _write_filled(args.out, table, filled)
    # the report goes to stderr when the filled data goes to stdout
    report = sys.stderr if args.out == STDOUT else sys.stdout
    rows = int(missing.any(axis=1).sum())
    source = "fitted" if fit else f"loaded from {args.model}"
    print(
        f"imputed {int(missing.sum())} missing entries in {rows} of {X.shape[0]} rows of "
        f"{args.data} ({features_text(table)}) with an EMImputer ({imputer.n_components} "
        f"component(s), {source})",
        file=report,
    )
    if fit:
        state = "converged" if imputer.converged_ else "did not converge"
        print(f"  {state} after {imputer.n_iter_} iterations", file=report)
        total = imputer.lower_bound_ * X.shape[0]
        print(f"  observed-data{log_likelihood_line(total, X.shape[0])[1:]}", file=report)
    print(f"wrote the filled data to {'stdout' if args.out == STDOUT else args.out}", file=report)
    if args.save_model:
        save(imputer, args.save_model)
        print(f"saved the imputer to {args.save_model}", file=report)
    return 0


def add_parser(commands: Any) -> None:
    """Register ``latentem impute``."""
    parser = commands.add_parser(
        "impute",
        help="fill the missing values of a file by EM (multivariate normal or mixture)",
        description="Fit an EMImputer to the observed entries of DATA (or load one with "
        "--model) and write DATA with every missing entry replaced by its conditional "
        "expectation given the observed entries of its row.",
    )
    add_data_argument(parser)
    parser.add_argument(
        "--out",
        required=True,
        metavar="FILLED.csv",
        help="the filled data: CSV (every column of DATA, its delimiter and decimal mark), "
        ".npy (the filled columns), or '-' for CSV on stdout",
    )
    parser.add_argument(
        "-k",
        "--n-components",
        dest="k",
        type=positive_int,
        default=None,
        help="1 (default): one multivariate normal; more: a Gaussian mixture",
    )
    parser.add_argument(
        "--covariance",
        choices=list(COVARIANCE_TYPES),
        default=None,
        help="covariance structure (default full: observed features inform missing ones)",
    )
    parser.add_argument(
        "--reg-covar",
        type=non_negative_float,
        default=None,
        help="added to covariance diagonals (default 0: the exact maximum-likelihood fit)",
    )
    parser.add_argument("--max-iter", type=positive_int, default=None, help="default 1000")
    parser.add_argument(
        "--tol",
        type=non_negative_float,
        default=None,
        help="tolerance on the log-likelihood per sample (default 1e-10)",
    )
    parser.add_argument("--n-init", type=positive_int, default=None, help="starts of a mixture")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    parser.add_argument(
        "--model", metavar="MODEL.json", help="impute with an EMImputer saved by --save-model"
    )
    parser.add_argument("--save-model", metavar="MODEL.json", help="also save the imputer")
    parser.set_defaults(run=run_impute)
