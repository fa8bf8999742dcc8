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
LAYOUTS = ("covariances_", "precisions_", "precisions_cholesky_")

pytestmark = pytest.mark.parametrize("covariance_type", list(COVARIANCE_TYPES))


def fitted(covariance_type):
    return GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)


def full_covariances(covariance_type, layout, value, n_components, n_features):
    """(k, d, d) covariances meant by ``value`` assigned to the attribute ``layout``."""
    structure = COVARIANCE_TYPES[covariance_type]
    full = structure.full_matrices(np.asarray(value, dtype=float), n_components, n_features)
    if layout == "covariances_":
        return full
    if layout == "precisions_":
        return np.linalg.inv(full)
    return np.linalg.inv(full @ np.swapaxes(full, 1, 2))  # precision = U @ U.T


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


def holds_matrices(covariance_type):
    """Whether the layout holds (d, d) matrices rather than variances."""
    return COVARIANCE_TYPES[covariance_type].parameter_shape(2, 5)[-2:] == (5, 5)


def current_full(gm, covariance_type):
    k, d = gm.means_.shape
    return full_covariances(covariance_type, "covariances_", gm.covariances_, k, d)


# ----------------------------------------------------------------------------- assignments


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


def test_edited_weights_are_used(covariance_type):
    gm = fitted(covariance_type)
    weights = np.array([0.7, 0.2, 0.1])
    gm.weights_ = weights
    assert_follows(gm, weights, gm.means_, current_full(gm, covariance_type))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_an_assigned_covariance_layout_sets_all_three(covariance_type, layout):
    gm = fitted(covariance_type)
    k, d = gm.means_.shape
    value = np.asarray(getattr(gm, layout)) * 1.5
    gm.__setattr__(layout, value)
    covariances = full_covariances(covariance_type, layout, value, k, d)
    assert_follows(gm, gm.weights_, gm.means_, covariances)
    # the three layouts agree with what was assigned
    np.testing.assert_allclose(current_full(gm, covariance_type), covariances, rtol=1e-10)
    for other in LAYOUTS:
        meant = full_covariances(covariance_type, other, getattr(gm, other), k, d)
        np.testing.assert_allclose(meant, covariances, rtol=1e-10, err_msg=other)
    # and match scikit-learn's conventions: precision = U @ U.T with U upper triangular
    assert np.array_equal(np.asarray(gm.precisions_cholesky_), gm.model_.precisions_cholesky)


def test_a_lower_cholesky_factor_is_accepted_and_stored_upper(covariance_type):
    gm = fitted(covariance_type)
    before = gm.score_samples(POINTS)
    upper = np.array(gm.precisions_cholesky_)
    if not holds_matrices(covariance_type):
        pytest.skip("this layout stores one factor per variance, not matrices")
    lower = np.linalg.cholesky(np.asarray(gm.precisions_))  # scikit-learn users' recipe
    kept = lower.copy()
    gm.precisions_cholesky_ = lower
    np.testing.assert_allclose(gm.precisions_cholesky_, upper, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gm.score_samples(POINTS), before, rtol=1e-10)
    assert np.array_equal(lower, kept)  # the caller's array is left alone


def test_the_caller_array_is_copied_not_kept(covariance_type):
    gm = fitted(covariance_type)
    means, covariances = np.array(gm.means_), np.array(gm.covariances_)
    kept = means.copy(), covariances.copy()
    gm.means_ = means
    gm.covariances_ = covariances
    assert gm.means_ is not means and gm.covariances_ is not covariances
    gm.means_[0] += 5.0  # an edit of the estimator's arrays ...
    gm.covariances_ *= 2.0
    gm.predict(POINTS)
    assert np.array_equal(means, kept[0]) and np.array_equal(covariances, kept[1])  # ... only


def test_an_array_kept_from_before_is_not_changed_by_an_edit(covariance_type):
    gm = fitted(covariance_type)
    kept = {name: getattr(gm, name) for name in LAYOUTS}
    values = {name: np.array(value) for name, value in kept.items()}
    gm.covariances_ = np.asarray(gm.covariances_) * 3.0
    for name in LAYOUTS:
        assert np.array_equal(kept[name], values[name]), name


# ----------------------------------------------------------------------------- in place


