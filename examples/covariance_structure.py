"""A covariance structure of your own: one diagonal covariance shared by every component.

latentem has four covariance structures built in (``full``, ``diag``,
``spherical``, ``tied``). mclust's EEI -- one diagonal covariance, the same for
every component -- is not one of them. This script adds it as
``shared_diagonal``, written outside the package: one subclass of
``latentem.mixture.CovarianceType``, registered with
``latentem.mixture.register_covariance_type``. From then on
``GaussianMixture``, ``GaussianHMM``, ``GMMHMM``, ``EMImputer``, ``save``/``load``
and the command line accept ``covariance_type="shared_diagonal"``, with NaN
entries, priors, float32 and chunked data; ``check_covariance_structure``
checks the class against scipy. The guide "Adding a covariance structure" in
the user guide walks through it.

The data are three clusters with the same axis-aligned spread, standard
deviations 1.0 and 0.5. The fitted shared variances are close to 1.0 and 0.25,
and BIC prefers the structure's two variances to the six of ``diag`` and the
nine of ``full``. The picture shows the three equal, axis-aligned ellipses.

Run it from any directory: it prints the fit and writes
``covariance_structure.png`` into the current working directory.
"""

import numpy as np

import latentem
from latentem.mixture import COVARIANCE_TYPES, CovarianceType, register_covariance_type
from latentem.mixture.covariance.base import check_positive
from latentem.mixture.kernels import DiagKernel
from latentem.mixture.kernels.base import Components
from latentem.mixture.missing import diagonal_conditionals
from latentem.testing import check_covariance_structure

PICTURES = ["covariance_structure.png"]


class SharedDiagonal(CovarianceType):
    """One diagonal covariance for all components, stored as variances (d,)."""

    name = "shared_diagonal"  # what covariance_type="..." and --covariance take

    # -- layout: the covariances are one vector of d variances, whatever k is. The
    # parameter count enters BIC and AIC. The translations to and from (k, d, d)
    # matrices serve the HMMs' covars_ and their start from the data's covariance
    # (same_for_all), sampling, imputation, the plots, the Hypothesis strategies and
    # the conformance check.
    def parameter_shape(self, n_components, n_features):
        return (n_features,)

    def n_parameters(self, n_components, n_features):
        return n_features

    def full_matrices(self, covariances, n_components, n_features):
        return np.repeat(np.diag(covariances)[None], n_components, axis=0)

    def from_full_matrices(self, matrices):
        # the nearest shared diagonal: the components' diagonals, averaged
        return np.diagonal(matrices, axis1=-2, axis2=-1).mean(axis=-2)

    def same_for_all(self, covariance, n_components):
        return np.diag(covariance).astype(float)

    # -- factors: as for diag, precisions_cholesky holds 1 / sqrt(variance), here (d,).
    # The log-determinant is one number, the same for every component (as for tied).
    def precisions_cholesky(self, covariances):
        check_positive(covariances, "covariances")  # a ValueError that says what to do
        return 1.0 / np.sqrt(covariances)

    def covariances_from_precisions(self, precisions):
        check_positive(precisions, "precisions")
        return 1.0 / precisions

    def precisions(self, precisions_cholesky):
        return precisions_cholesky**2

    def log_det_cholesky(self, precisions_cholesky, n_features):
        return np.atleast_1d(np.log(precisions_cholesky).sum())

    # -- kernel reuse: no new kernel is written. The diagonal kernel evaluates rows
    # from per-component factors (k, d) and sums per-component, per-feature scatter
    # (k, d); `components` hands it the one (d,) factor broadcast to every component,
    # with every component's log-determinant equal. The kernel's scatter layout, (k, d),
    # is then the layout every scatter method below receives.
    _kernel = DiagKernel()

    def components(self, log_weights, means, precisions_cholesky):
        factors = np.broadcast_to(precisions_cholesky, means.shape)
        log_det = np.full(means.shape[0], np.log(precisions_cholesky).sum())
        return Components(log_weights, means, factors, log_det)

    # -- M-step: the kernel's scatter is per component; the shared variances pool it,
    # sum_k S_kj / sum_k N_k. A shared parameter never belongs to an empty component,
    # so `previous` (kept by per-component structures for empty ones) is not needed.
    # shift_scatter moves a chunk's scatter to other means when chunks are merged.
    def shift_scatter(self, delta, weight):
        return weight[:, None] * delta**2

    def covariances_from_scatter(self, scatter, counts, reg_covar, previous):
        return scatter.sum(axis=0) / counts.sum() + reg_covar

    # -- missing data: the default works per missingness pattern on full matrices and
    # returns scatter as (k, d, d), which is not this structure's layout. A diagonal
    # covariance makes the features independent given the component, so the masked
    # elementwise densities of diagonal_conditionals are exact, need no factorisation
    # and return scatter per feature, (k, d), as the kernel does.
    def conditionals(self, X, means, precisions_cholesky, residuals=False):
        variances = np.broadcast_to(1.0 / precisions_cholesky**2, means.shape)
        return diagonal_conditionals(X, means, np.array(variances), residuals)

    # -- the mixture's prior (GaussianMixturePrior, mclust's priorControl): per feature,
    # a normal-inverse-gamma shared by the K means,
    # log p = sum_j -(nu + 2 + K)/2 log v_j - (lambda_j + kappa sum_k delta_kj^2) / (2 v_j).
    # Its MAP update is the HMM prior's (conjugate_terms below): niw_flat_dof, the dof at
    # which, with zero scale and shrinkage, MAP equals maximum likelihood, also shifts the
    # normal-inverse-Wishart's dof to that prior's. Without these methods a prior raises a
    # ValueError saying the structure has none.
    def niw_flat_dof(self, n_components, n_features):
        return -(2.0 + n_components)

    def niw_default_scale(self, covariance, factor, n_samples):
        return factor * np.diag(covariance)

    def niw_is_proper(self, niw):
        return bool(niw.shrinkage > 0 and niw.dof > 0 and np.all(niw.diagonal_scale() > 0))

    def niw_log_pdf(self, niw, means, covariances):
        k = means.shape[0]
        spread = niw.diagonal_scale() + niw.shrinkage * ((means - niw.mean) ** 2).sum(axis=0)
        return float(
            np.sum(-(niw.dof + 2.0 + k) / 2.0 * np.log(covariances) - spread / (2 * covariances))
        )

    # -- the HMM emissions' conjugate prior (GaussianPrior, hmmlearn's form): scale (d,)
    # and one dof, since there is one covariance; the MAP covariances are the numerator
    # over the denominator of conjugate_terms, pooled over the components.
    def conjugate_dof_shape(self, n_components, n_features):
        return ()

    def conjugate_check_scale(self, scale):
        if np.any(scale < 0):
            raise ValueError("prior scale must be non-negative")

    def conjugate_log_density(self, delta, prior, precisions_cholesky, covariances):
        quadratic = prior.scale + (prior.means_weight[:, None] * delta**2).sum(axis=0)
        return -0.5 * float(np.sum(quadratic / covariances + prior.dof * np.log(covariances)))

    def conjugate_terms(self, counts, scatter, shift, delta, prior):
        weight = prior.means_weight[:, None]
        per_component = scatter + counts[:, None] * shift**2 + weight * delta**2
        return prior.scale + per_component.sum(axis=0), np.asarray(prior.dof + counts.sum())

    def hmmlearn_prior(self, n_states, n_features, covars_prior, covars_weight):
        # GaussianHMM's covars_prior / covars_weight, read as diag reads them
        scale = np.broadcast_to(np.asarray(covars_prior, dtype=float), (n_features,))
        return scale, np.asarray(max(float(covars_weight) - 1.0, 0.0))

    # -- GMMHMM: each state's n_mix Gaussians share one diagonal, so its covariances are
    # (n_states, d). The emissions work on a structure without shared parameters, one
    # diag row per Gaussian (independent_view, same densities), and group_terms pools
    # that view's MAP numerators and denominators back into one per state. hmmlearn has
    # no shared diagonal: its prior arguments are read as diag's, per Gaussian, in that
    # view's layout (pooled with the rest by group_terms).
    def independent_view(self, covariances, n_components, n_features):
        diag = COVARIANCE_TYPES["diag"]
        return diag, np.repeat(covariances[..., None, :], n_components, axis=-2)

    def group_terms(self, numerator, denominator, n_groups):
        d = numerator.shape[-1]
        pooled = numerator.reshape(n_groups, -1, d).sum(axis=1)
        return pooled, denominator.reshape(n_groups, -1, d).sum(axis=1)

    def hmmlearn_mixture_prior(self, n_states, n_mix, n_features, covars_prior, covars_weight):
        diag = COVARIANCE_TYPES["diag"]
        return diag.hmmlearn_mixture_prior(n_states, n_mix, n_features, covars_prior, covars_weight)


