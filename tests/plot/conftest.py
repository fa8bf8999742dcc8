"""Plot tests draw with the Agg backend and close every figure they open."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def assert_picture(path, min_bytes=2000):
    """A written, non-trivial picture: big enough and not a single flat colour."""
    assert path.exists(), path
    assert path.stat().st_size > min_bytes, f"{path} is only {path.stat().st_size} bytes"
    if path.suffix == ".png":
        pixels = plt.imread(path)
        assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50
        assert float(np.std(pixels[..., :3])) > 0.02, f"{path} is (almost) a flat colour"
