"""Wanting vs liking (Berridge & Robinson 1998): dopamine changes the incentive salience of a reward cue but not the hedonic reaction to the reward; opioid stimulation of the hedonic hotspot changes liking.

Design: cue A followed after 1 s by sucrose (US +1), 40 trials, on the full
circuit (VTA, NAc, amygdala, PFC; alpha_nac = alpha_amygdala = 0.1, gamma 0.98,
lambda 0.9), 20 simulated subjects per condition: control, dopamine depletion
(80 %, as after 6-OHDA lesions), a dopamine agonist (gain 2, e.g. amphetamine)
and opioid stimulation of the NAc-shell hotspot (liking gain 2, e.g. DAMGO).
Measured on the last 5 trials: wanting (incentive salience at cue onset),
approach probability and liking (hedonic reaction at the US).

Signatures: dopamine depletion leaves taste reactivity to sucrose intact while
abolishing the motivation to work for it; dopamine agonists and sensitisation
raise cue-triggered wanting without raising liking (Berridge & Robinson 1998;
Wyvell & Berridge 2000); opioid stimulation of the hotspot raises liking
(Peciña & Berridge 2005). In the hotspot opioids also raise wanting (Smith &
Berridge 2007); this circuit's liking does not feed its learning or its
incentive computation, so it does not produce that — shown as an expected
failure.

References: Berridge, K. C. & Robinson, T. E. (1998). What is the role of dopamine
in reward: hedonic impact, reward learning, or incentive salience? Brain Res Rev
28:309-369. Peciña, S. & Berridge, K. C. (2005). Hedonic hot spot in nucleus
accumbens shell. J Neurosci 25:11777-11786. Wyvell, C. L. & Berridge, K. C.
(2000). J Neurosci 20:8122-8130. Smith, K. S. & Berridge, K. C. (2007). J Neurosci
27:1594-1605.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..circuit import Circuit, DopamineAgonist, DopamineDepletion, Manipulation, Opioid, simulate_circuit
from ..tasks import PavlovianDesign
from ._circuit import PARAMS, by_type, last
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "berridge_wanting_liking"
CITATION = ("Berridge & Robinson (1998). What is the role of dopamine in reward: hedonic impact, reward "
            "learning, or incentive salience? Brain Res Rev 28:309-369")
CONDITIONS: dict[str, list[Manipulation]] = {"control": [], "DA depletion": [DopamineDepletion(0.8)], "DA agonist": [DopamineAgonist(2.0)],
              "opioid (hotspot)": [Opioid(2.0)]}


@register(NAME, "Wanting vs liking: dopamine moves wanting, not liking; opioids move liking", CITATION,
          default_agents=20, topic="circuit & motivation")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    sims = {}
    design = PavlovianDesign.from_notation([("training", {"A+": 40})], name=NAME)
    res = {}
    for cond, manips in CONDITIONS.items():
        ds = single(simulate_circuit(design, Circuit(manipulations=manips), PARAMS, n_agents=n_agents, seed=seed))
        sims[cond] = ds
        res[cond] = {"wanting": last(ds, "wanting_cs"), "approach": last(ds, "approach_cs"),
                     "liking": last(ds, "liking_us"), "dopamine_cs": last(ds, "rpe_cs"),
                     "curve": ds.wanting_cs.mean("agent").values,
                     # per agent, for the figure's confidence intervals
                     "wanting_agents": by_type(ds, "wanting_cs")[:, -5:].mean(1),
                     "liking_agents": by_type(ds, "liking_us")[:, -5:].mean(1),
                     "curve_agents": by_type(ds, "wanting_cs")}
    w = {k: v["wanting"] for k, v in res.items()}
    lk = {k: v["liking"] for k, v in res.items()}
    circuit = "circuit (VTA, NAc, amygdala, PFC)"
    checks = [
        Check("depletion_reduces_wanting", "wanting at the cue, DA depletion / control", w["DA depletion"] / w["control"],
              "<", 0.5, model=circuit, kind="direction"),
        Check("agonist_raises_wanting", "wanting at the cue, DA agonist / control", w["DA agonist"] / w["control"],
              ">", 1.5, model=circuit, kind="direction"),
        Check("dopamine_leaves_liking", "largest |liking under a DA manipulation - control liking|",
              max(abs(lk["DA depletion"] - lk["control"]), abs(lk["DA agonist"] - lk["control"])), "<", 1e-6,
              model=circuit, kind="property"),
        Check("opioid_raises_liking", "liking of sucrose, opioid / control", lk["opioid (hotspot)"] / lk["control"],
              ">", 1.5, model=circuit, kind="property"),
        Check("opioid_also_raises_wanting", "wanting at the cue, opioid / control (Smith & Berridge 2007: > 1)",
              w["opioid (hotspot)"] / w["control"], ">", 1.1, model=circuit, expected_failure=True, kind="direction"),
    ]
    conds = list(CONDITIONS)
    out = xr.Dataset({
        "wanting": ("condition", [w[c] for c in conds], {"long_name": "incentive salience at cue onset"}),
        "liking": ("condition", [lk[c] for c in conds], {"long_name": "hedonic reaction to sucrose"}),
        "approach": ("condition", [res[c]["approach"] for c in conds], {"long_name": "P(approach the cue)"}),
        "dopamine_cs": ("condition", [res[c]["dopamine_cs"] for c in conds], {"long_name": "phasic DA at the cue"}),
        "wanting_curve": (("condition", "trial"), np.stack([res[c]["curve"] for c in conds]),
                          {"long_name": "incentive salience at cue onset, mean over agents"}),
        "wanting_by_agent": (("condition", "agent"), np.stack([res[c]["wanting_agents"] for c in conds]),
                             {"long_name": "incentive salience at cue onset, each agent's last 5 trials"}),
        "liking_by_agent": (("condition", "agent"), np.stack([res[c]["liking_agents"] for c in conds]),
                            {"long_name": "hedonic reaction to sucrose, each agent's last 5 trials"}),
        "wanting_curve_by_agent": (("condition", "agent", "trial"), np.stack([res[c]["curve_agents"] for c in conds]),
                                   {"long_name": "incentive salience at cue onset, each agent"}),
    }, coords={"condition": conds, "trial": np.arange(1, 41), "agent": np.arange(n_agents)},
        attrs={**PARAMS})
    return ExperimentResult(NAME, out, checks, lambda: figure(out), params={**PARAMS, "manipulations": {
        c: [m.to_dict() for m in ms] for c, ms in CONDITIONS.items()}}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True,
                               gridspec_kw={"width_ratios": [1.2, 1]})
    x = np.arange(ds.sizes["condition"])
    plot.bars(a, x - 0.2, ds.wanting_by_agent, "agent", width=0.4, color=plot.ORANGE, label="wanting (at the cue)")
    plot.bars(a, x + 0.2, ds.liking_by_agent, "agent", width=0.4, color=plot.PURPLE, label="liking (of sucrose)")
    a.set_xticks(x, ds.condition.values)
    a.set_xlabel("condition")
    a.set_ylabel("response, last 5 trials (a.u.)")
    a.set_title("Dopamine moves wanting; opioids move liking")
    a.legend(loc="upper left")
    # the opioid leaves wanting as in the control: dashes keep both in view
    curves = {str(c): ds.wanting_curve_by_agent.sel(condition=c).mean("agent") for c in ds.condition.values}
    same = plot.overlapping(curves)
    for k, (c, colour) in enumerate(zip(ds.condition.values, plot.PALETTE)):
        c = str(c)
        plot.band(b, ds.trial, ds.wanting_curve_by_agent.sel(condition=c), "agent", color=colour, zorder=2 + k,
                  label=f"{c} (dashed: = {same[c]})" if c in same else c, **(plot.DASHED if c in same else {}))
    b.set_xlabel("trial")
    b.set_ylabel("wanting at cue onset (a.u.)")
    b.set_title("Acquisition of incentive salience")
    b.legend(loc="upper left")
    fig.suptitle("Wanting vs liking (Berridge & Robinson 1998) — circuit with manipulations")
    plot.note(fig, f"Mean over {ds.sizes['agent']} simulated subjects per condition; error bars and bands: 95 % "
                   "confidence interval of the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "wanting": ("incentive salience at cue onset", "1", RN),
    "liking": ("hedonic reaction to sucrose", "1", RN),
    "approach": ("P(approach the cue)", "1"),
    "dopamine_cs": ("phasic DA at the cue", "1", RN),
    "wanting_curve": ("incentive salience at cue onset on each trial, mean over agents", "1", RN),
}
