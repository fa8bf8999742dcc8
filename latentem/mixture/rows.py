"""Rows prepared once for the Gaussian family: the kernels' part and the rows with NaN.

:class:`GaussianRows` is what :meth:`GaussianMixtureModel.prepare
<latentem.mixture.GaussianMixtureModel.prepare>` and the HMM's Gaussian
emissions prepare once per fit. The complete rows go through the covariance
structure's kernel (:mod:`latentem.mixture.kernels`); the rows with NaN and at
least one observed entry are evaluated by the structure's conditional
densities of their observed entries
(:meth:`~latentem.mixture.CovarianceType.conditionals`): the observed-data
likelihood, no imputation. A row with nothing observed has likelihood 1.
"""

from __future__ import annotations

import numpy as np
from attrs import frozen

from latentem.core.data import Observations
from latentem.mixture import missing
from latentem.mixture.covariance import CovarianceType
from latentem.mixture.kernels import passes
from latentem.mixture.kernels.base import FrameCoefficients
from latentem.mixture.kernels.data import GaussianData, prepare_data
from latentem.mixture.kernels.frame import Frame
from latentem.mixture.statistics import (
    GaussianMixtureStats,
    prepared_statistics,
)

__all__ = ["GaussianRows", "reference_frame"]


def reference_frame(
    structure: CovarianceType, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray
) -> Frame:
    """The frame a mixture evaluates new rows in: centred on its mean, by its total covariance.

    The centre is ``sum_k w_k mu_k`` and the covariance the mixture's,
    ``sum_k w_k (Sigma_k + (mu_k - centre)(mu_k - centre)^T)``; the
    structure's kernel makes the frame of its kind from them
    (:meth:`~latentem.mixture.kernels.Kernel.reference_frame`). Rows
    prepared in it are evaluated one by one: a row's results do not depend
    on the other rows.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import covariance_type
    >>> frame = reference_frame(covariance_type("diag"), np.array([0.5, 0.5]),
    ...                         np.array([[0.0], [4.0]]), np.array([[1.0], [1.0]]))
    >>> frame.centre, frame.scale  # variance 1 + 4
    (array([2.]), array([4.]))
    """
    n_components, n_features = means.shape
    kernel = structure.kernel(n_features, n_components)
    full = structure.full_matrices(covariances, n_components, n_features)
    centre = weights @ means
    offsets = means - centre
    total = np.einsum("k,kij->ij", weights, full) + (weights[:, None] * offsets).T @ offsets
    return kernel.reference_frame(centre, total)


