"""``monitor_``: hmmlearn's ConvergenceMonitor, live from construction and honoured by ``fit``."""

import copy
import warnings

import numpy as np
import pytest

import latentem
from latentem import ConvergenceWarning
from latentem.estimators.hmm import ConvergenceMonitor

X = np.random.default_rng(0).normal(size=(120, 1)) + np.repeat([0.0, 4.0, 0.0], 40)[:, None]
FRONTS = [
    (latentem.GaussianHMM, {}, X),
    (latentem.GMMHMM, {"n_mix": 2}, X),
    (latentem.CategoricalHMM, {}, (X > 2).astype(int)),
    (latentem.PoissonHMM, {}, np.abs(X).round().astype(int)),
]


class ThresholdMonitor(ConvergenceMonitor):
    """hmmlearn's documented recipe (``hmmlearn.base.ConvergenceMonitor``), unchanged."""

    @property
    def converged(self):
        return self.iter == self.n_iter or self.history[-1] >= self.tol


@pytest.mark.parametrize(
    ("cls", "kwargs", "data"), FRONTS, ids=lambda v: getattr(v, "__name__", "")
)
def test_monitor_exists_after_construction_with_the_settings(cls, kwargs, data):
    model = cls(2, n_iter=7, tol=0.5, verbose=False, **kwargs)
    monitor = model.monitor_
    assert type(monitor) is ConvergenceMonitor
    assert (monitor.tol, monitor.n_iter, monitor.verbose) == (0.5, 7, False)
    assert monitor.history == [] and monitor.iter == 0 and not monitor.converged
    assert "monitor_" not in vars(model)  # scikit-learn: __init__ sets the parameters only
    assert model.set_params(tol=2.0).monitor_.tol == 2.0


