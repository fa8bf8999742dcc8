"""The ``latentem`` command line."""

from latentem.cli.main import main

__all__ = ["main"]
