"""Choice learners: one definition that samples actions, scores observed ones and yields RPEs.

A choice learner is ``init(params, spec) -> state``,
``policy(params, state, obs) -> log-probabilities of the actions`` and
``step(params, state, {"obs", "action", "outcome", ...}) -> (state, outputs)``.
The session kernel (:mod:`mesolimbic.kernel`) samples the action from ``policy``
when simulating and takes the observed action when scoring data; ``step``
returns its log-probability with the RPE — the same functions, never a second
copy.
"""

from __future__ import annotations

from abc import abstractmethod

import jax
import jax.numpy as jnp

from .base import Model, Output, Param

__all__ = ["ActorCritic", "ChoiceModel", "DeltaRule", "FictitiousUpdate", "OpAL", "QLearning", "SARSA",
           "StimulusValueLearner", "Sticky"]

#: outputs most choice learners share
RPE = Output("reward prediction error of the chosen action")
LOG_PROB = Output("log-probability of the action taken")
P = Output("probability of each action before the choice", dims=("action",))
Q = Output("action values before the update", dims=("action",))


def task_name(task) -> str:
    return getattr(task, "name", type(task).__name__)


class ChoiceModel(Model):
    """Base class of learners that choose among ``n_actions`` actions at each step of a
    choice task."""

    level = "choice"
    linear = False
    #: True for learners whose update needs the next action (SARSA): the kernel then
    #: draws the next action from the policy *before* the update, as in SARSA.
    needs_next_action = False
    #: the largest number of observable states the learner tells apart (None: any)
    max_states: int | None = None
    #: the number of actions the learner needs (None: any)
    n_actions_needed: int | None = None
    #: True for learners that bootstrap from the next step (serve multi-step tasks)
    bootstraps = False
    outputs = {"rpe": RPE, "q": Q, "log_prob": LOG_PROB, "p": P}

    def check_task(self, task) -> None:
        """Refuse a task this learner cannot serve, naming both (Pavlovian designs; too
        many observable states; a wrong number of actions; episodes of several steps
        for a learner that does not bootstrap)."""
        from ..tasks.pavlovian import PavlovianDesign

        me, tn = repr(self), task_name(task)
        if isinstance(task, PavlovianDesign):
            raise ValueError(f"{me} is a choice learner; Pavlovian design {tn!r} has no actions to choose — use a "
                             f"Pavlovian learner (models.TD(), models.RescorlaWagner(), circuit.Circuit())")
        n_states, n_actions = getattr(task, "n_states", 1), task.n_actions
        if self.n_actions_needed is not None and n_actions != self.n_actions_needed:
            raise ValueError(f"{me} chooses between {self.n_actions_needed} actions, but task {tn!r} has "
                             f"{n_actions}")
        if self.max_states is not None and n_states > self.max_states:
            raise ValueError(f"{me} learns one value per action and ignores the cue, but task {tn!r} shows "
                             f"{n_states} different cues/states; use a learner with values per state, e.g. "
                             f"models.QLearning()")
        if getattr(task, "multi_step", False) and not self.bootstraps:
            raise ValueError(f"task {tn!r} has episodes of several steps, and {me} does not bootstrap from the "
                             f"next step (each step would be its own episode); use e.g. "
                             f"models.QLearning(discounted=True), models.SARSA() or "
                             f"models.ActorCritic(discounted=True)")

    @staticmethod
    def _check_action(action, n_actions: int) -> None:
        """Reject an action outside ``0 .. n_actions - 1`` when it is a concrete value
        (under ``jit`` the action is traced; the kernel's callers check their inputs
        before tracing)."""
        if isinstance(action, jax.core.Tracer):
            return
        a = jnp.asarray(action)
        if a.dtype.kind not in "iub" or bool(jnp.any((a < 0) | (a >= n_actions))):
            raise ValueError(f"action must be an integer in [0, {n_actions - 1}], got {action!r}")

    @staticmethod
    def _bootstrap(params, inputs, next_value):
        """``gamma * next_value`` unless the trial ended the episode (``done``, the default)."""
        done = jnp.asarray(inputs.get("done", True))
        return jnp.where(done, 0.0, params["gamma"] * next_value)

    @abstractmethod
    def policy(self, params, state, obs=0) -> jax.Array:
        """Log-probabilities ``[n_actions]`` of the next action, given the task's
        observation ``obs`` (the cue or state; 0 in single-state tasks)."""


