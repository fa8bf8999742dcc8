"""BIC, AIC and ICL against closed forms and scikit-learn; select_n_components recovers k."""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import latentem
from latentem import GaussianMixture, GaussianMixtureModel, select_n_components

RNG = np.random.default_rng(7)
CENTRES = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
X4 = np.concatenate([RNG.normal(c, 1.0, (75, 2)) for c in CENTRES])


def reference_criteria(model, X):
    """BIC, AIC and mclust's ICL from scipy's densities and the closed-form parameter count."""
    k, d = model.means.shape
    full = model.covariance_type.full_matrices(model.covariances, k, d)
    joint = np.column_stack(
        [
            np.log(model.weights[j]) + stats.multivariate_normal(model.means[j], full[j]).logpdf(X)
            for j in range(k)
        ]
    )
    log_lik = logsumexp(joint, axis=1)
    z = np.exp(joint - log_lik[:, None])
    n_cov = {
        "full": k * d * (d + 1) / 2,
        "diag": k * d,
        "spherical": k,
        "tied": d * (d + 1) / 2,
    }[model.covariance_type.name]
    p = n_cov + k * d + k - 1
    n = X.shape[0]
    bic_mclust = 2 * log_lik.sum() - p * math.log(n)  # mclust's sign: higher is better
    C = np.zeros_like(z)
    C[np.arange(n), z.argmax(axis=1)] = 1
    icl_mclust = bic_mclust + 2 * np.sum(C * np.where(z > 0, np.log(np.where(z > 0, z, 1)), 0))
    return -bic_mclust, -2 * log_lik.sum() + 2 * p, -icl_mclust


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_criteria_match_closed_forms(covariance_type):
    # overlapping components, so the entropy term of ICL is far from zero
    X = X4[:150] * [1.0, 0.3]
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    bic, aic, icl = reference_criteria(gm.model_, X)
    assert gm.bic(X) == pytest.approx(bic, rel=1e-12)
    assert gm.aic(X) == pytest.approx(aic, rel=1e-12)
    assert gm.icl(X) == pytest.approx(icl, rel=1e-12)
    assert gm.icl(X) - gm.bic(X) > 1.0


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "tied"])
def test_bic_and_aic_equal_scikit_learn_at_the_same_parameters(covariance_type):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    ours = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X4)
    peer = SkGaussianMixture(3, covariance_type=covariance_type)
    peer.weights_, peer.means_ = ours.weights_, ours.means_
    peer.covariances_, peer.precisions_cholesky_ = ours.covariances_, ours.precisions_cholesky_
    assert ours.bic(X4) == pytest.approx(peer.bic(X4), rel=1e-12)
    assert ours.aic(X4) == pytest.approx(peer.aic(X4), rel=1e-12)


def test_icl_equals_bic_when_assignments_are_certain():
    model = GaussianMixtureModel([0.5, 0.5], [[-100.0], [100.0]], [[[1.0]], [[1.0]]])
    X = np.array([[-100.5], [-99.0], [100.2], [101.0]])
    assert model.icl(X) == pytest.approx(model.bic(X), rel=1e-15)


@pytest.mark.parametrize("criterion", ["bic", "aic", "icl"])
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_select_recovers_the_true_number_of_components(criterion, covariance_type):
    result = select_n_components(
        X4, range(1, 7), criterion, covariance_type=covariance_type, random_state=0
    )
    assert result.best_n_components == 4
    assert result.best_estimator.n_components == 4
    assert result.candidates.tolist() == list(range(1, 7))
    assert result.scores[criterion][3] == result.scores[criterion].min()
    assert result.best_estimator.bic(X4) == result.scores["bic"][3]


def test_table_holds_every_candidate_and_marks_the_best():
    calls = []
    result = select_n_components(
        X4, [5, 2, 4], "bic", random_state=0, progress=lambda *a: calls.append(a)
    )
    assert calls == [(1, 3, 2), (2, 3, 4), (3, 3, 5)]
    rows = str(result).splitlines()
    assert rows[0].split() == [
        "n_components",
        "log_likelihood",
        "n_parameters",
        "bic",
        "aic",
        "icl",
    ]
    assert [row.split()[0] for row in rows[1:4]] == ["2", "*", "5"]
    assert rows[2].split()[1] == "4"
    assert rows[-1] == "best by bic: 4 components"
    assert result.scores["n_parameters"].tolist() == [11.0, 23.0, 29.0]
    gm4 = result.best_estimator
    assert result.scores["log_likelihood"][1] == pytest.approx(gm4.score(X4) * X4.shape[0])


