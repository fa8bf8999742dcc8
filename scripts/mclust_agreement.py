"""Count how closely latentem's fits agree with mclust's fixtures, per tolerance.

The counts quoted in ``tests/mixture/covariance/test_mclust.py``,
``tests/mixture/test_hierarchical.py`` and the user guide come from this script. It
reads ``tests/fixtures/mclust`` (written by ``scripts/mclust_fixtures.R``) and needs
neither R nor mclust.

Usage::

    python scripts/mclust_agreement.py            # from mclust's start partitions (me())
    python scripts/mclust_agreement.py --defaults # from mclust's default start (Mclust())
    python scripts/mclust_agreement.py --prior    # me() with priorControl(), per structure
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's latentem and the tests' fitting helpers

import numpy as np  # noqa: E402

import latentem  # noqa: E402
from tests.mixture.covariance.test_mclust import (  # noqa: E402
    FIXTURES,
    PRIOR_FITS,
    UNSHRUNK_MEANS,
    fit_from_mclusts_start,
    map_fit_from_mclusts_start,
)
from tests.mixture.test_hierarchical import fit_from_mclusts_default_start  # noqa: E402


def _parameter_error(model: latentem.GaussianMixtureModel, fit: dict) -> float:
    """The smallest rtol at which test_mclust.py's parameter comparisons pass."""
    k, d = fit["k"], model.means.shape[1]
    full = model.covariance_type.full_matrices(model.covariances, k, d)
    theirs = np.reshape(fit["covariances"], (k, d, d))
    atol = 1e-6 * np.abs(full).max()
    means = np.reshape(fit["means"], (k, d))
    return float(
        max(
            np.max(np.abs(model.weights - fit["weights"]) / np.abs(fit["weights"])),
            np.max(np.abs(model.means - means) / np.abs(means)),
            np.max(np.maximum(np.abs(full - theirs) - atol, 0.0) / np.abs(theirs).clip(1e-300)),
        )
    )


def same_start() -> list[tuple[str, float, float]]:
    """(case, relative log-likelihood difference, parameter error) for every me() fit."""
    rows = []
    for fit in json.loads((FIXTURES / "fits.json").read_text())["fits"]:
        _, result = fit_from_mclusts_start(fit)
        difference = (result.objective - fit["loglik"]) / abs(fit["loglik"])
        case = f"{fit['data']}-{fit['k']}-{fit['model']}"
        rows.append((case, difference, _parameter_error(result.model, fit)))
    return rows


def with_prior(unshrunk_means: bool) -> list[tuple[str, float, float]]:
    """(case, relative log-likelihood difference, parameter error) for every MAP me() fit.

    ``unshrunk_means``: EEI's means left at the data means, as mclust's EEI routine does.
    """
    rows = []
    for fit in PRIOR_FITS:
        unshrunk = unshrunk_means and fit["model"] in UNSHRUNK_MEANS
        _, model, log_likelihood = map_fit_from_mclusts_start(fit, unshrunk_means=unshrunk)
        difference = (log_likelihood - fit["loglik"]) / abs(fit["loglik"])
        case = f"{fit['data']}-{fit['k']}-{fit['model']}"
        rows.append((case, difference, _parameter_error(model, fit)))
    return rows


def _per_structure(rows: list[tuple[str, float, float]], title: str) -> None:
    print(title)
    print(f"  {'model':6s} {'fits':>4s} {'max |log-lik diff|':>19s} {'max parameter error':>20s}")
    for model in dict.fromkeys(case.rsplit("-", 1)[1] for case, _, _ in rows):
        mine = [row for row in rows if row[0].endswith(f"-{model}")]
        worst = max(abs(row[1]) for row in mine)
        print(f"  {model:6s} {len(mine):4d} {worst:19.1e} {max(row[2] for row in mine):20.1e}")


def defaults() -> list[tuple[str, float, float]]:
    """(case, relative log-likelihood difference, relative BIC difference), k = 2, 3."""
    rows = []
    for fit in json.loads((FIXTURES / "fits.json").read_text())["defaults"]:
        if fit["k"] not in (2, 3):
            continue
        X, gm = fit_from_mclusts_default_start(fit)
        difference = (gm.score(X) * len(X) - fit["loglik"]) / abs(fit["loglik"])
        bic = abs(gm.bic(X) + fit["bic"]) / abs(fit["bic"])
        rows.append((f"{fit['data']}-{fit['k']}-{fit['model']}", difference, bic))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--defaults", action="store_true", help="from mclust's default start")
    parser.add_argument("--prior", action="store_true", help="with mclust's default prior")
    args = parser.parse_args()
    warnings.simplefilter("ignore", latentem.ConvergenceWarning)
    if args.prior:
        _per_structure(with_prior(False), f"{len(PRIOR_FITS)} MAP fits, latentem's update")
        _per_structure(
            [row for row in with_prior(True) if row[0].rsplit("-", 1)[1] in UNSHRUNK_MEANS],
            "with mclust's unshrunk means (its EEI routine)",
        )
        return
    rows = defaults() if args.defaults else same_start()
    second = "BIC" if args.defaults else "parameters"
    print(f"{len(rows)} fits")
    for tol in (1e-12, 1e-10, 1e-9, 1e-7):
        agree = sum(abs(row[1]) <= tol for row in rows)
        print(f"log-likelihood within {tol:g} (relative): {agree}")
    for tol in (1e-12, 1e-9, 1e-7) if args.defaults else (1e-6, 1e-5, 1e-4):
        print(f"{second} within {tol:g} (relative): {sum(row[2] <= tol for row in rows)}")
    print("beyond 1e-9 in log-likelihood (latentem minus mclust, relative):")
    for case, difference, _ in rows:
        if abs(difference) > 1e-9:
            print(f"  {case:20s} {difference:+.2e}")


if __name__ == "__main__":
    main()