@frozen(eq=False)
class GaussianRows:
    """Rows of Gaussian observations, prepared for one covariance structure's kernel.

    Attributes
    ----------
    n_samples : int
        Number of rows, all kinds.
    complete : GaussianData or None
        The rows without NaN, in the kernel's form, with their sample weights
        and labels (None if there are none).
    complete_index : ndarray of int or None
        Their positions (None: every row is complete).
    incomplete : Observations or None
        The rows with NaN and some observed entry, with their weights and labels.
    incomplete_index : ndarray of int of shape (n_incomplete,)
        Their positions.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import GaussianMixtureModel
    >>> X = np.array([[0.0, 1.0], [np.nan, 2.0], [np.nan, np.nan], [3.0, 4.0]])
    >>> model = GaussianMixtureModel.from_parameters([1.0], [[0.0, 0.0]], [[[1.0, 0], [0, 1.0]]])
    >>> rows = model.prepare(X)
    >>> rows.complete.n_samples, rows.incomplete_index, rows.n_informative
    (2, array([1]), 3)
    """

    n_samples: int
    complete: GaussianData | None
    complete_index: np.ndarray | None
    incomplete: Observations | None
    incomplete_index: np.ndarray

    @classmethod
    def of(
        cls, observations: Observations, structure: CovarianceType, n_components: int, **options
    ) -> GaussianRows:
        """Prepare checked ``observations`` (NaN allowed) for ``structure``'s kernel.

        ``options`` go to :func:`~latentem.mixture.kernels.prepare_data`
        (``frame``, say: a model's :func:`reference_frame`).
        """
        X = np.asarray(observations.X)
        n_samples, n_features = X.shape
        kernel = structure.kernel(n_features, n_components)
        missing = np.isnan(X)
        none = np.zeros(0, dtype=np.intp)
        if not missing.any():
            data = prepare_data(observations, kernel, n_components=n_components, **options)
            return cls(n_samples, data, None, None, none)
        holes = missing.any(axis=1)
        complete_index = np.flatnonzero(~holes)
        complete = None
        if complete_index.size:
            part = observations[complete_index]
            complete = prepare_data(part, kernel, n_components=n_components, **options)
        incomplete_index = np.flatnonzero(holes & ~missing.all(axis=1))
        incomplete = observations[incomplete_index] if incomplete_index.size else None
        return cls(n_samples, complete, complete_index, incomplete, incomplete_index)

    @classmethod
    def of_prepared(cls, data: GaussianData) -> GaussianRows:
        """Complete rows already prepared for a kernel."""
        return cls(data.n_samples, data, None, None, np.zeros(0, dtype=np.intp))

    @property
    def n_informative(self) -> int:
        """Rows with at least one observed entry."""
        complete = 0 if self.complete is None else self.complete.n_samples
        return complete + int(self.incomplete_index.size)

    def informative(self, values: np.ndarray) -> np.ndarray:
        """The entries of per-row ``values`` for the rows with an observed entry, in order."""
        if self.complete_index is None:
            return values
        return values[np.sort(np.concatenate([self.complete_index, self.incomplete_index]))]

    def coefficients(
        self,
        structure: CovarianceType,
        log_weights: np.ndarray,
        means: np.ndarray,
        precisions_cholesky: np.ndarray,
    ) -> FrameCoefficients:
        """The parameters as weights on the features of :attr:`complete`."""
        data = self.complete
        if data is None:  # pragma: no cover - callers check
            raise ValueError("these rows have no complete row for the kernels")
        components = structure.components(log_weights, means, precisions_cholesky)
        return data.kernel.coefficients(components, data.frame, data.dtype)

    def incomplete_joint(
        self,
        structure: CovarianceType,
        log_weights: np.ndarray,
        means: np.ndarray,
        precisions_cholesky: np.ndarray,
    ) -> np.ndarray | None:
        """``log w_c + log N(x_observed | ...)`` of the rows with NaN, or None if none."""
        if self.incomplete is None:
            return None
        part = structure.conditionals(self.incomplete.X, means, precisions_cholesky)
        return np.asarray(part.log_prob + log_weights)

    def other_joint(
        self,
        structure: CovarianceType,
        log_weights: np.ndarray,
        means: np.ndarray,
        precisions_cholesky: np.ndarray,
        covariances: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Joints (n_components, n_samples) of the rows the kernels do not evaluate.

        Rows with NaN get their observed entries' joints, rows with nothing
        observed ``log w`` (likelihood 1); the columns of complete rows hold
        ``log w`` too, for the caller to overwrite. A row with NaN whose
        density underflows under every component holds the stand-ins of
        :func:`~latentem.mixture.missing.limit_joint_of_observed`; those rows
        are returned as well.
        """
        joint_t = np.empty((means.shape[0], self.n_samples))
        joint_t[...] = log_weights[:, None]
        lost = np.zeros(0, dtype=np.intp)
        joint = self.incomplete_joint(structure, log_weights, means, precisions_cholesky)
        if joint is not None and self.incomplete is not None:
            underflow = np.flatnonzero(~(joint.max(axis=1) > -np.inf))
            if underflow.size:
                k, d = means.shape
                full = structure.full_matrices(covariances, k, d)
                joint[underflow] = missing.limit_joint_of_observed(
                    self.incomplete.X[underflow], log_weights, means, full
                )
                lost = self.incomplete_index[underflow]
            joint_t[:, self.incomplete_index] = joint.T
        return joint_t, lost

    def joint_log_prob(
        self,
        structure: CovarianceType,
        log_weights: np.ndarray,
        means: np.ndarray,
        precisions_cholesky: np.ndarray,
    ) -> np.ndarray:
        """``log w_c + log N(x_t,observed | mu_c, Sigma_c)``, shape (n_samples, n_components)."""
        args = (structure, log_weights, means, precisions_cholesky)
        complete = None
        if self.complete is not None:
            complete = passes.joint_log_prob(self.complete, self.coefficients(*args))
            if self.complete_index is None:
                return complete
        out = np.empty((self.n_samples, means.shape[0]))
        out[...] = log_weights  # rows with nothing observed: likelihood 1
        if complete is not None:
            out[self.complete_index] = complete
        if self.incomplete is not None:
            out[self.incomplete_index] = self.incomplete_joint(*args)
        return out

    def statistics(
        self,
        structure: CovarianceType,
        means: np.ndarray,
        precisions_cholesky: np.ndarray,
        weights: np.ndarray,
    ) -> GaussianMixtureStats:
        """Counts, means and scatter (the kernel's layout) under per-row ``weights`` (n, c).

        Rows with NaN add their expected complete-data statistics given the
        observed entries (see :class:`~latentem.mixture.missing.Conditionals`).
        """
        stats: GaussianMixtureStats | None = None
        if self.complete is not None:
            part = weights if self.complete_index is None else weights[self.complete_index]
            stats = prepared_statistics(self.complete, part, 0.0, structure)
        if self.incomplete is not None:
            conditionals = structure.conditionals(
                self.incomplete.X, means, precisions_cholesky, residuals=True
            )
            counts, centres, scatter = conditionals.statistics(
                means, weights[self.incomplete_index]
            )
            extra = GaussianMixtureStats(  # summed about the means
                counts, centres, scatter, 0.0, structure, references=means
            )
            stats = extra if stats is None else stats + extra
        if stats is None:  # nothing observed at all
            zero = np.zeros(means.shape[0])
            scatter = structure.shift_scatter(np.zeros_like(means), zero)
            stats = GaussianMixtureStats(zero, np.zeros_like(means), scatter, 0.0, structure)
        return stats
