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

from latentem.hmm.kernels import (
    CHUNK_ROWS,
    Scratch,
    matmul_rows,
    row_dots,
    row_sums,
    scaled_exp,
    take_rows,
)
from latentem.hmm.layout import Layout
from latentem.hmm.plan import ScanPlan

__all__ = ["ScanResult", "scaled_scan"]

# Renormalise messages every _EVERY steps and block products every _EVERY_BLOCK steps (their
# rows are renormalised one by one, which costs more, and a row that dies is harmless); a
# message sum below _TINY at a renormalisation fails the sequence (it is redone in log space).
_EVERY = 8
_EVERY_BLOCK = 32
_TINY = 1e-250
_LOG_TINY = float(np.log(_TINY))
# Products of two messages (normalisers of posteriors) must stay normal floats.
_TINY_PRODUCT = 1e-290
# Rows of a block product that agree entry by entry to this relative tolerance are equal
# to rounding (a few ulps): the block has forgotten its start state.
_AGREE = 8 * float(np.finfo(np.float64).eps)
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
        State posteriors ``gamma_t(k)``, in the plan's ragged row order.
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
    """Renormalise the rows (last axis) of block products; a row whose sum fell below
    ``_TINY`` dies.

    A dying row's true sum is below ``_TINY`` times its scale, so its log
    scale becomes that upper bound; later steps only shrink it further.
    ``Q`` is (K, n, K) start-major, ``log_scale`` and ``dead`` are (K, n).
    """
    sums = np.einsum("snk->sn", Q)
    small = ~(sums >= _TINY)
    if small.any():
        newly = small & ~dead
        log_scale[newly] += _LOG_TINY
        dead |= newly
        Q[small] = 0.0
        sums[small] = 1.0
    Q /= sums[:, :, None]
    log_scale += np.log(sums)


def _rows_agree(Q: np.ndarray, dead: np.ndarray) -> np.ndarray | None:
    """The common row of every block if all live rows of ``Q`` agree, else None.

    ``Q`` is (K, n, K) start-major with rows summing to 1 (dead rows 0).
    Agreement is entry by entry, to :data:`_AGREE` relative: then the block
    has forgotten its start state and one row carries the rest of it.
    """
    common = Q.max(axis=0)
    live = ~dead[:, :, None]
    if np.all((np.abs(Q - common) <= _AGREE * common) | ~live):
        return common
    return None


def _advance_rows(
    Q: np.ndarray,
    log_scale: np.ndarray,
    dead: np.ndarray,
    Bb: np.ndarray,
    A: np.ndarray,
    layout: Layout,
    first_step: int,
    until_agreed: bool,
) -> tuple[int, np.ndarray] | None:
    """Multiply the rows of block products by the steps from ``first_step`` on, in place.

    ``Q`` is (n_rows, n, K) for the first ``n`` blocks (start-major: row
    ``s`` of block ``j`` is ``Q[s, j]``), ``log_scale`` and ``dead``
    (n_rows, n); rows are renormalised every :data:`_EVERY_BLOCK` steps.
    With ``until_agreed``, stops at the first renormalisation where every
    live row agrees (:func:`_rows_agree`) and returns the next step and the
    common rows (n, K); otherwise runs to the end and returns None.
    """
    n_rows, n_blocks, K = Q.shape
    work = np.empty_like(Q)
    offsets, counts = layout.offsets.tolist(), layout.counts.tolist()
    flat_Q, flat_work = Q.reshape(n_rows * n_blocks, K), work.reshape(n_rows * n_blocks, K)
    product = np.matmul if n_rows * n_blocks <= CHUNK_ROWS else matmul_rows
    for i in range(first_step, layout.n_steps):
        n, start = counts[i], offsets[i]
        emissions = Bb[start : start + n]
        if n == n_blocks:
            product(flat_Q, A, out=flat_work)
            np.multiply(work, emissions, out=Q)
        else:
            np.matmul(Q[:, :n], A, out=work[:, :n])
            np.multiply(work[:, :n], emissions, out=Q[:, :n])
        if i % _EVERY_BLOCK == 0:
            _renormalise_rows(Q[:, :n], log_scale[:, :n], dead[:, :n])
            if until_agreed:
                common = _rows_agree(Q[:, :n], dead[:, :n])
                if common is not None:
                    return i + 1, common
    return None


