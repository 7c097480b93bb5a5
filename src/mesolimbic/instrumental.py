"""Choice tasks: simulation, the likelihood of observed choices, and tidy tables.

:func:`simulate_choices` is :func:`mesolimbic.simulate` for choice tasks (bandits,
reversal, go/no-go, probabilistic selection, two-step, schedules, avoidance):
every step the learner's ``policy`` chooses, the task's ``transition`` answers and
the learner's ``step`` learns, in the one session kernel. :func:`score` and
:func:`log_likelihood` run the *same* learner step on observed choices and
outcomes; :func:`to_dataframe` turns a simulation into the tidy,
one-row-per-trial table the field uses (hBayesDM's column names), which
:func:`read_table` reads back exactly.

Choices are **0-based** in Datasets (``choice`` 0 .. n_actions - 1, as the
learners index them) and **1-based** in the tables written for hBayesDM
(``choice`` 1 .. n_actions), as hBayesDM expects.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import xarray as xr

from ._validate import check_choice
from .models.base import Spec
from .models.choice import ChoiceModel
from .session import Session, next_steps, replay_choices

__all__ = ["simulate_choices", "score", "log_likelihood", "to_dataframe", "two_step_dataframe", "read_table"]


def simulate_choices(task, model: ChoiceModel, params: Mapping[str, Any] | None = None, *, n_agents: int = 1,
                     seed: int = 0, record=None, precision: str = "float32", client=None, store=None,
                     shard: Mapping[str, int] | None = None, progress: bool = False,
                     streams: str = "common") -> xr.Dataset:
    """Simulate ``n_agents`` subjects per parameter set choosing in ``task`` (a choice
    task, or a :class:`~mesolimbic.tasks.phases.ChoiceDesign` of one in phases).

    Parameters sweep as in :func:`mesolimbic.simulate` (a ``param_set`` dimension,
    always present). Agent *i* gets the same random stream in every parameter set
    (common random numbers); ``streams="independent"`` gives every parameter set its own
    streams instead — for a data set whose parameter sets are different subjects, which
    must not share one reward sequence and one set of choice draws.
    Returns a Dataset over ``param_set`` x ``agent`` x ``trial`` (x ``stage`` for
    multi-stage tasks such as the two-step task; x ``action``): ``cue`` (the task's
    observation), ``choice`` (0-based), ``outcome``, ``feedback``, ``done`` (the step
    ended an episode), ``valid`` (with stop criteria), the learner's outputs
    (``rpe``, ``q`` values before the trial's update, ``p`` choice probabilities,
    ``log_prob`` of the choice made, ...) and the task's per-step information: for
    bandits ``correct``, ``reversed``, ``p_reward``; for schedules ``reinforced``
    and ``extinction`` (``trial`` is then a time step); for the two-step task
    ``common`` and ``p_reward``. Multi-step tasks (schedules, avoidance, two-step)
    need a learner that bootstraps, e.g. ``QLearning(discounted=True)``, ``SARSA()``,
    ``ActorCritic(discounted=True)`` or ``HybridTwoStep()``.

    ``client``, ``store``, ``shard``, ``progress``: a sharded run, on a Dask cluster and/or
    written to Zarr, as in :func:`mesolimbic.simulate` (:mod:`mesolimbic.sweeps`): blocks
    of parameter sets, and blocks of agents taking their slice of the per-agent keys, give
    the serial run's values bit for bit.
    """
    if not isinstance(model, ChoiceModel):
        raise ValueError(f"model must be a choice learner (e.g. models.DeltaRule()), got {type(model).__name__}")
    if client is not None or store is not None or shard is not None:
        from .sweeps import simulate_sharded

        if streams != "common":
            raise ValueError("streams='independent' runs in this process; a sharded run (client, store or shard) "
                             "keeps common random numbers across parameter sets")

        return simulate_sharded(task, model, params, n_agents=n_agents, seed=seed, record=record,
                                precision=precision, client=client, store=store, shard=shard, progress=progress)
    return Session(task, model).simulate(params, n_agents=n_agents, seed=seed, record=record, precision=precision,
                                         streams=streams)


def score(model: ChoiceModel, data: xr.Dataset, params: Mapping[str, Any] | None = None, task=None) -> xr.DataArray:
    """Per-step log-probability of the choices recorded in ``data`` under ``model``:
    the learner's own step run on the recorded cues, choices and outcomes.

    ``task`` defaults to the task the simulation recorded in its attrs is rebuilt
    from; ``params`` default to the values on ``data``'s ``param_set``.
    ``score(model, simulate_choices(task, model, ...))`` equals the recorded
    ``log_prob`` (tested for every learner x task pair the package ships)."""
    if task is None:
        task = task_of(data)
    return Session(task, model).score(data, params)


def task_of(data: xr.Dataset):
    """The task a choice simulation ran, rebuilt from its attributes."""
    import json

    from .catalogue import task_from_spec

    if "task_class" not in data.attrs or "task_spec" not in data.attrs:
        raise ValueError("the data do not record their task (attrs 'task_class' and 'task_spec'); pass task=...")
    return task_from_spec(data.attrs["task_class"], json.loads(data.attrs["task_spec"]),
                          json.loads(data.attrs.get("phases", "null")))


def log_likelihood(model: ChoiceModel, params: Mapping[str, Any], choices, outcomes, n_actions: int,
                   cues=None, n_states: int = 1, feedback=None, done=None) -> jax.Array:
    """Log-likelihood of observed ``choices`` (0-based) and ``outcomes`` ``[..., trials]``
    (and, for tasks with several cues or states, ``cues`` 0-based with ``n_states``;
    ``feedback`` False on trials without feedback, e.g. a test phase) under ``model``
    with ``params``: the learner's own step run on the data.

    For multi-step tasks, ``done`` marks the trials that end an episode (default:
    every trial, i.e. one-step trials); a discounted learner bootstraps from the
    next trial's cue (and SARSA from the next observed choice) on the others.
    Returns the per-trial log-probabilities ``[..., trials]`` (sum them for the total).
    Multi-stage tasks (the two-step task) are scored from a Dataset with :func:`score`."""
    checked = model.validate_params(params)
    p = {k: jnp.asarray(v, jnp.float32) for k, v in checked.items()}
    choices, outcomes = np.asarray(choices), np.asarray(outcomes, np.float32)
    cues = np.zeros(choices.shape, np.int32) if cues is None else np.asarray(cues)
    if choices.shape != outcomes.shape or cues.shape != choices.shape:
        raise ValueError(f"choices, outcomes (and cues) must have the same shape, got {choices.shape}, "
                         f"{outcomes.shape} and {cues.shape}")
    if choices.ndim == 0 or choices.shape[-1] == 0:
        raise ValueError(f"choices must have a trial axis with at least one trial, got shape {choices.shape}")
    for name, x, hi in (("choices", choices, n_actions), ("cues", cues, n_states)):
        if x.dtype.kind not in "iub" and not np.all(np.mod(x, 1) == 0):
            raise ValueError(f"{name} must be integers (0-based), got {x.dtype} values")
        if np.any((x < 0) | (x >= hi)):
            raise ValueError(f"{name} must be in 0..{hi - 1} (0-based), got values outside that range")
    feedback = np.ones(choices.shape, bool) if feedback is None else np.broadcast_to(np.asarray(feedback, bool),
                                                                                      choices.shape)
    done = np.ones(choices.shape, bool) if done is None else np.broadcast_to(np.asarray(done, bool), choices.shape)
    done = np.array(done)
    done[..., -1] = True  # the data end the last episode
    T = choices.shape[-1]
    flat = lambda x, dt: np.asarray(x, dt).reshape(-1, T, 1)  # noqa: E731  [sequence, trial, stage]
    obs, act = flat(cues, np.int32), flat(choices, np.int32)
    xs = {"obs": obs, "action": act, "outcome": flat(outcomes, np.float32), "feedback": flat(feedback, bool),
          "done": flat(done, bool), "next_obs": next_steps(obs, 1), "next_action": next_steps(act, 1)}
    spec = Spec(n_actions=n_actions, n_states=n_states)
    one = lambda x: replay_choices(model, p, x, jnp.ones(T, bool), spec, keep=("log_prob",))["log_prob"][:, 0]  # noqa: E731
    lp = jax.jit(jax.vmap(one))({k: jnp.asarray(v) for k, v in xs.items()})
    return lp.reshape(choices.shape)


def _subject_ids(df: pd.DataFrame, n_agents: int) -> pd.Series:
    return (df["param_set"] * n_agents if "param_set" in df else 0) + df["agent"] + 1


def to_dataframe(ds: xr.Dataset, style: str = "choice") -> pd.DataFrame:
    """One row per subject x trial with hBayesDM's column names.

    ``style="choice"`` (bandits, reversal, schedules): ``subjID``, ``trial``,
    ``choice`` (1-based), ``outcome``, plus ``rpe`` and the task's per-trial flags
    where present (``correct``; schedules ``reinforced``, ``extinction``; active
    avoidance ``avoided``, ``shocked``). ``style="gng"`` (go/no-go):
    ``subjID``, ``trialNum``, ``cue`` (1-4), ``keyPressed`` (1 go, 0 no-go),
    ``outcome``, plus ``rpe`` and ``correct``. Subjects are numbered across
    parameter sets (a ``param_set`` column is added when there are several);
    steps after a phase's stop criterion (``valid`` False) are left out. The
    two-step task has its own table (:func:`two_step_dataframe`).
    """
    check_choice("style", style, ("choice", "gng"))
    if "stage" in ds.dims:
        raise ValueError("two-step data have two stages per trial: use two_step_dataframe(ds)")
    extra = [k for k in ("rpe", "correct", "reinforced", "extinction", "avoided", "shocked") if k in ds]
    keep_vars = ["cue", "choice", "outcome", *extra] + (["valid"] if "valid" in ds else [])
    df = ds[keep_vars].to_dataframe().reset_index()
    if "valid" in df:
        df = df[df["valid"].astype(bool)].drop(columns="valid")
    df["subjID"] = _subject_ids(df, ds.sizes["agent"])
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
    keep += extra + (["param_set"] if ds.sizes.get("param_set", 1) > 1 else [])
    return df[keep].sort_values(order).reset_index(drop=True)


def two_step_dataframe(ds: xr.Dataset) -> pd.DataFrame:
    """hBayesDM's two-step columns: ``subjID``, ``trial``, ``level1_choice`` (1/2),
    ``level2_choice`` (1-4: 1/2 in the state that choice 1 commonly leads to), ``reward``."""
    if "stage" not in ds.dims or ds.sizes["stage"] != 2:
        raise ValueError("two_step_dataframe needs a two-step simulation (a 'stage' dimension of size 2)")
    first, second = ds.sel(stage=0, drop=True), ds.sel(stage=1, drop=True)
    tab = xr.Dataset({"choice1": first.choice, "state2": second.cue - 1, "choice2": second.choice,
                      "reward": second.outcome})
    df = tab.to_dataframe().reset_index()
    out = pd.DataFrame({"subjID": _subject_ids(df, ds.sizes["agent"]), "trial": df["trial"],
                        "level1_choice": df["choice1"].astype(int) + 1,
                        "level2_choice": 2 * df["state2"].astype(int) + df["choice2"].astype(int) + 1,
                        "reward": df["reward"].astype(int)})
    return out.sort_values(["subjID", "trial"]).reset_index(drop=True)


def read_table(path) -> pd.DataFrame:
    """Read a tab-separated trial table written by ``to_dataframe(ds).to_csv(path, sep="\\t", index=False)``."""
    return pd.read_csv(path, sep="\t")
