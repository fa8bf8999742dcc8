"""The models the command line fits, by ``--model`` name.

Each entry says how to build an unfitted front class from the parsed options,
which of the shared options apply, whether rows with missing values are
accepted, and how to draw the fit. A new plugin adds one :class:`CliModel`
with :func:`register_cli_model`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from attrs import frozen

from latentem.estimators.gaussian_mixture import GaussianMixture

__all__ = ["CLI_MODELS", "OPTIONS", "CliModel", "register_cli_model"]

#: Options shared by ``fit`` and ``select`` that only some models accept:
#: attribute name on the parsed arguments -> flag shown to the user.
OPTIONS = {
    "covariance": "--covariance",
    "hard": "--hard",
    "reg_covar": "--reg-covar",
}


def _plot_mixture(estimator: Any, X: Any, path: Path) -> None:
    from latentem.plot import plot_mixture

    ax = plot_mixture(estimator, X, title=f"{estimator.n_components} components")
    ax.figure.savefig(path, dpi=100, bbox_inches="tight")


@frozen
class CliModel:
    """A model the command line can fit.

    Attributes
    ----------
    name : str
        The ``--model`` value.
    summary : str
        One line for ``--help``.
    build : callable
        ``build(args, n_components)`` returns an unfitted front class;
        ``args`` holds ``max_iter``, ``tol``, ``n_init``, ``seed`` and the
        options in ``options``.
    options : tuple of str
        Which of :data:`OPTIONS` the model accepts; passing another is an
        error naming the flag.
    supports_missing : bool
        Whether rows with missing values (empty CSV cells) may be passed.
    plot : callable
        ``plot(estimator, X, path)`` writes the picture of ``--plot``.

    Examples
    --------
    >>> from latentem.cli.models import CLI_MODELS
    >>> CLI_MODELS["gmm"].options
    ('covariance', 'hard', 'reg_covar')
    """

    name: str
    summary: str
    build: Callable[[argparse.Namespace, int], Any]
    options: tuple[str, ...] = ()
    supports_missing: bool = False
    plot: Callable[[Any, Any, Path], None] = _plot_mixture

    def check_options(self, args: argparse.Namespace) -> None:
        """Raise a ValueError naming a given option this model does not accept."""
        for option, flag in OPTIONS.items():
            if getattr(args, option, None) is not None and option not in self.options:
                raise ValueError(f"{flag} does not apply to --model {self.name}")


CLI_MODELS: dict[str, CliModel] = {}


def register_cli_model(model: CliModel) -> CliModel:
    """Make ``--model NAME`` available to ``latentem fit`` and ``latentem select``.

    Examples
    --------
    >>> from latentem.cli.models import CLI_MODELS, register_cli_model
    >>> register_cli_model(CLI_MODELS["gmm"]).name
    'gmm'
    """
    CLI_MODELS[model.name] = model
    return model


def _gaussian_mixture(args: argparse.Namespace, n_components: int) -> GaussianMixture:
    return GaussianMixture(
        n_components,
        covariance_type=args.covariance or "full",
        assignment="hard" if args.hard else "soft",
        reg_covar=1e-6 if args.reg_covar is None else args.reg_covar,
        max_iter=args.max_iter,
        tol=args.tol,
        n_init=args.n_init,
        random_state=args.seed,
    )


register_cli_model(
    CliModel(
        name="gmm",
        summary="Gaussian mixture (latentem.GaussianMixture)",
        build=_gaussian_mixture,
        options=("covariance", "hard", "reg_covar"),
        supports_missing=True,
    )
)
