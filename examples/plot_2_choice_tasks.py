"""
Choice tasks and Gymnasium
==========================

Instrumental tasks put the learner in the loop: it chooses, the task answers, and the
learner's prediction error updates the value of what it chose. The same learner
definition simulates choices, scores observed ones (its likelihood) and drives a
Gymnasium environment that any external agent can use.
"""

# %%
# Reversal learning with the delta rule
# -------------------------------------
# Two arms pay with probability 0.8 and 0.2, reversed every 40 trials. The delta
# rule (:class:`~mesolimbic.models.DeltaRule`) keeps one value per arm and chooses by
# softmax. Passing a list of learning rates sweeps them.
import gymnasium
import matplotlib.pyplot as plt
import numpy as np

import mesolimbic as ml
from mesolimbic.instrumental import log_likelihood, score, simulate_choices, to_dataframe
from mesolimbic.plot import stay_bars
from mesolimbic.tasks.bandit import reversal_learning
from mesolimbic.tasks.two_step import TwoStep, stays_of

task = reversal_learning()
print(task)
ds = simulate_choices(task, ml.models.DeltaRule(), {"alpha": [0.1, 0.3, 0.6], "beta": 5.0}, n_agents=200, seed=0)
print(dict(ds.sizes))
print(list(ds.data_vars))

# %%
# Accuracy dips after each reversal and recovers faster with a higher learning rate.
acc = ds.correct.mean("agent")
fig, ax = plt.subplots(figsize=(7, 3))
for i, a in enumerate(ds.alpha.values):
    ax.plot(acc.trial, acc.isel(param_set=i), label=f"α = {a:g}")
for t in range(40, task.n_trials, 40):
    ax.axvline(t, color="0.6", ls="--", lw=0.8)
ax.set(xlabel="trial", ylabel="P(better arm)", ylim=(0, 1))
ax.legend()
fig.tight_layout()

# %%
# The RPE of each trial is recorded beside the choice: positive after unexpected wins,
# negative after unexpected losses, and largest just after a reversal.
rpe = ds.rpe.isel(param_set=1).mean("agent")
print(
    "mean |RPE| in the 5 trials after a reversal:",
    float(abs(ds.rpe.isel(param_set=1)).sel(trial=[40, 41, 42, 43, 44]).mean()),
)
print(
    "mean |RPE| in the 5 trials before it:      ",
    float(abs(ds.rpe.isel(param_set=1)).sel(trial=[35, 36, 37, 38, 39]).mean()),
)

# %%
# The same step scores observed choices
# -------------------------------------
# :func:`~mesolimbic.instrumental.score` replays the recorded cues, choices and outcomes
# through the learner's own ``step`` and returns the log-probability of each choice:
# it equals what the simulation recorded.
lp = score(ml.models.DeltaRule(), ds.isel(param_set=[1]))
print("max |score - recorded log_prob|:", float(abs(lp - ds.log_prob.isel(param_set=[1])).max()))

# %%
# :func:`~mesolimbic.instrumental.log_likelihood` takes plain arrays: here the
# likelihood profile of one agent's choices over the learning rate peaks near the
# value that generated them (0.3).
one = ds.isel(param_set=1, agent=0)
alphas = np.linspace(0.05, 0.95, 19)
ll = [
    float(log_likelihood(ml.models.DeltaRule(), {"alpha": a, "beta": 5.0}, one.choice, one.outcome, n_actions=2).sum())
    for a in alphas
]
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(alphas, ll, "o-")
ax.axvline(0.3, color="0.5", ls="--")
ax.set(xlabel="α", ylabel="log-likelihood", title="One simulated subject")
fig.tight_layout()

# %%
# Tidy tables in hBayesDM's columns (``subjID``, ``trial``, ``choice``, ``outcome``)
# are one call; they load back with :func:`mesolimbic.fitting.load_choices`.
print(to_dataframe(ds.isel(param_set=[1])).head())

# %%
# The two-step task
# -----------------
# A hybrid learner (:class:`~mesolimbic.models.HybridTwoStep`) mixes model-free and
# model-based values with weight ``w``. The stay probabilities after common and rare
# transitions tell them apart (Daw et al. 2011): a model-free agent repeats what was
# rewarded; a model-based one takes the transition into account.
ts = simulate_choices(TwoStep(n_trials=200), ml.models.HybridTwoStep(), {"w": [0.0, 1.0]}, n_agents=100, seed=0)
stays = stays_of(ts)
fig, axes = plt.subplots(1, 2, figsize=(7, 3), sharey=True)
for ax, s, title in zip(axes, stays, ["model-free (w = 0)", "model-based (w = 1)"]):
    stay_bars(ax, s)
    ax.set_title(title)
axes[0].set_ylabel("P(stay)")
axes[0].set_ylim(0.4, 1.0)
axes[1].legend()
fig.tight_layout()

# %%
# Gymnasium: the same task for any agent
# --------------------------------------
# Importing :mod:`mesolimbic.envs` registers every task under ``mesolimbic/<Task>-v0``;
# the environment runs the task's own ``transition`` with NumPy behind the standard
# ``reset`` / ``step`` interface, and passes Gymnasium's ``check_env``.
from gymnasium.utils.env_checker import check_env  # noqa: E402

import mesolimbic.envs  # noqa: E402,F401  (registers the ids)

print(mesolimbic.envs.ENV_IDS)
env = gymnasium.make("mesolimbic/ReversalLearning-v0")
check_env(env.unwrapped)

# %%
# An agent written outside the package: tabular Q-learning with ε-greedy choice.
rng = np.random.default_rng(0)
q = np.zeros(env.action_space.n)
obs, info = env.reset(seed=0)
rewards, correct = [], []
done = False
while not done:
    a = int(rng.integers(2)) if rng.random() < 0.1 else int(np.argmax(q))
    obs, r, terminated, truncated, info = env.step(a)
    q[a] += 0.3 * (r - q[a])
    rewards.append(r)
    correct.append(info["correct"])
    done = terminated or truncated
print(f"{len(rewards)} trials, mean reward {np.mean(rewards):.2f}, P(better arm) {np.mean(correct):.2f}")
