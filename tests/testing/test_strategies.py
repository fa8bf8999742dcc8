"""The strategies for families and mixtures draw valid, usable models."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from latentem import Mixture
from latentem.distributions import Distribution
from latentem.testing import strategies as lst


@settings(max_examples=30)
@given(support=st.sampled_from(sorted(lst.SUPPORTS)), data=st.data())
def test_families_of_one_support_accept_each_others_samples(support, data):
    size = st.just(3)
    first = data.draw(lst.distributions(support, size))
    second = data.draw(lst.distributions(support, size))
    assert isinstance(first, Distribution) and first.n_features == second.n_features
    x = first.sample(50, np.random.default_rng(data.draw(lst.seeds())))
    second.check_data(x)
    assert np.all(np.isfinite(second.log_prob(x)))


@settings(max_examples=30)
@given(lst.mixture_data())
def test_mixture_data_come_from_the_mixture(problem):
    mixture, x = problem
    assert isinstance(mixture, Mixture)
    assert x.shape[1] == mixture.n_features
    assert np.all(np.isfinite(mixture.score_samples(x)))


@settings(max_examples=20)
@given(lst.mixture_problems(n_components=st.just(2)))
def test_mixture_problems_pair_a_start_with_data_it_accepts(problem):
    start, x = problem
    assert len(start) == 2
    assert np.isfinite(start.log_likelihood(x))
