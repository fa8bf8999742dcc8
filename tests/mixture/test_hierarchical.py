"""mclust's hierarchical start: its partitions exactly, and default-start fits ending at its.

On the five data sets of ``tests/fixtures/mclust`` (faithful, iris, diabetes, banknote,
thyroid): the partitions for k = 1..9 are mclust's on all five; from them 130 of the 140
``Mclust(X, G, modelName)`` fits for k = 2, 3 (all but VVE, see test_mclust.py) end at
mclust's log-likelihood within 1e-10 and its BIC within 1e-9 (relative; measured by
``python scripts/mclust_agreement.py --defaults``); ``select_model`` picks mclust's
structure and k on all five, with its BIC except where that is a VVE fit (banknote).
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import latentem
from latentem.mixture import covariance_type
from latentem.mixture.hierarchical import HC_MAX_ROWS, hierarchical_partitions
from tests.mixture.covariance.test_mclust import BETTER_THAN_MCLUST, LOWER_THAN_MCLUST

FIXTURES = Path(__file__).parents[1] / "fixtures" / "mclust"
REFERENCE = json.loads((FIXTURES / "fits.json").read_text())
DATA = [choice["data"] for choice in REFERENCE["choices"]]


def _data(name):
    return np.loadtxt(FIXTURES / f"{name}.csv", delimiter=",", skiprows=1)


def _same_partition(ours, theirs):
    """Equal up to the numbering of the clusters: the pairs of labels are a bijection."""
    pairs = set(zip(ours.tolist(), theirs.tolist(), strict=True))
    return len(pairs) == len(set(ours.tolist())) == len(set(theirs.tolist()))


@pytest.mark.parametrize("name", DATA)
def test_the_partitions_are_mclusts_for_every_k(name):
    theirs = np.loadtxt(FIXTURES / f"{name}-hc.csv", delimiter=",", dtype=int)
    ours = hierarchical_partitions(_data(name), range(1, 10))
    for k in range(1, 10):
        assert _same_partition(ours[k], theirs[:, k - 1]), k
        assert sorted(set(ours[k].tolist())) == list(range(k))


DEFAULTS = [fit for fit in REFERENCE["defaults"] if fit["k"] in (2, 3)]


def fit_from_mclusts_default_start(fit):
    """The data and latentem's fit from mclust's hierarchical start (scripts use it too)."""
    X = _data(fit["data"])
    gm = latentem.GaussianMixture(
        fit["k"],
        covariance_type=fit["model"],
        init_params="hc",
        reg_covar=0.0,
        tol=1e-13,
        max_iter=100_000,
    )
    return X, gm.fit(X)


@pytest.mark.parametrize("fit", DEFAULTS, ids=lambda f: f"{f['data']}-{f['k']}-{f['model']}")
def test_a_default_start_fit_ends_where_mclusts_mclust_ends(fit):
    X, gm = fit_from_mclusts_default_start(fit)
    log_likelihood = gm.score(X) * len(X)
    case = f"{fit['data']}-{fit['k']}-{fit['model']}"
    if case in LOWER_THAN_MCLUST:  # the start partition's hill, below mclust's (test_mclust.py)
        assert log_likelihood == pytest.approx(LOWER_THAN_MCLUST[case][0], rel=1e-9)
        assert log_likelihood < fit["loglik"]
    elif fit["model"] in BETTER_THAN_MCLUST:  # latentem's VVE M-step ends higher
        assert log_likelihood > fit["loglik"]
    else:
        assert log_likelihood == pytest.approx(fit["loglik"], rel=1e-7)
        assert gm.bic(X) == pytest.approx(-fit["bic"], rel=1e-7)  # mclust's BIC is -BIC


@pytest.mark.parametrize("choice", REFERENCE["choices"], ids=lambda c: c["data"])
def test_select_model_picks_mclusts_structure_and_k(choice):
    X = _data(choice["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = latentem.select_model(
            X, range(1, 10), "all", init_params="hc", reg_covar=0.0, tol=1e-8
        )
    best = result.best_estimator
    assert best.n_components == choice["k"]
    assert covariance_type(best.covariance_type) == covariance_type(choice["model"])
    if choice["model"] in BETTER_THAN_MCLUST:  # banknote: VVE, 3, latentem's fit higher
        assert best.bic(X) < -choice["bic"]
    else:
        assert best.bic(X) == pytest.approx(-choice["bic"], rel=1e-7)


def test_above_the_row_limit_a_subset_is_clustered_and_every_row_labelled():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (1300, 2)), rng.normal(8, 1, (1300, 2))])
    labels = hierarchical_partitions(X, [2], random_state=np.random.default_rng(1))[2]
    assert X.shape[0] > HC_MAX_ROWS and labels.shape == (X.shape[0],)
    truth = np.repeat([0, 1], 1300)
    assert _same_partition(labels, truth)
