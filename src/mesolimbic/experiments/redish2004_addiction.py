"""Addiction as a non-compensable dopamine signal (Redish 2004): drug-predicting values grow without bound, and drug-paired cues escape blocking.

Design: (1) cue A followed by the US for 300 trials, the US being either a
natural reward (+1) or a drug (+1 natural value plus a pharmacological dopamine
surge D = 0.2 that learning cannot cancel: at the US, delta = max(delta + D, D));
(2) Kamin blocking: A+ for 100 trials, then AB+ for 100, with natural or drug
reward; B's learned value is then read. Full circuit (alpha_nac 0.1, gamma 0.98,
lambda 0.9), 10 subjects each.

Signatures (Redish 2004): with natural reward the value of the predicting cue
converges; with the drug it keeps rising (delta never falls below D), so
drug-related states become over-valued; and because the error at the drug is
never zero, a cue added to an already-trained drug cue still learns — blocking
fails with drug but holds with natural reward. That last prediction was tested
in rats by Panlilio, Thorndike & Schindler (2007), who found blocking with
cocaine: the model's prediction is contradicted by those data, and the report
shows it as a failure of the model.

References: Redish, A. D. (2004). Addiction as a computational process gone
awry. Science 306:1944-1947. Panlilio, L. V., Thorndike, E. B. & Schindler, C. W.
(2007). Blocking of conditioning to a cocaine-paired stimulus: testing the
hypothesis that cocaine perpetually produces a signal of larger-than-expected
reward. Pharmacol Biochem Behav 86:774-777.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ..circuit import Circuit, Drug, simulate_circuit
from ..tasks import PavlovianDesign
from ._circuit import PARAMS
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "redish2004_addiction"
CITATION = "Redish (2004). Addiction as a computational process gone awry. Science 306:1944-1947"
D = 0.2
N_LONG = 300


def _b_value(ds, per_agent: bool = False):
    """B's learned prediction of the US: NAc weight of B's feature one step before the US (mean
    over agents, or each agent's)."""
    design = json.loads(ds.attrs["design"])
    pre_us = f"B@{1.0 - design['dt']:.3g}s"  # B's serial-compound element one step before the US (at 1 s)
    w = ds.w_nac.sel(feature=pre_us)
    return w.values if per_agent else float(w.mean())


@register(NAME, "Addiction: drug values grow without bound and drug cues are not blocked (Redish 2004)", CITATION,
          default_agents=10, topic="circuit & motivation")
def run(n_agents: int = 10, seed: int = 0) -> ExperimentResult:
    long = PavlovianDesign.from_notation([("training", {"A+": N_LONG})], name=NAME)
    block = PavlovianDesign.from_notation([("pretraining", {"A+": 100}), ("compound", {"AB+": 100})], name=NAME)
    curves, b_val, sims, agents = {}, {}, {}, {}
    for label, manips in (("natural", []), ("drug", [Drug(D)])):
        c = Circuit(manipulations=manips)
        sims[f"{label}, long training"] = single(simulate_circuit(long, c, PARAMS, n_agents=n_agents, seed=seed))
        sims[f"{label}, blocking"] = single(simulate_circuit(block, c, PARAMS, n_agents=n_agents, seed=seed))
        curves[label] = sims[f"{label}, long training"].value_nac_cs.mean("agent").values
        b_val[label] = _b_value(sims[f"{label}, blocking"])
        agents[label] = (sims[f"{label}, long training"].value_nac_cs.transpose("agent", "trial").values,
                         _b_value(sims[f"{label}, blocking"], per_agent=True))
    # an unblocked reference: B trained in compound from scratch (AB+ only, natural)
    ref_design = PavlovianDesign.from_notation([("compound", {"AB+": 100})], name=NAME)
    ref_sim = single(simulate_circuit(ref_design, Circuit(), PARAMS, n_agents=n_agents, seed=seed))
    ref = _b_value(ref_sim)
    nat, drug = curves["natural"], curves["drug"]
    circuit = "circuit + non-compensable drug"
    checks = [
        Check("natural_value_converges", "natural: |V(A) change| over the last 100 trials",
              float(abs(nat[-1] - nat[-101])), "<", 0.01, model=circuit, kind="property"),
        Check("drug_value_keeps_rising", "drug: V(A) rise over the last 100 trials", float(drug[-1] - drug[-101]),
              ">", 0.5, model=circuit, kind="direction"),
        Check("drug_overvalued", "V(A) after 300 trials, drug / natural", float(drug[-1] / nat[-1]), ">", 2.0,
              model=circuit, kind="direction"),
        Check("natural_reward_blocks", "natural: V(B) after blocking / V(B) trained without pretraining",
              b_val["natural"] / ref, "<", 0.3, model=circuit, kind="direction"),
        Check("drug_cue_not_blocked", "drug: V(B) after blocking / V(B) trained without pretraining",
              b_val["drug"] / ref, ">", 0.5, model=circuit, kind="direction"),
        Check("blocking_with_cocaine_in_rats", "drug: V(B) after blocking / unblocked — Panlilio et al. 2007 found "
              "blocking (< 0.3)", b_val["drug"] / ref, "<", 0.3, model=circuit, expected_failure=True, kind="direction"),
    ]
    out = xr.Dataset({
        "value_a": (("reward", "trial"), np.stack([nat, drug]), {"long_name": "NAc value of cue A at its onset"}),
        "value_b_blocked": ("reward", [b_val["natural"], b_val["drug"]],
                            {"long_name": "B's learned prediction after A+ then AB+"}),
        "value_a_by_agent": (("reward", "agent", "trial"), np.stack([agents["natural"][0], agents["drug"][0]]),
                             {"long_name": "NAc value of cue A at its onset, each agent"}),
        "value_b_blocked_by_agent": (("reward", "agent"), np.stack([agents["natural"][1], agents["drug"][1]]),
                                     {"long_name": "B's learned prediction after A+ then AB+, each agent"}),
        "value_b_unblocked_by_agent": ("agent", _b_value(ref_sim, per_agent=True),
                                       {"long_name": "B's learned prediction after AB+ alone, each agent"}),
    }, coords={"reward": ["natural", "drug"], "trial": np.arange(1, N_LONG + 1), "agent": np.arange(n_agents)},
        attrs={"D": D, "value_b_unblocked": ref, **PARAMS})
    return ExperimentResult(NAME, out, checks, lambda: figure(out), params={**PARAMS, "D": D}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True, gridspec_kw={"width_ratios": [1.6, 1]})
    for r, colour in zip(ds.reward.values, (plot.GREEN, plot.VERMILLION)):
        plot.band(a, ds.trial, ds.value_a_by_agent.sel(reward=r), "agent", color=colour, label=str(r))
    a.set_xlabel("trial")
    a.set_ylabel("NAc value of the cue (a.u.)")
    a.set_title(f"Non-compensable dopamine (D = {ds.attrs['D']:g}): value grows without bound")
    a.legend(loc="upper left")
    for i, (r, colour) in enumerate(zip(ds.reward.values, (plot.GREEN, plot.VERMILLION))):
        bar = plot.bars(b, [i], ds.value_b_blocked_by_agent.sel(reward=r).expand_dims("bar"), "agent", color=colour,
                        width=0.6)
        b.bar_label(bar, fmt="%.2f", padding=3, fontsize=8)
    mean, lo, hi, _ = plot.mean_ci(ds.value_b_unblocked_by_agent, "agent")
    b.axhline(float(mean), color=plot.GREY, ls="--", lw=0.8, label="B without pretraining (natural)")
    b.axhspan(float(lo), float(hi), color=plot.GREY, alpha=0.15, lw=0)
    b.set_xticks([0, 1], ["natural", "drug"])
    b.set_xlabel("reward")
    b.set_ylabel("V(B) after A+ → AB+ (a.u.)")
    b.set_title("Blocking holds for natural reward only")
    b.legend(loc="upper left")
    fig.suptitle("Addiction as a computational process gone awry (Redish 2004) — circuit")
    plot.note(fig, f"Mean over {ds.sizes['agent']} agents; bands and error bars: 95 % confidence interval of the mean.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "reward": ("kind of reward (natural or drug)", None),
    "value_a": ("NAc value of cue A at its onset", "1", RN),
    "value_b_blocked": ("B's learned prediction after A+ then AB+", "1", RN),
    "value_b_unblocked_by_agent": ("B's learned prediction after AB+ alone, each agent", "1", RN),
}
