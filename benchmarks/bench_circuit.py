"""Circuit cost per agent-step against the bare TD learner on the same design.

The full four-region circuit (VTA, NAc, amygdala, PFC) and TD(lambda) run
step by step (the step engine: the circuit is nonlinear, and the affine engine
would be an unfair baseline) on the same Pavlovian design, agents and seed,
recording per-trial summaries. Target: the circuit costs at most 4x the bare
learner per agent-step. The affine engine's TD time is printed for reference.

    python benchmarks/bench_circuit.py [--agents 2000]
"""

from __future__ import annotations

import argparse
import time

import mesolimbic as ml
from mesolimbic.circuit import Circuit, simulate_circuit


def best_of(f, n=3):
    f()  # compile
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=2000)
    args = ap.parse_args()
    design = ml.PavlovianDesign.from_notation([("training", {"A+": 100, "B-": 100})], name="bench")
    compiled = design.compile()
    n = args.agents
    steps = n * compiled.n_trials * compiled.n_steps
    td = ml.TD()
    p_td = {"alpha": 0.1, "gamma": 0.98, "lam": 0.9}
    t_td = best_of(lambda: ml.simulate(design, td, p_td, n_agents=n, record="trials", engine="step"))
    t_aff = best_of(lambda: ml.simulate(design, td, p_td, n_agents=n, record="trials", engine="affine"))
    t_c = best_of(lambda: simulate_circuit(design, Circuit(), n_agents=n))
    print(f"{n} agents x {compiled.n_trials} trials x {compiled.n_steps} steps = {steps:.2e} agent-steps")
    print(f"  TD(0.9), step engine : {t_td:.3f} s  ({steps / t_td:.2e} agent-steps/s)")
    print(f"  TD(0.9), affine      : {t_aff:.3f} s  ({steps / t_aff:.2e} agent-steps/s)")
    print(f"  full circuit         : {t_c:.3f} s  ({steps / t_c:.2e} agent-steps/s)")
    print(f"  circuit / bare TD (step engine) = {t_c / t_td:.2f}x per agent-step   (target <= 4x)")


if __name__ == "__main__":
    main()
