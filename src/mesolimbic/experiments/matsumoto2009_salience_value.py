"""Matsumoto & Hikosaka (2009): two types of dopamine neuron — value coding (excited by reward, inhibited by punishment) and salience coding (excited by both).

Design: three cues, each 1 s before its outcome: one predicts juice (reward
1), one an air puff (punishment 1), one nothing; free juice and free air puffs
come without a cue. 300 trials of each cue and 60 of each free outcome,
interleaved; measured on the last half. Two TD(0) critics with a complete
serial compound (alpha 0.2, gamma 1) learn on the same trials, one the juice
and one the air puff (each of its own valence, counted positive). Readouts:
value-coding neurons, :func:`mesolimbic.neurons.firing_rate` of the signed
error (juice error minus air-puff error, the error of one signed critic), and
salience-coding neurons, :func:`mesolimbic.neurons.salience_rate` (excited by
the positive part of either error).

Signatures (Matsumoto & Hikosaka 2009; Bromberg-Martin, Matsumoto & Hikosaka
2010): value-coding neurons are excited by the reward cue and by free reward
and inhibited by the air-puff cue and by the air puff; salience-coding neurons
are excited by the reward cue and the air-puff cue alike, and by the air puff
itself. A single RPE population (value coding only) cannot give the excitation
by the air-puff cue — shown as its expected failure.

References: Matsumoto, M. & Hikosaka, O. (2009). Two types of dopamine neuron
distinctly convey positive and negative motivational signals. Nature
459:837-841. Bromberg-Martin, E. S., Matsumoto, M. & Hikosaka, O. (2010).
Dopamine in motivational control: rewarding, aversive, and alerting. Neuron
68:815-834.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .. import neurons
from ..models import TD
from ..results import single
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from .registry import Check, ExperimentResult, register

NAME = "matsumoto2009_salience_value"
CITATION = ("Matsumoto & Hikosaka (2009). Two types of dopamine neuron distinctly convey positive and negative "
            "motivational signals. Nature 459:837-841")
US = 1.0
PARAMS = {"alpha": 0.2, "gamma": 1.0, "lam": 0.0}
KINDS = ("juice cue", "air-puff cue", "neutral cue", "free juice", "free air puff")
WINDOW = (0.0, 0.3)
VALUE, SALIENCE = "TD(0) + value-coding readout", "TD(0) x2 + salience-coding readout"


def design(valence: str) -> PavlovianDesign:
    """The same trials for both critics; ``valence`` says which outcome this critic learns (1) and which it
    ignores (0)."""
    juice, puff = (1.0, 0.0) if valence == "appetitive" else (0.0, 1.0)
    tts = [TrialType("juice cue", [Cue("cs_juice", duration=US)], us_time=US, magnitude=juice),
           TrialType("air-puff cue", [Cue("cs_puff", duration=US)], us_time=US, magnitude=puff),
           TrialType("neutral cue", [Cue("cs_neutral", duration=US)], us_time=US, magnitude=0.0),
           TrialType("free juice", [], us_time=US, magnitude=juice),
           TrialType("free air puff", [], us_time=US, magnitude=puff)]
    counts = {"juice cue": 300, "air-puff cue": 300, "neutral cue": 300, "free juice": 60, "free air puff": 60}
    return PavlovianDesign(tts, [Phase("training", counts, order="random")], dt=0.1, window=(-0.5, 2.0),
                           name=f"{NAME} ({valence})")


@register(NAME, "Value- and salience-coding dopamine neurons: inhibited vs excited by aversive events",
          CITATION, default_agents=50, topic="aversive")
def run(n_agents: int = 50, seed: int = 0) -> ExperimentResult:
    app = single(simulate(design("appetitive"), TD(), PARAMS, n_agents=n_agents, seed=seed))
    av = single(simulate(design("aversive"), TD(), PARAMS, n_agents=n_agents, seed=seed))
    if not np.array_equal(app.trial_type.values, av.trial_type.values):
        raise RuntimeError("the two critics did not see the same trials")  # same seed, same design structure
    late = app.trial > app.sizes["trial"] // 2
    value = neurons.firing_rate(app.rpe - av.rpe)
    sal = neurons.salience_rate(app.rpe, av.rpe)
    f0 = value.attrs["baseline_rate"]
    tt = app.trial_type

    def resp(rate, kind, t):
        w = rate.sel(time=slice(t + WINDOW[0] - 1e-9, t + WINDOW[1] + 0.1 - 1e-9)).mean("time")
        return float(w.where((tt == kind) & late).mean()) - f0

    rows = {}
    for lab, rate in (("value", value), ("salience", sal)):
        rows[lab] = {"juice cue": resp(rate, "juice cue", 0.0), "air-puff cue": resp(rate, "air-puff cue", 0.0),
                     "neutral cue": resp(rate, "neutral cue", 0.0), "free juice": resp(rate, "free juice", US),
                     "free air puff": resp(rate, "free air puff", US)}
    v, s = rows["value"], rows["salience"]
    checks = [
        Check("excited_by_reward_cue", "value-coding: response to the juice cue minus baseline (Hz)",
              v["juice cue"], ">", 0.0, unit="Hz", model=VALUE, kind="direction"),
        Check("inhibited_by_aversive_cue", "value-coding: response to the air-puff cue minus baseline (Hz)",
              v["air-puff cue"], "<", 0.0, unit="Hz", model=VALUE, kind="direction"),
        Check("inhibited_by_air_puff", "value-coding: response to a free air puff minus baseline (Hz)",
              v["free air puff"], "<", 0.0, unit="Hz", model=VALUE, kind="direction"),
        Check("excited_by_reward_cue", "salience-coding: response to the juice cue minus baseline (Hz)",
              s["juice cue"], ">", 0.0, unit="Hz", model=SALIENCE, kind="direction"),
        Check("excited_by_aversive_cue", "salience-coding: response to the air-puff cue minus baseline (Hz)",
              s["air-puff cue"], ">", 0.0, unit="Hz", model=SALIENCE, kind="direction"),
        Check("excited_by_air_puff", "salience-coding: response to a free air puff minus baseline (Hz)",
              s["free air puff"], ">", 0.0, unit="Hz", model=SALIENCE, kind="direction"),
        Check("neutral_cue_silent", "largest |response| to the neutral cue over both types (Hz)",
              max(abs(v["neutral cue"]), abs(s["neutral cue"])), "<", 0.05, unit="Hz", model=SALIENCE,
              kind="property"),
        Check("excited_by_aversive_cue", "one RPE population (value coding) for every dopamine neuron: response "
              "to the air-puff cue minus baseline (Hz) — expected failure: a signed error falls at a cue that "
              "predicts punishment, so one population cannot hold the neurons excited by it",
              v["air-puff cue"], ">", 0.0, unit="Hz", model=VALUE, kind="direction", expected_failure=True),
    ]
    ds = xr.Dataset({
        "response": (("population", "event"), [[rows[p][k] for k in KINDS] for p in ("value", "salience")],
                     {"long_name": "rate 0-0.4 s after the event minus baseline", "units": "Hz"}),
        "value_rate": xr.concat([value.where((tt == k) & late).mean("trial") for k in KINDS], "event").assign_attrs(
            long_name="value-coding rate, each agent's mean (last half)", units="Hz"),
        "salience_rate": xr.concat([sal.where((tt == k) & late).mean("trial") for k in KINDS], "event").assign_attrs(
            long_name="salience-coding rate, each agent's mean (last half)", units="Hz"),
    }, coords={"population": ["value coding", "salience coding"], "event": list(KINDS)},
        attrs={"baseline_rate": f0, "us_time": US, **{f"param_{k}": v for k, v in PARAMS.items()}})
    ds = ds.drop_vars("phase", errors="ignore")
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, representation="CSC"),
                            sims={"appetitive critic": app, "aversive critic": av})


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    colours = {"juice cue": plot.BLUE, "air-puff cue": plot.VERMILLION, "neutral cue": plot.GREY,
               "free juice": plot.SKY, "free air puff": plot.ORANGE}
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), constrained_layout=True)
    for ax, var, title in ((axes[0], "value_rate", "Value-coding neurons"),
                           (axes[1], "salience_rate", "Salience-coding neurons")):
        for k in ("juice cue", "air-puff cue", "neutral cue"):
            plot.band(ax, ds.time, ds[var].sel(event=k), "agent", color=colours[k], label=k)
        ax.axhline(ds.attrs["baseline_rate"], color=plot.GREY, lw=0.6)
        plot.mark_events(ax, {"cue": 0.0, "outcome": ds.attrs["us_time"]})
        ax.set_xlabel("time from cue onset (s)")
        ax.set_ylabel("firing rate (Hz)")
        ax.set_title(title, pad=14)
        ax.legend(fontsize=7)
    c = axes[2]
    x = np.arange(ds.sizes["event"])
    c.bar(x - 0.2, ds.response.sel(population="value coding"), 0.4, color=plot.BLUE, label="value coding")
    c.bar(x + 0.2, ds.response.sel(population="salience coding"), 0.4, color=plot.PURPLE, label="salience coding")
    c.axhline(0, color=plot.GREY, lw=0.6)
    c.set_xticks(x, [k.replace(" ", "\n", 1) for k in ds.event.values], fontsize=7)
    c.set_xlabel("event")
    c.set_ylabel("change from baseline (Hz)")
    c.set_title("Responses 0-0.4 s after each event", pad=14)
    c.legend(fontsize=7)
    fig.suptitle("Matsumoto & Hikosaka (2009): value- and salience-coding dopamine neurons")
    plot.note(fig, f"Last half of training; {ds.sizes['agent']} agents. Bands: 95 % confidence interval of the mean "
                   "over agents (right: the pooled means).")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "event": ("kind of trial and event the rate is measured at", None),
    "population": ("dopamine population (value coding or salience coding)", None),
}
