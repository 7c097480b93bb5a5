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

import numpy as np

try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as e:  # pragma: no cover - exercised only without gymnasium
    raise ImportError("mesolimbic.envs needs gymnasium: pip install gymnasium") from e

from .tasks.bandit import Bandit

__all__ = ["BanditEnv", "ChoiceTaskEnv", "TwoStepEnv"]


class _TaskEnv(gym.Env):
    """Shared checks of the environments below."""

    metadata = {"render_modes": []}

    def _check(self, action) -> None:
        if self._state is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if not self.action_space.contains(action):
            raise gym.error.InvalidAction(f"action {action!r} is not in {self.action_space}")


class ChoiceTaskEnv(_TaskEnv):
    """A task with one choice per trial or time step (bandit, reversal, go/no-go,
    probabilistic selection, reinforcement schedule, active avoidance) as a
    Gymnasium episode of ``task.n_trials`` trials (steps).

    Observation: the cue or state shown (``Discrete(n_states)``; a bandit has one).
    Action: ``Discrete(n_actions)``. Reward: the outcome. ``info`` carries the
    task's own per-trial information (bandits: ``correct``, ``reversed``,
    ``p_reward``; schedules: ``reinforced``, ``extinction``; ...).
    """

    def __init__(self, task=None):
        self.task = task if task is not None else Bandit()
        self.action_space = spaces.Discrete(self.task.n_actions)
        self.observation_space = spaces.Discrete(getattr(self.task, "n_states", 1))
        self._state = None

    def _obs(self) -> int:
        if self._state["t"] >= self.task.n_trials:
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
        z = self.np_random.standard_normal(self.task.n_actions) if getattr(self.task, "drift_sd", 0) > 0 else None
        self._state, outcome, info = self.task.transition(np, self._state, int(action), u, z)
        terminated = bool(self._state["t"] >= self.task.n_trials)
        out = {("p_reward" if k == "p" else k): (np.asarray(v) if np.ndim(v) else np.asarray(v).item())
               for k, v in info.items()}
        return self._obs(), float(outcome), terminated, False, out


BanditEnv = ChoiceTaskEnv  # the name used for bandits


class TwoStepEnv(_TaskEnv):
    """The two-step task (Daw et al. 2011) as a Gymnasium episode of ``task.n_trials`` trials.

    Observation ``Discrete(3)``: 0 = first stage, 1 / 2 = second-stage state 0 / 1.
    Action ``Discrete(2)``. At the first stage the action moves to a second-stage
    state (reward 0); there the action earns the outcome and the next trial
    starts. ``info`` has ``common`` (after a first-stage step) and ``p_reward``.
    The same :class:`~mesolimbic.tasks.two_step.TwoStep` logic as the batched
    simulator, with NumPy and Gymnasium's seeded generator.
    """

    def __init__(self, task=None):
        from .tasks.two_step import TwoStep

        self.task = task if task is not None else TwoStep()
        self.action_space = spaces.Discrete(2)
        self.observation_space = spaces.Discrete(3)
        self._state = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._state = self.task.init(self.np_random, xp=np)
        self._s2 = None
        return 0, {}

    def step(self, action):
        self._check(action)
        if self._s2 is None:  # first stage
            s2, common = self.task.second_stage(np, int(action), self.np_random.random())
            self._s2 = int(s2)
            return 1 + self._s2, 0.0, False, False, {"common": bool(common)}
        p_before = self._state["p"]
        self._state, reward = self.task.outcome(np, self._state, self._s2, int(action), self.np_random.random(),
                                                self.np_random.standard_normal(4))
        self._s2 = None
        terminated = bool(self._state["t"] >= self.task.n_trials)
        return 0, float(reward), terminated, False, {"p_reward": p_before}
