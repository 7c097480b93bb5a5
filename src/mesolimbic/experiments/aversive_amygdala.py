"""The amygdala in aversive learning: lesioned, the circuit no longer learns to fear a shock-predicting cue, while appetitive learning through the NAc is intact.

Design: cue A followed by a shock (-1) and cue B by sucrose (+1), 40 trials
each, interleaved; the full circuit (alpha 0.1, gamma 0.98, lambda 0.9), intact
or with the amygdala lesioned; 10 subjects each. Measured: fear of A and the
dopamine dip at A's onset (last 5 A trials), NAc value of B, and the phasic
error at the first, unexpected shock.

Signatures: amygdala lesions abolish conditioned fear (LeDoux 2000; Maren 2001)
but spare appetitive Pavlovian approach learned through the ventral striatum
(Parkinson et al. 2000 dissociate the two); an unexpected shock gives a negative
prediction error (dopamine dip; Mirenowicz & Schultz 1996); with the amygdala
intact the shock becomes predicted (the error at the shock shrinks and a dip
moves to the cue), without it the error at every shock stays negative.

References: LeDoux, J. E. (2000). Emotion circuits in the brain. Annu Rev Neurosci
23:155-184. Maren, S. (2001). Neurobiology of Pavlovian fear conditioning. Annu
Rev Neurosci 24:897-931. Parkinson, J. A., Robbins, T. W. & Everitt, B. J.
(2000). Dissociable roles of the central and basolateral amygdala in appetitive
emotional learning. Eur J Neurosci 12:405-413. Mirenowicz & Schultz (1996).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..circuit import Circuit, Lesion, simulate_circuit
from ._circuit import PARAMS, by_type, design, last
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "aversive_amygdala"
CITATION = "LeDoux (2000). Emotion circuits in the brain. Annu Rev Neurosci 23:155-184"


@register(NAME, "Amygdala lesion abolishes fear learning but spares appetitive learning", CITATION,
          default_agents=10, topic="circuit & motivation")
def run(n_agents: int = 10, seed: int = 0) -> ExperimentResult:
    sims = {}
    d = design({"A+": ("A", -1.0), "B+": ("B", 1.0)}, [("training", {"A+": 40, "B+": 40})], NAME)
    res = {}
    for label, c in (("intact", Circuit()), ("amygdala lesion", Circuit(manipulations=[Lesion("amygdala")]))):
        ds = single(simulate_circuit(d, c, PARAMS, n_agents=n_agents, seed=seed))
        sims[label] = ds
        shock = by_type(ds, "rpe_us", "A+").mean(0)
        res[label] = {"fear": last(ds, "fear_cs", "A+"), "dip": last(ds, "rpe_cs", "A+"),
                      "value_b": last(ds, "value_nac_cs", "B+"), "shock_rpe": shock,
                      "fear_curve": by_type(ds, "fear_cs", "A+").mean(0),
                      "value_b_curve": by_type(ds, "value_nac_cs", "B+").mean(0),
                      # each agent's, for the figure's confidence intervals
                      "agents": (by_type(ds, "fear_cs", "A+"), by_type(ds, "value_nac_cs", "B+"),
                                 by_type(ds, "rpe_us", "A+"))}
    i, les = res["intact"], res["amygdala lesion"]
    circuit = "circuit (amygdala valence, NAc critic)"
    checks = [
        Check("fear_learned_intact", "fear of A (last 5 A trials), intact", i["fear"], ">", 0.5, model=circuit, kind="direction"),
        Check("no_fear_after_lesion", "fear of A, amygdala lesioned", les["fear"], "<", 0.05, model=circuit, kind="property"),
        Check("appetitive_spared", "NAc value of B, lesioned / intact", les["value_b"] / i["value_b"], ">", 0.95,
              model=circuit, kind="property"),
        Check("negative_rpe_at_unexpected_shock", "phasic error at the first shock, intact", float(i["shock_rpe"][0]),
              "<", -0.9, model=circuit, kind="property"),
        Check("shock_becomes_predicted_intact", "|error at the shock|, last 5 A trials, intact",
              float(np.abs(i["shock_rpe"][-5:]).mean()), "<", 0.2, model=circuit, kind="direction"),
        Check("dip_moves_to_cue_intact", "phasic error at A's onset (last 5), intact", i["dip"], "<", -0.5,
              model=circuit, kind="direction"),
        Check("shock_stays_unpredicted_lesion", "error at the shock, last 5 A trials, lesioned",
              float(les["shock_rpe"][-5:].mean()), "<", -0.9, model=circuit, kind="property"),
    ]
    groups = list(res)
    out = xr.Dataset({
        "fear": ("group", [res[g]["fear"] for g in groups]),
        "value_b": ("group", [res[g]["value_b"] for g in groups]),
        "shock_rpe": (("group", "a_trial"), np.stack([res[g]["shock_rpe"] for g in groups])),
        "fear_curve": (("group", "a_trial"), np.stack([res[g]["fear_curve"] for g in groups]),
                       {"long_name": "fear of A on the k-th A trial"}),
        "value_b_curve": (("group", "a_trial"), np.stack([res[g]["value_b_curve"] for g in groups]),
                          {"long_name": "NAc value of B on the k-th B trial"}),
        **{var: (("group", "agent", "a_trial"), np.stack([res[g]["agents"][k] for g in groups]), {"long_name": name})
           for k, (var, name) in enumerate((("fear_curve_by_agent", "fear of A on the k-th A trial, each agent"),
                                            ("value_b_curve_by_agent", "NAc value of B on the k-th B trial, each agent"),
                                            ("shock_rpe_by_agent", "phasic error at the k-th shock, each agent")))},
    }, coords={"group": groups, "a_trial": np.arange(1, 41), "agent": np.arange(n_agents)},
        attrs={**PARAMS})
    return ExperimentResult(NAME, out, checks, lambda: figure(out), params=PARAMS, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, (a, b, c) = plt.subplots(1, 3, figsize=(14, 4.3), constrained_layout=True)
    panels = ((a, "fear_curve_by_agent", plot.VERMILLION, "fear of A (shock cue) at its onset (a.u.)",
               "Fear of the shock cue: none after the lesion"),
              (b, "value_b_curve_by_agent", plot.GREEN, "NAc value of B (food cue) at its onset (a.u.)",
               "Appetitive value: intact after the lesion"),
              (c, "shock_rpe_by_agent", plot.BLACK, "phasic error at the shock (a.u.)",
               "Shock RPE: predicted away only with an amygdala"))
    for ax, var, colour, ylabel, title in panels:
        # a group the lesion leaves unchanged is drawn dashed over the intact one
        same = plot.overlapping({str(g): ds[var].sel(group=g).mean("agent") for g in ds.group.values})
        for k, g in enumerate(ds.group.values):
            g = str(g)
            style = plot.DASHED if g in same else ({"ls": "--"} if k else {})
            plot.band(ax, ds.a_trial, ds[var].sel(group=g), "agent", color=colour if k == 0 else plot.GREY,
                      label=f"{g} (= {same[g]})" if g in same else g, zorder=2 + k, **style)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.axhline(0, color=plot.GREY, lw=0.6)
        ax.legend(loc="center right")
    a.set_xlabel("presentation of A")
    b.set_xlabel("presentation of B")
    c.set_xlabel("shock trial (presentation of A)")
    fig.suptitle("Aversive learning needs the amygdala (circuit lesion)")
    plot.note(fig, f"Mean over {ds.sizes['agent']} simulated subjects per group; bands: 95 % confidence interval of "
                   "the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "a_trial": ("k-th trial of the cue (1-based)", "1"),
    "fear": ("amygdala fear of cue A, last 5 A trials, mean over agents", "1", RN),
    "value_b": ("NAc value of cue B, last 5 B trials, mean over agents", "1", RN),
    "shock_rpe": ("phasic dopamine error at the shock on the k-th A trial, mean over agents", "1", RN),
    "fear_curve": ("fear of A on the k-th A trial", "1", RN),
    "value_b_curve": ("NAc value of B on the k-th B trial", "1", RN),
}
