"""Fitting speed and mixing: hierarchical NUTS (hBayesDM's settings) and the many-chain ChEES default, every model family.

For one model per family of ``fitting.MODELS`` (the task decides the family:
bandit2arm_delta, prl_rp, prl_rp_multipleB, ts_par4, gng_m1, pst_gainloss_Q; the
other registered models -- stickiness variants, actor-critic, OpAL, fictitious
update, ts_par6/7, Daw 2011 -- share these tasks' likelihood code and data) on its
hBayesDM example data (tests/data/hbayesdm), in one run:

* NUTS with hBayesDM's settings (4 chains x (1,000 + 3,000), target acceptance 0.95),
  chains one per JAX CPU device;
* the default sampler (ChEES-HMC, 32 chains split over the CPU devices, run to a
  bulk ESS of 12,000 for every group-level parameter);

each with wall time (compile included, fresh model in this process), draws, and bulk
ESS, ESS per draw and ESS per second of every group mean and every group SD
(``sigma``), worst first. For the two models with Stan reference files
(tests/data/stan_reference) it adds the posterior agreement (largest |z| of group
and subject means against Stan's posterior sd) and ESS/s ratios against Stan, both
against the reference files' ESS and against Stan's ESS computed per chain (the
reference files' ESS come from chains read in the wrong order; see
``fitting/reference.py`` and docs/design.md, "Fitting"), and shows that
misreading on this run's own NUTS draws. Then: first and second fit times of the
default sampler on the same model and data (JAX's persistent compilation cache),
1,000 simulated bandit2arm subjects x 200 trials with the default sampler (wall,
ESS/s, recovery of the generating group means), and the approximate EB-Laplace
fit at the same scale.

    python benchmarks/bench_fit.py [--models bandit2arm_delta,prl_rp] [--skip-nuts] [--skip-chees]
                                   [--subjects 1000] [--skip-scale]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]
DATA = HERE / "tests" / "data" / "hbayesdm"
REF = HERE / "tests" / "data" / "stan_reference"

FAMILIES = [("bandit2arm_delta", "bandit2arm", "bandit2arm_exampleData.txt"),
            ("prl_rp", "prl", "prl_exampleData.txt"),
            ("prl_rp_multipleB", "prl_multipleB", "prl_multipleB_exampleData.txt"),
            ("ts_par4", "ts", "ts_exampleData.txt"),
            ("gng_m1", "gng", "gng_exampleData.txt"),
            ("pst_gainloss_Q", "pst", "pst_exampleData.txt")]

# Stan's bulk ESS computed per chain (arviz, chains in the right order), hBayesDM's own Stan models, PyStan 3.10,
# 4 x (1,000 + 3,000), adapt_delta 0.95, on this 2-core machine: bandit2arm_delta seed 1; prl_rp seed 20240601
# (the reference files' seed) and seed 1. Names are hBayesDM's; sigma[...] are the group SDs.
STAN_PER_CHAIN = {
    "bandit2arm_delta": [{"mu_A": 15179, "mu_tau": 11525, "sigma[A]": 7055, "sigma[tau]": 3597}],
    "prl_rp": [{"mu_Apun": 11902, "mu_Arew": 9485, "mu_beta": 7846, "sigma[Apun]": 5871, "sigma[Arew]": 5693,
                "sigma[beta]": 2911},
               {"mu_Apun": 19237, "mu_Arew": 17884, "mu_beta": 15212, "sigma[Apun]": 6507, "sigma[Arew]": 7325,
                "sigma[beta]": 3804}],
}


def group_ess(idata, model):
    """Bulk ESS of every group mean (hBayesDM names) and group SD, as {name: ess}."""
    import arviz as az

    out = {}
    for k in model.param_names:
        hb = model.hbayes[k][0]
        out[f"mu_{hb}"] = float(az.ess(idata.posterior[f"mu_{k}"].values, method="bulk"))
        out[f"sigma[{hb}]"] = float(az.ess(idata.posterior["sigma"].sel(parameter=k).values, method="bulk"))
    return out


def report(label, idata, model, wall):
    ess = group_ess(idata, model)
    n = idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"]
    worst = min(ess, key=ess.get)
    print(f"  {label}: {wall:.1f} s wall, {idata.posterior.sizes['chain']} chains x {idata.posterior.sizes['draw']} "
          f"draws, divergences {int(idata.sample_stats.diverging.sum())}")
    for name, e in sorted(ess.items(), key=lambda kv: kv[1]):
        print(f"    {name:>14}: ESS {e:7.0f}  {e / n:5.2f} per draw  {e / wall:7.1f} per s")
    from mesolimbic.fitting import diagnostics

    dg = diagnostics(idata, warn=False)
    nested = f", nested R-hat {dg['max_nested_r_hat']:.3f}" if "max_nested_r_hat" in dg else ""
    print(f"    worst: {worst} {ess[worst] / wall:.1f} ESS/s; max R-hat {dg['max_r_hat']:.3f}{nested}, "
          f"min tail ESS {dg['min_ess_tail']:.0f}")
    return ess, n


def stan_ratios(name, ess, n, wall, ref):
    """ESS/s against Stan: the reference file's figures and Stan's per-chain ESS (same timings)."""
    t_stan = ref["timings_s"]["compile"] + ref["timings_s"]["sampling_wall"]
    ref_ess = {k: v["ess_bulk"] for k, v in ref["group"].items()}
    ref_worst = min(min(ref_ess.values()), ref["ess_bulk_min"]["sigma"])
    ours = min(ess.values()) / wall
    print(f"    vs Stan reference file (worst {ref_worst:.0f} ESS in {t_stan:.0f} s = {ref_worst / t_stan:.1f} ESS/s): "
          f"{ours / (ref_worst / t_stan):.2f}x")
    for run in STAN_PER_CHAIN.get(name, []):
        w = min(run.values())
        print(f"    vs Stan ESS computed per chain (worst {min(run, key=run.get)} {w} ESS in {t_stan:.0f} s = "
              f"{w / t_stan:.1f} ESS/s): {ours / (w / t_stan):.2f}x; per draw, ours/Stan's: "
              + ", ".join(f"{k} {ess[k] / n / (v / 12000):.2f}" for k, v in run.items() if k in ess))


def agreement(idata, ref, model):
    from mesolimbic.fitting.reference import compare_to_reference

    df = compare_to_reference(idata, ref, model)
    g, s, sg = (df[df.kind == k] for k in ("group", "subject", "sigma"))
    print(f"    vs Stan posterior: max |z| group means {g.z.abs().max():.3f}, subject means {s.z.abs().max():.3f} "
          f"(target < 0.25); group SD means within {100 * sg.z.abs().max():.1f} % of Stan's")


def interleaving(idata, model):
    """The reference files' ESS reproduced on our own NUTS draws by reading the chains interleaved."""
    import arviz as az

    from mesolimbic.fitting.reference import interleave_chains

    cells = []
    for k in model.param_names:
        hb = model.hbayes[k][0]
        x = idata.posterior["sigma"].sel(parameter=k).values
        cells.append(f"sigma[{hb}] {az.ess(x, method='bulk'):.0f} per chain vs "
                     f"{az.ess(interleave_chains(x), method='bulk'):.0f} interleaved")
    print("    chains read interleaved (PyStan 3's flat order taken as chain-major): " + "; ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(f[0] for f in FAMILIES))
    ap.add_argument("--skip-nuts", action="store_true")
    ap.add_argument("--skip-chees", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--target-ess", type=float, default=12000.0, help="the default sampler's target bulk ESS")
    ap.add_argument("--subjects", type=int, default=1000)
    ap.add_argument("--scale-chains", type=int, default=4, help="chains of the default sampler at scale (superchains "
                                                                "of 2): at 1,000 x 200 trials one batched gradient "
                                                                "costs ~6 ms for 1 chain and ~95 ms for 8")
    ap.add_argument("--scale-warmup", type=int, default=150)
    ap.add_argument("--scale-target-ess", type=float, default=400.0)
    ap.add_argument("--one-fit", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one_fit:
        return one_fit()
    import numpyro

    numpyro.set_host_device_count(4)  # before JAX starts: NUTS one chain per device; ChEES splits over them
    import jax

    from mesolimbic.fitting import fit_hierarchical, get_model, load_choices
    from mesolimbic.fitting.reference import load_reference

    warnings.simplefilter("default")
    print(f"{os.cpu_count()} CPU cores, {jax.local_device_count()} JAX CPU devices")
    chosen = args.models.split(",")
    for name, task, fname in FAMILIES:
        if name not in chosen:
            continue
        model = get_model(name)
        d = load_choices(DATA / fname, task)
        ref = load_reference(REF / f"{name}.json") if (REF / f"{name}.json").exists() else None
        print(f"\n{name} on {fname}: {d.n_subjects} subjects, {int(d.mask.sum())} trials, "
              f"{2 * len(model.param_names) + d.n_subjects * len(model.param_names)} dimensions")
        for sampler in ("nuts", "chees"):
            if (sampler == "nuts" and args.skip_nuts) or (sampler == "chees" and args.skip_chees):
                continue
            t0 = time.perf_counter()
            kw = {} if sampler == "nuts" else {"target_ess": args.target_ess}
            idata = fit_hierarchical(d, model, sampler=sampler, ppc_draws=20, **kw)
            wall = time.perf_counter() - t0
            label = ("NUTS, hBayesDM's settings" if sampler == "nuts" else
                     f"ChEES (default), step {idata.attrs['step_size']:.3f}, trajectory "
                     f"{idata.attrs['trajectory_length']:.2f}, {idata.attrs['devices']} devices, warm-up "
                     f"{idata.attrs['warmup_time_s']:.0f} s, sampling {idata.attrs['sampling_time_s']:.0f} s")
            ess, n = report(label, idata, model, wall)
            if ref is not None:
                stan_ratios(name, ess, n, wall, ref)
                agreement(idata, ref, model)
                if sampler == "nuts":
                    interleaving(idata, model)
    if not args.skip_chees and "bandit2arm_delta" in chosen:
        cache_timing()
    if not args.skip_scale:
        scale(args.subjects, args.scale_chains, args.scale_warmup, args.scale_target_ess, skip_chees=args.skip_chees)


def one_fit() -> None:
    """One default fit of bandit2arm (seed 0), printed as 'wall warm-up sampling' seconds."""
    from mesolimbic.fitting import fit_hierarchical, load_choices

    d = load_choices(DATA / "bandit2arm_exampleData.txt", "bandit2arm")
    out = []
    for _ in range(2):  # the second fit in the same process reuses the compiled programs
        t0 = time.perf_counter()
        idata = fit_hierarchical(d, "bandit2arm_delta", seed=0, ppc_draws=20)
        out.append(f"{time.perf_counter() - t0:.1f} {idata.attrs['warmup_time_s']:.1f} "
                   f"{idata.attrs['sampling_time_s']:.1f}")
    print(" | ".join(out))


def cache_timing() -> None:
    """First and second fit of the same model and data, each in a fresh process sharing a new
    persistent compilation cache, and a second fit inside each process."""
    import subprocess
    import sys
    import tempfile

    print("\nthe default sampler on bandit2arm, seed 0: wall / warm-up (compile included) / sampling, seconds")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "MESOLIMBIC_JAX_CACHE": cache}
        for label in ("process 1, empty compilation cache", "process 2, cache filled by process 1"):
            r = subprocess.run([sys.executable, __file__, "--one-fit"], env=env, capture_output=True, text=True)
            first, second = (r.stdout.strip().splitlines() or ["failed | failed"])[-1].split(" | ")
            print(f"  {label}: first fit {first}; second fit in the same process {second}")


def scale(n, chains, warmup, target_ess, skip_chees=False):
    """n simulated subjects x 200 trials of bandit2arm, drawn from the hBayesDM hierarchy with known
    group parameters: the default sampler (wall, ESS/s, recovery) and the approximate fit."""
    from mesolimbic.fitting import fit_approx, fit_hierarchical
    from mesolimbic.fitting.likelihood import phi_approx
    from mesolimbic.fitting.recovery import simulate_dataset

    rng = np.random.default_rng(0)
    mu_pr, sigma = np.array([-0.3, -0.8]), np.array([0.5, 0.4])
    x = rng.standard_normal((n, 2))
    alpha = np.asarray(phi_approx(mu_pr[0] + sigma[0] * x[:, 0]), float)
    beta = 5 * np.asarray(phi_approx(mu_pr[1] + sigma[1] * x[:, 1]), float)
    big = simulate_dataset("bandit2arm_delta", {"alpha": alpha, "beta": beta}, n_trials=200, seed=1)
    print(f"\n{n} simulated subjects x 200 trials of bandit2arm (group: mu_pr {mu_pr.tolist()}, sigma "
          f"{sigma.tolist()}):")
    if not skip_chees:
        from mesolimbic.fitting import get_model

        model = get_model("bandit2arm_delta")
        t0 = time.perf_counter()
        idata = fit_hierarchical(big, model, chains=chains, superchain_size=2, warmup=warmup, target_ess=target_ess,
                                 ppc_draws=20, per_trial=False)
        wall = time.perf_counter() - t0
        ess, m = report(f"ChEES, {chains} chains, {warmup} warm-up, target ESS {target_ess:.0f}, step {idata.attrs['step_size']:.3f}, "
                        f"warm-up {idata.attrs['warmup_time_s']:.0f} s, sampling {idata.attrs['sampling_time_s']:.0f} s",
                        idata, model, wall)
        post = idata.posterior
        for name, true in (("mu_pr", mu_pr), ("sigma", sigma)):
            v = post[name].values.reshape(-1, 2)
            z = (v.mean(0) - true) / v.std(0)
            print(f"    {name}: posterior {np.round(v.mean(0), 3).tolist()} +- {np.round(v.std(0), 3).tolist()}, "
                  f"true {true.tolist()}, z {np.round(z, 2).tolist()} (within 2 sd: {bool(np.all(np.abs(z) < 2))})")
    t0 = time.perf_counter()
    a = fit_approx(big, "bandit2arm_delta")
    print(f"  approximate (EB-Laplace): {time.perf_counter() - t0:.1f} s, {a.iterations} EM iterations, "
          f"converged {a.converged}")


if __name__ == "__main__":
    main()
