"""Inference on HMM parameters: forward-backward, Viterbi and MAP decoding.

These functions take the emission log-probabilities, so they serve every
emission family. :func:`forward_backward` runs the fast scaled scan
(:mod:`latentem.hmm.scan`) and redoes in log space
(:mod:`latentem.hmm.logspace`) only the sequences whose probabilities the
scan could not represent.
"""

from __future__ import annotations

import math

import numpy as np

from latentem.hmm.kernels import Scratch, take_rows
from latentem.hmm.logspace import log_forward_backward
from latentem.hmm.plan import ScanPlan, scan_plan
from latentem.hmm.scan import ScanResult, scaled_scan
from latentem.hmm.viterbi import viterbi

__all__ = [
    "check_log_emissions",
    "forward_backward",
    "map_decode",
    "ragged_forward_backward",
    "viterbi_decode",
]


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(values)


def _libm_log(values: np.ndarray) -> np.ndarray:
    """Logarithms by the C library (as hmmlearn's C++ takes them), so equal-scoring
    state paths are told apart by the same rounding."""
    flat = [math.log(v) if v > 0 else -math.inf for v in np.asarray(values, float).ravel().tolist()]
    return np.array(flat).reshape(np.shape(values))


def check_log_emissions(log_emissions: np.ndarray, n_states: int) -> np.ndarray:
    """Raise a ValueError unless ``log_emissions`` is (n_samples, n_states) without NaN or +inf.

    Examples
    --------
    >>> check_log_emissions(np.array([[0.0, -np.inf]]), 2).shape
    (1, 2)
    """
    log_emissions = np.asarray(log_emissions, dtype=float)
    if log_emissions.ndim != 2 or log_emissions.shape[1] != n_states:
        raise ValueError(
            f"emission log-probabilities must have shape (n_samples, n_states={n_states}); "
            f"got {log_emissions.shape}"
        )
    # one pass: the total is NaN or +inf exactly when a NaN or a +inf is present
    with np.errstate(invalid="ignore", over="ignore"):
        total = float(np.sum(log_emissions))
    if not total < np.inf:
        bad = np.isnan(log_emissions) | (log_emissions == np.inf)
        row, state = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"the emission log-probability of row {row} under state {state} is "
            f"{log_emissions[row, state]}; an emission family must return finite values or "
            "-inf (probability 0). Check the data and the emission parameters of that state"
        )
    return log_emissions


def ragged_forward_backward(
    log_emissions: np.ndarray,
    startprob: np.ndarray,
    transmat: np.ndarray,
    plan: ScanPlan,
    *,
    posteriors: bool = True,
    transitions: bool = True,
    scratch: Scratch | None = None,
) -> ScanResult:
    """:func:`forward_backward` on emissions in the plan's ragged row order.

    Runs the scaled scan (:func:`~latentem.hmm.scan.scaled_scan`) and redoes
    in log space the sequences it could not represent. Posteriors come back
    in ragged order. ``scratch`` is passed on to the scan.
    """
    fast = scaled_scan(
        log_emissions,
        startprob,
        transmat,
        plan,
        posteriors=posteriors,
        transitions=transitions,
        scratch=scratch,
    )
    if not fast.failed.any():
        return fast
    redo = np.flatnonzero(fast.failed)
    rows = plan.sequence_rows(fast.failed)
    slow = log_forward_backward(
        take_rows(log_emissions, rows),
        _log(startprob),
        _log(transmat),
        plan.lengths[redo],
        posteriors=posteriors,
        transitions=transitions,
    )
    log_likelihood = np.array(fast.log_likelihood)
    log_likelihood[redo] = slow.log_likelihood
    gamma = fast.posteriors
    if gamma is not None and slow.posteriors is not None:
        gamma[rows] = slow.posteriors
    xi = fast.transitions
    if xi is not None and slow.transitions is not None:
        xi = xi + slow.transitions
    return ScanResult(log_likelihood, gamma, xi, np.zeros_like(fast.failed))


def forward_backward(
    log_emissions: np.ndarray,
    startprob: np.ndarray,
    transmat: np.ndarray,
    lengths: np.ndarray,
    *,
    posteriors: bool = True,
    transitions: bool = True,
) -> ScanResult:
    """Log-likelihood, state posteriors and expected transitions of several sequences.

    Parameters
    ----------
    log_emissions : ndarray of shape (n_samples, n_states)
        ``log p(x_t | state k)``, sequences stacked in time order.
    startprob : ndarray of shape (n_states,)
    transmat : ndarray of shape (n_states, n_states)
        Row-stochastic; zeros allowed.
    lengths : ndarray of int of shape (n_sequences,)
    posteriors, transitions : bool
        Whether to compute ``gamma`` and the summed ``xi``.

    Returns
    -------
    ScanResult
        ``failed`` is all False. A sequence with probability zero has
        log-likelihood ``-inf`` and zero posteriors.

    Examples
    --------
    >>> import numpy as np
    >>> log_b = np.log([[0.9, 0.2], [0.1, 0.8]])
    >>> result = forward_backward(log_b, np.array([0.5, 0.5]),
    ...                           np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([2]))
    >>> float(np.exp(result.log_likelihood[0]))  # sum over the four state paths
    0.1425
    >>> result.posteriors.sum(axis=1)
    array([1., 1.])
    """
    plan = scan_plan(np.asarray(lengths, dtype=np.intp))
    log_emissions = check_log_emissions(log_emissions, np.shape(startprob)[0])
    result = ragged_forward_backward(
        take_rows(log_emissions, plan.layout.rows),
        startprob,
        transmat,
        plan,
        posteriors=posteriors,
        transitions=transitions,
    )
    gamma = result.posteriors
    if gamma is not None:
        gamma = take_rows(gamma, plan.positions)
    return ScanResult(result.log_likelihood, gamma, result.transitions, result.failed)


def viterbi_decode(
    log_emissions: np.ndarray, startprob: np.ndarray, transmat: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Most probable state path: ``(log p(x, path) per sequence, states)``.

    Examples
    --------
    >>> import numpy as np
    >>> log_b = np.log([[0.9, 0.2], [0.1, 0.8]])
    >>> log_prob, states = viterbi_decode(log_b, np.array([0.5, 0.5]),
    ...                                   np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([2]))
    >>> states, float(np.exp(log_prob[0]))
    (array([1, 1]), 0.064)
    """
    return viterbi(
        log_emissions,
        _libm_log(startprob),
        _libm_log(transmat),
        np.asarray(lengths, dtype=np.intp),
    )


def map_decode(posteriors: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The most probable state of every step on its own (posterior, or MAP, decoding).

    Returns
    -------
    log_prob : ndarray of shape (n_sequences,)
        ``sum_t log max_k gamma_t(k)`` of every sequence.
    states : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> gamma = np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]])
    >>> log_prob, states = map_decode(gamma, np.array([2, 1]))
    >>> states, log_prob.round(4)
    (array([0, 1, 0]), array([-0.6162, -0.6931]))
    """
    states = np.argmax(posteriors, axis=1)
    with np.errstate(divide="ignore"):
        log_best = np.log(posteriors[np.arange(posteriors.shape[0]), states])
    sequence = np.repeat(np.arange(len(lengths)), lengths)
    return np.bincount(sequence, log_best, minlength=len(lengths)), states
