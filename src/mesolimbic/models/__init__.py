"""Learners as pure ``init``/``step`` functions with declared parameters."""

from .base import Model, Param
from .rw import RescorlaWagner
from .td import TD

__all__ = ["Model", "Param", "RescorlaWagner", "TD"]