def make_data(n=600, seed=0):
    """Three clusters with the same axis-aligned spread: standard deviations 1.0 and 0.5."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]])
    return centres[rng.integers(0, 3, n)] + rng.normal(size=(n, 2)) * [1.0, 0.5]


def main():
    # registered when run, not when imported: the tests import the class and register
    # it themselves. A package would register its structures in its __init__.py.
    structure = register_covariance_type(SharedDiagonal())
    check_covariance_structure(structure)  # AssertionError naming the first broken check

    X = make_data()
    gm = latentem.GaussianMixture(3, covariance_type="shared_diagonal", random_state=0).fit(X)
    print("shared variances:", gm.covariances_.round(3))  # shape (2,): one per feature
    bic = {
        name: latentem.GaussianMixture(3, covariance_type=name, random_state=0).fit(X).bic(X)
        for name in ("shared_diagonal", "diag", "full")
    }
    print("BIC:", ", ".join(f"{name} {value:.1f}" for name, value in bic.items()))

    if not np.allclose(gm.covariances_, [1.0, 0.25], rtol=0.2):
        raise SystemExit(f"the shared variances {gm.covariances_} are not near (1.0, 0.25)")
    if min(bic, key=bic.get) != "shared_diagonal":
        raise SystemExit(f"BIC should prefer the shared diagonal; got {bic}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from latentem.plot import plot_mixture

    figure, axes = plt.subplots(figsize=(5.5, 4.5))
    plot_mixture(gm, X, ax=axes, title="covariance_type='shared_diagonal'")
    figure.tight_layout()
    figure.savefig("covariance_structure.png", dpi=80)
    print("wrote", ", ".join(PICTURES))


if __name__ == "__main__":
    main()
