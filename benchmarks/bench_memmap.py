"""Out-of-core EM: a Gaussian mixture fitted on a memmap, against in-memory fits.

A ``rows x features`` float64 file (10,000,000 x 16 = 1.28 GB by default) is
written to a temporary directory and deleted afterwards. Three fits run from
the same start for the same number of iterations (``tol=0``), each in its own
process so that its peak resident memory is its own:

* latentem on ``np.memmap`` (chunks of about 16 MiB, read through one mapping
  per chunk);
* latentem on the data loaded into memory (one chunk);
* scikit-learn's ``GaussianMixture`` on the data in memory (the peer; it has
  no out-of-core mode), when scikit-learn is installed.

For each: seconds per iteration (latentem: median over iterations 2..n from
the engine's callbacks; scikit-learn: ``fit`` time divided by n + 1, since it
also runs a final E-step) and peak resident memory (``VmHWM`` of
``/proc/self/status``, and ``ru_maxrss``) above the process's baseline after
imports. The objectives are checked to agree (memmap vs in memory to 1e-10
relative; scikit-learn to 1e-6). The file is read from a warm page cache
(it was just written).

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_memmap.py             # 10,000,000 x 16
    PYTHONPATH=. python benchmarks/bench_memmap.py --quick     # 200,000 x 16
    PYTHONPATH=. python benchmarks/bench_memmap.py --dir /scratch --no-sklearn
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def memory_status() -> dict[str, float]:
    """Resident-memory figures of this process in MiB (Linux ``/proc``)."""
    out = {"ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[key] = float(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def machine() -> str:
    lines = []
    try:
        lines.append(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
        lines += [line for line in lscpu if line.split(":")[0] in ("Model name", "CPU(s)")]
    except OSError:
        pass
    config = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
    blas = config.get("Build Dependencies", {}).get("blas", {}) if config else {}
    lines.append(f"numpy {np.__version__}, BLAS {blas.get('name', '?')} {blas.get('version', '')}")
    return "\n".join(lines)


def write_data(path: Path, rows: int, features: int, components: int, seed: int) -> None:
    """Rows of a random mixture, written block by block (never all in memory)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 3.0, (components, features))
    scales = rng.uniform(0.5, 1.5, (components, features))
    block = 1_000_000
    with open(path, "wb") as handle:
        for start in range(0, rows, block):
            n = min(block, rows - start)
            labels = rng.integers(components, size=n)
            chunk = centres[labels] + scales[labels] * rng.normal(size=(n, features))
            chunk.tofile(handle)