@pytest.mark.parametrize(
    ("cls", "kwargs", "data"), FRONTS, ids=lambda v: getattr(v, "__name__", "")
)
def test_custom_monitor_set_before_fit_decides_when_the_fit_stops(cls, kwargs, data):
    free = cls(2, n_iter=60, tol=0.0, random_state=0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        history = free.fit(data).monitor_.history
    assert len(history) >= 4
    threshold = (history[1] + history[2]) / 2  # reached at the third iteration
    model = cls(2, n_iter=60, tol=0.0, random_state=0, **kwargs)
    model.monitor_ = ThresholdMonitor(threshold, model.monitor_.n_iter, model.monitor_.verbose)
    given = model.monitor_
    model.fit(data)
    assert model.monitor_ is given and given.iter == 3 and given.converged
    np.testing.assert_allclose(given.history, history[:3])
    model.fit(data)  # a refit uses (and resets) the same monitor, as hmmlearn's
    assert model.monitor_ is given and given.iter == 3


def test_custom_monitor_that_never_converges_runs_n_iter_and_warns():
    class Never(ConvergenceMonitor):
        @property
        def converged(self):
            return False

    model = latentem.GaussianHMM(2, n_iter=5, random_state=0)
    model.monitor_ = Never(1.0, 5, False)
    with pytest.warns(ConvergenceWarning, match="n_iter=5"):
        model.fit(X)
    assert model.monitor_.iter == 5


def test_restarts_copy_the_custom_monitor_and_keep_the_best_starts():
    model = latentem.GaussianHMM(2, n_iter=50, random_state=0, n_init=3)
    model.monitor_ = ThresholdMonitor(-1e9, 50, False)  # stops after one iteration
    model.fit(X)
    assert isinstance(model.monitor_, ThresholdMonitor) and model.monitor_.iter == 1


def test_own_monitor_never_converged_because_iterations_ran_out():
    with pytest.warns(ConvergenceWarning):
        model = latentem.GaussianHMM(2, n_iter=2, tol=0.0, random_state=0).fit(X)
    assert model.monitor_.iter == 2 and not model.monitor_.converged
    # the next fit is latentem's own again, with the current settings
    model.set_params(n_iter=100, tol=1e-3).fit(X)
    assert model.monitor_.converged and model.monitor_.tol == 1e-3 and model.monitor_.iter < 100


def test_report_reset_and_rule():
    monitor = ConvergenceMonitor(tol=1e-3, n_iter=2, verbose=False)
    monitor.report(-1.0)
    monitor.report(-0.5)
    assert monitor.iter == 2 and not monitor.converged  # out of iterations is no convergence
    monitor.report(-0.4999)
    assert monitor.converged
    assert copy.deepcopy(monitor) == monitor
    monitor._reset()
    assert monitor.iter == 0 and monitor.history == [] and not monitor.converged


def test_a_monitor_of_another_type_is_refused():
    model = latentem.GaussianHMM(2)
    model.monitor_ = object()
    with pytest.raises(TypeError, match="ConvergenceMonitor"):
        model.fit(X)


# -- what hmmlearn's users set by hand -----------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kwargs", "data", "attribute", "letter"),
    [
        (latentem.GaussianHMM, {}, X, "startprob_", "s"),
        (latentem.GaussianHMM, {}, X, "means_", "m"),
        (latentem.GaussianHMM, {}, X, "covars_", "c"),
        (latentem.GMMHMM, {"n_mix": 2}, X, "weights_", "w"),
        (latentem.CategoricalHMM, {}, (X > 2).astype(int), "emissionprob_", "e"),
        (latentem.PoissonHMM, {}, np.abs(X).round().astype(int), "lambdas_", "l"),
    ],
)
def test_init_params_overwriting_a_set_parameter_warns(cls, kwargs, data, attribute, letter):
    fitted = cls(2, n_iter=0, random_state=0, **kwargs).fit(data)
    value = vars(fitted)["_covars_" if attribute == "covars_" else attribute]  # as stored
    model = cls(2, n_iter=0, random_state=0, **kwargs)
    setattr(model, attribute, value)
    message = (
        f"Even though the '{attribute}' attribute is set, it will be overwritten during "
        f"initialization because 'init_params' contains '{letter}'"
    )
    with pytest.warns(UserWarning, match=message):
        model.fit(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.fit(data)  # what the last fit set is replaced silently
        model.set_params(init_params=model.init_params.replace(letter, ""))
        setattr(model, attribute, value)
        model.fit(data)  # not in init_params: the fit starts from it


@pytest.mark.parametrize("cls", [latentem.GaussianHMM, latentem.GMMHMM, latentem.PoissonHMM])
def test_n_features_can_be_set_and_the_parameters_decide(cls):
    model = cls(2)
    with pytest.raises(AttributeError, match="n_features"):
        model.n_features  # noqa: B018
    model.n_features = 3
    assert model.n_features == 3
    with pytest.raises(ValueError, match="n_features"):
        model.n_features = 0


@pytest.mark.parametrize("shape", [(2,), (2, 1), (2, 1, 1), (2, 1, 1, 1)])
def test_spherical_covars_of_hmmlearns_shapes_are_taken_and_kept(shape):
    # hmmlearn's issue 385: one variance per state in any shape
    model = latentem.GaussianHMM(2, covariance_type="spherical", init_params="")
    model.startprob_ = [0.6, 0.4]
    model.transmat_ = [[0.4, 0.6], [0.9, 0.1]]
    model.means_ = [[3.0], [5.0]]
    model.covars_ = np.array([4.0, 3.0]).reshape(shape)
    assert model._covars_.shape == (2,)
    np.testing.assert_array_equal(model.covars_, [[[4.0]], [[3.0]]])
    samples, states = model.sample(20, random_state=0)
    assert samples.shape == (20, 1) and states.shape == (20,)
    model.fit(samples)
    assert model.covars_.shape == (2, 1, 1)


@pytest.mark.parametrize(
    ("cls", "attribute"),
    [(latentem.CategoricalHMM, "emissionprob_"), (latentem.PoissonHMM, "lambdas_")],
)
@pytest.mark.parametrize("value", [[], np.full((1, 2), 0.5)])
def test_wrong_sized_emission_parameters_are_named(cls, attribute, value):
    model = cls(3)
    model.startprob_ = np.full(3, 1 / 3)
    model.transmat_ = np.full((3, 3), 1 / 3)
    setattr(model, attribute, value)
    with pytest.raises(ValueError, match=f"^{attribute} must have shape"):
        model.score(np.array([[0], [1]]))


def test_a_loaded_fit_is_refitted_without_the_overwrite_warning(tmp_path):
    model = latentem.GaussianHMM(2, n_iter=0, random_state=0).fit(X)
    latentem.save(model, tmp_path / "hmm.json")
    loaded = latentem.load(tmp_path / "hmm.json")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        loaded.fit(X)
