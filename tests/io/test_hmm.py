"""Hidden Markov models round-trip through save/load bit for bit; hostile files raise ValueError."""

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import latentem
from latentem import EM, Checkpoint, ConvergenceWarning
from latentem.distributions import Normal, Poisson
from latentem.hmm import (
    GaussianMixtureEmissions,
    HiddenMarkovModel,
    IndependentEmissions,
    Sequences,
)
from latentem.io import registered_names
from latentem.testing import strategies as lst
from tests.io.test_files import assert_same_estimator, encoded
from tests.io.test_models import assert_identical

RNG = np.random.default_rng(0)
LENGTHS = [60, 1, 79]
GAUSSIAN = np.concatenate([RNG.normal(0, 1, (70, 2)), RNG.normal(4, 1, (70, 2))])
DATA = {
    latentem.GaussianHMM: GAUSSIAN,
    latentem.GMMHMM: GAUSSIAN,
    latentem.CategoricalHMM: RNG.integers(0, 4, size=(140, 1)),
    latentem.PoissonHMM: RNG.poisson(3.0, size=(140, 2)),
}
CASES = [
    *[
        (latentem.GaussianHMM, {"covariance_type": c})
        for c in ("diag", "full", "spherical", "tied")
    ],
    *[
        (latentem.GMMHMM, {"covariance_type": c, "n_mix": 2})
        for c in ("diag", "full", "spherical", "tied")
    ],
    (latentem.CategoricalHMM, {"emissionprob_prior": 1.5}),
    (latentem.PoissonHMM, {"lambdas_prior": 1.0, "lambdas_weight": 0.5}),
]
IDS = [f"{cls.__name__}-{kwargs.get('covariance_type', '')}" for cls, kwargs in CASES]


def round_trip(obj, folder, **kwargs):
    path = folder / "obj.json"
    latentem.save(obj, path, **kwargs)
    return latentem.load(path)


def fitted(cls, n_iter=8, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(2, n_iter=n_iter, random_state=0, **kwargs).fit(DATA[cls], lengths=LENGTHS)


# ----------------------------------------------------------------------------- round trips


@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=IDS)
@pytest.mark.parametrize("npz_threshold", [None, 0])
def test_fitted_front_classes_round_trip_exactly(tmp_path, cls, kwargs, npz_threshold):
    original = fitted(cls, **kwargs)
    loaded = round_trip(original, tmp_path, npz_threshold=npz_threshold)
    assert_same_estimator(loaded, original)
    X = DATA[cls]
    assert loaded.score(X, lengths=LENGTHS) == original.score(X, lengths=LENGTHS)
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    assert loaded.get_stationary_distribution().tobytes() == (
        original.get_stationary_distribution().tobytes()
    )
    # and the loaded estimator keeps fitting exactly as the original does
    params = {"init_params": "", "n_iter": 3, "tol": 0.0}
    loaded.set_params(**params)
    original.set_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert_same_estimator(loaded.fit(X, lengths=LENGTHS), original.fit(X, lengths=LENGTHS))


@pytest.mark.parametrize(("cls", "kwargs"), CASES, ids=IDS)
def test_fitted_models_round_trip_exactly(tmp_path, cls, kwargs):
    model = fitted(cls, **kwargs).model_
    loaded = round_trip(model, tmp_path)
    assert_identical(loaded, model)
    data = Sequences(DATA[cls], LENGTHS)
    assert loaded.log_likelihood(data) == model.log_likelihood(data)


def test_unfitted_and_partly_set_up_estimators_round_trip(tmp_path):
    hmm = latentem.GaussianHMM(
        2, covariance_type="full", init_params="c", startprob_prior=np.array([2.0, 1.0])
    )
    loaded = round_trip(hmm, tmp_path)
    assert "monitor_" not in vars(loaded) and not hasattr(loaded, "startprob_")
    assert loaded.startprob_prior.tobytes() == hmm.startprob_prior.tobytes()
    hmm.startprob_ = [0.5, 0.5]  # a user's starting point, as hmmlearn's users set it
    hmm.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    hmm.means_ = np.array([[0.0, 0.0], [4.0, 4.0]])
    loaded = round_trip(hmm, tmp_path)
    assert loaded.startprob_.tolist() == [0.5, 0.5]  # saved as a float array
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert_same_estimator(loaded.fit(GAUSSIAN), hmm.fit(GAUSSIAN))


