"""Everything the scan needs to know about a set of sequence lengths, computed once.

A :class:`ScanPlan` cuts the sequences into segments, lays them out
time-major and ragged (:mod:`latentem.hmm.layout`) and precomputes the
index arrays the scan uses. Every array the scan touches lives in that
*ragged order*: the E-step permutes ``X`` once, evaluates the emissions,
runs the scan and sums the statistics there, since sums do not depend on the
order of the rows. Plans are cached by lengths, so EM builds one per data
set, not one per iteration.
"""

from __future__ import annotations

import functools

import numpy as np
from attrs import evolve, frozen

from latentem.hmm.layout import (
    Layout,
    Segments,
    block_length,
    ragged_layout,
    segment_sequences,
)

__all__ = ["ScanPlan", "scan_plan"]


@frozen(eq=False)
class ScanPlan:
    """Segments, their ragged layout and the index arrays of the scan.

    Segment arrays are in the layout's sorted order (``layout.order``)
    unless named ``block_*``, which follow the blocks in time order
    (``segments`` order, from ``segments.n_short`` on).

    Attributes
    ----------
    lengths : ndarray of shape (n_sequences,)
    segments : Segments
    layout : Layout
        All segments; ``layout.rows`` maps ragged rows to original rows.
    positions : ndarray of shape (n_samples,)
        Ragged row of every original row.
    row_segment : ndarray of shape (n_samples,)
        Sorted segment of every ragged row.
    segment_sequence : ndarray of shape (n_segments,)
        Sequence of every sorted segment.
    starts_sequence, ends_sequence : ndarray of bool of shape (n_segments,)
        Whether a sorted segment begins (ends) its sequence.
    sequence_first_rows : ndarray of shape (n_sequences,)
        Ragged row of every sequence's first step.
    pair_runs : tuple of (int, int, int)
        ``(start, stop, shift)``: ragged rows ``start .. stop - 1`` follow
        rows ``start - shift .. stop - shift - 1`` in their segments. Every
        step after the first of every segment is in exactly one run; steps
        whose predecessors lie at the same distance share one.
    block_layout : Layout or None
        Layout of the blocks alone, in ragged rows of ``layout`` (None when
        there are no blocks; ``layout`` itself when every segment is a block).
    block_sorted : ndarray of shape (n_blocks,)
        Position of every block in ``block_layout``'s sorted order.
    block_segment : ndarray of shape (n_blocks,)
        Sorted segment of every block.
    cross_previous, cross_next : ndarray of shape (n_blocks - n_long,)
        Ragged rows of the last step of a block and the first step of the
        next block of the same sequence.
    """

    lengths: np.ndarray
    segments: Segments
    layout: Layout
    positions: np.ndarray
    row_segment: np.ndarray
    segment_sequence: np.ndarray
    starts_sequence: np.ndarray
    ends_sequence: np.ndarray
    sequence_first_rows: np.ndarray
    pair_runs: tuple[tuple[int, int, int], ...]
    block_layout: Layout | None
    block_sorted: np.ndarray
    block_segment: np.ndarray
    cross_previous: np.ndarray
    cross_next: np.ndarray

    def sequence_rows(self, which: np.ndarray) -> np.ndarray:
        """Ragged rows of the sequences selected by the boolean mask ``which``, in time order."""
        return self.positions[np.repeat(which, self.lengths)]


def _build(lengths: np.ndarray, block: int) -> ScanPlan:
    segments = segment_sequences(lengths, block)
    layout = ragged_layout(segments.starts, segments.lengths)
    n_segments = segments.lengths.shape[0]
    positions = layout.positions()
    counts = layout.counts
    step_of_row = np.repeat(np.arange(counts.shape[0]), counts)
    row_segment = np.arange(positions.shape[0]) - layout.offsets[step_of_row]
    # sorted position of every segment (in the segments' own order)
    sorted_of = np.empty(n_segments, dtype=np.intp)
    sorted_of[layout.order] = np.arange(n_segments)
    is_block = np.arange(n_segments) >= segments.n_short
    block_first = np.zeros(n_segments, dtype=bool)
    block_last = np.zeros(n_segments, dtype=bool)
    block_first[segments.first_block[:-1]] = True
    block_last[segments.first_block[1:] - 1] = True
    starts_sequence = (~is_block | block_first)[layout.order]
    ends_sequence = (~is_block | block_last)[layout.order]
    sequence_first_rows = positions[np.concatenate([[0], np.cumsum(lengths)[:-1]])]
    # step i (all its rows) follows the first rows of step i - 1, counts[i - 1] rows earlier
    offsets, sizes = layout.offsets.tolist(), counts.tolist()
    runs: list[tuple[int, int, int]] = []
    for i in range(1, len(sizes)):
        if runs and runs[-1][2] == sizes[i - 1] and runs[-1][1] == offsets[i]:
            runs[-1] = (runs[-1][0], offsets[i + 1], sizes[i - 1])
        else:
            runs.append((offsets[i], offsets[i + 1], sizes[i - 1]))

    block_layout: Layout | None = None
    block_sorted = np.zeros(0, dtype=np.intp)
    block_segment = sorted_of[segments.n_short :]
    cross_previous = np.zeros(0, dtype=np.intp)
    cross_next = np.zeros(0, dtype=np.intp)
    if segments.n_blocks:
        if segments.n_short == 0:
            block_layout = layout
            block_sorted = block_segment
        else:
            first = segments.n_short
            sub = ragged_layout(segments.starts[first:], segments.lengths[first:])
            block_layout = evolve(sub, rows=positions[sub.rows])
            block_sorted = np.empty(segments.n_blocks, dtype=np.intp)
            block_sorted[sub.order] = np.arange(segments.n_blocks)
        last_rows = layout.last_rows()
        following = np.flatnonzero(is_block & ~block_first)  # blocks with a predecessor
        cross_previous = last_rows[sorted_of[following - 1]]
        cross_next = sorted_of[following]  # step 0 of sorted segment s is ragged row s
    return ScanPlan(
        lengths=lengths,
        segments=segments,
        layout=layout,
        positions=positions,
        row_segment=row_segment,
        segment_sequence=segments.sequence[layout.order],
        starts_sequence=starts_sequence,
        ends_sequence=ends_sequence,
        sequence_first_rows=sequence_first_rows,
        pair_runs=tuple(runs),
        block_layout=block_layout,
        block_sorted=block_sorted,
        block_segment=block_segment,
        cross_previous=cross_previous,
        cross_next=cross_next,
    )


@functools.lru_cache(maxsize=16)
def _cached(key: bytes, block: int) -> ScanPlan:
    return _build(np.frombuffer(key, dtype=np.intp).copy(), block)


def scan_plan(lengths: np.ndarray, block: int | None = None) -> ScanPlan:
    """The (cached) plan of these sequence lengths.

    Parameters
    ----------
    lengths : ndarray of int of shape (n_sequences,)
        Positive sequence lengths.
    block : int, optional
        Block length for long sequences (:func:`~latentem.hmm.layout.block_length`
        of the longest sequence by default).

    Examples
    --------
    >>> plan = scan_plan(np.array([3, 2]))
    >>> plan.layout.rows.tolist(), plan.positions.tolist()
    ([0, 3, 1, 4, 2], [0, 2, 4, 1, 3])
    """
    lengths = np.ascontiguousarray(lengths, dtype=np.intp)
    if block is None:
        block = block_length(int(lengths.max()))
    return _cached(lengths.tobytes(), int(block))
