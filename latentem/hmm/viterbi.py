"""The most probable state path (Viterbi), with max-plus block products for long sequences.

Short sequences run the textbook recursion ``delta_t(k) = max_j (delta_{t-1}(j)
+ log A_jk) + log b_t(k)``, vectorised across sequences (one Python step per
time step of the longest one), with back-pointers and a backtrack from the
best final state. As in hmmlearn, the best final state is the lowest index
among equals and every back-pointer the highest.

A long sequence is cut into blocks, as in the forward-backward scan:

1. the max-plus product of every block (best score from each start state to
   each end state), vectorised across blocks;
2. the best start and end state of every block, one Python step per block;
3. the textbook recursion inside every block from its known start state,
   vectorised across blocks, backtracked from its known end state.

So the Python loop is ``O(sqrt(T))`` and memory ``O(T K)``; the price is ``K``
times more arithmetic in the first level.
"""

from __future__ import annotations

import numpy as np

from latentem.hmm.layout import Layout, ragged_layout, segment_sequences

__all__ = ["viterbi"]


def _pointer_dtype(n_states: int) -> type:
    return np.int8 if n_states <= 127 else np.int16 if n_states <= 32767 else np.intp


def _last_argmax(values: np.ndarray, axis: int) -> np.ndarray:
    """Index of the maximum along ``axis``, the highest index among equal maxima."""
    last = values.shape[axis] - 1
    return last - np.argmax(np.flip(values, axis=axis), axis=axis)


