"""How hidden Markov models are saved: the model, its emissions, the front classes.

The model and emission classes are attrs classes rebuilt through their
constructors, so their validators check what a file holds (shapes, the
simplex, positive definite covariances, priors). Constructors renormalise
probabilities, which can move their last bits; the saved bits are put back
after validation so that a round trip is exact. The front classes save
their constructor arguments and the parameter attributes as they are
(``covars_`` of :class:`~latentem.GaussianHMM` in the layout of
``covariance_type``), checked by building the model they describe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from latentem.core.validation import readonly_array
from latentem.estimators.hmm.base import BaseHMM, ConvergenceMonitor, remember_fitted
from latentem.estimators.hmm.discrete import CategoricalHMM, PoissonHMM
from latentem.estimators.hmm.gaussian import GMMHMM, GaussianHMM
from latentem.hmm.emissions.base import Emissions, IndependentEmissions
from latentem.hmm.emissions.discrete import CategoricalEmissions, PoissonEmissions
from latentem.hmm.emissions.gaussian import GaussianEmissions, GaussianPrior
from latentem.hmm.emissions.gaussian_mixture import GaussianMixtureEmissions
from latentem.hmm.model import HiddenMarkovModel
from latentem.hmm.probabilities import check_probabilities
from latentem.io.codec import StateReader
from latentem.io.registry import register, register_estimator
from latentem.mixture.covariance import CovarianceType

__all__ = ["HMM_PARAMETERS"]

_PRIOR = (GaussianPrior, type(None))


def _register_part(
    cls: type,
    *,
    exact: tuple[str, ...] = (),
    objects: Mapping[str, type | tuple[type, ...]] | None = None,
) -> None:
    """Register an attrs model class by its init fields.

    ``exact`` names the probability fields the constructor renormalises (their
    saved bits are restored after validation); ``objects`` the fields holding
    saved objects, with the types they must have. Frozen sets are saved as
    sorted lists, booleans must be booleans, arrays must be float64.
    """
    fields = [field for field in attrs.fields(cls) if field.init]
    objects = dict(objects or {})

    def to_state(obj: Any) -> dict[str, Any]:
        state = {}
        for field in fields:
            value = getattr(obj, field.name)
            state[field.name] = sorted(value) if isinstance(value, frozenset) else value
        return state

    def from_state(reader: StateReader) -> Any:
        values: dict[str, Any] = {}
        for field in fields:
            key = field.name
            if key in objects:
                values[key] = reader.get_object(key, objects[key])
            elif field.type in ("bool", bool):
                values[key] = reader.get_bool(key)
            elif isinstance(reader.get_value(key), np.ndarray):
                values[key] = reader.get_array(key)
            else:
                values[key] = reader.get_value(key)
        obj = cls(**values)
        for key in exact:
            # validated by the constructor (within 1e-8 of the simplex); keep the saved bits
            object.__setattr__(obj, key, readonly_array(values[key]))
        return obj

    register(cls, name=cls.__name__, to_state=to_state, from_state=from_state)


_GAUSSIAN: dict[str, type | tuple[type, ...]] = {
    "prior": _PRIOR,
    "covariance_type": CovarianceType,
}
_register_part(GaussianPrior, objects={"covariance_type": CovarianceType})
_register_part(GaussianEmissions, objects=_GAUSSIAN)
_register_part(GaussianMixtureEmissions, exact=("weights",), objects=_GAUSSIAN)
_register_part(CategoricalEmissions, exact=("probabilities",))
_register_part(PoissonEmissions)
_register_part(IndependentEmissions)
_register_part(HiddenMarkovModel, exact=("startprob", "transmat"), objects={"emissions": Emissions})


# ----------------------------------------------------------------------------- monitor


def _monitor_to_state(monitor: ConvergenceMonitor) -> dict[str, Any]:
    return {
        "tol": monitor.tol,
        "n_iter": monitor.n_iter,
        "verbose": monitor.verbose,
        "history": [float(value) for value in monitor.history],
        "iter": monitor.iter,
        "converged": monitor.converged,
    }


def _monitor_from_state(reader: StateReader) -> ConvergenceMonitor:
    history = reader.get_value("history")
    if not isinstance(history, list) or not all(isinstance(v, float) for v in history):
        raise ValueError("history must be a list of floats (the log-likelihood per iteration)")
    tol = reader.get_float("tol")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0; got {tol!r}")
    n_iter = reader.get_int("n_iter", minimum=0)
    iterations = reader.get_int("iter", minimum=0)
    if iterations != len(history) or iterations > n_iter:
        raise ValueError(
            f"iter={iterations} must equal the length of the history ({len(history)}) and be "
            f"at most n_iter={n_iter}"
        )
    return ConvergenceMonitor(
        tol=tol,
        n_iter=n_iter,
        verbose=reader.get_bool("verbose"),
        history=history,
        iter=iterations,
        converged=reader.get_bool("converged"),
    )


register(
    ConvergenceMonitor,
    name="ConvergenceMonitor",
    to_state=_monitor_to_state,
    from_state=_monitor_from_state,
)


# ----------------------------------------------------------------------------- front classes

#: The parameter attributes of every HMM front class, as named in files
#: (``covars_`` of GaussianHMM in the layout of ``covariance_type``, as assigned).
HMM_PARAMETERS: dict[type, tuple[str, ...]] = {
    GaussianHMM: ("startprob_", "transmat_", "means_", "covars_"),
    GMMHMM: ("startprob_", "transmat_", "weights_", "means_", "covars_"),
    CategoricalHMM: ("startprob_", "transmat_", "emissionprob_"),
    PoissonHMM: ("startprob_", "transmat_", "lambdas_"),
}
_FITTED = ("monitor_", "n_features_in_")
# where an attribute lives on the estimator when it is not its public name
_STORED: dict[tuple[type, str], str] = {(GaussianHMM, "covars_"): "_covars_"}


def _stored(cls: type, name: str) -> str:
    return _STORED.get((cls, name), name)


def _hmm_read(estimator: BaseHMM) -> dict[str, Any]:
    cls = type(estimator)
    fitted: dict[str, Any] = {}
    for name in HMM_PARAMETERS[cls]:
        stored = _stored(cls, name)
        if stored in vars(estimator):
            # parameters a user assigned (lists included) are saved as float arrays
            fitted[name] = np.asarray(vars(estimator)[stored], dtype=float)
    for name in _FITTED:
        if name in vars(estimator):
            fitted[name] = vars(estimator)[name]
    return fitted


def _hmm_restore(estimator: BaseHMM, fitted: dict[str, Any]) -> dict[str, Any]:
    """Check the parameters by building the model they describe; return them as stored."""
    cls = type(estimator)
    reader = StateReader(fitted, "fitted", 1)
    names = HMM_PARAMETERS[cls]
    values = {name: reader.get_array(name) for name in names if reader.has(name)}
    monitor = reader.get_object("monitor_", ConvergenceMonitor) if reader.has("monitor_") else None
    width = reader.get_int("n_features_in_", minimum=1) if reader.has("n_features_in_") else None
    reader.finish()
    attributes: dict[str, Any] = {_stored(cls, name): value for name, value in values.items()}
    if monitor is not None:
        attributes["monitor_"] = monitor
    if width is not None:
        attributes["n_features_in_"] = width
    missing = [name for name in names if name not in values]
    if (monitor is not None or width is not None) and missing:
        raise ValueError(f"a fitted {cls.__name__} needs {', '.join(missing)}")
    vars(estimator).update(attributes)
    if monitor is not None:  # a fitted estimator: a refit replaces its parameters silently
        remember_fitted(estimator)
    k = int(estimator.n_components)
    if not missing:
        model = estimator.model_  # validates shapes, the simplex, covariances and priors
        if width is not None and width != model.n_features:
            raise ValueError(
                f"n_features_in_={width} but the parameters model {model.n_features} features"
            )
    else:  # a partly set up, unfitted estimator: check what can be checked alone
        for name, shape in (("startprob_", (k,)), ("transmat_", (k, k))):
            if name in values:
                check_probabilities(values[name], name, shape)
        for name, value in values.items():
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{name} must be finite")
    return attributes


for _cls in HMM_PARAMETERS:
    register_estimator(
        _cls,
        name=_cls.__name__,
        fitted=(*HMM_PARAMETERS[_cls], *_FITTED),
        restore=_hmm_restore,
        read=_hmm_read,
    )
