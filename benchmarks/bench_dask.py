"""Distributed EM on a dask LocalCluster (2 worker processes), against in-memory fits.

The data are generated on the workers as a dask array and kept there
(``persist``); every E-step ships the model to the workers, computes each
block's statistics where the block lives and adds them in a tree, so only
statistics come back. The same fit runs in memory (latentem, and
scikit-learn as the peer) from the same start for the same number of
iterations; the script checks the objectives agree (1e-10 relative for
latentem, 1e-6 for scikit-learn) and prints seconds per iteration and ratios.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_dask.py           # 4,000,000 x 16
    PYTHONPATH=. python benchmarks/bench_dask.py --quick   # 40,000 x 4
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

import latentem


def make_block(block_info=None, *, n_features: int, n_components: int, seed: int):
    """One block of rows of a fixed random mixture, seeded by its position."""
    info = block_info[None]
    (start, stop), _ = info["array-location"]
    centres = np.random.default_rng(seed).normal(0.0, 3.0, (n_components, n_features))
    rng = np.random.default_rng([seed, start])
    labels = rng.integers(n_components, size=stop - start)
    return centres[labels] + rng.normal(size=(stop - start, n_features))


def timed(engine_fit) -> tuple[float, latentem.EMResult]:
    stamps = [time.perf_counter()]
    result = engine_fit([lambda i, objective, model: stamps.append(time.perf_counter())])
    steps = np.diff(stamps)
    return statistics.median(steps[1:] if len(steps) > 1 else steps), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--components", type=int, default=4)
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--iterations", type=int, default=5)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.features, args.chunk_rows, args.iterations = 40_000, 4, 10_000, 2

    import dask.array as da
    from distributed import Client, LocalCluster, wait

    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(
        f"data: {args.rows:,} x {args.features} float64 in blocks of {args.chunk_rows:,} rows; "
        f"{args.components} full-covariance components, {args.iterations} iterations"
    )
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        began = time.perf_counter()
        chunks = (
            tuple(
                min(args.chunk_rows, args.rows - start)
                for start in range(0, args.rows, args.chunk_rows)
            ),
            (args.features,),
        )
        X = da.map_blocks(
            make_block,
            n_features=args.features,
            n_components=args.components,
            seed=0,
            chunks=chunks,
            dtype=np.float64,
            meta=np.empty((0, args.features)),
        ).persist()
        client.wait_for_workers(2)
        wait(X)
        print(f"generated on 2 workers in {time.perf_counter() - began:.1f} s")
        local = X.compute()
        start = latentem.GaussianMixtureModel.from_data(
            local[:100_000], args.components, random_state=0
        )

        def fit(data):
            def run(callbacks):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", latentem.ConvergenceWarning)
                    return latentem.EM(max_iter=args.iterations, tol=0.0, callbacks=callbacks).fit(
                        start, data
                    )

            return run

        distributed_seconds, distributed = timed(fit(X))
        memory_seconds, memory = timed(fit(local))
    rtol = float(np.max(np.abs(distributed.history - memory.history) / np.abs(memory.history)))
    print(f"{'fit':<30}{'s/iteration':>12}")
    print(f"{'latentem, dask (2 processes)':<30}{distributed_seconds:>12.3f}")
    print(f"{'latentem, in memory':<30}{memory_seconds:>12.3f}")
    ok = rtol < 1e-10
    try:
        from sklearn.mixture import GaussianMixture

        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peer = GaussianMixture(
                args.components,
                max_iter=args.iterations,
                tol=0.0,
                weights_init=start.weights,
                means_init=start.means,
                precisions_init=start.precisions,
            ).fit(local)
        # scikit-learn's fit also runs a final E-step
        peer_seconds = (time.perf_counter() - began) / (args.iterations + 1)
        print(f"{'scikit-learn, in memory':<30}{peer_seconds:>12.3f}")
        gap = abs(peer.lower_bound_ * args.rows - memory.history[-1]) / abs(memory.history[-1])
        print(f"scikit-learn's last objective vs latentem's: relative difference {gap:.2e}")
        ok = ok and gap < 1e-6
        print(
            f"speed-up of the dask fit over scikit-learn: {peer_seconds / distributed_seconds:.2f}x"
        )
    except ImportError:
        print("scikit-learn not installed: the peer is skipped")
    print(f"objectives, dask vs in memory: largest relative difference {rtol:.2e}")
    print(f"dask time per iteration / in memory: {distributed_seconds / memory_seconds:.2f}")
    print("answers agree" if ok else "ANSWERS DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
