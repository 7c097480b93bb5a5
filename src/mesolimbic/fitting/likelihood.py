"""The likelihood of a subject's choices: the learner's own ``step`` run on the data,
with padded trials masked out (state frozen, log-probability 0)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ..models.base import Spec
from ..session import next_steps, replay_choices
from .data import ChoiceData
from .models import FitModel

__all__ = ["data_arrays", "n_stages", "spec", "trial_outputs", "subject_loglik", "per_sequence", "per_subject", "natural",
           "unconstrained", "phi_approx"]


def phi_approx(x):
    """Stan's ``Phi_approx``: ``inv_logit(0.07056 x^3 + 1.5976 x)``."""
    return jax.nn.sigmoid(0.07056 * x ** 3 + 1.5976 * x)


def natural(z, bounds):
    """Unconstrained ``z`` ``[..., P]`` to parameters in ``bounds`` ``[P, 2]`` (scaled logistic)."""
    lo, hi = bounds[:, 0], bounds[:, 1]
    return lo + (hi - lo) * jax.nn.sigmoid(z)


def unconstrained(theta, bounds):
    lo, hi = bounds[:, 0], bounds[:, 1]
    u = np.clip((np.asarray(theta, float) - lo) / (hi - lo), 1e-6, 1 - 1e-6)
    return np.log(u) - np.log1p(-u)


def n_stages(data: ChoiceData) -> int:
    """Steps per trial of the task the data come from (2 for the two-step task)."""
    return 2 if data.task == "ts" else 1


def spec(data: ChoiceData) -> Spec:
    """What the task tells the learner at init."""
    return Spec(n_actions=data.n_actions, n_states=3 if data.task == "ts" else data.n_states)


def data_arrays(model: FitModel, data: ChoiceData) -> dict:
    """The learner's inputs at every step, ``[sequence, trial, stage]`` arrays (one stage
    but for the two-step task, whose trials are a first-stage step — observation 0, the
    first choice, outcome 0 — and a second-stage step — observation 1 + state, the
    second choice, the reward — that ends the episode)."""
    if data.task != model.task:
        raise ValueError(f"model {model.name!r} fits {model.task!r} data, got {data.task!r} data")
    outcome = np.sign(data.outcome) if model.sign_outcome else data.outcome
    shape = data.choice.shape
    if data.task == "ts":
        s2 = data.extra["state2"]
        obs = np.stack([np.zeros(shape, np.int32), 1 + s2], -1).astype(np.int32)
        action = np.stack([data.choice, data.extra["choice2"]], -1).astype(np.int32)
        out = np.stack([np.zeros(shape, np.float32), outcome], -1).astype(np.float32)
        done = np.broadcast_to(np.array([False, True]), shape + (2,))
    else:
        obs, action = data.cue[..., None].astype(np.int32), data.choice[..., None].astype(np.int32)
        out, done = np.asarray(outcome, np.float32)[..., None], np.ones(shape + (1,), bool)
    st = n_stages(data)
    return {"obs": jnp.asarray(obs), "action": jnp.asarray(action), "outcome": jnp.asarray(out),
            "feedback": jnp.ones(obs.shape, bool), "done": jnp.asarray(done),
            "next_obs": jnp.asarray(next_steps(obs, st)), "next_action": jnp.asarray(next_steps(action, st))}


@functools.lru_cache(maxsize=32)
def _runner(model: FitModel, spec: Spec, keep: tuple | None):
    learner = model.learner

    def seq(p, inputs, mask):  # ChoiceData pads only at the end of a sequence: no state to freeze
        return replay_choices(learner, p, inputs, mask, spec, keep=keep, trailing_padding=True)

    return jax.vmap(seq)


def trial_outputs(model: FitModel, params: dict, data: ChoiceData, inputs: dict | None = None,
                  keep: tuple | None = None) -> dict:
    """Every output of the learner on every trial (``[sequence, trial, ...]``; with a
    ``stage`` axis after ``trial`` for the two-step task), with per-subject parameter
    arrays ``params[name]`` ``[subject]`` (or scalars). ``keep`` limits the outputs."""
    inputs = data_arrays(model, data) if inputs is None else inputs
    p = {k: per_sequence(jnp.broadcast_to(jnp.asarray(v, jnp.float32), (data.n_subjects,)), data)
         for k, v in {**model.fixed, **params}.items()}
    out = _runner(model, spec(data), keep)(p, inputs, jnp.asarray(data.mask))
    if n_stages(data) == 1:
        out = {k: v[:, :, 0] for k, v in out.items()}
    return out


def per_sequence(v, data: ChoiceData):
    """A per-subject array ``[subject]`` copied to each of the subject's sequences ``[sequence]``
    (the same array, with no gather, when every subject is one sequence)."""
    return v if data.one_sequence_each else v[jnp.asarray(data.subject)]


def per_subject(x, data: ChoiceData):
    """Sum a per-sequence array ``[..., sequence]`` over each subject's sequences, ``[..., subject]``
    (the transpose of :func:`per_sequence`; no scatter-add when every subject is one sequence)."""
    if data.one_sequence_each:
        return x
    s = jax.ops.segment_sum(jnp.moveaxis(x, -1, 0), jnp.asarray(data.subject), num_segments=data.n_subjects)
    return jnp.moveaxis(s, 0, -1)


def subject_loglik(model: FitModel, params: dict, data: ChoiceData, inputs: dict | None = None,
                   per_trial: bool = False):
    """Log-likelihood per subject ``[subject]`` (or per trial ``[sequence, trial]``, summed
    over a trial's stages, 0 on padding)."""
    lp = trial_outputs(model, params, data, inputs, keep=("log_prob",))["log_prob"]
    if lp.ndim == 3:
        lp = lp.sum(-1)
    lp = jnp.where(jnp.asarray(data.mask), lp, 0.0)
    return lp if per_trial else per_subject(lp.sum(1), data)
