"""Fitting speed: hierarchical NUTS with hBayesDM's settings, and the approximate method at scale.

(1) bandit2arm_delta on hBayesDM's bandit2arm example data (20 subjects x 100
trials), hBayesDM parameterisation and defaults: 4 chains, 1,000 warm-up +
3,000 draws, target acceptance 0.95. Reports total wall time (tracing and
compilation included, in a fresh process), bulk ESS and ESS per second for
mu_A and mu_tau. Reference measured by the issue's author on this machine:
PyStan 3, same model and settings, 34 s compile + 147 s sampling, about 78
effective samples per second for mu_A (target: >= 10x that, compile included).
Chains run one per JAX CPU device (``--vectorized``: all four batched on one
device, the previous default). (2) fit_approx (empirical-Bayes Laplace EM) on 1,000 simulated subjects x 200
trials (target: under 60 s).

    python benchmarks/bench_fit.py [--skip-nuts] [--subjects 1000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-nuts", action="store_true")
    ap.add_argument("--subjects", type=int, default=1000)
    ap.add_argument("--vectorized", action="store_true", help="run the chains vectorised on one device instead")
    args = ap.parse_args()
    t_import = time.perf_counter()
    import numpyro

    if not args.vectorized:
        numpyro.set_host_device_count(4)  # before JAX starts: one CPU device per chain (as mesolimbic fit does)
    import arviz as az
    import jax

    from mesolimbic.fitting import fit_approx, fit_hierarchical, load_choices
    from mesolimbic.fitting.recovery import simulate_dataset

    here = Path(__file__).resolve().parents[1]
    data_file = here / "tests" / "data" / "hbayesdm" / "bandit2arm_exampleData.txt"
    if not data_file.exists():
        data_file = here.parent / "shared" / "data" / "hbayesdm" / "bandit2arm_exampleData.txt"
    d = load_choices(data_file, "bandit2arm")
    print(f"imports and data: {time.perf_counter() - t_import:.1f} s")
    if not args.skip_nuts:
        t0 = time.perf_counter()
        method = "vectorized" if args.vectorized else "parallel"
        idata = fit_hierarchical(d, "bandit2arm_delta", chain_method=method)
        wall = time.perf_counter() - t0
        print(f"chains: {method} ({jax.local_device_count()} JAX CPU devices)")
        ess = {v: float(az.ess(idata, var_names=[v])[v]) for v in ("mu_A", "mu_tau")}
        print(f"NUTS, hBayesDM settings (4 x (1000 + 3000)), {d.n_subjects} subjects: {wall:.1f} s wall, "
              f"compile included")
        for v, e in ess.items():
            print(f"  {v}: mean {float(idata.posterior[v].mean()):.3f}, ESS {e:.0f}, {e / wall:.0f} ESS/s")
        print(f"  vs PyStan 3 reference 78 ESS/s for mu_A: {ess['mu_A'] / wall / 78:.1f}x (target >= 10x)")
        print(f"  divergences: {int(idata.sample_stats.diverging.sum())}, mean tree size "
              f"{float(idata.sample_stats.n_steps.mean()):.1f}")
        # how close the approximate method lands to NUTS on the same data (subject-level estimates)
        t0 = time.perf_counter()
        ap = fit_approx(d, "bandit2arm_delta")
        t_ap = time.perf_counter() - t0
        print(f"approximate (EB-Laplace) on the same data: {t_ap:.1f} s; per-subject estimates vs NUTS posterior means:")
        for k in ("alpha", "beta"):
            nuts = idata.posterior[k].mean(("chain", "draw")).values
            r = np.corrcoef(nuts, ap.params[k])[0, 1]
            print(f"  {k}: r = {r:.3f}, mean |difference| = {np.mean(np.abs(nuts - ap.params[k])):.3f} "
                  f"(NUTS range {nuts.min():.2f}-{nuts.max():.2f})")
    rng = np.random.default_rng(0)
    n = args.subjects
    big = simulate_dataset("bandit2arm_delta", {"alpha": rng.uniform(0.1, 0.9, n), "beta": rng.uniform(0.5, 4.5, n)},
                           n_trials=200, seed=1)
    t0 = time.perf_counter()
    a = fit_approx(big, "bandit2arm_delta")
    wall = time.perf_counter() - t0
    print(f"approximate (EB-Laplace) on {n} subjects x 200 trials: {wall:.1f} s, {a.iterations} EM iterations, "
          f"converged {a.converged} (target < 60 s)")


if __name__ == "__main__":
    main()
