"""Second-order conditioning (Pavlov 1927; Rescorla 1980): a cue paired with a trained cue, never with the US, becomes appetitive.

Design: first-order A+ (40 trials); then the serial compound B>A (B for 1 s,
then A, US omitted) interleaved with A+ to keep A trained (30 each); test B
alone.

TD learning produces it: A's onset is a positive prediction error that B comes
to predict (Sutton & Barto 1990). How much depends on lambda: with lambda near 1
the error at the omitted US after A reaches back to B and cancels most of it.
Rescorla–Wagner cannot produce it: a trial-level model sees BA- as a
non-reinforced compound, so B becomes a conditioned inhibitor.

References: Rescorla, R. A. (1980). Pavlovian Second-Order Conditioning.
Erlbaum. Sutton, R. S. & Barto, A. G. (1990). Time-derivative models of
Pavlovian reinforcement. In Learning and Computational Neuroscience, 497-537.
"""

from __future__ import annotations

from ..models import TD
from ..representations import CompleteSerialCompound
from ..simulate import simulate
from ..tasks import PavlovianDesign
from . import _associative as A
from ..results import single
from .registry import Check, ExperimentResult, register

NAME = "second_order_conditioning"
CITATION = "Rescorla (1980). Pavlovian Second-Order Conditioning. Erlbaum"
TD0 = {"alpha": 0.1, "gamma": 0.98, "lam": 0.0}


def design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([
        ("first_order", {"A+": 40}),
        ("second_order", {"B>A-": 30, "A+": 30}),
        ("test", {"B-": 1}, "sequential"),
    ], name=NAME)


@register(NAME, "Second-order conditioning: TD produces it, Rescorla–Wagner cannot", CITATION, default_agents=20,
          topic="associative learning")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    d = design()
    rw, td = A.run_both(d, n_agents, seed)  # TD(0.9)
    td0 = single(simulate(d, TD(), TD0, representation=CompleteSerialCompound(), n_agents=n_agents, seed=seed,
                   record="trials"))
    b_rw, b_td, b_td0 = (A.on(ds, "B-", "test") for ds in (rw, td, td0))
    checks = [
        Check("b_acquires_value", "prediction to B, never paired with the US", b_td0, ">", 0.2, model="TD(0)", kind="direction"),
        Check("b_acquires_value", "prediction to B with lambda = 0.9 (the omitted US after A reaches back)",
              b_td, ">", 0.0, model=A.TDL, kind="direction"),
        Check("b_acquires_value", "V_B: BA- is a non-reinforced compound, so B turns inhibitory", b_rw, ">", 0.0,
              expected_failure=True, model=A.RW, kind="direction"),
    ]
    tests = {"B after B>A pairings": ("B-", "test")}
    return A.result(NAME, "Second-order conditioning (A+, then B>A)", rw, td, checks, tests,
                    sims={"TD(0)": td0}, td0=TD0)
