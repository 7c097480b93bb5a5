"""The probabilistic selection task (Frank, Seeberger & O'Reilly 2004, Science 306:1940).

Training: three stimulus pairs, AB (A rewarded 80%, B 20%), CD (70/30) and EF
(60/40), shuffled, with feedback. Test: every pairing of the six stimuli,
shuffled, without feedback. "Choose A" is the accuracy of choosing A in the
novel test pairs that contain it; "avoid B" of avoiding B in those that
contain B.

Stimuli are 0..5 = A..F. The observation is the pair shown (0..14: the three
training pairs, then the twelve novel pairs); action 0 chooses the pair's first
stimulus, action 1 the second. Outcome ``reward_value`` (1) on positive
feedback ("Correct!") and ``loss_value`` on negative feedback ("Incorrect"):
0 by default, as in hBayesDM's ``pst`` data; -1 codes negative feedback as a
punishment.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_count, check_range
from ..models.base import Output

__all__ = ["ProbabilisticSelection", "PAIRS", "STIMULI", "REWARD_PROB", "choose_a_avoid_b"]

#: the six stimuli, in index order
STIMULI = "ABCDEF"
#: probability that choosing each stimulus (A-F) is rewarded during training
REWARD_PROB = np.array([0.8, 0.2, 0.7, 0.3, 0.6, 0.4], np.float32)
TRAINING = [(0, 1), (2, 3), (4, 5)]
#: ``[15, 2]`` stimulus pairs: the three training pairs (AB, CD, EF), then every other pair (test)
PAIRS = np.array(TRAINING + [p for p in itertools.combinations(range(6), 2) if p not in TRAINING], np.int32)


@dataclass(frozen=True)
class ProbabilisticSelection:
    """Parameters of the probabilistic selection task."""

    training_per_pair: int = 60
    test_per_pair: int = 4
    reward_value: float = 1.0
    loss_value: float = 0.0
    name: str = "probabilistic_selection"

    def __post_init__(self) -> None:
        check_count("training_per_pair", self.training_per_pair, 1)
        check_count("test_per_pair", self.test_per_pair, 1)
        check_range("reward_value", self.reward_value)
        check_range("loss_value", self.loss_value)

    n_actions = 2
    n_states = len(PAIRS)
    pairs = PAIRS
    n_stages = 1
    n_draws = 1
    n_z = 0
    multi_step = False
    can_withhold = True  # extinction: every choice gets the negative feedback
    emits = {"correct": Output("chose the stimulus with the higher reward probability"),
             "reversed": Output("always False (no reversals)"),
             "p_reward": Output("reward probability of the two stimuli shown", dims=("action",))}

    def default_phases(self):
        """Training with feedback, then the test without feedback (Frank et al. 2004)."""
        from .phases import ChoicePhase

        return (ChoicePhase("training", self.n_training),
                ChoicePhase("test", self.n_trials - self.n_training, feedback=False))

    @property
    def n_training(self) -> int:
        return 3 * self.training_per_pair

    @property
    def n_trials(self) -> int:
        return self.n_training + len(PAIRS) * self.test_per_pair

    def init(self, key=None, xp=jnp) -> dict:
        """Shuffled training trials, then shuffled test trials (``key``: JAX key or NumPy Generator)."""
        train = np.repeat(np.arange(3, dtype=np.int32), self.training_per_pair)
        test = np.repeat(np.arange(len(PAIRS), dtype=np.int32), self.test_per_pair)
        order: Any
        if xp is jnp:
            k1, k2 = jax.random.split(key)
            order = jnp.concatenate([jax.random.permutation(k1, jnp.asarray(train)),
                                     jax.random.permutation(k2, jnp.asarray(test))])
        else:
            order = np.concatenate([key.permutation(train), key.permutation(test)])
        return {"order": order, "t": xp.zeros((), xp.int32)}

    def observe(self, state: dict):
        return state["order"][state["t"]]

    def transition(self, xp, state: dict, action, u, z=None, reinforce=True):
        pair = state["order"][state["t"]]
        stims = xp.asarray(PAIRS)[pair]
        chosen = stims[action]
        feedback = state["t"] < self.n_training
        win = (u < xp.asarray(REWARD_PROB)[chosen]) & reinforce
        reward = xp.where(feedback, xp.where(win, self.reward_value, self.loss_value), 0.0).astype(xp.float32)
        better = xp.where(xp.asarray(REWARD_PROB)[stims[0]] >= xp.asarray(REWARD_PROB)[stims[1]], 0, 1)
        info = {"correct": action == better, "reversed": xp.zeros((), bool), "feedback": feedback,
                "p": xp.asarray(REWARD_PROB)[stims]}
        return {"order": state["order"], "t": state["t"] + 1}, reward, info


def choose_a_avoid_b(ds, per_agent: bool = False) -> dict:
    """Test-phase accuracies from a simulation: ``choose_a`` (choosing A in the novel
    pairs containing A), ``avoid_b`` (not choosing B in the novel pairs containing B),
    over every agent (and per parameter set if swept: arrays along ``param_set``);
    ``per_agent``: each agent's own (a last axis along ``agent``)."""
    cue, choice = ds.cue.values, ds.choice.values.astype(int)
    novel = cue >= 3  # the novel pairs appear only in the test phase
    chosen = PAIRS[cue, choice]
    has_a, has_b = (PAIRS[cue] == 0).any(-1) & novel, (PAIRS[cue] == 1).any(-1) & novel
    axes = (cue.ndim - 1,) if per_agent else tuple(range(cue.ndim - 2, cue.ndim))  # (agent,) trial
    choose_a = ((chosen == 0) & has_a).sum(axes) / has_a.sum(axes)
    avoid_b = ((chosen != 1) & has_b).sum(axes) / has_b.sum(axes)
    return {"choose_a": choose_a, "avoid_b": avoid_b}
