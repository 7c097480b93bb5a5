"""PPO on a tiny language model: seconds per iteration, and the cost of recording the RPE Dataset.

Setting of the issue: 64 rollouts x 16 tokens, 4 PPO epochs (minibatches of
16), a 2-layer Llama of width 32 (:mod:`mesolimbic.rlhf.tiny`), one CPU thread.
Runs with and without recording (``record=False`` keeps only the per-iteration
summaries), alternating, on identical seeds, and prints the median seconds per
iteration of each and their ratio (target: recording costs under 10 %). The
first iteration of each run is dropped (warm-up).

    python benchmarks/bench_rlhf.py [--iterations 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from mesolimbic.rlhf.ppo import PPOConfig, ValueHeadPolicy, train_ppo
from mesolimbic.rlhf.tiny import KeywordTask, special_ids, tiny_causal_lm, word_tokenizer


def one(record: bool, iterations: int, tok, task) -> float:
    policy = ValueHeadPolicy(tiny_causal_lm(tok, seed=0))
    t0 = time.perf_counter()
    ds = train_ppo(policy, tok, lambda t: (task.count(t) > 0).astype(float), ["<bos>"], n_iterations=iterations,
                   config=PPOConfig(stop_at_eos=False), suppress_tokens=special_ids(tok), record=record)
    total = time.perf_counter() - t0  # includes building the Dataset
    return (total - float(ds.seconds.values[0])) / (iterations - 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    tok, task = word_tokenizer(), KeywordTask()
    one(True, 2, tok, task)  # warm up imports and kernels
    times = {True: [], False: []}
    for _ in range(args.repeats):
        for rec in (False, True):
            times[rec].append(one(rec, args.iterations, tok, task))
    off, on = np.median(times[False]), np.median(times[True])
    print(f"PPO iteration, 64 rollouts x 16 tokens, 4 epochs, 1 thread (torch {torch.__version__}):")
    print(f"  without recording: {off:.3f} s/iteration (runs: {', '.join(f'{t:.3f}' for t in times[False])})")
    print(f"  with the RPE Dataset: {on:.3f} s/iteration (runs: {', '.join(f'{t:.3f}' for t in times[True])})")
    print(f"  recording overhead: {100 * (on / off - 1):+.1f} % (target < 10 %)")


if __name__ == "__main__":
    main()
