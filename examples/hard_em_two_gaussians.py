"""Hard EM on two diagonal Gaussians from an intentionally bad guess (seeds 000 and 002).

Two clusters of 100 points, N([0, 5], diag(2, 3)) and N([5, 0], diag(4, 1)),
are fitted by classification ("hard") EM: every point is given wholly to its
most probable component, then each component is re-estimated from its points.
The starting guess is the seeds' intentionally bad one: means [1, 1] and
[4, 4], unit variances, weights 0.4 and 0.6. The printed lines show the
classification log-likelihood rising and the means settling within a few
iterations; the pictures show the points re-coloured after each iteration and
the ellipses moving onto the two clusters.

Run it from any folder: the pictures are written into the current directory.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from latentem.cli.demo import hard_em_two_gaussians, two_gaussian_data
from latentem.plot import plot_mixture, plot_objective, save_frames

PICTURES = [
    "hard_em_data.png",
    "hard_em_start.png",
    "hard_em_fitted.png",
    "hard_em_objective.png",
    "hard_em.gif",
]

frames = []
result, X = hard_em_two_gaussians(frames)
_, truth = two_gaussian_data()
if not result.converged or not np.allclose(result.model.means, [[0, 5], [5, 0]], atol=0.3):
    raise SystemExit("hard EM did not find the two Gaussians")

fig, ax = plt.subplots(figsize=(5, 4.5))
ax.scatter(X[:, 0], X[:, 1], s=10, c=["tab:blue" if t == 0 else "tab:orange" for t in truth])
ax.set_title("the data, coloured by the Gaussian that drew each point")
fig.savefig("hard_em_data.png", dpi=80)

for name, (iteration, model) in (("start", frames[0]), ("fitted", frames[-1])):
    ax = plot_mixture(model, X, title=f"hard EM after {iteration} iterations")
    ax.figure.savefig(f"hard_em_{name}.png", dpi=80)

ax = plot_objective(result.history, per_sample=X.shape[0])
ax.set_title("classification log-likelihood never decreases")
ax.figure.savefig("hard_em_objective.png", dpi=80, bbox_inches="tight")

save_frames(frames, X, "hard_em.gif", fps=1)
print("wrote", ", ".join(PICTURES))
