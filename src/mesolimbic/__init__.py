"""mesolimbic: the computational neuroscience of reward.

Dopamine neurons signal a reward prediction error (Schultz, Dayan & Montague
1997), the TD error of reinforcement learning. This package simulates the
learners, tasks and neurons around that signal and reproduces published
findings as executable experiments.
"""

from ._version import __version__
from . import experiments, models, neurons, representations, rpe, tasks  # noqa: E402
from .models import TD, RescorlaWagner  # noqa: E402
from .representations import CSC, CompleteSerialCompound, Microstimulus, Presence  # noqa: E402
from .session import Session  # noqa: E402
from .simulate import simulate, sweep  # noqa: E402
from .tasks import ChoiceDesign, ChoicePhase, Cue, PavlovianDesign, Phase, Streak, TrialType  # noqa: E402

__all__ = [
    "__version__", "experiments", "models", "neurons", "representations", "rpe", "tasks",
    "TD", "RescorlaWagner", "CSC", "CompleteSerialCompound", "Microstimulus", "Presence",
    "Session", "simulate", "sweep", "Cue", "PavlovianDesign", "Phase", "TrialType", "ChoiceDesign", "ChoicePhase",
    "Streak",
]
