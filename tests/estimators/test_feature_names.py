"""Column names end to end, from the user's side: pandas DataFrames (and Series for HMMs)
in every front class, scikit-learn's rules and messages, pd.NA, and EMImputer's output."""

import warnings

import numpy as np
import pytest

import latentem
from latentem import (
    GMMHMM,
    CategoricalHMM,
    EMImputer,
    GaussianHMM,
    GaussianMixture,
    PoissonHMM,
)

pd = pytest.importorskip("pandas")

ORDER_MESSAGE = (
    "The feature names should match those that were passed during fit.\n"
    "Feature names must be in the same order as they were in fit.\n"
)


def _faithful(n=120, seed=1):
    """Old Faithful-like eruptions and waiting times, two groups."""
    rng = np.random.default_rng(seed)
    short = np.column_stack([rng.normal(2.0, 0.3, n // 3), rng.normal(54.0, 6.0, n // 3)])
    rest = n - n // 3
    long = np.column_stack([rng.normal(4.3, 0.4, rest), rng.normal(80.0, 6.0, rest)])
    return np.concatenate([short, long])[rng.permutation(n)]


def _data(cls, n=60, seed=0):
    """Data each front class accepts: two named columns' worth of values."""
    rng = np.random.default_rng(seed)
    if cls is CategoricalHMM:
        return rng.integers(0, 3, size=(n, 1)).astype(float), ["symbol"]
    if cls is PoissonHMM:
        return rng.poisson([2.0, 7.0], size=(n, 2)).astype(float), ["calls", "visits"]
    return _faithful(n, seed), ["eruptions", "waiting"]


def _estimator(cls):
    if cls is EMImputer:
        return EMImputer(random_state=0)
    if cls is GaussianMixture:
        return GaussianMixture(2, random_state=0)
    if cls is GMMHMM:
        return GMMHMM(2, n_mix=1, random_state=0, n_iter=5)
    return cls(2, random_state=0, n_iter=5)


def _use(estimator, X):
    """What each class does with data after fitting."""
    if isinstance(estimator, EMImputer):
        return estimator.transform(X)
    return estimator.predict(X)


FRONT_CLASSES = [GaussianMixture, EMImputer, GaussianHMM, GMMHMM, CategoricalHMM, PoissonHMM]


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", latentem.ConvergenceWarning)
        yield


@pytest.mark.parametrize("cls", FRONT_CLASSES, ids=lambda c: c.__name__)
def test_a_dataframe_gives_names_and_the_same_fit_bit_for_bit(cls):
    values, names = _data(cls)
    frame = pd.DataFrame(values, columns=names)
    named, plain = _estimator(cls).fit(frame), _estimator(cls).fit(values)
    assert named.feature_names_in_.dtype == object
    assert named.feature_names_in_.tolist() == names
    assert named.n_features_in_ == len(names)
    assert not hasattr(plain, "feature_names_in_")
    assert np.asarray(_use(named, frame)).tobytes() == _use(plain, values).tobytes()
    for name in ("means_", "covariances_", "transmat_", "emissionprob_", "lambdas_"):
        if hasattr(plain, name):
            assert getattr(named, name).tobytes() == getattr(plain, name).tobytes(), name


@pytest.mark.parametrize("cls", [c for c in FRONT_CLASSES if c is not CategoricalHMM])
def test_swapped_columns_are_refused_in_scikit_learns_words(cls):
    values, names = _data(cls)
    fitted = _estimator(cls).fit(pd.DataFrame(values, columns=names))
    swapped = pd.DataFrame(values, columns=names)[names[::-1]]
    with pytest.raises(ValueError) as error:
        _use(fitted, swapped)
    assert str(error.value).startswith(ORDER_MESSAGE)
    assert "X[estimator.feature_names_in_]" in str(error.value)  # and how to fix it
    # the fix given works
    assert np.array_equal(
        np.asarray(_use(fitted, swapped[fitted.feature_names_in_])),
        np.asarray(_use(fitted, pd.DataFrame(values, columns=names))),
    )


@pytest.mark.parametrize("cls", FRONT_CLASSES, ids=lambda c: c.__name__)
def test_names_on_one_side_only_warn_as_scikit_learn(cls):
    values, names = _data(cls)
    named = _estimator(cls).fit(pd.DataFrame(values, columns=names))
    with pytest.warns(UserWarning) as record:
        _use(named, values)
    message = (
        f"X does not have valid feature names, but {cls.__name__} was fitted with feature names"
    )
    assert [str(w.message) for w in record if "feature names" in str(w.message)] == [message]
    assert record[0].filename == __file__  # the warning points at the user's line
    plain = _estimator(cls).fit(values)
    with pytest.warns(UserWarning, match=f"X has feature names, but {cls.__name__} was fitted "):
        _use(plain, pd.DataFrame(values, columns=names))
    # refitting on an array forgets the names, as scikit-learn's fit does
    named.fit(values)
    assert not hasattr(named, "feature_names_in_")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        _use(named, values)


def test_messages_are_scikit_learns_for_other_and_missing_names():
    sklearn_mixture = pytest.importorskip("sklearn.mixture")
    values = _faithful()
    fitted_on = pd.DataFrame(values, columns=["eruptions", "waiting"])
    ours = GaussianMixture(2, random_state=0).fit(fitted_on)
    theirs = sklearn_mixture.GaussianMixture(2, random_state=0).fit(fitted_on)
    for columns in (["eruptions", "wait"], ["a", "b"]):
        other = pd.DataFrame(values, columns=columns)
        with pytest.raises(ValueError) as mine:
            ours.predict(other)
        with pytest.raises(ValueError) as reference:
            theirs.predict(other)
        assert str(mine.value) == str(reference.value)
    wider = pd.DataFrame(np.column_stack([values, values[:, 0]]), columns=list("abcdefg"[:3]))
    with pytest.raises(ValueError) as mine:
        ours.score_samples(wider)
    assert "Feature names unseen at fit time:\n- a\n- b\n- c\n" in str(mine.value)
    # the warnings too, with the class's name
    with pytest.warns(UserWarning) as record:
        ours.predict(values)
        theirs.predict(values)
    assert str(record[0].message) == str(record[1].message)


def test_mixed_and_integer_column_names():
    values = _faithful()
    mixed = pd.DataFrame(values, columns=["eruptions", 1])
    with pytest.raises(TypeError, match="Feature names are only supported if all input features"):
        GaussianMixture(2).fit(mixed)
    numbered = GaussianMixture(2, random_state=0).fit(pd.DataFrame(values))
    assert not hasattr(numbered, "feature_names_in_")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        numbered.predict(values)
        numbered.predict(pd.DataFrame(values))


@pytest.mark.parametrize(
    "index",
    [
        pd.date_range("2024-01-01", periods=120, freq="D"),
        pd.Index(np.arange(120)[::-1] * 1000 + 7),
        pd.Index([f"row{i}" for i in range(120)]),
    ],
    ids=["dates", "large-integers", "labels"],
)
def test_the_index_is_never_a_feature(index):
    values = _faithful()
    frame = pd.DataFrame(values, columns=["eruptions", "waiting"], index=index)
    named = GaussianMixture(2, random_state=0).fit(frame)
    plain = GaussianMixture(2, random_state=0).fit(values)
    assert named.n_features_in_ == 2
    assert named.means_.tobytes() == plain.means_.tobytes()
    assert named.score(frame) == plain.score(values)
    imputer = EMImputer().fit(frame)
    assert imputer.n_features_in_ == 2
    assert imputer.mean_.tobytes() == EMImputer().fit(values).mean_.tobytes()


def test_pd_na_and_nullable_dtypes_impute_like_nan():
    rng = np.random.default_rng(3)
    values = np.round(rng.multivariate_normal([5, 10], [[4, 3], [3, 4]], 80))
    holes = rng.random(values.shape) < 0.15
    holes[holes.all(axis=1), 0] = False
    with_nan = np.where(holes, np.nan, values)
    reference = EMImputer().fit(with_nan)
    expected = reference.transform(with_nan)
    nullable_int = pd.DataFrame(
        {"a": pd.array(with_nan[:, 0], dtype="Float64").astype("Int64"),
         "b": pd.array(with_nan[:, 1], dtype="Float64").astype("Int64")}
    )  # fmt: skip
    nullable_float = pd.DataFrame(with_nan, columns=["a", "b"]).astype("Float64")
    objects = pd.DataFrame(
        np.where(holes, pd.NA, values.astype(object)), columns=["a", "b"], dtype=object
    )
    for frame in (nullable_int, nullable_float, objects):
        assert frame.isna().to_numpy().tolist() == holes.tolist()
        imputer = EMImputer().fit(frame)
        assert imputer.mean_.tobytes() == reference.mean_.tobytes()
        assert imputer.transform(frame).tobytes() == expected.tobytes()
    mixture = GaussianMixture(2, random_state=0).fit(nullable_int)
    assert np.array_equal(
        mixture.predict(nullable_int),
        GaussianMixture(2, random_state=0).fit(with_nan).predict(with_nan),
    )


def test_set_output_pandas_keeps_the_index_and_columns():
    values = _faithful()
    values[::7, 1] = np.nan
    index = pd.date_range("2024-01-01", periods=len(values), freq="h")
    frame = pd.DataFrame(values, columns=["eruptions", "waiting"], index=index)
    imputer = EMImputer().set_output(transform="pandas")
    out = imputer.fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(frame.index)
    assert out.columns.tolist() == ["eruptions", "waiting"]
    assert out.to_numpy().tobytes() == EMImputer().fit_transform(values).tobytes()
    assert not out.isna().any().any()
    # from an array: x0, x1 and a range index
    out = EMImputer().set_output(transform="pandas").fit_transform(values)
    assert out.columns.tolist() == ["x0", "x1"] and out.index.equals(pd.RangeIndex(len(values)))
    # back to arrays; None leaves the choice as it was
    assert isinstance(imputer.set_output(transform=None).transform(frame), pd.DataFrame)
    assert isinstance(imputer.set_output(transform="default").transform(frame), np.ndarray)
    with pytest.raises(ValueError, match="transform must be one of 'default', 'pandas'"):
        imputer.set_output(transform="polars-ish")


def test_get_feature_names_out_follows_scikit_learn():
    values = _faithful()
    named = EMImputer().fit(pd.DataFrame(values, columns=["eruptions", "waiting"]))
    assert named.get_feature_names_out().tolist() == ["eruptions", "waiting"]
    assert named.get_feature_names_out(["eruptions", "waiting"]).dtype == object
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        named.get_feature_names_out(["waiting", "eruptions"])
    plain = EMImputer().fit(values)
    assert plain.get_feature_names_out().tolist() == ["x0", "x1"]
    assert plain.get_feature_names_out(["a", "b"]).tolist() == ["a", "b"]
    with pytest.raises(ValueError, match=r"should have length equal to number of features \(2\)"):
        plain.get_feature_names_out(["a"])
    with pytest.raises(latentem.NotFittedError):
        EMImputer().get_feature_names_out()


def test_in_a_scikit_learn_pipeline_with_pandas_output():
    pipeline = pytest.importorskip("sklearn.pipeline")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    values = _faithful()
    values[::5, 0] = np.nan
    frame = pd.DataFrame(values, columns=["eruptions", "waiting"])
    steps = pipeline.make_pipeline(EMImputer(), preprocessing.StandardScaler())
    out = steps.set_output(transform="pandas").fit_transform(frame)
    assert out.columns.tolist() == ["eruptions", "waiting"]
    assert steps.get_feature_names_out().tolist() == ["eruptions", "waiting"]


@pytest.mark.parametrize("cls", FRONT_CLASSES, ids=lambda c: c.__name__)
def test_scikit_learns_column_name_check(cls):
    estimator_checks = pytest.importorskip("sklearn.utils.estimator_checks")
    estimator_checks.check_dataframe_column_names_consistency(cls.__name__, cls())


@pytest.mark.parametrize(
    "check",
    [
        "check_set_output_transform",
        "check_set_output_transform_pandas",
        "check_global_output_transform_pandas",
    ],
)
def test_scikit_learns_set_output_checks(check):
    estimator_checks = pytest.importorskip("sklearn.utils.estimator_checks")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the checks mix names and arrays
        getattr(estimator_checks, check)("EMImputer", EMImputer())


def test_hmms_take_a_series_with_dates():
    rng = np.random.default_rng(0)
    returns = np.concatenate([rng.normal(0, 0.5, 150), rng.normal(0, 2.0, 150)])
    dates = pd.bdate_range("2020-01-01", periods=300)
    series = pd.Series(returns, index=dates, name="returns")
    named = GaussianHMM(2, random_state=0).fit(series)
    plain = GaussianHMM(2, random_state=0).fit(returns[:, None])
    assert named.feature_names_in_.tolist() == ["returns"] and named.n_features_in_ == 1
    assert named.means_.tobytes() == plain.means_.tobytes()
    assert np.array_equal(named.predict(series), plain.predict(returns[:, None]))
    assert named.score(series.to_frame()) == plain.score(returns[:, None])
    with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- other"):
        named.predict(series.rename("other"))
    unnamed = GaussianHMM(2, random_state=0).fit(pd.Series(returns))
    assert not hasattr(unnamed, "feature_names_in_")
    counts = pd.Series(rng.poisson(3.0, 300), index=dates, name="calls")
    assert PoissonHMM(2, random_state=0).fit(counts).feature_names_in_.tolist() == ["calls"]


def test_partial_fit_names_the_first_batch_and_checks_the_others():
    values = _faithful(200)
    frame = pd.DataFrame(values, columns=["eruptions", "waiting"])
    streamed = GaussianMixture(2, random_state=0)
    streamed.partial_fit(frame.iloc[:100])
    assert streamed.feature_names_in_.tolist() == ["eruptions", "waiting"]
    with pytest.raises(ValueError, match="same order"):
        streamed.partial_fit(frame.iloc[100:, ::-1])
    streamed.partial_fit(frame.iloc[100:])
    assert streamed.n_iter_ == 2


def test_save_and_load_keep_the_names_and_their_check(tmp_path):
    values = _faithful()
    frame = pd.DataFrame(values, columns=["eruptions", "waiting"])
    for estimator in (
        GaussianMixture(2, random_state=0).fit(frame),
        EMImputer().fit(frame),
        GaussianHMM(2, random_state=0).fit(frame),
    ):
        path = tmp_path / f"{type(estimator).__name__}.json"
        latentem.save(estimator, path)
        loaded = latentem.load(path)
        assert loaded.feature_names_in_.tolist() == ["eruptions", "waiting"]
        with pytest.raises(ValueError, match="same order"):
            _use(loaded, frame[["waiting", "eruptions"]])
        assert np.array_equal(np.asarray(_use(loaded, frame)), np.asarray(_use(estimator, frame)))


def test_selection_keeps_the_names():
    values = _faithful()
    frame = pd.DataFrame(values, columns=["eruptions", "waiting"])
    chosen = latentem.select_n_components(frame, range(1, 4), random_state=0).best_estimator
    assert chosen.feature_names_in_.tolist() == ["eruptions", "waiting"]
    with pytest.warns(UserWarning, match="at the edge"):  # k=1..2: the best is at the edge
        table = latentem.select_model(frame, range(1, 3), ["VVV"], random_state=0)
    assert table.best_estimator.feature_names_in_.tolist() == ["eruptions", "waiting"]
