"""What ``fit`` and ``select`` share: model options, reading data, pictures, warnings."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from latentem.cli.models import CLI_MODELS, CliModel
from latentem.io.tables import read_data
from latentem.mixture.covariance import COVARIANCE_TYPES

__all__ = [
    "add_data_argument",
    "add_model_arguments",
    "headless_pyplot",
    "model_for",
    "non_negative_float",
    "positive_int",
    "read_for",
    "warnings_to_stderr",
    "write_plot",
]


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0; got {text!r}")
    return value


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """``DATA`` and ``--delimiter``."""
    parser.add_argument(
        "data",
        metavar="DATA",
        help="a CSV file (header detected, empty cells are missing values) or a .npy array",
    )
    parser.add_argument(
        "--delimiter", default=None, help="CSV field separator (default: guessed from the file)"
    )


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model`` and the fitting options of every model."""
    names = ", ".join(f"{name}: {model.summary}" for name, model in CLI_MODELS.items())
    parser.add_argument("--model", default="gmm", choices=sorted(CLI_MODELS), help=names)
    parser.add_argument(
        "--covariance",
        choices=list(COVARIANCE_TYPES),
        default=None,
        help="covariance structure (default: full for gmm, diag for hmm)",
    )
    parser.add_argument(
        "--lengths",
        metavar="LENGTHS",
        default=None,
        help="lengths of the sequences stacked in DATA (hmm): integers separated by commas, "
        "e.g. 100,250, or a file with one integer per line (default: one sequence)",
    )
    parser.add_argument(
        "--hard",
        action="store_const",
        const=True,
        default=None,
        help="hard assignment: classification EM (gmm)",
    )
    parser.add_argument(
        "--reg-covar",
        type=non_negative_float,
        default=None,
        help="added to covariance diagonals (gmm; default 1e-6)",
    )
    parser.add_argument(
        "--max-iter", type=positive_int, default=100, help="EM iterations per start"
    )
    parser.add_argument(
        "--tol",
        type=non_negative_float,
        default=None,
        help="convergence tolerance, as the Python class takes it: for gmm on the "
        "log-likelihood per sample (default 1e-3, as scikit-learn); for hmm on the total "
        "log-likelihood (default 1e-2, as hmmlearn)",
    )
    parser.add_argument("--n-init", type=positive_int, default=1, help="number of starts")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the starts")


def model_for(args: argparse.Namespace) -> CliModel:
    """The chosen model, after checking its options."""
    model = CLI_MODELS[args.model]
    model.check_options(args)
    return model


def read_for(model: CliModel, args: argparse.Namespace) -> np.ndarray:
    """Read ``DATA``; refuse rows with missing values unless the model handles them."""
    X = read_data(args.data, delimiter=args.delimiter)
    incomplete = np.flatnonzero(np.isnan(X).any(axis=1))
    if incomplete.size and not model.supports_missing:
        raise ValueError(
            f"{args.data}: {incomplete.size} data row(s) have missing values (first: data row "
            f"{incomplete[0] + 1}); --model {model.name} does not support missing values yet, "
            "so remove or fill those rows"
        )
    return X


def headless_pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend, or a ValueError saying how."""
    try:
        import matplotlib
    except ImportError:
        raise ValueError(
            "--plot needs matplotlib; install it with: pip install 'latentem[plot]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_plot(draw: Callable[[], object]) -> None:
    """Run ``draw`` (which writes a picture) with :func:`headless_pyplot`, closing every figure."""
    plt = headless_pyplot()
    try:
        draw()
    finally:
        plt.close("all")


@contextmanager
def warnings_to_stderr(command: str) -> Iterator[None]:
    """Show warnings as one line each: ``latentem fit: warning: ...``."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        text = " ".join(str(message).split())
        print(f"latentem {command}: warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield
