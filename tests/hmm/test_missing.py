"""Missing entries (NaN) in Gaussian HMMs, against brute force over every state path.

A NaN marks a missing entry: the emission density of a row is the marginal
density of its observed entries, and a row with nothing observed has density 1
under every state. The references below sum over all ``K ** T`` state paths of
short sequences with scipy's densities of the observed sub-vectors, so they
share nothing with the library's forward-backward, kernels or conditionals.
"""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import latentem
from latentem import ConvergenceWarning
from latentem.distributions import Independent, Normal, Poisson
from latentem.hmm import (
    CategoricalEmissions,
    GaussianEmissions,
    GaussianMixtureEmissions,
    HiddenMarkovModel,
    PoissonEmissions,
    Sequences,
)
from latentem.mixture import COVARIANCE_TYPES, covariance_type
from latentem.testing import assert_monotone
from latentem.testing import strategies as lst

STRUCTURES = list(COVARIANCE_TYPES)
# the structures whose sub-matrices stay in the structure and whose M-step is the linear
# S / n in the structure's layout: the identities of section 4 hold for these (mclust's
# constrained structures share orientations or volumes, which a sub-matrix does not keep)
LINEAR = [name for name in STRUCTURES if name in ("full", "diag", "spherical", "tied")]
D = 3
# several short sequences (the brute force costs K ** T per sequence), one of length 1
LENGTHS = [5, 3, 1, 4, 2]
N_MIX = 2


# -- parameters and data -------------------------------------------------------------------


def random_full(rng, n, d=D):
    """``n`` SPD matrices, well conditioned (eigenvalues of order 1)."""
    a = rng.normal(scale=0.7, size=(n, d, d))
    return a @ np.swapaxes(a, 1, 2) + 0.5 * np.eye(d)


def chain(rng, K):
    startprob = rng.dirichlet(np.ones(K))
    transmat = rng.dirichlet(np.ones(K), size=K)
    if K > 2:  # a structural zero, never on the diagonal
        transmat[0, 1] = 0.0
        transmat[0] /= transmat[0].sum()
    return startprob, transmat


def gaussian_model(structure, K, seed=0):
    """A Gaussian HMM and its (K, D, D) covariance matrices, for the reference."""
    rng = np.random.default_rng(seed)
    shape = covariance_type(structure)
    covariances = shape.from_full_matrices(random_full(rng, K))
    full = shape.full_matrices(covariances, K, D)
    startprob, transmat = chain(rng, K)
    emissions = GaussianEmissions(rng.normal(scale=1.5, size=(K, D)), covariances, structure)
    return HiddenMarkovModel(startprob, transmat, emissions), full


def mixture_model(structure, K, seed=0):
    """A Gaussian-mixture HMM and its (K, N_MIX, D, D) covariance matrices."""
    rng = np.random.default_rng(seed)
    shape = covariance_type(structure)
    covariances = np.stack([shape.from_full_matrices(random_full(rng, N_MIX)) for _ in range(K)])
    full = np.stack([shape.full_matrices(covariances[k], N_MIX, D) for k in range(K)])
    startprob, transmat = chain(rng, K)
    emissions = GaussianMixtureEmissions(
        weights=rng.dirichlet(np.ones(N_MIX), size=K),
        means=rng.normal(scale=1.5, size=(K, N_MIX, D)),
        covariances=covariances,
        covariance_type=structure,
    )
    return HiddenMarkovModel(startprob, transmat, emissions), full


def holed_data(seed=1, lengths=LENGTHS):
    """Data with complete rows, rows missing different entries and rows missing everything."""
    rng = np.random.default_rng(seed)
    n = sum(lengths)
    X = rng.normal(scale=1.5, size=(n, D))
    missing = rng.random((n, D)) < 0.35
    missing[0] = False  # a complete row
    missing[1] = True  # a row with nothing observed, inside a sequence
    missing[np.cumsum(lengths)[1]] = True  # the length-1 sequence: nothing observed at all
    missing[2] = [True, False, False]
    missing[3] = [False, True, True]
    X[missing] = np.nan
    # the data exercise every case the densities distinguish
    counts = missing.sum(axis=1)
    assert (counts == 0).any() and (counts == D).any()
    partial = missing[(counts > 0) & (counts < D)]
    assert len({tuple(row) for row in partial}) >= 3
    return X


# -- the brute-force reference ---------------------------------------------------------------


def gaussian_density(x, mean, covariance):
    """Density of the observed entries of ``x`` (1 if none is observed)."""
    observed = ~np.isnan(x)
    if not observed.any():
        return 1.0
    sub = covariance[np.ix_(observed, observed)]
    return float(stats.multivariate_normal(mean[observed], sub).pdf(x[observed]))


def gaussian_densities(model, full, X):
    means = model.emissions.means
    return np.array([[gaussian_density(x, means[k], full[k]) for k in range(len(full))] for x in X])


def mixture_densities(model, full, X):
    emissions = model.emissions
    K, M = emissions.weights.shape
    return np.array(
        [
            [
                sum(
                    emissions.weights[k, m] * gaussian_density(x, emissions.means[k, m], full[k, m])
                    for m in range(M)
                )
                for k in range(K)
            ]
            for x in X
        ]
    )


def enumerate_paths(startprob, transmat, densities):
    """Every path of one sequence: (paths, p(x, path)), by explicit products."""
    T, K = densities.shape
    paths = np.array(list(itertools.product(range(K), repeat=T)))
    joint = startprob[paths[:, 0]] * densities[0, paths[:, 0]]
    for t in range(1, T):
        joint = joint * transmat[paths[:, t - 1], paths[:, t]] * densities[t, paths[:, t]]
    return paths, joint


def brute_force(model, densities, lengths):
    """Per sequence ``log p(x)``, the posterior marginals, and the best path with its log p."""
    K = model.n_states
    scores, posteriors, best_paths, best_scores = [], [], [], []
    for rows in np.split(np.arange(sum(lengths)), np.cumsum(lengths)[:-1]):
        paths, joint = enumerate_paths(model.startprob, model.transmat, densities[rows])
        total = joint.sum()
        scores.append(np.log(total))
        marginals = np.zeros((len(rows), K))
        for t in range(len(rows)):
            np.add.at(marginals[t], paths[:, t], joint)
        posteriors.append(marginals / total)
        best_paths.append(paths[np.argmax(joint)])
        best_scores.append(np.log(joint.max()))
    return (
        np.array(scores),
        np.concatenate(posteriors),
        np.concatenate(best_paths),
        float(np.sum(best_scores)),
    )


def check_against_brute_force(model, densities, X):
    data = Sequences(X, LENGTHS)
    scores, posteriors, best_path, best_score = brute_force(model, densities, LENGTHS)
    np.testing.assert_allclose(model.score_sequences(data), scores, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.log_likelihood(data), scores.sum(), rtol=1e-10)
    np.testing.assert_allclose(model.predict_proba(data), posteriors, rtol=1e-9, atol=1e-12)
    log_prob, states = model.decode(data)
    np.testing.assert_array_equal(states, best_path)
    np.testing.assert_allclose(log_prob, best_score, rtol=1e-10)
    np.testing.assert_array_equal(model.predict(data, "map"), posteriors.argmax(axis=1))
    return posteriors


# -- 1 and 2: likelihood, posteriors and decoding equal the brute force ----------------------


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("structure", STRUCTURES)
def test_gaussian_emissions_match_the_sum_over_all_paths(structure, K):
    model, full = gaussian_model(structure, K)
    X = holed_data()
    check_against_brute_force(model, gaussian_densities(model, full, X), X)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("structure", STRUCTURES)
