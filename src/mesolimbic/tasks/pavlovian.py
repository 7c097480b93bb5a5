"""Pavlovian (classical conditioning) designs, declared in a few lines and compiled to arrays.

A design is made of

* **trial types** — which cues come on when (onset, duration, in seconds from
  the reference time 0, conventionally CS onset), when the unconditioned
  stimulus (US, the reward) is due, its magnitude and the probability it is
  delivered;
* **phases** — how many trials of each type, either in the order given
  (``order="sequential"``, blocked) or shuffled anew for every agent
  (``order="random"``, interleaved);
* a time grid — the trial window ``(t_start, t_end)`` and the step ``dt``;
* the inter-trial interval ``iti`` (fixed, or a ``(low, high)`` range drawn
  uniformly per trial). Models treat the ITI as an episode boundary: its
  features are zero (the next CS onset is unpredictable), so the value of the
  ITI state is 0, as in Montague, Dayan & Sejnowski (1996) and Schultz, Dayan &
  Montague (1997). Its length is recorded (``iti`` variable) for readouts.

Acquisition, extinction (a phase where the CS comes with ``probability=0``),
omission probes (interleaved ``probability=0`` trials), free (unpredicted)
reward (a trial type without cues), compound cues (several cues in one trial
type) and probabilistic reward (``0 < probability < 1``) are all a matter of
declaring trial types and phases::

    design = PavlovianDesign(
        trial_types=[
            TrialType("paired", cues=["light"], us_time=1.0),
            TrialType("omission", cues=["light"], us_time=1.0, probability=0.0),
            TrialType("free_reward", us_time=1.0),
        ],
        phases=[
            Phase("training", {"paired": 150}),
            Phase("probe", {"paired": 20, "omission": 15, "free_reward": 15}, order="random"),
        ],
        dt=0.1, window=(-1.0, 2.0),
    )
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from collections.abc import Mapping, Sequence



import numpy as np

from .._validate import check_choice, check_count, check_range

__all__ = ["Cue", "TrialType", "Phase", "PavlovianDesign", "CompiledDesign"]


@dataclass(frozen=True)
class Cue:
    """One cue presentation within a trial type.

    Args:
      name: the cue's name (the same name in several trial types is the same cue).
      onset: seconds from the reference time 0 (conventionally CS onset).
      duration: seconds the cue stays on; ``None`` keeps it on until the end of
        the trial window.
      intensity: feature amplitude while the cue is on (1 by default).
    """

    name: str
    onset: float = 0.0
    duration: float | None = None
    intensity: float = 1.0


@dataclass(frozen=True)
class TrialType:
    """A kind of trial: the cues shown and the US that follows.

    Args:
      name: unique name of the trial type.
      cues: cues shown, as :class:`Cue` or plain names (onset 0, on until the end).
      us_time: seconds from time 0 at which the US is due; ``None`` for no US
        (CS-alone trials). Omission probes keep ``us_time`` and set
        ``probability=0`` so the time at which reward was due is known.
      magnitude: size of the US (negative for an aversive US).
      probability: chance the US is delivered on a trial of this type.
      stimulation: ``(time, size)`` pairs: phasic dopamine added to the RPE at
        that time, as by optogenetic stimulation (size > 0) or inhibition
        (size < 0) of VTA dopamine neurons (Steinberg et al. 2013). Applied on
        every trial of the type.
      reset_after_us: end the trial's state at the US: after the US step the cue
        representation is silent and the agent is in the inter-trial state (V = 0,
        traces cleared), so a reward that comes early is not followed by a dip at
        the habitual time (the "trial-state reset" option of Hollerman & Schultz
        1998 models; Suri & Schultz 1999).
    """

    name: str
    cues: Sequence[Cue | str] = ()
    us_time: float | None = None
    magnitude: float = 1.0
    probability: float = 1.0
    stimulation: Sequence[tuple[float, float]] = ()
    reset_after_us: bool = False

    def cue_list(self) -> tuple[Cue, ...]:
        return tuple(Cue(c) if isinstance(c, str) else c for c in self.cues)


@dataclass(frozen=True)
class Phase:
    """A block of trials.

    Args:
      name: phase name (recorded per trial in the results).
      trials: mapping trial-type name -> number of trials.
      order: ``"sequential"`` presents the types in the order given, one block
        after the other; ``"random"`` shuffles the phase's trials anew for each
        agent (the usual interleaving of probe trials). Not given: sequential —
        with a warning when the phase has several trial types, since
        :meth:`PavlovianDesign.from_notation` interleaves those by default.
    """

    name: str
    trials: Mapping[str, int]
    order: str | None = None

    def __post_init__(self) -> None:
        if self.order is None:
            if len(self.trials) > 1:
                import warnings

                warnings.warn(f"phase {self.name!r} has {len(self.trials)} trial types and no order: they run in "
                              f"blocks, one type after the other (order='sequential'); from_notation interleaves "
                              f"them — pass order='random' for that, or order='sequential' to silence this",
                              UserWarning, stacklevel=3)
            object.__setattr__(self, "order", "sequential")

    @property
    def n_trials(self) -> int:
        return int(sum(self.trials.values()))


@dataclass(frozen=True)
class PavlovianDesign:
    """A complete Pavlovian design (see the module docstring)."""

    trial_types: Sequence[TrialType]
    phases: Sequence[Phase]
    dt: float = 0.1
    window: tuple[float, float] = (-1.0, 2.0)
    iti: float | tuple[float, float] = 10.0
    name: str = "pavlovian"

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------- notation
    @classmethod
    def from_notation(
        cls,
        phases: Sequence[tuple],
        *,
        us_time: float = 1.0,
        dt: float = 0.2,
        magnitude: float = 1.0,
        iti: float | tuple[float, float] = 10.0,
        name: str = "pavlovian",
    ) -> PavlovianDesign:
        """Build a design from the field's shorthand.

        ``phases`` is a sequence of ``(phase_name, {trial: count})`` or
        ``(phase_name, {trial: count}, order)``; ``order`` defaults to
        ``"random"`` (interleaved) when a phase has several trial types.
        A trial is written as cues then outcome:

        * ``"A+"`` cue A reinforced; ``"AB-"`` compound of A and B, not reinforced;
        * ``"A+0.25"`` reinforced with probability 0.25;
        * ``"B>A-"`` serial compound: B, then A when B ends, then the (omitted) US.

        Every cue (one letter each) comes on at its onset and stays on until the
        next element; the US is due ``us_time`` seconds after the last element's
        onset. Example, Kamin blocking::

            PavlovianDesign.from_notation([("pretraining", {"A+": 20}),
                                           ("compound", {"AB+": 20}),
                                           ("test", {"B-": 1})])
        """
        trial_types: dict[str, TrialType] = {}
        phase_objs = []
        longest = 1
        for spec in phases:
            if len(spec) not in (2, 3):
                raise ValueError(f"a phase is (name, {{trial: count}}) or (name, {{trial: count}}, order), got {spec!r}")
            pname, trials = spec[0], spec[1]
            for label in trials:
                if label not in trial_types:
                    trial_types[label] = _parse_trial(label, us_time, magnitude)
                    longest = max(longest, label.count(">") + 1)
            order = spec[2] if len(spec) == 3 else ("random" if len(trials) > 1 else "sequential")
            phase_objs.append(Phase(pname, dict(trials), order))
        window = (-2 * dt, longest * us_time + 3 * dt)
        return cls(list(trial_types.values()), phase_objs, dt=dt, window=window, iti=iti, name=name)

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Check every field against the time grid; raise a one-line ``ValueError`` naming the field.

        The grid has ``n_steps = round((end - start) / dt)`` steps at ``start + k dt``; an event
        (a cue onset, the US, a stimulation) happens at the step its time rounds to, which must
        be one of them — else a US at 1.96 s in a ``(-1, 2)`` window with ``dt = 0.1`` would
        index step 30 of 30, and a cue there would never be shown. ``window`` and ``iti`` may
        be given as any pair (list, tuple, array) and are stored as tuples of floats.
        """
        dt = float(check_range("dt", _number("dt", self.dt), 0.0, math.inf, low_open=True))
        window = _pair("window", self.window, "(start, end) in seconds")
        t0, t1 = window
        if not t1 > t0:
            raise ValueError(f"window must be (start, end) with end > start, got {self.window!r}")
        steps = (t1 - t0) / dt
        if not round(steps) >= 1:
            raise ValueError(f"dt = {dt:g} s is longer than the window {window}: the trial would have no time step; "
                             f"use a dt of at most {t1 - t0:g} s")
        from .._memory import check_memory

        types = self.trial_types if _is_seq(self.trial_types) else ()
        n_cues = sum(len(_cue_names(tt)) for tt in types)  # an upper bound on the distinct cues
        check_memory(8 * round(steps) * (n_cues + 4) * max(len(types), 1),
                     f"the time grid of {round(steps)} steps (window {window}, dt {dt:g} s)")
        object.__setattr__(self, "dt", dt)
        object.__setattr__(self, "window", window)
        if isinstance(self.iti, (int, float, np.integer, np.floating)) and not isinstance(self.iti, (bool, np.bool_)):
            check_range("iti", self.iti, 0.0)
            object.__setattr__(self, "iti", float(self.iti))
        else:
            lo, hi = _pair("iti", self.iti, "a number of seconds or a (low, high) range")
            check_range("iti low", lo, 0.0)
            check_range("iti high", hi, lo)
            object.__setattr__(self, "iti", (lo, hi))
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a string, got {self.name!r}")
        if not _is_seq(self.trial_types):
            raise ValueError(f"trial_types must be a list of TrialType, got {self.trial_types!r}")
        if not self.trial_types:
            raise ValueError("trial_types must name at least one trial type, got none")
        for i, tt in enumerate(self.trial_types):
            if not isinstance(tt, TrialType):
                raise ValueError(f"trial_types[{i}] must be a TrialType, got {tt!r}")
            if not isinstance(tt.name, str) or not tt.name:
                raise ValueError(f"trial_types[{i}].name must be a non-empty string, got {tt.name!r}")
        names = [t.name for t in self.trial_types]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"trial type names must be unique, got duplicates {sorted(dup)}")
        for tt in self.trial_types:
            where = f"trial type {tt.name!r}"
            check_range(f"{where}: probability", _number(f"{where}: probability", tt.probability), 0.0, 1.0)
            check_range(f"{where}: magnitude", _number(f"{where}: magnitude", tt.magnitude), -_F32_MAX, _F32_MAX)
            if not isinstance(tt.reset_after_us, (bool, np.bool_)):
                raise ValueError(f"{where}: reset_after_us must be True or False, got {tt.reset_after_us!r}")
            if tt.us_time is not None:
                self._check_time(f"{where}: us_time", tt.us_time, "the US must fall inside the trial window")
            if not _is_seq(tt.stimulation):
                raise ValueError(f"{where}: stimulation must be a list of (time, size) pairs, got {tt.stimulation!r}")
            per_step: dict[int, float] = {}
            for k, pulse in enumerate(tt.stimulation):
                t_stim, size = _pair(f"{where}: stimulation[{k}]", pulse, "a (time, size) pair")
                self._check_time(f"{where}: stimulation time", t_stim, "must fall inside the trial window")
                check_range(f"{where}: stimulation[{k}] size", size, -_F32_MAX, _F32_MAX)
                step = self.step_of(t_stim)
                per_step[step] = per_step.get(step, 0.0) + size
                check_range(f"{where}: total stimulation at {self.times[step]:g} s", per_step[step], -_F32_MAX,
                            _F32_MAX)
            if not _is_seq(tt.cues):
                raise ValueError(f"{where}: cues must be a list of Cue or cue names, got {tt.cues!r}")
            for k, cue in enumerate(tt.cues):
                if isinstance(cue, str):
                    cue = Cue(cue)
                if not isinstance(cue, Cue):
                    raise ValueError(f"{where}: cues[{k}] must be a Cue or a cue name, got {cue!r}")
                if not isinstance(cue.name, str) or not cue.name:
                    raise ValueError(f"{where}: cues[{k}].name must be a non-empty string, got {cue.name!r}")
                self._check_time(f"{where}: onset of cue {cue.name!r}", cue.onset, "must fall inside the trial window")
                if cue.duration is not None:
                    d = _number(f"{where}: duration of cue {cue.name!r}", cue.duration)
                    check_range(f"{where}: duration of cue {cue.name!r}", d, 0.0, math.inf, low_open=True)
                # the presence array (float32) keeps the largest intensity of a cue at each step, from
                # 0: a cue of intensity <= 0, or one that rounds to 0 in float32, would never be shown
                check_range(f"{where}: intensity of cue {cue.name!r}",
                            _number(f"{where}: intensity of cue {cue.name!r}", cue.intensity), _F32_TINY, _F32_MAX)
        if not _is_seq(self.phases):
            raise ValueError(f"phases must be a list of Phase, got {self.phases!r}")
        if not self.phases:
            raise ValueError("phases must contain at least one phase, got none")
        for i, ph in enumerate(self.phases):
            if not isinstance(ph, Phase):
                raise ValueError(f"phases[{i}] must be a Phase, got {ph!r}")
            check_choice(f"phase {ph.name!r}: order", ph.order, ("sequential", "random"))
            if not isinstance(ph.trials, Mapping):
                raise ValueError(f"phase {ph.name!r}: trials must be a mapping of trial type to count, "
                                 f"got {ph.trials!r}")
            for tname, count in ph.trials.items():
                if tname not in names:
                    raise ValueError(
                        f"phase {ph.name!r} uses trial type {tname!r}, which is not declared; "
                        f"declared types: {names}"
                    )
                check_count(f"phase {ph.name!r}: number of {tname!r} trials", count)
            if ph.n_trials == 0:
                raise ValueError(f"phase {ph.name!r} is empty: it must contain at least one trial")

    def _check_time(self, field: str, t, why: str) -> None:
        """``t`` (seconds) must lie in the window and round to a step of the grid (see :meth:`validate`)."""
        t = _number(field, t)
        check_range(f"{field} ({why})", t, self.window[0], self.window[1], high_open=True)
        n = self.n_steps
        last = self.window[0] + (n - 1) * self.dt
        k = (t - self.window[0]) / self.dt if math.isfinite(t) else math.nan
        if not (math.isfinite(k) and 0 <= round(k) < n and t >= self.window[0]):
            raise ValueError(f"{field} must fall on the trial's time grid, {self.window[0]:g} to {last:g} s in steps "
                             f"of {self.dt:g} s (window {self.window}), got {t!r}")

    # ------------------------------------------------------------- properties
    @property
    def cue_names(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for tt in self.trial_types:
            for c in tt.cue_list():
                seen.setdefault(c.name, None)
        return tuple(seen)

    @property
    def n_steps(self) -> int:
        return int(round((self.window[1] - self.window[0]) / self.dt))

    @property
    def times(self) -> np.ndarray:
        """Time of each step in seconds from the reference time 0 (CS onset)."""
        return np.round(self.window[0] + self.dt * np.arange(self.n_steps), 9)

    @property
    def n_trials(self) -> int:
        return sum(p.n_trials for p in self.phases)

    def step_of(self, t: float) -> int:
        """Index of the time step that contains time ``t`` (seconds)."""
        return int(round((t - self.window[0]) / self.dt))

    def to_json(self) -> str:
        """The design as JSON (stored in the attrs of simulation results)."""
        d = asdict(self)
        for tt, src in zip(d["trial_types"], self.trial_types):
            tt["cues"] = [asdict(c) for c in src.cue_list()]
        for ph, phase in zip(d["phases"], self.phases):
            ph["trials"] = dict(phase.trials)
        return json.dumps(d)

    def compile(self) -> CompiledDesign:
        """Turn the declaration into arrays (see :class:`CompiledDesign`)."""
        S = self.n_steps
        cues = self.cue_names
        n_types = len(self.trial_types)
        presence = np.zeros((n_types, S, len(cues)), np.float32)
        us_step = np.full(n_types, -1, np.int32)
        cs_step = np.full(n_types, -1, np.int32)
        stimulation = np.zeros((n_types, S), np.float32)
        for k, tt in enumerate(self.trial_types):
            for t_stim, size in tt.stimulation:
                stimulation[k, self.step_of(t_stim)] += size
            for c in tt.cue_list():
                j = cues.index(c.name)
                a = self.step_of(c.onset)
                b = S if c.duration is None else max(a + 1, self.step_of(c.onset + c.duration))
                presence[k, a:min(b, S), j] = np.maximum(presence[k, a:min(b, S), j], c.intensity)
                cs_step[k] = a if cs_step[k] < 0 else min(cs_step[k], a)
            if tt.us_time is not None:
                us_step[k] = self.step_of(tt.us_time)
        type_names = tuple(t.name for t in self.trial_types)
        phase_types = []
        phase_counts = []
        for ph in self.phases:
            ids = [type_names.index(n) for n, c in ph.trials.items() if c > 0]
            phase_types.append(tuple(ids))
            phase_counts.append(tuple(int(ph.trials[type_names[i]]) for i in ids))
        return CompiledDesign(
            design=self,
            times=self.times,
            cue_names=cues,
            type_names=type_names,
            presence=presence,
            us_step=us_step,
            cs_step=cs_step,
            stimulation=stimulation,
            magnitude=np.array([t.magnitude for t in self.trial_types], np.float32),
            probability=np.array([t.probability for t in self.trial_types], np.float32),
            phase_names=tuple(p.name for p in self.phases),
            phase_orders=tuple(p.order or "sequential" for p in self.phases),  # set by Phase
            phase_types=tuple(phase_types),
            phase_counts=tuple(phase_counts),
        )


_F32_MAX = float(np.finfo(np.float32).max)  # compiled arrays are float32
_F32_TINY = float(np.finfo(np.float32).tiny)


def _is_seq(x) -> bool:
    """A list-like of items (not a string, which would be taken letter by letter)."""
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def _number(field: str, x) -> float:
    """``x`` as a float; bools, strings and other objects are refused naming ``field``."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"{field} must be a number, got {x!r}")
    return float(x)


def _pair(field: str, x, what: str) -> tuple[float, float]:
    """A two-element list, tuple or array of numbers as a tuple of floats."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if not _is_seq(x) or len(x) != 2:
        raise ValueError(f"{field} must be {what}, got {x!r}")
    a, b = (_number(field, v) for v in x)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"{field} must be {what} with finite numbers, got {x!r}")
    return a, b


