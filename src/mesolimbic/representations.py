"""How the brain might code a cue over time: cue timeline -> feature vectors.

Each representation maps a cue timeline ``presence[S, C]`` (intensity of each of
C cues at each of S time steps of a trial, sampled every ``dt`` seconds) to
features ``x[S, F]``. A linear learner predicts ``V_t = w . x_t``.

* :class:`CompleteSerialCompound` — a tapped delay line: one feature per cue per
  time step since its onset (Sutton & Barto 1990; Montague, Dayan & Sejnowski
  1996; Schultz, Dayan & Montague 1997). Exact timing, no generalisation.
* :class:`Presence` — one feature per cue, on while the cue is on (the
  Rescorla–Wagner code carried into real time).
* :class:`Microstimulus` — a decaying memory trace of each cue's onset read out
  by Gaussian basis functions of the trace height, so timing gets less precise
  with elapsed time (Ludvig, Sutton & Kehoe 2008, Neural Computation 20:3034).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from ._validate import check_count, check_range

__all__ = ["Representation", "CompleteSerialCompound", "CSC", "Presence", "Microstimulus", "onsets"]


def onsets(presence: np.ndarray) -> np.ndarray:
    """``[S, C]`` boolean: True at steps where a cue turns on (0 -> >0)."""
    on = np.asarray(presence) > 0
    prev = np.concatenate([np.zeros_like(on[:1]), on[:-1]], axis=0)
    return on & ~prev


def steps_since_onset(presence: np.ndarray) -> np.ndarray:
    """``[S, C]`` steps since the most recent onset of each cue (-1 before the first)."""
    ons = onsets(presence)
    S, C = ons.shape
    out = np.full((S, C), -1, np.int64)
    last = np.full(C, -1, np.int64)
    for t in range(S):
        last = np.where(ons[t], t, last)
        out[t] = np.where(last >= 0, t - last, -1)
    return out


class Representation(ABC):
    """Base class: ``features(presence, dt) -> [S, F]`` and ``labels(cue_names, n_steps, dt)``."""

    name = "representation"

    @abstractmethod
    def n_features(self, n_cues: int, n_steps: int, dt: float) -> int:
        """Number of features F for ``n_cues`` cues over ``n_steps`` steps."""

    @abstractmethod
    def features(self, presence: np.ndarray, dt: float) -> np.ndarray:
        """``[S, C]`` cue timeline -> ``[S, F]`` features."""

    @abstractmethod
    def labels(self, cue_names: tuple[str, ...], n_steps: int, dt: float) -> list[str]:
        """One label per feature."""

    def to_dict(self) -> dict:
        return {"name": self.name, **{k: v for k, v in vars(self).items()}}


@dataclass
class CompleteSerialCompound(Representation):
    r"""Complete serial compound (tapped delay line).

    .. math:: x_{c,k}(t) = I_c \,[\,t - t^{\text{on}}_c = k\,],\quad k = 0..K-1

    One feature per cue ``c`` and delay ``k`` (steps since the cue's most recent
    onset). By default the delay line runs to the end of the trial whether or
    not the cue is still on (a memory of the onset, as in trace conditioning);
    ``until_offset=True`` silences it when the cue goes off.

    Args:
      n_delays: delay-line length K in steps; ``None`` covers the whole trial.
      until_offset: stop the delay line at cue offset.

    References: Sutton & Barto (1990); Montague, Dayan & Sejnowski (1996),
    J Neurosci 16:1936; Schultz, Dayan & Montague (1997), Science 275:1593.
    """

    n_delays: int | None = None
    until_offset: bool = False
    name = "csc"

    def __post_init__(self) -> None:
        if self.n_delays is not None:
            check_count("n_delays", self.n_delays, 1)

    def _k(self, n_steps: int) -> int:
        return n_steps if self.n_delays is None else self.n_delays

    def n_features(self, n_cues: int, n_steps: int, dt: float) -> int:
        return n_cues * self._k(n_steps)

    def features(self, presence: np.ndarray, dt: float) -> np.ndarray:
        presence = np.asarray(presence, np.float32)
        S, C = presence.shape
        K = self._k(S)
        since = steps_since_onset(presence)
        # intensity at onset carries along the delay line
        ons = onsets(presence)
        x = np.zeros((S, C, K), np.float32)
        for c in range(C):
            amp = 0.0
            for t in range(S):
                if ons[t, c]:
                    amp = presence[t, c]
                k = since[t, c]
                if 0 <= k < K and (not self.until_offset or presence[t, c] > 0):
                    x[t, c, k] = amp
        return x.reshape(S, C * K)

    def labels(self, cue_names, n_steps, dt):
        K = self._k(n_steps)
        return [f"{c}@{k * dt:.3g}s" for c in cue_names for k in range(K)]


CSC = CompleteSerialCompound


@dataclass
class Presence(Representation):
    r"""Presence code: one feature per cue, equal to its intensity while it is on.

    .. math:: x_c(t) = I_c(t)

    With a single step per trial this is the Rescorla–Wagner code; in real time
    it cannot time the US within a cue (Ludvig, Sutton & Kehoe 2008, 2012).
    """

    name = "presence"

    def n_features(self, n_cues, n_steps, dt):
        return n_cues

    def features(self, presence, dt):
        return np.asarray(presence, np.float32).copy()

    def labels(self, cue_names, n_steps, dt):
        return list(cue_names)


@dataclass
class Microstimulus(Representation):
    r"""Microstimulus representation (Ludvig, Sutton & Kehoe 2008).

    A cue onset starts a memory trace that decays exponentially,

    .. math:: y(t) = \exp(-(t - t^{\text{on}})/\tau),

    read out by ``m`` Gaussian basis functions of the trace height with centres
    evenly spaced in height, ``mu_i = i/m``, scaled by the trace itself:

    .. math:: x_i(t) = y(t)\,\frac{1}{\sqrt{2\pi}}\exp\!\Big(-\frac{(y(t)-\mu_i)^2}{2\sigma^2}\Big)

    Later microstimuli are broader in time and lower, so predictions of late
    events are less precise. ``include_presence`` adds the cue's presence
    feature, as in the paper.

    Args:
      n: number of microstimuli per cue (``m``; 10 in the paper).
      sigma: width of the basis functions in trace height (0.08 in the paper).
      tau: trace time constant in seconds. The paper sets a decay per 5-ms time
        step; the default here (0.5 s) keeps the trace informative over the 1-3 s
        intervals of the dopamine experiments. It is a modelling choice, stated.
      include_presence: add one presence feature per cue.
    """

    n: int = 10
    sigma: float = 0.08
    tau: float = 0.5
    include_presence: bool = True
    name = "microstimulus"

    def __post_init__(self) -> None:
        check_count("n (microstimuli per cue)", self.n, 1)
        check_range("sigma", self.sigma, 0.0, math.inf, low_open=True)
        check_range("tau", self.tau, 0.0, math.inf, low_open=True)

    def n_features(self, n_cues, n_steps, dt):
        return n_cues * (self.n + int(self.include_presence))

    def features(self, presence, dt):
        presence = np.asarray(presence, np.float32)
        S, C = presence.shape
        since = steps_since_onset(presence)
        y = np.where(since >= 0, np.exp(-np.maximum(since, 0) * dt / self.tau), 0.0)  # [S, C]
        mu = np.arange(1, self.n + 1) / self.n
        x = y[..., None] * np.exp(-((y[..., None] - mu) ** 2) / (2 * self.sigma**2)) / math.sqrt(2 * math.pi)
        x = np.where((since >= 0)[..., None], x, 0.0)
        if self.include_presence:
            x = np.concatenate([x, presence[..., None]], axis=-1)
        return x.reshape(S, -1).astype(np.float32)

    def labels(self, cue_names, n_steps, dt):
        per = [f"ms{i + 1}" for i in range(self.n)] + (["presence"] if self.include_presence else [])
        return [f"{c}:{p}" for c in cue_names for p in per]
