"""Gymnasium environments over the package's own task definitions.

:class:`ChoiceTaskEnv` (alias ``BanditEnv``) runs a bandit, reversal, go/no-go or
probabilistic-selection task, and :class:`TwoStepEnv` the two-step task — the same
``init``/``step`` functions the batched simulator uses — behind the standard
``reset(seed=...)`` / ``step(action)`` interface, so any external agent can be
run on the task. It passes ``gymnasium.utils.env_checker.check_env``.
The environment runs the task's :meth:`~mesolimbic.tasks.bandit.Bandit.transition`
with NumPy and Gymnasium's seeded generator (the same logic as the JAX
simulator, a different random stream). Gymnasium is imported here only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as e:  # pragma: no cover - exercised only without gymnasium
    raise ImportError("mesolimbic.envs needs gymnasium: pip install gymnasium") from e

from .tasks.bandit import Bandit

__all__ = ["BanditEnv", "ChoiceTaskEnv", "TwoStepEnv", "ENV_IDS"]


class _TaskEnv(gym.Env):
    """Shared checks of the environments below."""

    metadata = {"render_modes": []}
    _state: dict | None = None  # the task's state; None until reset()

    def _check(self, action) -> None:
        if self._state is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if not self.action_space.contains(action):
            raise gym.error.InvalidAction(f"action {action!r} is not in {self.action_space}")


class ChoiceTaskEnv(_TaskEnv):
    """A choice task (bandit, reversal, go/no-go, probabilistic selection, reinforcement
    schedule, active avoidance, the two-step task) as a Gymnasium episode of
    ``task.n_trials`` trials of ``task.n_stages`` steps each.

    Observation: the cue or state shown (``Discrete(n_states)``; a bandit has one; the
    two-step task shows 0 at the first stage and 1 / 2 in the second-stage states).
    Action: ``Discrete(n_actions)``. Reward: the outcome. ``info`` carries the task's
    own per-step information (bandits: ``correct``, ``reversed``, ``p_reward``;
    schedules: ``reinforced``, ``extinction``; two-step: ``common``, ``p_reward``...).
    """

    def __init__(self, task=None):
        self.task = task if task is not None else Bandit()
        self.action_space = spaces.Discrete(self.task.n_actions)
        self.observation_space = spaces.Discrete(getattr(self.task, "n_states", 1))
        self._state = None

    def _finished(self) -> bool:
        assert self._state is not None  # after reset()
        return bool(self._state["t"] >= self.task.n_trials)

    def _obs(self) -> int:
        if self._finished():
            return 0  # after the last trial
        return int(self.task.observe(self._state))

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._state = self.task.init(self.np_random, xp=np)
        return self._obs(), {}

    def step(self, action):
        self._check(action)
        n_draws = getattr(self.task, "n_draws", 1)
        u = self.np_random.random() if n_draws == 1 else self.np_random.random(n_draws)
        n_z = getattr(self.task, "n_z", 0)
        z = self.np_random.standard_normal(n_z) if n_z else None
        self._state, outcome, info = self.task.transition(np, self._state, int(action), u, z)
        out = {("p_reward" if k == "p" else k): (np.asarray(v) if np.ndim(v) else np.asarray(v).item())
               for k, v in info.items()}
        return self._obs(), float(outcome), self._finished(), False, out


BanditEnv = ChoiceTaskEnv  # the name used for bandits


class TwoStepEnv(ChoiceTaskEnv):
    """The two-step task (Daw et al. 2011) as a Gymnasium episode: :class:`ChoiceTaskEnv`
    with :class:`~mesolimbic.tasks.two_step.TwoStep` by default. Observation 0 = first
    stage, 1 / 2 = second-stage state 0 / 1; at the first stage the action moves to a
    second-stage state (reward 0); there the action earns the outcome and the next
    trial starts."""

    def __init__(self, task=None):
        from .tasks.two_step import TwoStep

        super().__init__(task if task is not None else TwoStep())


def _task_env(task_factory: str, **kwargs):
    """An environment for one of the package's tasks, by factory name (for Gymnasium's registry)."""
    from .tasks.aversive import ActiveAvoidance
    from .tasks.bandit import Bandit, reversal_learning
    from .tasks.gonogo import GoNoGo
    from .tasks.pst import ProbabilisticSelection
    from .tasks.schedules import Schedule
    from .tasks.two_step import TwoStep

    factories: dict[str, Callable[..., Any]] = {"Bandit": Bandit, "ReversalLearning": reversal_learning, "GoNoGo": GoNoGo,
                 "ProbabilisticSelection": ProbabilisticSelection, "Schedule": Schedule,
                 "ActiveAvoidance": ActiveAvoidance, "TwoStep": TwoStep}
    return ChoiceTaskEnv(factories[task_factory](**kwargs))


#: the Gymnasium ids registered by importing this module (``gymnasium.make(id, **task_kwargs)``;
#: keyword arguments go to the task, e.g. ``gymnasium.make("mesolimbic/Schedule-v0", kind="FI", value=10)``)
ENV_IDS = tuple(f"mesolimbic/{name}-v0" for name in ("Bandit", "ReversalLearning", "GoNoGo", "ProbabilisticSelection",
                                                        "Schedule", "ActiveAvoidance", "TwoStep"))


def _register() -> None:
    for env_id in ENV_IDS:
        if env_id in gym.registry:
            continue
        name = env_id.split("/")[1][:-3]
        gym.register(id=env_id, entry_point=_partial_entry(name))


def _partial_entry(name: str):
    def make(**kwargs):
        return _task_env(name, **kwargs)

    make.__name__ = f"make_{name}"
    return make


_register()