class DeltaRule(ChoiceModel):
    r"""Rescorla–Wagner (delta-rule) values with softmax choice.

    .. math::
       P(a_t = a) &= (1 - \epsilon)\,\frac{\exp(\beta Q_t(a) + \kappa [a = a_{t-1}])}
                     {\sum_b \exp(\beta Q_t(b) + \kappa [b = a_{t-1}])} + \frac{\epsilon}{K}\\
       \delta_t &= r_t - Q_t(a_t), \qquad Q_{t+1}(a_t) = Q_t(a_t) + \alpha_\pm \delta_t

    Parameters: ``alpha`` in (0, 1] (or ``alpha_pos`` / ``alpha_neg`` for positive
    and negative errors, with ``separate_rates=True``), ``beta`` (inverse
    temperature) in (0, 50], ``kappa`` (choice perseveration, with
    ``perseveration=True``) in [-10, 10], ``epsilon`` (lapse, with
    ``lapse=True``) in [0, 1]. Unchosen values do not change. Q starts at 0.

    References: Rescorla & Wagner (1972); Sutton & Barto (2018), ch. 2; Daw
    (2011), Trial-by-trial data analysis using computational models;
    separate rates: Frank, Moustafa, Haughey, Curran & Hutchison (2007), PNAS
    104:16311; perseveration: Lau & Glimcher (2005), J Exp Anal Behav 84:555;
    lapse: Wilson & Collins (2019), eLife 8:e49547.
    """

    name = "delta_rule"
    max_states = 1

    def __init__(self, separate_rates: bool = False, perseveration: bool = False, lapse: bool = False) -> None:
        self.separate_rates, self.perseveration, self.lapse = bool(separate_rates), bool(perseveration), bool(lapse)
        ps = []
        if self.separate_rates:
            ps += [Param("alpha_pos", 0.3, 0.0, 1.0, low_open=True, doc="learning rate, positive RPE"),
                   Param("alpha_neg", 0.3, 0.0, 1.0, low_open=True, doc="learning rate, negative RPE")]
        else:
            ps.append(Param("alpha", 0.3, 0.0, 1.0, low_open=True, doc="learning rate"))
        ps.append(Param("beta", 5.0, 0.0, 50.0, low_open=True, doc="inverse temperature"))
        if self.perseveration:
            ps.append(Param("kappa", 0.0, -10.0, 10.0, doc="choice perseveration (stickiness)"))
        if self.lapse:
            ps.append(Param("epsilon", 0.0, 0.0, 1.0, doc="lapse rate"))
        self.params = tuple(ps)

    def options(self):
        return {"separate_rates": self.separate_rates, "perseveration": self.perseveration, "lapse": self.lapse}

    def init(self, params, spec):
        return {"q": jnp.zeros(spec.n_actions, jnp.float32), "prev": jnp.zeros(spec.n_actions, jnp.float32)}

    def policy(self, params, state, obs=0):
        logits = params["beta"] * state["q"]
        if self.perseveration:
            logits = logits + params["kappa"] * state["prev"]
        logp = _log_softmax(logits)
        if self.lapse:
            k = state["q"].shape[0]
            logp = jnp.log((1.0 - params["epsilon"]) * jnp.exp(logp) + params["epsilon"] / k)
        return logp

    def step(self, params, state, inputs):
        """Learn from one trial. ``inputs``: ``action`` (int) and ``outcome``. Outputs the
        RPE, the values before the update and the log-probability of the action."""
        a, r = inputs["action"], inputs["outcome"]
        self._check_action(a, state["q"].shape[0])
        logp = self.policy(params, state)
        q = state["q"]
        # one-hot arithmetic rather than a gather and a scatter: the same numbers,
        # about 1.5x faster gradients under vmap on the CPU (fitting's inner loop)
        chosen = (jnp.arange(q.shape[0]) == a).astype(jnp.float32)
        delta = r - jnp.sum(q * chosen)
        if self.separate_rates:
            alpha = jnp.where(delta >= 0, params["alpha_pos"], params["alpha_neg"])
        else:
            alpha = params["alpha"]
        new_q = q + chosen * (alpha * delta)
        return {"q": new_q, "prev": chosen}, {"rpe": delta, "q": q, "log_prob": jnp.sum(logp * chosen),
                                              "p": jnp.exp(logp)}


