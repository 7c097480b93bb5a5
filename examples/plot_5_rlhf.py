"""
The RLHF bridge
===============

Reinforcement learning from human feedback trains a reward model on people's
preferences and then a language model against it, with a critic whose TD error is
the same quantity as the dopamine RPE. :mod:`mesolimbic.rlhf` has a core layer of
pure functions (no torch) and, with ``pip install "mesolimbic[rlhf]"``, a PPO loop on
tiny offline language models that records the critic's error at every token.
"""

# %%
# A reward model from preferences
# -------------------------------
# People compare two responses and say which is better; the Bradley–Terry model says
# ``P(i preferred to j) = sigmoid(r_i - r_j)``. Fitting it recovers the true rewards
# up to a constant.
import matplotlib.pyplot as plt
import numpy as np

from mesolimbic.rlhf import (
    best_of_n_kl,
    fit_bradley_terry,
    overoptimisation_report,
    rpe_share,
    sample_preferences,
    token_advantages,
)

rng = np.random.default_rng(0)
true_reward = rng.normal(size=30)
chosen, rejected = sample_preferences(true_reward, 2000, seed=1)
fit = fit_bradley_terry(chosen, rejected)
print(
    f"accuracy on the comparisons: {fit['accuracy']:.2f}; "
    f"r(true, fitted) = {np.corrcoef(true_reward, fit['reward'])[0, 1]:.3f}"
)

fig, ax = plt.subplots(figsize=(4, 4))
ax.plot(true_reward - true_reward.mean(), fit["reward"], "o")
ax.plot([-2.5, 2.5], [-2.5, 2.5], color="0.6", ls="--")
ax.set(xlabel="true reward (centred)", ylabel="fitted reward", title="Bradley–Terry recovery")
fig.tight_layout()

# %%
# The token-level prediction error
# --------------------------------
# In PPO for language models the score of a response arrives at its last token. With
# the critic's value of every prefix, :func:`~mesolimbic.rlhf.token_advantages` gives
# the TD error of every token, ``delta_t = r_t + gamma V_{t+1} - V_t`` — the same
# function as :func:`mesolimbic.rpe.gae`. A naive critic (V = 0) puts all the error at
# the score token; a critic that has learned that a token predicts the score moves it
# there, as in Schultz et al. (1997).
T = 8
mask = np.ones((2, T))
rewards = np.zeros((2, T))
rewards[:, -1] = 1.0  # score at the last token
naive = np.zeros((2, T))
learned = np.zeros((2, T))
learned[:, 3:] = 1.0  # from token 3 on, the score is predicted
for label, v in [("naive critic", naive), ("learned critic", learned)]:
    out = token_advantages(rewards, v, mask, gamma=1.0, lam=0.95)
    print(f"{label:15s} delta = {np.round(np.asarray(out['delta'][0]), 2)}")
last = np.zeros((2, T), bool)
last[:, -1] = True
print(
    "share of |delta| at the score token, naive vs learned:",
    float(rpe_share(token_advantages(rewards, naive, mask)["delta"], last)),
    float(rpe_share(token_advantages(rewards, learned, mask)["delta"], last)),
)

# %%
# Over-optimisation
# -----------------
# Optimising a learned proxy too hard makes the true ("gold") reward rise and then
# fall (Gao, Schulman & Hilton 2023). Best-of-n sampling moves the policy by
# ``KL = log n - (n - 1) / n``; the monitor finds the gold peak and fits Gao's forms.
n = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
kl = best_of_n_kl(n)
d = np.sqrt(kl)
proxy = 1.2 * d
gold = d * (1.0 - 0.35 * d)
rep = overoptimisation_report(kl, proxy, gold)
print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in rep.items() if not k.startswith("fit")})
print("fitted Gao best-of-n form:", {k: round(v, 3) for k, v in rep["fit_bon"].items()})

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(d, proxy, "o-", label="proxy reward")
ax.plot(d, gold, "o-", label="gold reward")
ax.axvline(rep["d_at_peak"], color="0.6", ls="--")
ax.set(xlabel="d = sqrt(KL)", ylabel="reward", title="Best-of-n against a proxy")
ax.legend()
fig.tight_layout()

# %%
# PPO on a tiny language model (needs the ``rlhf`` extra)
# -------------------------------------------------------
# A 2-layer Llama-architecture policy built offline (no weights downloaded) writes 16
# words; the score is 1 if the word ``yes`` appears. With the policy held fixed and a
# separate critic learning — the Pavlovian case — the TD error moves from the score
# token to the first ``yes``, the token that predicts the score. A few iterations here;
# the :doc:`registered experiment </findings/rlhf_rpe_transfer>` runs 30. Without torch
# this section says so and stops.
from mesolimbic.rlhf._extras import available  # noqa: E402

if not available("torch", "transformers", "tokenizers"):
    print('skipped: install the rlhf extra (pip install "mesolimbic[rlhf]") to run PPO')
else:
    from mesolimbic.rlhf.ppo import PPOConfig, ValueHeadPolicy, train_ppo
    from mesolimbic.rlhf.tiny import KeywordTask, one_thread, special_ids, tiny_causal_lm, word_tokenizer
    from mesolimbic.rlhf.tokens import first_occurrence, last_token

    tok, task = word_tokenizer(), KeywordTask()
    with one_thread():
        policy = ValueHeadPolicy(tiny_causal_lm(tok, seed=0), critic="separate")
        cfg = PPOConfig(
            n_rollouts=32,
            ppo_epochs=2,
            minibatch_size=16,
            stop_at_eos=False,
            train_policy=False,
            learning_rate=3e-3,
            seed=0,
        )
        ds = train_ppo(
            policy,
            tok,
            lambda texts: (task.count(texts) > 0).astype(float),
            ["<bos>"],
            n_iterations=8,
            config=cfg,
            gold=task.gold,
            suppress_tokens=special_ids(tok),
        )
    print(dict(ds.rpe.sizes))
    m = ds.mask.values
    keyword = first_occurrence(ds.token_id.values, tok.convert_tokens_to_ids("yes"), m)
    share_last = rpe_share(ds.rpe.values, last_token(m), m)
    share_kw = rpe_share(ds.rpe.values, keyword, m)
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(share_last, "o-", label="at the score token")
    ax.plot(share_kw, "o-", label="at the first 'yes'")
    ax.set(xlabel="PPO iteration", ylabel="share of |TD error|", title="The error moves to the cue")
    ax.legend()
    fig.tight_layout()