@settings(max_examples=25)
@given(lst.hmm_models(), st.booleans())
def test_random_models_round_trip_exactly(tmp_path_factory, model, use_npz):
    folder = tmp_path_factory.mktemp("hmm")
    assert_identical(round_trip(model, folder, npz_threshold=0 if use_npz else None), model)


def test_emissions_of_every_kind_with_priors_and_fixed_parameters_round_trip(tmp_path):
    weights = np.array([[0.3, 0.7], [0.6, 0.4]])
    mixture = GaussianMixtureEmissions(
        weights,
        RNG.normal(size=(2, 2, 3)),
        np.full((2, 3, 3), np.eye(3)),
        "tied",
        weights_prior=2.0,
        fixed=["means"],
        centre_on_previous_means=True,
    )
    generic = IndependentEmissions([Poisson(2.0), Normal(0.0, 1.0)])
    for emissions in (mixture, generic):
        model = HiddenMarkovModel(
            [0.25, 0.75], [[0.5, 0.5], [0.0, 1.0]], emissions, transmat_prior=1.5, fixed="startprob"
        )
        loaded = round_trip(model, tmp_path)
        assert_identical(loaded, model)
        assert loaded.fixed == frozenset({"startprob"})
    prior = fitted(latentem.GaussianHMM, means_weight=0.5, covars_prior=0.1).model_
    assert prior.emissions.prior is not None
    assert_identical(round_trip(prior, tmp_path), prior)


def test_hmm_fits_resume_from_checkpoints_exactly(tmp_path):
    start = fitted(latentem.GaussianHMM, n_iter=0).model_
    data = Sequences(GAUSSIAN, LENGTHS)

    def run(model, history=None, callbacks=()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            engine = EM(max_iter=30, tol=1e-12, callbacks=callbacks)
            return engine.fit(model, data, history=history)

    def stop_at_7(iteration, objective, model):
        if iteration == 7:
            raise KeyboardInterrupt

    full = run(start)
    with pytest.raises(KeyboardInterrupt):
        run(start, callbacks=[Checkpoint(tmp_path / "fit.json", every=5), stop_at_7])
    saved = latentem.load_checkpoint(tmp_path / "fit.json")
    resumed = run(saved.model, saved.history)
    assert resumed.history.tobytes() == full.history.tobytes()
    assert_identical(resumed.model, full.model)


def test_every_hmm_type_is_registered():
    expected = {
        "HiddenMarkovModel",
        "GaussianEmissions",
        "GaussianPrior",
        "GaussianMixtureEmissions",
        "CategoricalEmissions",
        "PoissonEmissions",
        "IndependentEmissions",
        "ConvergenceMonitor",
        "GaussianHMM",
        "GMMHMM",
        "CategoricalHMM",
        "PoissonHMM",
        "EMImputer",
    }
    assert expected <= set(registered_names())


# ----------------------------------------------------------------------------- hostile files


def saved(tmp_path, obj):
    path = tmp_path / "hmm.json"
    latentem.save(obj, path)
    return path, json.loads(path.read_text())


def load_tampered(path, document):
    path.write_text(json.dumps(document))
    return latentem.load(path)


def _fitted_state(document):
    return document["object"]["state"]["fitted"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("transmat_", encoded([[0.9, 0.2], [0.5, 0.5]]), r"every row of transmat_ must sum to 1"),
        ("transmat_", encoded([[1.2, -0.2], [0.5, 0.5]]), "transmat_ must be non-negative"),
        ("startprob_", encoded([0.5, 0.6]), "startprob_ must sum to 1"),
        ("startprob_", encoded([1.0, 0.0, 0.0]), r"startprob_ must have shape \(2,\)"),
        ("transmat_", encoded(np.eye(2), "int64"), "expected a float64 array; got int64"),
        ("means_", encoded(np.zeros((3, 2))), r"means_ must have shape \(n_components"),
        ("means_", encoded([[np.nan, 0.0], [1.0, 1.0]]), "means must be finite"),
        ("covars_", encoded([[1.0, -1.0], [1.0, 1.0]]), "covariances must be positive"),
        ("covars_", encoded(np.ones((2, 2, 2))), r"covariances for covariance_type='diag'"),
        ("n_features_in_", 3, "n_features_in_=3 but the parameters model 2 features"),
        ("n_features_in_", 0, "must be at least 1"),
        ("n_iter_", 3, r"unexpected fitted attribute\(s\) \['n_iter_'\]"),
        ("means_", [[0.0, 0.0], [1.0, 1.0]], "expected an array"),
    ],
)
def test_tampered_gaussian_hmm_files_raise_value_error(tmp_path, field, value, message):
    path, document = saved(tmp_path, fitted(latentem.GaussianHMM))
    _fitted_state(document)[field] = value
    with pytest.raises(ValueError, match=message):
        load_tampered(path, document)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s["fitted"].pop("covars_"), "a fitted GaussianHMM needs covars_"),
        (lambda s: s["params"].update(n_components=3), r"means_ must have shape .* = \(3,"),
        (lambda s: s["params"].update(covariance_type="full"), r"covariance_type='full' must"),
        (lambda s: s["params"].update(means_weight=[1.0, 2.0, 3.0]), "means_weight"),
        (lambda s: s["params"].update(secret=1), "params must name exactly"),
        (lambda s: s["fitted"]["monitor_"]["state"].update(iter=99), "iter=99 must equal"),
        (lambda s: s["fitted"]["monitor_"]["state"].update(history=[1, 2]), "list of floats"),
        (lambda s: s["fitted"]["monitor_"]["state"].update(converged="yes"), "true or false"),
        (lambda s: s["fitted"]["monitor_"]["state"].update(tol=-1.0), "tol must be >= 0"),
        (lambda s: s["fitted"]["monitor_"].update({"$type": "EMResult"}), "history"),
    ],
)
def test_inconsistent_gaussian_hmm_files_raise_value_error(tmp_path, mutate, message):
    path, document = saved(tmp_path, fitted(latentem.GaussianHMM))
    mutate(document["object"]["state"])
    with pytest.raises(ValueError, match=message):
        load_tampered(path, document)