def child(args: argparse.Namespace) -> None:
    """One fit in this process; prints one JSON line."""
    import latentem

    start_file = np.load(args.start)
    shape = (args.rows, args.features)
    baseline = memory_status()
    timings: list[float] = []
    history: list[float] = []
    if args.child == "sklearn-memory":
        from sklearn.mixture import GaussianMixture

        X = np.fromfile(args.data, dtype=np.float64).reshape(shape)
        loaded = memory_status()
        model = GaussianMixture(
            args.components,
            covariance_type=args.covariance_type,
            max_iter=args.iterations,
            tol=0.0,
            reg_covar=1e-6,
            weights_init=start_file["weights"],
            means_init=start_file["means"],
            precisions_init=start_file["precisions"],
        )
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X)
        per_iteration = (time.perf_counter() - began) / (args.iterations + 1)
        history = [float(model.lower_bound_) * args.rows]
    else:
        if args.child == "latentem-memmap":
            X = np.memmap(args.data, dtype=np.float64, mode="r", shape=shape)
        else:
            X = np.fromfile(args.data, dtype=np.float64).reshape(shape)
        loaded = memory_status()
        start = latentem.GaussianMixtureModel.from_parameters(
            start_file["weights"],
            start_file["means"],
            precisions=start_file["precisions"],
            covariance_type=args.covariance_type,
        )
        stamps = [time.perf_counter()]
        engine = latentem.EM(
            max_iter=args.iterations,
            tol=0.0,
            callbacks=[lambda i, objective, model: stamps.append(time.perf_counter())],
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", latentem.ConvergenceWarning)
            result = engine.fit(start, X)
        timings = list(np.diff(stamps))
        per_iteration = statistics.median(timings[1:] if len(timings) > 1 else timings)
        history = [float(value) for value in result.history]
    peak = memory_status()
    print(
        json.dumps(
            {
                "mode": args.child,
                "seconds_per_iteration": per_iteration,
                "iteration_seconds": timings,
                "history": history,
                "baseline": baseline,
                "loaded": loaded,
                "peak": peak,
            }
        )
    )


def run_child(mode: str, args: argparse.Namespace, data: Path, start: Path) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--data",
        str(data),
        "--start",
        str(start),
        "--rows",
        str(args.rows),
        "--features",
        str(args.features),
        "--components",
        str(args.components),
        "--covariance-type",
        args.covariance_type,
        "--iterations",
        str(args.iterations),
    ]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 rows, 2 iterations")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--components", type=int, default=4)
    parser.add_argument("--covariance-type", default="full")
    parser.add_argument("--iterations", type=int, default=4)
    parser.add_argument("--dir", default=None, help="where the temporary file goes")
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--start", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    if args.quick:
        args.rows, args.iterations = 200_000, 3

    import latentem
    from latentem.core.sources import ArrayChunks, sample_rows

    size = args.rows * args.features * 8
    directory = Path(args.dir or tempfile.gettempdir())
    free = shutil.disk_usage(directory).free
    print(machine())
    print(f"data: {args.rows:,} x {args.features} float64 = {size / 1e9:.2f} GB in {directory}")
    if free < 1.5 * size:
        print(f"not enough free space in {directory}: {free / 1e9:.1f} GB; pass --dir")
        return 2
    modes = ["latentem-memmap", "latentem-memory"]
    try:
        import sklearn  # noqa: F401

        if not args.no_sklearn:
            modes.append("sklearn-memory")
    except ImportError:
        print("scikit-learn not installed: the peer is skipped")

    workdir = Path(tempfile.mkdtemp(prefix="latentem-bench-", dir=directory))
    try:
        data = workdir / "data.f64"
        began = time.perf_counter()
        write_data(data, args.rows, args.features, args.components, seed=0)
        print(f"wrote the file in {time.perf_counter() - began:.1f} s")
        mapped = np.memmap(data, dtype=np.float64, mode="r", shape=(args.rows, args.features))
        sample, _ = sample_rows(ArrayChunks(mapped), 100_000, args.rows, np.random.default_rng(1))
        del mapped
        start = latentem.GaussianMixtureModel.from_data(
            sample, args.components, covariance_type=args.covariance_type, random_state=0
        )
        start_path = workdir / "start.npz"
        np.savez(start_path, weights=start.weights, means=start.means, precisions=start.precisions)
        results = {mode: run_child(mode, args, data, start_path) for mode in modes}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\n{args.components} components, covariance_type={args.covariance_type}, "
        f"{args.iterations} iterations from the same start; memory above each process's "
        "baseline after imports"
    )
    print(f"{'fit':<18}{'s/iteration':>12}{'peak RSS MiB':>14}{'x data size':>13}")
    for mode, result in results.items():
        peak = result["peak"].get("VmHWM", result["peak"]["ru_maxrss"])
        base = result["baseline"].get("VmRSS", result["baseline"]["ru_maxrss"])
        above = peak - base
        print(
            f"{mode:<18}{result['seconds_per_iteration']:>12.3f}{above:>14.1f}"
            f"{above * 2**20 / size:>13.3f}"
        )
    memmap, memory = results["latentem-memmap"], results["latentem-memory"]
    rtol = float(
        np.max(
            np.abs(np.subtract(memmap["history"], memory["history"])) / np.abs(memory["history"])
        )
    )
    print(f"\nobjectives, memmap vs in memory: largest relative difference {rtol:.2e}")
    ok = rtol < 1e-10
    t_memmap = memmap["seconds_per_iteration"]
    print(
        f"memmap time per iteration / in-memory: {t_memmap / memory['seconds_per_iteration']:.2f}"
    )
    if "sklearn-memory" in results:
        peer = results["sklearn-memory"]
        # scikit-learn's lower_bound_ is the objective of its last E-step, our history[-1]
        gap = abs(peer["history"][-1] - memory["history"][-1]) / abs(memory["history"][-1])
        print(f"scikit-learn's last objective vs latentem's: relative difference {gap:.2e}")
        ok = ok and gap < 1e-6
        print(
            "speed-up of the memmap fit over scikit-learn in memory: "
            f"{peer['seconds_per_iteration'] / t_memmap:.2f}x"
        )
        peer_peak = peer["peak"].get("VmHWM", 0) - peer["baseline"].get("VmRSS", 0)
        mine = memmap["peak"].get("VmHWM", 0) - memmap["baseline"].get("VmRSS", 0)
        if mine > 0:
            print(f"peak memory of scikit-learn in memory / memmap fit: {peer_peak / mine:.1f}x")
    print("answers agree" if ok else "ANSWERS DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
