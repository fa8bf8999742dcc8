"""Independent references for the kernels: scipy's densities, per-component loops."""

import numpy as np
from scipy import stats
from scipy.special import logsumexp

from latentem.mixture import GaussianMixtureModel

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


def random_model(covariance_type, n_components=3, n_features=3, seed=0, shift=0.0, **kwargs):
    """A mixture with correlated components around ``shift``."""
    rng = np.random.default_rng(seed)
    k, d = n_components, n_features
    rotations = np.linalg.qr(rng.normal(size=(k, d, d)))[0]
    spectra = rng.uniform(0.2, 3.0, size=(k, 1, d))
    full = (rotations * spectra) @ np.swapaxes(rotations, 1, 2)
    covariances = {
        "full": full,
        "diag": np.einsum("kii->ki", full),
        "spherical": np.einsum("kii->k", full) / d,
        "tied": full[0],
    }[covariance_type]
    return GaussianMixtureModel(
        rng.dirichlet(np.full(k, 3.0)),
        shift + rng.normal(0.0, 2.0, size=(k, d)),
        covariances,
        covariance_type=covariance_type,
        **kwargs,
    )


def sample(model, n_samples, seed=1):
    return model.sample(n_samples, random_state=seed)[0]


def joint_log_prob(model, X):
    """``log w_k + log N(x | mu_k, Sigma_k)`` with scipy.stats.multivariate_normal."""
    full = model.covariance_type.full_matrices(
        model.covariances, model.n_components, model.n_features
    )
    with np.errstate(divide="ignore"):
        log_weights = np.log(model.weights)
    return np.column_stack(
        [
            log_w + stats.multivariate_normal(mean, cov).logpdf(X).reshape(-1)
            for log_w, mean, cov in zip(log_weights, model.means, full, strict=True)
        ]
    )


def responsibilities(joint, assignment, labels=None, weights=None):
    """Responsibilities and objective terms of every row, written directly."""
    if assignment == "soft":
        terms = logsumexp(joint, axis=1)
        resp = np.exp(joint - terms[:, None])
    else:
        best = joint.argmax(axis=1)
        terms = joint[np.arange(len(joint)), best]
        resp = np.eye(joint.shape[1])[best]
    if labels is not None:
        known = labels >= 0
        terms = np.where(known, joint[np.arange(len(joint)), np.maximum(labels, 0)], terms)
        resp[known] = np.eye(joint.shape[1])[labels[known]]
    if weights is not None:
        terms = terms * weights
        resp = resp * weights[:, None]
    return resp, terms


def statistics(X, resp, covariance_type):
    """Counts, weighted means and scatter about them, one component at a time."""
    counts = resp.sum(axis=0)
    means = np.array([resp[:, k] @ X / counts[k] for k in range(resp.shape[1])])
    scatter = np.array(
        [(resp[:, k, None] * (X - means[k])).T @ (X - means[k]) for k in range(resp.shape[1])]
    )
    layout = {
        "full": scatter,
        "diag": np.einsum("kii->ki", scatter),
        "spherical": np.einsum("kii->ki", scatter),
        "tied": scatter.sum(axis=0),
    }[covariance_type]
    return counts, means, layout


def relative_error(actual, expected):
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    scale = np.max(np.abs(expected))
    return float(np.max(np.abs(actual - expected)) / scale) if scale > 0 else 0.0
