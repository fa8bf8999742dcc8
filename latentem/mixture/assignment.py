"""Soft (EM) and hard (classification EM) assignment of samples to components."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import numpy as np

from latentem.core.data import Observations
from latentem.mixture.kernels.responsibilities import (
    hard_objective,
    hard_responsibilities,
    soft_objective,
    soft_responsibilities,
)

__all__ = [
    "ASSIGNMENTS",
    "Assignment",
    "HardAssignment",
    "SoftAssignment",
    "apply_observations",
    "assignment",
]


class Assignment(abc.ABC):
    """How responsibilities and the objective follow from joint log-densities.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import assignment
    >>> joint = np.log([[0.3, 0.1], [0.05, 0.2]])
    >>> resp, objective = assignment("hard").responsibilities(joint)
    >>> resp
    array([[1., 0.],
           [0., 1.]])
    """

    name: ClassVar[str]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return assignment, (self.name,)

    @abc.abstractmethod
    def block_responsibilities(self, joint_t: np.ndarray) -> np.ndarray:
        """Turn a component-major block of joint log-densities into responsibilities.

        Parameters
        ----------
        joint_t : ndarray of shape (n_components, n_rows)
            Overwritten with the responsibilities
            (:mod:`latentem.mixture.kernels.responsibilities`).

        Returns
        -------
        ndarray of shape (n_rows,)
            The rows' objective terms.
        """

    @abc.abstractmethod
    def block_objective(self, joint_t: np.ndarray) -> np.ndarray:
        """The rows' objective terms of a component-major block (which may be overwritten)."""

    def responsibilities(self, joint_log_prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Responsibilities (n, k) and each row's objective term (n,).

        Parameters
        ----------
        joint_log_prob : ndarray of shape (n_samples, n_components)
            ``log w_k + log p_k(x_i)``.
        """
        joint_t = np.array(np.asarray(joint_log_prob, dtype=float).T, order="C")
        terms = self.block_responsibilities(joint_t)
        return joint_t.T, terms

    def objective_terms(self, joint_log_prob: np.ndarray) -> np.ndarray:
        """Each row's objective term (n,) without forming responsibilities."""
        joint_t = np.array(np.asarray(joint_log_prob, dtype=float).T, order="C")
        return self.block_objective(joint_t)


class SoftAssignment(Assignment):
    """Posterior responsibilities; the objective is the marginal log-likelihood.

    Notes
    -----
    ``r_ik = w_k p_k(x_i) / sum_j w_j p_j(x_i)`` and the row's objective is
    ``log sum_k w_k p_k(x_i)``, computed with log-sum-exp. A responsibility
    below ``exp(log_floor)`` (about ``1e-215`` in float64) times the row's
    largest is set to 0 (:func:`~latentem.mixture.kernels.log_floor`).

    Examples
    --------
    >>> import numpy as np
    >>> resp, terms = SoftAssignment().responsibilities(np.log([[0.3, 0.1]]))
    >>> resp, terms
    (array([[0.75, 0.25]]), array([-0.91629073]))
    """

    name = "soft"

    def block_responsibilities(self, joint_t: np.ndarray) -> np.ndarray:
        return soft_responsibilities(joint_t)

    def block_objective(self, joint_t: np.ndarray) -> np.ndarray:
        return soft_objective(joint_t)


class HardAssignment(Assignment):
    """Each sample belongs wholly to its most probable component (classification EM).

    Notes
    -----
    ``z_i = argmax_k w_k p_k(x_i)`` and the objective is the classification
    log-likelihood ``sum_i max_k log(w_k p_k(x_i))``, which classification EM
    never decreases. Ties go to the lowest component index.

    Examples
    --------
    >>> import numpy as np
    >>> HardAssignment().objective_terms(np.log([[0.3, 0.1], [0.2, 0.2]]))
    array([-1.2039728 , -1.60943791])
    """

    name = "hard"

    def block_responsibilities(self, joint_t: np.ndarray) -> np.ndarray:
        return hard_responsibilities(joint_t)

    def block_objective(self, joint_t: np.ndarray) -> np.ndarray:
        return hard_objective(joint_t)


ASSIGNMENTS: dict[str, Assignment] = {
    kind.name: kind for kind in (SoftAssignment(), HardAssignment())
}


def assignment(value: str | Assignment) -> Assignment:
    """Parse an assignment name (``"soft"`` or ``"hard"``).

    Examples
    --------
    >>> assignment("soft")
    SoftAssignment()
    >>> assignment("fuzzy")
    Traceback (most recent call last):
    ...
    ValueError: assignment must be one of 'soft', 'hard'; got 'fuzzy'
    """
    if isinstance(value, Assignment):
        return value
    if isinstance(value, str) and value in ASSIGNMENTS:
        return ASSIGNMENTS[value]
    listed = ", ".join(repr(name) for name in ASSIGNMENTS)
    raise ValueError(f"assignment must be one of {listed}; got {value!r}")


def apply_observations(
    observations: Observations,
    joint: np.ndarray,
    terms: np.ndarray,
    resp: np.ndarray | None,
) -> np.ndarray:
    """Apply known labels and sample weights to responsibilities and objective terms.

    A row with label ``z >= 0`` belongs wholly to component ``z`` and
    contributes its complete-data term ``log w_z p_z(x)``; a sample weight
    multiplies the row's term and responsibilities (a weight of 2 is a
    duplicated row). ``terms`` and ``resp`` are fresh arrays of the caller and
    are modified in place.

    Parameters
    ----------
    observations : Observations
    joint : ndarray of shape (n_samples, n_components)
        ``log w_k + log p_k(x_i)``.
    terms : ndarray of shape (n_samples,)
        Each row's objective term from the assignment.
    resp : ndarray of shape (n_samples, n_components) or None

    Returns
    -------
    terms : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import Observations
    >>> joint = np.log([[0.2, 0.3], [0.1, 0.4]])
    >>> terms, resp = np.log([0.5, 0.5]), np.array([[0.4, 0.6], [0.2, 0.8]])
    >>> obs = Observations(np.zeros((2, 1)), sample_weight=[1.0, 2.0], labels=[0, -1])
    >>> np.round(apply_observations(obs, joint, terms, resp), 4), resp
    (array([-1.6094, -1.3863]), array([[1. , 0. ],
           [0.4, 1.6]]))
    """
    labels, weights = observations.labels, observations.sample_weight
    if labels is not None:
        n_components = joint.shape[1]
        if labels.size and labels.max() >= n_components:
            raise ValueError(
                f"labels must be -1 (unknown) or a component index below n_components="
                f"{n_components}; got {labels.max()}"
            )
        known = np.flatnonzero(labels >= 0)
        terms[known] = joint[known, labels[known]]
        if resp is not None:
            resp[known] = 0.0
            resp[known, labels[known]] = 1.0
    if weights is not None:
        terms *= weights
        if resp is not None:
            resp *= weights[:, None]
    return terms
