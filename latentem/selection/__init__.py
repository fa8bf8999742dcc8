"""Model selection: the number of components by BIC, AIC or ICL."""

from latentem.selection.components import CRITERIA, SelectionResult, select_n_components

__all__ = ["CRITERIA", "SelectionResult", "select_n_components"]
