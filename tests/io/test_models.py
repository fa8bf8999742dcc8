"""Every model, family, prior and result latentem has round-trips through save/load exactly."""

import json
import math
import struct

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import latentem
from latentem.distributions import (
    DirichletPrior,
    Exponential,
    GammaPrior,
    Independent,
    MultivariateNormal,
    Normal,
    NormalInverseWishart,
)
from latentem.io import registered_names
from latentem.testing import strategies as lst


def assert_identical(a, b, path="obj"):
    """Same types and the same bits everywhere (attrs fields, arrays, floats, sequences)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if attrs.has(type(a)):
        for field in attrs.fields(type(a)):
            assert_identical(getattr(a, field.name), getattr(b, field.name), f"{path}.{field.name}")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert a.tobytes() == b.tobytes(), path
    elif isinstance(a, float):
        assert struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b)), (
            path
        )
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def round_trip(obj, folder, **kwargs):
    path = folder / "obj.json"
    latentem.save(obj, path, **kwargs)
    return latentem.load(path)


@given(lst.distributions(), st.booleans())
def test_every_family_round_trips(tmp_path_factory, family, use_npz):
    folder = tmp_path_factory.mktemp("family")
    assert_identical(round_trip(family, folder, npz_threshold=0 if use_npz else None), family)


@given(lst.mixture_data())
def test_mixtures_round_trip_and_give_the_same_likelihood(tmp_path_factory, mixture_and_data):
    mixture, X = mixture_and_data
    loaded = round_trip(mixture, tmp_path_factory.mktemp("mixture"))
    assert_identical(loaded, mixture)
    assert loaded.log_likelihood(X) == mixture.log_likelihood(X)


def test_mixture_options_and_priors_round_trip(tmp_path):
    niw = NormalInverseWishart(shrinkage=0.1, mean=np.zeros(2), dof=4.0, scale=np.eye(2))
    mixture = latentem.Mixture(
        [
            Independent([Normal(0.0, 1.0), Exponential(2.0, prior=GammaPrior(2.0, 1.0))]),
            Independent([Normal(1.0, 2.0), Exponential(0.5)]),
        ],
        [0.25, 0.75],
        fixed=[True, False],
        prior=DirichletPrior(np.array([2.0, 3.0])),
        assignment="hard",
    )
    assert_identical(round_trip(mixture, tmp_path), mixture)
    gaussian = latentem.Mixture([MultivariateNormal(np.zeros(2), np.eye(2), prior=niw)] * 2)
    assert_identical(round_trip(gaussian, tmp_path), gaussian)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_map_gaussian_mixtures_round_trip(tmp_path, covariance_type):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (60, 2)), rng.normal(5, 1, (60, 2))])
    gm = latentem.GaussianMixture(
        2, covariance_type=covariance_type, prior="default", random_state=0
    ).fit(X)
    loaded = round_trip(gm, tmp_path)
    assert_identical(loaded.model_, gm.model_)
    assert loaded.get_params()["prior"] == "default"
    assert loaded.lower_bounds_ == gm.lower_bounds_
    explicit = latentem.GaussianMixture(2, prior=gm.model_.prior)
    assert_identical(round_trip(explicit, tmp_path).prior, gm.model_.prior)


def test_every_family_of_latentem_is_registered():
    names = set(registered_names())
    families = {
        name
        for name in latentem.distributions.__all__
        if isinstance(getattr(latentem.distributions, name), type)
        and attrs.has(getattr(latentem.distributions, name))
        and not name.endswith("Stats")
        and name not in ("WeightedSums", "Moments")
    }
    assert families <= names, families - names
    assert {"Mixture", "GaussianMixturePrior", "GaussianMixtureModel", "EMResult"} <= names


def tamper(tmp_path, obj, change):
    path = tmp_path / "obj.json"
    latentem.save(obj, path)
    document = json.loads(path.read_text())
    change(document["object"]["state"])
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["components"][0]["state"].update(scale=-1.0), "scale"),
        (lambda s: s["components"][0].update({"$type": "Rayleigh"}), "unknown type 'Rayleigh'"),
        (lambda s: s.update(fixed=[1, 0]), "fixed"),
        (lambda s: s.update(fixed=[True]), "fixed must have one flag per component"),
        (lambda s: s.update(assignment="fuzzy"), "assignment must be one of"),
        (lambda s: s.update(components=[]), "components"),
        (lambda s: s["components"][1]["state"].update(rate="2"), "rate"),
        (lambda s: s["components"][1]["state"].pop("prior"), "missing field 'prior'"),
        (
            lambda s: s.update(
                prior={"$type": "GammaPrior", "$version": 1, "state": {"shape": 2.0, "rate": 1.0}}
            ),
            "prior",
        ),
    ],
)
def test_tampered_mixtures_raise_value_error(tmp_path, change, message):
    mixture = latentem.Mixture([Normal(0.0, 1.0), Exponential(2.0)], [0.5, 0.5])
    with pytest.raises(ValueError, match=message):
        latentem.load(tamper(tmp_path, mixture, change))


def test_feature_names_are_saved_when_present_and_old_files_still_load(tmp_path):
    X = np.random.default_rng(0).normal(size=(40, 2))
    for estimator in (
        latentem.GaussianMixture(2, random_state=0).fit(X),
        latentem.GaussianHMM(2, n_iter=200, random_state=0).fit(X),
        latentem.EMImputer().fit(X),
    ):
        plain = tmp_path / "plain.json"
        latentem.save(estimator, plain)
        assert not hasattr(latentem.load(plain), "feature_names_in_")  # as files made before
        estimator.feature_names_in_ = np.array(["eruptions", "waiting"], dtype=object)
        named = tmp_path / "named.json"
        latentem.save(estimator, named)
        fitted = json.loads(named.read_text())["object"]["state"]["fitted"]
        assert fitted["feature_names_in_"] == ["eruptions", "waiting"]
        loaded = latentem.load(named)
        assert loaded.feature_names_in_.dtype == object
        assert loaded.feature_names_in_.tolist() == ["eruptions", "waiting"]
        document = json.loads(named.read_text())
        document["object"]["state"]["fitted"]["feature_names_in_"] = ["only one"]
        named.write_text(json.dumps(document))
        with pytest.raises(ValueError, match="holds 1 names for n_features_in_=2"):
            latentem.load(named)
        document["object"]["state"]["fitted"]["feature_names_in_"] = [1, 2]
        named.write_text(json.dumps(document))
        with pytest.raises(ValueError, match="must be a list of strings"):
            latentem.load(named)
