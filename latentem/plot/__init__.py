"""Pictures of fits (needs matplotlib: ``pip install 'latentem[plot]'``)."""

from latentem.plot.mixture import plot_mixture, plot_objective, require_matplotlib

__all__ = ["plot_mixture", "plot_objective", "require_matplotlib"]
