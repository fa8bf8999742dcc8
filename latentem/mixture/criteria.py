"""Information criteria of a fitted mixture from its joint log-densities."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

__all__ = ["icl_from_joint"]


def icl_from_joint(joint_log_prob: np.ndarray, n_parameters: int) -> float:
    """mclust's integrated completed likelihood (lower is better).

    Parameters
    ----------
    joint_log_prob : ndarray of shape (n_samples, n_components)
        ``log w_k + log p_k(x_i)``.
    n_parameters : int
        Number of free parameters of the mixture.

    Returns
    -------
    float
        ``BIC + 2 sum_i -log t_{i, z_i}``, with ``t_ik`` the posterior
        probability of component ``k`` for row ``i`` and ``z_i`` its most
        probable component.

    Notes
    -----
    mclust's ``icl`` adds the entropy of the MAP classification to BIC;
    Biernacki, Celeux & Govaert (2000) use the full entropy
    ``-sum_k t_ik log t_ik``. Either term is 0 when every row clearly
    belongs to one component and grows with the overlap of the components,
    so ICL prefers fewer, well separated clusters.

    Examples
    --------
    >>> import numpy as np
    >>> joint = np.log([[0.5, 0.5], [1.0, 1e-300]])  # an undecided row and a certain one
    >>> icl_from_joint(joint, n_parameters=0)  # -2 log L = 0, entropy of the first row log 2
    1.3862943611198906
    >>> icl_from_joint(np.array([[-np.inf, -np.inf]]), n_parameters=0)
    inf
    """
    log_norm = logsumexp(joint_log_prob, axis=1)
    top = joint_log_prob.max(axis=1)
    # a row whose density underflows everywhere adds -inf to log L (ICL is inf) and no
    # entropy (not NaN)
    with np.errstate(invalid="ignore"):
        entropy = float(np.sum(np.where(top > -np.inf, log_norm - top, 0.0)))
    bic = -2.0 * float(log_norm.sum()) + n_parameters * math.log(joint_log_prob.shape[0])
    return bic + 2.0 * entropy
