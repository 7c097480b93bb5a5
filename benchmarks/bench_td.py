"""TD on the Schultz (1997) design: mesolimbic against two baselines, in one run.

10,000 agents x 200 trials x 30 time steps (6e7 agent-steps), complete serial
compound, TD(0) and TD(0.9), per-trial summaries only. Baselines measured in
the same run on the same design and trial sequences:

(a) the per-step Python pattern ``V[s] += alpha * (r + gamma * V[s'] - V[s])``,
    called step by step with V a NumPy array (measured on a subset of agents,
    reported per agent-step); the same loop with V a plain list is printed too;
(b) the best plain-NumPy loop over time steps, vectorised over agents with agents
    on the contiguous axis: tabular rows for TD(0) (one state per CSC delay),
    dense traces for TD(lambda).

Prints agent-steps per second, the ratios and peak memory. Run:

    python benchmarks/bench_td.py [--agents 10000]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import mesolimbic as ml
from mesolimbic.experiments.schultz1997 import design as schultz_design

ALPHA, GAMMA = 0.2, 0.98


def states_and_rewards(compiled, types, reward):
    """Per trial type, the CSC state index of each step (-1 = no cue: the ITI-like
    zero-feature state) and the reward vector."""
    S = compiled.n_steps
    states = np.full((len(compiled.type_names), S), -1, np.int64)
    for k, on in enumerate(compiled.cs_step):
        if on >= 0:
            states[k, on:] = np.arange(S - on)
    return states, compiled.us_vector()


def td_step(V, s, s_next, r, alpha=ALPHA, gamma=GAMMA):
    """The seed pattern, one call per agent-step."""
    V[s] += alpha * (r + gamma * V[s_next] - V[s])


def python_td(states, usvec, types, reward, lam, container=np.zeros):
    """(a) per-step Python, one agent and one step at a time.

    TD(0) calls ``td_step`` once per step; TD(lambda) updates every traced state.
    ``container`` makes V a NumPy array (the default, as in most analysis code)
    or a plain list (``lambda n: [0.0] * n``), reported separately.
    """
    n_agents, n_trials = types.shape
    S = states.shape[1]
    states_l, us_l = states.tolist(), usvec.tolist()
    for a in range(n_agents):
        V = container(S + 1)  # index S = the zero-feature (ITI / no-cue) state, value 0
        for i in range(n_trials):
            k = int(types[a, i])
            rho = float(reward[a, i])
            st = [S if x < 0 else x for x in states_l[k]] + [S]
            r = [u * rho for u in us_l[k]] + [0.0]
            e = {}
            prev = S
            for t in range(S + 1):
                s = st[t]
                if lam == 0.0:
                    # V(prev) += alpha (r + gamma V(s) - V(prev)); the ITI state stays 0
                    if prev != S:
                        td_step(V, prev, s, r[t])
                else:
                    delta = r[t] + GAMMA * V[s] - V[prev]
                    for j in e:
                        V[j] += ALPHA * delta * e[j]
                        e[j] *= GAMMA * lam
                    if s != S:
                        e[s] = e.get(s, 0.0) + 1.0
                prev = s


def numpy_td(states, usvec, types, reward, lam, cs_step=10):
    """(b) NumPy over agents (contiguous axis), loop over trials and steps."""
    n_agents, n_trials = types.shape
    S = states.shape[1]
    w = np.zeros((S + 1, n_agents), np.float32)  # row S: zero-feature state (stays 0)
    e = np.zeros((S + 1, n_agents), np.float32)
    cols = np.arange(n_agents)
    rpe_cs = np.empty((n_trials, n_agents), np.float32)
    for i in range(n_trials):
        k = types[:, i]
        shared = bool(np.all(k == k[0]))
        rho = reward[:, i]
        prev_v = np.zeros(n_agents, np.float32)
        prev_s = None
        if lam > 0:
            e[:] = 0.0
        for t in range(S + 1):
            if t < S:
                s = states[k[0], t] if shared else states[k, t]
                s = np.where(np.asarray(s) < 0, S, s)
                v = w[int(s)] if shared else w[s, cols]
                r = usvec[k[0], t] * rho if shared else usvec[k, t] * rho
            else:
                s, v, r = S, np.zeros(n_agents, np.float32), 0.0
            delta = r + GAMMA * v - prev_v
            if t == cs_step:
                rpe_cs[i] = delta
            if lam == 0.0:
                if prev_s is not None:
                    if shared:
                        if int(prev_s) != S:
                            w[int(prev_s)] += ALPHA * delta
                    else:
                        w[prev_s, cols] += ALPHA * delta
            else:
                w += (ALPHA * delta) * e
                e *= GAMMA * lam
                if shared:
                    e[int(s)] += 1.0
                else:
                    e[s, cols] += 1.0
            w[S] = 0.0
            e[S] = 0.0
            prev_s, prev_v = s, (w[int(s)] if shared else w[s, cols]) if t < S else v
    return w, rpe_cs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=10_000)
    ap.add_argument("--python-agents", type=int, default=20)
    args = ap.parse_args()

    design = schultz_design()
    compiled = design.compile()

    types, reward, _ = compiled.sample_trials(0, args.agents)
    types, reward = np.asarray(types), np.asarray(reward)
    states, usvec = states_and_rewards(compiled, types, reward)
    n_steps = args.agents * compiled.n_trials * compiled.n_steps
    print(f"design: Schultz 1997, {compiled.n_trials} trials x {compiled.n_steps} steps, "
          f"{args.agents} agents = {n_steps:.2e} agent-steps; CSC; per-trial summaries")

    rows = []
    for lam in (0.0, 0.9):
        params = {"alpha": ALPHA, "gamma": GAMMA, "lam": lam}
        t0 = time.perf_counter()
        ml.simulate(design, ml.TD(), params, n_agents=args.agents, seed=0, record="trials")
        t_first = time.perf_counter() - t0
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            ds = ml.simulate(design, ml.TD(), params, n_agents=args.agents, seed=0, record="trials")
            best = min(best, time.perf_counter() - t0)
        rate_ml = n_steps / best

        sub = args.python_agents
        t0 = time.perf_counter()
        python_td(states, usvec, types[:sub], reward[:sub], lam)
        t_py = time.perf_counter() - t0
        rate_py = sub * compiled.n_trials * compiled.n_steps / t_py
        t0 = time.perf_counter()
        python_td(states, usvec, types[:sub], reward[:sub], lam, container=lambda n: [0.0] * n)
        rate_list = sub * compiled.n_trials * compiled.n_steps / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        w_np, rpe_cs_np = numpy_td(states, usvec, types, reward, lam, int(compiled.cs_step.max()))
        t_np = time.perf_counter() - t0
        rate_np = n_steps / t_np
        # the baselines compute the same thing: compare the CS response of the last trial
        diff = float(np.nanmax(np.abs(ds.rpe_cs.isel(trial=-1).values - rpe_cs_np[-1])))
        rows.append((lam, rate_ml, t_first, best, rate_py, rate_np, diff, rate_list))

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"{'':8s}{'mesolimbic':>16s}{'(a) python':>16s}{'(b) numpy':>16s}{'vs (a)':>10s}{'vs (b)':>10s}")
    for lam, rml, tfirst, best, rpy, rnp, diff, rlist in rows:
        print(f"TD({lam:g})".ljust(8) + f"{rml:16.3e}{rpy:16.3e}{rnp:16.3e}{rml / rpy:9.0f}x{rml / rnp:9.2f}x"
              f"   (agent-steps/s; mesolimbic best of 3 = {best:.3f}s, first call incl. compile = {tfirst:.2f}s; "
              f"max |rpe_cs - numpy| = {diff:.1e})")
        print(f"{'':8s}(a) with V a Python list instead of a NumPy array: {rlist:.3e} agent-steps/s; "
              f"mesolimbic is {rml / rlist:.0f}x that")
    print(f"peak memory (max RSS of this process): {peak:.2f} GiB")
    print("targets (2-core machine): TD(0) >= 500x (a) and >= 1.5x (b); TD(0.9) >= 3x (b); peak < 2 GiB")


if __name__ == "__main__":
    main()