def _block_products(
    Bb: np.ndarray, A: np.ndarray, layout: Layout
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level 1: the row-normalised products ``Q_j`` of every block.

    Parameters
    ----------
    Bb : ndarray of shape (n_rows, K)
        Scaled emission probabilities of the blocks, ragged.
    A : ndarray of shape (K, K)
    layout : Layout
        The blocks' ragged layout.

    Returns
    -------
    Q : ndarray of shape (n_blocks, K, K)
        In the layout's sorted order. Live rows sum to 1, dead rows are 0.
    log_scale : ndarray of shape (n_blocks, K)
        Log scale of every row (an upper bound for dead rows).
    dead : ndarray of bool of shape (n_blocks, K)

    Notes
    -----
    Row ``s`` of ``Q_j`` is the forward message of the block's steps
    started in state ``s``. Filters forget where they started: once every
    live row of every running block agrees with the others to rounding
    (checked at each renormalisation), the rows stay equal, since they are
    then multiplied by the same matrices. From there one row per block is
    carried, with one log scale, at ``1/K`` of the cost; the rows are
    expanded at the end.
    """
    K = A.shape[0]
    n_blocks = layout.lengths.shape[0]
    # start-major: Q[s, j] is the row of start state s of block j, so multiplying by
    # the emissions of a step broadcasts over whole contiguous (n_blocks, K) slabs
    Q = np.zeros((K, n_blocks, K))
    Q[np.arange(K), :, np.arange(K)] = 1.0
    log_scale = np.zeros((K, n_blocks))
    dead = np.zeros((K, n_blocks), dtype=bool)
    agreed = _advance_rows(Q, log_scale, dead, Bb, A, layout, 1, until_agreed=True)
    if agreed is not None:
        next_step, common = agreed
        n_agreed = common.shape[0]
        row = common[None].copy()
        row_scale = np.zeros((1, n_agreed))
        row_dead = np.zeros((1, n_agreed), dtype=bool)
        _advance_rows(row, row_scale, row_dead, Bb, A, layout, next_step, until_agreed=False)
        _renormalise_rows(row, row_scale, row_dead)
        # every live row of a block is its common row and shares its scale; a row dead
        # before keeps its bound (the live rows' scale proves nothing about it)
        blocks = slice(0, n_agreed)
        log_scale[:, blocks] += np.where(~dead[:, blocks], row_scale, 0.0)
        dead[:, blocks] |= row_dead
        Q[:, blocks] = np.where(dead[:, blocks, None], 0.0, row)
    _renormalise_rows(Q, log_scale, dead)
    return Q.transpose(1, 0, 2), log_scale.T, dead.T


def _forward_across(G: np.ndarray, startprob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward messages entering consecutive blocks of one sequence, and their growth.

    ``prior_0 = startprob`` and ``prior_{j+1} = prior_j G_j / s_j`` with ``s_j``
    its sum; returns the priors (n, K) and the sums (n,).
    """
    n = G.shape[0]
    priors = np.empty((n + 1, G.shape[1]))
    priors[0] = startprob
    sums = np.empty(n)
    for j in range(n):
        message = priors[j] @ G[j]
        total = message.sum()
        sums[j] = total
        np.divide(message, total if total > 0 else 1.0, out=priors[j + 1])
    return priors[:n], sums


def _backward_across(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Backward messages leaving consecutive blocks of one sequence.

    ``end_{n-1} = 1`` and ``end_{j-1} = H_j end_j / s_j``; returns the ends
    (n, K) and the sums (n,) (``s_0`` unused, 1).
    """
    n, K = H.shape[0], H.shape[1]
    ends = np.empty((n, K))
    ends[n - 1] = 1.0
    sums = np.ones(n)
    for j in range(n - 1, 0, -1):
        message = H[j] @ ends[j]
        total = message.sum()
        sums[j] = total
        np.divide(message, total if total > 0 else 1.0, out=ends[j - 1])
    return ends, sums


def _across_blocks(
    B: np.ndarray,
    A: np.ndarray,
    startprob: np.ndarray,
    plan: ScanPlan,
    segment_shift: np.ndarray,
    priors: np.ndarray,
    ends: np.ndarray,
    log_likelihood: np.ndarray,
    failed: np.ndarray,
    backward: bool,
) -> None:
    """Levels 1 and 2: messages entering and leaving every block of the long sequences.

    Writes the forward message entering each block (before its first
    emission) into ``priors``, the backward message leaving it into
    ``ends`` (both indexed by sorted segment), and every long sequence's
    log-likelihood and failure flag.
    """
    K = A.shape[0]
    block_layout = plan.block_layout
    assert block_layout is not None  # only called when there are blocks
    Bb = B if block_layout is plan.layout else take_rows(B, block_layout.rows)
    Q_sorted, scale_sorted, dead_sorted = _block_products(Bb, A, block_layout)
    Q = Q_sorted[plan.block_sorted]
    row_log_scale, dead = scale_sorted[plan.block_sorted], dead_sorted[plan.block_sorted]
    with np.errstate(divide="ignore", over="ignore"):
        log_weight = np.log(B[plan.block_segment]) + row_log_scale  # step 0 of each block
        live_weight = np.where(dead, -np.inf, log_weight)
        top = np.max(live_weight, axis=1)
        hopeless = ~np.isfinite(top)
        top[hopeless] = 0.0
        live = np.exp(live_weight - top[:, None])
        dead_bound = np.where(dead, np.exp(log_weight - top[:, None]), 0.0)
    D = live[:, :, None] * Q  # alpha at a block's end = prior @ D_j (times its scale)
    G = matmul_rows(D.reshape(-1, K), A).reshape(D.shape)  # prior_{j+1} ~ prior_j D_j A
    block_log_scale = top + segment_shift[plan.block_segment]

    segments = plan.segments
    n_long = segments.long_sequences.shape[0]
    bounds = (segments.first_block - segments.n_short).tolist()
    block_priors = np.empty((Q.shape[0], K))
    sums = np.empty(Q.shape[0])
    for index in range(n_long):
        blocks = slice(bounds[index], bounds[index + 1])
        block_priors[blocks], sums[blocks] = _forward_across(G[blocks], startprob)
    with np.errstate(divide="ignore"):
        log_sums = np.log(sums)
    dead_total = np.einsum("jk,jk->j", block_priors, dead_bound)
    block_failed = ~(sums >= _TINY) | hopeless | ~(dead_total <= _DEAD_SHARE * sums)
    block_sequence = np.repeat(np.arange(n_long), np.diff(segments.first_block))
    sequence_ll = np.bincount(block_sequence, log_sums + block_log_scale, minlength=n_long)
    sequence_failed = np.bincount(block_sequence, block_failed, minlength=n_long) > 0
    log_likelihood[segments.long_sequences] = sequence_ll
    failed[segments.long_sequences] |= sequence_failed
    priors[plan.block_segment] = block_priors
    if not backward:
        return
    # beta at the end of block j - 1 is proportional to A D_j beta at the end of block j
    H = matmul_rows(np.swapaxes(D, 1, 2).reshape(-1, K), A.T).reshape(D.shape)
    H = np.swapaxes(H, 1, 2)
    block_ends = np.empty_like(block_priors)
    back_sums = np.ones(Q.shape[0])
    for index in range(n_long):
        blocks = slice(bounds[index], bounds[index + 1])
        block_ends[blocks], back_sums[blocks] = _backward_across(H[blocks])
    ends[plan.block_segment] = block_ends
    back_failed = np.bincount(block_sequence, ~(back_sums >= _TINY), minlength=n_long) > 0
    failed[segments.long_sequences] |= back_failed


def _fill_forward(
    Br: np.ndarray,
    A: np.ndarray,
    priors: np.ndarray,
    layout: Layout,
    failed: np.ndarray,
    alpha: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level 3, forward: the scaled forward message of every step of every segment.

    Returns the ragged messages, every segment's accumulated log scale and
    the sum of its last message (so its log-likelihood is ``log_scale +
    log(final)`` plus the emission shifts). ``alpha`` (the shape of ``Br``)
    receives the messages.
    """
    n_segments = priors.shape[0]
    np.multiply(priors, Br[:n_segments], out=alpha[:n_segments])
    log_scale = np.zeros(n_segments)
    offsets, counts = layout.offsets.tolist(), layout.counts.tolist()
    for i in range(1, layout.n_steps):
        n, start, previous = counts[i], offsets[i], offsets[i - 1]
        current = alpha[start : start + n]
        if n <= CHUNK_ROWS:
            np.matmul(alpha[previous : previous + n], A, out=current)
        else:
            matmul_rows(alpha[previous : previous + n], A, out=current)
        current *= Br[start : start + n]
        if i % _EVERY == 0:
            log_scale[:n] += np.log(_renormalise(current, failed[:n]))
    final = row_sums(alpha[layout.last_rows()])
    failed |= ~(final >= _TINY)
    return alpha, log_scale, final


def _fill_backward(
    Br: np.ndarray,
    A: np.ndarray,
    ends: np.ndarray,
    layout: Layout,
    failed: np.ndarray,
    beta: np.ndarray,
) -> np.ndarray:
    """Level 3, backward: the scaled backward message of every step of every segment,
    into ``beta`` (the shape of ``Br``)."""
    beta[layout.last_rows()] = ends
    work = np.empty((int(layout.counts[0]), A.shape[0]))
    AT = np.ascontiguousarray(A.T)
    offsets, counts = layout.offsets.tolist(), layout.counts.tolist()
    last = layout.n_steps - 1
    for i in range(last - 1, -1, -1):
        n, start, following = counts[i + 1], offsets[i], offsets[i + 1]
        np.multiply(Br[following : following + n], beta[following : following + n], out=work[:n])
        current = beta[start : start + n]
        if n <= CHUNK_ROWS:
            np.matmul(work[:n], AT, out=current)
        else:
            matmul_rows(work[:n], AT, out=current)
        if (last - i) % _EVERY == 0:
            _renormalise(current, failed[:n])
    first = row_sums(beta[: counts[0]])
    failed |= ~(first >= _TINY)
    return beta


def scaled_scan(
    log_emissions: np.ndarray,
    startprob: np.ndarray,
    transmat: np.ndarray,
    plan: ScanPlan,
    *,
    posteriors: bool = True,
    transitions: bool = True,
    scratch: Scratch | None = None,
) -> ScanResult:
    """Forward-backward over many sequences by the blocked scaled scan, in ragged order.

    Parameters
    ----------
    log_emissions : ndarray of shape (n_samples, n_states)
        ``log p(x_t | state k)`` in the plan's ragged row order; ``-inf`` is
        allowed, NaN and ``+inf`` are not (see
        :func:`~latentem.hmm.inference.check_log_emissions`).
    startprob : ndarray of shape (n_states,)
    transmat : ndarray of shape (n_states, n_states)
        Row-stochastic.
    plan : ScanPlan
    posteriors, transitions : bool
        Whether to compute state posteriors and expected transition counts
        (the log-likelihood needs neither, nor the backward pass).
    scratch : Scratch, optional
        Where the pass keeps its data-sized work arrays (the scaled
        emissions and the messages) for the next pass; fresh arrays by
        default.

    Returns
    -------
    ScanResult
        Posteriors in ragged order. Failed sequences must be recomputed in
        log space.
    """
    K = log_emissions.shape[1]
    n_sequences = plan.lengths.shape[0]
    A = transmat
    scratch = Scratch() if scratch is None else scratch
    B, shift = scaled_exp(log_emissions, out=scratch.array("emissions", log_emissions.shape))
    impossible = np.isneginf(shift)  # no state can emit these observations
    failed = np.zeros(n_sequences, dtype=bool)
    if impossible.any():
        shift[impossible] = 0.0
        failed[plan.segment_sequence[plan.row_segment[impossible]]] = True
    need_backward = posteriors or transitions
    layout = plan.layout
    n_segments = layout.lengths.shape[0]
    segment_shift = np.bincount(plan.row_segment, shift, minlength=n_segments)
    priors = np.empty((n_segments, K))
    priors[plan.starts_sequence] = startprob
    ends = np.ones((n_segments, K))
    log_likelihood = np.zeros(n_sequences)
    if plan.block_layout is not None:
        _across_blocks(
            B,
            A,
            startprob,
            plan,
            segment_shift,
            priors,
            ends,
            log_likelihood,
            failed,
            need_backward,
        )
    segment_failed = np.zeros(n_segments, dtype=bool)
    alpha, log_scale, final = _fill_forward(
        B, A, priors, layout, segment_failed, scratch.array("forward", B.shape)
    )
    whole = plan.starts_sequence & plan.ends_sequence  # short sequences: one segment each
    with np.errstate(divide="ignore"):
        whole_ll = log_scale[whole] + np.log(final[whole]) + segment_shift[whole]
    log_likelihood[plan.segment_sequence[whole]] = whole_ll
    if not need_backward:
        failed[plan.segment_sequence[segment_failed]] = True
        return ScanResult(log_likelihood, None, None, failed)
    beta = _fill_backward(B, A, ends, layout, segment_failed, scratch.array("backward", B.shape))
    failed[plan.segment_sequence[segment_failed]] = True
    return _posteriors_and_transitions(
        alpha, beta, B, A, plan, log_likelihood, failed, posteriors, transitions
    )


def _pair_terms(
    alpha_previous: np.ndarray,
    B_next: np.ndarray,
    beta_next: np.ndarray,
    AT: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For consecutive steps ``(t - 1, t)``: ``V_t = b_t beta_t``, ``U_t = A V_t`` and ``z_t``."""
    V = B_next * beta_next
    U = V @ AT
    return V, U, row_dots(alpha_previous, U)


def _posteriors_and_transitions(
    alpha: np.ndarray,
    beta: np.ndarray,
    B: np.ndarray,
    A: np.ndarray,
    plan: ScanPlan,
    log_likelihood: np.ndarray,
    failed: np.ndarray,
    posteriors: bool,
    transitions: bool,
) -> ScanResult:
    """Posteriors and summed transitions from the scaled messages, in ragged order.

    For consecutive steps ``(t - 1, t)`` of a sequence, with ``V_t = b_t
    beta_t`` and ``U_t = A V_t`` (the backward message of step ``t - 1``
    before scaling), ``z_t = alpha_{t-1} . U_t`` normalises both
    ``gamma_{t-1} = alpha_{t-1} U_t / z_t`` and ``xi_t(i, j) = alpha_{t-1}(i)
    A_ij V_t(j) / z_t``, so ``sum_t xi_t = A * (alpha_{t-1}^T (V / z))`` is
    one product per chunk of rows (chunks keep the temporaries in cache).
    The pairs are the steps within a segment, then those joining two blocks;
    the last step of a sequence has ``beta = 1`` and ``gamma`` proportional
    to ``alpha``. The messages' scales never matter, only that ``z_t`` is a
    normal float: a ``z_t`` below ``_TINY_PRODUCT`` fails the sequence.
    """
    K = A.shape[0]
    layout = plan.layout
    n_rows = alpha.shape[0]
    AT = np.ascontiguousarray(A.T)
    gamma = np.empty_like(alpha) if posteriors else None
    counts = np.zeros((K, K))
    bad_rows: list[np.ndarray] = []

    def accumulate(previous: np.ndarray | slice, following: slice | np.ndarray) -> None:
        nonlocal counts
        alpha_previous = (
            alpha[previous] if isinstance(previous, slice) else take_rows(alpha, previous)
        )
        V, U, z = _pair_terms(alpha_previous, B[following], beta[following], AT)
        bad = ~(z >= _TINY_PRODUCT)
        if bad.any():
            rows = np.arange(n_rows)[previous][bad]
            bad_rows.append(rows)
            z[bad] = 1.0
        inverse = 1.0 / z
        if bad.any():
            inverse[bad] = 0.0  # the sequence is redone in log space
        # W = alpha_{t-1} / z_t serves both gamma_{t-1} = W * U_t and xi_t = W^T V_t
        W = alpha_previous * inverse[:, None]
        if gamma is not None:
            if isinstance(previous, slice):  # write in place
                np.multiply(W, U, out=gamma[previous])
            else:
                gamma[previous] = W * U
        if transitions:
            counts += W.T @ V

    for run_start, run_stop, shift in plan.pair_runs:
        for start in range(run_start, run_stop, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, run_stop)
            accumulate(slice(start - shift, stop - shift), slice(start, stop))
    if plan.cross_previous.shape[0]:
        accumulate(plan.cross_previous, plan.cross_next)
    if bad_rows:
        failed[plan.segment_sequence[plan.row_segment[np.concatenate(bad_rows)]]] = True
    if gamma is not None:
        last = layout.last_rows()[plan.ends_sequence]
        totals = row_sums(alpha[last])
        gamma[last] = alpha[last] / np.where(totals > 0, totals, 1.0)[:, None]
    xi = None
    if transitions:
        if failed.any():
            counts -= _failed_counts(alpha, beta, B, AT, plan, failed)
        xi = A * counts
    return ScanResult(log_likelihood, gamma, xi, failed)


def _failed_counts(
    alpha: np.ndarray,
    beta: np.ndarray,
    B: np.ndarray,
    AT: np.ndarray,
    plan: ScanPlan,
    failed: np.ndarray,
) -> np.ndarray:
    """The part of ``alpha^T (V / z)`` that came from the sequences marked ``failed``."""
    rows = plan.sequence_rows(failed)
    lengths = plan.lengths[failed]
    within = np.ones(rows.shape[0], dtype=bool)
    within[np.cumsum(lengths) - 1] = False  # no successor
    previous, following = rows[within], rows[np.roll(within, 1)]
    V, _, z = _pair_terms(take_rows(alpha, previous), B[following], beta[following], AT)
    usable = z >= _TINY_PRODUCT
    return take_rows(alpha, previous[usable]).T @ (V[usable] / z[usable, None])
