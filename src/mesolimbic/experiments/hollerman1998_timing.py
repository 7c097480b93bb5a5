"""Hollerman & Schultz (1998): dopamine neurons code errors in the timing of reward.

Design: a CS at 0 s predicts reward at 1 s (0.1-s steps); 150 training trials,
then a probe phase of 50 randomly interleaved trials: 40 as trained, 5 with the
reward 0.5 s early, 5 with it 0.5 s late.

Signatures (paper, Fig. 4): a reward delivered at an unexpected time excites
the neuron; when it comes late, activity is depressed at the habitual time.
When it comes early, the recordings show little depression at the habitual
time afterwards.

Models: TD(0) with a complete serial compound (alpha = 0.2, gamma = 0.98), in
two variants. Without a reset, the delay line keeps running after an early
reward and the omitted "habitual" reward produces a dip — a TD prediction the
recordings do not show. With a trial-state reset at reward
(``TrialType.reset_after_us``: the reward ends the trial's state, as in Suri &
Schultz 1999 and the semi-Markov account of Daw, Courville & Touretzky 2006),
that dip is gone and everything else is unchanged. Both are shown.

References: Hollerman, J. R. & Schultz, W. (1998). Dopamine neurons report an
error in the temporal prediction of reward during learning. Nat Neurosci
1:304-309. Suri, R. E. & Schultz, W. (1999). Neuroscience 91:871-890.
"""

from __future__ import annotations

import xarray as xr

from ..models import TD
from ..simulate import simulate
from ..tasks import PavlovianDesign, Phase, TrialType
from ..results import single
from .registry import Check, ExperimentResult, register

NAME = "hollerman1998_timing"
CITATION = ("Hollerman & Schultz (1998). Dopamine neurons report an error in the temporal prediction of reward "
            "during learning. Nat Neurosci 1:304-309")
PARAMS = {"alpha": 0.2, "gamma": 0.98, "lam": 0.0}
HABITUAL, EARLY, LATE = 1.0, 0.5, 1.5
VARIANTS = {"TD(0), no reset": False, "TD(0), reset at reward": True}


def design(reset: bool) -> PavlovianDesign:
    def tt(name, t):
        return TrialType(name, cues=["cs"], us_time=t, reset_after_us=reset)

    return PavlovianDesign([tt("habitual", HABITUAL), tt("early", EARLY), tt("late", LATE)],
                           [Phase("training", {"habitual": 150}),
                            Phase("probe", {"habitual": 40, "early": 5, "late": 5}, order="random")],
                           dt=0.1, window=(-0.5, 2.0), name=NAME)


@register(NAME, "Reward earlier or later than trained: burst at the new time, dip at the habitual one", CITATION,
          default_agents=100, topic="dopamine RPE")
def run(n_agents: int = 100, seed: int = 0) -> ExperimentResult:
    sims = {}
    curves, agents, checks = [], [], []
    for label, reset in VARIANTS.items():
        sim = single(simulate(design(reset), TD(), PARAMS, n_agents=n_agents, seed=seed))
        sims[label] = sim
        probe = sim.phase == "probe"
        by_type = xr.concat([sim.rpe.where(probe & (sim.trial_type == t)).mean(["agent", "trial"])
                             for t in ("habitual", "early", "late")],
                            dim=xr.DataArray(["habitual", "early", "late"], dims="timing"))
        curves.append(by_type.drop_vars("phase", errors="ignore"))
        agents.append(xr.concat([sim.rpe.where(probe & (sim.trial_type == t)).mean("trial")
                                 for t in ("habitual", "early", "late")],
                                dim=xr.DataArray(["habitual", "early", "late"], dims="timing"))
                      .drop_vars("phase", errors="ignore"))

        def at(timing, t):
            return float(by_type.sel(timing=timing, time=t))  # noqa: B023 - called in this iteration only

        checks += [
            Check("late.burst_at_new_time", "RPE at the late reward (1.5 s)", at("late", LATE), ">", 0.5, model=label, kind="direction"),
            Check("late.dip_at_habitual_time", "RPE at the habitual time (1 s) when reward is late",
                  at("late", HABITUAL), "<", -0.3, model=label, kind="direction"),
            Check("early.burst_at_new_time", "RPE at the early reward (0.5 s)", at("early", EARLY), ">", 0.5,
                  model=label, kind="direction"),
        ]
        if reset:
            checks.append(Check("early.no_dip_at_habitual_time", "|RPE at 1 s after an early reward|",
                                abs(at("early", HABITUAL)), "<", 0.05, model=label, kind="direction"))
        else:
            checks.append(Check("early.no_dip_at_habitual_time",
                                "RPE at 1 s after an early reward (the recordings show little dip)",
                                at("early", HABITUAL), ">", -0.1, expected_failure=True, model=label, kind="direction"))
    models = xr.DataArray(list(VARIANTS), dims="model")
    ds = xr.Dataset({"rpe": xr.concat(curves, dim=models).assign_attrs(
                         long_name="RPE on probe trials, mean over agents", units="a.u."),
                     "rpe_by_agent": xr.concat(agents, dim=models).assign_attrs(
                         long_name="RPE on probe trials, each agent's mean", units="a.u.")},
                    attrs={"habitual_time": HABITUAL,
                           "early_time": EARLY, "late_time": LATE, **{f"param_{k}": v for k, v in PARAMS.items()}})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, representation="CSC"), sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import mark_events, plt

    fig, axes = plt.subplots(2, 3, figsize=(12, 5.9), constrained_layout=True, sharex=True, sharey=True)
    times = {"habitual": HABITUAL, "early": EARLY, "late": LATE}
    for i, m in enumerate(ds.model.values):
        for j, t in enumerate(ds.timing.values):
            ax = axes[i, j]
            plot.band(ax, ds.time, ds.rpe_by_agent.sel(model=m, timing=t), "agent", color=plot.BLACK,
                      drawstyle="steps-post")
            ax.axhline(0, color=plot.GREY, lw=0.6)
            ev = {"CS": 0.0, "R": times[str(t)]}
            if t != "habitual":
                ev["(habitual)"] = HABITUAL
            mark_events(ax, ev, top=(i == 0))
            if i == 0:
                ax.set_title(f"reward {t}", pad=14)
            if j == 0:
                ax.set_ylabel(f"{m}\nRPE (a.u.)")
            if i == 1:
                ax.set_xlabel("time from CS onset (s)")
    fig.suptitle("Hollerman & Schultz (1998): errors in reward timing — TD(0), CSC")
    plot.note(fig, f"Probe trials after training; mean over {ds.sizes['agent']} agents, band: 95 % confidence "
                   "interval of the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "timing": ("reward timing on the probe trial (habitual, early, late)", None),
}
