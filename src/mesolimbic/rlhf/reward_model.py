"""Training a reward model on human preferences, for any ``transformers`` sequence classifier.

The reward model r(x) is the scalar output of a sequence-classification model
(``num_labels=1``), trained on pairs (chosen, rejected) to maximise the
Bradley–Terry log-likelihood

    log sigma(r(chosen) - r(rejected))

(Christiano et al. 2017; Stiennon et al. 2020; Ouyang et al. 2022), the same
likelihood as :func:`mesolimbic.rlhf.bradley_terry_loglik`. The result is a
learned proxy of the human's judgement — the quantity a policy is then
optimised against, and the one that can be over-optimised.

References: Christiano, P. et al. (2017). Deep reinforcement learning from human
preferences. NeurIPS 30. Stiennon, N. et al. (2020). Learning to summarize from
human feedback. NeurIPS 33. Ouyang, L. et al. (2022). NeurIPS 35.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._seed import torch_seed
from ._extras import require
from .ppo import check_tokenizer
from .preferences import preference_pairs

torch, transformers = require("torch", "transformers", feature="mesolimbic.rlhf.reward_model")

__all__ = ["train_reward_model", "score_texts"]


def _rewards(model, tokenizer, texts, max_length):
    enc = tokenizer(list(texts), padding=True, truncation=max_length is not None, max_length=max_length,
                    return_tensors="pt").to(next(model.parameters()).device)
    out = model(**enc)
    logits = out.logits
    if logits.ndim != 2 or logits.shape[1] != 1:
        raise ValueError(f"a reward model must output one number per text (num_labels=1); got logits of shape "
                         f"{tuple(logits.shape)}")
    return logits[:, 0].float()


def score_texts(model, tokenizer, texts, *, batch_size: int = 64, max_length: int | None = None) -> np.ndarray:
    """The reward model's score of each text (no gradient)."""
    check_tokenizer(tokenizer, need=("pad",))
    texts = list(texts)
    model.eval()
    with torch.no_grad():
        return np.concatenate([_rewards(model, tokenizer, texts[i:i + batch_size], max_length).cpu().numpy()
                               for i in range(0, len(texts), batch_size)]) if texts else np.zeros(0)


def train_reward_model(model, tokenizer, pairs, *, epochs: int = 3, batch_size: int = 16,
                       learning_rate: float = 1e-3, seed: int = 0, max_length: int | None = None) -> xr.Dataset:
    """Train ``model`` in place on preference ``pairs`` (see
    :func:`~mesolimbic.rlhf.preference_pairs` for the accepted forms) and return the
    training curve as a Dataset over ``step``: ``loss`` (mean negative Bradley–Terry
    log-likelihood), ``accuracy`` (share of pairs with r(chosen) > r(rejected)) and
    ``margin`` (mean r(chosen) - r(rejected)) per minibatch."""
    check_tokenizer(tokenizer, need=("pad",))
    df = preference_pairs(pairs)
    for name, v in (("epochs", epochs), ("batch_size", batch_size)):
        if int(v) < 1:
            raise ValueError(f"{name} must be >= 1, got {v}")
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    torch.manual_seed(torch_seed(seed))
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    chosen, rejected = df["chosen"].tolist(), df["rejected"].tolist()
    hist: dict[str, list[float]] = {"loss": [], "accuracy": [], "margin": [], "epoch": []}
    model.train()
    for ep in range(epochs):
        order = rng.permutation(len(df))
        for s in range(0, len(df), batch_size):
            idx = order[s:s + batch_size]
            r = _rewards(model, tokenizer, [chosen[i] for i in idx] + [rejected[i] for i in idx], max_length)
            margin = r[:len(idx)] - r[len(idx):]
            loss = -torch.nn.functional.logsigmoid(margin).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            hist["loss"].append(float(loss.detach()))
            hist["accuracy"].append(float((margin > 0).float().mean()))
            hist["margin"].append(float(margin.detach().mean()))
            hist["epoch"].append(ep)
    model.eval()
    ds = xr.Dataset({k: ("step", np.asarray(v)) for k, v in hist.items()},
                    coords={"step": np.arange(len(hist["loss"]))})
    ds.attrs.update(n_pairs=len(df), epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                    model=type(model).__name__)
    return ds
