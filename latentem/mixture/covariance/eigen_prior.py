"""mclust's conjugate prior for its constrained structures, as its EM routines apply it.

mclust 6 takes ``prior = priorControl()`` for six of its ten constrained
structures: EII, EEI, VEI, EVI, EEV and VEV (and for VII, VVI, EEE and VVV,
latentem's ``spherical``, ``diag``, ``tied`` and ``full``). Its EM routines
(``meeiip``, ``meeeip``, ``meveip``, ``meevip``, ``meeevp`` and ``mevevp`` in
mclust's ``src/mclust.f``) all start from the prior's augmented scatter

``B_k = Lambda + W_k + c_k (xbar_k - m)(xbar_k - m)^T``, ``c_k = kappa n_k / (kappa + n_k)``

and maximise the structure's likelihood form ``-sum_k [tr(B_k Sigma_k^-1) +
w_k log|Sigma_k|] / 2`` with structure-specific weights ``w_k``. What each
puts where (each structure's ``mclust_prior`` gives it as the share of
``Lambda`` and the dof of every component in the
:class:`~latentem.hmm.GaussianPrior`, which the structure's own maximiser
then divides) is, with ``n = sum_k n_k``:

- EII: ``Lambda`` left out, ``d sum_k w_k = nu + (n + K) d + 2``;
- EEI: ``Lambda`` once, ``sum_k w_k = n + nu + 2``;
- VEI: ``Lambda`` per component, ``d w_k = d n_k + nu + 3``;
- EVI: ``Lambda`` per component, ``sum_k w_k = n + nu + 2``;
- EEV: ``Lambda`` per component, ``sum_k w_k = n + nu + d + 2``;
- VEV: ``Lambda`` per component, ``w_k = n_k`` (the dof is not used).

These are not the modes of one normal-inverse-Wishart prior per component:
the shared parts take the prior's dof once, EII drops the scale and VEV the
dof. latentem follows mclust, so its fits agree with mclust's, except that
mclust's EEI routine leaves the means at the data means (which maximises no
objective) where latentem moves them to ``(n_k xbar_k + kappa m) / (n_k +
kappa)``, as mclust's other routines do. The log-density of the prior is the
kernel whose MAP update this is (``-sum_k [tr((S_k + kappa delta_k
delta_k^T) Sigma_k^-1) + v_k log|Sigma_k|] / 2`` with the per-component scale
``S_k`` and dof ``v_k``), without a normalising constant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from latentem.distributions.priors import NormalInverseWishart
    from latentem.mixture.covariance.full import ComponentMatrices

__all__ = ["ConjugateTerms", "conjugate", "is_proper", "log_pdf", "variance_scale"]


class ConjugateTerms(NamedTuple):
    """The prior as :meth:`ComponentMatrices.conjugate_log_density` reads it."""

    means_weight: np.ndarray
    scale: np.ndarray
    dof: np.ndarray


def conjugate(
    niw: NormalInverseWishart, n_components: int, share: float, dof: float, diagonal: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``share * Lambda`` for every component (k, d, d) and ``dof`` for every component (k,).

    ``diagonal``: the structure's covariances are diagonal, so only the
    diagonal of ``Lambda`` counts (a scalar, per-feature or diagonal scale).
    """
    scale = np.diag(niw.diagonal_scale()) if diagonal else niw.full_scale()
    shared = np.repeat((share * scale)[None], n_components, axis=0)
    return shared, np.full(n_components, float(dof))


def variance_scale(covariance: np.ndarray, factor: float) -> float:
    """mclust's ``defaultPrior`` scale of the diagonal structures: ``factor * tr(cov) / d``."""
    return factor * float(np.trace(covariance)) / covariance.shape[0]


def is_proper(structure: ComponentMatrices, niw: NormalInverseWishart) -> bool:
    """Whether every component's kernel has a mode without data (and the scale fits).

    That needs ``kappa > 0`` and, per component, a positive dof and a
    positive-definite scale in the conjugate form (their signs do not depend
    on the number of components, so one is asked for).
    """
    scale, dof = structure.niw_conjugate(niw, 1)
    positive = bool(np.linalg.eigvalsh(scale[0]).min() > 0)
    return bool(niw.shrinkage > 0 and dof[0] > 0 and positive)


def log_pdf(
    structure: ComponentMatrices,
    niw: NormalInverseWishart,
    means: np.ndarray,
    covariances: np.ndarray,
) -> float:
    """The kernel of the prior whose MAP update ``structure.niw_conjugate`` gives.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.distributions import NormalInverseWishart
    >>> from latentem.mixture import covariance_type
    >>> niw = NormalInverseWishart(0.5, [0.0, 0.0], 4.0, [[1.0, 0.0], [0.0, 1.0]])
    >>> covariances = np.stack([np.eye(2), 2.0 * np.eye(2)])
    >>> # VEV: no dof; tr(Lambda Sigma_k^-1) + kappa |delta|^2 / sigma_k^2 per component
    >>> log_pdf(covariance_type("VEV"), niw, np.ones((2, 2)), covariances)
    -2.25
    """
    k = means.shape[0]
    scale, dof = structure.niw_conjugate(niw, k)
    terms = ConjugateTerms(np.full(k, niw.shrinkage), scale, dof)
    factors: Any = structure.precisions_cholesky(covariances)
    return structure.conjugate_log_density(means - niw.mean, terms, factors, covariances)