def _log_softmax(logits):
    """``log_softmax`` over the last axis; for two options as two softplus terms (elementwise,
    which XLA fuses far better under ``vmap`` on the CPU than a reduction)."""
    if logits.shape[-1] == 2:
        d = logits[..., 1] - logits[..., 0]
        return jnp.stack([-jax.nn.softplus(d), -jax.nn.softplus(-d)], axis=-1)
    return jax.nn.log_softmax(logits)


class QLearning(ChoiceModel):
    r"""Tabular Q-learning over (state, action) with softmax or epsilon-greedy choice.

    .. math::
       \delta_t = r_t + \gamma \max_{a'} Q(s_{t+1}, a') - Q(s_t, a_t), \qquad
       Q(s_t, a_t) \mathrel{+}= \alpha\,\delta_t

    With ``discounted=False`` (the default, for the one-step trials of bandits and
    go/no-go) every trial ends after its outcome, the bootstrap term is 0 and
    :math:`\delta = r - Q(s, a)`. With ``discounted=True`` the learner takes a
    ``gamma`` parameter in [0, 1] and bootstraps from the next observation
    (``next_obs``) unless the task ended the episode (``done``) — for multi-step
    tasks such as reinforcement schedules and active avoidance. Choice: softmax
    ``P(a|s) ∝ exp(beta Q(s, a))``, or epsilon-greedy
    ``(1 - epsilon) [a = argmax Q] + epsilon / K`` (ties split evenly).
    Parameters: ``alpha`` in (0, 1]; ``beta`` in (0, 50] (softmax) or ``epsilon``
    in [0, 1] (epsilon-greedy); ``gamma`` in [0, 1] when discounted.

    References: Watkins & Dayan (1992), Machine Learning 8:279; Sutton & Barto
    (2018), §6.5 (Q-learning), §2.2-2.3 (epsilon-greedy).
    """

    name = "q_learning"

    def __init__(self, policy: str = "softmax", discounted: bool = False) -> None:
        from .._validate import check_choice

        self.policy_kind = check_choice("policy", policy, ("softmax", "epsilon_greedy"))
        self.discounted = bool(discounted)
        explore = (Param("beta", 5.0, 0.0, 50.0, low_open=True, doc="inverse temperature")
                   if policy == "softmax" else Param("epsilon", 0.1, 0.0, 1.0, doc="exploration rate"))
        ps = [Param("alpha", 0.3, 0.0, 1.0, low_open=True, doc="learning rate"), explore]
        if self.discounted:
            ps.append(Param("gamma", 0.9, 0.0, 1.0, doc="discount factor per step"))
        self.params = tuple(ps)
        self.bootstraps = self.discounted

    def options(self):
        return {"policy": self.policy_kind, "discounted": self.discounted}

    def init(self, params, spec):
        return {"q": jnp.zeros((spec.n_states, spec.n_actions), jnp.float32)}

    def policy(self, params, state, obs=0):
        q = state["q"][obs]
        if self.policy_kind == "softmax":
            return jax.nn.log_softmax(params["beta"] * q)
        best = (q >= q.max()).astype(jnp.float32)
        greedy = best / best.sum()
        return jnp.log((1.0 - params["epsilon"]) * greedy + params["epsilon"] / q.shape[0])

    def _next_value(self, q, inputs):
        return q[inputs.get("next_obs", 0)].max()

    def step(self, params, state, inputs):
        """Learn from one step. ``inputs``: ``obs``, ``action``, ``outcome`` and, when
        discounted, ``next_obs`` and ``done`` (and ``next_action`` for SARSA)."""
        s, a, r = inputs.get("obs", 0), inputs["action"], inputs["outcome"]
        q = state["q"]
        self._check_action(a, q.shape[1])
        logp = self.policy(params, state, s)
        target = r + (self._bootstrap(params, inputs, self._next_value(q, inputs)) if self.discounted else 0.0)
        delta = target - q[s, a]
        return {"q": q.at[s, a].add(params["alpha"] * delta)}, {"rpe": delta, "q": q[s], "log_prob": logp[a],
                                                                "p": jnp.exp(logp)}


