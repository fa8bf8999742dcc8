import threading

import numpy as np
import pytest

from latentem import GaussianMixture
from latentem.core import parallel
from latentem.core.parallel import parallel_map, single_threaded_blas
from tests.forking import held_by_another_thread, needs_fork, run_in_forked_child

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads() -> list[int]:
    return [
        info["num_threads"]
        for info in threadpoolctl.threadpool_info()
        if info["user_api"] == "blas"
    ]


@pytest.fixture
def two_blas_threads():
    # the suite pins BLAS to one thread; two makes a lifted or stuck limit visible
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        if not blas_threads():
            pytest.skip("no BLAS library that threadpoolctl can control")
        yield blas_threads()


def test_workers_that_finish_in_any_order_keep_blas_on_one_thread(two_blas_threads):
    # worker 0 enters first and leaves first, while worker 1 still works: the
    # order in which a lifted limit or a wrong restore would show
    entered, first_left = threading.Barrier(2), threading.Event()
    seen = {}

    def work(worker: int) -> int:
        with single_threaded_blas():
            entered.wait()
            if worker == 1:
                first_left.wait()
                seen["after the first left"] = blas_threads()
        if worker == 0:
            first_left.set()
        return worker

    assert parallel_map(work, [0, 1], n_jobs=2) == [0, 1]
    assert set(seen["after the first left"]) == {1}
    assert blas_threads() == two_blas_threads


def test_restarts_on_threads_leave_blas_as_they_found_it(two_blas_threads):
    X = np.random.default_rng(0).normal(size=(400, 3))
    GaussianMixture(3, n_init=4, n_jobs=2, random_state=0).fit(X)
    assert blas_threads() == two_blas_threads


def test_nested_holds_in_one_thread_restore_on_the_outer_exit(two_blas_threads):
    with single_threaded_blas():
        with single_threaded_blas():
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}
    assert blas_threads() == two_blas_threads


def test_holds_of_threads_the_caller_never_waits_for_give_blas_back(two_blas_threads):
    # two fits on the user's own threads, the first in also the first out: BLAS must
    # end with its own setting, never stuck on one thread
    a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with single_threaded_blas():
            a_inside.set()
            b_inside.wait()
        a_left.set()

    def second() -> None:
        a_inside.wait()
        with single_threaded_blas():
            b_inside.set()
            a_left.wait()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert blas_threads() == two_blas_threads
    with single_threaded_blas():  # and the next hold still takes effect
        assert set(blas_threads()) == {1}
    assert blas_threads() == two_blas_threads


# ----------------------------------------------------------------------------- fork


def _child_fits() -> bool:
    X = np.random.default_rng(0).normal(size=(60, 2))
    model = GaussianMixture(2, max_iter=5, random_state=0).fit(X)
    return bool(np.isfinite(model.lower_bound_))


@needs_fork
def test_a_child_forked_while_another_thread_holds_the_lock_can_fit():
    # before: the child waited for ever on the lock the other thread held in the parent
    # (2 of 150 children forked during restarts on threads hung)
    with held_by_another_thread(lambda: parallel._limit_lock):
        assert run_in_forked_child(_child_fits) == 0
    with single_threaded_blas():  # the parent's lock works as before
        pass


@needs_fork
def test_a_child_forked_during_another_threads_hold_fits_and_gives_blas_back(
    two_blas_threads,
):
    def child() -> bool:
        fitted = _child_fits()
        # the forking thread took over the limit and lifted it at the end of its hold
        return fitted and parallel._limit is None and blas_threads() == two_blas_threads

    with held_by_another_thread(single_threaded_blas):
        assert parallel._limit is not None
        assert run_in_forked_child(child) == 0
    assert blas_threads() == two_blas_threads
