"""Pictures of fits (needs matplotlib: ``pip install matplotlib``).

- :func:`plot_mixture`: a mixture over its data (1-D densities, 2-D
  covariance ellipses, points coloured by responsibility);
- :func:`plot_objective`: the EM objective per iteration;
- :class:`FrameRecorder` and :func:`save_frames`: the fit frame by frame, as
  PNG files or an animated GIF;
- :func:`plot_states`: hidden state sequences over the signal;
- :func:`plot_selection`: the table of :func:`latentem.select_n_components`;
- :func:`plot_model_selection`: the table of :func:`latentem.select_model`, one line per
  covariance structure.

Importing this package does not import matplotlib; each function does.
"""

from latentem.plot.backend import component_colours, require_matplotlib
from latentem.plot.fit import FrameRecorder, plot_objective, save_frames
from latentem.plot.mixture import (
    as_model,
    gaussian_components,
    plot_mixture,
    responsibility_colours,
)
from latentem.plot.selection import plot_model_selection, plot_selection
from latentem.plot.states import plot_states

__all__ = [
    "FrameRecorder",
    "as_model",
    "component_colours",
    "gaussian_components",
    "plot_mixture",
    "plot_model_selection",
    "plot_objective",
    "plot_selection",
    "plot_states",
    "require_matplotlib",
    "responsibility_colours",
    "save_frames",
]
