"""Forward-backward in log space: the fallback for sequences the scaled scan cannot represent.

Every message is kept as a logarithm and every sum over states is a
log-sum-exp, so probabilities far below the smallest float (very long
sequences of very unlikely observations, structural zeros meeting extreme
emission ratios) are exact, and zero probabilities give ``-inf``, never NaN.
It runs one Python step per time step, vectorised across sequences, and
costs ``K`` exponentials per state and step; the scaled scan
(:mod:`latentem.hmm.scan`) is the fast path and sends only the sequences it
cannot handle here.
"""

from __future__ import annotations

import numpy as np

from latentem.hmm.layout import ragged_layout
from latentem.hmm.scan import ScanResult

__all__ = ["log_forward_backward", "log_matmul"]

# Pairs of steps per chunk when summing transition posteriors (chunk x K x K floats).
_PAIR_CHUNK = 4096


def _log_sum_exp(values: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(values), axis))``, ``-inf`` (not NaN) where every term is ``-inf``."""
    top = np.max(values, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", under="ignore"):
        out = np.log(np.sum(np.exp(values - top), axis=axis)) + np.squeeze(top, axis)
    return out


def _take_out_largest(log_values: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """Subtract every row's largest entry (among ``where``) in place; return it (0 if -inf)."""
    top = np.max(log_values, axis=1, initial=-np.inf, where=True if where is None else where)
    top = np.where(np.isfinite(top), top, 0.0)
    log_values -= top[:, None]
    return top


def _normalised_exp(log_values: np.ndarray) -> np.ndarray:
    """``exp(log_values)`` scaled so that every row sums to 1 (each row has a finite entry).

    The row's maximum is subtracted before ``exp`` and the sum divided after,
    never a log-sum-exp subtracted: at ``|log_values|`` of 1e20 the log of the
    sum rounds to the maximum and the row would sum to the number of its ties.
    """
    with np.errstate(under="ignore"):
        values = np.exp(log_values - np.max(log_values, axis=1, keepdims=True))
    return values / values.sum(axis=1, keepdims=True)


def log_matmul(log_x: np.ndarray, log_M: np.ndarray) -> np.ndarray:
    """``log(exp(log_x) @ exp(log_M))`` for rows ``log_x`` (n, k) and ``log_M`` (k, m).

    Examples
    --------
    >>> import numpy as np
    >>> x, M = np.array([[0.2, 0.8]]), np.array([[0.5, 0.5], [0.1, 0.9]])
    >>> bool(np.allclose(np.exp(log_matmul(np.log(x), np.log(M))), x @ M))
    True
    """
    return _log_sum_exp(log_x[:, :, None] + log_M[None, :, :], axis=1)


def log_forward_backward(
    log_emissions: np.ndarray,
    log_startprob: np.ndarray,
    log_transmat: np.ndarray,
    lengths: np.ndarray,
    *,
    posteriors: bool = True,
    transitions: bool = True,
) -> ScanResult:
    """Forward-backward in log space over many sequences.

    Parameters
    ----------
    log_emissions : ndarray of shape (n_samples, n_states)
    log_startprob : ndarray of shape (n_states,)
    log_transmat : ndarray of shape (n_states, n_states)
    lengths : ndarray of int of shape (n_sequences,)
    posteriors, transitions : bool

    Returns
    -------
    ScanResult
        ``failed`` is all False. A sequence of probability zero has
        log-likelihood ``-inf``, zero posteriors and no transitions.
    """
    T, K = log_emissions.shape
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.intp)
    layout = ragged_layout(starts, lengths)
    Lr = log_emissions[layout.rows]
    # Log space's version of the scaled recursion, so that differences of a few nats
    # between states survive rounding however far the data are from the model (log
    # emissions of -1e20, say): every step's emissions lose their largest term among the
    # states the chain can be in (a constant per step moves no posterior and adds to
    # log p(x); the states it cannot be in are left out so that a huge term there costs
    # no accuracy), and every forward message its largest term; the sum of what was taken
    # out carries the magnitude.
    log_alpha = np.empty_like(Lr)
    Lr = np.array(Lr)  # shifted in place below
    scales = np.zeros(lengths.shape[0])  # per sequence, in the layout's (sorted) order
    for i in range(layout.n_steps):
        n = int(layout.counts[i])
        current = layout.step(i)
        if i == 0:
            predicted = np.broadcast_to(log_startprob, (n, K))
        else:
            predicted = log_matmul(log_alpha[layout.step(i - 1, n)], log_transmat)
        scales[:n] += _take_out_largest(Lr[current], where=predicted > -np.inf)
        log_alpha[current] = predicted + Lr[current]
        scales[:n] += _take_out_largest(log_alpha[current])
    sorted_ll = _log_sum_exp(log_alpha[layout.last_rows()], axis=1) + scales
    log_likelihood = np.empty(lengths.shape[0])
    log_likelihood[layout.order] = sorted_ll
    failed = np.zeros(lengths.shape[0], dtype=bool)
    if not (posteriors or transitions):
        return ScanResult(log_likelihood, None, None, failed)

    log_beta = np.empty_like(Lr)
    log_beta[layout.last_rows()] = 0.0
    transposed = log_transmat.T
    for i in range(layout.n_steps - 2, -1, -1):
        n = int(layout.counts[i + 1])
        following = layout.step(i + 1)
        log_beta[layout.step(i, n)] = log_matmul(Lr[following] + log_beta[following], transposed)
        _take_out_largest(log_beta[layout.step(i, n)])
    alpha_t = np.empty((T, K))
    alpha_t[layout.rows] = log_alpha
    log_emissions = np.empty((T, K))  # the shifted emissions, in the original order
    log_emissions[layout.rows] = Lr
    beta_t = np.empty((T, K))
    beta_t[layout.rows] = log_beta
    row_ll = np.repeat(log_likelihood, lengths)
    possible = np.isfinite(row_ll)
    # Every step is normalised on its own (its posteriors, and its pair's transitions, sum
    # to 1) rather than by the sequence's log-likelihood: the two are equal, but when the
    # log-probabilities are huge (data far from the model) alpha + beta - log p(x) keeps
    # only an absolute accuracy of eps |log p(x)|, which can be thousands of nats.
    gamma = None
    if posteriors:
        gamma = np.zeros((T, K))
        gamma[possible] = _normalised_exp(alpha_t[possible] + beta_t[possible])
    xi = None
    if transitions:
        xi = np.zeros((K, K))
        pairs = np.flatnonzero(possible[1:])
        pairs = np.setdiff1d(pairs, starts[1:] - 1)  # t - 1 where t starts a sequence
        with np.errstate(under="ignore"):
            for chunk in range(0, pairs.shape[0], _PAIR_CHUNK):
                t = pairs[chunk : chunk + _PAIR_CHUNK] + 1
                log_xi = (
                    alpha_t[t - 1][:, :, None]
                    + log_transmat[None]
                    + (log_emissions[t] + beta_t[t])[:, None, :]
                )
                xi += _normalised_exp(log_xi.reshape(len(t), K * K)).reshape(-1, K, K).sum(axis=0)
    return ScanResult(log_likelihood, gamma, xi, failed)
