"""The models the command line fits, by ``--model`` name.

Each entry says how to build an unfitted front class from the parsed options,
which of the shared options apply, whether rows with missing values are
accepted, what ``fit`` needs besides the data (the ``--lengths`` of an HMM),
how to summarise the fit and how to draw it. A new plugin adds one
:class:`CliModel` with :func:`register_cli_model`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from attrs import frozen

from latentem.estimators.gaussian_mixture import GaussianMixture
from latentem.estimators.hmm.gaussian import GaussianHMM
from latentem.hmm.sequences import check_lengths

__all__ = [
    "CLI_MODELS",
    "OPTIONS",
    "CliModel",
    "log_likelihood_line",
    "mixture_summary",
    "parse_lengths",
    "plot_hmm_states",
    "register_cli_model",
]

#: Options shared by ``fit`` and ``select`` that only some models accept:
#: attribute name on the parsed arguments -> flag shown to the user.
OPTIONS = {
    "covariance": "--covariance",
    "hard": "--hard",
    "reg_covar": "--reg-covar",
    "lengths": "--lengths",
}


def _plot_mixture(estimator: Any, X: Any, path: Path, fit_params: dict[str, Any]) -> None:
    from latentem.plot import plot_mixture

    ax = plot_mixture(estimator, X, title=f"{estimator.n_components} components")
    ax.figure.savefig(path, dpi=100, bbox_inches="tight")


def _no_fit_params(args: argparse.Namespace, X: np.ndarray) -> dict[str, Any]:
    return {}


def mixture_summary(estimator: Any, X: np.ndarray, fit_params: dict[str, Any]) -> list[str]:
    """Convergence, log-likelihood per sample and every criterion the estimator has."""
    lines = []
    if hasattr(estimator, "converged_"):
        state = "converged" if estimator.converged_ else "did not converge"
        lines.append(f"  {state} after {estimator.n_iter_} iterations")
    if hasattr(estimator, "score_samples"):
        lines.append(log_likelihood_line(float(np.sum(estimator.score_samples(X))), X.shape[0]))
    for name in ("bic", "aic", "icl"):
        if hasattr(estimator, name):
            lines.append(f"  {name.upper()} {float(getattr(estimator, name)(X))!r}")
    return lines


def log_likelihood_line(total: float, n_samples: int) -> str:
    """The total log-likelihood and its mean per sample, with every digit of each double.

    Examples
    --------
    >>> log_likelihood_line(-10.5, 4)
    '  log-likelihood -10.5 (-2.625 per sample)'
    """
    return f"  log-likelihood {total!r} ({total / n_samples!r} per sample)"


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
        ``build(args, n_components, X)`` returns an unfitted front class;
        ``args`` holds ``max_iter`` (None: 100), ``tol`` (None for the front
        class's default, otherwise passed on as the front class takes it),
        ``n_init``, ``seed`` and the options in ``options``.
    options : tuple of str
        Which of :data:`OPTIONS` the model accepts; passing another is an
        error naming the flag.
    supports_missing : bool
        Whether rows with missing values (empty CSV cells) may be passed.
    plot : callable
        ``plot(estimator, X, path, fit_params)`` writes the picture of ``--plot``.
    fit_params : callable
        ``fit_params(args, X)`` returns the keyword arguments of ``fit`` and
        of the criteria besides ``X`` (e.g. ``lengths``); none by default.
    describe : callable
        ``describe(estimator, X, fit_params)`` returns the lines printed
        after a fit.

    Examples
    --------
    >>> from latentem.cli.models import CLI_MODELS
    >>> CLI_MODELS["gmm"].options
    ('covariance', 'hard', 'reg_covar')
    """

    name: str
    summary: str
    build: Callable[[argparse.Namespace, int, np.ndarray], Any]
    options: tuple[str, ...] = ()
    supports_missing: bool = False
    plot: Callable[[Any, Any, Path, dict[str, Any]], None] = _plot_mixture
    fit_params: Callable[[argparse.Namespace, np.ndarray], dict[str, Any]] = _no_fit_params
    describe: Callable[[Any, np.ndarray, dict[str, Any]], list[str]] = mixture_summary

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


