"""The RLHF bridge: reward models learned from preferences, PPO's token-level RPE, and reward hacking.

Three layers:

* core, no torch (always available): Bradley–Terry preference likelihood and
  fit, preference-data validation, token-level TD errors / GAE, KL estimators,
  where the token-level error sits, and the over-optimisation monitor with the
  Gao, Schulman & Hilton (2023) forms;
* ``pip install 'mesolimbic[rlhf]'`` (torch, transformers): :mod:`.ppo` (PPO for
  causal LMs with a value head, recording the RPE as a Dataset),
  :mod:`.reward_model` (reward-model training on chosen/rejected pairs) and
  :mod:`.tiny` (offline tiny models and the keyword task);
* ``pip install 'mesolimbic[trl]'``: :mod:`.trl_adapters` (TRL's RewardTrainer,
  and a GRPO/RLOO callback recording proxy and gold rewards, advantages and KL).

The torch names are importable from here but load lazily; without the extra they
raise an ImportError naming it.
"""

from .overoptimisation import best_of_n_kl, fit_gao, from_log_history, overoptimisation_report
from .preferences import bradley_terry_loglik, fit_bradley_terry, preference_pairs, sample_preferences
from .tokens import first_occurrence, kl_estimates, last_token, rpe_share, token_advantages

_LAZY = {"PPOConfig": "ppo", "ValueHeadPolicy": "ppo", "train_ppo": "ppo", "train_reward_model": "reward_model",
         "score_texts": "reward_model", "word_tokenizer": "tiny", "tiny_causal_lm": "tiny",
         "tiny_reward_model": "tiny", "KeywordTask": "tiny", "RewardRecorder": "trl_adapters",
         "train_reward_model_trl": "trl_adapters"}

__all__ = ["bradley_terry_loglik", "fit_bradley_terry", "sample_preferences", "preference_pairs",
           "token_advantages", "kl_estimates", "last_token", "first_occurrence", "rpe_share",
           "fit_gao", "from_log_history", "overoptimisation_report", "best_of_n_kl", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