def test_edits_in_place_are_followed(covariance_type):
    gm = fitted(covariance_type)
    gm.means_[1] = [10.0, 10.0, 10.0]
    gm.weights_[:] = [0.5, 0.25, 0.25]
    gm.covariances_[...] *= 2.0
    k, d = gm.means_.shape
    covariances = full_covariances(covariance_type, "covariances_", gm.covariances_, k, d)
    assert_follows(gm, [0.5, 0.25, 0.25], gm.means_, covariances)
    # the other layouts followed the edited one
    for other in ("precisions_", "precisions_cholesky_"):
        meant = full_covariances(covariance_type, other, getattr(gm, other), k, d)
        np.testing.assert_allclose(meant, covariances, rtol=1e-10, err_msg=other)


def test_an_edit_in_place_of_the_cholesky_factor_is_followed(covariance_type):
    gm = fitted(covariance_type)
    gm.precisions_cholesky_[...] *= 0.5
    k, d = gm.means_.shape
    covariances = full_covariances(
        covariance_type, "precisions_cholesky_", gm.precisions_cholesky_, k, d
    )
    assert_follows(gm, gm.weights_, gm.means_, covariances)
    np.testing.assert_allclose(current_full(gm, covariance_type), covariances, rtol=1e-10)


def test_layouts_edited_in_place_that_disagree_are_refused(covariance_type):
    gm = fitted(covariance_type)
    covariances, precisions = gm.covariances_, gm.precisions_
    covariances *= 2.0
    precisions *= 3.0
    with pytest.raises(ValueError, match=r"precisions_ and covariances_ .*disagree"):
        gm.predict(POINTS)


def test_layouts_edited_in_place_that_agree_are_accepted(covariance_type):
    gm = fitted(covariance_type)
    covariances, precisions, factors = gm.covariances_, gm.precisions_, gm.precisions_cholesky_
    covariances *= 4.0
    precisions /= 4.0
    factors /= 2.0
    k, d = gm.means_.shape
    covariances = full_covariances(covariance_type, "covariances_", gm.covariances_, k, d)
    assert_follows(gm, gm.weights_, gm.means_, covariances)


# ----------------------------------------------------------------------------- bad edits


def _negated(name):
    return lambda gm: -np.asarray(getattr(gm, name))


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("weights_", lambda gm: np.asarray(gm.weights_) * 1.1, r"weights_ must sum to 1"),
        ("weights_", lambda gm: [[1.0]], r"weights_ must be a 1-D array"),
        ("weights_", lambda gm: [1.2, -0.1, -0.1], r"weights_ must be non-negative"),
        ("means_", lambda gm: np.asarray(gm.means_)[0], r"means_ must be a 2-D array"),
        ("means_", lambda gm: np.full_like(gm.means_, np.nan), r"means_ must be finite"),
        ("means_", lambda gm: [["a", "b", "c"]] * 3, r"means_ must be an array of real numbers"),
        ("covariances_", _negated("covariances_"), r"covariances_ is not valid"),
        ("precisions_", _negated("precisions_"), r"precisions_ is not valid"),
        (
            "precisions_cholesky_",
            _negated("precisions_cholesky_"),
            r"precisions_cholesky_ must have",
        ),
        ("covariances_", lambda gm: np.ones((1,) * 4), r"covariances_ for covariance_type="),
        ("precisions_", lambda gm: [np.inf], r"precisions_ "),
    ],
)
def test_an_invalid_assignment_names_the_attribute_and_changes_nothing(
    covariance_type, name, bad, message
):
    gm = fitted(covariance_type)
    before = {key: np.array(getattr(gm, key)) for key in ("weights_", "means_", *LAYOUTS)}
    predicted = gm.predict_proba(POINTS)
    with pytest.raises(ValueError, match=message):
        gm.__setattr__(name, bad(gm))
    for key, value in before.items():
        assert np.array_equal(getattr(gm, key), value), key
    assert np.array_equal(gm.predict_proba(POINTS), predicted)


def test_a_non_triangular_cholesky_factor_is_refused(covariance_type):
    gm = fitted(covariance_type)
    precisions = np.asarray(gm.precisions_)
    if not holds_matrices(covariance_type):
        pytest.skip("this layout stores one factor per variance, not matrices")
    with pytest.raises(
        ValueError, match=r"precisions_cholesky_ must hold triangular .*precisions_"
    ):
        gm.precisions_cholesky_ = precisions  # the precisions themselves, a common slip


def test_an_invalid_edit_in_place_is_refused_at_the_next_use(covariance_type):
    gm = fitted(covariance_type)
    gm.weights_[0] += 0.5
    with pytest.raises(ValueError, match="weights_ must sum to 1"):
        gm.predict(POINTS)
    with pytest.raises(ValueError, match="weights_ must sum to 1"):
        gm.score(POINTS)  # every time, until it is mended
    gm.weights_ /= gm.weights_.sum()
    gm.predict(POINTS)
    gm.covariances_[...] *= -1.0
    with pytest.raises(ValueError, match="covariances_ is not valid"):
        gm.sample(3)


