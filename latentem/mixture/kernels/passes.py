"""Whole passes over prepared data: the E-step, M-step moments and inference.

Each function makes one pass over :class:`GaussianData` in blocks (see
:mod:`~latentem.mixture.kernels.blocks`) with the parameters given as a
:class:`~latentem.mixture.kernels.base.FrameCoefficients` in the data's frame.
The rows and components the coefficients mark are evaluated by the exact path
(:mod:`~latentem.mixture.kernels.exact`); a row whose log-density is below the
most negative float gets ``-inf`` for it and its limit posterior.

Statistics are summed about the frame's centre, except for the components
whose moments would lose digits there (far from the centre against their own
spread): those are summed about a point near their own mean, from the rows as
given. An E-step predicts them from the model's parameters; after the pass,
:func:`~latentem.mixture.kernels.exact.lost_digits` checks every component
against the statistics found, and a second pass redoes the ones it flags about
their new means. Healthy problems pay the check only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from attrs import frozen

from latentem.mixture.kernels.base import FrameCoefficients
from latentem.mixture.kernels.blocks import Workspace, plan_blocks, run_blocks
from latentem.mixture.kernels.data import GaussianData
from latentem.mixture.kernels.exact import (
    CANCELLATION_LIMIT,
    ExactMoments,
    exact_joint,
    limit_joint,
    lost_digits,
)
from latentem.mixture.kernels.responsibilities import (
    BlockTransform,
    objective_terms,
    soft_objective,
    soft_responsibilities,
)

__all__ = [
    "Summary",
    "joint_log_prob",
    "log_marginal",
    "most_probable",
    "objective",
    "posterior",
    "statistics_and_objective",
    "statistics_from_responsibilities",
]


@frozen(eq=False)
class Summary:
    """Per-component statistics of a pass, in data units.

    Attributes
    ----------
    counts : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
        0 where the count is 0.
    scatter : ndarray
        About the means, in the layout of :meth:`Kernel.statistics
        <latentem.mixture.kernels.base.Kernel.statistics>`.
    references : ndarray of shape (n_components, n_features)
        The point each component's moments were summed about: the frame's
        centre, or a point near the component's mean.
    offsets : ndarray of shape (n_components, n_features)
        ``means - references``, to working precision of the difference itself.
    """

    counts: np.ndarray
    means: np.ndarray
    scatter: np.ndarray
    references: np.ndarray
    offsets: np.ndarray


_NO_ROWS = np.zeros(0, dtype=np.intp)


def _joint(
    workspace: Workspace,
    data: GaussianData,
    coefficients: FrameCoefficients,
    rows: slice,
    deterministic: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The block's features, its joint log-densities (n_components, n_rows) and lost rows.

    The lost rows (indices in the block) have a log-density below the most
    negative float under every component: their joints hold the stand-ins
    of :func:`~latentem.mixture.kernels.exact.limit_joint` instead.
    ``deterministic`` (inference): the exact path evaluates every row by the
    same operations whatever the block.
    """
    # rows far out overflow the features (and their joints then hold inf or NaN) until
    # the exact path replaces them
    with np.errstate(over="ignore", invalid="ignore"):
        features = workspace.features(rows)
        joint_t = workspace.buffer("joint", coefficients.n_components, features.shape[1])
        data.kernel.joint(features, coefficients, joint_t, workspace.buffer)
    return features, joint_t, _exact_path(data, coefficients, rows, joint_t, deterministic)


def _given_rows(data: GaussianData, rows: slice) -> np.ndarray:
    """The block's rows in data units (mapped back from the frame if not kept)."""
    if data.X is not None:
        return np.asarray(data.X[rows], dtype=np.float64)
    return data.frame.means_from_frame(data.centred[:, rows].T.astype(np.float64))


def _exact_path(
    data: GaussianData,
    coefficients: FrameCoefficients,
    rows: slice,
    joint_t: np.ndarray,
    deterministic: bool,
) -> np.ndarray:
    """Overwrite the joints the expansion cannot evaluate; return the lost rows."""
    components, factors = coefficients.components, coefficients.factors
    if components is None or factors is None or coefficients.radii2 is None:
        return _NO_ROWS
    exact = coefficients.exact_components
    beyond = None
    if data.largest_norm(rows) > coefficients.radius2:
        # NaN (an overflowed distance) is beyond
        beyond = ~(data.norms(rows)[None, :] <= coefficients.radii2[:, None])
    if not exact.size and (beyond is None or not beyond.any()):
        return _NO_ROWS
    X = _given_rows(data, rows)
    if exact.size:
        joint_t[exact] = exact_joint(X, components, factors, exact, deterministic)[0]
    far = _NO_ROWS
    if beyond is not None:
        for k in np.flatnonzero(beyond.any(axis=1)):
            these = np.flatnonzero(beyond[k])
            joint = exact_joint(X[these], components, factors, np.array([k]), deterministic)[0]
            joint_t[k, these] = joint[0]
        far = np.flatnonzero(beyond.any(axis=0))
    # a row is lost when every joint is -inf: the expansion then served no component of
    # it (it is far, or every component is on the exact path)
    candidates = np.arange(joint_t.shape[1]) if exact.size else far
    lost = candidates[~(joint_t[:, candidates].max(axis=0) > -np.inf)]
    if lost.size:
        _, log_distances = exact_joint(X[lost], components, factors, None, deterministic)
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


