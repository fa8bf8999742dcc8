"""R's mclust against latentem: ``me`` for all 14 structures, ``Mclust()`` against ``select_model``.

Two parts, on the same seeded data (by default 10,000 x 5 rows from a mixture of 3
Gaussians with different volumes, shapes and orientations), handed to R as raw float64
(``readBin``, so both read the very same numbers):

``me``
    For each of mclust's 14 structures, EM from the same start partition (the true
    labels with half of them redrawn at random): mclust's ``me(X, model, z = unmap(labels))``
    against latentem's M-step of the same responsibilities
    (``GaussianMixtureModel.from_responsibilities``) followed by ``EM``, both with no
    regularisation and the same number of EM iterations (``--iterations``). mclust runs
    with ``emControl(tol = c(0, <default>), itmax = c(N, <default>))``: ``N`` iterations
    unless its log-likelihood stops changing in every bit first; latentem runs
    ``EM(max_iter=n, tol=0)`` with ``n`` the iterations mclust reported. An iteration
    of ``me`` is an M-step and an E-step, so after ``n`` iterations mclust's
    log-likelihood is that of its ``n``-th M-step; latentem's start is the first M-step
    and ``EM``'s ``history[-1]`` the log-likelihood of the ``n``-th (``EM`` then takes
    one more M-step, which latentem's time includes). The final log-likelihoods are
    checked to agree within 1e-6 relative before timing. The inner M-step iterations of
    the iterative structures (VEI, VEE, EVE, VVE, VEV) keep each library's defaults, so
    their work per iteration differs, and EVE and VVE are reported, not failed: inside EM
    latentem's M-step for them takes at most 25 inner rounds (mclust's runs to its inner
    tolerance), so their paths part at a fixed iteration count; and mclust's VVE M-step
    stops short of the maximum (tests/mixture/covariance/test_mclust.py).

``selection``
    ``select_model(X, range(1, 10), "all", init_params="hc", reg_covar=0)`` (its own
    ``tol`` and ``max_iter``) against ``Mclust(X, G = 1:9)`` (its defaults), whole
    calls, printing both choices and whether they agree. Both start from the
    hierarchical clustering of a random subset of rows above 2000 rows.

Timing: mclust inside R around ``me()`` or ``Mclust()`` only (``Sys.time()``: R's
``proc.time()`` counts whole milliseconds), one Rscript process per structure and round
doing its own repeats after one untimed call; latentem in this process around the fit
only (preparing the rows, the starting M-step and EM). The libraries alternate which
goes first, round by round; the medians over all rounds and repeats are reported.
latentem uses every core this process may run on and mclust one (its Fortran and R's
BLAS); ``taskset -c 0 python ...`` holds both to one core.

Run from the repository root (R 4 with mclust 6 on the PATH as ``Rscript``)::

    PYTHONPATH=. python benchmarks/bench_mclust.py              # both parts
    PYTHONPATH=. python benchmarks/bench_mclust.py --quick      # tiny, checks the script
    PYTHONPATH=. python benchmarks/bench_mclust.py --part me --rows 100000 --rounds 5

``--json PATH`` also writes every time and answer.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gmm import describe_machine

import latentem
from latentem.mixture import GaussianMixtureModel
from latentem.mixture.covariance import covariance_type
from latentem.mixture.kernels import prepare_data
from latentem.mixture.kernels.threads import default_threads

#: mclust's 14 structures, in its order (``mclust.options("emModelNames")``).
MCLUST_MODELS = (
    "EII",
    "VII",
    "EEI",
    "VEI",
    "EVI",
    "VVI",
    "EEE",
    "VEE",
    "EVE",
    "VVE",
    "EEV",
    "VEV",
    "EVV",
    "VVV",
)
#: Structures whose M-step iterates (in both libraries); the rest are in closed form.
ITERATIVE = frozenset({"VEI", "VEE", "EVE", "VVE", "VEV"})
# Inside EM, latentem's EVE and VVE M-steps take at most 25 minorise-maximise rounds of the
# common orientation from the previous one (a generalised M-step with the same fixed
# points; latentem/mixture/covariance/eigen.py), where mclust's run their inner loop to
# tol[2]: after a fixed number of iterations the two are at different points of different
# paths (measured: EVE 1.9e-4 relative on --quick's data after 5 iterations, 6.9e-8 on the
# default data after 20; both end at the same maximum when run to convergence).
_GENERALISED = (
    "latentem's M-step takes at most 25 inner rounds inside EM, mclust's runs to tol[2]: "
    "the paths differ at a fixed iteration count"
)
#: Structures whose answers after a fixed number of iterations may differ, and why
#: (reported, not failed).
DOCUMENTED_DIFFERENCES = {
    "EVE": _GENERALISED,
    "VVE": _GENERALISED + "; and mclust's VVE M-step stops short of the maximum "
    "(tests/mixture/covariance/test_mclust.py)",
}
AGREEMENT_RTOL = 1e-6

R_HELPER = r"""
suppressMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
num <- function(x) {
  if (is.null(x) || length(x) == 0 || is.na(x[1]) || !is.finite(x[1])) "null"
  else formatC(x[1], digits = 17, format = "g")
}
vec <- function(x) paste0("[", paste(vapply(x, num, ""), collapse = ","), "]")
str_ <- function(x) paste0('"', x, '"')
now <- function() as.numeric(Sys.time())
emit <- function(...) cat("RESULT {", paste(c(...), collapse = ","), "}\n", sep = "")
read_data <- function(path, d) {
  values <- readBin(path, "double", n = file.info(path)$size / 8, size = 8,
                    endian = "little")
  matrix(values, ncol = d, byrow = TRUE)
}
fit_me <- function(X, model, z, iterations) {
  control <- emControl(itmax = c(iterations, emControl()$itmax[2]),
                       tol = c(0, emControl()$tol[2]))
  tryCatch(me(X, model, z, control = control, warn = FALSE), error = function(e) NULL)
}
me_answer <- function(fit) {
  if (is.null(fit) || is.null(fit$loglik) || !is.finite(fit$loglik)) {
    return(c('"loglik":null', '"iterations":null'))
  }
  info <- unlist(attr(fit, "info"))
  c(paste0('"loglik":', num(fit$loglik)), paste0('"iterations":', abs(info[1])))
}
if (mode == "info") {
  control <- emControl()
  emit(paste0('"r":', str_(R.version.string)),
       paste0('"mclust":', str_(as.character(packageVersion("mclust")))),
       paste0('"blas":', str_(extSoftVersion()[["BLAS"]])),
       paste0('"lapack":', str_(La_library())),
       paste0('"tol":', vec(control$tol)),
       paste0('"itmax":', vec(control$itmax)),
       paste0('"subset":', num(mclust.options("subset"))),
       paste0('"hcModelName":', str_(mclust.options("hcModelName"))),
       paste0('"hcUse":', str_(mclust.options("hcUse"))),
       paste0('"models":[', paste(str_(mclust.options("emModelNames")), collapse = ","), "]"))
} else if (mode == "me-check") {
  # me-check DATA D LABELS ITERATIONS MODELS: one fit of every model, untimed
  X <- read_data(args[2], as.integer(args[3]))
  z <- unmap(scan(args[4], quiet = TRUE))
  iterations <- as.integer(args[5])
  for (model in strsplit(args[6], ",")[[1]]) {
    emit(paste0('"model":', str_(model)), me_answer(fit_me(X, model, z, iterations)))
  }
} else if (mode == "me") {
  # me DATA D LABELS ITERATIONS MODEL REPEATS: one untimed call, then REPEATS timed
  X <- read_data(args[2], as.integer(args[3]))
  z <- unmap(scan(args[4], quiet = TRUE))
  iterations <- as.integer(args[5])
  model <- args[6]
  repeats <- as.integer(args[7])
  fit <- fit_me(X, model, z, iterations)
  times <- numeric(repeats)
  for (r in seq_len(repeats)) {
    start <- now()
    fit <- fit_me(X, model, z, iterations)
    times[r] <- now() - start
  }
  emit(paste0('"model":', str_(model)), me_answer(fit), paste0('"times":', vec(times)))
} else if (mode == "mclust") {
  # mclust DATA D GMAX SEED REPEATS: REPEATS timed calls of Mclust(X, G = 1:GMAX)
  X <- read_data(args[2], as.integer(args[3]))
  G <- seq_len(as.integer(args[4]))
  seed <- as.integer(args[5])
  repeats <- as.integer(args[6])
  times <- numeric(repeats)
  for (r in seq_len(repeats)) {
    set.seed(seed)
    start <- now()
    fit <- Mclust(X, G = G, verbose = FALSE)
    times[r] <- now() - start
  }
  b <- fit$BIC
  values <- as.vector(b)
  cells <- expand.grid(G = as.integer(rownames(b)), model = colnames(b),
                       stringsAsFactors = FALSE)
  best <- head(order(values, decreasing = TRUE, na.last = NA), 3)
  top <- vapply(best, function(i) paste0("[", str_(cells$model[i]), ",", cells$G[i], ",",
                                         num(values[i]), "]"), "")
  every <- paste0('"cells":{', paste0(str_(paste0(cells$model, ",", cells$G)), ":",
                                       vapply(values, num, ""), collapse = ","), "}")
  subset <- attr(b, "initialization")$subset
  emit(paste0('"model":', str_(fit$modelName)), paste0('"k":', fit$G),
       paste0('"bic":', num(fit$bic)), paste0('"loglik":', num(fit$loglik)),
       paste0('"top":[', paste(top, collapse = ","), "]"),
       paste0('"subset":', if (is.null(subset)) 0 else length(subset)),
       paste0('"failed":', sum(is.na(values))), every,
       paste0('"times":', vec(times)))
} else {
  stop("unknown mode ", mode)
}
"""


class RError(RuntimeError):
    """Rscript failed or printed no result."""


def run_r(helper: Path, *arguments: Any) -> list[dict[str, Any]]:
    """The ``RESULT`` lines of one Rscript process running the helper, as dicts."""
    command = ["Rscript", "--vanilla", str(helper), *(str(a) for a in arguments)]
    completed = subprocess.run(command, capture_output=True, text=True)
    results = [
        json.loads(line[len("RESULT ") :])
        for line in completed.stdout.splitlines()
        if line.startswith("RESULT ")
    ]
    if completed.returncode != 0 or not results:
        raise RError(
            f"{' '.join(command)} failed ({completed.returncode}):\n"
            f"{completed.stdout}\n{completed.stderr}"
        )
    return results


def make_data(
    n_samples: int, n_features: int, n_components: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Rows from overlapping Gaussians of different volumes, shapes and orientations,
    and a start partition: the true labels, half of them redrawn at random.

    The components overlap enough that EM from the partition still moves after a few
    dozen iterations (so mclust's ``me`` runs the iterations asked for).
    """
    rng = np.random.default_rng(seed)
    d, k = n_features, n_components
    weights = np.arange(k, 0, -1, dtype=float)
    labels = rng.choice(k, size=n_samples, p=weights / weights.sum())
    X = np.empty((n_samples, d))
    for j in range(k):
        mixing = rng.normal(size=(d, d)) / np.sqrt(d) * (1.0 + 0.5 * j) + 0.5 * np.eye(d)
        rows = labels == j
        X[rows] = rng.normal(0.0, 0.4, size=d) + rng.normal(size=(int(rows.sum()), d)) @ mixing
    start = labels.copy()
    redrawn = rng.random(n_samples) < 0.5
    start[redrawn] = rng.integers(k, size=int(redrawn.sum()))
    return X, start


