"""Forward-backward by a blocked two-level scan in probability space.

Notation: ``A`` is the transition matrix, ``pi`` the start probabilities and
``b_t = exp(log p(x_t | state) - c_t)`` the emission probabilities of step
``t`` scaled by ``c_t = max_k log p(x_t | k)``, so ``max_k b_t(k) = 1``. The
forward messages obey ``alpha_t = (alpha_{t-1} A) * b_t`` and the backward
messages ``beta_t = A (b_{t+1} * beta_{t+1})``.

The scan has three levels:

1. **Block products** (vectorised across blocks; one Python step per step of
   a block): for every block of a long sequence, ``Q = prod_{t > t0} A
   diag(b_t)`` over its steps after the first. Row ``i`` of ``Q`` is a forward
   message started in state ``i``; every row is renormalised on its own every
   few steps, its log scale kept apart, so no row underflows because another
   row is larger.
2. **Across blocks** (one Python step per block): the forward message
   entering every block and the backward message leaving it, from ``D_j =
   diag(b_{t0} * row scales) Q_j``.
3. **Fill** (vectorised across all segments, short sequences and blocks
   alike; one Python step per step of the longest segment): forward and
   backward messages of every step, renormalised every few steps.

Message sums never grow (``b <= 1``, ``A`` stochastic), so a sum still above
``_TINY`` at a renormalisation proves nothing underflowed since the last one.
A sequence where a sum fell below it is reported as failed and is redone in
log space by the caller. A row of ``Q`` that dies (a start state that cannot
have produced the block) is harmless when the message entering the block
gives it a negligible share, which is checked.
"""

from __future__ import annotations

import numpy as np
from attrs import frozen

from latentem.hmm.kernels import matmul_rows, row_dots, row_max, row_sums
from latentem.hmm.layout import Layout, Segments, ragged_layout, segment_sequences

__all__ = ["ScanResult", "scaled_forward_backward"]

# Renormalise every _EVERY steps; a message sum below _TINY at a renormalisation fails
# the sequence (it is then redone in log space).
_EVERY = 8
_TINY = 1e-250
_LOG_TINY = float(np.log(_TINY))
# Largest share of a block's forward message that dead rows of its product may carry.
_DEAD_SHARE = 1e-14


@frozen(eq=False)
class ScanResult:
    """What a forward-backward pass computes.

    Attributes
    ----------
    log_likelihood : ndarray of shape (n_sequences,)
        ``log p(x | parameters)`` of every sequence.
    posteriors : ndarray of shape (n_samples, n_states) or None
        State posteriors ``gamma_t(k)``.
    transitions : ndarray of shape (n_states, n_states) or None
        Expected transition counts ``sum_t xi_t(i, j)``, summed over the
        sequences that did not fail.
    failed : ndarray of bool of shape (n_sequences,)
        Sequences whose messages left the representable range; their entries
        above are meaningless (and excluded from ``transitions``).
    """

    log_likelihood: np.ndarray
    posteriors: np.ndarray | None
    transitions: np.ndarray | None
    failed: np.ndarray


def _renormalise(values: np.ndarray, failed: np.ndarray) -> np.ndarray:
    """Divide rows by their sums in place; mark rows whose sum is below ``_TINY``.

    Returns the sums (1 where the row failed).
    """
    sums = row_sums(values)
    small = ~(sums >= _TINY)
    if small.any():
        failed |= small
        sums[small] = 1.0
    values /= sums[:, None]
    return sums


def _renormalise_rows(Q: np.ndarray, log_scale: np.ndarray, dead: np.ndarray) -> None:
    """Renormalise the rows of block products; a row whose sum fell below ``_TINY`` dies.

    A dying row's true sum is below ``_TINY`` times its scale, so its log
    scale becomes that upper bound; later steps only shrink it further.
    """
    sums = row_sums(Q)
    small = ~(sums >= _TINY)
    if small.any():
        newly = small & ~dead
        log_scale[newly] += _LOG_TINY
        dead |= newly
        Q[small] = 0.0
        sums[small] = 1.0
    Q /= sums[:, None]
    log_scale += np.log(sums)