class SARSA(QLearning):
    r"""Tabular SARSA: on-policy TD control with discounting.

    .. math::
       \delta_t = r_t + \gamma\, Q(s_{t+1}, a_{t+1}) - Q(s_t, a_t), \qquad
       Q(s_t, a_t) \mathrel{+}= \alpha\,\delta_t

    where :math:`a_{t+1}` is the action actually taken next (drawn from the
    softmax / epsilon-greedy policy *before* the update, as in Sutton & Barto's
    algorithm; the simulators do this because ``needs_next_action`` is True, and
    the likelihood takes the next observed choice). The bootstrap term is 0 when
    the task ends the episode (``done``). In one-step trials SARSA and Q-learning
    coincide. Parameters: ``alpha`` in (0, 1]; ``beta`` in (0, 50] or ``epsilon``
    in [0, 1]; ``gamma`` in [0, 1].

    References: Rummery & Niranjan (1994), On-line Q-learning using connectionist
    systems, CUED/F-INFENG/TR 166; Sutton & Barto (2018), §6.4. As a model of
    dopamine: Morris, Nevet, Arkadir, Vaadia & Bergman (2006), Nat Neurosci 9:1057
    (midbrain dopamine neurons encode decisions for future action).
    """

    name = "sarsa"
    needs_next_action = True

    def __init__(self, policy: str = "softmax") -> None:
        super().__init__(policy, discounted=True)

    def options(self):
        return {"policy": self.policy_kind}

    def _next_value(self, q, inputs):
        return q[inputs.get("next_obs", 0), inputs.get("next_action", 0)]


class ActorCritic(ChoiceModel):
    r"""One-step actor-critic: a critic learns state values, an actor learns action
    preferences, both from the critic's prediction error.

    .. math::
       \delta_t = r_t + \gamma V(s_{t+1}) - V(s_t), \qquad V(s_t) \mathrel{+}= \alpha_c\,\delta_t, \qquad
       H(s_t, a_t) \mathrel{+}= \alpha_a\,\delta_t, \qquad
       P(a \mid s) \propto \exp(\beta H(s, a))

    The textbook basal-ganglia reading: the ventral striatum as the critic whose
    error is the dopamine signal, the dorsal striatum as the actor (Barto 1995;
    Joel, Niv & Ruppin 2002; O'Doherty et al. 2004). Parameters: ``alpha_critic``
    and ``alpha_actor`` in (0, 1], ``beta`` in (0, 50]; with ``discounted=True``
    also ``gamma`` in [0, 1], bootstrapping from ``next_obs`` unless ``done``
    (without it, :math:`\gamma V(s_{t+1})` is 0: one-step trials).

    References: Sutton & Barto (2018), §13.5; Barto (1995), in Models of
    Information Processing in the Basal Ganglia, 215-232; O'Doherty, Dayan,
    Schultz, Deichmann, Friston & Dolan (2004), Science 304:452.
    """

    name = "actor_critic"

    def __init__(self, discounted: bool = False) -> None:
        self.discounted = bool(discounted)
        ps = [Param("alpha_critic", 0.3, 0.0, 1.0, low_open=True, doc="critic learning rate"),
              Param("alpha_actor", 0.3, 0.0, 1.0, low_open=True, doc="actor learning rate"),
              Param("beta", 3.0, 0.0, 50.0, low_open=True, doc="inverse temperature")]
        if self.discounted:
            ps.append(Param("gamma", 0.9, 0.0, 1.0, doc="discount factor per step"))
        self.params = tuple(ps)
        self.bootstraps = self.discounted

    def options(self):
        return {"discounted": self.discounted}

    outputs = {"rpe": RPE, "value": Output("state value V(s) before the update"), "log_prob": LOG_PROB, "p": P}

    def init(self, params, spec):
        return {"v": jnp.zeros(spec.n_states, jnp.float32),
                "h": jnp.zeros((spec.n_states, spec.n_actions), jnp.float32)}

    def policy(self, params, state, obs=0):
        return jax.nn.log_softmax(params["beta"] * state["h"][obs])

    def step(self, params, state, inputs):
        s, a, r = inputs.get("obs", 0), inputs["action"], inputs["outcome"]
        self._check_action(a, state["h"].shape[1])
        logp = self.policy(params, state, s)
        boot = self._bootstrap(params, inputs, state["v"][inputs.get("next_obs", 0)]) if self.discounted else 0.0
        delta = r + boot - state["v"][s]
        v = state["v"].at[s].add(params["alpha_critic"] * delta)
        h = state["h"].at[s, a].add(params["alpha_actor"] * delta)
        return {"v": v, "h": h}, {"rpe": delta, "value": state["v"][s], "log_prob": logp[a], "p": jnp.exp(logp)}


