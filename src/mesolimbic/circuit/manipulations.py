"""Manipulations of the circuit: lesions, drugs, stimulation and physiological state.

Each manipulation names the region it acts on and turns into a few numbers the
circuit's step reads ("knobs"). Several manipulations compose (scales
multiply, offsets add, lesions accumulate), and every one is recorded in the
results' attrs. Strengths are validated with errors that name the field.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from .._validate import check_range

__all__ = ["Manipulation", "Lesion", "DopamineDepletion", "DopamineAgonist", "LDopa", "Drug", "Opioid",
           "Optogenetic", "PhysiologicalState", "KNOBS"]

#: the numbers the circuit's step reads, with their untouched values
KNOBS = {"burst_scale": 1.0, "dip_scale": 1.0, "tonic_scale": 1.0, "tonic_offset": 0.0, "incentive_gain": 1.0,
         "liking_gain": 1.0, "drug": 0.0}


@dataclass(frozen=True)
class Manipulation:
    """Base class: ``region`` is where it acts; :meth:`~Manipulation.knobs` says how."""

    region: str = field(default="", init=False)

    def knobs(self) -> dict:
        """The circuit's numbers (:data:`KNOBS`) this manipulation changes: factors, except
        ``tonic_offset`` and ``drug``, which add. Manipulations compose."""
        return {}

    def to_dict(self) -> dict:
        """The manipulation as a plain dict (its kind and fields), as results record it."""
        return {"kind": type(self).__name__, **asdict(self)}


@dataclass(frozen=True)
class Lesion(Manipulation):
    """Remove a region: its outputs are zero and it learns nothing."""

    target: str = "amygdala"

    def __post_init__(self):
        object.__setattr__(self, "region", str(self.target))


@dataclass(frozen=True)
class DopamineDepletion(Manipulation):
    """Loss of dopamine (e.g. Parkinson's disease, 6-OHDA): phasic bursts, the tonic
    level and the dopamine gain of incentive salience are scaled by ``1 - fraction``."""

    fraction: float = 0.8

    def __post_init__(self):
        object.__setattr__(self, "region", "vta")
        check_range("fraction", self.fraction, 0.0, 1.0)

    def knobs(self):
        s = 1.0 - self.fraction
        return {"burst_scale": s, "tonic_scale": s, "incentive_gain": s}


@dataclass(frozen=True)
class DopamineAgonist(Manipulation):
    """A dopamine agonist or L-DOPA: tonic dopamine and the incentive gain are
    multiplied by ``gain`` (> 1), and dips are blunted (scaled by 1 / ``gain``),
    since raised tonic receptor occupancy masks pauses (Frank 2005)."""

    gain: float = 2.0

    def __post_init__(self):
        object.__setattr__(self, "region", "vta")
        check_range("gain", self.gain, 1.0, math.inf)

    def knobs(self):
        return {"tonic_scale": self.gain, "incentive_gain": self.gain, "dip_scale": 1.0 / self.gain}


@dataclass(frozen=True)
class LDopa(Manipulation):
    """L-DOPA, the dopamine precursor: every dopamine neuron releases ``gain`` times more,
    so bursts, tonic level and incentive gain scale by ``gain`` — in Parkinson's,
    ``gain = 1 / (1 - fraction depleted)`` restores them — while the raised tonic
    occupancy of D2 receptors masks the pauses, so dips are scaled by 1 / ``gain``
    (the "overdose" account of Cools 2006 and Frank 2005)."""

    gain: float = 2.0

    def __post_init__(self):
        object.__setattr__(self, "region", "vta")
        check_range("gain", self.gain, 1.0, math.inf)

    def knobs(self):
        return {"burst_scale": self.gain, "tonic_scale": self.gain, "incentive_gain": self.gain,
                "dip_scale": 1.0 / self.gain}


@dataclass(frozen=True)
class Drug(Manipulation):
    """A drug of abuse whose pharmacology raises dopamine whatever was predicted
    (Redish 2004): at the US, ``delta = max(delta + size, size)`` — the error can
    never be compensated by learning."""

    size: float = 0.5

    def __post_init__(self):
        object.__setattr__(self, "region", "vta")
        check_range("size", self.size, 0.0, math.inf, low_open=True)

    def knobs(self):
        return {"drug": self.size}


@dataclass(frozen=True)
class Opioid(Manipulation):
    """Opioid stimulation of the NAc shell hedonic hotspot (e.g. DAMGO): the hedonic
    impact of a positive US ("liking") is multiplied by ``gain`` (Peciña & Berridge 2005)."""

    gain: float = 2.0

    def __post_init__(self):
        object.__setattr__(self, "region", "nac")
        check_range("gain", self.gain, 0.0, math.inf)

    def knobs(self):
        return {"liking_gain": self.gain}


@dataclass(frozen=True)
class Optogenetic(Manipulation):
    """Optogenetic excitation (``size`` > 0) or inhibition (< 0) of VTA dopamine neurons
    ``at`` seconds from CS onset on every trial (or on ``trial_types``): the size is
    added to the phasic error (Steinberg et al. 2013)."""

    at: float = 0.0
    size: float = 1.0
    trial_types: tuple[str, ...] | None = None

    def __post_init__(self):
        object.__setattr__(self, "region", "vta")
        check_range("size", self.size, -10.0, 10.0)
        check_range("at", self.at)


@dataclass(frozen=True)
class PhysiologicalState(Manipulation):
    """A change of physiological state (e.g. salt deprivation) that changes how much
    the outcomes predicted by ``cues`` are wanted, by the factor ``kappa`` of Zhang
    et al. (2009): applied at cue time to the cached prediction, multiplicatively
    (kappa x value) for an appetitive and additively (value + log kappa) for an
    aversive one — so a cue for an outcome that was disliked can become wanted
    without any new learning. ``phases`` limits the state to those phases of the
    design (default: all)."""

    kappa: float = 1.0
    cues: tuple[str, ...] = ()
    phases: tuple[str, ...] | None = None

    def __post_init__(self):
        object.__setattr__(self, "region", "nac")
        check_range("kappa", self.kappa, 0.0, math.inf, low_open=True)
        object.__setattr__(self, "cues", tuple(self.cues))
        if not self.cues:
            raise ValueError("cues must name at least one cue whose outcome the state changes")
