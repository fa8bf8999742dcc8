# Reference fits of R's mclust for latentem's tests (tests/fixtures/mclust/).
#
#   Rscript scripts/mclust_fixtures.R tests/fixtures/mclust
#
# Needs R and mclust 6 (Debian: apt-get install r-base-core r-cran-mclust). For every
# data set, start partition and one of mclust's 14 models it runs mclust's EM (`me`) from
# that partition with tight tolerances, and writes the data (CSV) and the results (JSON):
# log-likelihood, iterations, mixing proportions, means and covariance matrices.
suppressMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args)) args[1] else "tests/fixtures/mclust"

num <- function(x) paste0("[", paste(formatC(as.vector(x), digits = 17, format = "g"),
                                     collapse = ","), "]")

datasets <- list(
  faithful = list(X = as.matrix(datasets::faithful),
                  starts = list(`2` = 1 + (datasets::faithful$eruptions > 3),
                                `3` = cut(datasets::faithful$eruptions, c(0, 2.5, 4, 9),
                                          labels = FALSE))),
  iris = list(X = as.matrix(datasets::iris[, 1:4]),
              starts = list(`2` = 1 + (datasets::iris$Species != "setosa"),
                            `3` = as.integer(datasets::iris$Species)))
)
models <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE",
            "EEV", "VEV", "EVV", "VVV")
control <- emControl(tol = c(1e-13, 1e-13), itmax = c(100000L, 100000L))
entries <- character()
for (name in names(datasets)) {
  X <- datasets[[name]]$X
  write.table(X, file.path(out, paste0(name, ".csv")), sep = ",", row.names = FALSE,
              col.names = TRUE)
  for (G in names(datasets[[name]]$starts)) {
    labels <- datasets[[name]]$starts[[G]]
    write(labels, file.path(out, paste0(name, "-start-", G, ".txt")), ncolumns = 1)
    for (model in models) {
      fit <- me(data = X, modelName = model, z = unmap(labels), control = control)
      if (is.null(fit$loglik) || !is.finite(fit$loglik)) next
      p <- fit$parameters
      entries <- c(entries, paste0(
        "{\"data\":\"", name, "\",\"k\":", G, ",\"model\":\"", model, "\"",
        ",\"loglik\":", formatC(fit$loglik, digits = 17, format = "g"),
        ",\"iterations\":", attr(fit, "info")[1],
        ",\"weights\":", num(p$pro),
        # column-major R arrays read as row-major (k, d) and (k, d, d) arrays
        ",\"means\":", num(p$mean),
        ",\"covariances\":", num(p$variance$sigma),
        "}"))
    }
  }
}
json <- paste0("{\"mclust\":\"", as.character(packageVersion("mclust")), "\",\"fits\":[\n",
               paste(entries, collapse = ",\n"), "\n]}\n")
cat(json, file = file.path(out, "fits.json"))