def mclust_name(name: str) -> str:
    """mclust's name of a latentem structure ("full" is "VVV")."""
    structure = covariance_type(name)
    return structure.name if structure.name.isupper() else structure.aliases[0]


def latentem_me(X: np.ndarray, resp: np.ndarray, model: str, iterations: int) -> Any:
    """latentem's ``me``: rows prepared once, the M-step of ``resp``, ``iterations`` of EM."""
    kernel = covariance_type(model).kernel(X.shape[1], resp.shape[1])
    data = prepare_data(X, kernel, n_components=resp.shape[1])
    start = GaussianMixtureModel.from_responsibilities(
        data, resp, covariance_type=model, reg_covar=0.0
    )
    return latentem.EM(max_iter=iterations, tol=0.0, convergence_warning=False).fit(start, data)


def latentem_selection(X: np.ndarray, max_k: int, seed: int) -> Any:
    """``select_model`` as issue 15 times it: 14 structures x 1..max_k, mclust's start."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the best k at the edge of the range, for one
        return latentem.select_model(
            X, range(1, max_k + 1), "all", init_params="hc", reg_covar=0.0, random_state=seed
        )


def _timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def _gap(a: float | None, b: float | None) -> float:
    if a is None or b is None:
        return float("nan")
    return abs(a - b) / max(abs(a), abs(b), 1.0)


@dataclass
class MeResult:
    """One structure's answers and times in part ``me``."""

    model: str
    iterations: int | None = None
    mclust_loglik: float | None = None
    latentem_loglik: float | None = None
    latentem_iterations: int | None = None
    failure: str = ""
    mclust_times: list[float] = field(default_factory=list)
    latentem_times: list[float] = field(default_factory=list)

    @property
    def gap(self) -> float:
        return _gap(self.mclust_loglik, self.latentem_loglik)

    @property
    def agree(self) -> bool:
        return self.gap <= AGREEMENT_RTOL

    def per_iteration(self, times: list[float]) -> float:
        return statistics.median(times) / self.iterations if times and self.iterations else 0.0


