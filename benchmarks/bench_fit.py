"""Fitting speed: hierarchical NUTS with hBayesDM's settings, and the approximate method at scale.

(1) bandit2arm_delta on hBayesDM's bandit2arm example data (20 subjects x 100
trials), hBayesDM parameterisation and defaults: 4 chains, 1,000 warm-up +
3,000 draws, target acceptance 0.95. Reports total wall time (tracing and
compilation included, in a fresh process), bulk ESS and ESS per second for
mu_A and mu_tau. Reference measured by the issue's author on this machine:
PyStan 3, same model and settings, 34 s compile + 147 s sampling, about 78
effective samples per second for mu_A (target: >= 10x that, compile included).
Chains run one per JAX CPU device (``--vectorized``: all four batched on one
device, the previous default). Then where the time goes: leapfrog steps, the
cost of one gradient, and NumPyro's NUTS with the same chains and settings on a
standard normal of the same dimension -- the speed this route would have if the
likelihood cost nothing. (2) fit_approx (empirical-Bayes Laplace EM) on 1,000 simulated subjects x 200
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
        _floor(d, idata, wall, ess["mu_A"])
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


def _per_call(f, *args, n=2000):
    """Median seconds per call of a jitted ``f`` over 5 blocks of ``n`` calls (dispatch included)."""
    import jax

    jax.block_until_ready(f(*args))
    times = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            out = f(*args)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - t) / n)
    return float(np.median(times))


def _leapfrogs(n_steps, warmup):
    """Leapfrog steps of a run: the sampling ones counted, the warm-up ones estimated at the
    sampling tree size (early warm-up trees are larger, so this undercounts)."""
    draws = n_steps.shape[1]
    return float(np.sum(n_steps)) * (draws + warmup) / draws


def _floor(d, idata, wall, ess_mu_a):
    """Where the NUTS time goes, and what NumPyro's NUTS costs with a free likelihood: the
    same chains and settings on a standard normal of the model's dimension give NumPyro's
    own cost per leapfrog step per core; the model's leapfrog count times that is the time
    this route needs even if the likelihood cost nothing."""
    import os

    import jax
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS
    from numpyro.infer.util import initialize_model

    from mesolimbic.fitting.hierarchical import numpyro_model

    info = initialize_model(jax.random.PRNGKey(0), numpyro_model(d, "bandit2arm_delta"))
    z = info.param_info.z
    dim = sum(int(np.size(v)) for v in jax.tree_util.tree_leaves(z))
    grad = _per_call(jax.jit(jax.value_and_grad(info.potential_fn)), z)

    def normal():
        numpyro.sample("x", dist.Normal(0.0, 1.0).expand([dim]).to_event(1))

    chains, warm = idata.posterior.sizes["chain"], int(idata.attrs["warmup"])
    mc = MCMC(NUTS(normal, target_accept_prob=float(idata.attrs["target_accept"])), num_warmup=warm,
              num_samples=idata.posterior.sizes["draw"], num_chains=chains,
              chain_method="parallel" if jax.local_device_count() >= chains else "vectorized", progress_bar=False)
    t = time.perf_counter()
    mc.run(jax.random.PRNGKey(0), extra_fields=("num_steps",))
    jax.block_until_ready(mc.get_samples())
    t_free = time.perf_counter() - t
    free_steps = _leapfrogs(np.asarray(mc.get_extra_fields(group_by_chain=True)["num_steps"]), warm)
    cores = min(os.cpu_count() or 1, chains)
    per_free = t_free / (free_steps / cores)  # compile included, so an upper estimate of the overhead
    steps = _leapfrogs(idata.sample_stats.n_steps.values, warm)
    per_step = wall / (steps / cores)
    print(f"where the time goes ({dim} dimensions, {chains} chains on {cores} cores):")
    print(f"  leapfrog steps: ~{steps / 1e3:.0f}k; {per_step * 1e6:.0f} us per step per core, everything included")
    print(f"  one gradient of the log density, jitted, called alone: {grad * 1e6:.0f} us (a 100-trial scan)")
    print(f"  NumPyro's NUTS, same chains and settings, on a {dim}-D standard normal: {t_free:.1f} s wall "
          f"(compile included), {per_free * 1e6:.0f} us per step per core")
    free = steps / cores * per_free
    print(f"  the fit's steps at that cost, i.e. with a likelihood that cost nothing: {free:.0f} s -> "
          f"{ess_mu_a / free:.0f} ESS/s for mu_A = {ess_mu_a / free / 78:.1f}x the Stan reference")


if __name__ == "__main__":
    main()