def test_gaussian_mixture_emissions_match_the_sum_over_all_paths(structure, K):
    model, full = mixture_model(structure, K)
    X = holed_data()
    check_against_brute_force(model, mixture_densities(model, full, X), X)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_front_classes_give_the_brute_force_posteriors(structure):
    K = 3
    X = holed_data()
    model, full = gaussian_model(structure, K)
    front = latentem.GaussianHMM(K, covariance_type=structure)
    front.startprob_, front.transmat_ = model.startprob, model.transmat
    front.means_, front.covars_ = model.emissions.means, model.emissions.covariances
    scores, posteriors, best_path, _ = brute_force(
        model, gaussian_densities(model, full, X), LENGTHS
    )
    np.testing.assert_allclose(front.predict_proba(X, LENGTHS), posteriors, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(front.score(X, LENGTHS), scores.sum(), rtol=1e-10)
    np.testing.assert_array_equal(front.predict(X, LENGTHS), best_path)

    model, full = mixture_model(structure, K)
    front = latentem.GMMHMM(K, n_mix=N_MIX, covariance_type=structure)
    front.startprob_, front.transmat_ = model.startprob, model.transmat
    front.weights_, front.means_ = model.emissions.weights, model.emissions.means
    front.covars_ = model.emissions.covariances
    scores, posteriors, best_path, _ = brute_force(
        model, mixture_densities(model, full, X), LENGTHS
    )
    np.testing.assert_allclose(front.predict_proba(X, LENGTHS), posteriors, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(front.score(X, LENGTHS), scores.sum(), rtol=1e-10)
    np.testing.assert_array_equal(front.predict(X, LENGTHS), best_path)


# -- 4: exact identities of the marginal density ----------------------------------------------


@pytest.mark.parametrize("structure", LINEAR)
def test_a_never_observed_feature_is_the_model_without_it(structure):
    """Marginalising a Gaussian drops the rows and columns of the feature: exact for every
    structure, whose sub-matrices stay in the structure."""
    K, dropped = 3, 1
    keep = np.array([j for j in range(D) if j != dropped])
    model, full = gaussian_model(structure, K, seed=3)
    rng = np.random.default_rng(4)
    lengths = [30, 1, 12]
    X = model.sample(sum(lengths), random_state=5)[0]
    X[rng.random(X.shape) < 0.2] = np.nan  # other holes too
    X[:, dropped] = np.nan
    shape = covariance_type(structure)
    sub = full[:, keep][:, :, keep]
    covariances = shape.from_full_matrices(sub)
    np.testing.assert_allclose(shape.full_matrices(covariances, K, D - 1), sub, rtol=1e-14)
    reduced = HiddenMarkovModel(
        model.startprob,
        model.transmat,
        GaussianEmissions(model.emissions.means[:, keep], covariances, structure),
    )
    data, reduced_data = Sequences(X, lengths), Sequences(X[:, keep], lengths)

    np.testing.assert_allclose(
        model.score_sequences(data), reduced.score_sequences(reduced_data), rtol=1e-12
    )
    np.testing.assert_allclose(
        model.predict_proba(data), reduced.predict_proba(reduced_data), rtol=1e-10, atol=1e-13
    )
    np.testing.assert_array_equal(model.predict(data), reduced.predict(reduced_data))
    # one Baum-Welch step: same posteriors, so the same chain and means of the kept features
    # (their conditional expectations given the observed entries do not involve the dropped one)
    step = model.m_step(model.e_step(data))
    reduced_step = reduced.m_step(reduced.e_step(reduced_data))
    np.testing.assert_allclose(step.startprob, reduced_step.startprob, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(step.transmat, reduced_step.transmat, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        step.emissions.means[:, keep], reduced_step.emissions.means, rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("structure", STRUCTURES)
def test_unobserved_steps_at_the_ends_only_move_the_chain(structure):
    """``a`` unobserved steps first make the start distribution ``startprob A^a``;
    unobserved steps last change nothing (every row of ``A`` sums to 1)."""
    model, _ = gaussian_model(structure, 3, seed=6)
    X = model.sample(6, random_state=7)[0]
    X[2, 0] = np.nan
    before, after = 2, 3
    padded = np.concatenate([np.full((before, D), np.nan), X, np.full((after, D), np.nan)])
    moved = HiddenMarkovModel(
        model.startprob @ np.linalg.matrix_power(model.transmat, before),
        model.transmat,
        model.emissions,
    )
    np.testing.assert_allclose(model.log_likelihood(padded), moved.log_likelihood(X), rtol=1e-12)
    np.testing.assert_allclose(
        model.predict_proba(padded)[before : before + len(X)],
        moved.predict_proba(X),
        rtol=1e-10,
        atol=1e-13,
    )


# -- the M-step's statistics: Fisher's identity ---------------------------------------------


def central_difference(f, h=1e-5):
    return (f(h) - f(-h)) / (2 * h)


@pytest.mark.parametrize("structure", LINEAR)
def test_one_step_moves_along_the_gradient_of_the_observed_data_likelihood(structure):
    """At any parameters the gradient of ``log p(x_observed)`` is that of the expected
    complete-data log-likelihood (missing entries and states latent). For the means that is
    ``Sigma_k^-1 n_k (mu_new_k - mu_k)``, with ``mu_new`` the update with covariances kept;
    along ``Delta = Sigma_new - Sigma``, the update with means kept (in the structure's own
    linear layout), the derivative is ``sum_k n_k tr((Sigma_k^-1 Delta_k)^2) / 2``. Wrong
    conditional expectations or scatters of the holed rows break these identities even where
    they happen not to decrease the likelihood."""
    K = 2
    model, full = gaussian_model(structure, K, seed=12)
    lengths = [20, 1, 15]
    X = holed_data(seed=13, lengths=lengths)
    data = Sequences(X, lengths)
    emissions = model.emissions
    observed_rows = ~np.isnan(X).all(axis=1)  # rows with nothing observed carry no statistics
    counts = model.predict_proba(data)[observed_rows].sum(axis=0)

    def log_likelihood(means, covariances):
        changed = GaussianEmissions(means, covariances, structure)
        return HiddenMarkovModel(model.startprob, model.transmat, changed).log_likelihood(data)

    def updated(fixed):
        kept = GaussianEmissions(emissions.means, emissions.covariances, structure, fixed=fixed)
        changed = HiddenMarkovModel(model.startprob, model.transmat, kept)
        return changed.m_step(changed.e_step(data)).emissions

    new_means = updated({"covariances"}).means
    expected = np.stack(
        [
            np.linalg.solve(full[k], counts[k] * (new_means[k] - emissions.means[k]))
            for k in range(K)
        ]
    )
    numeric = np.zeros((K, D))
    for k, j in itertools.product(range(K), range(D)):
        step = np.zeros((K, D))
        step[k, j] = 1.0
        numeric[k, j] = central_difference(
            lambda h, step=step: log_likelihood(emissions.means + h * step, emissions.covariances)
        )
    assert np.abs(expected).max() > 1.0  # the update moves: the identity is not 0 = 0
    np.testing.assert_allclose(numeric, expected, rtol=1e-7, atol=1e-8 * np.abs(expected).max())

    new_covariances = updated({"means"}).covariances
    delta = new_covariances - emissions.covariances
    delta_full = covariance_type(structure).full_matrices(delta, K, D)
    expected = 0.5 * sum(
        counts[k] * np.trace(np.linalg.matrix_power(np.linalg.solve(full[k], delta_full[k]), 2))
        for k in range(K)
    )
    numeric = central_difference(
        lambda h: log_likelihood(emissions.means, emissions.covariances + h * delta)
    )
    assert expected > 1.0
    np.testing.assert_allclose(numeric, expected, rtol=1e-7)


# -- 3: Baum-Welch never decreases the objective with NaN -------------------------------------


@st.composite
def problems_with_holes(draw):
    """A start, and holed sequences drawn from another HMM of the same shape."""
    K, d = draw(st.integers(1, 3)), draw(st.integers(2, 3))  # one feature: no partial rows
    structure = draw(st.sampled_from(STRUCTURES))

    def models():
        return lst.hmm_models(
            n_states=st.just(K),
            n_features=st.just(d),
            emissions=("gaussian",),
            covariance_types=(structure,),
        )

    truth, start = draw(models()), draw(models())
    lengths = [draw(st.integers(8, 30)), *draw(st.lists(st.integers(1, 8), max_size=2))]
    seed = draw(lst.seeds())
    X = np.concatenate([truth.sample(n, random_state=seed + i)[0] for i, n in enumerate(lengths)])
    # holes in every example (lst.missing_masks may draw none), sometimes whole rows
    rng = np.random.default_rng(draw(lst.seeds()))
    X[rng.random(X.shape) < draw(st.floats(0.1, 0.5))] = np.nan
    X[rng.integers(len(X))] = np.nan
    return start, Sequences(X, lengths)


@given(problems_with_holes())
def test_baum_welch_never_decreases_the_objective_with_missing_entries(problem):
    start, data = problem
    assert_monotone(start, data, n_iter=8)


@pytest.mark.parametrize("centre_on_previous_means", [False, True])
@pytest.mark.parametrize("structure", STRUCTURES)
def test_gaussian_mixture_emissions_never_decrease_the_objective(
    structure, centre_on_previous_means
):
    model, _ = mixture_model(structure, 2, seed=8)
    model = HiddenMarkovModel(
        model.startprob,
        model.transmat,
        GaussianMixtureEmissions(
            model.emissions.weights,
            model.emissions.means,
            model.emissions.covariances,
            structure,
            centre_on_previous_means=centre_on_previous_means,
        ),
    )
    lengths = [40, 1, 25]
    X = model.sample(sum(lengths), random_state=9)[0]
    X[np.random.default_rng(10).random(X.shape) < 0.3] = np.nan
    X[[5, 40]] = np.nan
    assert_monotone(model, Sequences(X, lengths), n_iter=15)


# -- 5: the front class fits, scores and decodes data with NaN ---------------------------------


def front_data(seed=11):
    rng = np.random.default_rng(seed)
    lengths = [60, 1, 45, 30]
    states = rng.integers(0, 2, size=sum(lengths))
    X = np.array([[-2.0, 0.0, 1.0], [2.0, 1.0, -1.0]])[states] + rng.normal(size=(len(states), D))
    X[rng.random(X.shape) < 0.25] = np.nan
    X[[3, 60, 70]] = np.nan  # nothing observed (row 60 is the length-1 sequence)
    return X, lengths


@pytest.mark.parametrize("structure", STRUCTURES)
def test_gaussian_hmm_fits_scores_and_decodes_rows_with_nan(structure):
    X, lengths = front_data()
    # maximum likelihood (no covariance prior): the log-likelihood itself is what Baum-Welch
    # never decreases; with a prior only log-likelihood + log-prior is monotone
    hmm = latentem.GaussianHMM(
        2, covariance_type=structure, covars_prior=0.0, n_iter=40, tol=1e-8, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        hmm.fit(X, lengths)
    history = np.asarray(hmm.monitor_.history)
    assert history.size >= 3 and np.all(np.isfinite(history))
    drops = history[:-1] - history[1:]
    assert np.all(drops <= 1e-9 * np.abs(history[1:])), history
    score = hmm.score(X, lengths)
    # the fitted model is one more Baum-Welch step past the last recorded log-likelihood
    assert np.isfinite(score) and score >= history[-1] - 1e-9 * abs(history[-1])
    log_prob, states = hmm.decode(X, lengths)
    assert states.shape == (len(X),) and set(states.tolist()) <= {0, 1}
    assert log_prob <= score  # one path is at most all of them
    np.testing.assert_array_equal(hmm.predict(X, lengths), states)
    posteriors = hmm.predict_proba(X, lengths)
    np.testing.assert_allclose(posteriors.sum(axis=1), 1.0, rtol=1e-12)
    map_log_prob, map_states = hmm.decode(X, lengths, algorithm="map")
    np.testing.assert_array_equal(map_states, posteriors.argmax(axis=1))
    assert map_log_prob <= 0.0
    # the two states are found despite the holes (the data are well separated)
    assert np.abs(np.diff(hmm.means_[:, 0])) > 2.0


@pytest.mark.parametrize("structure", STRUCTURES)
def test_gmm_hmm_fits_and_decodes_rows_with_nan(structure):
    X, lengths = front_data()
    hmm = latentem.GMMHMM(2, n_mix=N_MIX, covariance_type=structure, n_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        hmm.fit(X, lengths)
    assert np.all(np.isfinite(hmm.monitor_.history))
    assert np.isfinite(hmm.score(X, lengths))
    assert hmm.predict(X, lengths).shape == (len(X),)


@pytest.mark.parametrize("front", [latentem.GaussianHMM, latentem.GMMHMM])
def test_a_never_observed_column_is_rejected_by_fit_with_the_fix(front):
    X, lengths = front_data()
    X[:, 1] = np.nan
    message = (
        r"X has 1 feature with no observed value \(column 1\); its mean and variance cannot be "
        r"estimated\. Drop it"
    )
    with pytest.raises(ValueError, match=message):
        front(2, covariance_type=STRUCTURES[0]).fit(X, lengths)
    X[:, 2] = np.nan
    with pytest.raises(ValueError, match=r"2 features with no observed value \(columns 1, 2\)"):
        front(2, covariance_type=STRUCTURES[0]).fit(X, lengths)
    with pytest.raises(ValueError, match="no observed entry at all"):
        front(2).fit(np.full_like(X, np.nan), lengths)


@pytest.mark.parametrize("infinity", [np.inf, -np.inf])
def test_infinity_is_still_rejected(infinity):
    X, lengths = front_data()
    bad = X.copy()
    bad[7, 2] = infinity
    with pytest.raises(ValueError, match=r"X contains infinity \(1 entries, first at index"):
        latentem.GaussianHMM(2).fit(bad, lengths)
    with pytest.raises(ValueError, match="X contains infinity"):
        latentem.GMMHMM(2).fit(bad, lengths)
    fitted = latentem.GaussianHMM(2, n_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X, lengths)
    for use in (fitted.score, fitted.predict, fitted.predict_proba, fitted.decode):
        with pytest.raises(ValueError, match="X contains infinity"):
            use(bad, lengths)
    with pytest.raises(ValueError, match="X contains infinity"):
        fitted.model_.log_likelihood(Sequences(bad, lengths))


# -- 6: every emission family: a missing entry drops out of the likelihood ------------------


def discrete_data(rng, n, columns, high):
    """Whole numbers with holes: complete rows, partial rows and a row with nothing observed."""
    X = rng.integers(0, high, size=(n, columns)).astype(float)
    missing = rng.random(X.shape) < 0.3
    missing[0] = False
    missing[1] = True
    missing[2, 0] = True
    missing[2, 1:] = False
    X[missing] = np.nan
    return X


def product_densities(X, per_entry):
    """``prod_j`` over the observed entries of ``per_entry(j, value)`` (K,), per row: (n, K)."""
    rows = []
    for x in X:
        density = 1.0
        for j, value in enumerate(x):
            if not np.isnan(value):
                density = density * per_entry(j, value)
        rows.append(np.broadcast_to(density, per_entry(0, 0.0).shape))
    return np.array(rows)


def categorical_case(K, seed=0):
    rng = np.random.default_rng(seed)
    probabilities = rng.dirichlet(np.ones(4), size=(K, 2))
    startprob, transmat = chain(rng, K)
    model = HiddenMarkovModel(startprob, transmat, CategoricalEmissions(probabilities))
    X = discrete_data(rng, sum(LENGTHS), 2, 4)
    return model, X, product_densities(X, lambda j, v: probabilities[:, j, int(v)])


def poisson_case(K, seed=0):
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.5, 6.0, size=(K, 3))
    startprob, transmat = chain(rng, K)
    model = HiddenMarkovModel(startprob, transmat, PoissonEmissions(rates))
    X = discrete_data(rng, sum(LENGTHS), 3, 8)
    return model, X, product_densities(X, lambda j, v: stats.poisson.pmf(v, rates[:, j]))


def independent_case(K, seed=0):
    """Any families: one Independent([Normal, Poisson]) per state."""
    rng = np.random.default_rng(seed)
    locs, scales = rng.normal(size=K), rng.uniform(0.5, 2.0, size=K)
    rates = rng.uniform(0.5, 6.0, size=K)
    states = [Independent([Normal(locs[k], scales[k]), Poisson(rates[k])]) for k in range(K)]
    startprob, transmat = chain(rng, K)
    model = HiddenMarkovModel(startprob, transmat, states)
    X = discrete_data(rng, sum(LENGTHS), 2, 8)
    X[:, 0] += rng.normal(size=len(X))

    def per_entry(j, value):
        if j == 0:
            return stats.norm.pdf(value, locs, scales)
        return stats.poisson.pmf(value, rates)

    return model, X, product_densities(X, per_entry)


FAMILIES = {"categorical": categorical_case, "poisson": poisson_case, "any": independent_case}


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_matches_the_sum_over_all_paths(family, K):
    model, X, densities = FAMILIES[family](K)
    check_against_brute_force(model, densities, X)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_m_step_counts_only_the_observed_entries(family):
    model, X, densities = FAMILIES[family](2)
    posteriors = brute_force(model, densities, LENGTHS)[1]
    fitted = model.m_step(model.e_step(Sequences(X, LENGTHS))).emissions
    observed = ~np.isnan(X)
    filled = np.where(observed, X, 0.0)
    # the maximiser from the brute-force posteriors, entry by entry (explicit sums)
    if family == "poisson":
        expected = (posteriors.T @ filled) / (posteriors.T @ observed)
        np.testing.assert_allclose(fitted.rates, expected, rtol=1e-9)
    elif family == "categorical":
        for k in range(2):
            for c in range(2):
                counts = np.array(
                    [posteriors[observed[:, c] & (filled[:, c] == s), k].sum() for s in range(4)]
                )
                np.testing.assert_allclose(
                    fitted.probabilities[k, c], counts / counts.sum(), rtol=1e-9
                )
    else:
        for k, state in enumerate(fitted.components):
            normal, poisson = state.parts
            w = posteriors[:, k] * observed[:, 0]
            np.testing.assert_allclose(normal.loc, w @ filled[:, 0] / w.sum(), rtol=1e-9)
            w = posteriors[:, k] * observed[:, 1]
            np.testing.assert_allclose(poisson.rate, w @ filled[:, 1] / w.sum(), rtol=1e-9)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_never_decreases_the_objective_with_missing_entries(family):
    model, X, _ = FAMILIES[family](3, seed=4)
    assert_monotone(model, Sequences(X, LENGTHS), n_iter=15)


def test_a_family_that_cannot_drop_one_entry_says_what_to_do():
    from latentem.distributions import MultivariateNormal

    states = [MultivariateNormal(np.zeros(2), np.eye(2)), MultivariateNormal(np.ones(2), np.eye(2))]
    model = HiddenMarkovModel([0.5, 0.5], [[0.9, 0.1], [0.1, 0.9]], states)
    X = np.array([[0.0, 1.0], [np.nan, np.nan], [0.5, 0.2]])
    # a row with nothing observed drops out, whatever the family: density 1 in every state
    densities = np.array(
        [[stats.multivariate_normal(s.mean, s.cov).pdf(x) for s in states] for x in X]
    )
    densities[1] = 1.0
    _, joint = enumerate_paths(model.startprob, model.transmat, densities)
    assert model.log_likelihood(X) == pytest.approx(np.log(joint.sum()), rel=1e-12)
    with pytest.raises(ValueError, match=r"row 1 beside observed.*Independent"):
        model.log_likelihood(np.array([[0.0, 1.0], [np.nan, 2.0]]))


@pytest.mark.parametrize(
    ("estimator", "X"),
    [
        (latentem.CategoricalHMM(2, random_state=0, n_iter=5), [[0], [1], [np.nan], [2], [1]]),
        (latentem.PoissonHMM(2, random_state=0, n_iter=5), [[0, 3], [1, np.nan], [np.nan] * 2]),
    ],
)
def test_the_discrete_front_classes_fit_score_and_decode_missing_entries(estimator, X):
    X = np.array(X, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X)
    model = estimator.model_
    data = Sequences(X, [len(X)])
    assert estimator.score(X) == pytest.approx(model.log_likelihood(data), rel=1e-12)
    np.testing.assert_allclose(estimator.predict_proba(X), model.predict_proba(data))
    np.testing.assert_array_equal(estimator.predict(X), model.predict(data))
    # a row with nothing observed drops out: scoring it alone gives log 1 = 0
    assert estimator.score(np.full((1, X.shape[1]), np.nan)) == 0.0


@st.composite
def discrete_problems_with_holes(draw):
    """A categorical or Poisson start, and holed sequences drawn from another such HMM."""
    family = draw(st.sampled_from(("categorical", "poisson")))
    K, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))

    def models():
        return lst.hmm_models(n_states=st.just(K), n_features=st.just(d), emissions=(family,))

    truth, start = draw(models()), draw(models())
    lengths = [draw(st.integers(8, 30)), *draw(st.lists(st.integers(1, 8), max_size=2))]
    seed = draw(lst.seeds())
    X = np.concatenate(
        [truth.sample(n, random_state=seed + i)[0] for i, n in enumerate(lengths)]
    ).astype(float)
    rng = np.random.default_rng(draw(lst.seeds()))
    X[rng.random(X.shape) < draw(st.floats(0.1, 0.5))] = np.nan
    X[rng.integers(len(X))] = np.nan
    return start, Sequences(X, lengths)


@given(discrete_problems_with_holes())
def test_discrete_baum_welch_never_decreases_the_objective_with_missing_entries(problem):
    start, data = problem
    assert_monotone(start, data, n_iter=8)
