"""``latentem select``: the number of components (and the structure) by BIC, AIC or ICL.

With ``--structures`` it is mclust's ``Mclust()``: every covariance structure
with every number of components (:func:`latentem.select_model`).
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from latentem.cli.common import (
    add_data_argument,
    add_model_arguments,
    check_model_size,
    model_for,
    name_features,
    progress_to_stderr,
    read_for,
    warnings_to_stderr,
    write_plot,
)
from latentem.cli.models import CliModel
from latentem.cli.outputs import check_output
from latentem.cli.progress import ProgressBar
from latentem.io.files import save
from latentem.mixture.covariance import COVARIANCE_TYPES, covariance_type
from latentem.mixture.initialization import INIT_METHODS
from latentem.selection.components import CRITERIA, select_n_components
from latentem.selection.models import select_model

__all__ = ["add_parser", "parse_candidates", "parse_structures", "run_select"]

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


def parse_structures(text: str) -> list[str]:
    """``"all"`` or registered structure names separated by commas (mclust's or sklearn's).

    Examples
    --------
    >>> parse_structures("EII, VVV,diag")
    ['EII', 'full', 'diag']
    >>> len(parse_structures("all")) >= 14
    True
    """
    if text.strip().lower() == "all":
        return list(COVARIANCE_TYPES)
    names = []
    for part in text.split(","):
        try:
            names.append(covariance_type(part.strip()).name)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    return list(dict.fromkeys(names))


def _select_structures(args: argparse.Namespace, model: CliModel, X: Any, progress: Any) -> Any:
    """``--structures``: mclust's ``Mclust()``, every structure with every k."""
    if model.name != "gmm":
        raise ValueError(f"--structures applies to --model gmm, not --model {model.name}")
    if args.covariance is not None:
        raise ValueError("give either --covariance (one structure) or --structures (several)")
    params: dict[str, Any] = {
        "init_params": args.init or "hc",
        "reg_covar": 1e-6 if args.reg_covar is None else args.reg_covar,
        "assignment": "hard" if args.hard else "soft",
        "n_init": args.n_init,
        "random_state": args.seed,
        "verbose": 2 if args.verbose else 0,
        "verbose_interval": 1,
    }
    # select_model's own tol and max_iter (tight enough that they do not decide the model)
    # unless given
    if args.tol is not None:
        params["tol"] = args.tol
    if args.max_iter is not None:
        params["max_iter"] = args.max_iter
    return select_model(X, args.k, args.structures, args.criterion, progress=progress, **params)


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
    if args.structures is not None:
        with warnings_to_stderr("select"), progress_to_stderr(args.verbose):
            selection = _select_structures(args, model, X, progress)
        print(selection)
        _save_and_draw(args, table, selection)
        return 0
    if args.init is not None:
        raise ValueError("--init applies with --structures (mclust's selection)")
    fit_params = model.fit_params(args, X)

    def build(n_components: int) -> Any:
        return model.build(args, n_components, X)

    check_model_size(build(max(args.k)), max(args.k), args.data, table)

    # read_for has checked missing values against the model; let them through
    setattr(build, "_allow_nan", model.supports_missing)  # noqa: B010
    with warnings_to_stderr("select"), progress_to_stderr(args.verbose):
        result = select_n_components(
            X, args.k, args.criterion, estimator=build, progress=progress, fit_params=fit_params
        )
    print(result.table())
    _save_and_draw(args, table, result)
    return 0


def _save_and_draw(args: argparse.Namespace, table: Any, result: Any) -> None:
    if args.out:
        name_features(result.best_estimator, table)
        save(result.best_estimator, args.out)
        print(f"saved the best model to {args.out}")
    if args.plot:
        write_plot(lambda: result.plot().figure.savefig(args.plot, dpi=100, bbox_inches="tight"))
        print(f"drew the table in {args.plot}")


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
    parser.add_argument(
        "--structures",
        type=parse_structures,
        default=None,
        metavar="LIST",
        help="try these covariance structures with every k, as mclust's Mclust() (gmm): all, "
        "or names separated by commas, e.g. EII,VEV,VVV; prints the table k by structure",
    )
    parser.add_argument(
        "--init",
        choices=INIT_METHODS,
        default=None,
        help="how every fit of --structures starts (default hc: mclust's hierarchical start)",
    )
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
