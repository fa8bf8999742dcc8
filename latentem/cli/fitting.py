"""``latentem fit`` and ``latentem predict``: fit a model to a file, use it on another."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import numpy as np

from latentem.cli.common import (
    add_data_argument,
    add_model_arguments,
    check_model_size,
    describe_data,
    model_for,
    name_features,
    positive_int,
    progress_to_stderr,
    read_args,
    read_for,
    warnings_to_stderr,
    write_plot,
)
from latentem.cli.models import parse_lengths
from latentem.cli.outputs import check_output, text_output
from latentem.estimators.hmm.base import BaseHMM
from latentem.io.files import load, save
from latentem.io.tables import Table, read_header

__all__ = ["add_parsers", "read_for_model", "run_fit", "run_predict"]


def run_fit(args: argparse.Namespace) -> int:
    """Fit ``--model`` with ``-k`` components to DATA and save it to ``--out``."""
    model = model_for(args)
    check_output(args.out, "--out")
    check_output(args.plot, "--plot")
    table = read_for(model, args)
    X = table.values
    fit_params = model.fit_params(args, X)
    estimator = model.build(args, args.k, X)
    check_model_size(estimator, args.k, args.data, table)
    with warnings_to_stderr("fit"):
        with progress_to_stderr(args.verbose):
            estimator.fit(X, **fit_params)
        name_features(estimator, table)
        save(estimator, args.out)
        print(f"fitted {args.model} with {args.k} components to {describe_data(args.data, table)}")
        print("\n".join(model.describe(estimator, X, fit_params)))
        print(f"saved the model to {args.out}")
        if args.plot:
            write_plot(lambda: model.plot(estimator, X, Path(args.plot), fit_params))
            print(f"drew the fit in {args.plot}")
    return 0


def read_for_model(estimator: Any, args: argparse.Namespace, model_file: str) -> Table:
    """Read DATA for a saved model: by the model's column names when both have names.

    Without ``--columns`` or ``--drop``, a model fitted with names reads the
    columns of those names from a file with a header, in the model's order,
    wherever they are; a file without a header is read by position. Chosen
    columns holding the model's names in another order are refused.
    """
    names = getattr(estimator, "feature_names_in_", None)
    names = None if names is None else [str(name) for name in names]
    if names is not None and args.columns is None and args.drop is None:
        header = read_header(
            args.data, delimiter=args.delimiter, decimal=args.decimal, header=args.header
        )
        if header is not None:
            missing = [name for name in names if name not in header]
            if missing:
                raise ValueError(
                    f"{args.data}: has no column {missing[0]!r}; the model in "
                    f"{model_file} was fitted on {', '.join(map(repr, names))}. Rename "
                    "the columns, or pass --columns with the columns that hold them, in this "
                    "order"
                )
            return read_args(args, columns=names)
    table = read_args(args)
    chosen = table.names
    if (
        names is not None
        and chosen is not None
        and chosen != names
        and sorted(chosen) == sorted(names)
    ):
        raise ValueError(
            f"{args.data}: the columns chosen are {', '.join(map(repr, chosen))} but "
            f"the model in {model_file} was fitted on them in the order "
            f"{', '.join(map(repr, names))}; list them in that order"
        )
    expected = getattr(estimator, "n_features_in_", table.values.shape[1])
    if table.values.shape[1] != expected:
        raise ValueError(
            f"{args.data}: has {table.values.shape[1]} columns but the model in "
            f"{model_file} was fitted on {expected}"
            + ("" if table.names is None else f" ({', '.join(table.names)} were read)")
        )
    return table


def _loaded_for_predict(args: argparse.Namespace) -> Any:
    """The model of MODEL.json, checked to answer what predict asks."""
    estimator = load(args.model_file)
    if args.lengths is not None and not isinstance(estimator, BaseHMM):
        raise ValueError(
            f"--lengths applies to hidden Markov models; {args.model_file} holds a "
            f"{type(estimator).__name__}"
        )
    methods = {"predict_proba" if args.proba or args.append else "predict", "predict"}
    for method in sorted(methods):
        if not callable(getattr(estimator, method, None)):
            raise ValueError(
                f"{args.model_file}: holds a {type(estimator).__name__}, which has no {method}"
            )
    if hasattr(estimator, "__sklearn_is_fitted__") and not estimator.__sklearn_is_fitted__():
        raise ValueError(f"{args.model_file}: holds an unfitted {type(estimator).__name__}")
    return estimator


def run_predict(args: argparse.Namespace) -> int:
    """Print the most probable component or state (or every probability) of each row of DATA."""
    check_output(args.out, "--out", stdout=True)
    estimator = _loaded_for_predict(args)
    sequences = isinstance(estimator, BaseHMM)
    table = read_for_model(estimator, args, args.model_file)
    X = table.values
    if np.isnan(X).any() and not getattr(estimator, "_allow_nan", False):
        raise ValueError(
            f"{args.data}: has missing values, which {type(estimator).__name__} does not "
            "support yet; remove or fill those rows"
        )
    fit_params = {}
    if args.lengths is not None:
        fit_params["lengths"] = parse_lengths(args.lengths, X.shape[0])
    # Viterbi states of the sequences for an HMM (its predict), components for a mixture
    # every digit of each double; appended to DATA's own columns in DATA's decimal mark
    number = table.format_number if args.append else lambda v: repr(float(v))
    if args.proba:
        proba = estimator.predict_proba(X, **fit_params)
        names = [f"p{k}" for k in range(proba.shape[1])]
        columns = [[number(v) for v in row] for row in proba]
    else:
        labels = estimator.predict(X, **fit_params)
        names = ["state" if sequences else "label"]
        columns = [[str(int(label))] for label in labels]
        if args.append:
            names.append("uncertainty")
            largest = estimator.predict_proba(X, **fit_params).max(axis=1)
            for row, p in zip(columns, largest, strict=True):
                row.append(number(1.0 - p))
    with text_output(args.out) as out:
        if args.append:
            writer = csv.writer(out, delimiter=table.delimiter, lineterminator="\n")
            header = table.header or [str(j) for j in range(len(table.rows[0]))]
            writer.writerow(header + names)
            writer.writerows([row + extra for row, extra in zip(table.rows, columns, strict=True)])
        else:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(names)
            writer.writerows(columns)
    return 0


def add_parsers(commands: Any) -> None:
    """Register ``latentem fit`` and ``latentem predict``."""
    fit = commands.add_parser(
        "fit",
        help="fit a model to a CSV or .npy file and save it as JSON",
        description="Fit a model to DATA by EM and save it with latentem.save.",
    )
    add_data_argument(fit)
    fit.add_argument(
        "-k",
        "--n-components",
        dest="k",
        type=positive_int,
        required=True,
        help="number of components",
    )
    add_model_arguments(fit)
    fit.add_argument("--out", required=True, metavar="MODEL.json", help="where to save the model")
    fit.add_argument("--plot", metavar="PNG", help="also draw the fit into this picture")
    fit.set_defaults(run=run_fit)

    predict = commands.add_parser(
        "predict",
        help="label the rows of a file with a saved model",
        description="Print the most probable component of every row of DATA as CSV (for a "
        "hidden Markov model, the most probable state sequence: the Viterbi path).",
    )
    predict.add_argument("model_file", metavar="MODEL.json", help="a model saved by latentem fit")
    add_data_argument(predict)
    predict.add_argument(
        "--proba",
        action="store_true",
        help="print every component's (or state's) posterior probability",
    )
    predict.add_argument(
        "--lengths",
        metavar="LENGTHS",
        default=None,
        help="lengths of the sequences stacked in DATA (hidden Markov models): integers "
        "separated by commas or a file with one integer per line (default: one sequence)",
    )
    predict.add_argument(
        "--append",
        action="store_true",
        help="write every column of DATA (as read, in its delimiter and decimal mark) followed "
        "by the label and its uncertainty (1 minus the largest posterior probability), or by "
        "the probabilities with --proba",
    )
    predict.add_argument(
        "--out", metavar="CSV", help="write to this file instead of stdout ('-': stdout)"
    )
    predict.set_defaults(run=run_predict)
