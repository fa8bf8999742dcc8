"""``latentem select``: the number of components by BIC, AIC or ICL, with a progress bar."""

from __future__ import annotations

import argparse
import re
from typing import Any

from latentem.cli.common import (
    add_data_argument,
    add_model_arguments,
    model_for,
    name_features,
    read_for,
    warnings_to_stderr,
    write_plot,
)
from latentem.cli.models import CliModel
from latentem.cli.outputs import check_output
from latentem.cli.progress import ProgressBar
from latentem.io.files import save
from latentem.selection.components import CRITERIA, select_n_components

__all__ = ["add_parser", "parse_candidates", "run_select"]

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_candidates(text: str) -> list[int]:
    """``"1-10"``, ``"2,4,8"`` or ``"1-3,6"`` as a sorted list of distinct ints >= 1.

    Examples
    --------
    >>> parse_candidates("1-3,6")
    [1, 2, 3, 6]
    >>> parse_candidates("5-2")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: range 5-2 is empty; write the smaller number first, e.g. 2-5
    """
    values: set[int] = set()
    for part in text.split(","):
        match = _RANGE.match(part)
        if match is None:
            raise argparse.ArgumentTypeError(
                f"must be numbers of components like 1-10, 2,4,8 or 1-3,6; got {text!r}"
            )
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if low < 1:
            raise argparse.ArgumentTypeError(f"numbers of components start at 1; got {low}")
        if high < low:
            raise argparse.ArgumentTypeError(
                f"range {low}-{high} is empty; write the smaller number first, e.g. {high}-{low}"
            )
        if high - low > 10_000:
            raise argparse.ArgumentTypeError(f"range {low}-{high} is too long")
        values.update(range(low, high + 1))
    return sorted(values)


def run_select(args: argparse.Namespace) -> int:
    """Fit every candidate, print the table, optionally save the best and draw the table."""
    model: CliModel = model_for(args)
    check_output(args.out, "--out")
    check_output(args.plot, "--plot")
    table = read_for(model, args)
    X = table.values
    if max(args.k) > X.shape[0]:
        raise ValueError(
            f"{args.data}: has {X.shape[0]} rows, fewer than the {max(args.k)} components "
            "asked for by --k"
        )
    progress = ProgressBar("select", enabled=args.progress)
    fit_params = model.fit_params(args, X)

    def build(n_components: int) -> Any:
        return model.build(args, n_components, X)

    # read_for has checked missing values against the model; let them through
    setattr(build, "_allow_nan", model.supports_missing)  # noqa: B010
    with warnings_to_stderr("select"):
        result = select_n_components(
            X, args.k, args.criterion, estimator=build, progress=progress, fit_params=fit_params
        )
    print(result.table())
    if args.out:
        name_features(result.best_estimator, table)
        save(result.best_estimator, args.out)
        print(f"saved the best model to {args.out}")
    if args.plot:
        write_plot(lambda: result.plot().figure.savefig(args.plot, dpi=100, bbox_inches="tight"))
        print(f"drew the table in {args.plot}")
    return 0


def add_parser(commands: Any) -> None:
    """Register ``latentem select``."""
    parser = commands.add_parser(
        "select",
        help="choose the number of components by BIC, AIC or ICL",
        description="Fit one model per number of components and print the criteria table.",
    )
    add_data_argument(parser)
    parser.add_argument(
        "--k",
        type=parse_candidates,
        default=list(range(1, 11)),
        help="numbers of components to try, e.g. 1-10 (default) or 2,4,8",
    )
    parser.add_argument("--criterion", choices=CRITERIA, default="bic", help="lower is better")
    add_model_arguments(parser)
    parser.add_argument("--out", metavar="MODEL.json", help="save the best model here")
    parser.add_argument("--plot", metavar="PNG", help="draw the criteria against k here")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--progress",
        action="store_const",
        const=True,
        default=None,
        help="draw a progress bar on stderr (default: only when stderr is a terminal)",
    )
    shown.add_argument("--no-progress", dest="progress", action="store_const", const=False)
    parser.set_defaults(run=run_select)
