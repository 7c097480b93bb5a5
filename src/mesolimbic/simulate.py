"""The one simulation call: any task x any learner x parameter sets x agents -> ``xarray.Dataset``.

:func:`simulate` pairs a task with a learner in a :class:`~mesolimbic.session.Session`
(refusing pairs that cannot work, with an error naming both) and runs the one
session kernel (:mod:`mesolimbic.kernel`): agents and parameter sets are
``vmap``-ed, trials and their steps ``lax.scan``-ned, and the whole run compiled
once with ``jax.jit``. There is no Python loop over agents, trials or time steps.

For real-time Pavlovian learners two engines run the *same* ``step``:

``"step"``
    the session kernel: the learner's ``step`` at every time step of every trial.
    Works for every learner.
``"affine"``
    for learners that declare ``linear = True`` (e.g. :class:`~mesolimbic.models.TD`):
    the exact affine map of a whole trial, derived from the learner's own step
    (:mod:`mesolimbic.affine`); TD(lambda) then costs the same as TD(0). It agrees
    with ``"step"`` to float precision (tested).

``engine="auto"`` picks ``"affine"`` when the learner allows it. Agents with the
same index see the same trial sequence and reward draws in every parameter set
(common random numbers), so differences across a sweep come from the
parameters alone.
"""

from __future__ import annotations

import itertools
from typing import Any
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from .models.base import Model
from .representations import Representation
from .session import Session

__all__ = ["simulate", "sweep"]


def sweep(**grid: Sequence[float]) -> dict[str, np.ndarray]:
    """Cartesian product of parameter values, as equal-length arrays for :func:`simulate`.

    ``sweep(alpha=[0.1, 0.2], lam=[0, 0.9])`` gives 4 parameter sets:

    >>> from mesolimbic.simulate import sweep
    >>> grid = sweep(alpha=[0.1, 0.2], lam=[0, 0.9])
    >>> grid["alpha"], grid["lam"]
    (array([0.1, 0.1, 0.2, 0.2]), array([0. , 0.9, 0. , 0.9]))
    """
    names = list(grid)
    combos = list(itertools.product(*(np.atleast_1d(np.asarray(grid[n], float)) for n in names)))
    return {n: np.array([c[i] for c in combos]) for i, n in enumerate(names)}


def simulate(
    task,
    model: Model,
    params: Mapping[str, Any] | None = None,
    *,
    representation: Representation | None = None,
    n_agents: int = 1,
    seed: int = 0,
    record=None,
    engine: str = "auto",
    precision: str = "float32",
    client=None,
    store=None,
    shard: Mapping[str, int] | None = None,
    progress: bool = False,
) -> xr.Dataset:
    """Simulate ``n_agents`` agents per parameter set of ``model`` on ``task``.

    Args:
      task: a :class:`~mesolimbic.tasks.PavlovianDesign` (for Pavlovian learners:
        ``models.TD()``, ``models.RescorlaWagner()``, ``circuit.Circuit()``, ...), or
        a choice task — a bandit, reversal, go/no-go, probabilistic-selection,
        two-step, schedule or avoidance task, optionally in phases
        (:class:`~mesolimbic.tasks.phases.ChoiceDesign`) — for choice learners.
      model: the learner.
      params: parameter values; omitted ones take the model's defaults. A value
        that is a 1-D sequence sweeps it: all swept parameters must have the same
        length M (use :func:`sweep` for a grid), and the values become
        coordinates on ``param_set``.
      representation: feature code for real-time Pavlovian learners (default:
        complete serial compound). Ignored by trial-level learners.
      n_agents: agents per parameter set.
      seed: seed of every random draw (trial order, rewards, ITIs, choices).
      record: what to keep — ``"steps"`` (Pavlovian default: every output at every
        time step, plus the per-trial summaries), ``"trials"`` (per-trial
        summaries only, so large runs need little memory; the default for choice
        tasks, which record every choice step), ``"state"`` (the learner's state
        after every trial, as ``state_<key>``), or a tuple of them.
      engine: ``"auto"``, ``"step"`` or ``"affine"`` (see the module docstring).
      precision: ``"float32"`` (default, fast) or ``"float64"`` (JAX x64, for exact
        comparisons with closed forms).
      client: run the sweep in shards on a Dask cluster: a ``distributed.Client`` or a
        scheduler address (:mod:`mesolimbic.sweeps`; needs the ``dask`` extra). Default:
        one call in this process.
      store: a Zarr store path (visible to the workers) to write the result into, shard by
        shard as they finish; the Dataset then comes back lazily (dask-backed), so a sweep
        larger than memory completes. With neither ``client`` nor ``store`` (nor
        ``shard``) the run is the single in-process call it always was.
      shard: block sizes ``{"param_set": ..., "agent": ...}`` (default: sized to
        ``MESOLIMBIC_SHARD_BYTES``, 256 MiB).
      progress: show a progress bar over the shards (sharded runs only).

    Returns:
      An ``xarray.Dataset`` over ``param_set`` x ``agent`` x ``trial`` (and
      ``time``, ``stage``, ``action``, ``feature``, ``cue`` as recorded), built by
      :func:`mesolimbic.results.result_dataset`: the swept values on ``param_set``;
      ``trial_type``, ``reward``, ``iti`` per agent and trial (Pavlovian) or the
      cue, choice, outcome, feedback and the learner's outputs per step (choice
      tasks); attrs with the model and its options, the parameters, the task or
      design, the representation, the seed, the precision and the package version.
      Per-trial summaries of a real-time learner: ``<output>_cs`` (at the first cue
      onset), ``<output>_us`` (at the time the US is due) and ``value_pre_us`` (one
      step before it: the learned prediction of the US).
    """
    if client is not None or store is not None or shard is not None:
        from .sweeps import simulate_sharded

        return simulate_sharded(task, model, params, representation=representation, n_agents=n_agents, seed=seed,
                                record=record, engine=engine, precision=precision, client=client, store=store,
                                shard=shard, progress=progress)
    return Session(task, model, representation).simulate(params, n_agents=n_agents, seed=seed, record=record,
                                                          engine=engine, precision=precision)
