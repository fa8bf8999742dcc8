"""Runs of a computation again and again, in turn and from threads at once.

For tests of work arrays kept between passes: every run must equal a run on
fresh arrays, whatever ran before it or beside it.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def runs_in_turn_and_at_once(
    run: Callable[[int], Any], n_variants: int, *, rounds: int = 2, threads: int = 4
) -> list[tuple[int, Any]]:
    """``(variant, run(variant))`` for ``rounds`` rounds in turn, then four rounds from threads."""
    in_turn = [(i % n_variants, run(i % n_variants)) for i in range(rounds * n_variants)]
    at_once = [i % n_variants for i in range(4 * n_variants)]
    with ThreadPoolExecutor(threads) as pool:
        concurrent = list(pool.map(run, at_once))
    return in_turn + list(zip(at_once, concurrent, strict=True))