def run_me(
    helper: Path,
    data_path: Path,
    labels_path: Path,
    X: np.ndarray,
    labels: np.ndarray,
    iterations: int,
    rounds: int,
    repeats: int,
) -> list[MeResult]:
    """Part ``me``: check every structure's answers, then time them alternating."""
    k = int(labels.max()) + 1
    resp = np.eye(k)[labels]
    d = X.shape[1]
    common = (data_path, d, labels_path, iterations)
    results = {model: MeResult(model) for model in MCLUST_MODELS}
    for answer in run_r(helper, "me-check", *common, ",".join(MCLUST_MODELS)):
        result = results[answer["model"]]
        result.mclust_loglik, result.iterations = answer["loglik"], answer["iterations"]
        if result.iterations is None:
            result.failure = "mclust's me failed (singular covariance or empty component)"
            continue
        try:
            fitted = latentem_me(X, resp, result.model, result.iterations)
        except ValueError as error:
            result.failure = f"latentem failed: {error}"
            continue
        result.latentem_loglik, result.latentem_iterations = fitted.objective, fitted.n_iter
        if fitted.n_iter != result.iterations:
            result.failure = f"latentem ran {fitted.n_iter} iterations, mclust {result.iterations}"
    timed = [r for r in results.values() if not r.failure]
    for round_ in range(rounds):
        for result in timed:
            order = ("mclust", "latentem") if round_ % 2 == 0 else ("latentem", "mclust")
            for library in order:
                if library == "mclust":
                    (answer,) = run_r(
                        helper, "me", *common[:3], result.iterations, result.model, repeats
                    )
                    if answer["iterations"] != result.iterations:
                        result.failure = "mclust's iterations changed between runs"
                    result.mclust_times += answer["times"]
                    continue
                for _ in range(repeats):
                    seconds, fitted = _timed(
                        lambda model=result.model, n=result.iterations: latentem_me(
                            X, resp, model, n
                        )
                    )
                    if fitted.objective != result.latentem_loglik:
                        result.failure = "latentem's answer changed between runs"
                    result.latentem_times.append(seconds)
    return list(results.values())


