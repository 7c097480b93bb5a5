"""Learners as pure ``init``/``step`` functions with declared parameters."""

from .anccr import ANCCR, EventLog
from .average_reward import AverageRewardSARSA
from .belief import BeliefTD
from .base import Model, Output, Param, Spec
from .choice import ActorCritic, ChoiceModel, DeltaRule, FictitiousUpdate, OpAL, QLearning, SARSA, StimulusValueLearner, Sticky
from .distributional import DistributionalRPE, QuantileRPE
from .hijack import HijackedDeltaRule
from .gonogo import PavlovianBiasGoNoGo
from .hybrid import HybridTwoStep
from .rw import RescorlaWagner
from .successor import SuccessorTD
from .td import TD
from .track import TrackTD
from .vta_gaba import GabaTD

__all__ = ["ANCCR", "ActorCritic", "EventLog", "AverageRewardSARSA", "BeliefTD", "ChoiceModel", "QLearning", "SARSA", "StimulusValueLearner", "Sticky", "DeltaRule", "DistributionalRPE", "GabaTD", "QuantileRPE", "FictitiousUpdate", "OpAL", "HijackedDeltaRule", "HybridTwoStep", "PavlovianBiasGoNoGo", "Model", "Output", "Param", "Spec", "RescorlaWagner", "SuccessorTD", "TD", "TrackTD"]