def test_an_augmented_assignment_is_an_assignment(covariance_type):
    gm = fitted(covariance_type)
    gm.precisions_ *= 4.0  # gm.precisions_ = gm.precisions_.__imul__(4.0)
    np.testing.assert_allclose(
        current_full(gm, covariance_type) * 4.0,
        current_full(fitted(covariance_type), covariance_type),
    )
    with pytest.raises(ValueError, match="covariances_ is not valid"):
        gm.covariances_ *= -1.0  # refused at once ...
    with pytest.raises(ValueError, match="covariances_ is not valid"):
        gm.predict(POINTS)  # ... and, as the array was negated in place, until it is mended


def test_shapes_that_disagree_are_refused_at_the_next_use(covariance_type):
    gm = fitted(covariance_type)
    gm.weights_ = [0.5, 0.5]  # valid alone: the other attributes may follow
    with pytest.raises(ValueError, match=r"means_ has 3 rows but weights_ has 2"):
        gm.predict(POINTS)
    gm.means_ = np.asarray(gm.means_)[:2]
    expected = COVARIANCE_TYPES[covariance_type].parameter_shape(2, X.shape[1])
    if np.shape(gm.covariances_) != expected:  # one covariance per component: drop the third
        with pytest.raises(ValueError, match=r"covariances_ .*must have shape"):
            gm.score(POINTS)
        gm.covariances_ = np.asarray(gm.covariances_)[:2]
    covariances = current_full(gm, covariance_type)
    assert_follows(gm, [0.5, 0.5], gm.means_, covariances)
    gm.means_ = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"means_ has 2 columns but .*n_features_in_=3"):
        gm.predict(POINTS)


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
    for name in ("weights_", "means_", *LAYOUTS):
        np.testing.assert_array_equal(getattr(gm, name), getattr(other, name), err_msg=name)
    assert gm.n_features_in_ == 2
    np.testing.assert_array_equal(gm.predict(X[:, :2]), other.predict(X[:, :2]))
    with pytest.raises(TypeError, match="GaussianMixtureModel"):
        gm.model_ = "full"


def test_sample_uses_the_edited_parameters(covariance_type):
    gm = fitted(covariance_type)
    gm.weights_ = [0.0, 1.0, 0.0]
    gm.means_ = np.asarray(gm.means_) + 100.0
    draws, labels = gm.sample(50)
    assert np.all(labels == 1)
    assert np.allclose(draws.mean(axis=0), gm.means_[1], atol=1.5)


def test_parameters_set_on_an_unfitted_estimator(covariance_type):
    reference = fitted(covariance_type)
    gm = GaussianMixture(3, covariance_type=covariance_type)
    gm.weights_ = reference.weights_
    with pytest.raises(ValueError, match="has no means_"):
        gm.predict(POINTS)
    gm.means_ = reference.means_
    with pytest.raises(ValueError, match="has no covariances_"):
        gm.predict(POINTS)
    # scikit-learn users' recipe: covariances_ and a Cholesky factor of their inverse
    gm.covariances_ = reference.covariances_
    if holds_matrices(covariance_type):
        gm.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(reference.covariances_))
    else:
        gm.precisions_cholesky_ = 1.0 / np.sqrt(reference.covariances_)
    np.testing.assert_allclose(
        gm.score_samples(POINTS), reference.score_samples(POINTS), rtol=1e-10
    )
    np.testing.assert_array_equal(gm.predict(POINTS), reference.predict(POINTS))


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


def test_a_warm_start_takes_this_fits_settings_but_the_attributes_parameters(covariance_type):
    reference = fitted(covariance_type)
    gm = GaussianMixture(3, covariance_type=covariance_type, prior="default", max_iter=2)
    for name in ("weights_", "means_", "covariances_"):
        gm.__setattr__(name, getattr(reference, name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        gm.set_params(warm_start=True).fit(X)
    assert gm.model_.prior is not None  # the default prior, computed from X by this fit
    with pytest.raises(ValueError, match=r"n_components=2, but the warm start's .* n_components=3"):
        gm.set_params(n_components=2).fit(X)
    other = next(name for name in COVARIANCE_TYPES if name != covariance_type)
    with pytest.raises(ValueError, match=rf"covariance_type='{other}', but the warm start's"):
        gm.set_params(n_components=3, covariance_type=other).fit(X)
