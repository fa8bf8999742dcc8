"""What the hmmlearn-compatible front classes share: letters, restarts, the fit loop, inference."""

from __future__ import annotations

import copy
import sys
import warnings
import weakref
from collections.abc import Mapping
from typing import Any, ClassVar, cast

import attrs
import numpy as np

from latentem.core.engine import EM, EMResult
from latentem.core.validation import (
    as_generator,
    check_allocation,
    check_float,
    check_int,
    check_option,
)
from latentem.estimators.base import Estimator, fit_best_start, input_feature_names, is_pandas
from latentem.hmm.emissions.base import Emissions
from latentem.hmm.model import DECODERS, HiddenMarkovModel
from latentem.hmm.probabilities import check_probabilities
from latentem.hmm.sequences import Sequences

__all__ = [
    "BaseHMM",
    "ConvergenceMonitor",
    "fitted_attribute",
    "fitted_width",
    "parse_letters",
    "remember_fitted",
    "sequence_lengths",
    "width_property",
]

IMPLEMENTATIONS = ("log", "scaling")

#: The rule for the second argument of ``fit`` and ``score``, put into every front
#: class's docstring in place of ``%(compatibility)s`` (indented for it).
COMPATIBILITY = """``fit`` and ``score`` take ``(X, y=None, lengths=None)`` so that both
    hmmlearn's ``fit(X, lengths)`` and scikit-learn's ``fit(X, y)`` work.
    ``lengths=`` by keyword always means lengths. A second positional
    argument that does not have one entry per row of ``X`` is hmmlearn's
    ``lengths`` and is validated strictly (zeros, negatives or a wrong sum
    are a ValueError). One with exactly one entry per row is scikit-learn's
    target ``y`` and is ignored, as scikit-learn's unsupervised estimators
    do; when it is all ones (the only such vector that is also valid
    lengths: ``n`` sequences of length 1) a ``UserWarning`` says so: pass
    ``lengths=`` by keyword for sequences of length 1. The other methods
    take ``(X, lengths=None)`` as in hmmlearn, and ``score_samples``
    returns hmmlearn's ``(log_prob, posteriors)`` rather than scikit-learn's
    per-sample scores.

    ``X`` may be a pandas DataFrame, or a Series for one feature: string
    column names (a Series' name) are kept as ``feature_names_in_`` and later
    data must have the same names in the same order, by scikit-learn's rules
    (see :class:`~latentem.estimators.base.Estimator`); the index, dates for
    instance, is not a feature."""
_TRANSITION_LETTERS = {"s": "startprob", "t": "transmat"}


def parse_letters(value: Any, name: str, letters: Mapping[str, str]) -> frozenset[str]:
    """Parse hmmlearn's ``params`` / ``init_params`` letter strings into parameter names.

    Examples
    --------
    >>> sorted(parse_letters("st", "params", {"s": "startprob", "t": "transmat"}))
    ['startprob', 'transmat']
    >>> parse_letters("sx", "params", {"s": "startprob", "t": "transmat"})
    Traceback (most recent call last):
    ...
    ValueError: params must be a string of letters among 's' (startprob), 't' (transmat); ...
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string of parameter letters such as 'st'; got {value!r}")
    unknown = sorted(set(value) - set(letters))
    if unknown:
        listed = ", ".join(f"{letter!r} ({meaning})" for letter, meaning in letters.items())
        raise ValueError(
            f"{name} must be a string of letters among {listed}; got "
            f"{', '.join(repr(letter) for letter in unknown)} in {value!r}. Remove the unknown "
            "letters"
        )
    return frozenset(letters[letter] for letter in value)


def fitted_attribute(estimator: Any, name: str) -> np.ndarray:
    """A fitted (or user-set) parameter attribute as a float array, or a ValueError naming it."""
    public = name.lstrip("_")
    if not hasattr(estimator, name):
        raise ValueError(
            f"{type(estimator).__name__} has no {public}; fit it, or set {public} before "
            "calling this method"
        )
    return np.asarray(getattr(estimator, name), dtype=float)


def _n_entries(value: Any) -> int | None:
    """Number of entries along the first axis, or None for a scalar."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else None
    try:
        return len(value)
    except TypeError:
        return None


