"""The world: what happens on each trial (cues, outcomes, timings, choices).

Pavlovian designs (:class:`PavlovianDesign`) say which cues come when and when
the US is due; choice tasks (bandits, reversal, go/no-go, probabilistic
selection, the two-step task, reinforcement schedules, active avoidance) say
what each action leads to, through one ``transition(xp, state, action, u, z)``
that serves JAX and NumPy alike, and can run in phases (:class:`ChoiceDesign`).

The choice-task protocol (what the session kernel relies on): ``name``,
``n_trials``, ``n_actions``, ``n_states`` (observations), ``n_stages`` (steps per
trial), ``n_draws`` (uniforms per step), ``n_z`` (normals per trial, seen by every
stage), ``multi_step`` (episodes span several steps), ``can_withhold`` (extinction),
``emits`` (the per-step information it reports, with meanings), ``init(key)``,
``observe(state)`` and ``transition(xp, state, action, u, z=None, reinforce=True)``
returning ``(state, outcome, info)`` (``info`` may carry ``done`` and ``feedback``).
A task with several stages may also take ``stage`` (a plain int) in ``observe`` and
``transition``: the kernel, which unrolls short trials, then says which stage it is,
and the task computes only that stage's case instead of both and a selection.
"""

from .pavlovian import CompiledDesign, Cue, PavlovianDesign, Phase, TrialType
from .phases import ChoiceDesign, ChoicePhase, Streak

__all__ = ["CompiledDesign", "Cue", "PavlovianDesign", "Phase", "TrialType", "ChoiceDesign", "ChoicePhase", "Streak"]
