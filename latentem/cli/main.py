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
        stderr, never a traceback: running out of memory and unexpected
        errors too), 2 for a usage error.

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
        return _error(args.command, str(error))
    except MemoryError as error:
        return _error(
            args.command,
            f"out of memory ({error or 'no details'}): the data or the model is too large for "
            "this machine; choose fewer columns with --columns or --drop, or fewer rows",
        )
    except KeyboardInterrupt:
        print(f"latentem {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if sys.flags.dev_mode:
            raise
        return _error(
            args.command,
            f"unexpected {type(error).__name__}: {error}. This is a bug in latentem: please "
            "report it with the command that gave it (python -X dev -m latentem ... shows "
            "the traceback)",
        )


def _error(command: str, message: str) -> int:
    """Print ``latentem COMMAND: error: MESSAGE`` on one line of stderr; return status 1."""
    print(f"latentem {command}: error: {' '.join(message.split())}", file=sys.stderr)
    return 1
