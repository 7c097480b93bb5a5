"""Fitting recordings (issue 22): 20 sessions x 200 trials x 30 time bins of photometry by MLE.

Prints the wall time of a whole ``fit_neural`` call (grid start, L-BFGS, standard errors;
compilation included, and a second call with the compiled functions warm in JAX's cache is
not what a user sees, so the first call is the number) and the parts, and the recovery
correlations at the noise level used. The target (issue 22) is under a minute on the
2-core machine. No assertion: speed is reported, not tested.

    PYTHONPATH=src python benchmarks/bench_neural.py [--starts 1] [--model td0]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=1)
    ap.add_argument("--model", default="td0")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--noise", type=float, default=0.5, help="noise SD per bin / gain")
    ap.add_argument("--figure", default=None, help="write the recovery figure (true vs fitted) here")
    a = ap.parse_args()
    from mesolimbic.neural import fit_neural, simulate_recordings
    from mesolimbic.neural.recovery import sample_parameters
    from mesolimbic.tasks.pavlovian import Phase, PavlovianDesign, TrialType

    design = PavlovianDesign([TrialType("CS+", cues=["A"], us_time=1.0, probability=0.8),
                              TrialType("CS-", cues=["B"], us_time=1.0, probability=0.0),
                              TrialType("free", us_time=1.0)],
                             [Phase("s", {"CS+": 140, "CS-": 40, "free": 20}, "random")], dt=0.1, window=(-1.0, 2.0))
    truth = sample_parameters(a.model, "photometry", a.sessions, seed=0, noise=a.noise)
    data = simulate_recordings(design, a.model, truth, "photometry", seed=0)
    print(f"{a.sessions} sessions x {data.trial_type.shape[1]} trials x {design.n_steps} bins, model {a.model}, "
          f"{a.starts} start(s), {os.cpu_count()} CPUs visible")
    t = time.perf_counter()
    fit = fit_neural(data, a.model, n_starts=a.starts)
    first = time.perf_counter() - t
    t = time.perf_counter()
    fit_neural(data, a.model, n_starts=a.starts)
    second = time.perf_counter() - t
    print(f"fit_neural: {first:.1f} s (first call, compilation included; target < 60 s: ratio {first / 60:.2f}); "
          f"{second:.1f} s again in the same process")
    print(f"converged: {fit.status.count('converged')}/{len(fit.status)}")
    for k, v in truth.items():
        print(f"  r({k}) = {np.corrcoef(v, fit.params[k])[0, 1]:.3f}")
    print(f"noise: SD {a.noise} x gain per 100-ms bin")
    if a.figure:
        import pandas as pd

        from mesolimbic.io import save_figure
        from mesolimbic.neural.recovery import recovery_figure

        tab = pd.DataFrame({**{f"{k}_true": v for k, v in truth.items()},
                            **{f"{k}_fit": fit.params[k] for k in truth}})
        r = {k: float(np.corrcoef(v, fit.params[k])[0, 1]) for k, v in truth.items()}
        save_figure(recovery_figure(tab, r, f"TD(0) photometry recovery, noise SD {a.noise} x gain"), a.figure)
        print(f"wrote {a.figure}")


if __name__ == "__main__":
    main()
