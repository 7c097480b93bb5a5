"""Learners as pure ``init``/``step`` functions with declared parameters."""

from .base import Model, Param
from .choice import ChoiceModel, DeltaRule
from .hybrid import HybridTwoStep
from .rw import RescorlaWagner
from .td import TD

__all__ = ["ChoiceModel", "DeltaRule", "HybridTwoStep", "Model", "Param", "RescorlaWagner", "TD"]
