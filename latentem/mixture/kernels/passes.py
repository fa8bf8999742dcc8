"""Whole passes over prepared data: the E-step, M-step moments and inference.

Each function makes one pass over :class:`GaussianData` in blocks (see
:mod:`~latentem.mixture.kernels.blocks`) with the parameters given as a
:class:`~latentem.mixture.kernels.base.FrameCoefficients` in the data's frame.
The rows and components the coefficients mark are evaluated by the exact path
(:mod:`~latentem.mixture.kernels.exact`); a row whose log-density is below the
most negative float gets ``-inf`` for it and its limit posterior.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from latentem.mixture.kernels.base import FrameCoefficients
from latentem.mixture.kernels.blocks import Workspace, plan_blocks, run_blocks
from latentem.mixture.kernels.data import GaussianData
from latentem.mixture.kernels.exact import exact_joint, limit_joint
from latentem.mixture.kernels.responsibilities import (
    BlockTransform,
    objective_terms,
    soft_objective,
    soft_responsibilities,
)

__all__ = [
    "joint_log_prob",
    "log_marginal",
    "most_probable",
    "objective",
    "posterior",
    "statistics_and_objective",
    "statistics_from_responsibilities",
]

#: Per-component counts, means and scatter in data units, as :meth:`Kernel.statistics
#: <latentem.mixture.kernels.base.Kernel.statistics>` returns them.
CountsMeansScatter = tuple[np.ndarray, np.ndarray, np.ndarray]


_NO_ROWS = np.zeros(0, dtype=np.intp)


def _joint(
    workspace: Workspace, data: GaussianData, coefficients: FrameCoefficients, rows: slice
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The block's features, its joint log-densities (n_components, n_rows) and lost rows.

    The lost rows (indices in the block) have a log-density below the most
    negative float under every component: their joints hold the stand-ins
    of :func:`~latentem.mixture.kernels.exact.limit_joint` instead.
    """
    # rows far out overflow the features (and their joints then hold inf or NaN) until
    # the exact path replaces them
    with np.errstate(over="ignore", invalid="ignore"):
        features = workspace.features(rows)
        joint_t = workspace.buffer("joint", coefficients.n_components, features.shape[1])
        data.kernel.joint(features, coefficients, joint_t, workspace.buffer)
    return features, joint_t, _exact_path(data, coefficients, rows, joint_t)


def _given_rows(data: GaussianData, rows: slice) -> np.ndarray:
    """The block's rows in data units (mapped back from the frame if not kept)."""
    if data.X is not None:
        return data.X[rows]
    return data.frame.means_from_frame(data.centred[:, rows].T.astype(np.float64))


def _exact_path(
    data: GaussianData, coefficients: FrameCoefficients, rows: slice, joint_t: np.ndarray
) -> np.ndarray:
    """Overwrite the joints the expansion cannot evaluate; return the lost rows."""
    components, factors = coefficients.components, coefficients.factors
    if components is None or factors is None:
        return _NO_ROWS
    exact = coefficients.exact_components
    far = _NO_ROWS
    if data.largest_norm(rows) > coefficients.radius2:
        far = np.flatnonzero(~(data.norms(rows) <= coefficients.radius2))  # NaN: far
    if not exact.size and not far.size:
        return _NO_ROWS
    X = _given_rows(data, rows)
    if exact.size:
        joint_t[exact] = exact_joint(X, components, factors, exact)[0]
    if far.size:
        joint_t[:, far] = exact_joint(X[far], components, factors)[0]
    # a row is lost when every joint is -inf: then the expansion served no component
    # of it (it is far, or every component is on the exact path)
    candidates = np.arange(joint_t.shape[1]) if exact.size else far
    lost = candidates[~(joint_t[:, candidates].max(axis=0) > -np.inf)]
    if lost.size:
        _, log_distances = exact_joint(X[lost], components, factors)
        joint_t[:, lost] = limit_joint(log_distances, components.log_weights)
    return lost


def _lose(terms: np.ndarray, lost: np.ndarray, weights: np.ndarray | None) -> None:
    """Objective terms of ``-inf`` for the lost rows (0 where their weight is 0)."""
    if lost.size:
        terms[lost] = -np.inf if weights is None else np.where(weights[lost] > 0, -np.inf, 0.0)


def _part(values: np.ndarray | None, rows: slice) -> np.ndarray | None:
    return None if values is None else values[rows]


def _moments(data: GaussianData, n_components: int, n_tasks: int) -> list[np.ndarray]:
    shapes = data.kernel.moment_shapes(data.n_features, n_components)
    return [np.zeros((n_tasks, *shape)) for shape in shapes]


