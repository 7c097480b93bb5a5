"""The reward circuit: VTA, NAc, amygdala, PFC and LHb as composable modules, with manipulations.

>>> from mesolimbic.circuit import Circuit, simulate_circuit, DopamineDepletion
>>> c = Circuit(manipulations=[DopamineDepletion(0.8)])   # doctest: +SKIP
"""

from .core import FULL, SIGNALS, Circuit, simulate_circuit
from .manipulations import (DopamineAgonist, DopamineDepletion, Drug, LDopa, Lesion, Manipulation, Opioid, Optogenetic,
                            PhysiologicalState)
from .regions import REGIONS
from .vigour import ResponseVigour, simulate_vigour

__all__ = ["Circuit", "simulate_circuit", "simulate_vigour", "ResponseVigour", "FULL", "SIGNALS", "REGIONS", "Manipulation", "Lesion",
           "DopamineDepletion", "DopamineAgonist", "LDopa", "Drug", "Opioid", "Optogenetic", "PhysiologicalState"]