def print_me(results: list[MeResult], n: int, d: int, k: int, asked: int) -> int:
    """The table of part ``me``; the number of unexplained disagreements."""
    print(
        f"\nme: EM from the same partition, {n} x {d}, {k} components, reg_covar 0, "
        f"{asked} iterations asked (mclust stops earlier only if its log-likelihood stops "
        "changing; latentem runs mclust's count)"
    )
    header = (
        f"{'model':<6}{'M-step':<8}{'iter':>5}{'mclust ms/it':>14}{'latentem ms/it':>16}"
        f"{'mclust/latentem':>17}  {'mclust loglik':>20}{'latentem loglik':>20}{'rel. gap':>10}"
        "  answers"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    for r in results:  # mclust/latentem above 1: latentem takes less time per iteration
        kind = "iter" if r.model in ITERATIVE else "closed"
        if r.failure and not r.mclust_times:
            print(f"{r.model:<6}{kind:<8}{'':>5}  {r.failure}")
            failures += 1
            continue
        ours = r.per_iteration(r.latentem_times) * 1e3
        theirs = r.per_iteration(r.mclust_times) * 1e3
        ratio = f"{theirs / ours:.2f}x" if ours > 0 else "-"
        if r.agree:
            verdict = "agree"
        elif r.model in DOCUMENTED_DIFFERENCES:
            verdict = "differ (documented)"
        else:
            verdict = "DIFFER"
            failures += 1
        if r.failure:
            verdict += f"; {r.failure}"
            failures += 1
        print(
            f"{r.model:<6}{kind:<8}{r.iterations:>5}{theirs:>14.3f}{ours:>16.3f}{ratio:>17}  "
            f"{r.mclust_loglik:>20.10f}{r.latentem_loglik:>20.10f}{r.gap:>10.1e}  {verdict}"
        )
    for model, why in DOCUMENTED_DIFFERENCES.items():
        print(f"may differ, {model}: {why}")
    timed = [r for r in results if r.mclust_times and r.latentem_times]
    if timed:
        ratios = [
            r.per_iteration(r.mclust_times) / r.per_iteration(r.latentem_times) for r in timed
        ]
        closed = [ratio for r, ratio in zip(timed, ratios, strict=True) if r.model not in ITERATIVE]
        print(
            "mclust/latentem per iteration (above 1: latentem faster): geometric mean "
            f"{_geomean(ratios):.2f}x over {len(ratios)} structures"
            + (
                f", {_geomean(closed):.2f}x over the {len(closed)} closed-form ones"
                if closed
                else ""
            )
        )
    return failures


def _geomean(values: list[float]) -> float:
    return float(np.exp(np.mean(np.log(values)))) if values else float("nan")


def run_selection(
    helper: Path, data_path: Path, X: np.ndarray, max_k: int, rounds: int, repeats: int, seed: int
) -> dict[str, Any]:
    """Part ``selection``: whole ``Mclust()`` and ``select_model`` calls, alternating."""
    mclust_times: list[float] = []
    latentem_times: list[float] = []
    mclust: dict[str, Any] = {}
    ours: Any = None
    for round_ in range(rounds):
        order = ("mclust", "latentem") if round_ % 2 == 0 else ("latentem", "mclust")
        for library in order:
            if library == "mclust":
                (mclust,) = run_r(helper, "mclust", data_path, X.shape[1], max_k, seed, repeats)
                mclust_times += mclust["times"]
                continue
            for _ in range(repeats):
                seconds, ours = _timed(lambda: latentem_selection(X, max_k, seed))
                latentem_times.append(seconds)
    best = ours.best_estimator
    ranking = [(mclust_name(name), k, value) for name, k, value in ours.ranking()[:3]]
    n_iter = int(best.n_iter_)
    cells = {  # mclust's sign: higher is better
        f"{mclust_name(name)},{k}": -float(ours.scores["bic"][i, j])
        for i, k in enumerate(ours.n_components)
        for j, name in enumerate(ours.covariance_types)
    }
    return {
        "mclust": {**mclust, "times": mclust_times},
        "latentem": {
            "model": mclust_name(best.covariance_type),
            "k": int(best.n_components),
            "bic": -ranking[0][2],  # mclust's sign: higher is better
            "top": [[name, k, -value] for name, k, value in ranking],
            "failed": len(ours.failures),
            "best_n_iter": n_iter,
            "cells": {cell: None if np.isnan(value) else value for cell, value in cells.items()},
            "times": latentem_times,
        },
    }


def print_selection(
    selection: dict[str, Any], n: int, d: int, max_k: int, info: dict[str, Any]
) -> None:
    theirs, ours = selection["mclust"], selection["latentem"]
    from latentem.mixture.hierarchical import HC_MAX_ROWS
    from latentem.selection.models import SELECTION_MAX_ITER, SELECTION_TOL

    print(
        f"\nselection: Mclust(X, G = 1:{max_k}) against select_model(X, range(1, {max_k + 1}), "
        f'"all", init_params="hc", reg_covar=0) on {n} x {d}, whole calls'
    )
    tol, itmax = info["tol"], info["itmax"]
    print(
        f"  mclust's defaults: emControl(tol = c({tol[0]:g}, {tol[1]:.4g}), itmax = "
        f"c({itmax[0]:.0f}, {itmax[1]:.0f})): EM stops once the log-likelihood changes by "
        f"less than {tol[0]:g} relative (|change| / (1 + |loglik|))"
    )
    per_sample = tol[0] * (1.0 + abs(theirs["loglik"])) / n
    print(
        f"  latentem's select_model: tol {SELECTION_TOL:g} per sample "
        f"(|change| / n_samples), max_iter {SELECTION_MAX_ITER}; at the log-likelihood of "
        f"mclust's choice ({theirs['loglik']:.2f}) mclust's tol is {per_sample:.2g} per "
        f"sample, {per_sample / SELECTION_TOL:.0f}x latentem's"
    )
    subset = theirs["subset"]
    print(
        "  hierarchical start: mclust on "
        + (f"a random subset of {subset} rows" if subset else f"all {n} rows")
        + f" (subset option {info['subset']:.0f}, hc {info['hcModelName']} on {info['hcUse']}); "
        f"latentem on "
        + (f"a random subset of {HC_MAX_ROWS} rows" if n > HC_MAX_ROWS else f"all {n} rows")
        + f" (HC_MAX_ROWS {HC_MAX_ROWS})"
    )
    if n > HC_MAX_ROWS:
        print(
            "    (mclust: M-step on the subset's partition, then EM on every row; latentem: "
            "the other rows join the nearest cluster mean, then the M-step on every row)"
        )
    for name, side in (("Mclust()", theirs), ("select_model", ours)):
        seconds = statistics.median(side["times"])
        top = ", ".join(f"{m},{k} {bic:.2f}" for m, k, bic in side["top"])
        print(
            f"  {name:<13}{seconds:>10.3f} s (median of {len(side['times'])}; "
            f"all: {', '.join(f'{t:.3f}' for t in side['times'])})  best {side['model']},"
            f"{side['k']} BIC {side['bic']:.4f}; top 3: {top}; {side['failed']} cells failed"
        )
    same = (theirs["model"], theirs["k"]) == (ours["model"], ours["k"])
    if not same:
        mine, other = f"{ours['model']},{ours['k']}", f"{theirs['model']},{theirs['k']}"
        higher = "select_model's" if ours["bic"] > theirs["bic"] else "Mclust()'s"
        print(
            f"  at the other's choice: Mclust()'s BIC of {mine} is "
            f"{_bic(theirs['cells'].get(mine))}, select_model's of {other} is "
            f"{_bic(ours['cells'].get(other))}; the higher BIC (mclust's sign) is {higher} choice"
        )
    ratio = statistics.median(theirs["times"]) / statistics.median(ours["times"])
    print(
        f"  choices {'agree' if same else 'DIFFER'} (BIC relative gap "
        f"{_gap(theirs['bic'], ours['bic']):.1e}); Mclust()/select_model time {ratio:.2f}x"
    )


def _bic(value: float | None) -> str:
    return "not fitted" if value is None else f"{value:.4f}"


def git_revision() -> str:
    """latentem's git revision (with ``-dirty`` for uncommitted changes), if any."""
    root = Path(latentem.__file__).resolve().parents[1]
    try:
        found = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return found.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, 1 round: checks the script"
    )
    parser.add_argument("--part", choices=["me", "selection", "both"], default="both")
    parser.add_argument("--rows", type=int, default=None, help="rows of data (10,000)")
    parser.add_argument("--features", type=int, default=None, help="columns of data (5)")
    parser.add_argument("--components", type=int, default=3, help="components of data and me")
    parser.add_argument("--iterations", type=int, default=None, help="EM iterations of me (20)")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds (3)")
    parser.add_argument("--repeats", type=int, default=None, help="me calls per round (3)")
    parser.add_argument(
        "--selection-repeats", type=int, default=1, help="Mclust()/select_model calls per round"
    )
    parser.add_argument("--max-k", type=int, default=None, help="select over 1..max-k (9)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write every time and answer here")
    args = parser.parse_args(argv)
    quick = args.quick
    rows = args.rows or (600 if quick else 10_000)
    features = args.features or (3 if quick else 5)
    iterations = args.iterations or (5 if quick else 20)
    rounds = args.rounds or (1 if quick else 3)
    repeats = args.repeats or (1 if quick else 3)
    max_k = args.max_k or (3 if quick else 9)
    if shutil.which("Rscript") is None:
        print("Rscript is not on the PATH: install R and mclust 6", file=sys.stderr)
        return 2

    print(describe_machine())
    with tempfile.TemporaryDirectory() as folder:
        helper = Path(folder) / "mclust_helper.R"
        helper.write_text(R_HELPER)
        (info,) = run_r(helper, "info")
        print(
            f"latentem {latentem.__version__} (git {git_revision()}), {default_threads()} "
            f"thread(s); {info['r']}, mclust {info['mclust']}, R's BLAS {info['blas']}"
        )
        X, labels = make_data(rows, features, args.components, args.seed)
        data_path = Path(folder) / "X.f64"
        labels_path = Path(folder) / "labels.txt"
        X.astype("<f8").tofile(data_path)
        np.savetxt(labels_path, labels + 1, fmt="%d")
        print(
            f"data: {rows} x {features}, {args.components} Gaussians (seed {args.seed}); "
            f"{rounds} round(s) alternating which library goes first; medians reported"
        )
        record: dict[str, Any] = {
            "settings": {
                "rows": rows,
                "features": features,
                "components": args.components,
                "iterations": iterations,
                "rounds": rounds,
                "repeats": repeats,
                "selection_repeats": args.selection_repeats,
                "max_k": max_k,
                "seed": args.seed,
            },
            "r": info,
            "latentem": git_revision(),
        }
        failures = 0
        if args.part in ("me", "both"):
            results = run_me(helper, data_path, labels_path, X, labels, iterations, rounds, repeats)
            failures += print_me(results, rows, features, args.components, iterations)
            record["me"] = {
                r.model: {
                    "iterations": r.iterations,
                    "mclust_loglik": r.mclust_loglik,
                    "latentem_loglik": r.latentem_loglik,
                    "mclust_times": r.mclust_times,
                    "latentem_times": r.latentem_times,
                    "failure": r.failure,
                }
                for r in results
            }
        if args.part in ("selection", "both"):
            selection = run_selection(
                helper, data_path, X, max_k, rounds, args.selection_repeats, args.seed
            )
            print_selection(selection, rows, features, max_k, info)
            record["selection"] = selection
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nload average at the end: {load}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(record, out, indent=1)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