def _gaussian_mixture(
    args: argparse.Namespace, n_components: int, X: np.ndarray
) -> GaussianMixture:
    return GaussianMixture(
        n_components,
        covariance_type=args.covariance or "full",
        assignment="hard" if args.hard else "soft",
        reg_covar=1e-6 if args.reg_covar is None else args.reg_covar,
        max_iter=100 if args.max_iter is None else args.max_iter,
        tol=1e-3 if args.tol is None else args.tol,
        n_init=args.n_init,
        random_state=args.seed,
        verbose=2 if getattr(args, "verbose", False) else 0,
        verbose_interval=1,
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


# ----------------------------------------------------------------------------- HMM


def parse_lengths(text: str, n_samples: int) -> np.ndarray:
    """``--lengths``: a comma-separated list, or a file with one integer per line.

    Parameters
    ----------
    text : str
        An existing file's path, or integers separated by commas.
    n_samples : int
        Rows of the data, which the lengths must add up to.

    Returns
    -------
    ndarray of int

    Examples
    --------
    >>> parse_lengths("3, 2", 5)
    array([3, 2])
    >>> parse_lengths("3,x", 5)
    Traceback (most recent call last):
    ...
    ValueError: --lengths must be integers separated by commas (e.g. 100,250) or a file with ...
    """
    path = Path(text)
    from_file = path.is_file()
    if from_file:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"--lengths {text}: cannot read the file ({error})") from None
        items = [(number, line.strip()) for number, line in enumerate(lines, 1) if line.strip()]
        where = f"--lengths {text}"
    else:
        items = [(0, item.strip()) for item in text.split(",")]
        where = "--lengths"
    values = []
    for number, item in items:
        try:
            values.append(int(item))
        except ValueError:
            if from_file:
                raise ValueError(
                    f"{where}: line {number}: {item!r} is not an integer; the file must hold "
                    "one sequence length per line"
                ) from None
            raise ValueError(
                "--lengths must be integers separated by commas (e.g. 100,250) or a file with "
                f"one integer per line; got {text!r}"
            ) from None
    if not values:
        raise ValueError(f"{where}: holds no sequence lengths")
    try:
        return check_lengths(values, n_samples)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _hmm_fit_params(args: argparse.Namespace, X: np.ndarray) -> dict[str, Any]:
    text = getattr(args, "lengths", None)
    return {} if text is None else {"lengths": parse_lengths(text, X.shape[0])}


def _gaussian_hmm(args: argparse.Namespace, n_components: int, X: np.ndarray) -> GaussianHMM:
    return GaussianHMM(
        n_components,
        covariance_type=args.covariance or "diag",
        n_iter=100 if args.max_iter is None else args.max_iter,
        # hmmlearn's rule, as latentem.GaussianHMM: on the total log-likelihood
        tol=1e-2 if args.tol is None else args.tol,
        n_init=args.n_init,
        random_state=args.seed,
        verbose=bool(getattr(args, "verbose", False)),
    )


def _hmm_summary(estimator: Any, X: np.ndarray, fit_params: dict[str, Any]) -> list[str]:
    lengths = fit_params.get("lengths")
    monitor = estimator.monitor_
    state = "converged" if monitor.converged else "did not converge"
    total = float(estimator.score(X, **fit_params))
    return [
        f"  {1 if lengths is None else len(lengths)} sequence(s)",
        f"  {state} after {monitor.iter} iterations (tol={estimator.tol!r} on the total "
        "log-likelihood)",
        log_likelihood_line(total, X.shape[0]),
        f"  BIC {float(estimator.bic(X, **fit_params))!r}",
        f"  AIC {float(estimator.aic(X, **fit_params))!r}",
    ]


def plot_hmm_states(estimator: Any, X: Any, path: Path, fit_params: dict[str, Any]) -> None:
    """The Viterbi states drawn behind the signal, sequences separated by dashed lines."""
    from latentem.plot import plot_states

    lengths = fit_params.get("lengths")
    states = estimator.predict(X, **fit_params)
    (ax,) = plot_states(X, states, title=f"{estimator.n_components} hidden states (Viterbi path)")
    if lengths is not None:
        for start in np.cumsum(lengths)[:-1]:
            ax.axvline(start - 0.5, color="black", linestyle="--", linewidth=1.0)
    ax.figure.savefig(path, dpi=100, bbox_inches="tight")


register_cli_model(
    CliModel(
        name="hmm",
        summary="hidden Markov model with Gaussian emissions (latentem.GaussianHMM)",
        build=_gaussian_hmm,
        options=("covariance", "lengths"),
        plot=plot_hmm_states,
        fit_params=_hmm_fit_params,
        describe=_hmm_summary,
    )
)