def _all_ones(value: Any) -> bool:
    try:
        array = np.asarray(value)
        return array.dtype.kind in "iuf" and bool(np.all(array == 1))
    except (TypeError, ValueError):
        return False


def sequence_lengths(y: Any, lengths: Any, n_samples: int, owner: str) -> Any:
    """The ``lengths`` of a call ``method(X, y, lengths=...)``: hmmlearn's or scikit-learn's ``y``.

    hmmlearn passes ``lengths`` as the second positional argument;
    scikit-learn passes a target ``y`` there. ``lengths=`` by keyword always
    means lengths. A second argument with one entry per row of ``X`` is
    scikit-learn's ``y`` and is ignored (the all-ones vector, which would
    also be valid lengths, with a UserWarning); any other second argument is
    hmmlearn's positional ``lengths``, validated strictly later.

    Parameters
    ----------
    y : object
        The second argument of the call.
    lengths : object
        The ``lengths=`` keyword argument.
    n_samples : int
        Number of rows of ``X``.
    owner : str
        Class name for messages.

    Returns
    -------
    lengths : object
        What to validate as the lengths (None: one sequence).

    Examples
    --------
    >>> sequence_lengths([3, 2], None, 5, "GaussianHMM")  # hmmlearn's fit(X, lengths)
    [3, 2]
    >>> sequence_lengths([0, 1, 1, 0, 1], None, 5, "GaussianHMM") is None  # a target y
    True
    >>> sequence_lengths([0, 1, 1, 0, 1], [2, 3], 5, "GaussianHMM")
    [2, 3]
    """
    if y is None:
        return lengths
    if _n_entries(y) != n_samples:
        if lengths is not None:
            raise TypeError(
                f"{owner} got lengths twice: positionally ({_abbreviated(y)}) and as lengths="
                f"{_abbreviated(lengths)}; pass them once, as lengths=..."
            )
        return y
    if lengths is None and n_samples > 1 and _all_ones(y):
        warnings.warn(
            f"the second argument of {owner} has one entry per row of X, so it is read as "
            "scikit-learn's target y and ignored (X is one sequence); to fit sequences of "
            "length 1, pass lengths= by keyword",
            UserWarning,
            stacklevel=3,
        )
    return lengths


