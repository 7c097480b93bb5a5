"""Published findings as executable experiments (one module each)."""

from .registry import Check, Experiment, ExperimentResult, all_experiments, get, names, register

__all__ = ["Check", "Experiment", "ExperimentResult", "all_experiments", "get", "names", "register"]
