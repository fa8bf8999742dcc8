"""Model selection: the number of components, and the covariance structure, by BIC, AIC or ICL."""

from latentem.selection.components import CRITERIA, SelectionResult, select_n_components
from latentem.selection.models import ModelSelection, select_model

__all__ = ["CRITERIA", "ModelSelection", "SelectionResult", "select_model", "select_n_components"]
