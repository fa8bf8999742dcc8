"""What ``fit`` and ``select`` share: model options, reading data, pictures, warnings."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from latentem.cli.models import CLI_MODELS, CliModel
from latentem.core.validation import check_allocation
from latentem.io.tables import Table, read_columns
from latentem.mixture.covariance import COVARIANCE_TYPES, covariance_type

__all__ = [
    "add_data_argument",
    "add_model_arguments",
    "check_model_size",
    "column_list",
    "describe_data",
    "features_text",
    "headless_pyplot",
    "ignore_unnamed_arrays",
    "model_for",
    "name_features",
    "non_negative_float",
    "positive_int",
    "read_args",
    "progress_to_stderr",
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


def column_list(text: str) -> list[str]:
    """argparse type: column names or 0-based positions separated by commas.

    Examples
    --------
    >>> column_list("eruptions, 2")
    ['eruptions', '2']
    """
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise argparse.ArgumentTypeError(
            f"must be column names or 0-based positions separated by commas, e.g. "
            f"waiting,eruptions or 1,2; got {text!r}"
        )
    return items


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """``DATA`` and the options saying how to read it."""
    parser.add_argument(
        "data",
        metavar="DATA",
        help="a CSV file or a .npy array. Empty cells and NA are missing values. The first "
        "row is a header only if some of its fields are not numbers (in a column of numbers, "
        "or all of them), so a first row of numbers is always data; --header or --no-header "
        "says it outright",
    )
    parser.add_argument(
        "--delimiter",
        default=None,
        help="field separator: one character, or 'tab' (default: guessed from the first line "
        "among ',', ';' and tab)",
    )
    parser.add_argument(
        "--decimal",
        choices=(".", ","),
        default=".",
        help="decimal mark of the numbers: ',' reads 3,14 as 3.14 (fields then separated by "
        "';' or tab)",
    )
    header = parser.add_mutually_exclusive_group()
    header.add_argument(
        "--header",
        dest="header",
        action="store_const",
        const=True,
        default=None,
        help="the first row holds column names",
    )
    header.add_argument(
        "--no-header", dest="header", action="store_const", const=False, help="it is data"
    )
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument(
        "--columns",
        type=column_list,
        default=None,
        metavar="C1,C2,...",
        help="read only these columns, in this order: header names or 0-based positions",
    )
    chosen.add_argument(
        "--drop",
        type=column_list,
        default=None,
        metavar="C1,C2,...",
        help="leave these columns out (names or 0-based positions)",
    )
    parser.add_argument(
        "--index-col",
        default=None,
        metavar="COLUMN",
        help="a column of row labels (name or 0-based position), e.g. R's row names: kept "
        "for the output, not fitted",
    )


def read_args(args: argparse.Namespace, columns: list[str] | None = None) -> Table:
    """Read ``DATA`` with the reading options of ``args`` (``columns`` overrides ``--columns``)."""
    return read_columns(
        args.data,
        delimiter=args.delimiter,
        decimal=args.decimal,
        header=args.header,
        columns=args.columns if columns is None else columns,
        drop=args.drop,
        index_col=args.index_col,
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
        "--max-iter",
        type=positive_int,
        default=None,
        help="EM iterations per start (default 100; 1000 for select --structures)",
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
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="report every start and iteration on stderr (the objective and its change)",
    )


def model_for(args: argparse.Namespace) -> CliModel:
    """The chosen model, after checking its options."""
    model = CLI_MODELS[args.model]
    model.check_options(args)
    return model


def read_for(model: CliModel, args: argparse.Namespace) -> Table:
    """Read ``DATA``; refuse rows with missing values unless the model handles them."""
    table = read_args(args)
    incomplete = np.flatnonzero(np.isnan(table.values).any(axis=1))
    if incomplete.size and not model.supports_missing:
        raise ValueError(
            f"{args.data}: {incomplete.size} data row(s) have missing values (first: data row "
            f"{incomplete[0] + 1}); --model {model.name} does not support missing values yet, "
            "so remove or fill those rows"
        )
    return table


def check_model_size(estimator: Any, n_components: int, path: str, table: Table) -> None:
    """Refuse, before fitting, a model whose covariances alone exceed this machine's memory.

    A full covariance matrix holds ``n_features^2`` numbers per component,
    so a file of 200,000 columns asks for hundreds of gigabytes: the fit
    would fail deep inside NumPy. A lower bound of what the fit needs is
    checked (:func:`~latentem.core.validation.check_allocation`), never
    more, so no fit that could run is refused.
    """
    name = getattr(estimator, "covariance_type", None)
    if not isinstance(name, str):
        return
    n_rows, n_features = table.values.shape
    structure = covariance_type(name)
    numbers = math.prod(structure.parameter_shape(n_components, n_features))
    transposed = ""
    if n_features > n_rows:
        transposed = (
            f" ({n_rows} rows of {n_features} columns: if each column is a sample, "
            "transpose the file)"
        )
    check_allocation(
        numbers,
        f"{path}: has {n_features} columns, so a model with --covariance {structure.name} and "
        f"{n_components} component(s), whose covariances alone hold {numbers:.3g} numbers,",
        "choose fewer columns with --columns or --drop, or a covariance structure with "
        f"fewer parameters (--covariance diag or spherical){transposed}",
    )


def name_features(estimator: Any, table: Table) -> None:
    """Record the header's names of the fitted columns as scikit-learn does."""
    if table.names is not None:
        estimator.feature_names_in_ = np.array(table.names, dtype=object)


def features_text(table: Table) -> str:
    """``features eruptions, waiting`` from a header, else ``2 features``."""
    if table.names is None:
        return f"{table.values.shape[1]} features"
    return f"features {', '.join(table.names)}"


def describe_data(path: str, table: Table) -> str:
    """``data.csv (272 rows; features eruptions, waiting)``."""
    return f"{path} ({table.values.shape[0]} rows; {features_text(table)})"


def headless_pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend, or a ValueError saying how."""
    try:
        import matplotlib
    except ImportError:
        raise ValueError(
            "--plot needs matplotlib; install it with: pip install matplotlib"
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
        ignore_unnamed_arrays()
        warnings.showwarning = show
        yield


def progress_to_stderr(verbose: bool) -> contextlib.AbstractContextManager[Any]:
    """With ``--verbose``, what the estimators print (every start and iteration) goes to
    stderr, so that stdout keeps only the results."""
    return contextlib.redirect_stdout(sys.stderr) if verbose else contextlib.nullcontext()


def ignore_unnamed_arrays() -> None:
    """Silence "X does not have valid feature names": the CLI matches columns by name itself.

    A model fitted from a file with a header has ``feature_names_in_``; the
    CLI reads later files by those names (``read_for_model``) and hands the
    estimator a NumPy array, which would otherwise warn.
    """
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
