"""Waelti, Dickinson & Schultz (2001): dopamine responses comply with the blocking paradigm.

Design (paper, Fig. 1): pretraining A+ (A predicts reward) and B- (B does
not), 60 trials each, interleaved; compound training AX+ and BY+ (60 each): X
is added to an already-predictive cue (blocked), Y to a non-predictive one
(control). Tests, interleaved: X and Y alone without reward, and X followed by
reward (5 each).

Signatures: small CS response to the blocked cue X, large to the control cue Y;
reward after X (unexpected, since X predicts little) activates the neuron;
omission after Y (expected) depresses it.

Model: TD(0.9) with a complete serial compound (alpha = 0.1, gamma = 0.98), the
same learner as the associative experiments; RPE -> firing by the default
dopamine readout.

Reference: Waelti, P., Dickinson, A. & Schultz, W. (2001). Dopamine responses
comply with basic assumptions of formal learning theory. Nature 412:43-48.
"""

from __future__ import annotations

import numpy as np

from .. import neurons
from ..tasks import PavlovianDesign
from . import _associative as A
from ..results import single
from .registry import Check, ExperimentResult, register

NAME = "waelti2001_blocking"
CITATION = ("Waelti, Dickinson & Schultz (2001). Dopamine responses comply with basic assumptions of formal "
            "learning theory. Nature 412:43-48")


def design() -> PavlovianDesign:
    return PavlovianDesign.from_notation([
        ("pretraining", {"A+": 60, "B-": 60}),
        ("compound", {"AX+": 60, "BY+": 60}),
        ("test", {"X-": 5, "Y-": 5, "X+": 5}),
    ], dt=0.1, name=NAME)


@register(NAME, "Dopamine blocking: small response to the blocked cue, large to the control", CITATION,
          default_agents=50, topic="dopamine RPE")
def run(n_agents: int = 50, seed: int = 0) -> ExperimentResult:
    sims = {}
    from ..models import TD
    from ..representations import CompleteSerialCompound
    from ..simulate import simulate

    sim = single(simulate(design(), TD(), A.TD_PARAMS, representation=CompleteSerialCompound(), n_agents=n_agents,
                   seed=seed))
    sims["TD"] = sim
    rate = neurons.firing_rate(sim.rpe, latency=0.0)
    base = rate.attrs["baseline_rate"]
    test = sim.phase == "test"

    def mean(var, *types):
        m = test & sim.trial_type.isin(list(types))
        return float(var.where(m).mean())

    cs_x, cs_y = mean(sim.rpe_cs, "X-", "X+"), mean(sim.rpe_cs, "Y-")
    us_xr, us_y = mean(sim.rpe_us, "X+"), mean(sim.rpe_us, "Y-")
    us_time = 1.0

    def rate_at(t, *types):
        return mean(rate.sel(time=t), *types) - base

    checks = A.tag(A.TDL, [
        Check("blocked_cs_small", "CS response to the blocked cue X / to the control cue Y", cs_x / cs_y, "<", 0.3, kind="direction"),
        Check("control_cs_burst", "firing at the control cue Y's onset minus baseline", rate_at(0.0, "Y-"), ">", 3.0,
              unit="Hz", kind="direction"),
        Check("reward_after_blocked_activates", "RPE to reward after the blocked cue X", us_xr, ">", 0.5, kind="direction"),
        Check("omission_after_control_depresses", "RPE at the omitted reward after the control cue Y", us_y, "<",
              -0.3, kind="direction"),
        Check("omission_dip_in_firing", "firing at the omitted reward after Y minus baseline",
              rate_at(us_time, "Y-"), "<", -0.5, unit="Hz", kind="direction"),
    ])
    ds = sim[["rpe", "rpe_cs", "rpe_us", "trial_type", "reward"]].sel(trial=test)
    ds["firing_rate"] = rate.sel(trial=test)
    ds.attrs = {k: v for k, v in sim.attrs.items()}
    ds["firing_rate"].attrs.update(long_name="dopamine neuron firing rate", units="Hz")
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(A.TD_PARAMS,
                                                                                    representation="CSC"), sims=sims)


#: the figure's bars: label, variable, test trial types, colour
BARS = (("CS: X\n(blocked)", "rpe_cs", ("X-", "X+"), "BLUE"), ("CS: Y\n(control)", "rpe_cs", ("Y-",), "VERMILLION"),
        ("reward\nafter X", "rpe_us", ("X+",), "GREEN"), ("omission\nafter Y", "rpe_us", ("Y-",), "VERMILLION"))


def figure(ds):
    from .. import plot
    from ..plot import mark_events, plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.3), constrained_layout=True, gridspec_kw={"width_ratios": [1.3, 1]})
    labels = {"X-": "X (blocked), no reward", "X+": "X (blocked), reward", "Y-": "Y (control), no reward"}
    for t, colour in (("X-", plot.BLUE), ("X+", plot.GREEN), ("Y-", plot.VERMILLION)):
        plot.band(a, ds.time, ds.firing_rate.where(ds.trial_type == t).mean("trial"), "agent", color=colour,
                  label=labels[t])
    mark_events(a, {"CS": 0.0, "R": 1.0})
    a.set_xlabel("time from CS onset (s)")
    a.set_ylabel("firing rate (Hz)")
    a.legend(loc="upper center")
    a.set_title("Test trials", pad=14)
    x = np.arange(len(BARS))
    for i, (_label, var, types, colour) in enumerate(BARS):
        per_agent = ds[var].where(ds.trial_type.isin(list(types))).mean("trial")
        plot.bars(b, [i], per_agent.expand_dims("bar"), "agent", width=0.7, color=getattr(plot, colour))
    b.set_xticks(x, [lab for lab, *_ in BARS])
    b.set_xlabel("test event")
    b.axhline(0, color=plot.GREY, lw=0.6)
    b.set_ylabel("RPE (a.u.)")
    b.set_title("Blocked vs control cue", pad=14)
    fig.suptitle("Waelti, Dickinson & Schultz (2001): dopamine blocking — TD(λ), CSC")
    plot.note(fig, f"Mean over {ds.sizes['agent']} agents of each agent's test trials; bands and error bars: 95 % "
                   "confidence interval of the mean.")
    return fig
