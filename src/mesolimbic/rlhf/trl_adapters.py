"""Adapters for TRL users: the same analysis on runs made with TRL's trainers.

* :func:`train_reward_model_trl` trains a reward model with TRL's
  ``RewardTrainer`` on the same preference data as
  :func:`mesolimbic.rlhf.reward_model.train_reward_model` (validated by
  :func:`~mesolimbic.rlhf.preference_pairs`) and returns its log as a Dataset.
* :class:`RewardRecorder` is a ``TrainerCallback`` for ``GRPOTrainer`` and
  ``RLOOTrainer``: give the trainer its two reward functions (the proxy that
  trains, and the gold one with weight 0, which only measures) and it records
  per generation batch the proxy and gold reward of every completion and its
  group-relative advantage (GRPO: reward minus its group's mean over the group's
  standard deviation, Shao et al. 2024; RLOO: reward minus the mean of the other
  completions of its prompt, Ahmadian et al. 2024), and per logging step the KL
  and mean rewards that the trainer logs. The recorded advantage is that of the
  proxy reward alone: GRPO's equals it (its KL acts in the loss, not the
  reward); TRL's RLOO also subtracts beta x the sequence KL from the reward
  before the leave-one-out baseline, so the two agree only with ``beta=0``. ``recorder.dataset()`` is an xarray
  Dataset; :func:`mesolimbic.rlhf.overoptimisation_report` reads it directly
  through ``recorder.monitor()``.

TRL 1.13 removed ``PPOTrainer`` and the value-head model, so there is no
token-level critic in TRL runs: group-relative methods have advantages but no
value and so no TD error. Token-level RPEs come from this package's own PPO
(:mod:`mesolimbic.rlhf.ppo`). TRL configs default to bf16; the helpers here pass
``bf16=False`` and ``use_cpu=True`` unless told otherwise (override with
``use_cpu=False`` on a GPU).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ._extras import require
from .overoptimisation import overoptimisation_report
from .preferences import preference_pairs

torch, transformers, trl, datasets = require("torch", "transformers", "trl", "datasets",
                                             feature="mesolimbic.rlhf.trl_adapters")

__all__ = ["train_reward_model_trl", "RewardRecorder", "log_history_dataset", "cpu_defaults"]


def cpu_defaults(**config) -> dict:
    """TRL config arguments for a quiet CPU run (no bf16, no reporting, no checkpoints), updated by ``config``."""
    base = {"bf16": False, "use_cpu": True, "report_to": [], "save_strategy": "no", "logging_steps": 1,
            "disable_tqdm": True}
    base.update(config)
    return base


def log_history_dataset(history) -> xr.Dataset:
    """A trainer's ``state.log_history`` (list of dicts) as a Dataset over ``entry``; numeric keys only."""
    keys = sorted({k for h in history for k, v in h.items() if isinstance(v, (int, float))})
    data = {k.replace("/", "_"): ("entry", np.array([float(h.get(k, np.nan)) for h in history])) for k in keys}
    return xr.Dataset(data, coords={"entry": np.arange(len(history))})


def train_reward_model_trl(model, tokenizer, pairs, *, output_dir, epochs: int = 1, batch_size: int = 8,
                           learning_rate: float = 1e-3, **config):
    """Train a reward model with TRL's ``RewardTrainer``; returns ``(trainer, log Dataset)``."""
    df = preference_pairs(pairs)
    args = trl.RewardConfig(**cpu_defaults(output_dir=str(output_dir), num_train_epochs=epochs,
                                           per_device_train_batch_size=batch_size, learning_rate=learning_rate,
                                           **config))
    trainer = trl.RewardTrainer(model=model, args=args, train_dataset=datasets.Dataset.from_pandas(df),
                                processing_class=tokenizer)
    trainer.train()
    return trainer, log_history_dataset(trainer.state.log_history)


def _texts(completions):
    out = []
    for c in completions:  # plain strings, or conversational [{"role": ..., "content": ...}]
        out.append(c if isinstance(c, str) else " ".join(m.get("content", "") for m in c))
    return out


