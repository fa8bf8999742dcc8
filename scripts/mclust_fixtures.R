# Reference fits of R's mclust for latentem's tests (tests/fixtures/mclust/).
#
#   Rscript scripts/mclust_fixtures.R tests/fixtures/mclust
#
# Needs R and mclust 6 (Debian: apt-get install r-base-core r-cran-mclust). For every
# data set, start partition and one of mclust's 14 models it runs mclust's EM (`me`) from
# that partition with tight tolerances, and writes the data (CSV) and the results (JSON):
# log-likelihood, iterations, mixing proportions, means and covariance matrices; and the
# hierarchical partitions of each data set into 1 to 9 clusters (NAME-hc.csv). From the same
# partitions it runs `me` with mclust's default conjugate prior (`prior = priorControl()`)
# for the ten models that take one (mclust has none for VEE, EVE, VVE and EVV) and writes
# those fits with the prior's hyperparameters (defaultPrior) to prior-fits.json.
suppressMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "tests/fixtures/mclust"

num <- function(x) paste0("[", paste(formatC(as.vector(x), digits = 17, format = "g"),
                                     collapse = ","), "]")

# one me() fit as JSON; `extra` holds more fields
entry <- function(name, G, model, fit, extra = "") {
  p <- fit$parameters
  paste0(
    "{\"data\":\"", name, "\",\"k\":", G, ",\"model\":\"", model, "\"",
    ",\"loglik\":", formatC(fit$loglik, digits = 17, format = "g"),
    ",\"iterations\":", attr(fit, "info")[1],
    ",\"weights\":", num(p$pro),
    # column-major R arrays read as row-major (k, d) and (k, d, d) arrays
    ",\"means\":", num(p$mean),
    ",\"covariances\":", num(p$variance$sigma),
    extra, "}")
}

datasets <- list(
  faithful = list(X = as.matrix(datasets::faithful),
                  starts = list(`2` = 1 + (datasets::faithful$eruptions > 3),
                                `3` = cut(datasets::faithful$eruptions, c(0, 2.5, 4, 9),
                                          labels = FALSE))),
  iris = list(X = as.matrix(datasets::iris[, 1:4]),
              starts = list(`2` = 1 + (datasets::iris$Species != "setosa"),
                            `3` = as.integer(datasets::iris$Species))),
  # mclust's data sets: the numeric columns; the classes give the starts
  diabetes = list(X = as.matrix(mclust::diabetes[, -1]),
                  starts = list(`2` = 1 + (mclust::diabetes$class != "Normal"),
                                `3` = as.integer(mclust::diabetes$class))),
  banknote = list(X = as.matrix(mclust::banknote[, -1]),
                  starts = list(`2` = as.integer(mclust::banknote$Status),
                                # the counterfeit notes split at a bottom margin of 9.5
                                `3` = ifelse(mclust::banknote$Status == "genuine", 1,
                                             2 + (mclust::banknote$Bottom >= 9.5)))),
  thyroid = list(X = as.matrix(mclust::thyroid[, -1]),
                 starts = list(`2` = 1 + (mclust::thyroid$Diagnosis != "Normal"),
                               `3` = as.integer(mclust::thyroid$Diagnosis)))
)
models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE",
            "EEV", "VEV", "EVV", "VVV")
prior_models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "EEV", "VEV", "VVV")
control <- emControl(tol = c(1e-13, 1e-13), itmax = c(100000L, 100000L))
entries <- character()
prior_entries <- character()
defaults <- character()
choices <- character()
for (name in names(datasets)) {
  X <- datasets[[name]]$X
  write.table(X, file.path(out, paste0(name, ".csv")), sep = ",", row.names = FALSE,
              col.names = TRUE)
  # mclust's default start: hierarchical clustering (VVV criterion, hcUse = "SVD"), cut at 1..9
  partitions <- hclass(hc(X, modelName = "VVV", use = "SVD"), 1:9)
  write.table(partitions, file.path(out, paste0(name, "-hc.csv")), sep = ",",
              row.names = FALSE, col.names = FALSE)
  # Mclust() from its default start, per structure and k, and its choice over all of them
  for (G in 1:4) {
    for (model in models) {
      fit <- Mclust(X, G = G, modelNames = model, control = control, verbose = FALSE)
      if (is.null(fit)) next
      defaults <- c(defaults, paste0(
        "{\"data\":\"", name, "\",\"k\":", G, ",\"model\":\"", model, "\"",
        ",\"loglik\":", formatC(fit$loglik, digits = 17, format = "g"),
        ",\"bic\":", formatC(fit$bic, digits = 17, format = "g"), "}"))
    }
  }
  best <- Mclust(X, G = 1:9, control = control, verbose = FALSE)
  choices <- c(choices, paste0(
    "{\"data\":\"", name, "\",\"k\":", best$G, ",\"model\":\"", best$modelName, "\"",
    ",\"bic\":", formatC(best$bic, digits = 17, format = "g"), "}"))
  for (G in names(datasets[[name]]$starts)) {
    labels <- datasets[[name]]$starts[[G]]
    write(labels, file.path(out, paste0(name, "-start-", G, ".txt")), ncolumns = 1)
    for (model in models) {
      fit <- me(data = X, modelName = model, z = unmap(labels), control = control)
      if (is.null(fit$loglik) || !is.finite(fit$loglik)) next
      entries <- c(entries, entry(name, G, model, fit))
    }
    for (model in prior_models) {
      fit <- me(data = X, modelName = model, z = unmap(labels), prior = priorControl(),
                control = control)
      if (is.null(fit$loglik) || !is.finite(fit$loglik)) next
      hyper <- defaultPrior(X, G = as.integer(G), modelName = model)
      prior_entries <- c(prior_entries, entry(name, G, model, fit, paste0(
        # defaultPrior: a scalar scale for EII, VII, EEI, VEI, EVI, VVI, a matrix for the rest
        ",\"shrinkage\":", num(hyper$shrinkage), ",\"mean\":", num(hyper$mean),
        ",\"dof\":", num(hyper$dof), ",\"scale\":", num(hyper$scale))))
    }
  }
}
json <- paste0("{\"mclust\":\"", as.character(packageVersion("mclust")), "\",\"fits\":[\n",
               paste(entries, collapse = ",\n"), "\n],\"defaults\":[\n",
               paste(defaults, collapse = ",\n"), "\n],\"choices\":[\n",
               paste(choices, collapse = ",\n"), "\n]}\n")
cat(json, file = file.path(out, "fits.json"))
prior_json <- paste0("{\"mclust\":\"", as.character(packageVersion("mclust")),
                     "\",\"prior\":\"priorControl()\",\"fits\":[\n",
                     paste(prior_entries, collapse = ",\n"), "\n]}\n")
cat(prior_json, file = file.path(out, "prior-fits.json"))