class StimulusValueLearner(ChoiceModel):
    r"""Learns one value per stimulus and chooses between the stimuli shown
    (the Q-learning model of the probabilistic selection task, with separate
    rates for gains and losses: Frank, Moustafa, Haughey, Curran & Hutchison 2007).

    .. math::
       P(\text{choose } i \text{ over } j) = \frac{e^{\beta Q_i}}{e^{\beta Q_i} + e^{\beta Q_j}}, \qquad
       Q_i \mathrel{+}= \alpha_\pm (r - Q_i) \text{ when feedback is given}

    with ``alpha_pos`` for positive and ``alpha_neg`` for negative errors, both in
    (0, 1], and ``beta`` in (0, 50] (``single_rate=True``: one ``alpha``, hBayesDM's
    ``pst_Q``). ``pairs`` maps each observation to the two
    stimuli shown (``ProbabilisticSelection.pairs``). Trials without feedback
    (the test phase) change nothing. Values start at 0.

    Reference: Frank, M. J., Moustafa, A. A., Haughey, H. M., Curran, T. &
    Hutchison, K. E. (2007). Genetic triple dissociation reveals multiple roles
    for dopamine in reinforcement learning. PNAS 104:16311-16316 (hBayesDM
    ``pst_gainloss_Q``).
    """

    name = "stimulus_value"

    def __init__(self, pairs, single_rate: bool = False) -> None:
        import numpy as np

        self.pairs = tuple(map(tuple, np.asarray(pairs, int).tolist()))
        self.n_stimuli = 1 + max(max(p) for p in self.pairs)
        self.single_rate = bool(single_rate)
        rates = ((Param("alpha", 0.2, 0.0, 1.0, low_open=True, doc="learning rate"),) if self.single_rate else
                 (Param("alpha_pos", 0.2, 0.0, 1.0, low_open=True, doc="learning rate, positive RPE"),
                  Param("alpha_neg", 0.2, 0.0, 1.0, low_open=True, doc="learning rate, negative RPE")))
        self.params = rates + (Param("beta", 3.0, 0.0, 50.0, low_open=True, doc="inverse temperature"),)

    def options(self):
        return {"pairs": self.pairs, "single_rate": self.single_rate}

    n_actions_needed = 2
    outputs = {"rpe": RPE, "log_prob": LOG_PROB, "p": P}

    def check_task(self, task) -> None:
        super().check_task(task)
        _check_pairs(self, task)

    def init(self, params, spec):
        return {"q": jnp.zeros(self.n_stimuli, jnp.float32)}

    def policy(self, params, state, obs=0):
        stims = jnp.asarray(self.pairs)[obs]
        return jax.nn.log_softmax(params["beta"] * state["q"][stims])

    def step(self, params, state, inputs):
        s, a, r = inputs.get("obs", 0), inputs["action"], inputs["outcome"]
        feedback = inputs.get("feedback", True)
        self._check_action(a, 2)
        logp = self.policy(params, state, s)
        chosen = jnp.asarray(self.pairs)[s][a]
        q = state["q"]
        delta = r - q[chosen]
        alpha = params["alpha"] if self.single_rate else jnp.where(delta >= 0, params["alpha_pos"],
                                                                      params["alpha_neg"])
        q = q.at[chosen].add(jnp.where(feedback, alpha * delta, 0.0))
        return {"q": q}, {"rpe": jnp.where(feedback, delta, 0.0), "log_prob": logp[a], "p": jnp.exp(logp)}


