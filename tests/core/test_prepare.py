"""The data is prepared once per fit: ``EM.fit`` calls a model's ``prepare`` once."""

import numpy as np
import pytest
from attrs import evolve

import latentem
from latentem.mixture import rows
from tests.mixture.covariance.test_user_structure import data


class Counted:
    """Wraps a function, counting its calls."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def test_em_prepares_in_memory_data_once_per_fit_and_passes_it_to_every_e_step(monkeypatch):
    X = data(n=300)
    start = latentem.GaussianMixtureModel.from_data(X, 3, random_state=0)
    counted = Counted(rows.prepare_data)
    monkeypatch.setattr(rows, "prepare_data", counted)
    seen = []
    original = latentem.GaussianMixtureModel.e_step
    monkeypatch.setattr(
        latentem.GaussianMixtureModel, "e_step", lambda self, d: seen.append(d) or original(self, d)
    )
    with pytest.warns(latentem.ConvergenceWarning):
        result = latentem.EM(tol=0.0, max_iter=7).fit(start, X)
    assert result.n_iter == 7 and counted.calls == 1
    assert len(seen) == 7 and all(d is seen[0] for d in seen)
    assert isinstance(seen[0], rows.GaussianRows)


def test_chunked_data_are_not_prepared_whole_and_fit_alike():
    X = data(n=200)
    chunks = latentem.Chunks([X[:120], X[120:]])
    start = latentem.GaussianMixtureModel.from_data(X, 2, random_state=0)
    with pytest.warns(latentem.ConvergenceWarning):
        whole = latentem.EM(tol=0.0, max_iter=5).fit(start, X)
    with pytest.warns(latentem.ConvergenceWarning):
        parts = latentem.EM(tol=0.0, max_iter=5).fit(start, chunks)
    np.testing.assert_allclose(parts.history, whole.history, rtol=1e-12)


@pytest.mark.parametrize(("n_iter", "n_init"), [(1, 1), (12, 1), (4, 3)])
def test_a_full_covariance_gaussian_hmm_prepares_its_data_once_per_fit(monkeypatch, n_iter, n_init):
    X = data(n=400, seed=4)
    counted = Counted(rows.GaussianRows.of)
    monkeypatch.setattr(rows.GaussianRows, "of", counted)
    hmm = latentem.GaussianHMM(
        3, covariance_type="full", n_iter=n_iter, tol=0.0, random_state=0, n_init=n_init
    )
    with pytest.warns(latentem.ConvergenceWarning):
        hmm.fit(X, lengths=[150, 250])
    assert len(hmm.monitor_.history) == n_iter
    assert counted.calls == 1
    # prepared data fits any emissions that prepare alike, and is handed back as it is
    model = hmm.model_
    prepared = model.prepare(latentem.hmm.Sequences(X, [150, 250]))
    moved = evolve(model, emissions=evolve(model.emissions, means=model.emissions.means + 1.0))
    assert moved.prepare(prepared) is prepared
    assert counted.calls == 2
    np.testing.assert_allclose(
        moved.log_likelihood(prepared),
        moved.log_likelihood(latentem.hmm.Sequences(X, [150, 250])),
        rtol=1e-13,
    )


def test_a_list_of_chunks_is_prepared_once_per_fit_and_a_stream_every_e_step(monkeypatch):
    X = data(n=300, seed=2)
    parts = [latentem.hmm.Sequences(X[:140], [60, 80]), latentem.hmm.Sequences(X[140:], [160])]
    hmm = latentem.GaussianHMM(2, covariance_type="full", n_iter=1, random_state=0)
    with pytest.warns(latentem.ConvergenceWarning):
        start = hmm.fit(X, lengths=[60, 80, 160]).model_
    counted = Counted(rows.GaussianRows.of)
    monkeypatch.setattr(rows.GaussianRows, "of", counted)
    em = latentem.EM(tol=0.0, max_iter=6)
    with pytest.warns(latentem.ConvergenceWarning):
        listed = em.fit(start, latentem.Chunks(parts))
    assert counted.calls == len(parts)
    with pytest.warns(latentem.ConvergenceWarning):
        streamed = em.fit(start, latentem.Chunks(lambda: iter(parts)))
    assert counted.calls == len(parts) + 6 * len(parts)
    with pytest.warns(latentem.ConvergenceWarning):
        whole = em.fit(start, latentem.hmm.Sequences(X, [60, 80, 160]))
    np.testing.assert_allclose(listed.history, whole.history, rtol=1e-12)
    np.testing.assert_array_equal(listed.history, streamed.history)
