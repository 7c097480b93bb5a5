"""The session kernel: the one place where a learner is run over time.

A session is a scan over trials, and a trial a scan over its steps — the time
steps of a real-time Pavlovian trial, the two stages of a two-step trial, or
the single step of a one-shot choice. At every step a *world* hands the
learner its inputs, the learner's ``step`` runs, and the world reads what it
needs back::

    for each trial x_t:                         (lax.scan)
        for each step x_s of the trial:         (lax.scan, unrolled when short)
            p_s, inputs, w, rec = world.before(p, learner, state, w, x_s, x_t)
            new, outputs        = learner.step(p_s, state, inputs)
            state, w, rec2      = world.after(p_s, learner, state, new, w, inputs, outputs, x_s, x_t)
        record_t = world.summarise(per-step records, x_t)

Simulation, scoring (the log-likelihood of observed behaviour), regressors,
the circuit, the distributional learner and response vigour are this one
loop with different worlds:

* :class:`ReplayWorld` — inputs are given (observed choices and outcomes when
  scoring data; any input sequence). Optionally a mask freezes the learner on
  padded trials.
* :class:`PavlovianWorld` — a replay whose trials are expanded from a compiled
  Pavlovian design: trial type -> the features, US, stimulation and reset of
  every time step (real-time learners), or the cues present and the US
  (trial-level learners).
* :class:`ChoiceWorld` — the task in the loop: the learner's policy chooses,
  the task's ``transition`` answers, phases switch feedback, reinforcement
  and parameters, and a stop criterion can end a phase early.

Everything outside this module that needs a learner run over time calls
:func:`scan_session` (or :func:`run_trial` for one trial, as the exact affine
engine does to derive its maps); nothing else loops a learner.
"""

from __future__ import annotations

import inspect
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["scan_session", "run_trial", "sample_action", "ReplayWorld", "PavlovianWorld", "ChoiceWorld",
           "observe"]


# ----------------------------------------------------------------------------- the loop
def run_trial(learner, p, carry, x_t, world):
    """Run the learner over the steps of one trial. ``carry`` is ``(learner state,
    world state)``; returns the new carry and the per-step records ``[steps, ...]``.

    A short trial (``world.unroll`` true: a one-step choice, the two stages of a two-step
    trial) is unrolled in Python, and each step's inputs carry its index as a plain int
    (``inputs["stage"]``), so a learner whose stages differ (the hybrid two-step learner)
    computes only its stage's update; longer trials (the time steps of a Pavlovian trial)
    are a ``lax.scan``."""

    def step(c, x_s, stage=None):
        state, w = c
        if stage is not None and "stage" in x_s:  # the world sees its step's index as a plain int too
            x_s = {**x_s, "stage": stage}
        p_s, inputs, w, rec = world.before(p, learner, state, w, x_s, x_t)
        if stage is not None:
            inputs = {**inputs, "stage": stage}
        new, out = learner.step(p_s, state, inputs)
        # the state keeps its dtypes (float32 by default, float64 in precision="float64")
        new = jax.tree_util.tree_map(lambda a, b: jnp.asarray(a).astype(b.dtype), new, state)
        new, w, rec2 = world.after(p_s, learner, state, new, w, inputs, out, x_s, x_t)
        return (new, w), {**rec, **out, **rec2}

    steps = world.expand(x_t)
    if world.unroll is not True:
        return jax.lax.scan(step, carry, steps, unroll=world.unroll)
    n = jax.tree_util.tree_leaves(steps)[0].shape[0]
    recs = []
    for k in range(n):
        carry, r = step(carry, jax.tree_util.tree_map(lambda a: a[k], steps), k)  # noqa: B023 - used in this iteration
        recs.append(r)
    return carry, jax.tree_util.tree_map(lambda *a: jnp.stack(a), *recs)


def scan_session(learner, p, carry, xs, world, record_state: bool = False):
    """Run the learner over every trial of ``xs`` (leading axis: trials). Returns the
    final ``(learner state, world state)`` and the per-trial records; with
    ``record_state``, also the learner's state after each trial (``"state"``)."""

    def trial(c, x_t):
        c, recs = run_trial(learner, p, c, x_t, world)
        rec = world.summarise(recs, x_t, c)
        if record_state:
            rec = dict(rec, state=c[0])
        return c, rec

    return jax.lax.scan(trial, carry, xs)


