"""mesolimbic: the computational neuroscience of reward.

Dopamine neurons signal a reward prediction error (Schultz, Dayan & Montague
1997), the TD error of reinforcement learning. This package simulates the
learners, tasks and neurons around that signal and reproduces published
findings as executable experiments.

The names below are imported on first use (PEP 562), so ``import mesolimbic``
and the ``mesolimbic`` command start without loading JAX: the command installs
its Ctrl-C / SIGTERM handling before any heavy import.
"""

from __future__ import annotations

import importlib
import sys
import types

from ._version import __version__

_SUBMODULES = ("axioms", "experiments", "models", "neurons", "representations", "rpe", "tasks")
_NAMES = {
    "TD": "models", "RescorlaWagner": "models",
    "CSC": "representations", "CompleteSerialCompound": "representations", "Microstimulus": "representations",
    "Presence": "representations",
    "simulate": "simulate", "sweep": "simulate",
    "Cue": "tasks", "PavlovianDesign": "tasks", "Phase": "tasks", "TrialType": "tasks",
    "ChoiceDesign": "tasks", "ChoicePhase": "tasks", "Streak": "tasks", "Session": "session",
}

__all__ = ["__version__", *_SUBMODULES, *_NAMES]


def __getattr__(name: str):
    if name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    # Importing the submodule ``mesolimbic.simulate`` would bind the package attribute
    # ``simulate`` to that module; the package's ``simulate`` is the function, as it was
    # when this file imported it eagerly.
    def __setattr__(self, name, value):
        if name == "simulate" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__():
    return sorted(set(globals()) | set(__all__))
