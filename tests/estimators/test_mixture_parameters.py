"""GaussianMixture's fitted arrays are its parameters: every method follows an edit of them."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import latentem
from latentem import GaussianMixture, GaussianMixtureModel
from latentem.mixture.covariance import COVARIANCE_TYPES

RNG = np.random.default_rng(14)
CENTRES = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 5.0, -2.0]])
X = np.concatenate([RNG.normal(centre, 0.8, (70, 3)) for centre in CENTRES])
POINTS = RNG.normal(1.5, 3.0, (25, 3))  # off the clusters, where posteriors are not 0 or 1
PARAMETERS = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")
LAYOUTS = PARAMETERS[2:]

pytestmark = pytest.mark.parametrize("covariance_type", list(COVARIANCE_TYPES))


def fitted(covariance_type):
    return GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)


def full_covariances(covariance_type, layout, value, n_components=3, n_features=3):
    """(k, d, d) covariances meant by ``value`` of the attribute ``layout``."""
    structure = COVARIANCE_TYPES[covariance_type]
    full = structure.full_matrices(np.asarray(value, dtype=float), n_components, n_features)
    if layout == "covariances_":
        return full
    if layout == "precisions_":
        return np.linalg.inv(full)
    return np.linalg.inv(full @ np.swapaxes(full, 1, 2))  # precision = U @ U.T


def current_full(gm, covariance_type):
    k, d = np.shape(gm.means_)
    return full_covariances(covariance_type, "covariances_", gm.covariances_, k, d)


def reference_joint(weights, means, covariances, X):
    """log w_k + log N(x | mu_k, Sigma_k), shape (n, k), from scipy."""
    return np.column_stack(
        [
            np.log(weight) + multivariate_normal(mean, covariance).logpdf(X)
            for weight, mean, covariance in zip(weights, means, covariances, strict=True)
        ]
    )


def assert_follows(gm, weights, means, covariances):
    """Every method of ``gm`` uses exactly these (k, d, d) parameters."""
    joint = reference_joint(weights, means, covariances, POINTS)
    log_density = logsumexp(joint, axis=1)
    np.testing.assert_allclose(gm.score_samples(POINTS), log_density, rtol=1e-9)
    assert gm.score(POINTS) == pytest.approx(log_density.mean(), rel=1e-9)
    posterior = np.exp(joint - log_density[:, None])
    np.testing.assert_allclose(gm.predict_proba(POINTS), posterior, rtol=1e-7, atol=1e-12)
    np.testing.assert_array_equal(gm.predict(POINTS), joint.argmax(axis=1))
    n_parameters = gm.model_.n_parameters
    bic = -2 * log_density.sum() + n_parameters * np.log(len(POINTS))
    assert gm.bic(POINTS) == pytest.approx(bic, rel=1e-9)
    assert gm.aic(POINTS) == pytest.approx(-2 * log_density.sum() + 2 * n_parameters, rel=1e-9)
    entropy = -np.log(posterior[np.arange(len(POINTS)), joint.argmax(axis=1)]).sum()
    assert gm.icl(POINTS) == pytest.approx(bic + 2 * entropy, rel=1e-9)


def assert_layouts_agree(gm, covariance_type, covariances):
    """The three covariance layouts all mean these (k, d, d) covariances."""
    k, d = np.shape(gm.means_)
    for layout in LAYOUTS:
        meant = full_covariances(covariance_type, layout, getattr(gm, layout), k, d)
        np.testing.assert_allclose(meant, covariances, rtol=1e-10, err_msg=layout)


# ----------------------------------------------------------------------------- edits followed


def test_moving_a_mean_onto_a_point_moves_its_label_and_score(covariance_type):
    gm = fitted(covariance_type)
    covariances = current_full(gm, covariance_type)
    point = np.array([[30.0, -20.0, 10.0]])  # far from every fitted component
    before = gm.predict(point)[0]
    moved = (before + 1) % 3
    means = np.array(gm.means_)
    means[moved] = point[0]
    gm.means_ = means
    assert gm.predict(point)[0] == moved
    assert_follows(gm, gm.weights_, means, covariances)
    # on the point itself, the moved component's density is log w - log sqrt(det(2 pi Sigma))
    expected = logsumexp(reference_joint(gm.weights_, means, covariances, point), axis=1)
    assert gm.score_samples(point)[0] == pytest.approx(expected[0], rel=1e-12)


@pytest.mark.parametrize("in_place", [False, True])
def test_edited_weights_means_and_covariances_are_used(covariance_type, in_place):
    gm = fitted(covariance_type)
    weights, means = np.array([0.5, 0.25, 0.25]), gm.means_.copy()
    means[1] += 9.0
    covariances = current_full(gm, covariance_type) * 2.0
    if in_place:
        gm.weights_[:] = weights
        gm.means_[1] += 9.0
        gm.covariances_ *= 2.0  # an augmented assignment edits in place
    else:
        gm.weights_, gm.means_ = weights, means
        gm.covariances_ = np.asarray(gm.covariances_) * 2.0
    assert_follows(gm, weights, means, covariances)
    assert_layouts_agree(gm, covariance_type, covariances)


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_changed_covariance_layout_rewrites_the_other_two(covariance_type, layout, in_place):
    gm = fitted(covariance_type)
    value = np.asarray(getattr(gm, layout)) * 1.5
    kept = value.copy()
    if in_place:
        getattr(gm, layout)[...] *= 1.5
    else:
        setattr(gm, layout, value)
    covariances = full_covariances(covariance_type, layout, value)
    assert_follows(gm, gm.weights_, gm.means_, covariances)
    assert_layouts_agree(gm, covariance_type, covariances)
    # as in scikit-learn: precision = U @ U.T with U upper triangular
    assert np.array_equal(gm.precisions_cholesky_, gm.model_.precisions_cholesky)
    assert np.array_equal(value, kept)  # the caller's array is left alone


def test_arrays_kept_from_before_are_not_rewritten(covariance_type):
    gm = fitted(covariance_type)
    kept = {name: getattr(gm, name) for name in LAYOUTS}
    values = {name: np.array(value) for name, value in kept.items()}
    gm.covariances_ = np.asarray(gm.covariances_) * 3.0
    gm.predict(POINTS)
    for name in LAYOUTS:  # rewritten as new arrays
        assert np.array_equal(kept[name], values[name]) and getattr(gm, name) is not kept[name]
    np.testing.assert_allclose(gm.covariances_, values["covariances_"] * 3.0, rtol=1e-12)


def test_sample_uses_the_edited_parameters(covariance_type):
    gm = fitted(covariance_type)
    gm.weights_ = [0.0, 1.0, 0.0]
    gm.means_ = np.asarray(gm.means_) + 100.0
    draws, labels = gm.sample(50)
    assert np.all(labels == 1)
    assert np.allclose(draws.mean(axis=0), gm.means_[1], atol=1.5)


# ----------------------------------------------------------------------------- bad edits


def _negated_in_place(value):
    return np.negative(value, out=value)  # assigning it back is then a no-op


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("weights_", lambda value: value * 1.1, r"must sum to 1"),
        ("weights_", lambda value: [[1.0]], r"1-D array"),
        ("weights_", lambda value: [1.2, -0.1, -0.1], r"non-negative"),
        ("weights_", lambda value: [0.5, 0.5], r"means must have shape"),
        ("means_", lambda value: value[0], r"means must have shape"),
        ("means_", lambda value: np.full((3, 3), np.nan), r"finite"),
        ("means_", lambda value: [["a", "b", "c"]] * 3, r"could not convert"),
        ("covariances_", _negated_in_place, r"positive"),
        ("precisions_", _negated_in_place, r"positive"),
        ("precisions_cholesky_", lambda value: 0 * value, r"positive"),
        ("covariances_", lambda value: np.ones((1,) * 4), r"shape"),
        ("precisions_", lambda value: [np.inf], r"infinite"),
        ("precisions_cholesky_", lambda value: "full", r"convert"),
    ],
)
def test_an_invalid_edit_names_the_attribute_at_every_use_until_mended(
    covariance_type, name, bad, message
):
    gm = fitted(covariance_type)
    before = {key: np.array(getattr(gm, key)) for key in PARAMETERS}
    predicted = gm.predict_proba(POINTS)
    setattr(gm, name, bad(getattr(gm, name)))
    pattern = rf"the changed {name} do not make a valid model: .*{message}.* or refit"
    for use in (lambda: gm.predict(POINTS), lambda: gm.score(POINTS), gm.sample, lambda: gm.model_):
        with pytest.raises(ValueError, match=pattern):
            use()
    for key in PARAMETERS:  # nothing else was rewritten
        assert key == name or np.array_equal(getattr(gm, key), before[key]), key
    setattr(gm, name, before[name])  # mended
    assert np.array_equal(gm.predict_proba(POINTS), predicted)


@pytest.mark.parametrize("agree", [False, True])
def test_changed_layouts_must_agree(covariance_type, agree):
    gm = fitted(covariance_type)
    gm.covariances_ *= 4.0
    gm.precisions_ /= 4.0 if agree else 3.0
    if not agree:
        with pytest.raises(ValueError, match=r"covariances_ and precisions_ disagree.*only one"):
            gm.predict(POINTS)
        del gm.precisions_  # as the message suggests: covariances_ leads
    covariances = current_full(gm, covariance_type)
    assert_follows(gm, gm.weights_, gm.means_, covariances)
    assert_layouts_agree(gm, covariance_type, covariances)


def test_a_factor_other_than_the_fitted_one_is_refused(covariance_type):
    gm = fitted(covariance_type)
    wanted = gm.predict_proba(POINTS)
    # -U gives the same precision U U^T but the log-determinant of U's sign: refused, as is
    # a precision matrix assigned as its own factor (indistinguishable for a diagonal layout)
    gm.precisions_cholesky_ = -np.asarray(gm.precisions_cholesky_)
    with pytest.raises(ValueError, match=r"precisions_cholesky_ must hold the Cholesky factors"):
        gm.predict(POINTS)
    del gm.precisions_cholesky_
    np.testing.assert_allclose(gm.predict_proba(POINTS), wanted, rtol=1e-12)


def test_a_change_of_shape_is_followed_once_the_shapes_agree(covariance_type):
    gm = fitted(covariance_type)
    gm.weights_ = [0.5, 0.5]
    gm.means_ = np.asarray(gm.means_)[:2]
    expected = COVARIANCE_TYPES[covariance_type].parameter_shape(2, X.shape[1])
    if np.shape(gm.covariances_) != expected:  # one covariance per component: drop the third
        with pytest.raises(ValueError, match=r"changed weights_, means_ .*must have shape"):
            gm.score(POINTS)
        gm.covariances_ = np.asarray(gm.covariances_)[:2]
    assert_follows(gm, [0.5, 0.5], gm.means_, current_full(gm, covariance_type))


# ----------------------------------------------------------------------------- the model


def test_the_model_is_rebuilt_only_after_an_edit(covariance_type):
    gm = fitted(covariance_type)
    model = gm.model_
    attributes = dict(vars(gm))
    gm.predict(POINTS)
    gm.score(POINTS)
    assert gm.model_ is model
    assert all(vars(gm)[key] is value for key, value in attributes.items())  # nothing rewritten
    gm.means_ = np.asarray(gm.means_) + 1.0
    edited = gm.model_
    assert edited is not model and np.array_equal(edited.means, gm.means_)
    assert gm.model_ is edited
    # a rebuilt model keeps the fit's settings
    assert (edited.covariance_type, edited.assignment) == (model.covariance_type, model.assignment)
    assert edited.reg_covar == model.reg_covar


def test_assigning_a_model_sets_every_attribute(covariance_type):
    gm = fitted(covariance_type)
    other = GaussianMixture(2, covariance_type=covariance_type, random_state=1).fit(X[:, :2])
    gm.model_ = other.model_
    for name in PARAMETERS:
        np.testing.assert_array_equal(getattr(gm, name), getattr(other, name), err_msg=name)
    assert gm.n_features_in_ == 2 and gm.model_ is other.model_
    np.testing.assert_array_equal(gm.predict(X[:, :2]), other.predict(X[:, :2]))
    with pytest.raises(TypeError, match="GaussianMixtureModel"):
        gm.model_ = "full"


def test_parameters_set_on_an_unfitted_estimator(covariance_type):
    reference = fitted(covariance_type)
    gm = GaussianMixture(3, covariance_type=covariance_type, assignment="hard", reg_covar=0.0)
    gm.weights_ = reference.weights_
    with pytest.raises(ValueError, match="has no means_"):
        gm.predict(POINTS)
    gm.means_ = reference.means_
    with pytest.raises(ValueError, match="has no covariances_"):
        gm.predict(POINTS)
    gm.covariances_ = reference.covariances_
    gm.precisions_cholesky_ = reference.precisions_cholesky_  # a second layout that agrees
    np.testing.assert_allclose(
        gm.score_samples(POINTS), reference.score_samples(POINTS), rtol=1e-10
    )
    assert gm.model_.assignment.name == "hard" and gm.model_.reg_covar == 0.0  # the constructor's
    np.testing.assert_allclose(gm.precisions_cholesky_, reference.precisions_cholesky_)


def test_a_deleted_attribute_is_missed(covariance_type):
    gm = fitted(covariance_type)
    del gm.means_
    with pytest.raises(ValueError, match="has no means_"):
        gm.predict(POINTS)
    gm.means_ = CENTRES
    np.testing.assert_array_equal(gm.predict(CENTRES), gm.predict(CENTRES + 0.01))


# ----------------------------------------------------------------------------- what carries edits


def test_copies_pickles_and_files_keep_the_edit(covariance_type, tmp_path):
    gm = fitted(covariance_type)
    gm.means_[0] = [8.0, 8.0, 8.0]  # in place, not yet used
    expected = GaussianMixture(3, covariance_type=covariance_type)
    expected.model_ = GaussianMixtureModel(
        gm.weights_, gm.means_, gm.covariances_, covariance_type=covariance_type
    )
    want = expected.score_samples(POINTS)
    path = tmp_path / "gm.json"
    latentem.save(gm, path)
    for copied in (copy.deepcopy(gm), pickle.loads(pickle.dumps(gm)), latentem.load(path), gm):
        np.testing.assert_allclose(copied.score_samples(POINTS), want, rtol=1e-12)


def test_a_warm_start_starts_from_the_edited_parameters(covariance_type):
    gm = fitted(covariance_type)
    gm.means_ = np.asarray(gm.means_)[::-1]
    gm.weights_ = np.asarray(gm.weights_)[::-1]
    start = {
        "weights_init": np.array(gm.weights_),
        "means_init": np.array(gm.means_),
        "precisions_init": np.array(gm.precisions_),
    }
    settings = {"covariance_type": covariance_type, "max_iter": 2, "tol": 0.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        gm.set_params(warm_start=True, **settings).fit(X)
        cold = GaussianMixture(3, **start, **settings).fit(X)
    np.testing.assert_allclose(gm.means_, cold.means_, rtol=1e-10)
    np.testing.assert_allclose(gm.lower_bounds_, cold.lower_bounds_, rtol=1e-12)


def test_lower_bound_seeds_a_warm_start_only_while_the_parameters_are_the_fits(covariance_type):
    gm = fitted(covariance_type).set_params(warm_start=True, tol=1e9)
    assert gm.fit(X).n_iter_ == 1  # converged against the last fit's objective
    gm.means_ = gm.means_ + 0.1
    assert gm.fit(X).n_iter_ == 2  # lower_bound_ is no objective of the edited parameters


def test_a_warm_start_takes_this_fits_settings_but_the_attributes_parameters(covariance_type):
    reference = fitted(covariance_type)
    has_prior = COVARIANCE_TYPES[covariance_type].supports_niw_prior
    prior = "default" if has_prior else None
    gm = GaussianMixture(3, covariance_type=covariance_type, prior=prior, max_iter=2)
    for name in ("weights_", "means_", "covariances_"):
        setattr(gm, name, getattr(reference, name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        gm.set_params(warm_start=True).fit(X)
    assert (gm.model_.prior is not None) == has_prior  # the default prior, from X by this fit
    with pytest.raises(ValueError, match=r"n_components=2, but the warm start's .* n_components=3"):
        gm.set_params(n_components=2).fit(X)
    other = next(name for name in COVARIANCE_TYPES if name != covariance_type)
    with pytest.raises(ValueError, match=rf"covariance_type='{other}', but the warm start's"):
        gm.set_params(n_components=3, covariance_type=other).fit(X)
    with pytest.raises(ValueError, match=r"n_features=2, but the warm start's .* n_features=3"):
        gm.set_params(covariance_type=covariance_type).fit(X[:, :2])


def test_partial_fit_takes_its_next_step_from_the_edited_parameters(covariance_type):
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0)
    for batch in np.array_split(RNG.permutation(X), 3):
        gm.partial_fit(batch)
    gm.means_ = np.asarray(gm.means_) + 0.5
    batch = X[::5]
    expected = gm.score(batch)  # the objective of a batch is taken before its update
    gm.partial_fit(batch)
    assert gm.lower_bounds_[-1] == pytest.approx(expected, rel=1e-10)
    assert gm.n_iter_ == 4