def _abbreviated(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def width_property(attribute: str) -> property:
    """``n_features``: the width of ``attribute`` when it is set, else the number assigned.

    hmmlearn lets users assign ``n_features`` (to sample from parameters they
    set); the parameters, once set, decide.

    Examples
    --------
    >>> from latentem import GaussianHMM
    >>> hmm = GaussianHMM(2)
    >>> hmm.n_features = 3
    >>> hmm.n_features
    3
    >>> hmm.means_ = [[0.0], [1.0]]
    >>> hmm.n_features
    1
    """

    def get(self: Any) -> int:
        if hasattr(self, attribute) or "_n_features" not in vars(self):
            return fitted_width(self, attribute)
        return int(vars(self)["_n_features"])

    def set(self: Any, value: Any) -> None:
        self._n_features = check_int(value, "n_features", minimum=1)

    return property(get, set, doc=f"Number of features: the width of ``{attribute}``, or as set.")


def fitted_width(estimator: Any, name: str) -> int:
    """The last dimension of a fitted parameter attribute (AttributeError if it is unset).

    Examples
    --------
    >>> from latentem import PoissonHMM
    >>> hmm = PoissonHMM(2)
    >>> hmm.lambdas_ = [[1.0, 2.0], [3.0, 4.0]]
    >>> fitted_width(hmm, "lambdas_")
    2
    """
    if not hasattr(estimator, name):
        raise AttributeError(
            f"{type(estimator).__name__} has no n_features until it is fitted, or {name} or "
            "n_features is set"
        )
    return int(np.shape(getattr(estimator, name))[-1])


class ConvergenceMonitor:
    """The fit's history and stopping rule, hmmlearn's ``monitor_``.

    Every front class has one from construction on (``model.monitor_``). To
    change when a fit stops, assign a monitor before ``fit``, as in
    hmmlearn: the fit calls :meth:`report` after every iteration and stops
    as soon as ``converged`` is true (or after ``n_iter`` iterations of the
    estimator). Subclasses may override ``converged`` as a property.

    Parameters
    ----------
    tol : float
        Threshold on the change of the total log-likelihood.
    n_iter : int
        Maximum number of iterations (informative: the estimator's
        ``n_iter`` bounds the fit).
    verbose : bool, default=False
        Print every report to stderr.
    history, iter, converged
        A finished fit's record (as :func:`latentem.load` restores it).

    Attributes
    ----------
    history : list of float
        Log-likelihood of the data before every M-step (without the prior).
    iter : int
        Number of iterations reported.
    converged : bool
        Whether the last change of the log-likelihood was below ``tol`` (a
        decrease included: EM stopped improving); never merely because
        ``n_iter`` ran out (unlike hmmlearn). After a fit with latentem's own
        monitor it is the fit's verdict (the change per sample below
        ``tol / n_samples``, the prior included).

    Examples
    --------
    >>> import numpy as np
    >>> from latentem import CategoricalHMM
    >>> X = np.array([[0], [1], [0], [0], [1], [1], [0]])
    >>> hmm = CategoricalHMM(n_components=2, n_iter=200, tol=1e-3, random_state=0).fit(X)
    >>> monitor = hmm.monitor_
    >>> monitor.converged, len(monitor.history) == monitor.iter
    (True, True)
    >>> bool(np.all(np.diff(monitor.history) >= -1e-12))
    True

    hmmlearn's recipe for a custom stopping rule:

    >>> class ThresholdMonitor(ConvergenceMonitor):
    ...     @property
    ...     def converged(self):
    ...         return self.iter == self.n_iter or self.history[-1] >= self.tol
    >>> hmm = CategoricalHMM(n_components=2, n_iter=50, random_state=0)
    >>> hmm.monitor_ = ThresholdMonitor(-4.5, hmm.monitor_.n_iter, hmm.monitor_.verbose)
    >>> hmm.fit(X).monitor_.iter, bool(hmm.monitor_.history[-1] >= -4.5)
    (3, True)
    """

    _template = "{iter:>10d} {log_prob:>16.8f} {delta:>+16.8f}"

    def __init__(
        self,
        tol: float,
        n_iter: int,
        verbose: bool = False,
        history: Any = (),
        iter: int = 0,
        converged: bool | None = None,
    ) -> None:
        self.tol = tol
        self.n_iter = n_iter
        self.verbose = verbose
        self.history: list[float] = [float(value) for value in history]
        self.iter = int(iter)
        # the verdict of a fit that latentem's own rule stopped (None: judged from history);
        # a monitor without one was given by the user and decides when the next fit stops
        self._verdict = converged

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(tol={self.tol!r}, n_iter={self.n_iter!r}, "
            f"verbose={self.verbose!r}, iter={self.iter!r}, converged={self.converged!r})"
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, ConvergenceMonitor)
        return (self.tol, self.n_iter, self.verbose, self.history, self.iter, self._verdict) == (
            other.tol,
            other.n_iter,
            other.verbose,
            other.history,
            other.iter,
            other._verdict,
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def converged(self) -> bool:
        """Whether the last change of the log-likelihood was below ``tol``."""
        if self._verdict is not None:
            return bool(self._verdict)
        return len(self.history) >= 2 and self.history[-1] - self.history[-2] < self.tol

    def _reset(self) -> None:
        """Forget the history (a fit starts with it)."""
        self.iter = 0
        self.history.clear()
        self._verdict = None

    def report(self, log_prob: float) -> None:
        """Record one iteration's log-likelihood (printed to stderr if ``verbose``)."""
        if self.verbose:
            delta = log_prob - self.history[-1] if self.history else np.nan
            message = self._template.format(iter=self.iter + 1, log_prob=log_prob, delta=delta)
            print(message, file=sys.stderr)
        self.history.append(float(log_prob))
        self.iter += 1
        self._verdict = None


#: The parameter values each estimator's last fit (or load) set, by identity: replacing them
#: needs no warning, unlike replacing values the user assigned. Kept off the estimator's
#: attributes, which are its parameters and fitted state only.
_SET_BY_FIT: weakref.WeakKeyDictionary[BaseHMM, dict[str, Any]] = weakref.WeakKeyDictionary()


def remember_fitted(estimator: BaseHMM) -> None:
    """Record the parameter values now set on ``estimator`` as set by a fit (or a load)."""
    stored = estimator._stored_attributes.values()
    _SET_BY_FIT[estimator] = {
        name: vars(estimator)[name] for name in stored if name in vars(estimator)
    }


class _Stop(Exception):
    """Raised by a callback to end a fit where the user's monitor says it converged."""

    def __init__(self, result: EMResult) -> None:
        super().__init__()
        self.result = result


@attrs.frozen
class _StoppableEM(EM):
    """:class:`~latentem.EM` whose callbacks may end the fit as converged (by :class:`_Stop`)."""

    def fit(self, model: Any, data: Any, **kwargs: Any) -> EMResult:
        try:
            return super().fit(model, data, **kwargs)
        except _Stop as stop:
            return stop.result


def _stop_when_converged(monitor: ConvergenceMonitor, n_samples: int) -> Any:
    """A callback ending the fit (after the M-step, as hmmlearn) once ``monitor.converged``."""
    objectives: list[float] = []

    def stop(iteration: int, objective: float, model: Any) -> None:
        objectives.append(objective)
        if monitor.converged:
            raise _Stop(EMResult(model, np.array(objectives), len(objectives), True, n_samples))

    return stop


def series_as_frame(X: Any) -> Any:
    """A pandas Series as its one-column DataFrame (named by the Series' name); else ``X``.

    An HMM's data is often one series in time (a DatetimeIndex is kept out
    of the features, as every index is).
    """
    return X.to_frame() if is_pandas(X, "Series") else X


class BaseHMM(Estimator):
    """Base of :class:`GaussianHMM`, :class:`CategoricalHMM`, :class:`PoissonHMM`, :class:`GMMHMM`.

    Subclasses declare their emission letters and implement how emissions
    are validated, initialised and read from and written to attributes.

    Examples
    --------
    >>> from latentem import GaussianHMM
    >>> from latentem.estimators.hmm import BaseHMM
    >>> hmm = GaussianHMM(n_components=2, params="stm")
    >>> isinstance(hmm, BaseHMM), sorted(hmm._check_settings()["fixed"])
    (True, ['covariances'])
    """

    _estimator_type = "density_estimator"
    _emission_letters: ClassVar[dict[str, str]] = {}
    _emission_attributes: ClassVar[tuple[str, ...]] = ()
    #: Where every parameter (by its letter's meaning) is stored on the estimator.
    _stored_attributes: ClassVar[dict[str, str]] = {
        "startprob": "startprob_",
        "transmat": "transmat_",
    }
    #: Whether X holds non-negative integers (symbols, counts).
    _integer_input: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__doc__ and "%(compatibility)s" in cls.__doc__:
            cls.__doc__ = cls.__doc__.replace("%(compatibility)s", COMPATIBILITY)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if self._integer_input:
            # "categorical" is the tag under which scikit-learn's checks pass non-negative
            # integer data; symbols and counts are such data
            tags.input_tags.categorical = True
            tags.input_tags.positive_only = True
        return tags

    # -- set up by subclasses' __init__ --------------------------------------------------
    n_components: int
    startprob_prior: Any
    transmat_prior: Any
    algorithm: str
    random_state: Any
    n_iter: int
    tol: float
    verbose: bool
    params: str
    init_params: str
    implementation: str
    n_init: int

    # -- hooks -----------------------------------------------------------------------

    def _check_X(self, X: Any) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def _initial_emissions(
        self, X: np.ndarray, init: frozenset[str], fixed: frozenset[str], rng: np.random.Generator
    ) -> Emissions:  # pragma: no cover - interface
        raise NotImplementedError

    def _emissions_from_attributes(self, fixed: frozenset[str]) -> Emissions:  # pragma: no cover
        raise NotImplementedError

    def _set_emission_attributes(self, emissions: Emissions) -> None:  # pragma: no cover
        raise NotImplementedError

    # -- settings ----------------------------------------------------------------------

    @property
    def _letters(self) -> dict[str, str]:
        return {**_TRANSITION_LETTERS, **self._emission_letters}

    def _check_settings(self) -> dict[str, Any]:
        """Validate constructor arguments; never rewrites them."""
        letters = self._letters
        params = parse_letters(self.params, "params", letters)
        n_components = check_int(self.n_components, "n_components", minimum=1)
        check_allocation(
            n_components**2,
            f"the transition matrix of n_components={n_components} states",
            "use fewer states",
        )
        return {
            "n_components": n_components,
            "n_iter": check_int(self.n_iter, "n_iter", minimum=0),
            "tol": check_float(self.tol, "tol", minimum=0.0),
            "n_init": check_int(self.n_init, "n_init", minimum=1),
            "algorithm": check_option(self.algorithm, "algorithm", DECODERS),
            "implementation": check_option(self.implementation, "implementation", IMPLEMENTATIONS),
            "fixed": frozenset(letters.values()) - params,
            "init": parse_letters(self.init_params, "init_params", letters),
        }

    def _warn_overwritten(self, init: frozenset[str]) -> None:
        """hmmlearn's warning: ``init_params`` replaces a parameter the user set."""
        by_fit = _SET_BY_FIT.get(self, {})
        for letter, name in self._letters.items():
            stored = self._stored_attributes.get(name, "")
            value = vars(self).get(stored)
            if name not in init or value is None or by_fit.get(stored) is value:
                continue
            public = stored.lstrip("_")
            warnings.warn(
                f"Even though the {public!r} attribute is set, it will be overwritten during "
                f"initialization because 'init_params' contains {letter!r}; leave {letter!r} "
                f"out of init_params to start from the {public} you set",
                UserWarning,
                stacklevel=3,
            )

    def _needs_init(self, name: str, attribute: str, init: frozenset[str]) -> bool:
        """hmmlearn's rule: initialise if the letter is in init_params or the attribute is unset."""
        return name in init or not hasattr(self, attribute)

    # -- building models ---------------------------------------------------------------

    def _model(
        self,
        emissions: Emissions,
        startprob: Any,
        transmat: Any,
        fixed: frozenset[str],
    ) -> HiddenMarkovModel:
        return HiddenMarkovModel(
            startprob=startprob,
            transmat=transmat,
            emissions=emissions,
            startprob_prior=self.startprob_prior,
            transmat_prior=self.transmat_prior,
            fixed=fixed & {"startprob", "transmat"},
        )

    def _initial_model(
        self, X: np.ndarray, settings: dict[str, Any], rng: np.random.Generator
    ) -> HiddenMarkovModel:
        K, init, fixed = settings["n_components"], settings["init"], settings["fixed"]
        concentration = np.full(K, 1.0 / K)
        if self._needs_init("startprob", "startprob_", init):
            startprob = rng.dirichlet(concentration)
        else:
            startprob = check_probabilities(self.startprob_, "startprob_", (K,))
        if self._needs_init("transmat", "transmat_", init):
            transmat = rng.dirichlet(concentration, size=K)
        else:
            transmat = check_probabilities(self.transmat_, "transmat_", (K, K))
        emissions = self._initial_emissions(X, init, fixed, rng)
        return self._model(emissions, startprob, transmat, fixed)

    def _current_model(self) -> HiddenMarkovModel:
        """The model of the current attributes (which users may have set themselves)."""
        self._check_fitted()
        K = check_int(self.n_components, "n_components", minimum=1)
        return self._model(
            self._emissions_from_attributes(frozenset()),
            check_probabilities(self.startprob_, "startprob_", (K,)),
            check_probabilities(self.transmat_, "transmat_", (K, K)),
            frozenset(),
        )

    @property
    def model_(self) -> HiddenMarkovModel:
        """The fitted :class:`~latentem.hmm.HiddenMarkovModel` (from the current attributes)."""
        return self._current_model()

    def _set_fitted(self, model: HiddenMarkovModel) -> None:
        self.startprob_ = np.array(model.startprob)
        self.transmat_ = np.array(model.transmat)
        self._set_emission_attributes(model.emissions)
        remember_fitted(self)

    # -- fitting -------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, lengths: Any = None, *, labels: Any = None) -> BaseHMM:
        """Estimate the parameters by Baum-Welch (best of ``n_init`` starts).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), DataFrame or Series
            All sequences, stacked. A pandas DataFrame's string column names
            (a Series' name) become ``feature_names_in_``, checked on later
            data; its index (dates, for instance) is not a feature.
        y : ignored, or hmmlearn's positional lengths
            scikit-learn's target, ignored; a second positional argument
            that does not have one entry per row of ``X`` is hmmlearn's
            ``lengths`` (see Compatibility in the class docstring).
        lengths : array-like of int of shape (n_sequences,), optional
            Length of every sequence; they must sum to ``n_samples``.
        labels : array-like of int of shape (n_samples,), optional
            The known state of some rows, -1 where it is unknown (partially
            labelled sequences). Baum-Welch clamps the known states exactly
            (every path through another state there has probability 0), so
            the fit maximises ``log p(X, known states)``; with every state
            known it is the supervised maximum-likelihood (or MAP) estimate,
            with none it is the unlabelled fit. hmmlearn has no such argument.

        Returns
        -------
        self
        """
        settings = self._check_settings()
        X = series_as_frame(X)
        names = input_feature_names(X)
        X = self._check_X(X)
        lengths = sequence_lengths(y, lengths, X.shape[0], type(self).__name__)
        # forward, backward, posteriors and emissions: a few (n_samples, n_components) arrays
        check_allocation(
            4 * X.shape[0] * settings["n_components"],
            f"Baum-Welch on {X.shape[0]} rows with n_components={settings['n_components']}",
            "use fewer states, or fit chunks of whole sequences (latentem.Chunks)",
        )
        sequences = Sequences(X, lengths, labels)
        rng = as_generator(self.random_state)
        given = self._given_monitor()
        self._warn_overwritten(settings["init"])
        # the starts are drawn in order (one random stream); the data is prepared once
        starts = [self._initial_model(X, settings, rng) for _ in range(settings["n_init"])]
        prepared = starts[0].prepare(sequences)
        if given is None:
            monitors = [
                ConvergenceMonitor(settings["tol"], settings["n_iter"], bool(self.verbose))
                for _ in starts
            ]
        else:  # the user's monitor decides when every start stops (hmmlearn's recipe)
            monitors = [given] + [copy.deepcopy(given) for _ in starts[1:]]
        for monitor in monitors:
            monitor._reset()

        def engine_for(init: int) -> EM:
            recorder = self._recorder(starts[init], monitors[init])
            if given is None:
                # hmmlearn's tol is on the total log-likelihood; the engine's is per sample
                tol = settings["tol"] / sequences.n_samples
                return EM(max_iter=settings["n_iter"], tol=tol, callbacks=[recorder])
            stop = _stop_when_converged(monitors[init], sequences.n_samples)
            return _StoppableEM(max_iter=settings["n_iter"], tol=0.0, callbacks=[recorder, stop])

        best, result = fit_best_start(
            starts,
            prepared,
            engine_for,
            f"Baum-Welch did not converge in n_iter={settings['n_iter']} iterations (the "
            f"log-likelihood still changed by more than tol={settings['tol']:g}); increase "
            "n_iter or tol",
            stacklevel=2,
        )
        self._set_fitted(cast(HiddenMarkovModel, result.model))
        monitor = monitors[best]
        if given is None:
            monitor._verdict = bool(result.converged)
        self.monitor_ = monitor
        self.n_features_in_ = int(X.shape[1])
        self._set_feature_names(names)
        return self

    def __getattr__(self, name: str) -> Any:
        # called only when normal lookup fails: before a fit or an assignment, monitor_ is a
        # new monitor of the current settings (hmmlearn creates one in __init__, which
        # scikit-learn's conventions forbid)
        if name == "monitor_":
            return ConvergenceMonitor(self.tol, self.n_iter, bool(self.verbose))
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _given_monitor(self) -> ConvergenceMonitor | None:
        """The monitor the user assigned to ``monitor_`` (None: latentem's own rule)."""
        monitor = vars(self).get("monitor_")
        if monitor is None or getattr(monitor, "_verdict", None) is not None:
            return None  # none, or the record of an earlier fit by latentem's rule
        for name in ("report", "_reset", "converged"):
            if not hasattr(type(monitor), name):
                raise TypeError(
                    f"monitor_ must be a ConvergenceMonitor (with report, _reset and "
                    f"converged); got {type(monitor).__name__}. Subclass "
                    "latentem.estimators.hmm.ConvergenceMonitor"
                )
        return cast(ConvergenceMonitor, monitor)

    def _recorder(self, start: HiddenMarkovModel, monitor: ConvergenceMonitor) -> Any:
        """A callback reporting the log-likelihood (objective minus prior) of every iteration."""
        state = {"model": start}

        def record(iteration: int, objective: float, model: Any) -> None:
            monitor.report(objective - state["model"].log_prior())
            state["model"] = model

        return record

    # -- using the fit -------------------------------------------------------------------

    def _sequences(self, X: Any, lengths: Any, y: Any = None) -> Sequences:
        self._check_fitted()
        X = series_as_frame(X)
        self._check_feature_names(X)
        X = self._check_X(X)
        lengths = sequence_lengths(y, lengths, X.shape[0], type(self).__name__)
        expected = getattr(self, "n_features_in_", X.shape[1])
        if X.shape[1] != expected:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{expected} features as input"
            )
        return Sequences(X, lengths)

    def score(self, X: Any, y: Any = None, lengths: Any = None) -> float:
        """Log-likelihood of ``X`` (summed over sequences).

        ``y`` is scikit-learn's ignored target, or hmmlearn's positional
        ``lengths`` when it does not have one entry per row of ``X``, as in
        :meth:`fit`.
        """
        return self._current_model().log_likelihood(self._sequences(X, lengths, y))

    def score_samples(self, X: Any, lengths: Any = None) -> tuple[float, np.ndarray]:
        """Log-likelihood of ``X`` and state posteriors, shape (n_samples, n_components)."""
        return self._current_model().score_samples(self._sequences(X, lengths))

    def predict_proba(self, X: Any, lengths: Any = None) -> np.ndarray:
        """State posteriors ``p(z_t = k | X)``, shape (n_samples, n_components)."""
        return self.score_samples(X, lengths)[1]

    def decode(
        self, X: Any, lengths: Any = None, algorithm: str | None = None
    ) -> tuple[float, np.ndarray]:
        """Most probable states and their log probability.

        Parameters
        ----------
        algorithm : {"viterbi", "map"}, optional
            ``self.algorithm`` by default. ``"viterbi"`` returns ``log p(X,
            path)`` of the best path; ``"map"`` the most probable state of
            each step and ``sum_t log max_k p(z_t = k | X)`` (hmmlearn sums
            the probabilities themselves).
        """
        algorithm = self.algorithm if algorithm is None else algorithm
        check_option(algorithm, "algorithm", DECODERS)
        return self._current_model().decode(self._sequences(X, lengths), algorithm)

    def predict(self, X: Any, lengths: Any = None) -> np.ndarray:
        """Most probable state of every step (by ``self.algorithm``), shape (n_samples,)."""
        return self.decode(X, lengths)[1]

    def sample(
        self, n_samples: int = 1, random_state: Any = None, currstate: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw one sequence: ``(X, states)``; ``random_state`` defaults to the estimator's."""
        model = self._current_model()
        seed = self.random_state if random_state is None else random_state
        return model.sample(n_samples, random_state=as_generator(seed), currstate=currstate)

    def _information(self, X: Any, lengths: Any) -> tuple[float, int, int]:
        sequences = self._sequences(X, lengths)
        model = self._current_model()
        return model.log_likelihood(sequences), model.n_parameters, sequences.n_samples

    def bic(self, X: Any, lengths: Any = None) -> float:
        """Bayesian information criterion ``-2 log L + p log n`` (lower is better)."""
        log_likelihood, n_parameters, n_samples = self._information(X, lengths)
        return -2.0 * log_likelihood + n_parameters * float(np.log(n_samples))

    def aic(self, X: Any, lengths: Any = None) -> float:
        """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
        log_likelihood, n_parameters, _ = self._information(X, lengths)
        return -2.0 * log_likelihood + 2.0 * n_parameters

    def get_stationary_distribution(self) -> np.ndarray:
        """A stationary distribution of ``transmat_``, shape (n_components,)."""
        return self._current_model().stationary_distribution()