@pytest.mark.parametrize(
    ("cls", "field", "value", "message"),
    [
        (latentem.CategoricalHMM, "emissionprob_", encoded(np.full((2, 4), 0.3)), "sum to 1"),
        (latentem.CategoricalHMM, "emissionprob_", encoded(np.full((2,), 0.5)), "emissionprob_"),
        (latentem.PoissonHMM, "lambdas_", encoded(-np.ones((2, 2))), "non-negative"),
        (latentem.GMMHMM, "weights_", encoded([[0.5, 0.6], [0.5, 0.5]]), "weights"),
        (latentem.GMMHMM, "means_", encoded(np.zeros((2, 2))), r"means_ must have shape"),
    ],
)
def test_tampered_discrete_and_mixture_hmm_files_raise_value_error(
    tmp_path, cls, field, value, message
):
    kwargs = {"n_mix": 2} if cls is latentem.GMMHMM else {}
    path, document = saved(tmp_path, fitted(cls, **kwargs))
    _fitted_state(document)[field] = value
    with pytest.raises(ValueError, match=message):
        load_tampered(path, document)


def test_tampered_partly_set_up_estimator_raises_value_error(tmp_path):
    hmm = latentem.GaussianHMM(2)
    hmm.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    path, document = saved(tmp_path, hmm)
    _fitted_state(document)["transmat_"] = encoded([[0.9, 0.2], [0.2, 0.8]])
    with pytest.raises(ValueError, match="every row of transmat_ must sum to 1"):
        load_tampered(path, document)
    _fitted_state(document)["transmat_"] = encoded([[np.inf, 0.0], [0.2, 0.8]])
    with pytest.raises(ValueError, match="finite"):
        load_tampered(path, document)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.update(transmat=encoded([[0.5, 0.6], [0.5, 0.5]])), "transmat must sum"),
        (lambda s: s.update(transmat=encoded(np.eye(3))), r"transmat must have shape \(2, 2\)"),
        (lambda s: s.update(startprob=encoded([0.5, 0.5], "float32")), "expected a float64"),
        (lambda s: s.update(fixed=["emissions"]), "fixed for HiddenMarkovModel"),
        (lambda s: s.update(transmat_prior=encoded([0.0, 1.0])), "transmat_prior"),
        (lambda s: s.update(emissions=[1.0, 2.0]), "emissions"),
        (lambda s: s["emissions"]["state"].update(covariances=encoded([[1.0], [-1.0]])), "cov"),
        (lambda s: s["emissions"]["state"].update(prior=3.0), "GaussianPrior"),
        (lambda s: s["emissions"]["state"].update(fixed=["weights"]), "GaussianEmissions"),
        (lambda s: s["emissions"]["state"].update(covariance_type="diagonal"), "CovarianceType"),
        (lambda s: s["emissions"]["state"].pop("means"), "missing field 'means'"),
        (lambda s: s["emissions"]["state"].update(secret=1), "unexpected field"),
        (
            lambda s: s["emissions"]["state"]["means"]["$array"].update(shape=[10**9, 2]),
            "needs 16000000000 bytes",
        ),
    ],
)
def test_tampered_model_files_raise_value_error(tmp_path, mutate, message):
    path, document = saved(tmp_path, fitted(latentem.GaussianHMM).model_)
    mutate(document["object"]["state"])
    with pytest.raises(ValueError, match=message):
        load_tampered(path, document)


