"""The likelihood of a subject's choices: the learner's own ``step`` run on the data,
with padded trials masked out (state frozen, log-probability 0)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ..models import HybridTwoStep
from .data import ChoiceData
from .models import FitModel

__all__ = ["data_arrays", "trial_outputs", "subject_loglik", "per_sequence", "per_subject", "natural",
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


def data_arrays(model: FitModel, data: ChoiceData) -> dict:
    """The per-trial inputs of the learner's step, ``[sequence, trial]`` arrays."""
    if data.task != model.task:
        raise ValueError(f"model {model.name!r} fits {model.task!r} data, got {data.task!r} data")
    outcome = np.sign(data.outcome) if model.sign_outcome else data.outcome
    if isinstance(model.learner, HybridTwoStep):
        return {"a1": jnp.asarray(data.choice), "s2": jnp.asarray(data.extra["state2"]),
                "a2": jnp.asarray(data.extra["choice2"]), "reward": jnp.asarray(outcome, jnp.float32)}
    return {"action": jnp.asarray(data.choice), "outcome": jnp.asarray(outcome, jnp.float32),
            "obs": jnp.asarray(data.cue)}


@functools.lru_cache(maxsize=32)
def _runner(model: FitModel, n_actions: int, n_states: int):
    learner = model.learner
    two_step = isinstance(learner, HybridTwoStep)

    def seq(p, inputs, mask):
        s0 = learner.init(p) if two_step else learner.init(p, n_actions, n_states)

        def body(s, inp):
            i, m = inp
            s2, out = learner.step(p, s, i)
            return jax.tree_util.tree_map(lambda a, b: jnp.where(m, a, b), s2, s), out

        return jax.lax.scan(body, s0, (inputs, mask))[1]

    return jax.vmap(seq)


def trial_outputs(model: FitModel, params: dict, data: ChoiceData, inputs: dict | None = None) -> dict:
    """Every output of the learner on every trial (``[sequence, trial, ...]``), with
    per-subject parameter arrays ``params[name]`` ``[subject]`` (or scalars)."""
    inputs = data_arrays(model, data) if inputs is None else inputs
    p = {k: per_sequence(jnp.broadcast_to(jnp.asarray(v, jnp.float32), (data.n_subjects,)), data)
         for k, v in {**model.fixed, **params}.items()}
    return _runner(model, data.n_actions, data.n_states)(p, inputs, jnp.asarray(data.mask))


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
    """Log-likelihood per subject ``[subject]`` (or per trial ``[sequence, trial]``, 0 on padding)."""
    out = trial_outputs(model, params, data, inputs)
    lp = jnp.where(jnp.asarray(data.mask), out["log_prob"], 0.0)
    return lp if per_trial else per_subject(lp.sum(1), data)
