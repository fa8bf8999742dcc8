"""Entry point: ``latentem <command> ...``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from latentem.cli import demo

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``latentem`` command."""
    parser = argparse.ArgumentParser(
        prog="latentem",
        description="Latent-variable models fitted by expectation-maximization.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (ValueError, TypeError, OSError) as error:
        print(f"latentem {args.command}: error: {error}", file=sys.stderr)
        return 1