class OpAL(ChoiceModel):
    r"""Opponent actor learning: a critic and two opponent actors, Go (D1, direct
    pathway) and NoGo (D2, indirect pathway), whose balance dopamine sets
    (Collins & Frank 2014).

    .. math::
       \delta_t &= r_t - V(s_t), \qquad V(s_t) \mathrel{+}= \alpha_c\,\delta_t\\
       G(a_t) &\mathrel{+}= \alpha_G\,G(a_t)\,\delta_t, \qquad
       N(a_t) \mathrel{+}= \alpha_N\,N(a_t)\,(-\delta_t)\\
       \mathrm{Act}(a) &= \beta_G\,G(a) - \beta_N\,N(a), \qquad P(a) \propto \exp \mathrm{Act}(a),
       \qquad \beta_G = \beta(1 + \rho),\ \beta_N = \beta(1 - \rho)

    G and N start at 1; the three-factor, Hebbian form of the updates (scaled by
    the weight itself) is what makes the Go weights specialise in the
    best options and the NoGo weights in the worst. ``rho`` in (-1, 1) is the
    tonic dopamine level: ``rho > 0`` (e.g. on L-DOPA) emphasises what was learned
    by the Go pathway — choosing the best — and ``rho < 0`` (e.g. Parkinson's off
    medication) what was learned by the NoGo pathway — avoiding the worst
    (Frank, Seeberger & O'Reilly 2004). Parameters: ``alpha_critic``,
    ``alpha_go``, ``alpha_nogo`` in (0, 1]; ``beta`` in (0, 50]; ``rho`` in (-1, 1).

    ``pairs`` (optional) maps each observation to the stimuli shown, as in the
    probabilistic selection task: the actors then learn one G and N per stimulus
    and choose between the stimuli of the pair (so novel pairs can be scored);
    the critic learns one value per observation. Without ``pairs`` the actions
    are the options.

    References: Collins, A. G. E. & Frank, M. J. (2014). Opponent actor learning
    (OpAL): modeling interactive effects of striatal dopamine on reinforcement
    learning and choice incentive. Psychol Rev 121:337-366. Frank, M. J.,
    Seeberger, L. C. & O'Reilly, R. C. (2004). By carrot or by stick: cognitive
    reinforcement learning in parkinsonism. Science 306:1940-1943.
    """

    name = "opal"
    params = (
        Param("alpha_critic", 0.1, 0.0, 1.0, low_open=True, doc="critic learning rate"),
        Param("alpha_go", 0.1, 0.0, 1.0, low_open=True, doc="Go (D1) actor learning rate"),
        Param("alpha_nogo", 0.1, 0.0, 1.0, low_open=True, doc="NoGo (D2) actor learning rate"),
        Param("beta", 2.0, 0.0, 50.0, low_open=True, doc="overall inverse temperature"),
        Param("rho", 0.0, -1.0, 1.0, low_open=True, high_open=True, doc="dopamine level: Go vs NoGo emphasis"),
    )

    def __init__(self, pairs=None) -> None:
        import numpy as np

        self.pairs = None if pairs is None else tuple(map(tuple, np.asarray(pairs, int).tolist()))

    def options(self):
        return {"pairs": self.pairs}

    outputs = {"rpe": RPE, "value": Output("critic value V(s) before the update"), "log_prob": LOG_PROB, "p": P}

    def check_task(self, task) -> None:
        super().check_task(task)
        if self.pairs is not None:
            if task.n_actions != 2:
                raise ValueError(f"{self!r} chooses within pairs of stimuli, but task {task_name(task)!r} has "
                                 f"{task.n_actions} actions")
            _check_pairs(self, task)

    def init(self, params, spec):
        n_opt = spec.n_actions if self.pairs is None else 1 + max(max(p) for p in self.pairs)
        n_obs = spec.n_states if self.pairs is None else len(self.pairs)
        g = jnp.ones(n_opt if self.pairs is not None else (n_obs, n_opt), jnp.float32)
        return {"v": jnp.zeros(n_obs, jnp.float32), "g": g, "n": jnp.ones_like(g)}

    def _index(self, state, obs):
        """Indices into G / N of the options available under ``obs``."""
        if self.pairs is None:
            return (obs, slice(None))
        return (jnp.asarray(self.pairs)[obs],)

    def policy(self, params, state, obs=0):
        idx = self._index(state, obs)
        act = params["beta"] * ((1.0 + params["rho"]) * state["g"][idx] - (1.0 - params["rho"]) * state["n"][idx])
        return jax.nn.log_softmax(act)

    def step(self, params, state, inputs):
        s, a, r = inputs.get("obs", 0), inputs["action"], inputs["outcome"]
        feedback = jnp.asarray(inputs.get("feedback", True))
        n_choice = 2 if self.pairs is not None else state["g"].shape[-1]
        self._check_action(a, n_choice)
        logp = self.policy(params, state, s)
        delta = jnp.where(feedback, r - state["v"][s], 0.0)
        where = (jnp.asarray(self.pairs)[s][a],) if self.pairs is not None else (s, a)
        g, n = state["g"], state["n"]
        g = g.at[where].add(params["alpha_go"] * g[where] * delta)
        n = n.at[where].add(-params["alpha_nogo"] * n[where] * delta)
        v = state["v"].at[s].add(params["alpha_critic"] * delta)
        return {"v": v, "g": g, "n": n}, {"rpe": delta, "value": state["v"][s], "log_prob": logp[a],
                                          "p": jnp.exp(logp)}


