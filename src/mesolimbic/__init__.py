"""mesolimbic: the computational neuroscience of reward.

Dopamine neurons signal a reward prediction error (Schultz, Dayan & Montague
1997), the TD error of reinforcement learning. This package simulates the
learners, tasks and neurons around that signal and reproduces published
findings as executable experiments.
"""

__version__ = "0.1.0"

from . import experiments, models, neurons, representations, rpe, tasks  # noqa: E402
from .models import TD, RescorlaWagner  # noqa: E402
from .representations import CSC, CompleteSerialCompound, Microstimulus, Presence  # noqa: E402
from .simulate import simulate, sweep  # noqa: E402
from .tasks import Cue, PavlovianDesign, Phase, TrialType  # noqa: E402

__all__ = [
    "__version__", "experiments", "models", "neurons", "representations", "rpe", "tasks",
    "TD", "RescorlaWagner", "CSC", "CompleteSerialCompound", "Microstimulus", "Presence",
    "simulate", "sweep", "Cue", "PavlovianDesign", "Phase", "TrialType",
]
