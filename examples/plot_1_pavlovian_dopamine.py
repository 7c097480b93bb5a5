"""
Pavlovian designs and the dopamine readout
==========================================

A conditioning experiment is a *design* (what happens: cues, rewards, timings and
phases), a *representation* (how the brain codes time since the cue), a *learner*
(how values and prediction errors change) and a *readout* (what an electrophysiologist
records). mesolimbic keeps the four apart. This tutorial builds the design of
Schultz, Dayan & Montague (1997), runs TD(0) on it, turns the reward prediction error
(RPE) into a dopamine neuron's firing, and then asks what the representation and the
learning rate change.
"""

# %%
# A design in a few declarative lines
# -----------------------------------
# A :class:`~mesolimbic.tasks.TrialType` says which cues appear and when the US is due;
# a :class:`~mesolimbic.tasks.Phase` how many trials of each type, in which order.
# Times are seconds from CS onset; the grid is ``dt`` seconds wide.
import matplotlib.pyplot as plt

import mesolimbic as ml
from mesolimbic import neurons
from mesolimbic.plot import mark_events, psth_bars, raster, rpe_heatmap

design = ml.PavlovianDesign(
    trial_types=[
        ml.TrialType("paired", cues=["light"], us_time=1.0),
        ml.TrialType("omission", cues=["light"], us_time=1.0, probability=0.0),
        ml.TrialType("free_reward", us_time=1.0),
    ],
    phases=[
        ml.Phase("training", {"paired": 100}),
        ml.Phase("probe", {"paired": 20, "omission": 5, "free_reward": 5}, order="random"),
    ],
    dt=0.1,
    window=(-1.0, 2.0),
)
print(design)

# %%
# The field's notation works too: ``A+`` is cue A reinforced, ``AB-`` the compound
# without reward.
blocking = ml.PavlovianDesign.from_notation(
    [("pretraining", {"A+": 30}), ("compound", {"AB+": 30}), ("test", {"B-": 1})]
)
print([p.name for p in blocking.phases])

# %%
# One call simulates every agent
# ------------------------------
# :func:`~mesolimbic.simulate.simulate` runs the learner over every trial and time step
# of every agent in one compiled JAX call and returns an :class:`xarray.Dataset` with
# named dimensions, units and the provenance of the run in its attributes.
ds = ml.simulate(
    design, ml.TD(), {"alpha": 0.2, "gamma": 0.98, "lam": 0.0}, representation=ml.CSC(), n_agents=50, seed=0
)
print(dict(ds.sizes))
print(ds.rpe.attrs)

# %%
# Over training the error moves from the reward to the cue: each row is one trial of
# agent 0, each column a time step.
fig, ax = plt.subplots(figsize=(6, 3.5))
im = rpe_heatmap(ax, ds.rpe.isel(param_set=0, agent=0, trial=slice(0, 100)))
mark_events(ax, {"CS": 0.0, "reward": 1.0})
ax.set(xlabel="time from CS onset (s)", ylabel="training trial")
fig.colorbar(im, ax=ax, label="RPE")
fig.tight_layout()

# %%
# The dopamine readout
# --------------------
# :func:`~mesolimbic.neurons.firing_rate` maps the RPE to a firing rate: a 4 Hz
# baseline, steep bursts and shallow dips with a 0 Hz floor (Bayer & Glimcher 2005),
# and a 100 ms response latency. Poisson spikes and a PSTH then give the figure an
# electrophysiologist would draw. Labels, not axis numbers, pick the trials.
rate = neurons.firing_rate(ds.rpe.isel(param_set=0))
probe = ds.phase == "probe"