def _cue_names(tt) -> list:
    cues = getattr(tt, "cues", ())
    return list(cues) if _is_seq(cues) else []


_TRIAL = re.compile(r"^([A-Za-z]+(?:>[A-Za-z]+)*)([+-])(\d*\.?\d+)?$")


def _parse_trial(label: str, us_time: float, magnitude: float) -> TrialType:
    m = _TRIAL.match(label)
    if not m:
        raise ValueError(
            f"trial {label!r} is not in the notation: cue letters (serial elements joined by '>') then "
            f"'+' or '-', optionally a probability after '+', e.g. 'A+', 'AB-', 'A+0.5', 'B>A-'"
        )
    elements, sign, prob = m.groups()
    if sign == "-" and prob:
        raise ValueError(f"trial {label!r}: a probability goes only after '+'")
    cues = []
    for i, element in enumerate(elements.split(">")):
        for letter in element:
            cues.append(Cue(letter, onset=i * us_time, duration=us_time))
    n = elements.count(">") + 1
    p = 0.0 if sign == "-" else (float(prob) if prob else 1.0)
    return TrialType(label, cues=cues, us_time=n * us_time, magnitude=magnitude, probability=p)


@dataclass(frozen=True, eq=False)
class CompiledDesign:
    """Arrays of a :class:`PavlovianDesign`.

    Attributes:
      times: ``[S]`` step times in seconds from CS onset.
      presence: ``[n_types, S, n_cues]`` cue intensity at each step of each trial type.
      us_step, cs_step: ``[n_types]`` step index of the US and of the first cue onset
        (-1 where the trial type has none).
      stimulation: ``[n_types, S]`` RPE added by stimulation at each step.
      magnitude, probability: ``[n_types]`` US magnitude and delivery probability.
      phase_types, phase_counts: per phase, the trial types it uses and how many of each.
    """

    design: PavlovianDesign
    times: np.ndarray
    cue_names: tuple[str, ...]
    type_names: tuple[str, ...]
    presence: np.ndarray
    us_step: np.ndarray
    cs_step: np.ndarray
    stimulation: np.ndarray
    magnitude: np.ndarray
    probability: np.ndarray
    phase_names: tuple[str, ...]
    phase_orders: tuple[str, ...]
    phase_types: tuple[tuple[int, ...], ...]
    phase_counts: tuple[tuple[int, ...], ...]
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_steps(self) -> int:
        return int(self.times.shape[0])

    @property
    def n_trials(self) -> int:
        return int(sum(sum(c) for c in self.phase_counts))

    @property
    def trial_phase(self) -> np.ndarray:
        """``[n_trials]`` phase name of each trial."""
        return np.concatenate(
            [np.full(sum(c), n, dtype=object) for n, c in zip(self.phase_names, self.phase_counts)]
        ).astype(str)

    @property
    def agent_invariant(self) -> bool:
        """True when every agent sees the same sequence of trial types."""
        return all(o == "sequential" or len(t) == 1 for o, t in zip(self.phase_orders, self.phase_types))

    def reset_mask(self) -> np.ndarray:
        """``[n_types, S]``: True where the trial's state is reset to the inter-trial state
        (the first step, and every step after the US of ``reset_after_us`` trial types)."""
        m = np.zeros((len(self.type_names), self.n_steps), bool)
        m[:, 0] = True
        for k, tt in enumerate(self.design.trial_types):
            if tt.reset_after_us and self.us_step[k] >= 0:
                m[k, self.us_step[k] + 1:] = True
        return m

    def event_vectors(self) -> np.ndarray:
        """``[n_types, 3, S]``: the US indicator (see :meth:`us_vector`), the stimulation
        and the reset mask (see :meth:`reset_mask`)."""
        return np.stack([self.us_vector(), self.stimulation, self.reset_mask().astype(np.float32)], axis=1)

    def us_vector(self) -> np.ndarray:
        """``[n_types, S]``: 1 at the US step of each trial type (0 where none)."""
        u = np.zeros((len(self.type_names), self.n_steps), np.float32)
        for k, s in enumerate(self.us_step):
            if s >= 0:
                u[k, s] = 1.0
        return u

    def sample_trials(self, seed: int, n: int, agents: tuple[int, int] | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw each agent's trial sequence (host-side, before any model runs).

        Draws come from NumPy's PCG64 generator seeded by ``seed`` (one
        independent stream each for the trial order, the reward draws and the
        ITIs), so the same seed gives the same sequences. NumPy is used here
        rather than ``jax.random`` because this is data preparation: on the CPU,
        shuffling 10,000 sequences with XLA's sort took ~190 ms against ~5 ms.
        Reward is drawn only for trial types whose probability is strictly
        between 0 and 1.

        ``agents=(start, stop)``: only agents ``start .. stop - 1`` of the ``n``, with
        exactly the values the full draw gives them (a block of a sharded run,
        :mod:`mesolimbic.sweeps`). The agents' draws come one after another from
        the same generators, so the block is found by drawing every agent before
        ``stop`` (and, for the trial order of all phases but the last, every agent)
        in chunks of rows and keeping the block's: memory is the chunk's and the
        block's, time is that of the full draw.

        Returns:
          ``types`` ``[n, n_trials]`` int32 trial-type index,
          ``reward`` ``[n, n_trials]`` float32 US magnitude delivered (0 when omitted),
          ``iti`` ``[n, n_trials]`` float32 inter-trial interval (s) before each trial.
        """
        if agents is not None:
            return self._sample_block(seed, n, *agents)
        rng_order, rng_reward, rng_iti = (np.random.default_rng(s)
                                          for s in np.random.SeedSequence(seed).spawn(3))
        blocks = []
        for order, ids, counts in zip(self.phase_orders, self.phase_types, self.phase_counts):
            seq = np.broadcast_to(np.repeat(np.asarray(ids, np.int32), counts), (n, sum(counts)))
            if order == "random" and len(ids) > 1:
                seq = rng_order.permuted(seq, axis=1)  # an independent permutation per agent
            blocks.append(seq)
        types = np.ascontiguousarray(np.concatenate(blocks, axis=1), dtype=np.int32)
        certain = np.where(self.probability >= 1.0, self.magnitude, 0.0).astype(np.float32)
        reward = certain[types]
        uncertain = (self.probability > 0.0) & (self.probability < 1.0)
        if uncertain.any():
            p = np.where(uncertain, self.probability, 0.0)[types]
            hit = rng_reward.random(types.shape, dtype=np.float32) < p
            reward = np.where(hit, self.magnitude[types], reward).astype(np.float32)
        iti = self.design.iti
        if isinstance(iti, tuple):
            iti_arr = iti[0] + (iti[1] - iti[0]) * rng_iti.random(types.shape, dtype=np.float32)
        else:
            iti_arr = np.full(types.shape, float(iti), np.float32)
        return types, reward, iti_arr

    #: rows drawn at a time when a block of agents is sampled (see :meth:`sample_trials`)
    SAMPLE_CHUNK = 4096

    def _sample_block(self, seed: int, n: int, start: int, stop: int):
        """:meth:`sample_trials` for agents ``start .. stop - 1``: the same draws, in chunks of rows."""
        if not 0 <= start < stop <= n:
            raise ValueError(f"agents must be a block (start, stop) with 0 <= start < stop <= {n}, got "
                             f"({start}, {stop})")
        rng_order, rng_reward, rng_iti = (np.random.default_rng(s)
                                          for s in np.random.SeedSequence(seed).spawn(3))
        C = self.SAMPLE_CHUNK

        def rows(draw, width, last: bool, dtype):
            """Rows ``start:stop`` of ``draw(k)`` called on consecutive chunks of ``k`` rows; every
            row is drawn unless ``last`` (then the draws stop at ``stop``)."""
            out = np.empty((stop - start, width), dtype)
            end = stop if last else n
            for lo in range(0, end, C):
                hi = min(lo + C, end)
                chunk = draw(hi - lo)
                a, b = max(lo, start), min(hi, stop)
                if a < b:
                    out[a - start:b - start] = chunk[a - lo:b - lo]
            return out

        blocks = []
        randoms = [i for i, (order, ids) in enumerate(zip(self.phase_orders, self.phase_types))
                   if order == "random" and len(ids) > 1]
        for i, (ids, counts) in enumerate(zip(self.phase_types, self.phase_counts)):
            row = np.repeat(np.asarray(ids, np.int32), counts)
            if i in randoms:
                blocks.append(rows(lambda k, row=row: rng_order.permuted(np.broadcast_to(row, (k, row.size)), axis=1),
                                   row.size, i == randoms[-1], np.int32))
            else:
                blocks.append(np.broadcast_to(row, (stop - start, row.size)))
        types = np.ascontiguousarray(np.concatenate(blocks, axis=1), dtype=np.int32)
        NT = types.shape[1]
        certain = np.where(self.probability >= 1.0, self.magnitude, 0.0).astype(np.float32)
        reward = certain[types]
        uncertain = (self.probability > 0.0) & (self.probability < 1.0)
        if uncertain.any():
            p = np.where(uncertain, self.probability, 0.0)[types]
            u = rows(lambda k: rng_reward.random((k, NT), dtype=np.float32), NT, True, np.float32)
            reward = np.where(u < p, self.magnitude[types], reward).astype(np.float32)
        iti = self.design.iti
        if isinstance(iti, tuple):
            u = rows(lambda k: rng_iti.random((k, NT), dtype=np.float32), NT, True, np.float32)
            iti_arr = iti[0] + (iti[1] - iti[0]) * u
        else:
            iti_arr = np.full(types.shape, float(iti), np.float32)
        return types, reward, iti_arr
