"""Fitting learners to subjects' choices: data loading and validation, MLE/MAP,
empirical-Bayes (Laplace) and hierarchical Bayesian (NumPyro NUTS) fits, model
comparison, recovery, predictive checks and trial-wise regressors. Every model
is a learner of :mod:`mesolimbic.models`: the likelihood is its own ``step``."""

from .approx import ApproxFit, fit_approx
from .compare import bms, compare_fits, loo_table
from .data import TASKS, ChoiceData, load_choices
from .hierarchical import diagnostics, fit_hierarchical
from .mle import MLEFit, fit_mle
from .models import MODELS, FitModel, get_model
from .recovery import model_recovery, parameter_recovery, simulate_dataset
from .regressors import events, posterior_point, regressors, write_bids_events
from .tables import parameter_table

__all__ = ["ApproxFit", "ChoiceData", "FitModel", "MLEFit", "MODELS", "TASKS", "bms", "compare_fits", "diagnostics",
           "events", "write_bids_events", "fit_approx", "fit_hierarchical", "fit_mle", "get_model", "load_choices", "loo_table",
           "model_recovery", "parameter_recovery", "parameter_table", "posterior_point", "regressors", "simulate_dataset"]
