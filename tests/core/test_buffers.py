"""aligned_empty: C-contiguous arrays on 64-byte boundaries, of any shape and dtype."""

import numpy as np
import pytest

from latentem.core.buffers import ALIGNMENT, aligned_empty


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8, np.intp])
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (3, 5), (2, 0, 4), (1000, 3)])
def test_arrays_start_on_a_cache_line_and_hold_their_shape(shape, dtype):
    for _ in range(5):  # several allocations: malloc's offsets vary between them
        out = aligned_empty(shape, dtype)
        assert out.shape == shape and out.dtype == np.dtype(dtype)
        assert out.flags.c_contiguous and out.flags.writeable
        if out.size:
            assert out.ctypes.data % ALIGNMENT == 0
        out[...] = 1  # the whole view is usable memory
        assert np.all(out == 1)


def test_a_pool_lends_an_object_to_one_borrower_at_a_time_and_keeps_it():
    from latentem.core.buffers import LendingPool

    pool = LendingPool()
    made = []

    def make():
        made.append(object())
        return made[-1]

    with pool.borrow(make) as first, pool.borrow(make) as second:
        assert first is not second
    with pool.borrow(make) as again:
        assert again in (first, second)
    assert len(made) == 2
    with pytest.raises(RuntimeError), pool.borrow(make):
        raise RuntimeError("the pass failed")
    with pool.borrow(make) as a, pool.borrow(make) as b:  # given back even so
        assert {id(a), id(b)} == {id(first), id(second)}
