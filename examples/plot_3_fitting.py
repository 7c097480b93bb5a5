"""
Fitting real data
=================

The models that simulate also fit: the likelihood of a subject's choices is the
learner's own ``step`` run on them. This tutorial fits hBayesDM's example
two-armed-bandit data (20 subjects × 100 trials, shipped with the repository's tests)
by maximum likelihood, then hierarchically with NumPyro's NUTS (small chains here, so
the documentation builds quickly; use hBayesDM's defaults for real work), compares two
models, and turns the fitted model into trial-by-trial regressors and BIDS events for
an fMRI analysis.
"""

# %%
# Load and validate the data
# --------------------------
# :func:`~mesolimbic.fitting.load_choices` reads a tab-separated file (or a DataFrame)
# with hBayesDM's columns and refuses malformed data with one line naming the file,
# column and row.
from pathlib import Path

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mesolimbic.fitting import (
    compare_fits,
    diagnostics,
    events,
    fit_hierarchical,
    fit_mle,
    load_choices,
    loo_table,
    regressors,
    write_bids_events,
)

try:
    HERE = Path(__file__).resolve().parent
except NameError:  # run interactively
    HERE = Path.cwd()
DATA = HERE.parent / "tests" / "data" / "hbayesdm" / "bandit2arm_exampleData.txt"

data = load_choices(DATA, "bandit2arm")
print(data.n_subjects, "subjects;", int(data.mask.sum()), "trials")
print(pd.read_csv(DATA, sep="\t").head())

# %%
# Maximum likelihood, all subjects at once
# ----------------------------------------
# :func:`~mesolimbic.fitting.fit_mle` fits every subject with its own L-BFGS from
# several random starts, all in one batched computation, and reports estimates,
# standard errors (from each subject's Hessian), AIC, BIC and a convergence status
# per subject. ``bandit2arm_delta`` is hBayesDM's model: the delta rule with a
# learning rate ``alpha`` (hBayesDM's ``A``) and an inverse temperature ``beta``
# (``tau``).
mle = fit_mle(data, "bandit2arm_delta", n_starts=3)
print(mle.table().head())

# %%
# Hierarchical Bayes
# ------------------
# :func:`~mesolimbic.fitting.fit_hierarchical` uses hBayesDM's non-centred
# parameterisation and returns ArviZ ``InferenceData`` with the posterior,
# per-subject and per-trial log-likelihoods and posterior predictive choices. By default
# it samples with many short ChEES-HMC chains in superchains of 4, warm-started from the
# empirical-Bayes Laplace fit, until the bulk ESS of every group parameter reaches
# ``target_ess`` (``sampler="nuts"`` gives hBayesDM's NUTS: 4 chains of 1,000 warm-up
# and 3,000 draws). The diagnostics (R-hat, bulk and tail ESS, divergences) are
# printed every time; this tutorial asks for a small ESS to keep the docs build short.
idata = fit_hierarchical(data, "bandit2arm_delta", chains=8, warmup=150, target_ess=400, max_draws=400, seed=1)
print(idata)
d = diagnostics(idata, warn=False)
print({k: d[k] for k in ("max_r_hat", "min_ess_bulk", "divergences")})
print(
    az.summary(
        idata,
        var_names=["mu_alpha", "mu_beta"]
        if "mu_alpha" in idata.posterior
        else [v for v in idata.posterior.data_vars if v.startswith("mu_") and v != "mu_pr"],
    )
)

# %%
# Partial pooling pulls noisy individual estimates towards the group: subjects whose
# MLE learning rate sits at an edge move most.
post_alpha = idata.posterior["alpha"].mean(("chain", "draw")).values
fig, ax = plt.subplots(figsize=(4, 4))
ax.plot(mle.params["alpha"], post_alpha, "o")
ax.plot([0, 1], [0, 1], color="0.6", ls="--")
ax.set(xlabel="MLE α", ylabel="hierarchical posterior mean α", xlim=(0, 1), ylim=(0, 1))
fig.tight_layout()

# %%
# The posterior of the group-level learning rate:
az.plot_posterior(
    idata, var_names=[v for v in idata.posterior.data_vars if v.startswith("mu_") and v != "mu_pr"], figsize=(7, 2.5)
)
plt.tight_layout()

# %%
# Model comparison
# ----------------
# Add choice perseveration (``kappa``) and compare the point fits by AIC, BIC and
# random-effects Bayesian model selection on -BIC/2 (Stephan et al. 2009)...
mle_stick = fit_mle(data, "bandit2arm_delta_stick", n_starts=3)
print(compare_fits({"bandit2arm_delta": mle, "bandit2arm_delta_stick": mle_stick}).round(3).to_string())

# %%
# ...and the hierarchical fits by PSIS-LOO, per subject as hBayesDM reports it.
idata_stick = fit_hierarchical(
    data, "bandit2arm_delta_stick", chains=8, warmup=150, target_ess=400, max_draws=400, seed=1
)
print(loo_table({"bandit2arm_delta": idata, "bandit2arm_delta_stick": idata_stick}).round(2).to_string())

# %%
# Trial-by-trial regressors
# -------------------------
# :func:`~mesolimbic.fitting.regressors` runs the fitted learner over each subject's
# trials and returns one row per trial: the reward prediction error, the values of the
# chosen and unchosen options and the probability of the choice made — the signals a
# model-based fMRI or electrophysiology analysis regresses against.
reg = regressors("bandit2arm_delta", mle.params, data)
print(reg.head())

fig, ax = plt.subplots(figsize=(7, 2.8))
s1 = reg[reg.subjID == reg.subjID.iloc[0]]
ax.bar(s1.trial, s1.rpe, color=np.where(s1.rpe > 0, "tab:red", "tab:blue"), width=1.0)
ax.set(xlabel="trial", ylabel="RPE", title=f"subject {s1.subjID.iloc[0]}: fitted prediction errors")
fig.tight_layout()

# %%
# BIDS events
# -----------
# :func:`~mesolimbic.fitting.events` turns regressors into BIDS-style events (onset,
# duration, trial type, parametric modulation) given each trial's outcome onset in
# seconds — here a made-up 4-s trial grid; use your scanner log. The table goes
# straight to ``nilearn.glm.first_level.make_first_level_design_matrix``;
# :func:`~mesolimbic.fitting.write_bids_events` writes one events file per subject
# with a JSON sidecar that says what the columns mean.
onsets = (reg.trial - 1) * 4.0 + 2.5
ev = events(reg, onsets, names=("rpe", "q_chosen"))
print(ev.head())

import tempfile  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    paths = write_bids_events(
        ev,
        tmp,
        task="bandit",
        descriptions={"rpe": "reward prediction error", "q_chosen": "value of the chosen option"},
    )
    print(len(paths), "files, e.g.", Path(paths[0]).relative_to(tmp))
    print(Path(paths[0]).read_text().splitlines()[:3])
