"""Each component's statistics are exact relative to its own spread, wherever it lies.

Issue 16, item 2: moments summed about one centre for all components lost
``eps (distance / sigma)^2`` of a far component's variance (two unit clusters
1e6 apart: covariances 5.8e-5 wrong; at 1e8 the fit refused, calling a
component of variance 0.7 collapsed). Two clusters ``10^k`` apart and one far
outlier row, for every registered covariance type, soft and hard: one M-step
of the library (in memory and chunked) against the maximum-likelihood update
of the same responsibilities computed with explicit differences about each
component's mean. The outlier row has weight 0: it moves the data's centre
and spread (where the moments used to be summed) a hundred times farther than
the clusters, while a component holding it would be singular to rounding.
"""

import warnings

import numpy as np
import pytest

import latentem
from latentem.mixture import COVARIANCE_TYPES, GaussianMixtureModel

EXPONENTS = range(3, 13)
N_PER_CLUSTER = 60
RNG = np.random.default_rng(7)
SHAPE = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [-0.3, 0.2, 0.5]])
CLUSTERS = [RNG.normal(size=(N_PER_CLUSTER, 3)) @ SHAPE.T for _ in range(2)]
DIRECTION = np.array([1.0, -0.5, 0.25])


WEIGHTS = np.append(np.ones(2 * N_PER_CLUSTER), 0.0)


def _data(exponent):
    far = 10.0**exponent * DIRECTION
    outlier = 10.0 ** (exponent + 2) * np.array([0.3, 1.0, -0.7])
    return np.vstack([CLUSTERS[0], CLUSTERS[1] + far, outlier]), far


def _model(name, assignment, far):
    structure = COVARIANCE_TYPES[name]
    full = np.array([SHAPE @ SHAPE.T, 2.0 * np.eye(3)])
    return GaussianMixtureModel(
        [0.5, 0.5],
        np.array([np.zeros(3), far]),
        structure.from_full_matrices(full),
        covariance_type=name,
        assignment=assignment,
        reg_covar=0.0,
    )


def _responsibilities(model, X):
    if model.assignment.name == "soft":
        resp = model.predict_proba(X)
    else:
        resp = np.eye(model.n_components)[model.predict(X)]
    return resp * WEIGHTS[:, None]


def _exact_update(model, X, resp, previous):
    """The M-step of ``resp``, its scatter summed about each component's own mean."""
    structure = model.covariance_type
    kernel = structure.kernel(model.n_features, model.n_components)
    counts = resp.sum(axis=0)
    scatter = []
    for k in range(model.n_components):
        # differences from one of the component's rows are exact; centre them there
        differences = X - X[np.argmax(resp[:, k])]
        differences -= resp[:, k] @ differences / counts[k]
        scatter.append((resp[:, k, None] * differences).T @ differences)
    scatter = np.array(scatter)
    if kernel.diagonal_scatter:
        scatter = np.einsum("kii->ki", scatter)
    if kernel.shared_scatter:
        scatter = scatter.sum(axis=0)
    # the previous covariances start the iterative M-steps of some mclust structures
    return structure.covariances_from_scatter(scatter, counts, 0.0, previous)


def _relative_error(model, covariances, expected):
    structure, k, d = model.covariance_type, model.n_components, model.n_features
    ours = structure.full_matrices(covariances, k, d)
    exact = structure.full_matrices(expected, k, d)
    scale = np.sqrt(np.einsum("kii->ki", exact))
    return float(np.max(np.abs(ours - exact) / (scale[:, :, None] * scale[:, None, :])))


def _one_step(model, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        return latentem.EM(max_iter=1).fit(model, data).model


@pytest.mark.parametrize("assignment", ["soft", "hard"])
@pytest.mark.parametrize("name", list(COVARIANCE_TYPES))
def test_far_clusters_get_their_exact_covariances(name, assignment):
    for exponent in EXPONENTS:
        X, far = _data(exponent)
        model = _model(name, assignment, far)
        resp = _responsibilities(model, X)
        expected = _exact_update(model, X, resp, model.covariances)
        data = latentem.Observations(X, sample_weight=WEIGHTS)
        chunks = [data[:37], data[37:90], data[90:]]
        updates = {
            "in memory": _one_step(model, data),
            "Chunks": _one_step(model, latentem.Chunks(chunks)),
            "ArrayChunks": _one_step(model, latentem.ArrayChunks(data, chunk_size=50)),
            "e_step sum": model.m_step(
                model.e_step(chunks[0]) + model.e_step(chunks[1]) + model.e_step(chunks[2])
            ),
            "from_responsibilities": GaussianMixtureModel.from_responsibilities(
                X, resp, covariance_type=name, reg_covar=0.0
            ),
        }
        # from_responsibilities starts the iterative M-steps from nothing
        start = np.zeros_like(model.covariances)
        for how, update in updates.items():
            exact = (
                _exact_update(model, X, resp, start) if how == "from_responsibilities" else expected
            )
            error = _relative_error(model, update.covariances, exact)
            assert error < 1e-9, f"10^{exponent} apart, {how}: {error:.2e}"


def test_a_far_component_is_not_called_collapsed():
    # the case: at 1e8 the fit refused, with a component of variance 0.7
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + 1e8])
    gm = latentem.GaussianMixture(2, means_init=[[0.0, 0.0], [1e8, 1e8]], reg_covar=0.0).fit(X)
    variances = np.sort(np.einsum("kii->ki", gm.covariances_)[:, 0])
    assert np.all(variances > 0.5) and np.all(variances < 2.0)
    # a component on one point is still a collapse
    one_point = np.vstack([X, [[1e12, 1e12]]])
    with pytest.raises(ValueError, match="collapsed onto a point"):
        latentem.GaussianMixture(
            3, means_init=[[0, 0], [1e8, 1e8], [1e12, 1e12]], reg_covar=0.0
        ).fit(one_point)
