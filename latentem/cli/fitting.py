"""``latentem fit`` and ``latentem predict``: fit a model to a file, use it on another."""

from __future__ import annotations

import argparse
import csv
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from latentem.cli.common import (
    add_data_argument,
    add_model_arguments,
    model_for,
    positive_int,
    read_for,
    warnings_to_stderr,
    write_plot,
)
from latentem.cli.models import parse_lengths
from latentem.estimators.hmm.base import BaseHMM
from latentem.io.files import load, save
from latentem.io.tables import read_data

__all__ = ["add_parsers", "run_fit", "run_predict"]


def run_fit(args: argparse.Namespace) -> int:
    """Fit ``--model`` with ``-k`` components to DATA and save it to ``--out``."""
    model = model_for(args)
    X = read_for(model, args)
    fit_params = model.fit_params(args, X)
    estimator = model.build(args, args.k, X)
    with warnings_to_stderr("fit"):
        estimator.fit(X, **fit_params)
        save(estimator, args.out)
        print(
            f"fitted {args.model} with {args.k} components to {args.data} ({X.shape[0]} rows, "
            f"{X.shape[1]} features)"
        )
        print("\n".join(model.describe(estimator, X, fit_params)))
        print(f"saved the model to {args.out}")
        if args.plot:
            write_plot(lambda: model.plot(estimator, X, Path(args.plot), fit_params))
            print(f"drew the fit in {args.plot}")
    return 0


def run_predict(args: argparse.Namespace) -> int:
    """Print the most probable component or state (or every probability) of each row of DATA."""
    estimator = load(args.model_file)
    sequences = isinstance(estimator, BaseHMM)
    if args.lengths is not None and not sequences:
        raise ValueError(
            f"--lengths applies to hidden Markov models; {args.model_file} holds a "
            f"{type(estimator).__name__}"
        )
    method = "predict_proba" if args.proba else "predict"
    if not callable(getattr(estimator, method, None)):
        raise ValueError(
            f"{args.model_file}: holds a {type(estimator).__name__}, which has no {method}"
        )
    if hasattr(estimator, "__sklearn_is_fitted__") and not estimator.__sklearn_is_fitted__():
        raise ValueError(f"{args.model_file}: holds an unfitted {type(estimator).__name__}")
    X = read_data(args.data, delimiter=args.delimiter)
    if np.isnan(X).any() and not getattr(estimator, "_allow_nan", False):
        raise ValueError(
            f"{args.data}: has missing values, which {type(estimator).__name__} does not "
            "support yet; remove or fill those rows"
        )
    expected = getattr(estimator, "n_features_in_", X.shape[1])
    if X.shape[1] != expected:
        raise ValueError(
            f"{args.data}: has {X.shape[1]} columns but the model in {args.model_file} was "
            f"fitted on {expected}"
        )
    fit_params = {}
    if args.lengths is not None:
        fit_params["lengths"] = parse_lengths(args.lengths, X.shape[0])
    # Viterbi states of the sequences for an HMM (its predict), components for a mixture
    values = getattr(estimator, method)(X, **fit_params)
    with nullcontext(sys.stdout) if args.out is None else open(args.out, "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        if args.proba:
            writer.writerow([f"p{k}" for k in range(values.shape[1])])
            writer.writerows([[repr(float(v)) for v in row] for row in values])
        else:
            writer.writerow(["state" if sequences else "label"])
            writer.writerows([[int(label)] for label in values])
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
    predict.add_argument("--out", metavar="CSV", help="write to this file instead of stdout")
    predict.set_defaults(run=run_predict)
