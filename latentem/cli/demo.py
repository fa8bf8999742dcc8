"""``latentem demo``: the seed documents' examples on data the demo makes itself.

1. Two diagonal Gaussians fitted by hard EM from an intentionally bad guess
   (seeds 000 and 002), one line per iteration.
2. Three full Gaussians fitted by soft EM exactly as seed 003 does (its data,
   ``np.random.seed(42)``, its starting means, identity covariances, equal
   weights, 41 steps, no regularisation), printing that seed's table.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any, cast

import numpy as np

from latentem.core.engine import EM
from latentem.core.exceptions import ConvergenceWarning
from latentem.mixture.gaussian import GaussianMixtureModel

__all__ = ["add_parser", "hard_em_two_gaussians", "run", "soft_em_three_gaussians"]


def two_gaussian_data(seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Seed 002's data: 100 points each from N([0, 5], diag(2, 3)) and N([5, 0], diag(4, 1))."""
    rng = np.random.default_rng(seed)
    first = rng.multivariate_normal([0.0, 5.0], [[2.0, 0.0], [0.0, 3.0]], 100)
    second = rng.multivariate_normal([5.0, 0.0], [[4.0, 0.0], [0.0, 1.0]], 100)
    return np.concatenate([first, second]), np.repeat([0, 1], 100)


def seed003_data() -> tuple[np.ndarray, np.ndarray]:
    """Seed 003's data and starting means, drawn from ``np.random.seed(42)`` as it does."""
    state = np.random.RandomState(42)
    X = np.vstack(
        [state.multivariate_normal(mean, np.eye(2), 100) for mean in [[0, 0], [5, 5], [0, 5]]]
    )
    start_means = X[state.choice(X.shape[0], 3, False)]
    return X, start_means


def hard_em_two_gaussians(frames: list[tuple[int, GaussianMixtureModel]] | None = None) -> Any:
    """Classification EM on two diagonal Gaussians from the seeds' bad guess."""
    X, _ = two_gaussian_data()
    guess = GaussianMixtureModel(
        weights=[0.4, 0.6],
        means=[[1.0, 1.0], [4.0, 4.0]],
        covariances=[[1.0, 1.0], [1.0, 1.0]],
        covariance_type="diag",
        assignment="hard",
        reg_covar=0.0,
    )
    previous = {"means": guess.means}
    if frames is not None:
        frames.append((0, guess))

    def report(iteration: int, objective: float, model: Any) -> None:
        shift = float(np.sqrt(np.sum((model.means - previous["means"]) ** 2)))
        previous["means"] = model.means
        sizes = np.round(model.weights * X.shape[0]).astype(int)
        print(
            f"  iteration {iteration:2d}  classification log-likelihood {objective:11.4f}  "
            f"shift of the means {shift:8.5f}  cluster sizes {sizes[0]:3d} {sizes[1]:3d}"
        )
        if frames is not None:
            frames.append((iteration, model))

    print("Hard EM, two diagonal Gaussians, from the intentionally bad guess")
    print("  means [1, 1] and [4, 4], unit variances, weights [0.4, 0.6]")
    result = EM(max_iter=50, tol=1e-12, callbacks=[report]).fit(guess, X)
    state = "converged" if result.converged else "stopped"
    fitted = cast(GaussianMixtureModel, result.model)
    print(f"  {state} after {result.n_iter} iterations; means:")
    print("  " + np.array2string(fitted.means, precision=4).replace("\n", "\n  "))
    return result, X


def soft_em_three_gaussians(
    frames: list[tuple[int, GaussianMixtureModel]] | None = None,
) -> Any:
    """Soft EM on three full Gaussians, reproducing seed 003's printed table."""
    X, start_means = seed003_data()
    start = GaussianMixtureModel(
        weights=np.full(3, 1.0 / 3.0),
        means=start_means,
        covariances=np.stack([np.eye(2)] * 3),
        covariance_type="full",
        reg_covar=0.0,
    )
    callbacks = []
    if frames is not None:
        frames.append((0, start))
        shown = {1, 2, 3, 5, 10, 20, 41}
        callbacks.append(lambda i, _, model: frames.append((i, model)) if i in shown else None)
    with warnings.catch_warnings():
        # seed 003 stops after 41 steps by its own test; we take exactly those 41 steps
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = EM(max_iter=41, tol=0.0, callbacks=callbacks).fit(start, X)
    model = cast(GaussianMixtureModel, result.model)
    print()
    print(
        "Soft EM, three full Gaussians, 41 steps from fixed starting means "
        "(data drawn after np.random.seed(42))"
    )
    print("Weights:\n", model.weights)
    print("Means:\n", model.means)
    print("Covariances:\n", model.covariances)
    return result, X


def _write_pictures(
    out: Path, fits: dict[str, tuple[Any, np.ndarray, list[tuple[int, GaussianMixtureModel]]]]
) -> list[Path]:
    from latentem.cli.common import headless_pyplot
    from latentem.plot import plot_objective, save_frames

    plt = headless_pyplot()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for prefix, (result, X, frames) in fits.items():
        written += save_frames(frames, X, out, name=prefix + "-iteration-{iteration:02d}.png")
        written += save_frames(frames, X, out / f"{prefix}.gif", fps=1)
        ax = plot_objective(result.history, per_sample=X.shape[0])
        ax.set_title(f"{prefix}: how far the objective is from its best value")
        path = out / f"{prefix}-objective.png"
        ax.figure.savefig(path, dpi=80, bbox_inches="tight")
        plt.close(ax.figure)
        written.append(path)
    return written


def run(args: argparse.Namespace) -> int:
    """Run both examples and, with matplotlib installed, write their pictures."""
    fits = {}
    for prefix, example in (
        ("hard-em", hard_em_two_gaussians),
        ("soft-em", soft_em_three_gaussians),
    ):
        frames: list[tuple[int, GaussianMixtureModel]] = []
        result, X = example(frames)
        fits[prefix] = (result, X, frames)
    print()
    if args.no_plots:
        return 0
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("Pictures of the fit per iteration need matplotlib: pip install matplotlib")
        return 0
    written = _write_pictures(Path(args.out), fits)
    print(f"Wrote {len(written)} pictures of the fits per iteration to {args.out}/")
    return 0


def add_parser(commands: Any) -> None:
    """Register ``latentem demo``."""
    parser = commands.add_parser(
        "demo",
        help="fit two small Gaussian mixtures by hard and soft EM on data made on the spot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", default="latentem-demo", help="folder for the pictures")
    parser.add_argument("--no-plots", action="store_true", help="print only, write no pictures")
    parser.set_defaults(run=run)