def sample_action(logp: jax.Array, u: jax.Array) -> jax.Array:
    """An action drawn from ``exp(logp)`` by inverting the CDF at the uniform ``u``."""
    p = jnp.exp(logp)
    if p.shape[-1] == 2:  # the common case, without a cumulative sum (slow under vmap on CPU)
        return (u > p[0]).astype(jnp.int32)
    return jnp.sum(u > jnp.cumsum(p)[:-1]).astype(jnp.int32)


def observe(task, ts, stage: int | None = None):
    """The task's observation of its state (0 for tasks with a single state). With
    ``stage`` (a plain int) a task whose ``observe`` takes it may answer with a plain
    int where the stage fixes the observation (the two-step task's first stage)."""
    if not hasattr(task, "observe"):
        return jnp.zeros((), jnp.int32)
    o = task.observe(ts, stage=stage) if stage is not None and _takes_stage(task.observe) else task.observe(ts)
    return o if isinstance(o, int) else jnp.asarray(o, jnp.int32)


def _takes_stage(fn) -> bool:
    """Whether ``fn`` (a task's ``observe``/``transition``, a learner's ``policy``) takes
    the ``stage`` keyword: the kernel then tells it which step of the trial this is."""
    try:
        return "stage" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _freeze(keep, new, old):
    """``new`` where ``keep`` else ``old``, leaf by leaf."""
    return jax.tree_util.tree_map(lambda a, b: jnp.where(keep, a, b), new, old)


# ----------------------------------------------------------------------------- worlds
class ReplayWorld:
    """Inputs given step by step: ``x_t`` holds, per trial, arrays with a leading
    axis over the trial's steps; every field but ``mask`` and ``phase`` is handed to
    the learner.

    ``mask`` (per trial, optional) freezes the learner state where False (padded
    trials, or steps after a phase's stop criterion). ``phase`` (per trial, with
    ``phases``) applies the phase's parameter values, as in the simulation.
    ``static`` inputs are added to every step. ``keep`` limits the recorded
    outputs (None: all)."""

    def __init__(self, n_steps: int = 1, static: dict | None = None, keep: tuple[str, ...] | None = None,
                 phases=None):
        self.unroll = True if n_steps <= 4 else 1
        self.static = dict(static or {})
        self.keep = keep
        self.phases = phases

    def expand(self, x_t):
        return {k: v for k, v in x_t.items() if k not in ("mask", "phase")}

    def before(self, p, learner, state, w, x_s, x_t):
        if self.phases is not None:
            p = self.phases.params(p, x_t["phase"])
        return p, {**self.static, **x_s}, w, {}

    def after(self, p, learner, old, new, w, inputs, out, x_s, x_t):
        if "mask" in x_t:
            new = _freeze(x_t["mask"], new, old)
        return new, w, {}

    def summarise(self, recs, x_t, carry):
        return recs if self.keep is None else {k: recs[k] for k in self.keep}