class FictitiousUpdate(ChoiceModel):
    r"""Two-option learner that also updates the unchosen option as if it had given the
    opposite outcome (fictitious, counterfactual updating), with an indecision point.

    .. math::
       P(a = 0) &= \sigma\big(\beta\,[(Q_0 - Q_1) - \phi]\big)\\
       \delta &= r - Q(a), \qquad \delta_{nc} = -r - Q(\bar a), \qquad
       Q(a) \mathrel{+}= \alpha\,\delta, \quad Q(\bar a) \mathrel{+}= \alpha\,\delta_{nc}

    Suited to reversal learning with anticorrelated options (outcomes coded +1/-1).
    Parameters: ``alpha`` (learning rate; hBayesDM's ``eta``) in (0, 1],
    ``indecision`` (the indecision point :math:`\phi`; hBayesDM's ``alpha``) in
    [-10, 10], ``beta`` in (0, 50]. Values start at 0. This is hBayesDM's
    ``prl_fictitious``, except that its indecision point is unbounded there.

    Reference: Glascher, J., Hampton, A. N. & O'Doherty, J. P. (2009). Determining a
    role for ventromedial prefrontal cortex in encoding action-based value signals
    during reward-related decision making. Cereb Cortex 19:483-495.
    """

    name = "fictitious_update"
    params = (
        Param("alpha", 0.3, 0.0, 1.0, low_open=True, doc="learning rate"),
        Param("indecision", 0.0, -10.0, 10.0, doc="indecision point"),
        Param("beta", 2.0, 0.0, 50.0, low_open=True, doc="inverse temperature"),
    )
    max_states = 1
    n_actions_needed = 2
    outputs = {"rpe": RPE, "rpe_fictitious": Output("prediction error of the unchosen option"), "q": Q,
               "log_prob": LOG_PROB, "p": P}

    def init(self, params, spec):
        if spec.n_actions != 2:
            raise ValueError(f"FictitiousUpdate is a two-option learner, got n_actions={spec.n_actions}")
        return {"q": jnp.zeros(2, jnp.float32)}

    def policy(self, params, state, obs=0):
        z = params["beta"] * ((state["q"][0] - state["q"][1]) - params["indecision"])
        return jnp.stack([-jax.nn.softplus(-z), -jax.nn.softplus(z)])

    def step(self, params, state, inputs):
        a, r = inputs["action"], inputs["outcome"]
        self._check_action(a, 2)
        logp = self.policy(params, state)
        q = state["q"]
        chosen = (jnp.arange(2) == a).astype(jnp.float32)
        delta = r - jnp.sum(q * chosen)
        delta_nc = -r - jnp.sum(q * (1.0 - chosen))
        new_q = q + params["alpha"] * (chosen * delta + (1.0 - chosen) * delta_nc)
        return {"q": new_q}, {"rpe": delta, "rpe_fictitious": delta_nc, "q": q, "log_prob": jnp.sum(logp * chosen),
                              "p": jnp.exp(logp)}


