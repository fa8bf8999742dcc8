"""Degenerate fits: a collapse onto the reg_covar floor warns, a singular covariance raises.

The warning names the component and the fix, points at the caller's line and leaves the
warning filters alone; healthy fits (mclust's choices on its five fixtures, blobs) do
not warn; with reg_covar=0 a singular covariance is a ValueError for every registered
structure that estimates one.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import latentem
from latentem import DegenerateFitWarning, GaussianMixture
from latentem.mixture.covariance import COVARIANCE_TYPES
from tests.mixture.covariance.test_mclust import BETTER_THAN_MCLUST

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mclust"
REG = 1e-6
RNG = np.random.default_rng(11)
DUPLICATED = np.array([20.0, -5.0, 3.0])
# two blobs and a point recorded four times
X = np.concatenate(
    [RNG.normal(0, 1, (100, 3)), RNG.normal(6, 1, (100, 3)), np.repeat([DUPLICATED], 4, axis=0)]
)


def _degenerate_warnings(fit):
    """Run ``fit()``; return its DegenerateFitWarnings (every other warning passes through)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegenerateFitWarning)
        result = fit()
    for record in caught:
        if not issubclass(record.category, DegenerateFitWarning):
            warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
    return result, [r for r in caught if issubclass(r.category, DegenerateFitWarning)]


def test_a_component_on_duplicated_rows_warns_once_naming_it_and_the_fix():
    gm, caught = _degenerate_warnings(lambda: GaussianMixture(3, random_state=0).fit(X))
    on_duplicates = int(np.argmin(np.linalg.norm(gm.means_ - DUPLICATED, axis=1)))
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith(f"GaussianMixture: component {on_duplicates} collapsed")
    for fix in ("reduce n_components", "prior='default'", "duplicated rows", "standardise"):
        assert fix in message
    assert caught[0].filename == __file__  # the caller's line, not latentem's
    assert gm.degenerate_components_.tolist() == [on_duplicates]
    # numpy: four equal rows have no spread, so the covariance is reg_covar * I
    np.testing.assert_allclose(gm.covariances_[on_duplicates], REG * np.eye(3), atol=1e-12)
    assert np.linalg.eigvalsh(gm.covariances_).min(axis=1)[on_duplicates] <= 2 * REG


def test_fit_predict_warns_too_and_the_warning_is_a_user_warning():
    assert issubclass(DegenerateFitWarning, UserWarning)
    assert latentem.DegenerateFitWarning is DegenerateFitWarning
    with pytest.warns(DegenerateFitWarning, match=r"collapsed onto the reg_covar floor"):
        GaussianMixture(3, random_state=0).fit_predict(X)


def test_the_warning_leaves_the_warning_filters_as_they_were():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateFitWarning)
        before = list(warnings.filters)
        GaussianMixture(3, random_state=0).fit(X)
        assert warnings.filters == before


def test_a_healthy_fit_of_the_same_data_does_not_warn():
    healthy = X[:200]  # without the duplicated rows
    gm, caught = _degenerate_warnings(lambda: GaussianMixture(2, random_state=0).fit(healthy))
    assert caught == [] and gm.degenerate_components_.size == 0


@pytest.mark.parametrize("structure", list(COVARIANCE_TYPES))
def test_separated_blobs_do_not_warn_for_any_structure(structure):
    # scikit-learn's make_blobs, written out: three isotropic clusters of 150 points
    rng = np.random.default_rng(0)
    centres = rng.uniform(-10, 10, (3, 2))
    blobs = np.concatenate([rng.normal(c, 1.0, (150, 2)) for c in centres])
    gm, caught = _degenerate_warnings(
        lambda: GaussianMixture(3, covariance_type=structure, random_state=0).fit(blobs)
    )
    assert caught == [], [str(r.message) for r in caught]
    smallest = np.linalg.eigvalsh(gm.model_.covariance_type.full_matrices(gm.covariances_, 3, 2))
    assert smallest.min() > 0.1  # numpy: every cluster spreads about 1 in every direction


CHOICES = json.loads((FIXTURES / "fits.json").read_text())["choices"]


