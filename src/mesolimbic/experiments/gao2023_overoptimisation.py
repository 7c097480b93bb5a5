"""Reward-model over-optimisation (Gao, Schulman & Hilton 2023): optimising a proxy reward raises the proxy without end while the gold reward peaks and falls — when the proxy's error is heavy-tailed.

Design: best-of-n sampling. Each of 4,000 prompts has 1,000 candidate responses
with a gold reward ~ N(0, 1); a proxy reward model sees gold + error, with the
error either light-tailed (Gaussian, sd 1) or heavy-tailed (Student t, 2
degrees of freedom). For n from 1 to 1,000 the candidate with the highest proxy
is kept; the distance from the base policy is d = sqrt(KL), KL = log n -
(n - 1)/n. The gold curve is fitted with Gao et al.'s best-of-n form
R(d) = d (alpha - beta d) (:mod:`mesolimbic.rlhf.overoptimisation`).

Signatures: with the heavy-tailed error the proxy keeps rising but the gold
reward peaks at an intermediate KL and then falls (over-optimisation, fitted
well by the best-of-n form); with the light-tailed error the gold reward keeps
rising — selection on a proxy with independent, light-tailed error does not
turn over. This is the difference between regressional Goodhart (light tails:
the gain is only diluted) and extremal Goodhart (heavy tails: the top of the
proxy is dominated by errors) (Manheim & Garrabrant 2018). Reinforcement
learning against the proxy (the RL form) is not simulated here.

References: Gao, L., Schulman, J. & Hilton, J. (2023). Scaling laws for reward model
overoptimization. ICML 2023. Manheim, D. & Garrabrant, S. (2018). Categorizing
variants of Goodhart's law. arXiv:1803.04585. Stiennon, N. et al. (2020).
Learning to summarize from human feedback. NeurIPS 33 (best-of-n KL).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..rlhf import overoptimisation_report
from ..rlhf.overoptimisation import best_of_n_kl
from .registry import Check, ExperimentResult, register

NAME = "gao2023_overoptimisation"
CITATION = ("Gao, Schulman & Hilton (2023). Scaling laws for reward model overoptimization. ICML 2023, "
            "PMLR 202:10835-10866")
PROMPTS, CANDIDATES = 4000, 1000
NS = np.unique(np.round(np.logspace(0, 3, 25)).astype(int))


@register(NAME, "Over-optimisation: gold reward peaks and falls under best-of-n with a heavy-tailed proxy error",
          CITATION, default_agents=1)
def run(n_agents: int = 1, seed: int = 0) -> ExperimentResult:
    rng = np.random.default_rng(seed)
    gold = rng.normal(size=(PROMPTS, CANDIDATES)).astype(np.float32)
    errors = {"light-tailed (Gaussian)": rng.normal(size=gold.shape).astype(np.float32),
              "heavy-tailed (Student t, 2 df)": rng.standard_t(2, size=gold.shape).astype(np.float32)}
    kl = best_of_n_kl(NS)
    curves, reports = {}, {}
    rows = np.arange(PROMPTS)
    for name, err in errors.items():
        proxy = gold + err
        g, p = [], []
        for n in NS:
            pick = proxy[:, :n].argmax(1)
            g.append(float(gold[rows, pick].mean()))
            p.append(float(proxy[rows, pick].mean()))
        curves[name] = (np.array(p), np.array(g))
        reports[name] = overoptimisation_report(kl, p, g)
    light, heavy = reports["light-tailed (Gaussian)"], reports["heavy-tailed (Student t, 2 df)"]
    m = "best-of-n against a proxy reward"
    checks = [
        Check("heavy_tail_gold_peaks_and_falls", "heavy: gold at the largest KL minus the gold peak",
              heavy["gold_final"] - heavy["gold_peak"], "<", -0.2, model=m),
        Check("heavy_tail_proxy_keeps_rising", "heavy: proxy gain after the gold peak", heavy["proxy_gain_after_peak"],
              ">", 1.0, model=m),
        Check("peak_at_intermediate_kl", "heavy: KL at the gold peak (nats; max tested "
              f"{float(kl[-1]):.1f})", heavy["kl_at_peak"], "<", 0.5 * float(kl[-1]), model=m),
        Check("bon_form_fits", "heavy: R^2 of R(d) = d (alpha - beta d)", heavy["fit_bon"]["r2"], ">", 0.8, model=m),
        Check("light_tail_no_turnover", "light: gold at the largest KL minus its peak (0: still rising)",
              light["gold_final"] - light["gold_peak"], ">", -0.02, model=m),
    ]
    names = list(errors)
    ds = xr.Dataset({"proxy": (("error", "n"), np.stack([curves[k][0] for k in names])),
                     "gold": (("error", "n"), np.stack([curves[k][1] for k in names]))},
                    coords={"error": names, "n": NS, "kl": ("n", kl), "d": ("n", np.sqrt(kl))},
                    attrs={"experiment": NAME, "seed": seed, "prompts": PROMPTS,
                           **{f"{k}_{q}": v for k, r in (("light", light), ("heavy", heavy)) for q, v in
                              (("kl_at_peak", r["kl_at_peak"]), ("bon_alpha", r["fit_bon"]["alpha"]),
                               ("bon_beta", r["fit_bon"]["beta"]), ("bon_r2", r["fit_bon"]["r2"]))}})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params={"prompts": PROMPTS,
                                                                          "candidates": CANDIDATES})


def figure(ds):
    from ..plot import plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
    for ax, e in zip(axes, ds.error.values):
        key = "heavy" if "heavy" in str(e) else "light"
        a, b = ds.attrs[f"{key}_bon_alpha"], ds.attrs[f"{key}_bon_beta"]
        d = ds.d.values
        ax.plot(d, ds.proxy.sel(error=e), "o-", ms=3, color="tab:blue", label="proxy reward")
        ax.set_ylabel("proxy reward", color="tab:blue")
        g = ax.twinx()  # the gold reward on its own scale, so its turnover shows
        g.plot(d, ds.gold.sel(error=e), "o-", ms=3, color="tab:red", label="gold reward")
        g.plot(d, float(ds.gold.sel(error=e)[0]) + d * (a - b * d), "--", color="tab:red", lw=1,
               label=f"fit d(α − βd), R² {ds.attrs[f'{key}_bon_r2']:.2f}")
        g.set_ylabel("gold reward", color="tab:red")
        ax.set_xlabel("d = √KL (best-of-n)")
        ax.set_title(f"proxy error {e}", fontsize=10)
        g.legend(fontsize=8, frameon=False, loc="lower right")
    fig.suptitle("Reward-model over-optimisation under best-of-n (Gao et al. 2023)", fontsize=11)
    return fig