class PavlovianWorld(ReplayWorld):
    """A compiled Pavlovian design, trial by trial.

    Real-time learners (``level == "step"``) get, at each of the ``S`` time steps
    and one terminal step (the return to the inter-trial state, ``x = 0``): ``x``
    (features), ``r`` (the US scaled by the magnitude delivered), ``stim``
    (stimulation added to the error), ``reset`` (the state before is the ITI).
    Trial-level learners get one step with ``x`` (the cues present) and ``r``.
    Per-trial inputs of ``x_t`` other than ``type`` and ``rho`` (e.g. the circuit's
    physiological state) and the ``static`` inputs reach every step.

    Records per trial: ``<output>_cs`` (at the first cue onset), ``<output>_us``
    (at the time the US is due) and ``value_pre_us`` (one step before), NaN where
    the trial has no such time; with ``record_steps`` every output at every step.
    """

    def __init__(self, level: str, feats, events, rows, static: dict | None = None, record_steps: bool = False,
                 summarise_keys: tuple[str, ...] = ()):
        self.level = level
        self.feats, self.events, self.rows = feats, events, rows  # [K, S, F]; [K, 3, S]; (idx [K, 3], ok [K, 3])
        self.static = dict(static or {})
        self.record_steps = record_steps
        self.summarise_keys = summarise_keys
        self.unroll = True if level == "trial" else 1

    def expand(self, x_t):
        ty, rho = x_t["type"], x_t["rho"]
        if self.level == "trial":
            return {"x": self.feats[ty][None], "r": rho[None]}
        x, ev = self.feats[ty], self.events[ty]
        F = x.shape[-1]
        zero = jnp.zeros(1, x.dtype)
        return {"x": jnp.concatenate([x, jnp.zeros((1, F), x.dtype)]),
                "r": jnp.concatenate([ev[0] * rho, zero]),
                "stim": jnp.concatenate([ev[1], zero]),
                "reset": jnp.concatenate([ev[2] > 0, jnp.zeros(1, bool)])}

    def before(self, p, learner, state, w, x_s, x_t):
        extra = {k: v for k, v in x_t.items() if k not in ("type", "rho")}
        return p, {**self.static, **extra, **x_s}, w, {}

    def after(self, p, learner, old, new, w, inputs, out, x_s, x_t):
        return new, w, {}

    def summarise(self, recs, x_t, carry):
        if self.level == "trial":
            return {k: v[0] for k, v in recs.items()}
        S = self.feats.shape[1]
        recs = {k: v[:S] for k, v in recs.items()}  # drop the terminal step
        idx, ok = self.rows[0][x_t["type"]], self.rows[1][x_t["type"]]  # [3]: cs, us, us - 1
        out = {}
        for k in self.summarise_keys:
            v = recs[k]
            out[f"{k}_cs"] = jnp.where(ok[0], v[idx[0]], jnp.nan)
            out[f"{k}_us"] = jnp.where(ok[1], v[idx[1]], jnp.nan)
        if "value" in recs:
            out["value_pre_us"] = jnp.where(ok[2], recs["value"][idx[2]], jnp.nan)
        if self.record_steps:
            out.update(recs)
        return out