class Sticky(ChoiceModel):
    r"""Choice perseveration (stickiness) added to any choice learner.

    .. math:: P(a_t = a) \propto \exp\big(\log P_{inner}(a) + \kappa\,[a = a_{t-1}]\big)

    i.e. a bonus ``kappa`` on the logit of the previous action (Lau & Glimcher 2005),
    on top of the wrapped learner's own policy; learning is the wrapped learner's,
    unchanged. ``kappa`` in [-10, 10] (negative: alternation). The previous action
    is the last one taken, whatever the cue.

    Reference: Lau, B. & Glimcher, P. W. (2005). Dynamic response-by-response models of
    matching behavior in rhesus monkeys. J Exp Anal Behav 84:555-579.
    """

    def __init__(self, inner: ChoiceModel) -> None:
        if not isinstance(inner, ChoiceModel) or inner.needs_next_action:
            raise ValueError(f"Sticky wraps a one-step choice learner, got {type(inner).__name__}")
        if "kappa" in inner.param_names:
            raise ValueError(f"{type(inner).__name__} already has a perseveration parameter 'kappa'")
        self.inner = inner
        self.name = f"{inner.name}_sticky"
        self.params = tuple(inner.params) + (Param("kappa", 0.0, -10.0, 10.0, doc="choice perseveration"),)
        self.outputs = dict(inner.outputs)
        self.max_states, self.n_actions_needed = inner.max_states, inner.n_actions_needed
        self.bootstraps = inner.bootstraps

    def options(self):
        return {"inner": type(self.inner).__name__, **self.inner.options()}

    def check_task(self, task) -> None:
        try:
            self.inner.check_task(task)
        except ValueError as e:  # the same reason, naming the wrapped learner as the user built it
            raise ValueError(str(e).replace(repr(self.inner), repr(self), 1)) from None

    def init(self, params, spec):
        return {"inner": self.inner.init(params, spec), "prev": jnp.zeros(spec.n_actions, jnp.float32)}

    def policy(self, params, state, obs=0):
        logp = self.inner.policy(params, state["inner"], obs)
        k = logp.shape[-1]
        return jax.nn.log_softmax(logp + params["kappa"] * state["prev"][:k])

    def step(self, params, state, inputs):
        logp = self.policy(params, state, inputs.get("obs", 0))
        inner, out = self.inner.step(params, state["inner"], inputs)
        chosen = (jnp.arange(logp.shape[-1]) == inputs["action"]).astype(jnp.float32)
        prev = jnp.zeros_like(state["prev"]).at[: logp.shape[-1]].set(chosen)
        return {"inner": inner, "prev": prev}, {**out, "log_prob": jnp.sum(logp * chosen), "p": jnp.exp(logp)}


def _check_pairs(learner, task) -> None:
    """A learner over stimulus pairs needs a task whose observations are those pairs."""
    pairs = getattr(task, "pairs", None)
    n = getattr(task, "n_states", 1)
    if pairs is None:
        raise ValueError(f"{learner!r} chooses within pairs of stimuli, but task {task_name(task)!r} shows no "
                         f"stimulus pairs")
    import numpy as np

    theirs = np.asarray(pairs, int)[:n].tolist()
    mine = [list(p) for p in learner.pairs[:n]]
    if len(learner.pairs) < n or mine != theirs:
        raise ValueError(f"{learner!r} knows the stimulus pairs {[tuple(p) for p in learner.pairs]}, but task "
                         f"{task_name(task)!r} shows {len(theirs)} pairs {[tuple(p) for p in theirs]}")
