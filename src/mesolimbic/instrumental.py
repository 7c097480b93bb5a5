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
from ._validate import check_count
from .models.choice import ChoiceModel
from .simulate import _param_sets
from .tasks.bandit import Bandit

__all__ = ["simulate_choices", "log_likelihood", "to_dataframe", "read_table"]


@functools.lru_cache(maxsize=32)
def _runner(task: Bandit, model: ChoiceModel):
    def session(p, key):
        k_task, k_run = jax.random.split(key)

        def trial(carry, k):
            ts, ls = carry
            k_choice, k_out = jax.random.split(k)
            action = jax.random.categorical(k_choice, model.policy(p, ls))
            ts, outcome, info = task.step(ts, action, k_out)
            ls, out = model.step(p, ls, {"action": action, "outcome": outcome})
            return (ts, ls), {"choice": action, "outcome": outcome, "correct": info["correct"],
                              "reversed": info["reversed"], "p_reward": info["p"], **out}

        init = (task.init(k_task), model.init(p, task.n_actions))
        _, rec = jax.lax.scan(trial, init, jax.random.split(k_run, task.n_trials))
        return rec

    over_agents = jax.vmap(session, in_axes=(None, 0))
    return jax.jit(jax.vmap(over_agents, in_axes=(0, None)))


def simulate_choices(task: Bandit, model: ChoiceModel, params: Mapping[str, Any] | None = None, *,
                     n_agents: int = 1, seed: int = 0) -> xr.Dataset:
    """Simulate ``n_agents`` subjects per parameter set choosing in ``task``.

    Parameters sweep as in :func:`mesolimbic.simulate` (1-D values give a
    ``param_set`` dimension). Agent *i* gets the same random stream in every
    parameter set. Returns a Dataset over ``agent`` x ``trial`` (x ``action``):
    ``choice`` (0-based), ``outcome``, ``rpe``, ``q`` (values before the trial's
    update), ``p`` (choice probabilities), ``log_prob`` of the choice made,
    ``correct`` (chose the better arm), ``reversed`` (a reversal followed the
    trial) and ``p_reward`` (the arms' reward probabilities on the trial).
    """
    if not isinstance(model, ChoiceModel):
        raise ValueError(f"model must be a choice learner (e.g. models.DeltaRule()), got {type(model).__name__}")
    n_agents = check_count("n_agents", n_agents, 1)
    seed = check_count("seed", seed, 0)
    P_np, M, swept = _param_sets(model, params)
    P = {k: jnp.asarray(v, jnp.float32) for k, v in P_np.items()}
    keys = jax.random.split(jax.random.PRNGKey(seed), n_agents)
    rec = {k: np.asarray(v) for k, v in _runner(task, model)(P, keys).items()}
    lead = ("param_set", "agent", "trial") if swept else ("agent", "trial")

    def arr(v):
        return v if swept else v[0]

    data = {
        "choice": (lead, arr(rec["choice"]).astype(np.int16), {"long_name": "chosen action (0-based)"}),
        "outcome": (lead, arr(rec["outcome"])),
        "rpe": (lead, arr(rec["rpe"]), {"long_name": "reward prediction error of the chosen action"}),
        "log_prob": (lead, arr(rec["log_prob"]), {"long_name": "log-probability of the choice"}),
        "correct": (lead, arr(rec["correct"])),
        "reversed": (lead, arr(rec["reversed"])),
        "q": (lead + ("action",), arr(rec["q"]), {"long_name": "action values before the update"}),
        "p": (lead + ("action",), arr(rec["p"]), {"long_name": "choice probabilities"}),
        "p_reward": (lead + ("action",), arr(rec["p_reward"]), {"long_name": "reward probability of each arm"}),
    }
    coords: dict[str, Any] = {"agent": np.arange(n_agents), "trial": np.arange(1, task.n_trials + 1),
                              "action": np.arange(task.n_actions)}
    if swept:
        coords["param_set"] = np.arange(M)
        for k, v in P_np.items():
            coords[k] = ("param_set", v)
    attrs = {"model": model.name, "model_options": json.dumps(model.options()), "task": task.name,
             "task_spec": json.dumps({k: v for k, v in vars(task).items()}), "seed": seed,
             "mesolimbic_version": __version__,
             "params": json.dumps({k: v.tolist() if swept else float(v[0]) for k, v in P_np.items()})}
    return xr.Dataset(data, coords, attrs)


def log_likelihood(model: ChoiceModel, params: Mapping[str, Any], choices, outcomes, n_actions: int) -> jax.Array:
    """Log-likelihood of observed ``choices`` (0-based) and ``outcomes`` ``[..., trials]``
    under ``model`` with ``params``: the learner's own step run on the data.
    Returns the per-trial log-probabilities ``[..., trials]`` (sum them for the total)."""
    checked = model.validate_params(params)
    p = {k: jnp.asarray(v, jnp.float32) for k, v in checked.items()}
    choices, outcomes = jnp.asarray(choices, jnp.int32), jnp.asarray(outcomes, jnp.float32)
    if choices.shape != outcomes.shape:
        raise ValueError(f"choices and outcomes must have the same shape, got {choices.shape} and {outcomes.shape}")
    if bool(jnp.any((choices < 0) | (choices >= n_actions))):
        raise ValueError(f"choices must be in 0..{n_actions - 1} (0-based), got values outside that range")

    def one(c, o):
        def trial(state, inp):
            state, out = model.step(p, state, {"action": inp[0], "outcome": inp[1]})
            return state, out["log_prob"]

        return jax.lax.scan(trial, model.init(p, n_actions), (c, o))[1]

    flat_c, flat_o = choices.reshape(-1, choices.shape[-1]), outcomes.reshape(-1, outcomes.shape[-1])
    return jax.vmap(one)(flat_c, flat_o).reshape(choices.shape)


def to_dataframe(ds: xr.Dataset) -> pd.DataFrame:
    """One row per subject x trial with hBayesDM's columns: ``subjID``, ``trial``,
    ``choice`` (1-based), ``outcome``; plus ``rpe`` and ``correct``. A swept
    simulation numbers subjects across parameter sets (``param_set`` column)."""
    cols = ["choice", "outcome", "rpe", "correct"]
    df = ds[cols].to_dataframe().reset_index()
    if "param_set" in df:
        n_agents = ds.sizes["agent"]
        df["subjID"] = df["param_set"] * n_agents + df["agent"] + 1
    else:
        df["subjID"] = df["agent"] + 1
    df["choice"] = df["choice"].astype(int) + 1
    df["correct"] = df["correct"].astype(int)
    keep = ["subjID", "trial", "choice", "outcome", "rpe", "correct"] + (["param_set"] if "param_set" in df else [])
    return df[keep].sort_values(["subjID", "trial"]).reset_index(drop=True)


def read_table(path) -> pd.DataFrame:
    """Read a tab-separated trial table written by ``to_dataframe(ds).to_csv(path, sep="\\t", index=False)``."""
    return pd.read_csv(path, sep="\t")
