"""Entry point: ``latentem <command> ...``."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

from latentem import __version__
from latentem.cli import demo, fitting, imputing, inspecting, selecting
from latentem.cli.common import ignore_unnamed_arrays

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``latentem`` command."""
    parser = argparse.ArgumentParser(
        prog="latentem",
        description="Latent-variable models fitted by expectation-maximization.",
    )
    parser.add_argument("--version", action="version", version=f"latentem {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    fitting.add_parsers(commands)
    selecting.add_parser(commands)
    imputing.add_parser(commands)
    inspecting.add_parser(commands)
    demo.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``latentem`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 for an error in the data or files (one line on
        stderr), 2 for a usage error.

    Examples
    --------
    >>> from latentem.cli import main
    >>> main(["select", "no-such-file.csv"])
    1
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            ignore_unnamed_arrays()
            return int(args.run(args) or 0)
    except BrokenPipeError:
        # the reader of our output went away (e.g. `latentem predict ... | head`)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except (ValueError, TypeError, OSError, ImportError) as error:
        # one line: the file and the problem, never a traceback
        message = " ".join(str(error).split())
        print(f"latentem {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"latentem {args.command}: interrupted", file=sys.stderr)
        return 130