def _block_products(
    B: np.ndarray, A: np.ndarray, segments: Segments
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level 1: the row-normalised products ``Q_j`` of every block.

    Returns
    -------
    Q : ndarray of shape (n_blocks, K, K)
        Live rows sum to 1, dead rows are 0.
    log_scale : ndarray of shape (n_blocks, K)
        Log scale of every row (an upper bound for dead rows).
    dead : ndarray of bool of shape (n_blocks, K)
    """
    K = A.shape[0]
    first = segments.n_short
    layout = ragged_layout(segments.starts[first:], segments.lengths[first:])
    n_blocks = layout.lengths.shape[0]
    Bb = B[layout.rows]
    Q = np.tile(np.eye(K), (n_blocks, 1))  # (n_blocks * K, K): row k of block j at j * K + k
    work = np.empty_like(Q)
    log_scale = np.zeros(n_blocks * K)
    dead = np.zeros(n_blocks * K, dtype=bool)
    for i in range(1, layout.n_steps):
        n = int(layout.counts[i])
        rows = n * K
        matmul_rows(Q[:rows], A, out=work[:rows])
        np.multiply(
            work[:rows].reshape(n, K, K),
            Bb[layout.step(i)][:, None, :],
            out=Q[:rows].reshape(n, K, K),
        )
        if i % _EVERY == 0:
            _renormalise_rows(Q[:rows], log_scale[:rows], dead[:rows])
    _renormalise_rows(Q, log_scale, dead)
    inverse = np.empty_like(layout.order)
    inverse[layout.order] = np.arange(n_blocks)
    return (
        Q.reshape(n_blocks, K, K)[inverse],
        log_scale.reshape(n_blocks, K)[inverse],
        dead.reshape(n_blocks, K)[inverse],
    )


def _across_blocks(
    B: np.ndarray,
    A: np.ndarray,
    startprob: np.ndarray,
    segments: Segments,
    segment_shift: np.ndarray,
    priors: np.ndarray,
    ends: np.ndarray,
    log_likelihood: np.ndarray,
    failed: np.ndarray,
    backward: bool,
) -> None:
    """Levels 1 and 2: messages entering and leaving every block of the long sequences.

    Writes the forward message entering each block into ``priors`` (before
    its first emission), the backward message leaving it into ``ends``, the
    log-likelihood of every long sequence and its failure flag.
    """
    Q, row_log_scale, dead = _block_products(B, A, segments)
    first = segments.n_short
    block_starts = segments.starts[first:]
    with np.errstate(divide="ignore", over="ignore"):
        log_weight = np.log(B[block_starts]) + row_log_scale  # (n_blocks, K)
        live_weight = np.where(dead, -np.inf, log_weight)
        top = np.max(live_weight, axis=1)
        hopeless = ~np.isfinite(top)
        top[hopeless] = 0.0
        live = np.exp(live_weight - top[:, None])
        dead_bound = np.where(dead, np.exp(log_weight - top[:, None]), 0.0)
    D = live[:, :, None] * Q
    forward = D @ A  # prior_{j+1} is proportional to prior_j @ D_j @ A
    block_log_scale = top + segment_shift[first:]

    n_long = segments.long_sequences.shape[0]
    first_block = segments.first_block[:-1] - first
    n_blocks = np.diff(segments.first_block)
    order = np.argsort(-n_blocks, kind="stable")
    most = int(n_blocks.max())
    n_active = (n_blocks[order][None, :] > np.arange(most)[:, None]).sum(axis=1)
    block_priors = np.empty((Q.shape[0], A.shape[0]))
    sums = np.empty(Q.shape[0])
    message = np.tile(startprob, (n_long, 1))
    for j in range(most):
        n = int(n_active[j])
        index = first_block[order[:n]] + j
        block_priors[index] = message[:n]
        message = np.matmul(message[:n, None, :], forward[index])[:, 0, :]
        total = message.sum(axis=1)
        sums[index] = total
        message = message / np.where(total > 0, total, 1.0)[:, None]
    with np.errstate(divide="ignore"):
        log_sums = np.log(sums)
    dead_total = np.einsum("jk,jk->j", block_priors, dead_bound)
    block_failed = ~(sums >= _TINY) | hopeless | ~(dead_total <= _DEAD_SHARE * sums)
    block_sequence = np.repeat(np.arange(n_long), n_blocks)
    sequence_ll = np.bincount(block_sequence, log_sums + block_log_scale, minlength=n_long)
    sequence_failed = np.bincount(block_sequence, block_failed, minlength=n_long) > 0
    log_likelihood[segments.long_sequences] = sequence_ll
    failed[segments.long_sequences] |= sequence_failed
    priors[first:] = block_priors
    if not backward:
        return

    backward_transfer = A @ D  # beta_{end of j-1} is proportional to A D_j beta_{end of j}
    block_ends = np.empty_like(block_priors)
    message = np.ones((n_long, A.shape[0]))
    back_failed = np.zeros(n_long, dtype=bool)
    for j in range(most - 1, -1, -1):
        active = order[n_blocks[order] > j]
        index = first_block[active] + j
        block_ends[index] = message[active]
        if j == 0:
            continue
        step = np.matmul(backward_transfer[index], message[active][:, :, None])[:, :, 0]
        total = row_sums(step)
        small = ~(total >= _TINY)
        back_failed[active[small]] = True
        message[active] = step / np.where(small, 1.0, total)[:, None]
    failed[segments.long_sequences] |= back_failed
    ends[first:] = block_ends


def _fill_forward(
    Br: np.ndarray, A: np.ndarray, priors: np.ndarray, layout: Layout, failed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level 3, forward: the scaled forward message of every step of every segment.

    Returns the ragged messages, every segment's accumulated log scale and
    the sum of its last message (so its log-likelihood is ``log_scale +
    log(final)`` plus the emission shifts).
    """
    alpha = np.empty_like(Br)
    first = layout.step(0)
    np.multiply(priors, Br[first], out=alpha[first])
    log_scale = np.zeros(layout.lengths.shape[0])
    for i in range(1, layout.n_steps):
        n = int(layout.counts[i])
        previous = layout.step(i - 1, n)
        current = layout.step(i)
        matmul_rows(alpha[previous], A, out=alpha[current])
        alpha[current] *= Br[current]
        if i % _EVERY == 0:
            log_scale[:n] += np.log(_renormalise(alpha[current], failed[:n]))
    final = row_sums(alpha[layout.last_rows()])
    failed |= ~(final >= _TINY)
    return alpha, log_scale, final


def _fill_backward(
    Br: np.ndarray, A: np.ndarray, ends: np.ndarray, layout: Layout, failed: np.ndarray
) -> np.ndarray:
    """Level 3, backward: the scaled backward message of every step of every segment."""
    K = A.shape[0]
    beta = np.empty_like(Br)
    beta[layout.last_rows()] = ends
    work = np.empty((int(layout.counts[0]), K))
    AT = np.ascontiguousarray(A.T)
    for i in range(layout.n_steps - 2, -1, -1):
        n = int(layout.counts[i + 1])
        following = layout.step(i + 1)
        np.multiply(Br[following], beta[following], out=work[:n])
        current = layout.step(i, n)
        matmul_rows(work[:n], AT, out=beta[current])
        if (layout.n_steps - 1 - i) % _EVERY == 0:
            _renormalise(beta[current], failed[:n])
    first = row_sums(beta[layout.step(0)])
    failed |= ~(first >= _TINY)
    return beta


def scaled_forward_backward(
    log_emissions: np.ndarray,
    startprob: np.ndarray,
    transmat: np.ndarray,
    lengths: np.ndarray,
    *,
    posteriors: bool = True,
    transitions: bool = True,
    block: int | None = None,
) -> ScanResult:
    """Forward-backward over many sequences by the blocked scaled scan.

    Parameters
    ----------
    log_emissions : ndarray of shape (n_samples, n_states)
        ``log p(x_t | state k)``; ``-inf`` is allowed, NaN and ``+inf`` are not.
    startprob : ndarray of shape (n_states,)
    transmat : ndarray of shape (n_states, n_states)
        Row-stochastic.
    lengths : ndarray of int of shape (n_sequences,)
        Positive lengths summing to ``n_samples``.
    posteriors, transitions : bool
        Whether to compute state posteriors and expected transition counts
        (the log-likelihood needs neither, nor the backward pass).
    block : int, optional
        Block length for long sequences
        (:func:`~latentem.hmm.layout.block_length` by default).

    Returns
    -------
    ScanResult
        Failed sequences must be recomputed in log space.
    """
    T, K = log_emissions.shape
    n_sequences = lengths.shape[0]
    A = transmat
    shift = row_max(log_emissions)
    impossible = ~np.isfinite(shift)  # no state can emit this observation
    shift[impossible] = 0.0
    B = np.exp(log_emissions - shift[:, None])
    failed = np.zeros(n_sequences, dtype=bool)
    if impossible.any():
        row_sequence = np.repeat(np.arange(n_sequences), lengths)
        failed[row_sequence[impossible]] = True
    need_backward = posteriors or transitions

    segments = segment_sequences(lengths, block)
    n_segments = segments.lengths.shape[0]
    cumulative = np.concatenate([[0.0], np.cumsum(shift)])
    segment_shift = cumulative[segments.starts + segments.lengths] - cumulative[segments.starts]
    priors = np.empty((n_segments, K))
    priors[: segments.n_short] = startprob
    ends = np.ones((n_segments, K))
    log_likelihood = np.zeros(n_sequences)
    if segments.n_blocks:
        _across_blocks(
            B,
            A,
            startprob,
            segments,
            segment_shift,
            priors,
            ends,
            log_likelihood,
            failed,
            need_backward,
        )

    layout = ragged_layout(segments.starts, segments.lengths)
    Br = B[layout.rows]
    segment_failed = np.zeros(n_segments, dtype=bool)
    alpha, log_scale, final = _fill_forward(Br, A, priors[layout.order], layout, segment_failed)
    short = layout.order < segments.n_short
    with np.errstate(divide="ignore"):
        short_ll = log_scale[short] + np.log(final[short]) + segment_shift[layout.order[short]]
    log_likelihood[segments.sequence[layout.order[short]]] = short_ll
    if not need_backward:
        failed[segments.sequence[layout.order[segment_failed]]] = True
        return ScanResult(log_likelihood, None, None, failed)

    beta = _fill_backward(Br, A, ends[layout.order], layout, segment_failed)
    failed[segments.sequence[layout.order[segment_failed]]] = True
    del Br
    alpha_t = np.empty((T, K))
    alpha_t[layout.rows] = alpha
    beta_t = np.empty((T, K))
    beta_t[layout.rows] = beta
    del alpha, beta
    return _posteriors_and_transitions(
        alpha_t, beta_t, B, A, lengths, log_likelihood, failed, posteriors, transitions
    )


def _posteriors_and_transitions(
    alpha: np.ndarray,
    beta: np.ndarray,
    B: np.ndarray,
    A: np.ndarray,
    lengths: np.ndarray,
    log_likelihood: np.ndarray,
    failed: np.ndarray,
    posteriors: bool,
    transitions: bool,
) -> ScanResult:
    """``gamma_t = alpha_t beta_t`` normalised, and ``xi`` summed over steps with one GEMM.

    ``xi_t(i, j) = alpha_{t-1}(i) A_ij b_t(j) beta_t(j) / z_t``; with
    ``V_t = b_t * beta_t`` the normaliser is ``z_t = alpha_{t-1} . (A V_t)``
    and ``sum_t xi_t = A * (alpha_{:-1}^T (V / z))``.
    """
    row_failed = np.repeat(failed, lengths)
    with np.errstate(invalid="ignore", divide="ignore"):
        for messages in (alpha, beta):
            sums = row_sums(messages)
            sums[row_failed | ~(sums > 0)] = 1.0
            messages /= sums[:, None]
    gamma = None
    if posteriors:
        gamma = alpha * beta
        norm = row_sums(gamma)
        bad = ~(norm >= _TINY) & ~row_failed
        if bad.any():
            failed[np.repeat(np.arange(lengths.shape[0]), lengths)[bad]] = True
            row_failed = np.repeat(failed, lengths)
        norm[row_failed] = 1.0
        gamma /= norm[:, None]
    xi = None
    if transitions:
        V = B[1:] * beta[1:]
        U = matmul_rows(V, A.T)
        z = row_dots(alpha[:-1], U)
        starts = np.cumsum(lengths)[:-1]  # rows that begin a sequence have no predecessor
        valid = ~row_failed[1:]
        valid[starts - 1] = False
        bad = valid & ~(z >= _TINY)
        if bad.any():
            failed[np.repeat(np.arange(lengths.shape[0]), lengths)[1:][bad]] = True
            valid &= ~np.repeat(failed, lengths)[1:]
        weight = np.where(valid, 1.0 / np.where(valid, z, 1.0), 0.0)
        V *= weight[:, None]
        xi = A * (alpha[:-1].T @ V)
    return ScanResult(log_likelihood, gamma, xi, failed)