class RewardRecorder(transformers.TrainerCallback):  # type: ignore[name-defined]  # imported at run time (require)
    """Records proxy and gold rewards, advantages and KL of a GRPO or RLOO run.

    ``proxy`` and ``gold`` are functions of the completion texts returning one
    number each. Pass ``recorder.reward_funcs`` as the trainer's ``reward_funcs``,
    ``reward_weights=[1.0, 0.0]`` in its config (so only the proxy trains), and the
    recorder in ``callbacks``. ``num_generations`` must equal the config's;
    ``method`` is ``"grpo"`` or ``"rloo"`` (the advantage recorded)."""

    def __init__(self, proxy, gold, num_generations: int, method: str = "grpo"):
        if method not in ("grpo", "rloo"):
            raise ValueError(f"method must be 'grpo' or 'rloo', got {method!r}")
        if num_generations < 2:
            raise ValueError(f"num_generations must be >= 2 (advantages are relative to a group), got {num_generations}")
        self.num_generations, self.method = int(num_generations), method
        self.batches: list[dict] = []
        self.logs: list[dict] = []
        self._pending: dict = {}

        def _wrap(fn, name):
            def reward(prompts=None, completions=None, **kwargs):
                r = np.asarray(fn(_texts(completions)), float).reshape(-1)
                if r.shape[0] != len(completions):
                    raise ValueError(f"{name} returned {r.shape[0]} rewards for {len(completions)} completions")
                if not np.all(np.isfinite(r)):
                    raise ValueError(f"{name} returned NaN or infinite rewards")
                self._pending[name] = r
                if "proxy" in self._pending and "gold" in self._pending:
                    self._close_batch()
                return r.tolist()
            reward.__name__ = name
            return reward

        self.reward_funcs = [_wrap(proxy, "proxy"), _wrap(gold, "gold")]

    def _close_batch(self):
        p, g = self._pending.pop("proxy"), self._pending.pop("gold")
        k = self.num_generations
        if p.size % k:
            raise ValueError(f"a generation batch of {p.size} completions is not a multiple of num_generations={k}")
        grp = p.reshape(-1, k)
        if self.method == "grpo":
            adv = (grp - grp.mean(1, keepdims=True)) / (grp.std(1, ddof=1, keepdims=True) + 1e-4)
        else:
            adv = grp - (grp.sum(1, keepdims=True) - grp) / (k - 1)
        self.batches.append({"proxy": p, "gold": g, "advantage": adv.reshape(-1)})

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs:
            self.logs.append({"step": state.global_step, **{k: v for k, v in logs.items() if isinstance(v, (int, float))}})

    def dataset(self) -> xr.Dataset:
        """``proxy``, ``gold``, ``advantage`` over (generation, completion), NaN-padded; and over
        ``step`` the logged ``kl``, ``proxy_mean`` and ``gold_mean``."""
        if not self.batches:
            raise ValueError("nothing recorded yet: pass recorder.reward_funcs to the trainer and train first")
        n = max(b["proxy"].size for b in self.batches)
        data: dict[str, Any] = {}
        for key in ("proxy", "gold", "advantage"):
            arr = np.full((len(self.batches), n), np.nan)
            for i, b in enumerate(self.batches):
                arr[i, :b[key].size] = b[key]
            data[key] = (("generation", "completion"), arr)
        rows = [h for h in self.logs if "rewards/proxy/mean" in h]
        for key, src in (("kl", "kl"), ("proxy_mean", "rewards/proxy/mean"), ("gold_mean", "rewards/gold/mean")):
            data[key] = ("step", np.array([float(h.get(src, np.nan)) for h in rows]))
        ds = xr.Dataset(data, coords={"generation": np.arange(len(self.batches)), "completion": np.arange(n),
                                      "step": np.array([h["step"] for h in rows], int)})
        ds.attrs.update(method=self.method, num_generations=self.num_generations)
        return ds

    def monitor(self) -> dict:
        """:func:`overoptimisation_report` on the logged KL, proxy and gold means (needs ``beta > 0`` so KL is logged)."""
        ds = self.dataset()
        if np.all(np.isnan(ds["kl"].values)):
            raise ValueError("the trainer logged no KL; set beta > 0 in its config")
        return overoptimisation_report(ds["kl"].values, ds["proxy_mean"].values, ds["gold_mean"].values)
