"""The world: what happens on each trial (cues, outcomes, timings)."""

from .pavlovian import CompiledDesign, Cue, PavlovianDesign, Phase, TrialType

__all__ = ["CompiledDesign", "Cue", "PavlovianDesign", "Phase", "TrialType"]
