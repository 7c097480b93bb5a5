"""The catalogue: every learner and every task the package ships, by name.

Used wherever the package needs to enumerate what it offers — the test that
every learner x task pair either runs (and scores back exactly what it
simulated) or is refused with a clear error, ``mesolimbic models``, the lab's
menus — and to rebuild the task of a saved simulation from its attributes.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable

__all__ = ["choice_learners", "pavlovian_learners", "choice_tasks", "task_from_spec", "task_class_name"]


def choice_learners() -> dict[str, Callable]:
    """Factories of every choice learner variant, by name."""
    from .models import (ActorCritic, AverageRewardSARSA, DeltaRule, FictitiousUpdate, HijackedDeltaRule, HybridTwoStep, OpAL,
                         PavlovianBiasGoNoGo, QLearning, SARSA, StimulusValueLearner, Sticky)
    from .tasks.pst import PAIRS

    out: dict[str, Callable] = {
        "delta_rule": DeltaRule,
        "delta_rule_separate_rates": lambda: DeltaRule(separate_rates=True),
        "delta_rule_perseveration_lapse": lambda: DeltaRule(perseveration=True, lapse=True),
        "q_learning": QLearning,
        "q_learning_epsilon_greedy": lambda: QLearning(policy="epsilon_greedy"),
        "q_learning_discounted": lambda: QLearning(discounted=True),
        "sarsa": SARSA,
        "average_reward_sarsa": AverageRewardSARSA,
        "actor_critic": ActorCritic,
        "actor_critic_discounted": lambda: ActorCritic(discounted=True),
        "opal": OpAL,
        "opal_pairs": lambda: OpAL(PAIRS),
        "stimulus_value": lambda: StimulusValueLearner(PAIRS),
        "stimulus_value_single_rate": lambda: StimulusValueLearner(PAIRS, single_rate=True),
        "fictitious_update": FictitiousUpdate,
        "hijacked_delta_rule": HijackedDeltaRule,
        "gonogo_pavlovian_bias": PavlovianBiasGoNoGo,
        "gonogo_m1": lambda: PavlovianBiasGoNoGo("m1"),
        "hybrid_two_step": HybridTwoStep,
        "hybrid_two_step_hbayesdm": lambda: HybridTwoStep(transition=0.7, trace_after_update=True),
        "hybrid_two_step_shared": lambda: HybridTwoStep(transition=0.7, trace_after_update=True, shared=True),
        "delta_rule_sticky": lambda: Sticky(DeltaRule()),
        "q_learning_sticky": lambda: Sticky(QLearning()),
        "actor_critic_discounted_sticky": lambda: Sticky(ActorCritic(discounted=True)),
    }
    return out


def pavlovian_learners() -> dict[str, Callable]:
    """Factories of the Pavlovian learners, by name."""
    from .circuit import Circuit
    from .models import TD, BeliefTD, DistributionalRPE, GabaTD, QuantileRPE, RescorlaWagner, SuccessorTD

    return {"td": TD, "td_replacing": lambda: TD(trace="replacing"), "rw": RescorlaWagner,
            "distributional": lambda: DistributionalRPE((0.2, 0.5, 0.8)), "circuit": Circuit,
            "quantile": lambda: QuantileRPE((0.2, 0.5, 0.8)), "gaba_td": GabaTD, "gaba_td_divisive": lambda: GabaTD("divisive"),
            "belief_td": lambda: BeliefTD([1.0]), "successor_td": SuccessorTD}


def choice_tasks(small: bool = False) -> dict[str, Callable]:
    """Factories of every choice task, by name (``small``: short sessions, for tests)."""
    from .tasks.aversive import ActiveAvoidance
    from .tasks.bandit import Bandit, reversal_learning
    from .tasks.gonogo import GoNoGo
    from .tasks.pst import ProbabilisticSelection
    from .tasks.schedules import Schedule
    from .tasks.two_step import TwoStep

    n = 40 if small else 200
    return {
        "bandit": lambda: Bandit(n_trials=n),
        "bandit_restless_4": lambda: Bandit((0.3, 0.5, 0.7, 0.4), n_trials=n, drift_sd=0.025, bounds=(0.25, 0.75)),
        "reversal_learning": lambda: reversal_learning(n_trials=n, reversal_every=n // 4),
        "gonogo": lambda: GoNoGo(trials_per_cue=n // 8 if small else 60),
        "probabilistic_selection": lambda: ProbabilisticSelection(training_per_pair=10 if small else 60,
                                                                  test_per_pair=1 if small else 4),
        "schedule_fr": lambda: Schedule("FR", 3, n_steps=n, n_extinction=n // 4),
        "schedule_vi": lambda: Schedule("VI", 5, n_steps=n),
        "active_avoidance": lambda: ActiveAvoidance(n_episodes=n // 3),
        "two_step": lambda: TwoStep(n_trials=n),
    }


def task_class_name(task) -> str:
    return f"{type(task).__module__}.{type(task).__qualname__}"


def _tuples(x):
    if isinstance(x, list):
        return tuple(_tuples(v) for v in x)
    return x


def task_from_spec(cls_name: str, spec: dict, phases: list | None = None):
    """Rebuild a task (and its phases) from a simulation's ``task_class``, ``task_spec``
    and ``phases`` attributes. Only the package's own task classes are rebuilt."""
    module, _, qual = cls_name.rpartition(".")
    if not module.startswith("mesolimbic."):
        raise ValueError(f"cannot rebuild task class {cls_name!r}: only mesolimbic's own tasks are rebuilt; pass "
                         f"task=... explicitly")
    cls = getattr(importlib.import_module(module), qual)
    fields = {f.name for f in dataclasses.fields(cls) if f.init}
    task = cls(**{k: _tuples(v) for k, v in spec.items() if k in fields})
    if phases:
        from .tasks.phases import ChoiceDesign, ChoicePhase, Streak

        task = ChoiceDesign(task, tuple(
            ChoicePhase(p["name"], p["n_trials"], p["feedback"], p["reinforce"], p.get("params") or None,
                        Streak(p["until"]["event"], p["until"]["n"]) if p.get("until") else None) for p in phases))
    return task
