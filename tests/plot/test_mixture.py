"""plot_mixture draws what the model says: ellipses at the means, densities that are the model's."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from latentem import GaussianMixture, GaussianMixtureModel
from latentem.plot import gaussian_components, plot_mixture, responsibility_colours
from tests.plot.conftest import assert_picture

RNG = np.random.default_rng(0)
X2 = np.concatenate([RNG.normal((0, 0), 1, (100, 2)), RNG.normal((6, 3), 0.7, (80, 2))])


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_one_ellipse_per_component_and_sigma_centred_on_the_means(covariance_type):
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X2)
    ax = plot_mixture(gm, X2, n_std=(1.0, 2.0))
    ellipses = [patch for patch in ax.patches if (patch.get_gid() or "").startswith("component-")]
    assert len(ellipses) == 2 * gm.n_components
    for k in range(gm.n_components):
        mine = [e for e in ellipses if e.get_gid() == f"component-{k}"]
        assert len(mine) == 2
        for ellipse in mine:
            assert np.allclose(ellipse.center, gm.means_[k], rtol=0, atol=1e-12)


def test_ellipse_axes_are_the_standard_deviations_of_a_diagonal_gaussian():
    model = GaussianMixtureModel([1.0], [[1.0, -2.0]], [[4.0, 0.25]], covariance_type="diag")
    ax = plot_mixture(model, X2, n_std=(1.0, 3.0))
    one, three = ax.patches
    # closed form: axis-aligned, half-axes sqrt(4) = 2 along x and sqrt(0.25) = 0.5 along y
    assert (one.width, one.height) == pytest.approx((4.0, 1.0))
    assert (three.width, three.height) == pytest.approx((12.0, 3.0))
    assert one.angle % 180 == pytest.approx(0.0, abs=1e-9)


def test_rotated_ellipse_follows_the_principal_axis():
    covariance = np.array(
        [[2.0, 1.9], [1.9, 2.0]]
    )  # eigenvalues 3.9 along (1, 1), 0.1 along (1, -1)
    model = GaussianMixtureModel([1.0], [[0.0, 0.0]], [covariance])
    (ellipse, _) = plot_mixture(model, X2).patches
    assert ellipse.width == pytest.approx(2 * np.sqrt(3.9))
    assert ellipse.height == pytest.approx(2 * np.sqrt(0.1))
    assert ellipse.angle % 180 == pytest.approx(45.0)


def test_points_are_coloured_by_responsibility():
    model = GaussianMixtureModel([0.5, 0.5], [[0.0, 0.0], [6.0, 3.0]], [np.eye(2), np.eye(2)])
    ax = plot_mixture(model, X2)
    (points,) = ax.collections
    colours = points.get_facecolors()[:, :3]
    resp = model.predict_proba(X2)
    palette = np.array([plt.get_cmap("tab10")(k)[:3] for k in range(2)])
    assert np.allclose(colours, resp @ palette, atol=1e-6)
    assert np.allclose(responsibility_colours(model, X2), resp @ palette)
    labelled = plot_mixture(model, X2, ax=plt.figure().gca(), colour_by="label").collections[0]
    assert np.allclose(labelled.get_facecolors()[:, :3], palette[model.predict(X2)], atol=1e-6)


def test_one_dimensional_plot_draws_the_model_densities():
    X1 = np.concatenate([RNG.normal(-2, 0.5, (150, 1)), RNG.normal(3, 1.5, (100, 1))])
    gm = GaussianMixture(2, random_state=0).fit(X1)
    ax = plot_mixture(gm, X1)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"component 0", "component 1", "mixture"}
    grid = lines["mixture"].get_xdata()
    expected = [
        gm.weights_[k] * stats.norm.pdf(grid, gm.means_[k, 0], np.sqrt(gm.covariances_[k, 0, 0]))
        for k in range(2)
    ]
    for k in range(2):
        assert np.allclose(lines[f"component {k}"].get_ydata(), expected[k], rtol=1e-10)
    assert np.allclose(lines["mixture"].get_ydata(), expected[0] + expected[1], rtol=1e-10)


def test_picture_file_is_written(tmp_path):
    gm = GaussianMixture(2, random_state=0).fit(X2)
    ax = plot_mixture(gm, X2, title="two clusters")
    path = tmp_path / "mixture.png"
    ax.figure.savefig(path, dpi=60)
    assert_picture(path)


def test_models_without_gaussians_are_drawn_without_ellipses():
    class Opaque:
        def __init__(self, model):
            self.model = model

        def joint_log_prob(self, X):
            return self.model.joint_log_prob(X)

    model = GaussianMixtureModel.from_data(X2, 2, random_state=0)
    ax = plot_mixture(Opaque(model), X2)
    assert not ax.patches and len(ax.collections) == 1
    with pytest.raises(TypeError, match=r"gaussian_components\.register"):
        gaussian_components(Opaque(model))


def test_bad_arguments_are_named():
    model = GaussianMixtureModel.from_data(X2, 2, random_state=0)
    with pytest.raises(ValueError, match="features must be two column indices below 2"):
        plot_mixture(model, X2, features=(0, 2))
    with pytest.raises(ValueError, match="colour_by"):
        plot_mixture(model, X2, colour_by="rainbow")
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        plot_mixture(model, X2[:, 0])


def test_hard_assignment_models_colour_points_by_label():
    model = GaussianMixtureModel(
        [0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), np.eye(2)], assignment="hard"
    )
    colours = plot_mixture(model, X2).collections[0].get_facecolors()[:, :3]
    palette = np.array([plt.get_cmap("tab10")(k)[:3] for k in range(2)])
    assert np.allclose(colours, palette[model.predict(X2)], atol=1e-6)


def test_mixtures_of_multivariate_normals_get_ellipses_and_others_do_not():
    from latentem import Mixture
    from latentem.distributions import Exponential, MultivariateNormal, Normal

    covariance = np.array([[4.0, 0.0], [0.0, 0.25]])
    mixture = Mixture(
        [MultivariateNormal(np.zeros(2), np.eye(2)), MultivariateNormal(np.ones(2), covariance)]
    )
    ax = plot_mixture(mixture, X2)
    assert len(ax.patches) == 4
    second = next(p for p in ax.patches if p.get_gid() == "component-1")
    assert np.allclose(second.center, [1.0, 1.0])
    assert (second.width, second.height) == pytest.approx((4.0, 1.0))
    _, _, covariances = gaussian_components(Mixture([Normal(1.0, 3.0)]))
    assert covariances.tolist() == [[[9.0]]]
    with pytest.raises(TypeError, match="Exponential of the Mixture is not Gaussian"):
        gaussian_components(Mixture([Normal(1.0, 3.0), Exponential(1.0)]))
    # one feature, any families: the component curves are the mixture's own densities
    x = np.abs(X2[:, :1]) + 0.1
    mixed = Mixture([Normal(1.0, 1.0), Exponential(0.5)], [0.3, 0.7])
    lines = {
        line.get_label(): line for line in plot_mixture(mixed, x, ax=plt.figure().gca()).get_lines()
    }
    grid = lines["mixture"].get_xdata()
    expected = 0.7 * stats.expon.pdf(grid, scale=2.0)
    assert np.allclose(lines["component 1"].get_ydata(), expected, rtol=1e-12)


def test_rows_with_missing_entries_are_left_out_and_counted_and_names_label_the_axes():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(size=(60, 2)), rng.normal(size=(60, 2)) + 5.0])
    X[::6, 1] = np.nan
    frame = pd.DataFrame(X, columns=["eruptions", "waiting"])
    gm = GaussianMixture(2, random_state=0).fit(frame)
    ax = plot_mixture(gm, frame)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("eruptions", "waiting")
    (note,) = [text for text in ax.texts if "missing" in text.get_text()]
    assert note.get_text() == "20 of 120 rows with missing entries not drawn"
    (points,) = ax.collections
    assert len(points.get_offsets()) == 100
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    weights = gm.weights_
    assert labels == [
        f"component 0 (weight {weights[0]:.2f})",
        f"component 1 (weight {weights[1]:.2f})",
        "means",
        "1 and 2 standard deviations",
    ]
    one = GaussianMixture(2, random_state=0).fit(frame[["waiting"]])
    assert plot_mixture(one, frame[["waiting"]]).get_xlabel() == "waiting"
    with pytest.raises(ValueError, match="no row without missing entries"):
        plot_mixture(gm, np.full((3, 2), np.nan))


def test_uncertainty_draws_the_less_certain_points_larger():
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal(size=(80, 2)), rng.normal(size=(80, 2)) + 2.5])
    gm = GaussianMixture(2, random_state=0).fit(X)
    ax = plot_mixture(gm, X, colour_by="uncertainty")
    (points,) = ax.collections
    uncertainty = 1.0 - gm.predict_proba(X).max(axis=1)
    np.testing.assert_allclose(points.get_sizes(), 4 + 200 * uncertainty)
    assert np.argmax(points.get_sizes()) == np.argmax(uncertainty)
    with pytest.raises(ValueError, match="'responsibility', 'label' or 'uncertainty'"):
        plot_mixture(gm, X, colour_by="size")