def statistics_and_objective(
    data: GaussianData, coefficients: FrameCoefficients, transform: BlockTransform
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """E-step: counts, means, scatter (data units) and the objective of ``data``.

    Parameters
    ----------
    data : GaussianData
    coefficients : FrameCoefficients
        The parameters in ``data``'s frame.
    transform : callable
        :func:`~latentem.mixture.kernels.responsibilities.soft_responsibilities`
        or ``hard_responsibilities``.

    Returns
    -------
    counts, means, scatter : ndarrays
        As :meth:`Kernel.statistics
        <latentem.mixture.kernels.base.Kernel.statistics>` returns them.
    log_likelihood : float
        Sum of the rows' (weighted) objective terms.
    """
    plan = plan_blocks(data.n_samples, data.block_rows)
    moments = _moments(data, coefficients.n_components, plan.n_tasks)
    objective_sums = np.zeros(plan.n_tasks)

    def work(task: int, rows: slice, workspace: Workspace) -> None:
        features, joint_t, lost = _joint(workspace, data, coefficients, rows)
        weights = _part(data.sample_weight, rows)
        terms = objective_terms(joint_t, transform, _part(data.labels, rows), weights)
        _lose(terms, lost, weights)
        objective_sums[task] += np.add.reduce(terms, dtype=np.float64)
        data.kernel.add_moments(features, joint_t, [m[task] for m in moments], workspace.buffer)

    run_blocks(data, plan, work)
    counts, means, scatter = data.kernel.statistics([m.sum(axis=0) for m in moments], data.frame)
    return counts, means, scatter, float(objective_sums.sum())


def statistics_from_responsibilities(data: GaussianData, resp: np.ndarray) -> CountsMeansScatter:
    """Counts, means and scatter of ``data`` under given responsibilities (n_samples, k).

    Sample weights and labels held by ``data`` are not applied: ``resp`` is
    taken as it is.
    """
    plan = plan_blocks(data.n_samples, data.block_rows)
    moments = _moments(data, resp.shape[1], plan.n_tasks)

    def work(task: int, rows: slice, workspace: Workspace) -> None:
        resp_t = np.ascontiguousarray(resp[rows].T, dtype=data.dtype)
        features = workspace.features(rows)
        data.kernel.add_moments(features, resp_t, [m[task] for m in moments], workspace.buffer)

    run_blocks(data, plan, work)
    return data.kernel.statistics([m.sum(axis=0) for m in moments], data.frame)


def objective(
    data: GaussianData, coefficients: FrameCoefficients, transform: BlockTransform
) -> float:
    """Sum of the rows' objective terms (labels pinned, weights applied).

    ``transform`` is ``soft_objective`` or ``hard_objective``.
    """
    plan = plan_blocks(data.n_samples, data.block_rows)
    sums = np.zeros(plan.n_tasks)

    def work(task: int, rows: slice, workspace: Workspace) -> None:
        _, joint_t, lost = _joint(workspace, data, coefficients, rows)
        weights = _part(data.sample_weight, rows)
        terms = objective_terms(
            joint_t, transform, _part(data.labels, rows), weights, responsibilities=False
        )
        _lose(terms, lost, weights)
        sums[task] += terms.sum(dtype=np.float64)

    run_blocks(data, plan, work)
    return float(sums.sum())


def _per_row(
    data: GaussianData,
    coefficients: FrameCoefficients,
    out: np.ndarray,
    fill: Callable[[np.ndarray], np.ndarray],
    lost_value: float | None = None,
) -> np.ndarray:
    """``fill(joint)`` of every block into ``out``; ``lost_value`` for the lost rows."""
    plan = plan_blocks(data.n_samples, data.block_rows)

    def work(task: int, rows: slice, workspace: Workspace) -> None:
        _, joint_t, lost = _joint(workspace, data, coefficients, rows)
        out[rows] = fill(joint_t)
        if lost.size and lost_value is not None:
            out[rows][lost] = lost_value

    run_blocks(data, plan, work)
    return out


def joint_log_prob(data: GaussianData, coefficients: FrameCoefficients) -> np.ndarray:
    """``log w_k + log N(x_i | mu_k, Sigma_k)``, shape (n_samples, n_components)."""
    out = np.empty((data.n_samples, coefficients.n_components))
    return _per_row(data, coefficients, out, lambda joint_t: joint_t.T, -np.inf)


def log_marginal(data: GaussianData, coefficients: FrameCoefficients) -> np.ndarray:
    """``log sum_k w_k N(x_i | mu_k, Sigma_k)``, shape (n_samples,)."""
    return _per_row(data, coefficients, np.empty(data.n_samples), soft_objective, -np.inf)


def posterior(data: GaussianData, coefficients: FrameCoefficients) -> np.ndarray:
    """Posterior probability of every component, shape (n_samples, n_components)."""

    def fill(joint_t: np.ndarray) -> np.ndarray:
        soft_responsibilities(joint_t)
        return joint_t.T

    out = np.empty((data.n_samples, coefficients.n_components))
    return _per_row(data, coefficients, out, fill)


def most_probable(data: GaussianData, coefficients: FrameCoefficients) -> np.ndarray:
    """Index of the most probable component of every row (ties: lowest index)."""
    out = np.empty(data.n_samples, dtype=np.intp)
    return _per_row(data, coefficients, out, lambda joint_t: joint_t.argmax(axis=0))
