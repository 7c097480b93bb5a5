"""The Schultz result inside a language model: PPO's token-level prediction error moves from the token where the reward arrives to the reward-predictive token.

Design: a tiny Llama-architecture policy (2 layers, width 32, built offline by
:mod:`mesolimbic.rlhf.tiny`) writes 16 words from a 16-word vocabulary (special tokens suppressed) after a
``<bos>`` prompt. The score (1 if the word ``yes`` occurs, else 0) arrives only
at the last token; the word ``yes`` is the reward-predictive "cue": once it is
written, the score is determined. PPO (:func:`mesolimbic.rlhf.ppo.train_ppo`;
64 rollouts, 4 epochs, gamma 1, lambda 0.95, KL coefficient 0.05) for 30
iterations, in two conditions: *critic only* — the policy is held fixed and only
a separate value network learns (the Pavlovian case: as in Schultz's monkeys,
the cue arrives unpredictably, here in about half of the responses); and *full
PPO* — policy and a shared-backbone value head learn together (the instrumental
case). The value head starts at zero. Measured per iteration: the share of the
summed |TD error| at the last token, the share at the first ``yes``, and the
mean TD error at those two tokens.

Signatures (Schultz, Dayan & Montague 1997, carried over): at the first
iteration every prediction error sits at the score token; as the value head
learns, the error at the reward of rewarded responses shrinks towards zero and
a positive error appears at the first ``yes`` — the earliest token that
predicts the reward — with size close to 1 - V(before it), the surprise of the
cue. With full PPO the policy also learns to write ``yes`` almost always, so
the reward becomes predictable from the start: the value of the first state
approaches 1 and the error at ``yes`` fades too — the error moves to the
earliest predictor, which here is the prompt itself.

References: Schultz, W., Dayan, P. & Montague, P. R. (1997). A neural substrate of
prediction and reward. Science 275:1593-1599. Ziegler, D. M. et al. (2019).
arXiv:1909.08593. Schulman, J. et al. (2017). arXiv:1707.06347.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "rlhf_rpe_transfer"
CITATION = ("Schultz, Dayan & Montague (1997), Science 275:1593, carried over to PPO for language models "
            "(Ziegler et al. 2019, arXiv:1909.08593)")
N_ITER = 30
CONDITIONS = {"critic only (policy fixed)": ("separate", False, 3e-3), "full PPO": ("shared", True, 1e-3)}


def _one_run(critic: str, train_policy: bool, lr: float, seed: int):
    from ..rlhf.ppo import PPOConfig, ValueHeadPolicy, train_ppo
    from ..rlhf.tiny import KeywordTask, one_thread, special_ids, tiny_causal_lm, word_tokenizer

    tok, task = word_tokenizer(), KeywordTask()
    with one_thread():
        policy = ValueHeadPolicy(tiny_causal_lm(tok, seed=seed), critic=critic)
        cfg = PPOConfig(stop_at_eos=False, train_policy=train_policy, learning_rate=lr, seed=seed)
        ds = train_ppo(policy, tok, lambda texts: (task.count(texts) > 0).astype(float), ["<bos>"],
                       n_iterations=N_ITER, config=cfg, gold=task.gold, suppress_tokens=special_ids(tok))
    return ds, tok.convert_tokens_to_ids(task.keyword)


def _metrics(ds: xr.Dataset, keyword_id: int) -> dict:
    from ..rlhf.tokens import first_occurrence, last_token, rpe_share

    d, m, tok = ds.rpe.values, ds.mask.values, ds.token_id.values
    last, first = last_token(m), first_occurrence(tok, keyword_id, m)
    rewarded = (ds.score.values > 0)[..., None] & last

    def cond_mean(where):
        s, n = (d * where).sum((1, 2)), where.sum((1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, s / n, np.nan)

    return {"share_last": rpe_share(d, last, m), "share_keyword": rpe_share(d, first, m),
            "rpe_reward": cond_mean(rewarded), "rpe_keyword": cond_mean(first),
            "value_start": ds.value.values[:, :, 0].mean(1), "score": ds.score_mean.values,
            "kl": ds.kl_mean.values, "seconds": ds.seconds.values}


@register(NAME, "PPO's token-level RPE moves from the reward token to the reward-predictive token", CITATION,
          default_agents=1, requires=("torch", "transformers", "tokenizers"), extra="rlhf", topic="RLHF")
def run(n_agents: int = 1, seed: int = 0) -> ExperimentResult:
    """``n_agents`` independent PPO runs (seeds) per condition, averaged."""
    per_cond, example = {}, {}
    for label, (critic, train_policy, lr) in CONDITIONS.items():
        runs = []
        for k in range(n_agents):
            ds, kw = _one_run(critic, train_policy, lr, seed + k)
            runs.append(_metrics(ds, kw))
            if k == 0:
                example[label] = ds
        per_cond[label] = {key: np.nanmean([r[key] for r in runs], 0) for key in runs[0]}
    labels = list(CONDITIONS)
    it = np.arange(N_ITER)
    data = {key: (("condition", "iteration"), np.stack([per_cond[c][key] for c in labels]))
            for key in per_cond[labels[0]]}
    ex = xr.concat([example[c][["rpe", "value", "token_id", "mask", "score"]] for c in labels],
                   dim=xr.DataArray(labels, dims="condition", name="condition"))
    out = xr.Dataset(data, coords={"condition": labels, "iteration": it}).merge(ex.rename(
        {"rpe": "example_rpe", "value": "example_value", "token_id": "example_token_id", "mask": "example_mask",
         "score": "example_score"}))
    out.attrs.update(experiment=NAME, seed=seed, n_agents=n_agents, iterations=N_ITER, keyword="yes")
    for var, desc in (("share_last", "share of sum |TD error| at the last token (score arrives)"),
                    ("share_keyword", "share of sum |TD error| at the first 'yes'"),
                    ("rpe_reward", "mean TD error at the last token of rewarded responses"),
                    ("rpe_keyword", "mean TD error at the first 'yes'"),
                    ("value_start", "mean value of the first state (before any token)")):
        out[var].attrs["description"] = desc

    crit, full = (per_cond[c] for c in labels)
    late = slice(-5, None)
    mc, mf = "PPO critic, policy fixed", "PPO, policy and critic"
    checks = [
        Check("error_at_reward_first", "share of |RPE| at the score token, iteration 0 (critic only)",
              float(crit["share_last"][0]), ">=", 0.9, model=mc, kind="property"),
        Check("error_leaves_reward_token", "share of |RPE| at the score token, last 5 iterations (critic only)",
              float(np.mean(crit["share_last"][late])), "<", 0.3, model=mc, kind="direction"),
        Check("predicted_reward_no_error", "TD error at the reward of rewarded responses, last 5 iterations",
              float(np.mean(crit["rpe_reward"][late])), "<", 0.15, model=mc, kind="direction"),
        Check("error_at_keyword", "TD error at the first 'yes' (reward-predictive token), last 5 iterations",
              float(np.mean(crit["rpe_keyword"][late])), ">", 0.3, model=mc, kind="direction"),
        Check("keyword_share_grows", "share of |RPE| at the first 'yes': last 5 iterations minus iteration 0",
              float(np.mean(crit["share_keyword"][late]) - crit["share_keyword"][0]), ">", 0.15, model=mc, kind="direction"),
        Check("ppo_error_leaves_reward_token", "share of |RPE| at the score token, last 5 iterations (full PPO)",
              float(np.mean(full["share_last"][late])), "<", 0.3, model=mf, kind="direction"),
        Check("ppo_reward_predicted_from_start", "value of the first state, last 5 iterations (full PPO)",
              float(np.mean(full["value_start"][late])), ">", 0.7, model=mf, kind="direction"),
    ]
    return ExperimentResult(NAME, out, checks, lambda: figure(out),
                            params={"iterations": N_ITER, "rollouts": 64, "tokens": 16, "kl_coef": 0.05,
                                    "lambda": 0.95, "lr_critic_only": 3e-3, "lr_full": 1e-3})


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.3), constrained_layout=True)
    a, b, c = axes
    crit = ds.sel(condition=ds.condition.values[0])
    a.plot(ds.iteration, crit.rpe_reward, color=plot.VERMILLION, lw=1.6, label="at the reward (last token, rewarded)")
    a.plot(ds.iteration, crit.rpe_keyword, color=plot.BLUE, lw=1.6, label="at the first 'yes' (predictive token)")
    a.axhline(0, color=plot.GREY, lw=0.6)
    a.set_xlabel("PPO iteration")
    a.set_ylabel("mean TD error (reward units)")
    a.set_title("Critic only: the error moves to the cue")
    a.legend(loc="upper right")
    for cond, ls in zip(ds.condition.values, ("-", "--")):
        sub = ds.sel(condition=cond)
        b.plot(ds.iteration, sub.share_last, color=plot.VERMILLION, ls=ls, lw=1.4, label=f"score token, {cond}")
        b.plot(ds.iteration, sub.share_keyword, color=plot.BLUE, ls=ls, lw=1.4, label=f"first 'yes', {cond}")
    b.set_ylim(-0.02, 1.02)
    b.set_xlabel("PPO iteration")
    b.set_ylabel("share of summed |TD error|")
    b.set_title("Where the token-level RPE sits")
    b.legend(loc="upper right", fontsize=7)
    full = ds.sel(condition=ds.condition.values[-1])
    c.plot(ds.iteration, full.score, color=plot.BLACK, lw=1.4, label="mean score (P(yes))")
    c.plot(ds.iteration, full.value_start, color=plot.PURPLE, lw=1.4, label="value of the first state")
    c.plot(ds.iteration, full.rpe_keyword, color=plot.BLUE, lw=1.2, label="TD error at first 'yes'")
    c.set_xlabel("PPO iteration")
    c.set_ylabel("reward units")
    c.set_title("Full PPO: reward predicted from the prompt")
    c.legend(loc="center right")
    fig.suptitle("Token-level reward prediction errors in PPO for a tiny language model")
    plot.note(fig, f"{ds.attrs['n_agents']} PPO run(s) per condition (averaged); each point: the mean over the "
                   "iteration's 64 rollouts.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "condition": ("PPO condition (critic only, or policy and critic)", None),
    "iteration": ("PPO iteration", "1"),
    "rollout": ("sampled response (rollout index)", "1"),
    "token": ("token position in the response", "1"),
    "share_last": ("share of sum |TD error| at the last token (score arrives)", "1"),
    "share_keyword": ("share of sum |TD error| at the first 'yes'", "1"),
    "rpe_reward": ("mean TD error at the last token of rewarded responses", "1", RN),
    "rpe_keyword": ("mean TD error at the first 'yes'", "1", RN),
    "value_start": ("mean value of the first state (before any token)", "1", RN),
    "score": ("mean reward-model score of the responses", "1", RN),
    "kl": ("mean KL divergence of the policy from the reference policy, in nats", "1"),
    "seconds": ("wall-clock time of the PPO iteration", "s"),
    "example_rpe": ("token-level TD error of the PPO critic, first run", "1", RN),
    "example_value": ("critic value before the token, first run", "1", RN),
    "example_token_id": ("token id in the tokenizer's vocabulary, first run", "1"),
    "example_mask": ("the token is part of the response (1) or padding (0), first run", "1"),
    "example_score": ("reward-model score of the response, first run", "1", RN),
}
