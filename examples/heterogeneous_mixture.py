"""A mixture of heterogeneous families: response times of cache hits, requests and timeouts.

Response times of a web service come from three processes: cache hits (an
exponential with a mean of 15 ms), ordinary requests (log-normal, median 150
ms) and timeouts (normal around one second). ``latentem.Mixture`` puts an
Exponential, a LogNormal and a Normal side by side and ``latentem.EM`` fits
them; its BIC is far below that of a mixture of three Gaussians on the same
data, which cannot follow the sharp peak at zero. The fitted mixture is saved
and loaded back with ``latentem.save`` / ``latentem.load``, and each request is
classified by its most probable process.

The picture shows the fit twice: all the data, and the first 400 ms.

Run it from any folder: the pictures are written into the current directory.
"""

import os
import tempfile

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import latentem
from latentem.distributions import Exponential, LogNormal, Normal
from latentem.plot import plot_mixture

PICTURES = ["heterogeneous_mixture.png"]

rng = np.random.default_rng(2)
times = np.concatenate(
    [
        rng.exponential(15.0, 300),  # cache hits
        rng.lognormal(np.log(150.0), 0.3, 600),  # ordinary requests
        rng.normal(1000.0, 30.0, 100),  # timeouts
    ]
)[:, None]

start = latentem.Mixture([Exponential(1 / 50), LogNormal(np.log(100.0), 1.0), Normal(900.0, 100.0)])
result = latentem.EM(max_iter=1000, tol=1e-10).fit(start, times)
fitted = result.model
cache, ordinary, timeout = fitted
print(f"converged={result.converged} after {result.n_iter} iterations")
print(f"weights {np.round(fitted.weights, 3)}")
print(f"cache hits: mean {1 / cache.rate:.1f} ms")
print(f"ordinary requests: median {np.exp(ordinary.mu):.1f} ms, sigma {ordinary.sigma:.3f}")
print(f"timeouts: {timeout.loc:.1f} ms +- {timeout.scale:.1f}")

gaussians = latentem.GaussianMixture(3, n_init=3, random_state=0).fit(times)
print(f"BIC: heterogeneous {fitted.bic(times):.1f}, three Gaussians {gaussians.bic(times):.1f}")
if not fitted.bic(times) < gaussians.bic(times):
    raise SystemExit("the heterogeneous mixture should fit these data better than Gaussians")

folder = tempfile.mkdtemp()  # the current folder receives only the pictures
latentem.save(fitted, os.path.join(folder, "response_times.json"))
again = latentem.load(os.path.join(folder, "response_times.json"))
labels = again.predict(np.array([[3.0], [140.0], [990.0]]))
print(
    "3 ms, 140 ms and 990 ms are classified as",
    [("cache", "ordinary", "timeout")[k] for k in labels],
)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
plot_mixture(fitted, times, ax=left, bins=80, title="response times (ms)")
plot_mixture(fitted, times, ax=right, bins=300, title="the first 400 ms")
right.set_xlim(0, 400)
fig.tight_layout()
fig.savefig("heterogeneous_mixture.png", dpi=80)
print("wrote", ", ".join(PICTURES))
