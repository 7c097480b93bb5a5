"""Reward hacking and addiction, one signature: the same over-optimisation monitor applied to a drug-taking agent (Redish 2004) and to a language model trained by PPO against a learned reward model.

Design. Addiction: a delta-rule agent (alpha 0.1, beta 5; 400 trials, 200
agents) chooses between working (real reward with probability 0.8) and a drug
(real reward with probability 0.3, plus a non-compensable dopamine surge D = 0.2,
delta = max(r - Q + D, D); :class:`mesolimbic.models.HijackedDeltaRule`).
RLHF: a tiny Llama policy writes 16 words (:mod:`mesolimbic.rlhf.tiny`); the gold
reward is 1 if ``yes`` occurs, minus 0.3 per ``yes`` beyond two; the proxy is a
linear bag-of-words reward model fitted by Bradley–Terry
(:func:`mesolimbic.rlhf.fit_bradley_terry`) to 1,000 gold-labelled preference
pairs of base-policy samples — among which three or more ``yes`` are rare — and
PPO (64 rollouts, 40 iterations, KL coefficient 0.02) optimises the proxy. For
both, per trial or iteration: the *proxy* (the agent's own estimate of what its
policy earns, sum_a pi(a) Q(a); the reward model's mean score), the *gold* (the
real expected outcome, sum_a pi(a) p_reward(a); the mean gold reward) and the KL
of the policy from its starting policy; :func:`mesolimbic.rlhf.overoptimisation_report`
reads them in the same way.

Signature (both): the proxy keeps rising with KL while the gold reward peaks and
then falls — the learned estimate of value runs away from the outcome it was
meant to track. The mechanisms differ and the report says so: the drug corrupts
the teaching signal itself (the error never falls below D), while the reward
model is an accurate learner of preferences that is queried outside the data it
was fitted on (it learned "more yes is better" where more than two never
occurred) — a regressional/extrapolation Goodhart failure rather than a broken
teaching signal. The fits of Gao et al.'s functional forms to the gold curves
are reported, not checked.

References: Redish, A. D. (2004). Science 306:1944-1947. Gao, L., Schulman, J. &
Hilton, J. (2023). ICML 2023. Skalse, J. et al. (2022). Defining and
characterizing reward hacking. NeurIPS 35. Manheim, D. & Garrabrant, S. (2018).
arXiv:1803.04585.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..instrumental import simulate_choices
from ..models import HijackedDeltaRule
from ..rlhf import fit_bradley_terry, overoptimisation_report
from ..tasks.bandit import Bandit
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "reward_hacking_addiction"
CITATION = ("Redish (2004), Science 306:1944; Gao, Schulman & Hilton (2023), ICML; Skalse et al. (2022), "
            "NeurIPS 35")
D = 0.2
N_TRIALS, N_ITER, N_POINTS = 400, 40, 40


def addiction_series(n_agents: int, seed: int) -> dict:
    """KL from the start, proxy (sum pi Q) and gold (sum pi p_reward) per trial, agent means."""
    ds = single(simulate_choices(Bandit((0.8, 0.3), n_trials=N_TRIALS, name="work_or_drug"), HijackedDeltaRule(),
                          {"alpha": 0.1, "beta": 5.0, "stim": D}, n_agents=n_agents, seed=seed))
    p = ds.p.values.astype(float)
    p0 = p[:, :1]
    kl = np.sum(p * (np.log(np.clip(p, 1e-12, None)) - np.log(np.clip(p0, 1e-12, None))), -1)
    proxy, gold = (p * ds.q.values).sum(-1), (p * ds.p_reward.values).sum(-1)
    return {"kl": kl.mean(0), "proxy": proxy.mean(0), "gold": gold.mean(0), "p_drug": p[..., 1].mean(0),
            "proxy_sd": proxy.std(0, ddof=1) if n_agents > 1 else np.zeros(proxy.shape[1]),
            "gold_sd": gold.std(0, ddof=1) if n_agents > 1 else np.zeros(gold.shape[1])}


def _features(texts, vocab):
    return np.array([[t.split().count(w) for w in vocab] for t in texts], float)


def rlhf_series(seed: int) -> dict:
    """PPO against a Bradley–Terry bag-of-words proxy fitted to gold-labelled base samples."""
    import torch

    from ..rlhf.ppo import PPOConfig, ValueHeadPolicy, train_ppo
    from ..rlhf.preferences import sample_preferences
    from ..rlhf.tiny import SPECIAL, KeywordTask, one_thread, special_ids, tiny_causal_lm, word_tokenizer

    tok, task = word_tokenizer(), KeywordTask()
    vocab = [w for w in tok.get_vocab() if w not in SPECIAL]
    with one_thread():
        lm = tiny_causal_lm(tok, seed=seed)
        torch.manual_seed(seed)
        with torch.no_grad():
            ids = lm.generate(input_ids=torch.full((2000, 1), tok.bos_token_id), do_sample=True, top_k=0,
                              max_new_tokens=16, suppress_tokens=special_ids(tok),
                              pad_token_id=tok.pad_token_id, eos_token_id=None)
        texts = tok.batch_decode(ids[:, 1:], skip_special_tokens=True)
        gold = task.gold(texts)
        chosen, rejected = sample_preferences(gold, 1000, seed=seed, temperature=0.3)
        X = _features(texts, vocab)
        fit = fit_bradley_terry(chosen, rejected, X)
        w = fit["w"]

        def proxy(batch):
            return _features(batch, vocab) @ w

        ds = train_ppo(ValueHeadPolicy(lm), tok, proxy, ["<bos>"], n_iterations=N_ITER,
                       config=PPOConfig(stop_at_eos=False, learning_rate=1e-3, kl_coef=0.02, seed=seed),
                       gold=task.gold, suppress_tokens=special_ids(tok))
    yes = tok.convert_tokens_to_ids(task.keyword)
    return {"kl": np.maximum(ds.kl_mean.values, 0.0), "proxy": ds.score_mean.values, "gold": ds.gold_mean.values,
            "n_yes": (ds.token_id.values == yes).sum(-1).mean(-1), "w_yes": float(w[vocab.index(task.keyword)]),
            "rm_accuracy": fit["accuracy"], "base_share_over2": float(np.mean(task.count(texts) > task.max_yes))}


@register(NAME, "Reward hacking and addiction: a proxy of value that runs away from the real outcome", CITATION,
          default_agents=200, requires=("torch", "transformers", "tokenizers"), extra="rlhf", topic="RLHF")
def run(n_agents: int = 200, seed: int = 0) -> ExperimentResult:
    add = addiction_series(n_agents, seed)
    rl = rlhf_series(seed)
    idx = np.unique(np.linspace(0, N_TRIALS - 1, N_POINTS).astype(int))
    reports = {"addiction": overoptimisation_report(add["kl"][idx], add["proxy"][idx], add["gold"][idx]),
               "rlhf": overoptimisation_report(rl["kl"], rl["proxy"], rl["gold"])}
    checks = []
    for label, rep, series, model in (("addiction", reports["addiction"], add, "drug agent (Redish 2004)"),
                                      ("rlhf", reports["rlhf"], rl, "PPO against a learned reward model")):
        checks += [
            Check(f"{label}_gold_falls_after_peak", "gold at its peak minus gold at the end",
                  rep["gold_peak"] - rep["gold_final"], ">", 0.1, model=model, kind="direction"),
            Check(f"{label}_proxy_rises_after_peak", "proxy at the end minus proxy at the gold peak",
                  rep["proxy_gain_after_peak"], ">", 0.0, model=model, kind="direction"),
            Check(f"{label}_peak_is_interior", "sqrt(KL) at the gold peak as a share of the largest sqrt(KL) reached",
                  rep["d_at_peak"] / float(np.sqrt(np.max(series["kl"]))), "<", 0.8, model=model, kind="direction"),
        ]
    out = xr.Dataset({
        "addiction_kl": ("trial", add["kl"]), "addiction_proxy": ("trial", add["proxy"]),
        "addiction_gold": ("trial", add["gold"]), "addiction_p_drug": ("trial", add["p_drug"]),
        "addiction_proxy_sd": ("trial", add["proxy_sd"], {"long_name": "sd over agents of the proxy"}),
        "addiction_gold_sd": ("trial", add["gold_sd"], {"long_name": "sd over agents of the gold"}),
        "rlhf_kl": ("iteration", rl["kl"]), "rlhf_proxy": ("iteration", rl["proxy"]),
        "rlhf_gold": ("iteration", rl["gold"]), "rlhf_n_yes": ("iteration", rl["n_yes"]),
    }, coords={"trial": np.arange(1, N_TRIALS + 1), "iteration": np.arange(N_ITER)},
        attrs={"D": D, "n_agents_addiction": n_agents,
               "proxy_weight_yes": rl["w_yes"], "reward_model_accuracy": rl["rm_accuracy"],
               "base_share_more_than_2_yes": rl["base_share_over2"],
               **{f"{k}_{m}": v for k, r in reports.items() for m, v in r.items() if not isinstance(v, dict)},
               **{f"{k}_{f}_{m}": v for k, r in reports.items() for f in ("fit_bon", "fit_rl")
                  for m, v in r[f].items()}})
    out.attrs = {k: (int(v) if isinstance(v, bool) else v) for k, v in out.attrs.items()}
    return ExperimentResult(NAME, out, checks, lambda: figure(out),
                            params={"D": D, "alpha": 0.1, "beta": 5.0, "ppo_iterations": N_ITER, "kl_coef": 0.02})


def figure(ds: xr.Dataset):
    from scipy.stats import t as student_t

    from .. import plot
    from ..plot import plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.4), constrained_layout=True)
    n = ds.attrs["n_agents_addiction"]
    for ax, pre, title in ((a, "addiction", "Drug-taking agent (Redish 2004)"),
                           (b, "rlhf", "PPO against a learned reward model")):
        d = np.sqrt(ds[f"{pre}_kl"].values)
        for what, colour, label in (("proxy", plot.VERMILLION, "proxy: the learned value / reward model"),
                                    ("gold", plot.GREEN, "gold: the real outcome")):
            y = ds[f"{pre}_{what}"].values
            ax.plot(d, y, color=colour, lw=1.6, label=label)
            if f"{pre}_{what}_sd" in ds and n > 1:
                half = student_t.ppf(0.975, n - 1) * ds[f"{pre}_{what}_sd"].values / np.sqrt(n)
                ax.fill_between(d, y - half, y + half, color=colour, alpha=0.22, lw=0)
        i = int(np.nanargmax(ds[f"{pre}_gold"].values))
        ax.axvline(d[i], color=plot.GREY, ls=":", lw=1, label="gold peak")
        ax.set_xlabel("distance from the starting policy, √KL (nats^½)")
        ax.set_title(title)
        ax.legend(loc="upper left")
    a.set_ylabel("expected value per trial (reward units)")
    b.set_ylabel("mean reward per response (reward units)")
    fig.suptitle("One signature: the proxy keeps rising while the real outcome peaks and falls")
    plot.note(fig, f"Left: mean over {n} agents, bands 95 % confidence interval of the mean. Right: one PPO run, "
                   "means over its rollouts.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "iteration": ("PPO iteration", "1"),
    "addiction_kl": ("KL divergence of the drug-taking agent's policy from its starting policy, in nats", "1"),
    "addiction_proxy": ("proxy: the agent's own estimate of what its policy earns, sum_a pi(a) Q(a)", "1", RN),
    "addiction_gold": ("gold: the real expected reward of the policy, sum_a pi(a) p_reward(a)", "1", RN),
    "addiction_p_drug": ("P(choose the drug), mean over agents", "1"),
    "addiction_proxy_sd": ("sd over agents of the proxy", "1", RN),
    "addiction_gold_sd": ("sd over agents of the gold", "1", RN),
    "rlhf_kl": ("KL divergence of the PPO policy from its starting policy, in nats", "1"),
    "rlhf_proxy": ("proxy: mean reward-model score of the PPO policy's responses", "1", RN),
    "rlhf_gold": ("gold: mean gold reward of the PPO policy's responses", "1", RN),
    "rlhf_n_yes": ("mean number of 'yes' in a response", "1"),
}
