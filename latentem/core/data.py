"""Data sources: how the engine walks over data held in memory or in chunks."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
from attrs import field, frozen

from latentem.core.validation import check_numbers

__all__ = [
    "Chunks",
    "DataSource",
    "InMemory",
    "Observations",
    "as_observations",
    "as_source",
    "count_samples",
]


def _optional_weights(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    weights = np.array(check_numbers(value, "sample_weight"), dtype=float, copy=True)
    if weights.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D, one weight per row; got shape {weights.shape}"
        )
    finite = np.isfinite(weights)
    if not np.all(finite) or np.any(weights[finite] < 0):
        lowest = weights[finite].min() if finite.any() else "n/a"
        raise ValueError(
            f"sample_weight must be finite and non-negative; got min={lowest} and "
            f"{int(np.sum(~finite))} non-finite entries"
            + ("" if finite.all() else f" (first at row {int(np.argmin(finite))})")
        )
    weights.setflags(write=False)
    return weights


def _optional_labels(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    raw = np.asarray(value)
    if raw.ndim != 1:
        raise ValueError(f"labels must be 1-D, one label per row; got shape {raw.shape}")
    if raw.size and not (
        raw.dtype.kind in "iu" or (raw.dtype.kind == "f" and np.all(raw == np.round(raw)))
    ):
        raise TypeError(
            f"labels must be integers (a component index, or -1 for unknown); got dtype {raw.dtype}"
        )
    labels = raw.astype(np.intp, copy=True)
    if np.any(labels < -1):
        raise ValueError(
            f"labels must be -1 (unknown) or a component index >= 0; got {labels.min()}"
        )
    labels.setflags(write=False)
    return labels


@frozen(eq=False)
class Observations:
    """Rows of data with optional per-row weights and known latent labels.

    Models that accept it (the mixtures) treat a weight of 2 exactly as a
    duplicated row and pin a row with label ``k >= 0`` to component ``k``
    (semi-supervised EM); ``-1`` means unknown.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        The data, validated by the model that receives it.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights.
    labels : array-like of int of shape (n_samples,), optional
        Known component of each row, or -1.

    Examples
    --------
    >>> import numpy as np
    >>> obs = Observations(np.zeros((4, 2)), sample_weight=[1, 2, 1, 0], labels=[0, -1, -1, 1])
    >>> obs.n_samples, obs[1:3].sample_weight
    (4, array([2., 1.]))
    """

    X: Any
    sample_weight: np.ndarray | None = field(default=None, converter=_optional_weights)
    labels: np.ndarray | None = field(default=None, converter=_optional_labels)

    def __attrs_post_init__(self) -> None:
        n_samples = count_samples(self.X)
        for name in ("sample_weight", "labels"):
            value = getattr(self, name)
            if value is not None and value.shape[0] != n_samples:
                raise ValueError(
                    f"{name} must have one entry per row of X ({n_samples}); got {value.shape[0]}"
                )

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return count_samples(self.X)

    def __getitem__(self, rows: Any) -> Observations:
        return Observations(
            np.asarray(self.X)[rows],
            None if self.sample_weight is None else self.sample_weight[rows],
            None if self.labels is None else self.labels[rows],
        )


def as_observations(data: Any) -> Observations:
    """``data`` as :class:`Observations` (returned as is if it already is one).

    Examples
    --------
    >>> import numpy as np
    >>> as_observations(np.zeros((3, 2))).n_samples
    3
    """
    return data if isinstance(data, Observations) else Observations(data)


class DataSource:
    """Data the engine visits chunk by chunk on every E-step.

    Subclasses implement :meth:`iter_chunks`; each chunk is passed to the
    model's ``e_step`` and the statistics are summed with ``+``. A source
    whose chunks live elsewhere (a cluster) overrides :meth:`sum_over_chunks`
    to compute there.

    Examples
    --------
    Rows read afresh on every E-step, here from a list standing for files:

    >>> import numpy as np
    >>> class Files(DataSource):
    ...     def __init__(self, parts):
    ...         self.parts = parts
    ...     def iter_chunks(self):
    ...         for part in self.parts:
    ...             yield np.asarray(part, dtype=float)
    >>> [chunk.shape for chunk in Files([[[1.0]], [[2.0], [3.0]]]).iter_chunks()]
    [(1, 1), (2, 1)]
    """

    def iter_chunks(self) -> Iterator[Any]:  # pragma: no cover - interface
        raise NotImplementedError

    def sum_over_chunks(self, function: Callable[[Any], Any]) -> tuple[Any, int]:
        """``function(chunk)`` summed with ``+`` over the chunks, and the number of samples.

        Examples
        --------
        >>> Chunks([[1.0, 2.0], [3.0]]).sum_over_chunks(sum)
        (6.0, 3)
        """
        n_samples = 0

        def visit(chunk: Any) -> Any:
            nonlocal n_samples
            n_samples += count_samples(chunk)
            return function(chunk)

        return functools.reduce(operator.add, map(visit, self.iter_chunks())), n_samples

    def prepared_by(self, prepare: Callable[[Any], Any]) -> DataSource:
        """The source with its chunks prepared once by ``prepare``, or itself.

        ``EM.fit`` calls it with the model's ``prepare``. A source whose chunks
        are read afresh on every E-step (from disk, a cluster, a function)
        returns itself, and its chunks are prepared by the E-steps.

        Examples
        --------
        >>> InMemory([1, 2]).prepared_by(sum).data
        3
        """
        return self


class InMemory(DataSource):
    """All the data as one chunk (the model's own kernels block it internally).

    Examples
    --------
    >>> list(InMemory([1, 2, 3]).iter_chunks())
    [[1, 2, 3]]
    """

    def __init__(self, data: Any) -> None:
        self.data = data

    def iter_chunks(self) -> Iterator[Any]:
        yield self.data

    def prepared_by(self, prepare: Callable[[Any], Any]) -> DataSource:
        return InMemory(prepare(self.data))


class Chunks(DataSource):
    """A re-iterable collection of chunks (a list, or a function returning an iterable).

    Parameters
    ----------
    chunks : sequence or callable
        A sequence of chunks, or a zero-argument callable returning a fresh
        iterable of chunks each time (so data can be streamed from disk on
        every E-step).

    Examples
    --------
    >>> import numpy as np
    >>> source = Chunks([np.zeros((2, 1)), np.ones((3, 1))])
    >>> [chunk.shape for chunk in source.iter_chunks()]
    [(2, 1), (3, 1)]
    """

    def __init__(self, chunks: Iterable[Any] | Callable[[], Iterable[Any]]) -> None:
        if isinstance(chunks, Iterator):
            raise TypeError(
                "chunks must be re-iterable because EM reads the data on every iteration; "
                "got a one-shot iterator. Pass a list, or a function that returns a new iterator"
            )
        self._chunks = chunks

    def iter_chunks(self) -> Iterator[Any]:
        chunks = self._chunks() if callable(self._chunks) else self._chunks
        empty = True
        for chunk in chunks:
            empty = False
            yield chunk
        if empty:
            raise ValueError("chunks yielded no data; pass at least one non-empty chunk")

    def prepared_by(self, prepare: Callable[[Any], Any]) -> DataSource:
        """A list of chunks held in memory is prepared once; streamed chunks are not."""
        from latentem.core.sources import is_out_of_core

        if callable(self._chunks):
            return self
        chunks = list(self._chunks)
        if any(is_out_of_core(getattr(chunk, "X", chunk)) for chunk in chunks):
            return self  # preparing would load them all into memory
        return Chunks([prepare(chunk) for chunk in chunks])


def as_source(data: Any, chunk_size: int | None = None) -> DataSource:
    """Wrap ``data`` as a :class:`DataSource` (data sources are returned as they are).

    A dask array becomes a :class:`~latentem.core.sources.DaskArray`; a
    ``np.memmap`` or another out-of-core array (h5py, zarr), or any array
    when ``chunk_size`` is given, becomes
    :class:`~latentem.core.sources.ArrayChunks`; anything else is one
    in-memory chunk. A one-shot iterator is refused: EM reads the data on
    every iteration.

    Examples
    --------
    >>> import numpy as np
    >>> type(as_source(np.zeros((4, 2)))).__name__, type(as_source(np.zeros((4, 2)), 2)).__name__
    ('InMemory', 'ArrayChunks')
    """
    # imported here because the chunked sources build on this module
    from latentem.core.sources import (
        ArrayChunks,
        DaskArray,
        check_chunk_size,
        is_dask_array,
        is_out_of_core,
    )

    chunk_size = check_chunk_size(chunk_size)
    if isinstance(data, DataSource):
        return data
    if isinstance(data, Iterator):
        raise TypeError(
            f"data is a one-shot iterator ({type(data).__name__}), but EM reads the data on "
            "every iteration. Pass an array, a list of chunks, or latentem.Chunks(function) "
            "with a function returning a new iterator each time; for a single pass over a "
            "stream use latentem.OnlineEM"
        )
    if is_dask_array(data):
        return DaskArray(data, chunk_size)
    rows = data.X if isinstance(data, Observations) else data
    if is_out_of_core(rows) or (chunk_size is not None and hasattr(rows, "shape")):
        return ArrayChunks(data, chunk_size)
    return InMemory(data)


def count_samples(chunk: Any) -> int:
    """Number of samples in a chunk: ``n_samples``, else ``shape[0]``, else ``len``, else 1.

    Examples
    --------
    >>> import numpy as np
    >>> count_samples(np.zeros((5, 2))), count_samples([1, 2]), count_samples(object())
    (5, 2, 1)
    """
    n_samples = getattr(chunk, "n_samples", None)
    if n_samples is not None:
        return int(n_samples)
    shape = getattr(chunk, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(chunk)
    except TypeError:
        return 1
