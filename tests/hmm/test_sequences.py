"""Sequences: lengths validated with messages that say the fix; selection, chunks and splits."""

import re

import numpy as np
import pytest

from latentem.hmm.layout import ragged_layout, segment_sequences
from latentem.hmm.plan import scan_plan
from latentem.hmm.sequences import Sequences, as_sequences, check_lengths, split_sequences


@pytest.mark.parametrize(
    ("lengths", "error", "message"),
    [
        (
            [2, 2],
            ValueError,
            r"lengths must sum to the number of rows of X \(5\); got sum\(lengths\) = 4",
        ),
        ([2, 4], ValueError, r"got sum\(lengths\) = 6"),
        ([3, 0, 2], ValueError, r"positive .* lengths\[1\] = 0\. Remove empty sequences"),
        ([6, -1], ValueError, r"lengths\[1\] = -1"),
        ([2.5, 2.5], TypeError, "whole numbers"),
        ([True, True], TypeError, "integers"),
        ([[2, 3]], ValueError, "1-D"),
        ([], ValueError, "non-empty"),
        (["2", "3"], TypeError, "integers"),
    ],
)
def test_bad_lengths_say_what_to_change(lengths, error, message):
    with pytest.raises(error, match=message):
        Sequences(np.zeros((5, 1)), lengths)


def test_lengths_default_to_one_sequence_and_accept_integer_valued_floats():
    assert check_lengths(None, 4).tolist() == [4]
    assert check_lengths(np.array([1.0, 3.0]), 4).tolist() == [1, 3]
    assert check_lengths(4, 4).tolist() == [4]
    with pytest.raises(ValueError, match="at least one row"):
        check_lengths(None, 0)


def test_lengths_are_a_read_only_copy():
    given = np.array([2, 3])
    sequences = Sequences(np.zeros((5, 2)), given)
    given[0] = 1
    assert sequences.lengths.tolist() == [2, 3]
    with pytest.raises(ValueError):
        sequences.lengths[0] = 5


def test_selection_chunks_and_split_keep_whole_sequences():
    X = np.arange(20.0).reshape(10, 2)
    sequences = Sequences(X, [3, 1, 4, 2])
    picked = sequences[[0, 2]]
    np.testing.assert_array_equal(picked.X, np.concatenate([X[0:3], X[4:8]]))
    assert picked.lengths.tolist() == [3, 4]
    chunks = sequences.chunks(4)
    assert [c.lengths.tolist() for c in chunks] == [[3, 1], [4], [2]]
    np.testing.assert_array_equal(np.concatenate([c.X for c in chunks]), X)
    a, b = split_sequences(sequences, np.random.default_rng(0))
    assert a.n_sequences + b.n_sequences == 4 and a.n_samples + b.n_samples == 10
    with pytest.raises(ValueError, match="at least 2 sequences"):
        split_sequences(Sequences(X), np.random.default_rng(0))
    with pytest.raises(ValueError, match="max_samples must be at least 1"):
        sequences.chunks(0)


def test_as_sequences_accepts_arrays_tuples_and_sequences():
    X = np.zeros((4, 1))
    assert as_sequences(X).lengths.tolist() == [4]
    assert as_sequences((X, [1, 3])).lengths.tolist() == [1, 3]
    same = Sequences(X, [2, 2])
    assert as_sequences(same) is same
    with pytest.raises(TypeError, match="already Sequences"):
        Sequences(same)


def test_ragged_layout_lists_every_row_once_step_by_step():
    lengths = np.array([3, 1, 4, 2])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    layout = ragged_layout(starts, lengths)
    assert sorted(layout.rows.tolist()) == list(range(10))
    assert layout.counts.tolist() == [4, 3, 2, 1]
    # step i of sorted segment s is row offsets[i] + s, and consecutive steps follow in time
    for s, (start, length) in enumerate(zip(starts[layout.order], layout.lengths, strict=True)):
        rows = [layout.rows[layout.offsets[i] + s] for i in range(length)]
        assert rows == list(range(start, start + length))


def test_long_sequences_are_cut_into_blocks_of_nearly_equal_length():
    segments = segment_sequences(np.array([5, 23, 2]), block=6)
    assert segments.n_short == 2 and segments.long_sequences.tolist() == [1]
    blocks = segments.lengths[segments.n_short :]
    assert blocks.sum() == 23 and blocks.max() <= 6 and blocks.max() - blocks.min() <= 1
    plan = scan_plan(np.array([5, 23, 2]), block=6)
    assert plan.cross_previous.shape[0] == blocks.shape[0] - 1
    np.testing.assert_array_equal(np.sort(plan.positions), np.arange(30))


@pytest.mark.parametrize(
    "lengths",
    [
        np.array([2**62, 2**62, 2**62, 2**62 + 5], dtype=np.int64),  # the int64 sum wraps to 5
        np.array([1e30, 1.0]),
        np.array([2**63 + 5, 1], dtype=np.uint64),
    ],
)
def test_lengths_whose_sum_overflows_are_refused(lengths):
    with pytest.raises(ValueError, match=r"got lengths\[0\] = .*longer than X"):
        check_lengths(lengths, 5)


@pytest.mark.parametrize("X", [None, 3, "abc", np.float64(2.0)])
def test_sequences_without_an_array_say_what_x_must_be(X):
    # before: "len() of unsized object"
    with pytest.raises(TypeError, match=r"^Sequences needs X, an array of shape \(n_samples, n_"):
        Sequences(X)
    with pytest.raises(TypeError, match=rf"got {re.escape(repr(X))}$"):
        Sequences(X)