def test_tampered_mixture_emissions_raise_value_error(tmp_path):
    model = fitted(latentem.GMMHMM, n_mix=2).model_
    path, document = saved(tmp_path, model)
    emissions = document["object"]["state"]["emissions"]["state"]
    emissions["centre_on_previous_means"] = "yes"
    with pytest.raises(ValueError, match="centre_on_previous_means: expected true or false"):
        load_tampered(path, document)
    emissions["centre_on_previous_means"] = True
    emissions["weights"] = encoded([[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(ValueError, match="every row of weights must sum to 1"):
        load_tampered(path, document)


# ----------------------------------------------------------------------------- EMImputer


@pytest.fixture
def imputer_file(tmp_path):
    X = RNG.multivariate_normal([0, 0, 0], [[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]], 120)
    X[RNG.random(X.shape) < 0.2] = np.nan
    imputer = latentem.EMImputer(random_state=0, tol=1e-6).fit(X)
    path, document = saved(tmp_path, imputer)
    return imputer, X, path, document


def test_imputer_round_trip_keeps_every_attribute_exactly(imputer_file):
    imputer, X, path, _ = imputer_file
    loaded = latentem.load(path)
    assert sorted(vars(loaded)) == sorted(vars(imputer))
    for key, value in vars(imputer).items():
        if isinstance(value, np.ndarray):
            assert vars(loaded)[key].tobytes() == value.tobytes(), key
        elif key != "model_":
            assert vars(loaded)[key] == value, key
    assert_identical(loaded.model_, imputer.model_)
    assert loaded.transform(X).tobytes() == imputer.transform(X).tobytes()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s["params"].update(n_components=2), "params.n_components=2"),
        (lambda s: s["params"].update(covariance_type="diag"), "params.covariance_type"),
        (lambda s: s["fitted"].update(lower_bound_="high"), "expected a number"),
        (lambda s: s["fitted"].update(mean_=encoded([0.0, 0.0, 0.0])), "unexpected fitted"),
        (lambda s: s["fitted"]["model_"]["state"].update(weights=encoded([2.0])), "sum to 1"),
        (
            lambda s: s["fitted"]["model_"]["state"].update(covariances=encoded(-np.eye(3)[None])),
            "positive definite",
        ),
    ],
)
def test_tampered_imputer_files_raise_value_error(imputer_file, mutate, message):
    _, _, path, document = imputer_file
    mutate(document["object"]["state"])
    with pytest.raises(ValueError, match=message):
        load_tampered(path, document)