#: Which components a pass sums about their own references, and the references.
Explicit = tuple[np.ndarray, np.ndarray]

#: A block's features and responsibilities (n_components, n_rows), and its objective.
BlockResponsibilities = Callable[[slice, Workspace], tuple[np.ndarray, np.ndarray, float]]


def _summarise(
    data: GaussianData, n_components: int, explicit: Explicit, block: BlockResponsibilities
) -> tuple[Summary, float]:
    """One pass: the moments of ``explicit`` about their references, the others' fast."""
    kernel = data.kernel
    plan = plan_blocks(data.n_samples, data.block_rows)
    moments = _moments(data, n_components, plan.n_tasks)
    objective_sums = np.zeros(plan.n_tasks)
    which, references = explicit
    exact = ExactMoments(which, references, plan.n_tasks, kernel.diagonal_scatter)

    def work(task: int, rows: slice, workspace: Workspace) -> None:
        features, resp_t, objective = block(rows, workspace)
        objective_sums[task] += objective
        if which.size:
            exact.add(task, _given_rows(data, rows), resp_t)
            resp_t[which] = 0.0  # their moments are the exact ones
        kernel.add_moments(features, resp_t, [m[task] for m in moments], workspace.buffer)

    run_blocks(data, plan, work)
    counts, offsets, scatter = kernel.statistics([m.sum(axis=0) for m in moments], data.frame)
    summed_about = np.broadcast_to(data.frame.centre, offsets.shape).copy()
    if which.size:
        exact_counts, exact_offsets, exact_scatter = exact.statistics()
        counts[which], offsets[which] = exact_counts, exact_offsets
        if kernel.shared_scatter:
            scatter = scatter + exact_scatter.sum(axis=0)
        else:
            scatter[which] = exact_scatter
        summed_about[which] = references
    means = np.where(counts[:, None] > 0, summed_about + offsets, 0.0)
    summary = Summary(counts, means, scatter, summed_about, offsets)
    return summary, float(objective_sums.sum())


def _redo(data: GaussianData, summary: Summary, explicit: Explicit) -> Explicit | None:
    """The components to sum about their new means, if the pass lost digits on some."""
    lost = lost_digits(summary.counts, summary.offsets, summary.scatter, data.kernel.shared_scatter)
    if not lost.any():
        return None
    redo = np.union1d(explicit[0], np.flatnonzero(lost))
    return redo, summary.means[redo]


def _none(n_features: int) -> Explicit:
    return np.zeros(0, dtype=np.intp), np.zeros((0, n_features))


def _predicted(data: GaussianData, coefficients: FrameCoefficients) -> Explicit:
    """The components whose moments about the frame's centre would lose digits.

    From the model's own spread: the centre's squared distance from each mean
    in its deviations, times its weight when the scatter is pooled.
    """
    components = coefficients.components
    if components is None or coefficients.offsets2 is None:
        return _none(data.n_features)
    weights = np.exp(components.log_weights)
    ratios = coefficients.offsets2 * (weights if data.kernel.shared_scatter else 1.0)
    which = np.flatnonzero(~coefficients.absent & ~(ratios <= CANCELLATION_LIMIT))
    return which, components.means[which]


def statistics_and_objective(
    data: GaussianData, coefficients: FrameCoefficients, transform: BlockTransform
) -> tuple[Summary, float]:
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
    summary : Summary
    log_likelihood : float
        Sum of the rows' (weighted) objective terms.
    """

    def block(rows: slice, workspace: Workspace) -> tuple[np.ndarray, np.ndarray, float]:
        features, joint_t, lost = _joint(workspace, data, coefficients, rows)
        weights = _part(data.sample_weight, rows)
        terms = objective_terms(joint_t, transform, _part(data.labels, rows), weights)
        _lose(terms, lost, weights)
        return features, joint_t, float(np.add.reduce(terms, dtype=np.float64))

    explicit = _predicted(data, coefficients)
    summary, objective = _summarise(data, coefficients.n_components, explicit, block)
    redo = _redo(data, summary, explicit)
    if redo is not None:
        summary, objective = _summarise(data, coefficients.n_components, redo, block)
    return summary, objective


def statistics_from_responsibilities(data: GaussianData, resp: np.ndarray) -> Summary:
    """Counts, means and scatter of ``data`` under given responsibilities (n_samples, k).

    Sample weights and labels held by ``data`` are not applied: ``resp`` is
    taken as it is.
    """

    def block(rows: slice, workspace: Workspace) -> tuple[np.ndarray, np.ndarray, float]:
        resp_t = np.ascontiguousarray(resp[rows].T, dtype=data.dtype)
        return workspace.features(rows), resp_t, 0.0

    none = _none(data.n_features)
    summary, _ = _summarise(data, resp.shape[1], none, block)
    redo = _redo(data, summary, none)
    if redo is not None:
        summary, _ = _summarise(data, resp.shape[1], redo, block)
    return summary


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
        _, joint_t, lost = _joint(workspace, data, coefficients, rows, deterministic=True)
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
