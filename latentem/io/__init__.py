"""Saving and loading without pickle, checkpoints, and reading data files.

:func:`save` writes any registered object (every latentem model, front class
and :class:`~latentem.EMResult`) as versioned JSON, with large arrays in a
``.npz`` file beside it; :func:`load` reads it back bit for bit and builds only
registered types. :class:`Checkpoint` saves a running fit every few
iterations. :func:`read_columns` reads the CSV and ``.npy`` files of the command line
(columns by name or position, row labels, decimal commas); :func:`read_data` and
:func:`read_table` read every column as numbers.
"""

from latentem.io import hmm as _hmm  # noqa: F401  (registers latentem's HMM types)
from latentem.io import models as _models  # noqa: F401  (registers latentem's own types)
from latentem.io.checkpoint import Checkpoint, load_checkpoint
from latentem.io.codec import SAVED_DTYPES, StateReader
from latentem.io.files import FORMAT_VERSION, load, save, sidecar_path
from latentem.io.registry import (
    Codec,
    codec_for,
    codec_named,
    register,
    register_attrs,
    register_estimator,
    registered_names,
)
from latentem.io.tables import Table, read_columns, read_data, read_header, read_table

__all__ = [
    "FORMAT_VERSION",
    "SAVED_DTYPES",
    "Checkpoint",
    "Codec",
    "StateReader",
    "Table",
    "codec_for",
    "codec_named",
    "load",
    "load_checkpoint",
    "read_columns",
    "read_data",
    "read_header",
    "read_table",
    "register",
    "register_attrs",
    "register_estimator",
    "registered_names",
    "save",
    "sidecar_path",
]
