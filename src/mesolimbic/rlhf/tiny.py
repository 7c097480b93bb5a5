"""Tiny, offline language models for the RLHF layer: a word-level tokenizer and
small Llama-architecture policy / reward models built from a config (no weights
are downloaded), plus the keyword task on which the experiments run.

The keyword task: a policy writes ``n`` words from a small vocabulary after a
``<bos>`` prompt. The *gold* reward (what the "human" wants) is 1 if the word
``yes`` appears, minus ``overuse`` for every ``yes`` beyond ``max_yes``
(repetition is bad). A *proxy* reward model learned from preferences between
base-policy samples, where more than ``max_yes`` is rare, sees only that more
``yes`` was preferred, and so extrapolates: more ``yes`` is always better. The
word ``yes`` is a reward-predictive token: once written, the score that arrives
at the last token is already determined.

To use real models instead, load them with ``transformers`` as usual
(``AutoModelForCausalLM.from_pretrained(path)``, optionally wrapped with peft's
LoRA) and pass them to :func:`mesolimbic.rlhf.ppo.train_ppo` in place of these.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .._seed import torch_seed
from ._extras import require

__all__ = ["word_tokenizer", "tiny_causal_lm", "tiny_reward_model", "KeywordTask", "SPECIAL", "special_ids",
           "one_thread"]

#: the special tokens of :func:`word_tokenizer`, with ids 0-3
SPECIAL = ("<pad>", "<eos>", "<bos>", "<unk>")
FILLERS = tuple("abcdefghijklmn")


def word_tokenizer(words=("yes", "no") + FILLERS):
    """A whitespace word-level ``PreTrainedTokenizerFast`` with pad, eos, bos and unk tokens
    (ids 0-3), built offline with ``tokenizers``; left padding, as generation needs."""
    tokenizers, transformers = require("tokenizers", "transformers", feature="word_tokenizer")
    words = list(dict.fromkeys(words))
    if any(w in SPECIAL or not w or any(c.isspace() for c in w) for w in words):
        raise ValueError(f"words must be non-empty, without whitespace and not one of {SPECIAL}")
    vocab = {w: i for i, w in enumerate(SPECIAL + tuple(words))}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.WhitespaceSplit()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>",
                                                bos_token="<bos>", unk_token="<unk>")
    fast.padding_side = "left"
    return fast


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread, then restore: tiny models are fastest that way, and stay
    fast on a busy machine (two threads on a loaded 2-core machine were 10-20x slower)."""
    (torch,) = require("torch", feature="one_thread")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def special_ids(tokenizer) -> list[int]:
    """Ids of the special tokens (pad, eos, bos, unk): suppress them for fixed-length word responses."""
    return sorted({i for i in tokenizer.convert_tokens_to_ids(list(SPECIAL)) if i is not None})


def _config(tokenizer, hidden: int, layers: int, heads: int, **extra):
    (transformers,) = require("transformers", feature="tiny models")
    return transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
        num_attention_heads=heads, num_key_value_heads=heads, max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id, tie_word_embeddings=False, **extra)


def tiny_causal_lm(tokenizer, *, hidden: int = 32, layers: int = 2, heads: int = 2, seed: int = 0):
    """A randomly initialised Llama-architecture causal LM sized for a CPU test."""
    torch, transformers = require("torch", "transformers", feature="tiny_causal_lm")
    torch.manual_seed(torch_seed(seed))
    return transformers.LlamaForCausalLM(_config(tokenizer, hidden, layers, heads))


def tiny_reward_model(tokenizer, *, hidden: int = 32, layers: int = 2, heads: int = 2, seed: int = 0):
    """A randomly initialised Llama sequence classifier with one output (a scalar reward)."""
    torch, transformers = require("torch", "transformers", feature="tiny_reward_model")
    torch.manual_seed(torch_seed(seed))
    return transformers.LlamaForSequenceClassification(_config(tokenizer, hidden, layers, heads, num_labels=1))


class KeywordTask:
    """Gold reward, bag-of-words features and preference pairs for the keyword task (see module doc).

    ``gold(texts)``: 1 if ``keyword`` occurs, minus ``overuse`` per occurrence beyond ``max_yes``.
    """

    def __init__(self, keyword: str = "yes", max_yes: int = 2, overuse: float = 0.3):
        if max_yes < 1 or overuse < 0:
            raise ValueError(f"max_yes must be >= 1 and overuse >= 0, got {max_yes}, {overuse}")
        self.keyword, self.max_yes, self.overuse = keyword, max_yes, overuse

    def count(self, texts) -> np.ndarray:
        return np.array([t.split().count(self.keyword) for t in texts], float)

    def gold(self, texts) -> np.ndarray:
        c = self.count(texts)
        return (c > 0).astype(float) - self.overuse * np.maximum(c - self.max_yes, 0)