def _best_paths(
    Lr: np.ndarray,
    log_transmat: np.ndarray,
    layout: Layout,
    initial: np.ndarray,
    final_states: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Viterbi inside every segment of a ragged layout.

    Parameters
    ----------
    Lr : ndarray of shape (n_rows, K)
        Ragged log emissions.
    initial : ndarray of shape (n_segments, K)
        Score of every state at the first step (sorted segment order).
    final_states : ndarray of shape (n_segments,)
        Known last state of every segment, or -1 for the best one.

    Returns
    -------
    states : ndarray of shape (n_rows,)
        Ragged best path.
    best : ndarray of shape (n_segments,)
        Score of the path.
    """
    K = log_transmat.shape[0]
    scores = np.empty_like(Lr)
    pointers: np.ndarray = np.empty(Lr.shape, dtype=_pointer_dtype(K))
    scores[layout.step(0)] = initial
    for i in range(1, layout.n_steps):
        n = int(layout.counts[i])
        candidates = scores[layout.step(i - 1, n)][:, :, None] + log_transmat[None]
        arg = _last_argmax(candidates, axis=1)
        current = layout.step(i)
        pointers[current] = arg
        scores[current] = np.take_along_axis(candidates, arg[:, None, :], axis=1)[:, 0, :]
        scores[current] += Lr[current]
    last = scores[layout.last_rows()]
    final_states = np.where(final_states >= 0, final_states, np.argmax(last, axis=1))
    best = last[np.arange(last.shape[0]), final_states]
    states = np.empty(Lr.shape[0], dtype=np.intp)
    path = np.empty(layout.lengths.shape[0], dtype=np.intp)
    for i in range(layout.n_steps - 1, -1, -1):
        n = int(layout.counts[i])
        ending = int(layout.counts[i + 1]) if i + 1 < layout.n_steps else 0
        path[ending:n] = final_states[ending:n]
        states[layout.step(i)] = path[:n]
        if i:
            path[:n] = pointers[layout.step(i)][np.arange(n), path[:n]]
    return states, best


def _block_products(
    log_emissions: np.ndarray, log_transmat: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> np.ndarray:
    """Max-plus product of every block: ``D[j, i, k]``, best score from state ``i`` at the
    block's first step (its emission included) to state ``k`` at its last step."""
    K = log_transmat.shape[0]
    layout = ragged_layout(starts, lengths)
    n_blocks = lengths.shape[0]
    Lb = log_emissions[layout.rows]
    scores = np.full((n_blocks, K, K), -np.inf)
    diagonal = np.arange(K)
    scores[:, diagonal, diagonal] = Lb[layout.step(0)]
    for i in range(1, layout.n_steps):
        n = int(layout.counts[i])
        candidates = scores[:n, :, :, None] + log_transmat[None, None]
        scores[:n] = np.max(candidates, axis=2) + Lb[layout.step(i)][:, None, :]
    inverse = np.empty_like(layout.order)
    inverse[layout.order] = np.arange(n_blocks)
    return scores[inverse]


def viterbi(
    log_emissions: np.ndarray,
    log_startprob: np.ndarray,
    log_transmat: np.ndarray,
    lengths: np.ndarray,
    *,
    block: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Most probable state path of every sequence.

    Parameters
    ----------
    log_emissions : ndarray of shape (n_samples, n_states)
    log_startprob : ndarray of shape (n_states,)
    log_transmat : ndarray of shape (n_states, n_states)
    lengths : ndarray of int of shape (n_sequences,)
    block : int, optional
        Block length for long sequences.

    Returns
    -------
    log_prob : ndarray of shape (n_sequences,)
        ``log p(x, best path)`` of every sequence (``-inf`` if impossible).
    states : ndarray of int of shape (n_samples,)
    """
    T, K = log_emissions.shape
    segments = segment_sequences(lengths, block)
    n_segments = segments.lengths.shape[0]
    initial = np.empty((n_segments, K))
    final_states = np.full(n_segments, -1, dtype=np.intp)  # -1: the best last state
    short = slice(0, segments.n_short)
    initial[short] = log_startprob + log_emissions[segments.starts[short]]
    log_prob = np.empty(lengths.shape[0])
    if segments.n_blocks:
        blocks = slice(segments.n_short, None)
        D = _block_products(
            log_emissions, log_transmat, segments.starts[blocks], segments.lengths[blocks]
        )
        begin, end, best = _across_blocks(D, log_startprob, log_transmat, segments.first_block)
        log_prob[segments.long_sequences] = best
        first = segments.starts[blocks]
        initial[blocks] = -np.inf
        rows = np.arange(D.shape[0])
        initial[segments.n_short + rows, begin] = log_emissions[first, begin]
        final_states[blocks] = end
    layout = ragged_layout(segments.starts, segments.lengths)
    Lr = log_emissions[layout.rows]
    states_r, best_sorted = _best_paths(
        Lr,
        log_transmat,
        layout,
        initial[layout.order],
        final_states[layout.order],
    )
    # the best path of a short sequence is found by _best_paths; the blocks' paths
    # only need their states (their scores came from the block products)
    short_sorted = layout.order < segments.n_short
    log_prob[segments.sequence[layout.order[short_sorted]]] = best_sorted[short_sorted]
    states = np.empty(T, dtype=np.intp)
    states[layout.rows] = states_r
    return log_prob, states


def _across_blocks(
    D: np.ndarray, log_startprob: np.ndarray, log_transmat: np.ndarray, first_block: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best start and end state of every block, and the best score of every long sequence."""
    n_blocks, K, _ = D.shape
    begin = np.empty(n_blocks, dtype=np.intp)
    end = np.empty(n_blocks, dtype=np.intp)
    best = np.empty(first_block.shape[0] - 1)
    offset = first_block[0]
    for sequence in range(first_block.shape[0] - 1):
        blocks = range(first_block[sequence] - offset, first_block[sequence + 1] - offset)
        previous = np.empty((len(blocks), K), dtype=np.intp)  # best state before each start
        start_of = np.empty((len(blocks), K), dtype=np.intp)  # best start for each end state
        delta = np.empty(K)
        for position, j in enumerate(blocks):
            if position == 0:
                entry = log_startprob
            else:
                candidates = delta[:, None] + log_transmat
                previous[position] = _last_argmax(candidates, axis=0)
                entry = candidates[previous[position], np.arange(K)]
            through = entry[:, None] + D[j]
            start_of[position] = _last_argmax(through, axis=0)
            delta = through[start_of[position], np.arange(K)]
        state = int(np.argmax(delta))
        best[sequence] = delta[state]
        for position in range(len(blocks) - 1, -1, -1):
            j = blocks[position]
            end[j] = state
            begin[j] = start_of[position, state]
            if position:
                state = int(previous[position, begin[j]])
    return begin, end, best
