"""The rows a Gaussian-mixture fit runs on: an array in memory, or a source read in chunks.

An array is validated whole; a memmap, a dask array, a
:class:`~latentem.core.data.DataSource` or ``chunk_size`` make the fit read
chunks, validated in one pass, with the starting parameters drawn from a
uniform sample of at most :data:`INIT_SAMPLE_ROWS` rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from attrs import frozen

from latentem.core.data import DataSource, Observations, as_source
from latentem.core.sources import is_dask_array, is_out_of_core, sample_rows, scan_rows
from latentem.core.validation import check_array, check_gaussian_range
from latentem.mixture.missing import check_fit_data, incomplete_rows, informative_rows

__all__ = ["INIT_SAMPLE_ROWS", "FitData", "validated_fit_data", "weighted_n_samples"]

#: With chunked input, the initialisation sees at most this many rows (a uniform sample).
INIT_SAMPLE_ROWS = 100_000


@frozen(eq=False)
class FitData:
    """What one fit runs on.

    Attributes
    ----------
    source : Observations or DataSource
        The data the EM engine passes over: the informative rows in memory,
        or the chunked source.
    sample : Observations
        The rows the starting parameters come from (all of ``source`` in
        memory; a sample of a chunked source).
    n_samples : int
        Rows the engine sees.
    total_weight : float
        Their number, or their total weight: what "per sample" divides by.
    every_row : ndarray or DataSource
        Every row as checked, to be labelled by ``fit_predict``.
    complete : bool
        Whether ``source`` is in memory with no missing entry, so that it
        can be prepared for the kernels once for the whole fit.
    """

    source: Observations | DataSource
    sample: Observations
    n_samples: int
    total_weight: float
    every_row: np.ndarray | DataSource
    complete: bool


def weighted_n_samples(observations: Observations, n_samples: int) -> float:
    """Rows, or their total weight: what "per sample" divides by.

    Examples
    --------
    >>> weighted_n_samples(Observations(np.zeros((3, 1)), sample_weight=[1.0, 2.0, 0.5]), 3)
    3.5
    """
    weights = observations.sample_weight
    return float(n_samples) if weights is None else float(weights.sum())


def validated_fit_data(
    X: Any,
    sample_weight: Any,
    labels: Any,
    chunk_size: int | None,
    rng: np.random.Generator,
) -> FitData:
    """The data of a fit, validated.

    Parameters
    ----------
    X : array-like, memmap, dask array, DataSource or Observations
    sample_weight, labels : array-like or None
        Only with an array or a memmap ``X``.
    chunk_size : int or None
        Rows per chunk; None reads an in-memory array whole.
    rng : numpy Generator
        Draws the sample of a chunked source.

    Returns
    -------
    FitData
        Chunked data give the same fit as in memory when they have at most
        :data:`INIT_SAMPLE_ROWS` rows: the sample is then every row, in order.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = validated_fit_data(np.arange(8.0).reshape(4, 2), None, None, 2, rng)
    >>> data.n_samples, data.sample.X.shape, type(data.source).__name__, data.complete
    (4, (4, 2), 'ArrayChunks', False)
    """
    chunked = (
        chunk_size is not None
        or isinstance(X, (DataSource, Iterator))  # as_source explains why iterators fail
        or is_dask_array(X)
        or is_out_of_core(X)
    )
    if not chunked:
        every_row = check_array(X, min_samples=2, allow_nan=True)
        check_gaussian_range(every_row)
        observations = Observations(every_row, sample_weight=sample_weight, labels=labels)
        complete = incomplete_rows(every_row) is None
        if not complete:
            check_fit_data(every_row)
            informative = informative_rows(every_row)
            if not informative.all():  # rows with nothing observed carry no information
                observations = observations[informative]
                complete = incomplete_rows(observations.X) is None
        n_rows = observations.X.shape[0]
        weight = weighted_n_samples(observations, n_rows)
        return FitData(observations, observations, n_rows, weight, every_row, complete)
    if sample_weight is not None or labels is not None:
        if isinstance(X, DataSource) or is_dask_array(X):
            raise ValueError(
                "sample_weight and labels go with an array or memmap X; with a data source "
                "or a dask array pass latentem.Observations chunks instead"
            )
        X = Observations(X, sample_weight=sample_weight, labels=labels)
    source = as_source(X, chunk_size)
    n_samples, _ = scan_rows(source, "X")
    if n_samples < 2:
        raise ValueError(
            f"X must have at least 2 samples; got {n_samples} sample{'s' if n_samples != 1 else ''}"
        )
    rows, indices = sample_rows(source, INIT_SAMPLE_ROWS, n_samples, rng)
    check_gaussian_range(rows, "X (a sample of its rows)")
    if not isinstance(X, Observations):
        return FitData(source, Observations(rows), n_samples, float(n_samples), source, False)
    weights, known = X.sample_weight, X.labels
    sample = Observations(
        rows,
        None if weights is None else weights[indices],
        None if known is None else known[indices],
    )
    return FitData(source, sample, n_samples, weighted_n_samples(X, n_samples), source, False)
