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
    tests = {"CS: X (blocked)": cs_x, "CS: Y (control)": cs_y, "reward after X": us_xr, "omission after Y": us_y}
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds, tests), params=dict(A.TD_PARAMS,
                                                                                    representation="CSC"), sims=sims)


def figure(ds, tests):
    from ..plot import mark_events, plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.9), constrained_layout=True)
    for t, c in (("X-", "tab:blue"), ("X+", "tab:green"), ("Y-", "tab:red")):
        a.plot(ds.time, ds.firing_rate.where(ds.trial_type == t).mean(["agent", "trial"]), color=c,
               label={"X-": "X (blocked), no reward", "X+": "X (blocked), reward", "Y-": "Y (control), no reward"}[t])
    mark_events(a, {"CS": 0.0, "R": 1.0})
    a.set_xlabel("time from CS onset (s)")
    a.set_ylabel("firing rate (Hz)")
    a.legend(fontsize=8, frameon=False)
    a.set_title("Test trials (mean over agents)", fontsize=10, pad=14)
    labels = list(tests)
    b.bar(range(len(labels)), [tests[k] for k in labels], color=["tab:blue", "tab:red", "tab:green", "tab:red"])
    b.set_xticks(range(len(labels)), labels, fontsize=8, rotation=10)
    b.axhline(0, color="0.3", lw=0.6)
    b.set_ylabel("RPE")
    b.set_title("Blocked vs control cue", fontsize=10, pad=14)
    fig.suptitle("Waelti, Dickinson & Schultz (2001): dopamine blocking — TD(λ), CSC", fontsize=11)
    return fig
