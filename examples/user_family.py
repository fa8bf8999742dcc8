"""A component family of your own in twenty lines, dropped into a latentem.Mixture.

The Rayleigh distribution (wind speeds, magnitudes of 2-D noise) is not built in.
Written against the ``Distribution`` protocol, it mixes with the built-in families,
is fitted by ``latentem.EM`` and is checked by ``latentem.testing``.

Run it from any directory: it prints the fit and, when matplotlib is installed,
writes ``user_family.png`` into the current working directory (nothing else).
"""

import numpy as np
from attrs import frozen

import latentem
from latentem.distributions import Distribution, Gamma, WeightedSums, support_error
from latentem.testing import check_latent_model

PICTURES = ["user_family.png"]


@frozen
class Rayleigh(Distribution):
    """p(x) = x / s^2 exp(-x^2 / (2 s^2)) on x >= 0 (scipy.stats.rayleigh(scale=s))."""

    scale: float
    n_features = 1
    n_parameters = 1

    def log_prob(self, x):
        return np.log(x[:, 0]) - 2 * np.log(self.scale) - x[:, 0] ** 2 / (2 * self.scale**2)

    def statistics(self, x, weights):  # additive: total weight and sum of w x^2
        return WeightedSums.of(x**2, weights)

    def maximize(self, stats):  # weighted ML: s^2 = sum w x^2 / (2 W)
        if stats.weight == 0:  # an empty component keeps its parameters
            return self
        return Rayleigh(float(np.sqrt(stats.sums[0] / (2 * stats.weight))))

    def sample(self, n_samples, rng):
        return rng.rayleigh(self.scale, size=(n_samples, 1))

    def check_data(self, x):
        if np.any(x < 0):
            raise support_error("Rayleigh", "non-negative", x, x < 0)


def main():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.rayleigh(1.0, 300), rng.rayleigh(5.0, 200)])[:, None]

    start = latentem.Mixture([Rayleigh(0.5), Rayleigh(3.0)])
    check_latent_model(start, x)  # monotone EM, additive statistics, no mutation...
    fitted = latentem.EM(tol=1e-10, max_iter=1000).fit(start, x).model
    print("Rayleigh + Rayleigh: weights", fitted.weights.round(3), end="")
    print(", scales", [round(component.scale, 3) for component in fitted])

    # families mix freely: a Rayleigh next to a built-in Gamma
    mixed = latentem.EM(tol=1e-10, max_iter=1000).fit(
        latentem.Mixture([Rayleigh(0.5), Gamma(2.0, 0.5)]), x
    )
    print("Rayleigh + Gamma:    weights", mixed.model.weights.round(3), end="")
    print(f", BIC {fitted.bic(x):.1f} (Rayleigh pair) vs {mixed.model.bic(x):.1f}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    grid = np.linspace(1e-3, x.max(), 400)[:, None]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.hist(x[:, 0], bins=50, density=True, alpha=0.4, label="data")
    axes.plot(grid[:, 0], np.exp(fitted.score_samples(grid)), label="Rayleigh mixture")
    axes.legend()
    figure.tight_layout()
    figure.savefig("user_family.png", dpi=100)
    print("wrote user_family.png")


if __name__ == "__main__":
    main()
