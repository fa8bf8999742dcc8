"""The HMM front classes pass scikit-learn's checks and read hmmlearn's positional lengths."""

import warnings

import numpy as np
import pytest

import latentem
from latentem import ConvergenceWarning

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

CLASSES = [latentem.GaussianHMM, latentem.CategoricalHMM, latentem.PoissonHMM, latentem.GMMHMM]

# score_samples returns hmmlearn's (log_prob, posteriors) -- a total and a matrix -- where
# these two checks want one score per row; the rest of what they check (predict and
# predict_proba) is tested below.
SCORE_SAMPLES_IS_HMMLEARNS = {
    "check_methods_subset_invariance": "score_samples returns hmmlearn's (log_prob, posteriors)",
    "check_methods_sample_order_invariance": (
        "score_samples returns hmmlearn's (log_prob, posteriors)"
    ),
}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_passes_scikit_learns_estimator_checks(cls):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "does not inherit from BaseEstimator"
        results = check_estimator(
            cls(), on_fail=None, expected_failed_checks=SCORE_SAMPLES_IS_HMMLEARNS
        )
    failures = [r for r in results if r["status"] == "failed"]
    assert len(results) > 30
    assert not failures, [(r["check_name"], repr(r["exception"])) for r in failures]
    # the two expected failures fail, and only for score_samples
    xfailed = {r["check_name"] for r in results if r["status"] == "xfail"}
    assert xfailed == set(SCORE_SAMPLES_IS_HMMLEARNS)


def _data(cls, n=40, seed=0):
    rng = np.random.default_rng(seed)
    if cls is latentem.CategoricalHMM:
        return rng.integers(0, 4, size=(n, 1))
    if cls is latentem.PoissonHMM:
        return rng.poisson(3.0, size=(n, 2))
    return rng.normal(size=(n, 2))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_one_state_predictions_are_invariant_to_subsets_and_order(cls):
    """What the two expected failures check besides score_samples, on the same setting."""
    X = _data(cls, 20)
    hmm = cls(n_components=1, random_state=1).fit(X)
    order = np.random.default_rng(0).permutation(20)
    for method in ("predict", "predict_proba"):
        full = getattr(hmm, method)(X)
        rows = np.concatenate([getattr(hmm, method)(X[i : i + 1]) for i in range(20)])
        np.testing.assert_allclose(rows, full, atol=1e-12)
        np.testing.assert_allclose(getattr(hmm, method)(X[order]), full[order], atol=1e-12)
    # hmmlearn's total log-likelihood: with one state, the sum of the rows' log-densities
    total = sum(hmm.score(X[i : i + 1]) for i in range(20))
    assert hmm.score(X) == pytest.approx(total, rel=1e-12)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_positional_lengths_are_hmmlearns_and_per_row_y_is_ignored(cls):
    X = _data(cls)
    lengths = [10, 25, 5]
    kwargs = {"n_components": 2, "n_iter": 5, "random_state": 0}
    if cls is latentem.GMMHMM:
        kwargs["n_mix"] = 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        by_keyword = cls(**kwargs).fit(X, lengths=lengths)
        positional = cls(**kwargs).fit(X, lengths)
        one_sequence = cls(**kwargs).fit(X)
        with_y = cls(**kwargs).fit(X, np.arange(40) % 3)
        with_y_and_lengths = cls(**kwargs).fit(X, np.arange(40) % 3, lengths=lengths)
    np.testing.assert_array_equal(positional.transmat_, by_keyword.transmat_)
    np.testing.assert_array_equal(with_y.transmat_, one_sequence.transmat_)
    np.testing.assert_array_equal(with_y_and_lengths.transmat_, by_keyword.transmat_)
    assert not np.array_equal(by_keyword.transmat_, one_sequence.transmat_)
    assert positional.score(X, lengths) == by_keyword.score(X, lengths=lengths)
    assert positional.score(X, np.zeros(40)) == positional.score(X)
    assert positional.score(X, lengths) != positional.score(X)


