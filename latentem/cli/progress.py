"""The command line's progress bar (:class:`latentem.core.progress.ProgressBar`)."""

from latentem.core.progress import ProgressBar

__all__ = ["ProgressBar"]