class ChoiceWorld:
    """A choice task in the loop (simulation).

    ``x_t`` per trial: ``u`` ``[stages, 1 + n_draws]`` uniforms (the choice, then the
    task's draws), ``z`` ``[n_z]`` normals (random walks; drawn once per trial and
    seen by every stage), ``phase`` (index) and ``start`` (the trial opens its
    phase). At each step the task shows ``obs``; the action is drawn from the
    learner's policy (a SARSA-type learner takes the action drawn at the step
    before, and draws the next one *before* its update, or after it when the
    episode ended); the task's ``transition`` gives the outcome, ``done`` and
    ``feedback``; the phase may withhold feedback or reinforcement and override
    parameters; a stop criterion (a streak of ``until`` events over episodes) ends
    a phase early, after which the learner and the task are frozen and the steps
    are recorded as not ``valid``. Records declared with a ``stage`` (``per_trial``:
    quantities of the trial) are kept from that stage only.

    When the trial is unrolled (at most four stages) each step knows its stage as a
    plain int, and a task's ``observe``/``transition`` or a learner's ``policy`` that
    take a ``stage`` keyword are told it, so they compute only that stage's case
    (the two-step task: the transition or the reward; the hybrid learner: one
    stage's policy). The stage after the last is the next trial's first.
    """

    def __init__(self, task, phases, sarsa: bool, n_stages: int, learner=None, per_trial: dict | None = None):
        self.task, self.phases, self.sarsa, self.n_stages = task, phases, sarsa, n_stages
        self.per_trial = dict(per_trial or {})  # {record: the stage it is kept from} (Output.stage)
        self.n_draws = getattr(task, "n_draws", 1)
        self.unroll = True if n_stages <= 4 else 1
        self.task_staged = _takes_stage(task.transition)
        self.policy_staged = learner is not None and _takes_stage(learner.policy)

    def expand(self, x_t):
        return {"u": x_t["u"], "stage": jnp.arange(self.n_stages)}

    def policy(self, learner, p, state, obs, stage):
        """The learner's log-probabilities at ``obs`` (told the stage where it can use it)."""
        if self.policy_staged and isinstance(stage, int):
            return learner.policy(p, state, obs, stage=stage)
        return learner.policy(p, state, obs)

    def before(self, p, learner, state, w, x_s, x_t):
        task, ph, stage = self.task, x_t["phase"], x_s["stage"]
        known = isinstance(stage, int)
        nxt = (stage + 1) % self.n_stages if known else None
        p_s = self.phases.params(p, ph)
        if self.phases.has_stop:  # a new phase starts afresh
            new_phase = x_t["start"] & (stage == 0)
            w = dict(w, stopped=w["stopped"] & ~new_phase, streak=jnp.where(new_phase, 0, w["streak"]),
                     hit=w["hit"] & ~new_phase)
        ts = w["task"]
        obs = observe(task, ts, stage if known else None)
        u0 = x_s["u"][0]
        action = w["next"] if self.sarsa else sample_action(self.policy(learner, p_s, state, obs, stage), u0)
        u_task = x_s["u"][1] if self.n_draws == 1 else x_s["u"][1:]
        kw = {"stage": stage} if known and self.task_staged else {}
        ts2, outcome, info = task.transition(jnp, ts, action, u_task, x_t.get("z"),
                                             reinforce=self.phases.flag("reinforce", ph), **kw)
        info = dict(info)
        done = info.pop("done", True)  # a plain bool where the stage fixes it (the two-step task's stages)
        static_done = done if isinstance(done, bool) else None
        done = jnp.asarray(done)
        feedback = jnp.asarray(info.pop("feedback", True)) & self.phases.flag("feedback", ph)
        if "p" in info:
            info["p_reward"] = info.pop("p")
        next_obs = observe(task, ts2, nxt)
        inputs = {"obs": obs, "action": action, "outcome": outcome, "feedback": feedback, "next_obs": next_obs,
                  "done": done}
        if self.sarsa and static_done is True:  # the episode ends: the next episode's first action is drawn
            inputs["next_action"] = jnp.zeros((), jnp.int32)  # after the update (below); unused by the update
        elif self.sarsa:  # SARSA: the next action is chosen before the update (Sutton & Barto 2018, §6.4)
            inputs["next_action"] = sample_action(self.policy(learner, p_s, state, next_obs, nxt), u0)
        rec = {"cue": jnp.asarray(obs, jnp.int32), "choice": action, "outcome": outcome, "feedback": feedback,
               "done": done, **info}
        w = dict(w, task_next=ts2, next_stage=nxt, static_done=static_done)
        if self.phases.has_stop:
            w["event"] = self.phases.event(rec, ph)
        return p_s, inputs, w, rec

    def after(self, p, learner, old, new, w, inputs, out, x_s, x_t):
        ts_new, nxt, static_done = w.pop("task_next"), w.pop("next_stage"), w.pop("static_done")
        rec = {}
        if self.sarsa and static_done is False:  # the episode goes on: the action drawn before the update
            w["next"] = inputs["next_action"]
        elif self.sarsa:
            # at an episode's end the next episode's first action comes from the updated values
            post = sample_action(self.policy(learner, p, new, inputs["next_obs"], nxt), x_s["u"][0])
            w["next"] = post if static_done is True else jnp.where(inputs["done"], post, inputs["next_action"])
        if self.phases.has_stop:
            active = ~w["stopped"]
            new = _freeze(active, new, old)
            ts_new = _freeze(active, ts_new, w["task"])
            if self.sarsa:
                w["next"] = jnp.where(active, w["next"], inputs["action"])
            hit = w["hit"] | (w.pop("event") & active)
            ended = inputs["done"] & active
            streak = jnp.where(ended, jnp.where(hit, w["streak"] + 1, 0), w["streak"])
            w.update(hit=jnp.where(ended, False, hit), streak=streak,
                     stopped=w["stopped"] | (ended & (streak >= self.phases.limit[x_t["phase"]])))
            rec["valid"] = active
        w["task"] = ts_new
        return new, w, rec

    def summarise(self, recs, x_t, carry):
        return {k: (v[self.per_trial[k]] if k in self.per_trial else v) for k, v in recs.items()}


def choice_world_state(task, key_task, first_action=None, has_stop=False) -> dict:
    """The world state at the start of a session."""
    w: dict[str, Any] = {"task": task.init(key_task)}
    if first_action is not None:
        w["next"] = first_action
    if has_stop:
        w.update(stopped=jnp.zeros((), bool), streak=jnp.zeros((), jnp.int32), hit=jnp.zeros((), bool))
    return w
