"""Blocked passes: every row once, in task order, errors re-raised, BLAS held to one thread."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from latentem.core.buffers import ALIGNMENT
from latentem.mixture.kernels import DiagKernel, blocks, prepare_data
from latentem.mixture.kernels.blocks import MAX_TASKS, Workspace, plan_blocks, run_blocks
from tests.forking import held_by_another_thread, needs_fork, run_in_forked_child
from tests.reuse import runs_in_turn_and_at_once

X = np.random.default_rng(0).normal(size=(1000, 2))


@pytest.mark.parametrize("n_samples, block_rows", [(1000, 7), (1000, 1000), (5, 64), (10_000, 3)])
def test_plan_covers_every_row_once_in_order(n_samples, block_rows):
    plan = plan_blocks(n_samples, block_rows)
    rows = [r for task in plan.tasks for block in task for r in range(block.start, block.stop)]
    assert rows == list(range(n_samples))
    assert 1 <= plan.n_tasks <= MAX_TASKS


@pytest.mark.parametrize("n_threads", [1, 3])
def test_every_block_is_visited_with_blas_on_one_thread(n_threads):
    data = prepare_data(X, DiagKernel(), n_threads=n_threads, block_rows=10)
    plan = plan_blocks(data.n_samples, data.block_rows)
    seen = np.zeros(data.n_samples, dtype=int)
    blas_threads = set()

    def work(task, rows, workspace):
        seen[rows] += 1
        blas_threads.update(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

    run_blocks(data, plan, work)
    assert np.all(seen == 1)
    assert blas_threads == {1}


def test_an_error_in_a_helper_thread_reaches_the_caller():
    data = prepare_data(X, DiagKernel(), n_threads=4, block_rows=10)

    def work(task, rows, workspace):
        if task == 7:
            raise ArithmeticError("task 7 failed")

    with pytest.raises(ArithmeticError, match="task 7 failed"):
        run_blocks(data, plan_blocks(data.n_samples, data.block_rows), work)


def test_block_buffers_of_the_kernels_have_every_row_on_a_cache_line():
    # 100 rows of float64 are not a whole number of 64-byte lines: rows are padded
    data = prepare_data(X, DiagKernel(), n_components=2, block_rows=100)
    workspace = Workspace(data)
    for width in (100, 37, 1):
        buffer = workspace.buffer("joint", 2, width)
        assert buffer.shape == (2, width)
        for row in buffer:
            assert row.ctypes.data % ALIGNMENT == 0


def test_passes_reusing_workspaces_equal_fresh_ones_also_from_threads():
    # a data object keeps its workspaces for the next pass; a pass must see nothing of
    # the previous pass's values, nor of a concurrent pass's
    from latentem.mixture import GaussianMixtureModel

    rows = np.random.default_rng(1).normal(size=(3000, 2))
    models = [
        GaussianMixtureModel.from_data(rows, k, covariance_type="diag", random_state=k)
        for k in (2, 3, 5)
    ]
    data = prepare_data(rows, DiagKernel(), n_threads=2, block_rows=256)

    def fresh(model):  # data no pass has seen: new workspaces
        return model.e_step(prepare_data(rows, DiagKernel(), n_threads=2, block_rows=256))

    expected = [fresh(model) for model in models]
    for variant, result in runs_in_turn_and_at_once(lambda i: models[i].e_step(data), 3):
        reference = expected[variant]
        assert result.log_likelihood == reference.log_likelihood
        np.testing.assert_array_equal(result.counts, reference.counts)
        np.testing.assert_array_equal(result.scatter, reference.scatter)


def test_kept_workspaces_do_not_keep_the_data_alive():
    import gc
    import weakref

    data = prepare_data(X, DiagKernel(), n_threads=2, block_rows=100)
    run_blocks(data, plan_blocks(data.n_samples, data.block_rows), lambda *args: None)
    gone = weakref.ref(data)
    del data
    gc.collect()
    assert gone() is None


@needs_fork
def test_a_child_forked_while_another_thread_holds_the_pool_lock_gets_its_own_pool():
    # before: the child inherited the held lock and waited on it for ever
    def child() -> bool:
        return blocks.worker_pool().submit(lambda: 1).result(timeout=2) == 1

    with held_by_another_thread(lambda: blocks._pool_lock):
        assert run_in_forked_child(child) == 0