fig, axes = plt.subplots(2, 3, figsize=(9, 4), sharex=True, sharey="row")
for j, cond in enumerate(["free_reward", "paired", "omission"]):
    sel = (ds.trial_type == cond) & probe
    r = rate.where(sel).dropna("trial", how="all")
    spikes = neurons.poisson_spikes(
        r.isel(agent=slice(0, 3)).stack(row=("agent", "trial")).dropna("row").transpose("row", "time"), seed=j
    )
    raster(axes[0, j], spikes.isel(row=slice(0, 15)))
    psth_bars(axes[1, j], neurons.psth(neurons.poisson_spikes(r.fillna(4.0), seed=10 + j), bin_width=0.1), baseline=4.0)
    axes[0, j].set_title(cond.replace("_", " "))
    mark_events(axes[1, j], {"CS": 0.0, "R": 1.0}, top=False)
axes[1, 0].set_ylabel("Hz")
for ax in axes[1]:
    ax.set_xlabel("time (s)")
fig.tight_layout()

# %%
# The same numbers without spikes: the mean rate in the 300 ms after the reward time.
window = rate.sel(time=slice(1.0, 1.3)).mean("time")
for cond in ["free_reward", "paired", "omission"]:
    sel = (ds.trial_type == cond) & probe
    print(f"{cond:12s} {float(window.where(sel).mean()):5.1f} Hz")

# %%
# Sweeps are one call too
# -----------------------
# :func:`~mesolimbic.simulate.sweep` builds a grid; the swept values become coordinates
# on the ``param_set`` dimension, and every agent sees the same trial sequence in every
# parameter set, so differences come from the parameters alone. With ``record="trials"``
# only per-trial summaries are kept (``rpe_cs`` at the cue, ``rpe_us`` when the reward
# is due).
grid = ml.sweep(alpha=[0.05, 0.1, 0.3], lam=[0.0, 0.9])
sw = ml.simulate(design, ml.TD(), {**grid, "gamma": 0.98}, n_agents=20, seed=1, record="trials")
cs = sw.rpe_cs.where(sw.trial_type == "paired").mean("agent")

fig, ax = plt.subplots(figsize=(6, 3.2))
for i in range(sw.sizes["param_set"]):
    p = sw.isel(param_set=i)
    ax.plot(cs.isel(param_set=i).values, label=f"α={float(p.alpha):g}, λ={float(p.lam):g}")
ax.set(xlabel="trial", ylabel="RPE at the CS", title="Acquisition of the CS response")
ax.legend(fontsize=8, ncol=2)
fig.tight_layout()

# %%
# The representation matters
# --------------------------
# The complete serial compound gives every time step since the cue its own feature. A
# microstimulus code (Ludvig, Sutton & Kehoe 2008) lets features spread and fade with
# time, so the dip at an omitted reward becomes shallower and broader.
ms = ml.simulate(
    design, ml.TD(), {"alpha": 0.05, "gamma": 0.98, "lam": 0.9}, representation=ml.Microstimulus(), n_agents=20, seed=0
)
fig, ax = plt.subplots(figsize=(6, 3))
for label, d in [("complete serial compound", ds), ("microstimulus", ms)]:
    om = d.rpe.isel(param_set=0).where(d.trial_type == "omission").mean(["agent", "trial"])
    ax.plot(om.time, om, label=label)
mark_events(ax, {"CS": 0.0, "reward due": 1.0})
ax.set(xlabel="time (s)", ylabel="mean RPE on omission trials")
ax.legend()
fig.tight_layout()

# %%
# Rescorla–Wagner is a trial-level learner: one update per trial and no time within
# it, so it has no CS response to transfer; its prediction error is the reward minus
# the summed value of the cues present.
rw = ml.simulate(design, ml.RescorlaWagner(), {"alpha": 0.2}, n_agents=5)
print(rw.data_vars)

# %%
# Saving and opening
# ------------------
# Results save to netCDF and open in any xarray session, with their provenance:
#
# .. code-block:: python
#
#    ds.to_netcdf("schultz.nc")
#    import xarray as xr
#    back = xr.open_dataset("schultz.nc")
#    back.attrs["model"], back.attrs["params"]
print({k: ds.attrs[k] for k in ("model", "seed", "representation") if k in ds.attrs})
