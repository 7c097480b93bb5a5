"""Instrumental speed: the two-step task with the hybrid learner, and the Gymnasium environments.

(1) 10,000 simulated subjects x 200 trials of the two-step task (Daw et al. 2011)
with the hybrid model-based / model-free learner: ``mesolimbic.simulate`` (the
session kernel, two stages per trial) against a plain NumPy implementation
vectorised over subjects (subjects on the contiguous axis), measured in the
same run.
(2) Gymnasium environments: steps per second of ``env.step`` on one thread with
a fixed action sequence.

    python benchmarks/bench_instrumental.py [--subjects 10000]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from mesolimbic import simulate
from mesolimbic.models import HybridTwoStep
from mesolimbic.tasks.two_step import TwoStep

P = {"alpha1": 0.5, "alpha2": 0.5, "lam": 0.6, "beta1": 5.0, "beta2": 5.0, "w": 0.5, "kappa": 0.2}


def numpy_two_step(n: int, n_trials: int, rng: np.random.Generator) -> np.ndarray:
    """The same learner and task, vectorised over subjects with NumPy."""
    a1p, a2p, lam, b1, b2, w, pers = (P[k] for k in ("alpha1", "alpha2", "lam", "beta1", "beta2", "w", "kappa"))
    idx = np.arange(n)
    q_mf = np.zeros((n, 2))
    q2 = np.zeros((n, 2, 2))
    counts = np.zeros((n, 2, 2))
    prev = np.zeros((n, 2))
    p = rng.uniform(0.25, 0.75, (n, 4))
    choices = np.empty((n, n_trials), np.int8)
    for t in range(n_trials):
        T = (counts + 1.0) / (counts.sum(2, keepdims=True) + 2.0)
        q_mb = np.einsum("nas,ns->na", T, q2.max(2))
        logits = b1 * (w * q_mb + (1 - w) * q_mf) + pers * prev
        p1 = 1.0 / (1.0 + np.exp(logits[:, 0] - logits[:, 1]))  # P(a1 = 1)
        a1 = (rng.random(n) < p1).astype(np.int64)
        s2 = np.where(rng.random(n) < 0.7, a1, 1 - a1)
        l2 = b2 * q2[idx, s2]
        p2 = 1.0 / (1.0 + np.exp(l2[:, 0] - l2[:, 1]))
        a2 = (rng.random(n) < p2).astype(np.int64)
        r = (rng.random(n) < p[idx, 2 * s2 + a2]).astype(float)
        d1 = q2[idx, s2, a2] - q_mf[idx, a1]
        d2 = r - q2[idx, s2, a2]
        q_mf[idx, a1] += a1p * d1 + a1p * lam * d2
        q2[idx, s2, a2] += a2p * d2
        counts[idx, a1, s2] += 1.0
        prev = np.zeros((n, 2))
        prev[idx, a1] = 1.0
        x = p + 0.025 * rng.standard_normal((n, 4))
        x = np.where(x > 0.75, 1.5 - x, x)
        p = np.clip(np.where(x < 0.25, 0.5 - x, x), 0.25, 0.75)
        choices[:, t] = a1
    return choices


def env_rate(env, n_actions: int, episodes: int = 30) -> float:
    acts = np.random.default_rng(0).integers(0, n_actions, 10_000).tolist()
    steps = 0
    t0 = time.perf_counter()
    for ep in range(episodes):
        env.reset(seed=ep)
        done, i = False, 0
        while not done:
            _, _, done, _, _ = env.step(acts[i % len(acts)])
            i += 1
        steps += i
    return steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=10_000)
    args = ap.parse_args()
    task, model = TwoStep(), HybridTwoStep()
    n = args.subjects
    t0 = time.perf_counter()
    simulate(task, model, P, n_agents=n, seed=0)
    first = time.perf_counter() - t0
    best = np.inf
    for s in range(3):
        t0 = time.perf_counter()
        ds = simulate(task, model, P, n_agents=n, seed=s + 1)
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    ch = numpy_two_step(n, task.n_trials, np.random.default_rng(0))
    t_np = time.perf_counter() - t0
    c1 = ds.choice.sel(stage=0).isel(param_set=0).values
    stay_ml = float((c1[:, 1:] == c1[:, :-1]).mean())
    stay_np = float((ch[:, 1:] == ch[:, :-1]).mean())
    print(f"two-step, hybrid learner, {n} subjects x {task.n_trials} trials:")
    print(f"  mesolimbic {best:.3f} s (best of 3; first call incl. compile {first:.2f} s)  "
          f"NumPy {t_np:.3f} s  ->  {t_np / best:.2f}x   (target >= 3x)")
    print(f"  same behaviour: P(stay) mesolimbic {stay_ml:.3f} vs NumPy {stay_np:.3f}")
    from mesolimbic.envs import BanditEnv, TwoStepEnv
    from mesolimbic.tasks.bandit import Bandit, reversal_learning

    for label, task_ in (("bandit (2-arm, stationary)", Bandit()), ("reversal learning", reversal_learning()),
                         ("restless 4-arm bandit", Bandit((0.3, 0.5, 0.7, 0.4), drift_sd=0.025,
                                                          bounds=(0.25, 0.75)))):
        print(f"  Gymnasium {label}: {env_rate(BanditEnv(task_), task_.n_actions):,.0f} steps/s "
              f"(target >= 20,000)")
    print(f"  Gymnasium two-step: {env_rate(TwoStepEnv(), 2):,.0f} steps/s (two steps per trial; target >= 20,000)")
    from mesolimbic.envs import ChoiceTaskEnv
    from mesolimbic.tasks.aversive import ActiveAvoidance
    from mesolimbic.tasks.schedules import Schedule

    for label, task_ in (("VI 10 schedule", Schedule("VI", 10, n_steps=1000)),
                         ("active avoidance", ActiveAvoidance(n_episodes=300))):
        print(f"  Gymnasium {label}: {env_rate(ChoiceTaskEnv(task_), task_.n_actions, 10):,.0f} steps/s")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GiB")


if __name__ == "__main__":
    main()
