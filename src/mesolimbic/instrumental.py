"""Instrumental (choice) simulation: task x choice learner x parameter sets x agents -> Dataset.

The runner alternates, every trial, the learner's ``policy`` (sample an action),
the task's ``step`` (deliver an outcome) and the learner's ``step`` (learn).
Agents and parameter sets are ``vmap``-ed, trials are ``lax.scan``-ned, and the
whole session is compiled once. :func:`log_likelihood` runs the *same* learner
step on observed choices and outcomes; :func:`to_dataframe` turns a simulation
into the tidy, one-row-per-trial table the field uses (hBayesDM's column names),
which :func:`read_table` reads back exactly.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import xarray as xr

from . import __version__
from ._validate import check_choice, check_count
from .models.choice import ChoiceModel
from .simulate import _param_sets
from .models.hybrid import HybridTwoStep
from .tasks.two_step import TwoStep

__all__ = ["simulate_choices", "simulate_two_step", "log_likelihood", "to_dataframe", "two_step_dataframe",
           "two_step_log_likelihood",
           "read_table"]


def _prepare(model, params, n_agents, seed):
    """Validated parameters (``[M]`` arrays, M, swept flag, as JAX arrays) and one key per agent."""
    n_agents = check_count("n_agents", n_agents, 1)
    seed = check_count("seed", seed, 0)
    P_np, M, swept = _param_sets(model, params)
    P = {k: jnp.asarray(v, jnp.float32) for k, v in P_np.items()}
    return P_np, M, swept, P, jax.random.split(jax.random.PRNGKey(seed), n_agents)


def _sample(logp: jax.Array, u: jax.Array) -> jax.Array:
    """An action drawn from ``exp(logp)`` by inverting the CDF at the uniform ``u``."""
    p = jnp.exp(logp)
    if p.shape[-1] == 2:  # the common case, without a cumulative sum (slow under vmap on CPU)
        return (u > p[0]).astype(jnp.int32)
    return jnp.sum(u > jnp.cumsum(p)[:-1]).astype(jnp.int32)


def _observe(task, ts):
    return jnp.asarray(task.observe(ts), jnp.int32) if hasattr(task, "observe") else jnp.zeros((), jnp.int32)


@functools.lru_cache(maxsize=32)
def _runner(task, model: ChoiceModel):
    n_draws = getattr(task, "n_draws", 1)
    sarsa = model.needs_next_action

    def session(p, key):
        k_task, k_u, k_z, k_0 = jax.random.split(key, 4)
        # every random number of the session in two vectorised draws (far cheaper than a key per trial)
        u = jax.random.uniform(k_u, (task.n_trials, 1 + n_draws))  # choice, task
        n_z = task.n_actions if getattr(task, "drift_sd", 0) > 0 else 0
        z = jax.random.normal(k_z, (task.n_trials, n_z))  # random walk (restless bandits)

        def trial(carry, inp):
            ts, ls, a_next = carry
            u_t, z_t = inp
            obs = _observe(task, ts)
            action = a_next if sarsa else _sample(model.policy(p, ls, obs), u_t[0])
            ts, outcome, info = task.transition(jnp, ts, action, u_t[1] if n_draws == 1 else u_t[1:], z_t)
            info = dict(info)
            done = jnp.asarray(info.pop("done", True))
            feedback = jnp.asarray(info.pop("feedback", True))
            next_obs = _observe(task, ts)
            inputs = {"obs": obs, "action": action, "outcome": outcome, "feedback": feedback,
                      "next_obs": next_obs, "done": done}
            if sarsa:  # SARSA: the next action is chosen before the update (Sutton & Barto 2018, §6.4)
                a_next = _sample(model.policy(p, ls, next_obs), u_t[0])
                inputs["next_action"] = a_next
            ls, out = model.step(p, ls, inputs)
            if "p" in info:
                info["p_reward"] = info.pop("p")
            return (ts, ls, a_next), {"obs": obs, "choice": action, "outcome": outcome, "feedback": feedback,
                                      **info, **out}

        ts0 = task.init(k_task)
        ls0 = model.init(p, task.n_actions, getattr(task, "n_states", 1))
        a0 = _sample(model.policy(p, ls0, _observe(task, ts0)), jax.random.uniform(k_0)) if sarsa \
            else jnp.zeros((), jnp.int32)
        _, rec = jax.lax.scan(trial, (ts0, ls0, a0), (u, z))
        return rec

    over_agents = jax.vmap(session, in_axes=(None, 0))
    return jax.jit(jax.vmap(over_agents, in_axes=(0, None)))


def simulate_choices(task, model: ChoiceModel, params: Mapping[str, Any] | None = None, *,
                     n_agents: int = 1, seed: int = 0) -> xr.Dataset:
    """Simulate ``n_agents`` subjects per parameter set choosing in ``task``
    (a bandit, reversal, go/no-go, probabilistic-selection or schedule task, or
    active avoidance: anything with ``init``, ``observe`` and ``transition``).

    Parameters sweep as in :func:`mesolimbic.simulate` (1-D values give a
    ``param_set`` dimension). Agent *i* gets the same random stream in every
    parameter set. Returns a Dataset over ``agent`` x ``trial`` (x ``action``):
    ``cue`` (the task's observation), ``choice`` (0-based), ``outcome``, ``rpe``,
    ``q`` (values before the trial's update, for learners that report them; other
    learner outputs keep their own names), ``p`` (choice probabilities),
    ``log_prob`` of the choice made,
    and the task's own per-trial information: for bandits ``correct`` (chose the
    better arm), ``reversed`` (a reversal followed the trial) and ``p_reward``
    (the arms' reward probabilities on the trial); for schedules ``reinforced``
    and ``extinction`` (``trial`` is then a time step). Multi-step tasks
    (schedules, active avoidance) need a learner that bootstraps, e.g.
    ``QLearning(discounted=True)``, ``SARSA()`` or ``ActorCritic(discounted=True)``.
    """
    if not isinstance(model, ChoiceModel):
        raise ValueError(f"model must be a choice learner (e.g. models.DeltaRule()), got {type(model).__name__}")
    P_np, M, swept, P, keys = _prepare(model, params, n_agents, seed)
    rec = {k: np.asarray(v) for k, v in _runner(task, model)(P, keys).items()}
    lead = ("param_set", "agent", "trial") if swept else ("agent", "trial")

    def arr(v):
        return v if swept else v[0]

    long_names = {"choice": "chosen action (0-based)", "cue": "cue / state shown (0-based)",
                  "rpe": "reward prediction error of the chosen action", "log_prob": "log-probability of the choice",
                  "q": "action values before the update", "p": "choice probabilities",
                  "p_reward": "reward probability of each arm", "feedback": "the outcome was shown"}
    data = {}
    for k, v in rec.items():
        name = "cue" if k == "obs" else k
        n_extra = v.ndim - 3  # beyond [param_set, agent, trial]
        if n_extra == 1 and v.shape[-1] == task.n_actions and k in ("q", "p", "p_reward"):
            dims = lead + ("action",)
        else:
            dims = lead + tuple(f"{k}_axis{i}" for i in range(n_extra))
        if k in ("choice", "obs"):
            v = v.astype(np.int16)
        data[name] = (dims, arr(v), {"long_name": long_names[name]} if name in long_names else {})
    coords: dict[str, Any] = {"agent": np.arange(n_agents), "trial": np.arange(1, task.n_trials + 1),
                              "action": np.arange(task.n_actions)}
    if swept:
        coords["param_set"] = np.arange(M)
        for k, v in P_np.items():
            coords[k] = ("param_set", v)
    attrs = {"model": model.name, "model_options": json.dumps(model.options()), "task": task.name,
             "task_spec": json.dumps({k: v for k, v in vars(task).items()}, default=str), "seed": seed,
             "mesolimbic_version": __version__,
             "params": json.dumps({k: v.tolist() if swept else float(v[0]) for k, v in P_np.items()})}
    return xr.Dataset(data, coords, attrs)


@functools.lru_cache(maxsize=32)
def _two_step_runner(task: TwoStep, model: HybridTwoStep):
    def session(p, key):
        k_task, k_u, k_z = jax.random.split(key, 3)
        u = jax.random.uniform(k_u, (task.n_trials, 4))  # choice 1, transition, choice 2, reward
        z = jax.random.normal(k_z, (task.n_trials, 4))  # random walk of the reward probabilities

        def trial(carry, inp):
            ts, ls = carry
            u_t, z_t = inp
            a1 = _sample(model.policy(p, ls), u_t[0])
            s2, common = task.second_stage(jnp, a1, u_t[1])
            a2 = _sample(model.policy2(p, ls, s2), u_t[2])
            ts, reward = task.outcome(jnp, ts, s2, a2, u_t[3], z_t)
            ls, out = model.step(p, ls, {"a1": a1, "s2": s2, "a2": a2, "reward": reward})
            return (ts, ls), {"choice1": a1, "state2": s2, "choice2": a2, "reward": reward, "common": common,
                              "p_reward": ts["p"], **out}

        init = (task.init(k_task), model.init(p))
        return jax.lax.scan(trial, init, (u, z))[1]

    return jax.jit(jax.vmap(jax.vmap(session, in_axes=(None, 0)), in_axes=(0, None)))


def simulate_two_step(task: TwoStep, model: HybridTwoStep, params: Mapping[str, Any] | None = None, *,
                      n_agents: int = 1, seed: int = 0) -> xr.Dataset:
    """Simulate subjects on the two-step task (Daw et al. 2011); see :func:`simulate_choices`.

    Variables over ``agent`` x ``trial``: ``choice1``, ``state2``, ``choice2``
    (0-based), ``reward``, ``common`` (the transition was common), ``rpe1``,
    ``rpe2``, ``log_prob`` of both choices, and ``q_mb`` / ``q_mf`` over ``action``.
    """
    if not isinstance(model, HybridTwoStep):
        raise ValueError(f"model must be a two-step learner (models.HybridTwoStep()), got {type(model).__name__}")
    P_np, M, swept, P, keys = _prepare(model, params, n_agents, seed)
    rec = {k: np.asarray(v) for k, v in _two_step_runner(task, model)(P, keys).items()}
    lead = ("param_set", "agent", "trial") if swept else ("agent", "trial")
    sq = (lambda v: v) if swept else (lambda v: v[0])
    data = {k: (lead, sq(rec[k])) for k in ("choice1", "state2", "choice2", "reward", "common", "rpe1", "rpe2",
                                             "log_prob")}
    for k in ("q_mb", "q_mf"):
        data[k] = (lead + ("action",), sq(rec[k]))
    data["p_reward"] = (lead + ("option",), sq(rec["p_reward"]))
    coords: dict[str, Any] = {"agent": np.arange(n_agents), "trial": np.arange(1, task.n_trials + 1),
                              "action": [0, 1], "option": ["s0a0", "s0a1", "s1a0", "s1a1"]}
    if swept:
        coords["param_set"] = np.arange(M)
        for k, v in P_np.items():
            coords[k] = ("param_set", v)
    attrs = {"model": model.name, "task": task.name, "seed": seed, "mesolimbic_version": __version__,
             "params": json.dumps({k: v.tolist() if swept else float(v[0]) for k, v in P_np.items()})}
    return xr.Dataset(data, coords, attrs)


def two_step_dataframe(ds: xr.Dataset) -> pd.DataFrame:
    """hBayesDM's two-step columns: ``subjID``, ``trial``, ``level1_choice`` (1/2),
    ``level2_choice`` (1-4: 1/2 in the state that choice 1 commonly leads to), ``reward``."""
    df = ds[["choice1", "state2", "choice2", "reward"]].to_dataframe().reset_index()
    base = df["param_set"] * ds.sizes["agent"] if "param_set" in df else 0
    out = pd.DataFrame({"subjID": base + df["agent"] + 1, "trial": df["trial"],
                        "level1_choice": df["choice1"].astype(int) + 1,
                        "level2_choice": 2 * df["state2"].astype(int) + df["choice2"].astype(int) + 1,
                        "reward": df["reward"].astype(int)})
    return out.sort_values(["subjID", "trial"]).reset_index(drop=True)


def log_likelihood(model: ChoiceModel, params: Mapping[str, Any], choices, outcomes, n_actions: int,
                   cues=None, n_states: int = 1, feedback=None, done=None) -> jax.Array:
    """Log-likelihood of observed ``choices`` (0-based) and ``outcomes`` ``[..., trials]``
    (and, for tasks with several cues or states, ``cues`` 0-based with ``n_states``;
    ``feedback`` False on trials without feedback, e.g. a test phase) under ``model``
    with ``params``: the learner's own step run on the data.

    For multi-step tasks, ``done`` marks the trials that end an episode (default:
    every trial, i.e. one-step trials); a discounted learner bootstraps from the
    next trial's cue (and SARSA from the next observed choice) on the others.
    Returns the per-trial log-probabilities ``[..., trials]`` (sum them for the total)."""
    checked = model.validate_params(params)
    p = {k: jnp.asarray(v, jnp.float32) for k, v in checked.items()}
    choices, outcomes = jnp.asarray(choices, jnp.int32), jnp.asarray(outcomes, jnp.float32)
    cues = jnp.zeros_like(choices) if cues is None else jnp.asarray(cues, jnp.int32)
    feedback = jnp.ones(choices.shape, bool) if feedback is None else jnp.broadcast_to(
        jnp.asarray(feedback, bool), choices.shape)
    done = jnp.ones(choices.shape, bool) if done is None else jnp.broadcast_to(jnp.asarray(done, bool),
                                                                                choices.shape)
    if choices.shape != outcomes.shape or cues.shape != choices.shape:
        raise ValueError(f"choices, outcomes (and cues) must have the same shape, got {choices.shape}, "
                         f"{outcomes.shape} and {cues.shape}")
    if bool(jnp.any((choices < 0) | (choices >= n_actions))):
        raise ValueError(f"choices must be in 0..{n_actions - 1} (0-based), got values outside that range")
    if bool(jnp.any((cues < 0) | (cues >= n_states))):
        raise ValueError(f"cues must be in 0..{n_states - 1} (0-based), got values outside that range")

    def one(c, o, s, f, d):
        nxt = lambda x: jnp.concatenate([x[1:], x[-1:]])  # noqa: E731 - the next trial's value (last: itself)
        names = ("action", "outcome", "obs", "feedback", "done", "next_obs", "next_action")

        def trial(state, inp):
            state, out = model.step(p, state, dict(zip(names, inp)))
            return state, out["log_prob"]

        d = d.at[-1].set(True)  # the data end the last episode
        return jax.lax.scan(trial, model.init(p, n_actions, n_states), (c, o, s, f, d, nxt(s), nxt(c)))[1]

    flat = [x.reshape(-1, choices.shape[-1]) for x in (choices, outcomes, cues, feedback, done)]
    return jax.vmap(one)(*flat).reshape(choices.shape)


def two_step_log_likelihood(model: HybridTwoStep, params: Mapping[str, Any], choice1, state2, choice2,
                            reward) -> jax.Array:
    """Per-trial log-probability of both observed choices ``[..., trials]`` (0-based
    ``choice1``, ``state2``, ``choice2``; ``reward`` 0/1) under the hybrid learner:
    its own step run on the data."""
    checked = model.validate_params(params)
    p = {k: jnp.asarray(v, jnp.float32) for k, v in checked.items()}
    arrs = [jnp.asarray(x, jnp.int32) for x in (choice1, state2, choice2)] + [jnp.asarray(reward, jnp.float32)]
    shape = arrs[0].shape
    if any(a.shape != shape for a in arrs):
        raise ValueError(f"choice1, state2, choice2 and reward must have the same shape, got {[a.shape for a in arrs]}")
    for name, a in zip(("choice1", "state2", "choice2"), arrs[:3]):
        if bool(jnp.any((a < 0) | (a > 1))):
            raise ValueError(f"{name} must be 0 or 1 (0-based), got values outside that range")

    def one(c1, s2, c2, r):
        def trial(state, inp):
            state, out = model.step(p, state, dict(zip(("a1", "s2", "a2", "reward"), inp)))
            return state, out["log_prob"]

        return jax.lax.scan(trial, model.init(p), (c1, s2, c2, r))[1]

    flat = [a.reshape(-1, shape[-1]) for a in arrs]
    return jax.vmap(one)(*flat).reshape(shape)


def to_dataframe(ds: xr.Dataset, style: str = "choice") -> pd.DataFrame:
    """One row per subject x trial with hBayesDM's column names.

    ``style="choice"`` (bandits, reversal, schedules): ``subjID``, ``trial``,
    ``choice`` (1-based), ``outcome``, plus ``rpe`` and the task's per-trial flags
    where present (``correct``; schedules ``reinforced``, ``extinction``; active
    avoidance ``avoided``, ``shocked``). ``style="gng"`` (go/no-go):
    ``subjID``, ``trialNum``, ``cue`` (1-4), ``keyPressed`` (1 go, 0 no-go),
    ``outcome``, plus ``rpe`` and ``correct``. A swept simulation numbers subjects
    across parameter sets (``param_set`` column).
    """
    check_choice("style", style, ("choice", "gng"))
    extra = [k for k in ("rpe", "correct", "reinforced", "extinction", "avoided", "shocked") if k in ds]
    df = ds[["cue", "choice", "outcome", *extra]].to_dataframe().reset_index()
    df["subjID"] = (df["param_set"] * ds.sizes["agent"] if "param_set" in df else 0) + df["agent"] + 1
    for k in extra:
        if ds[k].dtype == bool:
            df[k] = df[k].astype(int)
    if style == "gng":
        df = df.rename(columns={"trial": "trialNum", "choice": "keyPressed"})
        df["cue"] = df["cue"].astype(int) + 1
        df["keyPressed"] = df["keyPressed"].astype(int)
        keep = ["subjID", "trialNum", "cue", "keyPressed", "outcome"]
        order = ["subjID", "trialNum"]
    else:
        df["choice"] = df["choice"].astype(int) + 1
        keep = ["subjID", "trial", "choice", "outcome"]
        order = ["subjID", "trial"]
    keep += extra + (["param_set"] if "param_set" in df else [])
    return df[keep].sort_values(order).reset_index(drop=True)


def read_table(path) -> pd.DataFrame:
    """Read a tab-separated trial table written by ``to_dataframe(ds).to_csv(path, sep="\\t", index=False)``."""
    return pd.read_csv(path, sep="\t")
