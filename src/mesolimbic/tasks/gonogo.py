"""The orthogonalised go/no-go task (Guitart-Masip et al. 2012, NeuroImage 62:154).

Four cues cross action (go / no-go) with valence (win / avoid losing). The
correct action yields the favourable outcome with probability ``p_correct``
(0.8) and the incorrect one with ``1 - p_correct``: +1 or 0 for win cues, 0 or
-1 for avoid cues. Cue order is shuffled per session.

Cue coding follows hBayesDM's gng data (1-based there, 0-based here):
0 go-to-win, 1 no-go-to-win, 2 go-to-avoid, 3 no-go-to-avoid. Actions: 0 no-go,
1 go (hBayesDM ``keyPressed``).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_count, check_range
from ..models.base import Output

__all__ = ["GoNoGo", "CUES"]

#: the four trial types (cues) of the orthogonalised go/no-go task, in cue-index order
CUES = ("go_to_win", "nogo_to_win", "go_to_avoid", "nogo_to_avoid")
_GO = np.array([1, 0, 1, 0])  # correct action per cue
_WIN = np.array([1, 1, 0, 0])  # win (1) or avoid-losing (0) cue


@dataclass(frozen=True)
class GoNoGo:
    """Parameters of the orthogonalised go/no-go task."""

    trials_per_cue: int = 60
    p_correct: float = 0.8
    name: str = "gonogo"

    def __post_init__(self) -> None:
        check_count("trials_per_cue", self.trials_per_cue, 1)
        check_range("p_correct", self.p_correct, 0.0, 1.0)

    @property
    def n_trials(self) -> int:
        return 4 * self.trials_per_cue

    n_actions = 2
    n_states = 4
    n_stages = 1
    n_draws = 1
    n_z = 0
    multi_step = False
    can_withhold = True  # extinction: every outcome is 0
    emits = {"correct": Output("the action was the correct one for the cue"),
             "reversed": Output("always False (no reversals)"),
             "p_reward": Output("probability of the favourable outcome after a correct / incorrect action",
                                dims=("action",))}

    def init(self, key=None, xp=jnp) -> dict:
        """Start of a session: a shuffled cue order (``key``: a JAX key, or a NumPy Generator)."""
        base = np.repeat(np.arange(4, dtype=np.int32), self.trials_per_cue)
        order = jax.random.permutation(key, jnp.asarray(base)) if xp is jnp else key.permutation(base)
        return {"order": order, "t": xp.zeros((), xp.int32)}

    def observe(self, state: dict):
        """The cue shown on the current trial."""
        return state["order"][state["t"]]

    def transition(self, xp, state: dict, action, u, z=None, reinforce=True):
        """Outcome of ``action`` to the current cue given the uniform draw ``u``
        (``reinforce=False``: extinction, every outcome 0)."""
        cue = state["order"][state["t"]]
        correct = action == xp.asarray(_GO)[cue]
        favourable = xp.where(correct, u < self.p_correct, u >= self.p_correct)
        win_cue = xp.asarray(_WIN)[cue] == 1
        outcome = xp.where(win_cue, xp.where(favourable, 1.0, 0.0), xp.where(favourable, 0.0, -1.0))
        outcome = xp.where(reinforce, outcome, 0.0)
        new = {"order": state["order"], "t": state["t"] + 1}
        return new, outcome.astype(xp.float32), {"correct": correct, "reversed": xp.zeros((), bool),
                                                 "p": xp.asarray([self.p_correct, self.p_correct], xp.float32)}
