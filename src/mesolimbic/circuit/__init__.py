"""The reward circuit: VTA, NAc, amygdala, PFC and LHb as composable modules, with manipulations.

>>> from mesolimbic.circuit import Circuit, DopamineDepletion, Lesion
>>> c = Circuit(manipulations=[DopamineDepletion(0.8), Lesion("amygdala")])
>>> c.regions, sorted(c.lesioned)
(('vta', 'nac', 'amygdala', 'pfc'), ['amygdala'])
>>> round(c.knobs["burst_scale"], 3)          # bursts scaled by 1 - 0.8
0.2

Run it on a Pavlovian design with :func:`~mesolimbic.circuit.simulate_circuit`.
"""

from .core import FULL, SIGNALS, Circuit, simulate_circuit
from .manipulations import (DopamineAgonist, DopamineDepletion, Drug, LDopa, Lesion, Manipulation, Opioid, Optogenetic,
                            PhysiologicalState)
from .regions import REGIONS
from .vigour import ResponseVigour, simulate_vigour

__all__ = ["Circuit", "simulate_circuit", "simulate_vigour", "ResponseVigour", "FULL", "SIGNALS", "REGIONS", "Manipulation", "Lesion",
           "DopamineDepletion", "DopamineAgonist", "LDopa", "Drug", "Opioid", "Optogenetic", "PhysiologicalState"]
