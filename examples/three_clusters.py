"""Three clusters fitted by soft EM from random Gaussians (seed 001).

As in the seed's post: 100 points around three random centres, a mixture of
three Gaussians started from random means (``4 * randn(2)``), identity
covariances and equal weights, then 100 EM steps. At the start the Gaussians
are "really off"; after 100 steps they sit on the three clusters.

Random starts are fragile: with other seeds two Gaussians can end up sharing
one cluster, or one can collapse onto a single point (the seed uses no
regularisation, and neither does this script). ``latentem.GaussianMixture``
starts from k-means++ seeds and can keep the best of ``n_init`` starts.

Run it from any folder: the pictures are written into the current directory.
"""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import latentem
from latentem.plot import FrameRecorder, plot_mixture, save_frames

PICTURES = [
    "three_clusters_data.png",
    "three_clusters_start.png",
    "three_clusters_fitted.png",
    "three_clusters.gif",
]

rng = np.random.default_rng(11)
# like scikit-learn's make_blobs(n_samples=100, centers=3): centres in a box, unit spread
centres = rng.uniform(-10, 10, size=(3, 2))
truth = rng.integers(0, 3, size=100)
X = centres[truth] + rng.normal(size=(100, 2))

start = latentem.GaussianMixtureModel(
    weights=np.full(3, 1 / 3),
    means=4 * rng.normal(size=(3, 2)),
    covariances=np.stack([np.eye(2)] * 3),
    reg_covar=0.0,
)
recorder = FrameRecorder(start, every=20)
with warnings.catch_warnings():
    # the seed runs exactly 100 steps, converged or not
    warnings.simplefilter("ignore", latentem.ConvergenceWarning)
    result = latentem.EM(max_iter=100, tol=0.0, callbacks=[recorder]).fit(start, X)
fitted = result.model

fig, ax = plt.subplots(figsize=(5, 4.5))
ax.scatter(X[:, 0], X[:, 1], s=12, c=np.array(["tab:blue", "tab:orange", "tab:green"])[truth])
ax.set_title("the original data: three clusters")
fig.savefig("three_clusters_data.png", dpi=80)

ax = plot_mixture(start, X, title="random start: the Gaussians are really off")
ax.figure.savefig("three_clusters_start.png", dpi=80)
ax = plot_mixture(fitted, X, title="after 100 EM steps")
ax.figure.savefig("three_clusters_fitted.png", dpi=80)
save_frames(recorder, X, "three_clusters.gif", fps=1)

order = np.argsort(fitted.means[:, 0])
print("true centres (sorted by x):\n", np.round(centres[np.argsort(centres[:, 0])], 2))
print("fitted means (sorted by x):\n", np.round(fitted.means[order], 2))
print(f"log-likelihood {result.history[0]:.1f} at the start, {result.objective:.1f} at the end")
distances = np.linalg.norm(fitted.means[:, None] - centres[None], axis=2)
if not np.all(distances.min(axis=0) < 0.5):
    raise SystemExit("a true centre has no fitted Gaussian near it")
print("wrote", ", ".join(PICTURES))
