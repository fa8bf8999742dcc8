"""An interrupted GaussianMixture.fit leaves the estimator exactly as it was before the call."""

import copy

import numpy as np
import pytest

from latentem import GaussianMixture

RNG = np.random.default_rng(0)
X = np.concatenate([RNG.normal(0, 1, (100, 2)), RNG.normal(1.0, 1, (100, 2))])
X_OTHER = X[::-1] * 2.0 + 3.0


def interrupting(monkeypatch, at_iteration):
    """Make every fit raise KeyboardInterrupt from an EM callback at ``at_iteration``."""

    def callbacks(self, settings, n_samples):
        def stop(iteration, objective, model):
            if iteration == at_iteration:
                raise KeyboardInterrupt

        return [stop]

    monkeypatch.setattr(GaussianMixture, "_progress_callback", callbacks)


def snapshot(estimator):
    return {key: (value, copy.deepcopy(value)) for key, value in vars(estimator).items()}


def assert_unchanged(estimator, before):
    assert sorted(vars(estimator)) == sorted(before)
    for key, (original, copied) in before.items():
        value = vars(estimator)[key]
        assert value is original, key  # the very same objects ...
        if isinstance(copied, np.ndarray):  # ... holding the same values
            assert value.tobytes() == copied.tobytes(), key
        elif not hasattr(copied, "means"):
            assert value == copied, key


@pytest.mark.parametrize("warm_start", [False, True])
@pytest.mark.parametrize("n_init", [1, 3])
def test_interrupted_refit_keeps_the_previous_fit(monkeypatch, warm_start, n_init):
    gm = GaussianMixture(3, n_init=n_init, warm_start=warm_start, random_state=0).fit(X)
    before = snapshot(gm)
    predicted = gm.predict_proba(X)
    # a warm refit of the same data converges at its first iteration, so stop there
    interrupting(monkeypatch, at_iteration=1 if warm_start else 2)
    for data in (X, X_OTHER):
        with pytest.raises(KeyboardInterrupt):
            gm.fit(data)
        assert_unchanged(gm, before)
    assert np.array_equal(gm.predict_proba(X), predicted)


def test_interrupted_first_fit_leaves_no_attribute(monkeypatch):
    gm = GaussianMixture(2, random_state=0, verbose=2)
    before = snapshot(gm)
    interrupting(monkeypatch, at_iteration=1)
    with pytest.raises(KeyboardInterrupt):
        gm.fit_predict(X)
    assert_unchanged(gm, before)
    assert not gm.__sklearn_is_fitted__()


def test_an_error_during_fit_also_leaves_the_estimator_unchanged():
    gm = GaussianMixture(2, random_state=0).fit(X)
    before = snapshot(gm)
    with pytest.raises(ValueError, match="features"):
        gm.set_params(warm_start=True).fit(X[:, :1])
    gm.set_params(warm_start=False)
    assert_unchanged(gm, before)
