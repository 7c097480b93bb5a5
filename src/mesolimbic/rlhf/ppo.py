"""PPO for causal language models in plain torch, recording the critic's token-level RPE.

The loop follows the RLHF recipe of Ziegler et al. (2019) and Ouyang et al.
(2022): sample ``n_rollouts`` responses of up to ``max_new_tokens`` tokens from
the policy; the per-token reward is the KL penalty against a frozen reference,

    r_t = -kl_coef (log pi(a_t | s_t) - log pi_ref(a_t | s_t)),

with the reward model's score added on the last real token; a value head on the
policy's last hidden layer gives V(s_t), the value of the state *before* token
t; the TD error

    delta_t = r_t + gamma V(s_{t+1}) - V(s_t)        (V = 0 after the last token)

is the critic's reward prediction error, the quantity Schultz, Dayan & Montague
(1997) found in dopamine neurons; advantages are its GAE(lambda) sums
(Schulman et al. 2016), computed by :func:`mesolimbic.rlhf.token_advantages`
(the same code as every other RPE in this package). Each iteration then runs
``ppo_epochs`` epochs of minibatch updates of the clipped surrogate objective
(Schulman et al. 2017) plus a clipped value loss.

Every iteration is recorded, per rollout and token, into an xarray Dataset
(``rpe``, ``value``, ``advantage``, ``returns``, ``reward``, ``kl``,
``logprob``, ``token_id``, ``mask``), with the score (and an optional gold
reward) per rollout and the losses and mean KL per iteration — the same shape of
result as the package's other simulations.

The value head starts at zero, so at the first iteration every prediction error
sits at the token where the score arrives — the naive animal of Schultz et al.

Pointing it at a real policy: load any causal LM with ``transformers``
(``AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.bfloat16)``),
optionally wrap it with peft's LoRA (``get_peft_model``), move it to the GPU,
and pass it with its tokenizer, a reward model (any sequence-classification
model that shares the tokenizer, or a function of the response texts) and your
prompts. Pass ``ref_model`` to avoid the deep copy of the policy used as the
reference by default (with LoRA, the base model without the adapter).

References: Ziegler, D. M. et al. (2019). Fine-tuning language models from human
preferences. arXiv:1909.08593. Ouyang, L. et al. (2022). Training language
models to follow instructions with human feedback. NeurIPS 35. Schulman, J. et
al. (2017). Proximal policy optimization algorithms. arXiv:1707.06347. Schulman,
J. et al. (2016). High-dimensional continuous control using generalized
advantage estimation. ICLR.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .._seed import torch_seed
from ._extras import require
from .tokens import token_advantages

torch, transformers = require("torch", "transformers", feature="mesolimbic.rlhf.ppo")
nn = torch.nn

__all__ = ["PPOConfig", "ValueHeadPolicy", "train_ppo", "check_tokenizer", "clipped_policy_loss", "clipped_value_loss"]


@dataclass(frozen=True)
class PPOConfig:
    """Settings of :func:`train_ppo` (defaults: the tiny-model setting of the issue)."""

    n_rollouts: int = 64
    max_new_tokens: int = 16
    ppo_epochs: int = 4
    minibatch_size: int = 16
    learning_rate: float = 3e-3
    kl_coef: float = 0.05
    gamma: float = 1.0
    lam: float = 0.95
    clip_range: float = 0.2
    clip_range_value: float = 0.2
    vf_coef: float = 0.5
    max_grad_norm: float = 1.0
    temperature: float = 1.0
    stop_at_eos: bool = True
    train_policy: bool = True
    whiten_advantages: bool = True
    seed: int = 0

    def __post_init__(self):
        from .._validate import check_count, check_range

        try:
            for name in ("n_rollouts", "max_new_tokens", "ppo_epochs", "minibatch_size"):
                check_count(name, getattr(self, name), 1)
            check_range("minibatch_size", self.minibatch_size, 1, self.n_rollouts)
            for name in ("gamma", "lam"):
                check_range(name, getattr(self, name), 0.0, 1.0)
            for name in ("learning_rate", "temperature"):
                check_range(name, getattr(self, name), 0.0, low_open=True, high_open=True)
            for name in ("clip_range", "kl_coef", "vf_coef", "clip_range_value", "max_grad_norm"):
                check_range(name, getattr(self, name), 0.0, high_open=True)
        except ValueError as e:
            raise ValueError(f"PPOConfig.{e}") from None


class ValueHeadPolicy(nn.Module):  # type: ignore[name-defined]  # torch is imported at run time (require)
    """A causal LM with a scalar value head on a last hidden layer.

    ``critic="shared"`` (default) puts the head on the policy's own backbone, as in
    most LM PPO code; ``"separate"`` gives the critic its own copy of the backbone
    (actor and critic as separate networks, e.g. Ouyang et al. 2022 initialise the
    value function separately), which lets the critic learn while the policy stays
    fixed (``PPOConfig(train_policy=False)``). ``forward(input_ids, attention_mask)``
    returns ``(logits, values)``, both per position; position ids follow the
    attention mask so left padding is harmless. The head is a linear layer
    initialised at zero, so every value starts at 0."""

    def __init__(self, lm, critic: str = "shared"):
        super().__init__()
        if critic not in ("shared", "separate"):
            raise ValueError(f"critic must be 'shared' or 'separate', got {critic!r}")
        self.lm = lm
        self.critic = copy.deepcopy(lm) if critic == "separate" else None
        cfg = lm.config.get_text_config() if hasattr(lm.config, "get_text_config") else lm.config
        self.value_head = nn.Linear(cfg.hidden_size, 1)
        nn.init.zeros_(self.value_head.weight)
        nn.init.zeros_(self.value_head.bias)

    def value_parameters(self):
        """The parameters that only the value loss trains (the head, and the critic's backbone if separate)."""
        return list(self.value_head.parameters()) + (list(self.critic.parameters()) if self.critic is not None else [])

    def forward(self, input_ids, attention_mask):
        pos = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        kw = dict(input_ids=input_ids, attention_mask=attention_mask, position_ids=pos)
        out = self.lm(**kw, output_hidden_states=self.critic is None)
        h = (out if self.critic is None else self.critic(**kw, output_hidden_states=True)).hidden_states[-1]
        return out.logits, self.value_head(h.to(self.value_head.weight.dtype)).squeeze(-1)


def check_tokenizer(tokenizer, need: tuple[str, ...] = ("pad", "eos")) -> None:
    """A policy's tokenizer needs pad and eos tokens (padding, and the end of a response);
    a reward model's needs a pad token (batches of texts of different lengths)."""
    missing = [f"{n}_token_id" for n in need if getattr(tokenizer, f"{n}_token_id", None) is None]
    if missing:
        raise ValueError(f"the tokenizer has no {' and no '.join(m[:-9] + ' token' for m in missing)}; set them "
                         f"(e.g. tokenizer.pad_token = tokenizer.eos_token) before training")


def _masked_mean(x, m):
    return (x * m).sum() / m.sum().clamp(min=1)


def _whiten(x, m):
    mean = _masked_mean(x, m)
    var = _masked_mean((x - mean) ** 2, m)
    return (x - mean) * torch.rsqrt(var + 1e-8) * m


def clipped_policy_loss(new_logp, old_logp, advantages, mask, clip_range: float):
    """PPO's clipped surrogate objective as a loss (Schulman et al. 2017, eq. 7), averaged over the
    real tokens (``mask``): ``mean_t max(-A_t rho_t, -A_t clip(rho_t, 1 - eps, 1 + eps))`` with
    ``rho_t = exp(new_logp - old_logp)``. Returns the loss and the share of tokens whose ratio
    lies outside ``[1 - eps, 1 + eps]`` (the clip fraction).

    Reference: Schulman, J., Wolski, F., Dhariwal, P., Radford, A. & Klimov, O. (2017).
    Proximal policy optimization algorithms. arXiv:1707.06347."""
    ratio = torch.exp(new_logp - old_logp)
    loss = _masked_mean(torch.maximum(-advantages * ratio, -advantages * ratio.clamp(1 - clip_range, 1 + clip_range)),
                        mask)
    return loss, _masked_mean(((ratio - 1).abs() > clip_range).float(), mask).detach()


def clipped_value_loss(values, old_values, returns, mask, clip_range_value: float):
    """The value loss with the value clipped around its old estimate, as in PPO implementations:
    ``0.5 mean_t max((V_t - R_t)^2, (V_old,t + clip(V_t - V_old,t, -c, c) - R_t)^2)`` over real tokens."""
    vc = old_values + (values - old_values).clamp(-clip_range_value, clip_range_value)
    return 0.5 * _masked_mean(torch.maximum((values - returns) ** 2, (vc - returns) ** 2), mask)


def _response_mask(resp, eos_id, stop_at_eos):
    if not stop_at_eos:
        return torch.ones_like(resp, dtype=torch.float32)
    is_eos = (resp == eos_id).long()
    before = is_eos.cumsum(-1) - is_eos  # eos tokens strictly before t
    return (before == 0).float()


def _token_logprobs(logits, tokens, temperature, bias=None):
    """log pi(token) under the sampling distribution: temperature, and suppressed tokens removed (``bias``).
    A suppressed token (the padding after an eos) gets a large negative number, not -inf, so that
    multiplying by the mask gives 0 rather than NaN."""
    z = logits / temperature
    if bias is not None:
        z = z + bias
    lp = torch.log_softmax(z, -1).gather(-1, tokens[..., None]).squeeze(-1)
    return lp.clamp(min=-1e4)


def _score(reward, full, attn, texts, device):
    if isinstance(reward, nn.Module):
        with torch.no_grad():
            out = reward(input_ids=full, attention_mask=attn)
        logits = out.logits if hasattr(out, "logits") else out
        s = logits.reshape(len(texts), -1)[:, 0].float()
    else:
        s = torch.as_tensor(np.asarray(reward(texts), float), dtype=torch.float32, device=device).reshape(-1)
    if s.shape[0] != len(texts):
        raise ValueError(f"the reward returned {s.shape[0]} scores for {len(texts)} responses")
    if not torch.isfinite(s).all():
        raise ValueError(f"the reward returned non-finite scores (NaN or inf) for "
                         f"{int((~torch.isfinite(s)).sum())} of {len(texts)} responses")
    return s


def train_ppo(policy, tokenizer, reward, prompts: Sequence[str], *, n_iterations: int = 20,
              config: PPOConfig = PPOConfig(), gold: Callable | None = None, ref_model=None,
              suppress_tokens: Sequence[int] = (), record: bool = True,
              on_iteration: Callable[[int, dict], None] | None = None) -> xr.Dataset:
    """Train ``policy`` in place with PPO for ``n_iterations`` and return the recorded Dataset.

    ``policy``: a :class:`ValueHeadPolicy` or a causal LM (then wrapped in a new
    one with a shared critic; the LM is trained in place but the value head is not
    returned — pass a ValueHeadPolicy to keep it). ``reward``: a sequence-classification model sharing ``tokenizer`` (its
    score of prompt + response), or a function of the decoded response texts
    returning one score each. ``gold``: an optional function of the texts giving the
    true reward, recorded beside the proxy score (it does not train anything).
    ``suppress_tokens``: token ids never to generate (the pad token, and with
    ``stop_at_eos=False`` the eos token, are always suppressed). Suppression is
    applied both when sampling and to every log-probability, so the ratio, the KL
    and the recorded ``logprob`` are those of the distribution actually sampled.
    ``record=False`` keeps only the per-iteration summaries (for timing the cost of
    recording).
    """
    check_tokenizer(tokenizer)
    if n_iterations < 1:
        raise ValueError(f"n_iterations must be >= 1, got {n_iterations}")
    prompts = list(prompts)
    if not prompts:
        raise ValueError("prompts is empty")
    if not isinstance(policy, ValueHeadPolicy):
        policy = ValueHeadPolicy(policy)
    device = next(policy.parameters()).device
    cfg = config
    torch.manual_seed(torch_seed(cfg.seed))
    rng = np.random.default_rng(cfg.seed)
    ref = ref_model if ref_model is not None else copy.deepcopy(policy.lm)
    ref.eval().requires_grad_(False)
    if not cfg.train_policy and policy.critic is None:
        raise ValueError("PPOConfig(train_policy=False) needs a separate critic: ValueHeadPolicy(lm, critic='separate')")
    trained = policy.parameters() if cfg.train_policy else policy.value_parameters()
    opt = torch.optim.Adam([p for p in trained if p.requires_grad], lr=cfg.learning_rate)
    vocab = policy.lm.get_output_embeddings().weight.shape[0]
    suppress = set(int(t) for t in suppress_tokens)
    if tokenizer.pad_token_id != tokenizer.eos_token_id:
        suppress.add(tokenizer.pad_token_id)
    if not cfg.stop_at_eos:
        suppress.add(tokenizer.eos_token_id)
    bad = sorted(t for t in suppress if not 0 <= t < vocab)
    if bad:
        raise ValueError(f"suppress_tokens {bad} are outside the vocabulary [0, {vocab - 1}]")
    bias = torch.zeros(vocab, device=device)
    bias[sorted(suppress)] = -torch.inf
    gen_cfg = transformers.GenerationConfig(
        do_sample=True, top_k=0, top_p=1.0, temperature=cfg.temperature, max_new_tokens=cfg.max_new_tokens,
        suppress_tokens=sorted(suppress), pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id if cfg.stop_at_eos else None)
    old_side = getattr(tokenizer, "padding_side", "left")
    tokenizer.padding_side = "left"
    enc_all = [tokenizer(p)["input_ids"] for p in prompts]
    for i, ids in enumerate(enc_all):
        if len(ids) == 0:
            raise ValueError(f"prompt {i} ({prompts[i]!r}) has no tokens")
    B, T = cfg.n_rollouts, cfg.max_new_tokens
    per_token: dict[str, list] = {k: [] for k in ("token_id", "mask", "rpe", "value", "advantage", "returns", "reward", "kl",
                                 "logprob")}
    per_rollout: dict[str, list] = {k: [] for k in ("score", "gold", "prompt_index")}
    summary: dict[str, list] = {k: [] for k in ("score_mean", "gold_mean", "kl_mean", "policy_loss", "value_loss", "clip_fraction",
                               "seconds")}
    try:
        for it in range(n_iterations):
            t0 = time.perf_counter()
            idx = rng.integers(len(prompts), size=B)
            batch = tokenizer([prompts[i] for i in idx], padding=True, return_tensors="pt").to(device)
            P = batch["input_ids"].shape[1]
            policy.eval()
            with torch.no_grad():
                full = policy.lm.generate(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                          generation_config=gen_cfg)
                resp = full[:, P:]
                if resp.shape[1] < T:  # every response ended early
                    pad = torch.full((B, T - resp.shape[1]), tokenizer.pad_token_id, dtype=resp.dtype, device=device)
                    resp = torch.cat([resp, pad], 1)
                    full = torch.cat([full[:, :P], resp], 1)
                mask = _response_mask(resp, tokenizer.eos_token_id, cfg.stop_at_eos)
                attn = torch.cat([batch["attention_mask"].float(), mask], 1).long()
                logits, values = policy(full, attn)
                if values.shape != full.shape:
                    raise ValueError(f"the value head returned shape {tuple(values.shape)}, expected one value per "
                                     f"token {tuple(full.shape)} ([batch, prompt + response tokens])")
                logp = _token_logprobs(logits[:, P - 1:-1], resp, cfg.temperature, bias) * mask  # 0 on padding
                ref_out = ref(input_ids=full, attention_mask=attn,
                              position_ids=(attn.cumsum(-1) - 1).clamp(min=0))
                ref_logp = _token_logprobs(ref_out.logits[:, P - 1:-1], resp, cfg.temperature, bias) * mask
                v = values[:, P - 1:-1] * mask
                texts = tokenizer.batch_decode(resp * mask.long() + tokenizer.pad_token_id * (1 - mask.long()),
                                               skip_special_tokens=True)
                score = _score(reward, full, attn, texts, device)
                kl = (logp - ref_logp) * mask
                rew = -cfg.kl_coef * kl
                last = (mask.sum(1).long() - 1).clamp(min=0)
                rew[torch.arange(B), last] += score * (mask.sum(1) > 0)
                adv = token_advantages(rew.cpu().numpy(), v.cpu().numpy(), mask.cpu().numpy(),
                                       gamma=cfg.gamma, lam=cfg.lam)
                delta, advantage, returns = (torch.tensor(adv[k], device=device)
                                             for k in ("delta", "advantage", "returns"))
                a_train = _whiten(advantage, mask) if cfg.whiten_advantages else advantage
            pg_losses, v_losses, clipped = [], [], []
            policy.train()
            for _ in range(cfg.ppo_epochs):
                perm = torch.randperm(B, device=device)
                for s in range(0, B, cfg.minibatch_size):
                    mb = perm[s:s + cfg.minibatch_size]
                    m = mask[mb]
                    lg, val = policy(full[mb], attn[mb])
                    new_logp = _token_logprobs(lg[:, P - 1:-1], resp[mb], cfg.temperature, bias) * m
                    pg, clip_frac = clipped_policy_loss(new_logp, logp[mb], a_train[mb], m, cfg.clip_range)
                    vl = clipped_value_loss(val[:, P - 1:-1], v[mb], returns[mb], m, cfg.clip_range_value)
                    loss = (pg if cfg.train_policy else 0.0) + cfg.vf_coef * vl
                    opt.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
                    opt.step()
                    pg_losses.append(float(pg.detach()))
                    v_losses.append(float(vl.detach()))
                    clipped.append(float(clip_frac))
            g = np.asarray(gold(texts), float) if gold is not None else np.full(B, np.nan)
            if g.shape != (B,):
                raise ValueError(f"gold returned shape {g.shape} for {B} responses")
            sc = score.cpu().numpy()
            row = {"score_mean": float(sc.mean()), "gold_mean": float(np.mean(g)),
                   "kl_mean": float(kl.sum(1).mean()), "policy_loss": float(np.mean(pg_losses)),
                   "value_loss": float(np.mean(v_losses)), "clip_fraction": float(np.mean(clipped)),
                   "seconds": time.perf_counter() - t0}
            for k, x in row.items():
                summary[k].append(x)
            if record:
                for k, x in (("token_id", resp), ("mask", mask), ("rpe", delta), ("value", v),
                             ("advantage", advantage), ("returns", returns), ("reward", rew), ("kl", kl),
                             ("logprob", logp)):
                    per_token[k].append(x.detach().cpu().numpy())
                per_rollout["score"].append(sc)
                per_rollout["gold"].append(g)
                per_rollout["prompt_index"].append(idx)
            if on_iteration is not None:
                on_iteration(it, row)
    finally:
        tokenizer.padding_side = old_side
    coords = {"iteration": np.arange(n_iterations)}
    data: dict[str, Any] = {k: ("iteration", np.asarray(x)) for k, x in summary.items()}
    if record:
        coords.update(rollout=np.arange(B), token=np.arange(T))
        for k, xs in per_token.items():
            arr = np.stack(xs)
            data[k] = (("iteration", "rollout", "token"),
                       arr.astype(bool) if k == "mask" else arr.astype(np.int32) if k == "token_id" else arr)
        for k, xs in per_rollout.items():
            data[k] = (("iteration", "rollout"), np.stack(xs))
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update({f"ppo_{k}": (int(v) if isinstance(v, bool) else v) for k, v in asdict(cfg).items()})
    ds.attrs.update(model=type(policy.lm).__name__, reward=getattr(reward, "__name__", type(reward).__name__),
                    n_prompts=len(prompts))
    descriptions = {"rpe": "TD error delta_t = r_t + gamma V(s_t+1) - V(s_t) (the critic's RPE)",
                    "value": "value head V(s_t) before token t", "kl": "log pi - log pi_ref per token (k1)",
                    "reward": "per-token reward: -kl_coef * kl, plus the score on the last token",
                    "score": "reward model (proxy) score per response", "gold": "gold reward per response"}
    for k, d in descriptions.items():
        if k in ds:
            ds[k].attrs["description"] = d
    return ds