def test_ties_go_to_fewer_components():
    class Flat(GaussianMixture):
        def bic(self, X):
            return 1.0

    assert select_n_components(X4, [3, 1, 2], estimator=Flat, random_state=0).best_n_components == 1


def test_other_estimators_plug_in():
    class NoICL:
        def __init__(self, n_components):
            self.n_components = n_components

        def fit(self, X):
            return self

        def bic(self, X):
            return (self.n_components - 2) ** 2

    result = select_n_components(X4, range(1, 5), estimator=NoICL)
    assert result.best_n_components == 2
    assert np.isnan(result.scores["icl"]).all()
    with pytest.raises(ValueError, match="NoICL has no icl method"):
        select_n_components(X4, range(1, 5), "icl", estimator=NoICL)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"candidates": []}, ValueError, "at least one"),
        ({"candidates": [0, 1]}, ValueError, "candidates must be at least 1"),
        ({"candidates": [1, 1]}, ValueError, "must not repeat"),
        ({"candidates": [2.5]}, TypeError, "candidates must be an integer"),
        ({"candidates": 3.0}, TypeError, "iterable of ints"),
        ({"candidates": [301]}, ValueError, "only 300 samples"),
        ({"criterion": "BIC"}, ValueError, "criterion must be one of 'bic', 'aic', 'icl'"),
        ({"estimator": 3}, TypeError, "estimator must be a class or callable"),
        ({"progress": 3}, TypeError, "progress must be True, False, None or a callable"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        select_n_components(X4, **{"candidates": [1, 2], **kwargs})


def test_single_candidate_and_estimator_params():
    result = select_n_components(X4, 2, covariance_type="diag", random_state=0)
    assert result.best_estimator.covariance_type == "diag"
    assert result.candidates.tolist() == [2]
    with pytest.raises(ValueError):
        result.scores["bic"][0] = 0.0  # read-only


def test_top_level_names():
    assert latentem.SelectionResult is type(select_n_components(X4, [1], random_state=0))


def test_fit_params_reach_fit_and_the_criteria():
    seen = []

    class Sequences:
        """hmmlearn's conventions: fit(X, lengths), score(X, lengths) is a total."""

        def __init__(self, n_components):
            self.n_components = n_components

        def fit(self, X, lengths=None):
            seen.append(("fit", tuple(lengths)))
            return self

        def bic(self, X, lengths=None):
            seen.append(("bic", tuple(lengths)))
            return abs(self.n_components - 3)

        def score(self, X, lengths=None):
            return -10.0 * self.n_components

    result = select_n_components(
        X4, [2, 3], estimator=Sequences, fit_params={"lengths": [100, 200]}
    )
    assert result.best_n_components == 3
    assert ("fit", (100, 200)) in seen and ("bic", (100, 200)) in seen
    assert result.scores["log_likelihood"].tolist() == [-20.0, -30.0]


def test_mixture_of_any_families_has_icl_and_is_selectable():
    from latentem.distributions import Exponential, Normal

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.exponential(1.0, 300), rng.normal(8.0, 1.0, 200)])[:, None]
    fitted = latentem.EM(tol=1e-8).fit(latentem.Mixture([Exponential(0.5), Normal(5.0, 2.0)]), x)
    model = fitted.model
    joint = model.joint_log_prob(x)
    z = np.exp(joint - np.logaddexp.reduce(joint, axis=1, keepdims=True))
    entropy = -np.log(z.max(axis=1)).sum()
    assert model.icl(x) == pytest.approx(model.bic(x) + 2 * entropy, rel=1e-12)

    def exponentials(n_components):
        class Front:
            def fit(self, X):
                start = latentem.Mixture(
                    [Exponential(r) for r in np.geomspace(0.1, 2, n_components)]
                )
                self.model_ = latentem.EM(tol=1e-8, max_iter=500).fit(start, X).model
                self.n_components = n_components
                return self

            def bic(self, X):
                return self.model_.bic(X)

        return Front()

    result = select_n_components(x[:300], [1, 2, 3], estimator=exponentials)
    assert result.best_n_components == 1  # one exponential is enough for exponential data