@pytest.mark.parametrize("choice", CHOICES, ids=lambda c: f"{c['data']}-{c['model']}{c['k']}")
def test_the_model_mclust_chooses_does_not_warn(choice):
    data = np.loadtxt(FIXTURES / f"{choice['data']}.csv", delimiter=",", skiprows=1)
    gm, caught = _degenerate_warnings(
        lambda: GaussianMixture(
            choice["k"],
            covariance_type=choice["model"],
            init_params="hc",
            tol=1e-10,
            max_iter=10_000,
        ).fit(data)
    )
    assert caught == [] and gm.degenerate_components_.size == 0
    # with the default reg_covar the fit is still mclust's (its BIC is minus latentem's),
    # or higher where latentem's M-step is (test_mclust.py)
    if choice["model"] in BETTER_THAN_MCLUST:
        assert gm.bic(data) < -choice["bic"]
    else:
        assert gm.bic(data) == pytest.approx(-choice["bic"], rel=1e-8)


def test_the_attribute_follows_the_parameters():
    gm = GaussianMixture(2, random_state=0).fit(X[:200])
    covariances = gm.covariances_.copy()
    covariances[1] = np.diag([1.0, 1.0, 1.5 * REG])
    gm.covariances_ = covariances
    assert gm.degenerate_components_.tolist() == [1]
    with pytest.raises(latentem.NotFittedError):
        GaussianMixture().degenerate_components_  # noqa: B018


def test_a_loaded_estimator_reports_the_same_components(tmp_path):
    gm, _ = _degenerate_warnings(lambda: GaussianMixture(3, random_state=0).fit(X))
    latentem.save(gm, tmp_path / "gm.json")
    loaded = latentem.load(tmp_path / "gm.json")
    assert loaded.degenerate_components_.tolist() == gm.degenerate_components_.tolist() != []


def test_the_imputer_fitting_through_it_is_named():
    _, caught = _degenerate_warnings(
        lambda: latentem.EMImputer(n_components=3, reg_covar=REG, random_state=0).fit(X)
    )
    assert len(caught) == 1 and str(caught[0].message).startswith("EMImputer: component")
    assert caught[0].filename == __file__


# --- reg_covar=0: a singular covariance is a ValueError -------------------------------------

SINGULAR_DATA = {
    "normal": np.random.default_rng(0).normal(size=(5, 6)),
    "scales 1 to 1e5": np.random.default_rng(24).normal(size=(5, 6)) * np.logspace(0, 5, 6),
    "integers": np.random.default_rng(2).integers(0, 10, (5, 6)).astype(float),
    "six points": np.random.default_rng(3).normal(size=(6, 6)),
    "far from the origin": np.random.default_rng(4).normal(size=(5, 6)) + 1e6,
}


@pytest.mark.parametrize("structure", list(COVARIANCE_TYPES.values()), ids=lambda s: s.name)
@pytest.mark.parametrize("case", sorted(SINGULAR_DATA))
def test_five_points_in_six_dimensions_at_reg_covar_0(structure, case):
    data = SINGULAR_DATA[case]
    gm = GaussianMixture(1, covariance_type=structure.name, reg_covar=0.0)
    if structure.n_parameters(1, 6) > 6:
        # it estimates correlations: at most 5 points span at most 5 dimensions, the
        # covariance is singular and the log-likelihood unbounded
        with pytest.raises(ValueError, match=r"component 0 is singular with reg_covar=0"):
            gm.fit(data)
        return
    # axis-aligned: every feature varies, so the fit exists; its variances are numpy's
    gm.fit(data)
    variances = np.var(data, axis=0)
    expected = variances if structure.n_parameters(1, 6) == 6 else variances.mean()
    diagonal = np.diag(gm.model_.covariance_type.full_matrices(gm.covariances_, 1, 6)[0])
    np.testing.assert_allclose(diagonal, np.broadcast_to(expected, 6), rtol=1e-9)
    assert np.isfinite(gm.lower_bound_)


def test_the_singular_error_says_what_to_change():
    with pytest.raises(ValueError) as error:
        GaussianMixture(1, reg_covar=0.0).fit(SINGULAR_DATA["normal"])
    message = str(error.value)
    for fix in ("increase reg_covar (e.g. reg_covar=1e-6)", "prior", "reduce n_components"):
        assert fix in message
