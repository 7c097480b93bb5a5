"""The RPE's move from reward to cue during learning: step by step in TD(0), all at once in TD(lambda).

This is a model property, labelled as such: the recordings are mixed (Pan,
Schmidt, Wickens & Hyland 2005 saw no intermediate responses; Amo et al. 2022
reported a gradual backward shift in mice).

Design: a cue on from 0 to 1 s, reward at 1 s, 0.1-s steps, 200 acquisition
trials. Three learners: TD(0) with a complete serial compound (alpha = 0.3) —
the error travels back one time step per trial as a bump between cue and reward
(Montague, Dayan & Sejnowski 1996); TD(0.9) with the same code — eligibility
traces carry credit straight to the cue, no intermediate bump; TD(0) with
microstimuli (Ludvig, Sutton & Kehoe 2008) — overlapping, coarse temporal
features smooth the transfer. Checks measure, over all training trials, the
largest RPE strictly between cue and reward ("intermediate bump").

References: Montague, Dayan & Sejnowski (1996). J Neurosci 16:1936-1947.
Pan, Schmidt, Wickens & Hyland (2005). J Neurosci 25:6235-6242. Ludvig, Sutton
& Kehoe (2008). Neural Comput 20:3034-3054. Amo et al. (2022). Nat Neurosci
25:1082-1092.
"""

from __future__ import annotations

import xarray as xr

from ..models import TD
from ..representations import CompleteSerialCompound, Microstimulus
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from ..results import single
from .registry import Check, ExperimentResult, register

NAME = "td_backward_shift"
CITATION = ("Montague, Dayan & Sejnowski (1996). A framework for mesencephalic dopamine systems based on "
            "predictive Hebbian learning. J Neurosci 16:1936-1947")
LEARNERS = {  # label -> (params, representation)
    "TD(0), CSC": ({"alpha": 0.3, "gamma": 0.98, "lam": 0.0}, CompleteSerialCompound()),
    "TD(0.9), CSC": ({"alpha": 0.3, "gamma": 0.98, "lam": 0.9}, CompleteSerialCompound()),
    "TD(0), microstimuli": ({"alpha": 0.3, "gamma": 0.98, "lam": 0.0}, Microstimulus()),
}


def design() -> PavlovianDesign:
    return PavlovianDesign([TrialType("paired", cues=[Cue("cs", duration=1.0)], us_time=1.0)],
                           [Phase("acquisition", {"paired": 200})], dt=0.1, window=(-0.5, 1.6), name=NAME)


@register(NAME, "The RPE moves from reward to cue: a bump in TD(0), none in TD(λ) (model property)", CITATION,
          default_agents=1, topic="dopamine RPE")
def run(n_agents: int = 1, seed: int = 0) -> ExperimentResult:
    sims = {}
    d = design()
    rpes, bumps, cs_last = [], {}, {}
    mid = (d.times > 0.05) & (d.times < 0.95)
    for label, (params, rep) in LEARNERS.items():
        ds = single(simulate(d, TD(), params, representation=rep, n_agents=n_agents, seed=seed))
        sims[label] = ds
        r = ds.rpe.mean("agent")
        rpes.append(r)
        bumps[label] = float(r.values[:, mid].max())
        cs_last[label] = float(r.sel(time=0.0).isel(trial=-1))
    csc0 = bumps["TD(0), CSC"]
    checks = [
        Check("intermediate_bump", "largest RPE strictly between cue and reward during training",
              csc0, ">", 0.2, model="TD(0), CSC", kind="property"),
        Check("no_intermediate_bump", "largest intermediate RPE / that of TD(0) with a CSC",
              bumps["TD(0.9), CSC"] / csc0, "<", 0.25, model="TD(0.9), CSC", kind="property"),
        Check("smooth_transfer", "largest intermediate RPE / that of TD(0) with a CSC",
              bumps["TD(0), microstimuli"] / csc0, "<", 0.25, model="TD(0), microstimuli", kind="property"),
    ]
    checks += [Check("transfer_to_cue", "RPE at cue onset on the last training trial", v, ">", 0.4, model=k, kind="property")
               for k, v in cs_last.items()]
    learner = xr.DataArray(list(LEARNERS), dims="learner")
    ds = xr.Dataset({"rpe": xr.concat(rpes, learner).drop_vars("phase")},
                    attrs={"model_property": 1,
                           "learners": str({k: v[0] for k, v in LEARNERS.items()})})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds),
                            params={k: dict(v[0], representation=v[1].name) for k, v in LEARNERS.items()}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import mark_events, plt, rpe_heatmap

    fig, axes = plt.subplots(1, ds.sizes["learner"], figsize=(13, 4.2), constrained_layout=True, sharey=True)
    for ax, label in zip(axes, ds.learner.values):
        im = rpe_heatmap(ax, ds.rpe.sel(learner=label))
        mark_events(ax, {"CS": 0.0, "R": 1.0})
        ax.set_title(str(label), pad=14)
        ax.set_xlabel("time from CS onset (s)")
    axes[0].set_ylabel("training trial")
    fig.colorbar(im, ax=list(axes), label="RPE (a.u.)", shrink=0.8)
    fig.suptitle("Backward shift of the RPE during acquisition (a model property)")
    plot.note(fig, "Deterministic: every agent learns the same; mean over agents shown.")
    return fig