def test_all_ones_are_read_as_y_with_a_warning_and_lengths_by_keyword_as_lengths():
    X = _data(latentem.GaussianHMM)
    ones = np.ones(40, dtype=int)
    settings = {"n_components": 2, "n_iter": 5, "tol": 0.0, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one_sequence = latentem.GaussianHMM(**settings).fit(X)
        with pytest.warns(UserWarning, match=r"read as scikit-learn's target y.*lengths= by"):
            as_y = latentem.GaussianHMM(**settings).fit(X, ones)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*target y")
            singletons = latentem.GaussianHMM(**settings).fit(X, lengths=ones)
    np.testing.assert_array_equal(as_y.means_, one_sequence.means_)
    # forty sequences of length 1: no transition is ever observed, so transmat_ keeps its start
    assert not np.array_equal(singletons.transmat_, one_sequence.transmat_)
    reference = latentem.GaussianHMM(**{**settings, "n_iter": 0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference.fit(X, lengths=ones)
    np.testing.assert_array_equal(singletons.transmat_, reference.transmat_)
    with pytest.warns(UserWarning, match="read as scikit-learn's target y"):
        assert one_sequence.score(X, ones) == one_sequence.score(X)


@pytest.mark.parametrize(
    ("second", "error", "message"),
    [
        ([0, 40], ValueError, r"lengths must be positive.*lengths\[0\] = 0"),
        ([-5, 45], ValueError, "lengths must be positive"),
        ([10, 10], ValueError, r"lengths must sum to the number of rows of X \(40\)"),
        ([10.5, 29.5], TypeError, "whole numbers"),
        ([[20, 20]], ValueError, "1-D"),
    ],
)
def test_positional_lengths_are_validated_strictly(second, error, message):
    X = _data(latentem.GaussianHMM)
    hmm = latentem.GaussianHMM(2, n_iter=2)
    with pytest.raises(error, match=message):
        hmm.fit(X, second)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        hmm.fit(X)
    with pytest.raises(error, match=message):
        hmm.score(X, second)


def test_lengths_given_twice_is_a_type_error():
    X = _data(latentem.GaussianHMM)
    with pytest.raises(TypeError, match=r"got lengths twice.*pass them once, as lengths="):
        latentem.GaussianHMM(2).fit(X, [20, 20], lengths=[20, 20])


def test_fit_does_not_change_constructor_arguments_or_add_public_attributes():
    X = _data(latentem.CategoricalHMM)
    hmm = latentem.CategoricalHMM(2, n_iter=3, random_state=0)
    params = hmm.get_params()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        hmm.fit(X)
    assert hmm.get_params() == params and hmm.n_features is None
    added = {name for name in vars(hmm) if not name.endswith("_") and not name.startswith("_")}
    assert added == set(params)
    gaussian = latentem.GaussianHMM(2, n_iter=3, random_state=0)
    assert not hasattr(gaussian, "n_features")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gaussian.fit(_data(latentem.GaussianHMM))
    assert gaussian.n_features == gaussian.n_features_in_ == 2
    assert "n_features" not in vars(gaussian)
    assert clone(gaussian).get_params() == gaussian.get_params()


def test_scikit_learn_messages_for_one_sample_negative_counts_and_sparse_input():
    scipy_sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(ValueError, match="X has 1 sample, but initialising the covariances"):
        latentem.GaussianHMM(1).fit(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"non-negative counts.*\(Negative values in data\)"):
        latentem.PoissonHMM(1).fit([[1], [-1]])
    with pytest.raises(TypeError, match="sparse matrix"):
        latentem.PoissonHMM(1).fit(scipy_sparse.csr_matrix(np.ones((3, 2))))
    with pytest.raises(ValueError, match="Reshape your data"):
        latentem.CategoricalHMM(1).fit(np.array([0, 1, 2]))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_class_documents_the_rule_under_compatibility(cls):
    doc = cls.__doc__
    assert ".. rubric:: Compatibility" in doc and "%(" not in doc
    assert "``lengths=`` by keyword always means lengths" in doc
