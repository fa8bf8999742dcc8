"""Imputation from a Gaussian mixture: conditional expectations and draws.

The maths of the observed-data density and of the conditional moments lives in
:mod:`latentem.mixture.missing`; here it is turned into filled-in data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from latentem.core.validation import as_generator, check_int
from latentem.mixture.assignment import SoftAssignment
from latentem.mixture.gaussian import GaussianMixtureModel
from latentem.mixture.missing import Conditionals

__all__ = ["conditional_expectation", "draw_imputations", "mixture_moments"]


def _incomplete_part(
    model: GaussianMixtureModel, X: np.ndarray
) -> tuple[np.ndarray, Conditionals, np.ndarray]:
    """Rows with NaN, their conditionals and their posterior over components given x_o."""
    rows = np.flatnonzero(np.isnan(X).any(axis=1))
    part = model.covariance_type.conditionals(
        X[rows], model.means, model.precisions_cholesky, residuals=True
    )
    with np.errstate(divide="ignore"):
        joint = np.log(model.weights) + part.log_prob
    posterior, _ = SoftAssignment().responsibilities(joint)
    return rows, part, posterior


def conditional_expectation(model: GaussianMixtureModel, X: Any) -> np.ndarray:
    """``X`` with every NaN replaced by its expectation given the row's observed entries.

    Parameters
    ----------
    model : GaussianMixtureModel
    X : array-like of shape (n_samples, n_features)
        NaN marks a missing entry. Not modified.

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        A new array without NaN; observed entries are copied unchanged.

    Notes
    -----
    ``E[x_m | x_o] = sum_k p(k | x_o) (mu_km + Sigma_k,mo Sigma_k,oo^-1
    (x_o - mu_ko))`` with ``p(k | x_o)`` proportional to ``w_k N(x_o | mu_ko,
    Sigma_k,oo)``. It minimises the expected squared error of the filled-in
    values under the model. A row with nothing observed gets the mixture
    mean ``sum_k w_k mu_k``.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import GaussianMixtureModel
    >>> model = GaussianMixtureModel([1.0], [[0.0, 10.0]], [[[1.0, 0.5], [0.5, 1.0]]])
    >>> conditional_expectation(model, [[2.0, np.nan], [np.nan, np.nan]])
    array([[ 2., 11.],
           [ 0., 10.]])
    """
    X = model._check_X(X)
    filled = np.array(X, copy=True)
    rows, part, posterior = _incomplete_part(model, X)
    if rows.size:
        residuals = part.require_residuals()
        expected = posterior @ model.means + np.einsum("ik,kij->ij", posterior, residuals)
        filled[rows] = np.where(np.isnan(X[rows]), expected, X[rows])
    return filled


def draw_imputations(
    model: GaussianMixtureModel, X: Any, n_imputations: int = 5, random_state: Any = None
) -> np.ndarray:
    """Independent draws of the missing entries from their conditional distribution.

    Parameters
    ----------
    model : GaussianMixtureModel
    X : array-like of shape (n_samples, n_features)
        NaN marks a missing entry. Not modified.
    n_imputations : int, default=5
    random_state : None, int, RandomState or Generator

    Returns
    -------
    ndarray of shape (n_imputations, n_samples, n_features)
        Observed entries copied unchanged in every imputation.

    Notes
    -----
    Each imputation draws, for every row independently, a component ``k``
    from ``p(k | x_o)`` and then ``x_m ~ N(E_k[x_m | x_o], Cov_k[x_m |
    x_o])``: a draw from the model's predictive distribution of the missing
    entries, including the uncertainty of the component and the conditional
    covariance. The parameters are held at ``model``'s values.

    Examples
    --------
    >>> import numpy as np
    >>> from latentem.mixture import GaussianMixtureModel
    >>> model = GaussianMixtureModel([1.0], [[0.0, 0.0]], [[[1.0, 0.9], [0.9, 1.0]]])
    >>> draws = draw_imputations(model, [[1.0, np.nan]], n_imputations=4000, random_state=0)
    >>> draws.shape
    (4000, 1, 2)
    >>> bool(abs(draws[:, 0, 1].mean() - 0.9) < 0.02 and abs(draws[:, 0, 1].var() - 0.19) < 0.02)
    True
    """
    X = model._check_X(X)
    n_imputations = check_int(n_imputations, "n_imputations", minimum=1)
    rng = as_generator(random_state)
    draws = np.repeat(X[None], n_imputations, axis=0)
    rows, part, posterior = _incomplete_part(model, X)
    if not rows.size:
        return draws
    residuals = part.require_residuals()
    holes = np.isnan(X[rows])
    cumulative = np.cumsum(posterior, axis=1)
    index = np.arange(rows.size)
    for t in range(n_imputations):
        uniform = rng.random(rows.size) * cumulative[:, -1]
        components = np.minimum((cumulative < uniform[:, None]).sum(axis=1), model.n_components - 1)
        values = (
            model.means[components] + residuals[components, index] + part.noise(components, rng)
        )
        draws[t, rows] = np.where(holes, values, X[rows])
    return draws


def mixture_moments(model: GaussianMixtureModel) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and covariance (d, d) of the whole mixture.

    Notes
    -----
    ``mean = sum_k w_k mu_k`` and ``cov = sum_k w_k (Sigma_k + (mu_k - mean)
    (mu_k - mean)^T)`` (the law of total covariance); for one component, the
    component's own mean and covariance.

    Examples
    --------
    >>> from latentem.mixture import GaussianMixtureModel
    >>> model = GaussianMixtureModel([0.5, 0.5], [[-1.0], [1.0]], [[[1.0]], [[1.0]]])
    >>> mixture_moments(model)
    (array([0.]), array([[2.]]))
    """
    full = model.covariance_type.full_matrices(
        model.covariances, model.n_components, model.n_features
    )
    mean = model.weights @ model.means
    offsets = model.means - mean
    within = np.einsum("k,kij->ij", model.weights, full)
    between = (model.weights[:, None] * offsets).T @ offsets
    return mean, within + between
