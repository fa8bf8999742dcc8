"""Choosing the number of components by BIC (and seeing what AIC and ICL say).

Four clusters, two of them fairly close. ``select_n_components`` fits one
Gaussian mixture per number of components from 1 to 7 and prints the table
of log-likelihood, number of parameters, BIC, AIC and ICL. BIC is lowest at
four components; the picture draws the three criteria against k, with the
choice starred, next to the chosen mixture over the data.

Run it from any folder: the pictures are written into the current directory.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import latentem
from latentem.plot import plot_mixture

PICTURES = ["choose_k.png"]

rng = np.random.default_rng(3)
centres = np.array([[0.0, 0.0], [7.0, 0.0], [0.0, 7.0], [4.0, 10.0]])
X = np.concatenate([rng.multivariate_normal(c, [[1.0, 0.3], [0.3, 0.8]], 120) for c in centres])

result = latentem.select_n_components(X, range(1, 8), "bic", random_state=0)
print(result)
if result.best_n_components != 4:
    raise SystemExit(f"BIC chose {result.best_n_components} components, not 4")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
result.plot(ax=left)
left.set_title("information criteria against k")
plot_mixture(result.best_estimator, X, ax=right)
right.set_title(f"the mixture BIC chose: {result.best_n_components} components")
fig.tight_layout()
fig.savefig("choose_k.png", dpi=80)
print("wrote", ", ".join(PICTURES))
