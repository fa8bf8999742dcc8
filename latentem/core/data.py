"""Data sources: how the engine walks over data held in memory or in chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["Chunks", "DataSource", "InMemory", "as_source", "count_samples"]


class DataSource:
    """Data the engine visits chunk by chunk on every E-step.

    Subclasses implement :meth:`iter_chunks`; each chunk is passed to the
    model's ``e_step`` and the statistics are summed with ``+``.
    """

    def iter_chunks(self) -> Iterator[Any]:  # pragma: no cover - interface
        raise NotImplementedError


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


def as_source(data: Any) -> DataSource:
    """Wrap ``data`` as a :class:`DataSource` (data sources are returned as they are)."""
    if isinstance(data, DataSource):
        return data
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
