"""Reward-model over-optimisation (Gao, Schulman & Hilton 2023): optimising a learned proxy reward raises the proxy without end while the gold reward peaks and falls — when the proxy's error is heavy-tailed.

Design: best-of-n sampling against a *learned* reward model. Each response has
four quality features (Gaussian) and a length feature; the gold reward is a
fixed linear function of quality only (sd 1). Human labellers compare 5,000
pairs of responses from a separate pool with Bradley–Terry noise (temperature
0.5) and a bias towards longer answers (+0.3 per unit of length, the length
bias of RLHF preference data, Singhal et al. 2023); a linear Bradley–Terry
reward model is fitted to their choices (:func:`mesolimbic.rlhf.fit_bradley_terry`)
and so learns the labellers' length preference. Then for each of 4,000 prompts
with 1,000 candidates the candidate with the highest learned reward among the
first n is kept, n = 1 ... 1,000; d = sqrt(KL), KL = log n - (n - 1)/n. Length
is either light-tailed (Gaussian) or heavy-tailed (Student t, 2 degrees of
freedom). The gold curve is fitted with Gao et al.'s best-of-n form R(d) = d
(alpha - beta d) (:mod:`mesolimbic.rlhf.overoptimisation`).

Signatures: with heavy-tailed length the proxy keeps rising but the gold reward
peaks at an intermediate KL and then falls (over-optimisation, fitted well by
the best-of-n form); with light-tailed length the gold reward keeps rising —
selection on a proxy whose error is independent and light-tailed does not turn
over. This is the difference between regressional Goodhart (light tails: the
gain is only diluted) and extremal Goodhart (heavy tails: the top of the proxy
is dominated by errors) (Manheim & Garrabrant 2018). Reinforcement learning
against a learned reward model (the RL form) is in ``reward_hacking_addiction``,
with this package's PPO.

References: Gao, L., Schulman, J. & Hilton, J. (2023). Scaling laws for reward model
overoptimization. ICML 2023. Manheim, D. & Garrabrant, S. (2018). Categorizing
variants of Goodhart's law. arXiv:1803.04585. Stiennon, N. et al. (2020).
Learning to summarize from human feedback. NeurIPS 33 (best-of-n KL). Singhal,
P., Goyal, T., Xu, J. & Durrett, G. (2023). A long way to go: investigating
length correlations in RLHF. arXiv:2310.03716.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..rlhf import fit_bradley_terry, overoptimisation_report
from ..rlhf.overoptimisation import best_of_n_kl
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "gao2023_overoptimisation"
CITATION = ("Gao, Schulman & Hilton (2023). Scaling laws for reward model overoptimization. ICML 2023, "
            "PMLR 202:10835-10866")
PROMPTS, CANDIDATES = 4000, 1000
N_QUALITY, POOL, N_PAIRS = 4, 3000, 5000
LENGTH_BIAS, LABEL_TEMPERATURE = 0.3, 0.5
NS = np.unique(np.round(np.logspace(0, 3, 25)).astype(int))


@register(NAME, "Over-optimisation: best-of-n against a learned reward model; gold peaks and falls with heavy tails",
          CITATION, default_agents=1, topic="RLHF")
def run(n_agents: int = 1, seed: int = 0) -> ExperimentResult:
    rng = np.random.default_rng(seed)
    w_true = rng.normal(size=N_QUALITY)
    w_true /= np.linalg.norm(w_true)  # gold has sd 1
    quality = rng.normal(size=(PROMPTS, CANDIDATES, N_QUALITY)).astype(np.float32)
    gold = (quality @ w_true).astype(np.float32)
    lengths = {"light-tailed (Gaussian)": lambda size: rng.normal(size=size),
               "heavy-tailed (Student t, 2 df)": lambda size: rng.standard_t(2, size=size)}
    kl = best_of_n_kl(NS)
    curves, reports, rms = {}, {}, {}
    rows = np.arange(PROMPTS)
    for name, draw_length in lengths.items():
        # the labellers' comparisons and the learned reward model
        pool = np.column_stack([rng.normal(size=(POOL, N_QUALITY)), draw_length(POOL)])
        liked = pool[:, :N_QUALITY] @ w_true + LENGTH_BIAS * pool[:, -1]
        i, j = rng.integers(POOL, size=(2, N_PAIRS))
        i_wins = rng.random(N_PAIRS) < 1 / (1 + np.exp(-(liked[i] - liked[j]) / LABEL_TEMPERATURE))
        rm = fit_bradley_terry(np.where(i_wins, i, j), np.where(i_wins, j, i), pool)
        w_hat = rm["w"] * LABEL_TEMPERATURE  # on the reward scale of the labellers
        rms[name] = {"accuracy": rm["accuracy"], "w_length": float(w_hat[-1]),
                     "quality_alignment": float(w_hat[:-1] @ w_true / np.linalg.norm(w_hat[:-1]))}
        length = np.asarray(draw_length(gold.shape), np.float32)
        proxy = quality @ w_hat[:-1].astype(np.float32) + w_hat[-1] * length
        g, p, g_sd, p_sd = [], [], [], []
        for n in NS:
            pick = proxy[:, :n].argmax(1)
            g.append(float(gold[rows, pick].mean()))
            p.append(float(proxy[rows, pick].mean()))
            g_sd.append(float(gold[rows, pick].std(ddof=1)))  # over prompts, for the figure's intervals
            p_sd.append(float(proxy[rows, pick].std(ddof=1)))
        curves[name] = (np.array(p), np.array(g), np.array(p_sd), np.array(g_sd))
        reports[name] = overoptimisation_report(kl, p, g)
    names = list(lengths)
    light, heavy = (reports[k] for k in names)
    m = "best-of-n against a learned reward model"
    checks = [
        Check("heavy_tail_gold_peaks_and_falls", "heavy: gold at the largest KL minus the gold peak",
              heavy["gold_final"] - heavy["gold_peak"], "<", -0.2, model=m, kind="direction"),
        Check("heavy_tail_proxy_keeps_rising", "heavy: proxy gain after the gold peak", heavy["proxy_gain_after_peak"],
              ">", 1.0, model=m, kind="direction"),
        Check("heavy_tail_gold_rises_first", "heavy: gold at its peak minus gold at the smallest KL (the curve "
              "rises before it turns over, Gao et al. Fig. 1)", heavy["gold_peak"] - float(curves[names[1]][1][0]),
              ">", 0.0, model=m, kind="direction", claim="interval"),
        Check("bon_form_fits_best_of_n", "heavy: R^2 of the best-of-n form d (alpha - beta d) minus R^2 of the RL "
              "form d (alpha - beta log d) on the best-of-n gold curve (Gao et al. give each method its own form)",
              heavy["fit_bon"]["r2"] - heavy["fit_rl"]["r2"], ">", 0.0, model=m, kind="direction"),
        Check("light_tail_no_turnover", "light: gold at the largest KL minus its peak (0: still rising)",
              light["gold_final"] - light["gold_peak"], ">", -0.02, model=m, kind="direction"),
    ]
    ds = xr.Dataset({"proxy": (("length", "n"), np.stack([curves[k][0] for k in names])),
                     "gold": (("length", "n"), np.stack([curves[k][1] for k in names])),
                     "proxy_sd": (("length", "n"), np.stack([curves[k][2] for k in names]),
                                  {"long_name": "sd over prompts of the proxy reward of the chosen candidate"}),
                     "gold_sd": (("length", "n"), np.stack([curves[k][3] for k in names]),
                                 {"long_name": "sd over prompts of the gold reward of the chosen candidate"})},
                    coords={"length": names, "n": NS, "kl": ("n", kl), "d": ("n", np.sqrt(kl))},
                    attrs={"prompts": PROMPTS, "length_bias": LENGTH_BIAS,
                           **{f"{'heavy' if 'heavy' in k else 'light'}_rm_{q}": v for k, r in rms.items()
                              for q, v in r.items()},
                           **{f"{k}_{q}": v for k, r in (("light", light), ("heavy", heavy)) for q, v in
                              (("kl_at_peak", r["kl_at_peak"]), ("bon_alpha", r["fit_bon"]["alpha"]),
                               ("bon_beta", r["fit_bon"]["beta"]), ("bon_r2", r["fit_bon"]["r2"]),
                               ("rl_r2", r["fit_rl"]["r2"]))}})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds),
                            params={"prompts": PROMPTS, "candidates": CANDIDATES, "preference_pairs": N_PAIRS,
                                    "length_bias": LENGTH_BIAS, "label_temperature": LABEL_TEMPERATURE})


def figure(ds):
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 6.6), constrained_layout=True, sharex=True)
    half = 1.96 / np.sqrt(ds.attrs["prompts"])  # 95 % CI of a mean over the prompts (normal: thousands of them)
    d = ds.d.values
    for j, e in enumerate(ds.length.values):
        key = "heavy" if "heavy" in str(e) else "light"
        a, b = ds.attrs[f"{key}_bon_alpha"], ds.attrs[f"{key}_bon_beta"]
        g, p = ds.gold.sel(length=e).values, ds.proxy.sel(length=e).values
        top, bottom = axes[0, j], axes[1, j]
        top.plot(d, g, "o-", ms=3, color=plot.VERMILLION, label="gold reward")
        top.fill_between(d, g - half * ds.gold_sd.sel(length=e), g + half * ds.gold_sd.sel(length=e),
                         color=plot.VERMILLION, alpha=0.22, lw=0)
        top.plot(d, float(g[0]) + d * (a - b * d), "--", color=plot.BLACK, lw=1,
                 label=f"fit d(α − βd), R² {ds.attrs[f'{key}_bon_r2']:.2f}")
        top.set_ylabel("gold reward (sd units)")
        top.set_title(f"length {e}")
        top.legend(loc="lower center")
        bottom.plot(d, p, "o-", ms=3, color=plot.BLUE, label="proxy reward")
        bottom.fill_between(d, p - half * ds.proxy_sd.sel(length=e), p + half * ds.proxy_sd.sel(length=e),
                            color=plot.BLUE, alpha=0.22, lw=0)
        bottom.set_ylabel("proxy reward (reward-model units)")
        bottom.set_xlabel("d = √KL of best-of-n (nats^½)")
        bottom.legend(loc="upper left")
    fig.suptitle("Over-optimisation of a learned reward model under best-of-n (Gao et al. 2023): the gold reward "
                 "(top) and the proxy it is chosen by (bottom)")
    plot.note(fig, f"Means over {ds.attrs['prompts']} prompts; bands: 95 % confidence interval of the mean (narrow).")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "length": ("learned reward model, by the strength of its length bias", None),
    "n": ("number of candidates n in best-of-n sampling", "1"),
    "kl": ("KL divergence of best-of-n from the base policy, log n - (n-1)/n, in nats", "1"),
    "d": ("square root of the KL divergence, sqrt(nats)", "1"),
    "proxy": ("proxy (learned) reward of the chosen candidate, mean over prompts", "1", RN),
    "gold": ("gold (true) reward of the chosen candidate, mean over prompts", "1", RN),
    "proxy_sd": ("sd over prompts of the proxy reward of the chosen candidate", "1", RN),
    "gold_sd": ("sd over prompts of the gold reward of the chosen candidate", "1", RN),
}
