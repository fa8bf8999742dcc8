"""How sequences are cut into segments and laid out so one Python step serves them all.

The recursions of an HMM run along time. To keep the Python loop short,
sequences are cut into *segments* (a short sequence is one segment; a long
one is cut into blocks of about ``sqrt(T)`` steps) and the segments are
stored *time-major and ragged*: sorted by decreasing length, step ``i`` of
every segment that has one is a contiguous slice of rows. One Python step
then advances every segment at once, and the rows of a step are a prefix of
the previous step's rows, so nothing is ever masked or padded.
"""

from __future__ import annotations

import math

import numpy as np
from attrs import field, frozen

from latentem.core.validation import readonly_array

__all__ = ["Layout", "Segments", "block_length", "ragged_layout", "segment_sequences"]

# Sequences no longer than this are never cut: vectorising across sequences
# is cheaper than the K x K block products of the two-level scan.
_MIN_BLOCK = 256


def block_length(max_length: int) -> int:
    """Length of the blocks long sequences are cut into.

    About ``sqrt(T)`` for the longest sequence ``T``, balancing the Python
    steps within a block (three passes) against those across blocks (two
    cheaper ones), and never below 256 steps, where vectorising across
    sequences wins.

    Examples
    --------
    >>> block_length(100_000), block_length(1_000)
    (317, 256)
    """
    return max(_MIN_BLOCK, math.ceil(math.sqrt(max_length)))


def _int_array(value: np.ndarray) -> np.ndarray:
    return readonly_array(value, dtype=np.intp)


@frozen(eq=False)
class Layout:
    """A time-major ragged layout of segments sorted by decreasing length.

    Attributes
    ----------
    rows : ndarray of shape (n_rows,)
        Original row (time index into the data) of every ragged position.
    counts : ndarray of shape (max_length,)
        Number of segments that have step ``i``.
    offsets : ndarray of shape (max_length + 1,)
        Ragged position of step ``i`` of the first segment.
    order : ndarray of shape (n_segments,)
        Index, in the caller's list, of the segment at each sorted position.
    lengths : ndarray of shape (n_segments,)
        Length of each segment, in sorted order (non-increasing).

    Notes
    -----
    Step ``i`` of sorted segment ``s`` (``s < counts[i]``) is ragged row
    ``offsets[i] + s``; its first step is row ``s`` and its last step is row
    ``offsets[lengths[s] - 1] + s``.
    """

    rows: np.ndarray = field(converter=_int_array)
    counts: np.ndarray = field(converter=_int_array)
    offsets: np.ndarray = field(converter=_int_array)
    order: np.ndarray = field(converter=_int_array)
    lengths: np.ndarray = field(converter=_int_array)

    @property
    def n_steps(self) -> int:
        """Length of the longest segment (number of Python steps of one pass)."""
        return int(self.counts.shape[0])

    def step(self, i: int, n: int | None = None) -> slice:
        """Ragged rows of step ``i`` of the first ``n`` segments (all that have it by default)."""
        start = int(self.offsets[i])
        return slice(start, start + (int(self.counts[i]) if n is None else n))

    def positions(self) -> np.ndarray:
        """Ragged position of every original row (the inverse of :attr:`rows`).

        Only meaningful when the segments cover rows ``0 .. n_rows - 1``.
        """
        inverse = np.empty_like(self.rows)
        inverse[self.rows] = np.arange(self.rows.shape[0])
        return inverse

    def last_rows(self) -> np.ndarray:
        """Ragged row of the last step of every sorted segment."""
        return self.offsets[self.lengths - 1] + np.arange(self.lengths.shape[0])


def ragged_layout(starts: np.ndarray, lengths: np.ndarray) -> Layout:
    """Lay out segments ``[starts[s], starts[s] + lengths[s])`` time-major by decreasing length.

    Examples
    --------
    >>> layout = ragged_layout(np.array([0, 3]), np.array([3, 2]))
    >>> layout.rows.tolist(), layout.counts.tolist()
    ([0, 3, 1, 4, 2], [2, 2, 1])
    """
    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    sorted_starts = starts[order]
    n_steps = int(sorted_lengths[0]) if sorted_lengths.size else 0
    # counts[i] = number of segments longer than i
    histogram = np.bincount(sorted_lengths, minlength=n_steps + 1)
    counts = sorted_lengths.shape[0] - np.cumsum(histogram)[:n_steps]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    n_rows = int(offsets[-1])
    step = np.repeat(np.arange(n_steps), counts)
    segment = np.arange(n_rows) - offsets[step]
    rows = sorted_starts[segment] + step
    return Layout(rows, counts, offsets, order, sorted_lengths)


@frozen(eq=False)
class Segments:
    """Sequences cut into segments for the two-level scan.

    Attributes
    ----------
    starts, lengths : ndarray of shape (n_segments,)
        First row and length of every segment. Short sequences come first
        (one segment each), then the blocks of the long sequences, each long
        sequence's blocks consecutive and in time order.
    sequence : ndarray of shape (n_segments,)
        Index of the sequence each segment belongs to.
    long_sequences : ndarray of shape (n_long,)
        Indices of the sequences that were cut into blocks.
    first_block : ndarray of shape (n_long + 1,)
        Segment index of the first block of each long sequence, and one past
        the last block of the last one.
    n_short : int
        Number of segments that are whole (short) sequences.
    """

    starts: np.ndarray = field(converter=_int_array)
    lengths: np.ndarray = field(converter=_int_array)
    sequence: np.ndarray = field(converter=_int_array)
    long_sequences: np.ndarray = field(converter=_int_array)
    first_block: np.ndarray = field(converter=_int_array)
    n_short: int

    @property
    def n_blocks(self) -> int:
        """Number of blocks (segments of long sequences)."""
        return int(self.lengths.shape[0]) - self.n_short


def segment_sequences(lengths: np.ndarray, block: int | None = None) -> Segments:
    """Cut sequences longer than ``block`` into blocks of at most ``block`` steps.

    Parameters
    ----------
    lengths : ndarray of int of shape (n_sequences,)
        Positive sequence lengths.
    block : int, optional
        Block length; :func:`block_length` of the longest sequence by default.

    Examples
    --------
    >>> s = segment_sequences(np.array([3, 10]), block=4)
    >>> s.starts.tolist(), s.lengths.tolist(), s.first_block.tolist()
    ([0, 3, 7, 10], [3, 4, 3, 3], [1, 4])
    """
    lengths = np.asarray(lengths, dtype=np.intp)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    if block is None:
        block = block_length(int(lengths.max()))
    is_long = lengths > block
    short = np.flatnonzero(~is_long)
    long = np.flatnonzero(is_long)
    n_blocks = -(-lengths[long] // block)  # ceil: blocks of nearly equal length
    seg_starts = [starts[short]]
    seg_lengths = [lengths[short]]
    seg_sequence = [short]
    for index, count in zip(long, n_blocks, strict=True):
        base, extra = divmod(int(lengths[index]), int(count))
        sizes = np.full(count, base, dtype=np.intp)
        sizes[:extra] += 1
        seg_starts.append(starts[index] + np.concatenate([[0], np.cumsum(sizes)[:-1]]))
        seg_lengths.append(sizes)
        seg_sequence.append(np.full(count, index, dtype=np.intp))
    first_block = short.shape[0] + np.concatenate([[0], np.cumsum(n_blocks)]).astype(np.intp)
    return Segments(
        np.concatenate(seg_starts),
        np.concatenate(seg_lengths),
        np.concatenate(seg_sequence),
        long,
        first_block,
        int(short.shape[0]),
    )
