"""How latentem's own models, front classes and results are saved.

Each plugin adds its types here with a few lines: a ``to_state`` /
``from_state`` pair for a model (or :func:`register_attrs` when the attrs
fields are the whole state), :func:`register_estimator` for a front class.
"""

from __future__ import annotations

from typing import Any

from latentem import distributions
from latentem.core.engine import EMResult
from latentem.core.model import LatentModel
from latentem.estimators.gaussian_mixture import GaussianMixture, fitted_attributes
from latentem.estimators.imputer import EMImputer, imputer_attributes
from latentem.io.codec import StateReader
from latentem.io.registry import register, register_attrs, register_estimator
from latentem.mixture.assignment import ASSIGNMENTS, assignment
from latentem.mixture.composed import Mixture
from latentem.mixture.covariance import COVARIANCE_TYPES, CovarianceType, covariance_type
from latentem.mixture.gaussian import GaussianMixtureModel
from latentem.mixture.prior import GaussianMixturePrior

__all__: list[str] = []


# ----------------------------------------------------------------------------- EMResult


def _result_to_state(result: EMResult) -> dict[str, Any]:
    return {
        "model": result.model,
        "history": result.history,
        "n_iter": result.n_iter,
        "converged": result.converged,
        "n_samples": result.n_samples,
    }


def _result_from_state(reader: StateReader) -> EMResult:
    history = reader.get_array("history", ndim=1)
    n_iter = reader.get_int("n_iter", minimum=0)
    if n_iter != history.shape[0]:
        raise ValueError(f"n_iter={n_iter} but the history has {history.shape[0]} entries")
    return EMResult(
        model=reader.get_object("model", LatentModel),
        history=history,
        n_iter=n_iter,
        converged=reader.get_bool("converged"),
        n_samples=reader.get_int("n_samples", minimum=0),
    )


register(EMResult, name="EMResult", to_state=_result_to_state, from_state=_result_from_state)


# ----------------------------------------------------------------------------- Gaussian mixtures


# ----------------------------------------------------------------------------- variants
# Covariance structures and assignments are stateless singletons: saved by name, so
# that an attrs model holding one (register_attrs) saves too.


def _variant_codec(variant: Any) -> None:
    register(
        type(variant),
        name=type(variant).__name__,
        to_state=lambda _: {},
        from_state=lambda _: variant,
    )


for _variant in (*COVARIANCE_TYPES.values(), *ASSIGNMENTS.values()):
    _variant_codec(_variant)

# a structure registered later (latentem.mixture.register_covariance_type) is saved by name
register(
    CovarianceType,
    name="CovarianceType",
    to_state=lambda structure: {"name": structure.name},
    from_state=lambda reader: covariance_type(reader.get_str("name", COVARIANCE_TYPES)),
    subclasses=True,
)


# ----------------------------------------------------------------------------- families

# Every family and prior is an attrs class whose init fields are its whole state;
# their converters and validators check what a file holds.
for _family in (
    distributions.Normal,
    distributions.LogNormal,
    distributions.MultivariateNormal,
    distributions.Exponential,
    distributions.Gamma,
    distributions.Poisson,
    distributions.Geometric,
    distributions.Bernoulli,
    distributions.Categorical,
    distributions.VonMises,
    distributions.Independent,
    distributions.DirichletPrior,
    distributions.GammaPrior,
    distributions.BetaPrior,
    distributions.NormalInverseWishart,
    GaussianMixturePrior,
    Mixture,
):
    register_attrs(_family, name=_family.__name__)


def _gmm_to_state(model: GaussianMixtureModel) -> dict[str, Any]:
    return {
        "weights": model.weights,
        "means": model.means,
        "covariances": model.covariances,
        "covariance_type": model.covariance_type.name,
        "assignment": model.assignment.name,
        "reg_covar": model.reg_covar,
        "prior": model.prior,
    }


def _gmm_from_state(reader: StateReader) -> GaussianMixtureModel:
    # the constructor checks shapes, the simplex, positive definiteness and the prior
    return GaussianMixtureModel(
        weights=reader.get_array("weights", ndim=1),
        means=reader.get_array("means", ndim=2),
        covariances=reader.get_array("covariances"),
        covariance_type=covariance_type(reader.get_str("covariance_type", COVARIANCE_TYPES)),
        assignment=assignment(reader.get_str("assignment", ASSIGNMENTS)),
        reg_covar=reader.get_float("reg_covar"),
        prior=reader.get_object("prior", (GaussianMixturePrior, type(None))),
    )


register(
    GaussianMixtureModel,
    name="GaussianMixtureModel",
    to_state=_gmm_to_state,
    from_state=_gmm_from_state,
)


def _gaussian_mixture_restore(estimator: GaussianMixture, fitted: dict[str, Any]) -> dict[str, Any]:
    """Recompute the derived attributes from the model instead of trusting the file."""
    reader = StateReader(fitted, "fitted", 1)
    model = reader.get_object("model_", GaussianMixtureModel)
    lower_bounds = reader.get_value("lower_bounds_")
    if not isinstance(lower_bounds, list) or not all(
        isinstance(value, float) for value in lower_bounds
    ):
        raise ValueError("fitted.lower_bounds_ must be a list of floats")
    n_iter = reader.get_int("n_iter_", minimum=0)
    converged = reader.get_bool("converged_")
    reader.finish()
    if n_iter != len(lower_bounds):
        raise ValueError(f"n_iter_={n_iter} but lower_bounds_ has {len(lower_bounds)} entries")
    _check_params_match(estimator, model, ("n_components", "covariance_type", "assignment"))
    return fitted_attributes(model, converged, n_iter, lower_bounds)


def _check_params_match(
    estimator: Any, model: GaussianMixtureModel, names: tuple[str, ...]
) -> None:
    """Raise unless the estimator's constructor arguments (and reg_covar) match its model."""
    params = estimator.get_params(deep=False)
    expected = {
        "n_components": model.n_components,
        "covariance_type": model.covariance_type.name,
        "assignment": model.assignment.name,
        "reg_covar": model.reg_covar,
    }
    for key in (*names, "reg_covar"):
        if params[key] != expected[key]:
            raise ValueError(
                f"params.{key}={params[key]!r} but the fitted model has {expected[key]!r}"
            )


register_estimator(
    GaussianMixture,
    name="GaussianMixture",
    fitted=("model_", "converged_", "n_iter_", "lower_bounds_"),
    restore=_gaussian_mixture_restore,
)


def _imputer_restore(estimator: EMImputer, fitted: dict[str, Any]) -> dict[str, Any]:
    """Recompute the derived attributes from the model instead of trusting the file."""
    reader = StateReader(fitted, "fitted", 1)
    model = reader.get_object("model_", GaussianMixtureModel)
    n_iter = reader.get_int("n_iter_", minimum=0)
    converged = reader.get_bool("converged_")
    lower_bound = reader.get_float("lower_bound_")
    reader.finish()
    _check_params_match(estimator, model, ("n_components", "covariance_type"))
    return imputer_attributes(model, converged, n_iter, lower_bound)


register_estimator(
    EMImputer,
    name="EMImputer",
    fitted=("model_", "converged_", "n_iter_", "lower_bound_"),
    restore=_imputer_restore,
)