def test_select_on_data_with_missing_entries():
    X = X4.copy()
    X[np.random.default_rng(3).random(X.shape) < 0.15] = np.nan
    result = select_n_components(X, range(2, 6), random_state=0)
    assert result.best_n_components == 4
    by_hand = [GaussianMixture(k, random_state=0).fit(X).bic(X) for k in range(2, 6)]
    np.testing.assert_allclose(result.scores["bic"], by_hand, rtol=1e-12)
    with pytest.raises(ValueError, match="X contains NaN"):
        select_n_components(X, [1, 2], estimator=lambda n_components: None)


def _hmm_data(seed=0):
    """Three well separated Gaussian regimes, four sequences of 150 steps."""
    means = np.array([[-6.0, 0.0], [0.0, 6.0], [6.0, 0.0]])
    transmat = np.array([[0.95, 0.03, 0.02], [0.03, 0.94, 0.03], [0.02, 0.03, 0.95]])
    rng = np.random.default_rng(seed)
    pieces, lengths = [], [150, 150, 150, 150]
    for length in lengths:
        state = rng.integers(3)
        path = []
        for _ in range(length):
            path.append(state)
            state = rng.choice(3, p=transmat[state])
        pieces.append(means[path] + rng.normal(size=(length, 2)))
    return np.concatenate(pieces), lengths


@pytest.mark.parametrize("criterion", ["bic", "aic"])
def test_select_recovers_the_number_of_hmm_states(criterion):
    X, lengths = _hmm_data()
    result = select_n_components(
        X,
        range(1, 6),
        criterion,
        estimator=latentem.GaussianHMM,
        fit_params={"lengths": lengths},
        n_iter=100,
        tol=1e-4,
        n_init=2,
        random_state=0,
    )
    assert result.best_n_components == 3
    best = result.best_estimator
    assert isinstance(best, latentem.GaussianHMM) and best.n_components == 3
    # the table holds the HMM's total log-likelihood of the sequences and its BIC
    i = result.best_index
    assert result.scores["log_likelihood"][i] == best.score(X, lengths=lengths)
    k, d = 3, 2
    n_parameters = (k - 1) + k * (k - 1) + k * d + k * d  # start, transitions, means, diag
    assert result.scores["n_parameters"][i] == n_parameters
    expected_bic = -2 * best.score(X, lengths=lengths) + n_parameters * math.log(X.shape[0])
    assert result.scores["bic"][i] == pytest.approx(expected_bic, rel=1e-12)
    assert np.isnan(result.scores["icl"]).all()  # an HMM has no ICL
    with pytest.raises(ValueError, match="GaussianHMM has no icl method"):
        select_n_components(X, [2], "icl", estimator=latentem.GaussianHMM, n_iter=100)


def test_select_chooses_the_imputers_number_of_components_on_data_with_holes():
    X = X4.copy()
    X[np.random.default_rng(4).random(X.shape) < 0.2] = np.nan
    X[np.all(np.isnan(X), axis=1), 0] = 0.0  # keep every row observed somewhere
    result = select_n_components(
        X, range(2, 7), estimator=latentem.EMImputer, random_state=0, tol=1e-6
    )
    assert result.best_n_components == 4
    # the imputer's BIC is that of the observed entries, from scipy's marginal densities
    imputer = latentem.EMImputer(1).fit(X)
    mean, cov = imputer.mean_, imputer.covariance_
    observed = ~np.isnan(X)
    log_lik = sum(
        stats.multivariate_normal(mean[o], cov[np.ix_(o, o)]).logpdf(x[o])
        for x, o in zip(X, observed, strict=True)
    )
    n_parameters = 2 + 3
    assert imputer.bic(X) == pytest.approx(
        -2 * log_lik + n_parameters * math.log(X.shape[0]), rel=1e-10
    )
    assert imputer.aic(X) == pytest.approx(-2 * log_lik + 2 * n_parameters, rel=1e-10)
