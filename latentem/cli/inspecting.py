"""``latentem inspect``: print the parameters of a saved model."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from latentem.io.files import load

__all__ = ["add_parser", "describe_model", "run_inspect"]

#: Fitted parameters shown, in this order, for whichever the model has.
PARAMETERS = (
    "weights_",
    "startprob_",
    "transmat_",
    "means_",
    "mean_",
    "covariances_",
    "covars_",
    "covariance_",
    "emissionprob_",
)


def _array_text(value: Any) -> str:
    """An array with every digit of each double, indented under its name."""
    text = np.array2string(
        np.asarray(value, dtype=float),
        max_line_width=100,
        floatmode="unique",
        threshold=10_000,
        separator=", ",
    )
    return "\n".join(("    " + line).rstrip() for line in text.splitlines())


def describe_model(estimator: Any) -> list[str]:
    """The lines ``latentem inspect`` prints for a loaded model.

    Examples
    --------
    >>> import numpy as np, latentem
    >>> gm = latentem.GaussianMixture(1).fit(np.array([[0.0], [2.0]]))
    >>> print("\\n".join(describe_model(gm)[:3]))
    GaussianMixture (fitted)
      n_components: 1
      covariance_type: 'full'
    """
    fitted = getattr(estimator, "__sklearn_is_fitted__", lambda: True)()
    lines = [f"{type(estimator).__name__} ({'fitted' if fitted else 'not fitted'})"]
    params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    shown = ("n_components", "covariance_type", "assignment", "n_mix", "tol", "reg_covar")
    lines += [f"  {key}: {params[key]!r}" for key in shown if key in params]
    if not fitted:
        return lines
    names = getattr(estimator, "feature_names_in_", None)
    width = getattr(estimator, "n_features_in_", None)
    if names is not None:
        lines.append(f"  features: {', '.join(str(name) for name in names)}")
    elif width is not None:
        lines.append(f"  features: {width} (no names: fitted without a header)")
    for label, attribute in (("converged", "converged_"), ("iterations", "n_iter_")):
        if hasattr(estimator, attribute):
            lines.append(f"  {label}: {getattr(estimator, attribute)!r}")
    monitor = getattr(estimator, "monitor_", None)
    if monitor is not None:
        lines.append(f"  converged: {monitor.converged!r} after {monitor.iter} iterations")
    for attribute in PARAMETERS:
        try:
            value = getattr(estimator, attribute)
        except (AttributeError, ValueError):
            continue
        lines.append(f"  {attribute}")
        lines.append(_array_text(value))
    return lines


def run_inspect(args: argparse.Namespace) -> int:
    """Load MODEL.json and print its kind, settings, feature names and parameters."""
    print("\n".join(describe_model(load(args.model_file))))
    return 0


def add_parser(commands: Any) -> None:
    """Register ``latentem inspect``."""
    parser = commands.add_parser(
        "inspect",
        help="print the parameters of a saved model",
        description="Print a saved model's kind, settings, feature names and fitted "
        "parameters (every digit of each double).",
    )
    parser.add_argument("model_file", metavar="MODEL.json", help="a model saved by latentem")
    parser.set_defaults(run=run_inspect)
