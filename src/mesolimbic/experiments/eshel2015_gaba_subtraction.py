"""Eshel et al. (2015): expectation, and VTA GABA neurons, subtract from dopamine reward responses.

Design: an odour cue predicts, 1.5 s later, a reward whose size is one of
0.1, 0.3, 0.6 or 1 (equiprobable); the same four sizes also come unexpectedly
(no cue), with or without optogenetic excitation of VTA GABA neurons at the
reward (drive 0.3). 150 trials of each of the 12 kinds, interleaved;
measured on the last half. Learner: TD(0) with a complete serial compound
(alpha 0.1, gamma 1) whose expectation reaches dopamine as GABA inhibition
(:class:`mesolimbic.models.GabaTD`). Two ways the GABA input could combine:
subtraction (the model) and shunting division (the alternative, with its gain
set so that the stimulation removes the same mean response over the four
sizes).

Signatures (Eshel et al. 2015): dopamine responses to expected
reward are those to unexpected reward shifted down by a constant across sizes
(slope 1, negative offset: subtraction, not division); exciting VTA GABA
neurons lowers the reward response, again subtractively; GABA neurons carry the
expectation through the cue-reward delay (Cohen et al. 2012). Subtraction is
what TD's error is, so the first holds by construction; the test is that the
divisive alternative fails it.

Reference: Eshel, N., Bukwich, M., Rao, V., Hemmelder, V., Tian, J. & Uchida, N.
(2015). Arithmetic and local circuitry underlying dopamine prediction errors.
Nature 525:243-246. Cohen, J. Y., Haesler, S., Vong, L., Lowell, B. B. & Uchida,
N. (2012). Neuron-type-specific signals for reward and punishment in the
ventral tegmental area. Nature 482:85-88.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..models import GabaTD
from ..results import single
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "eshel2015_gaba_subtraction"
CITATION = ("Eshel, Bukwich, Rao, Hemmelder, Tian & Uchida (2015). Arithmetic and local circuitry underlying "
            "dopamine prediction errors. Nature 525:243-246")
SIZES = (0.1, 0.3, 0.6, 1.0)
US = 1.5
STIM = 0.3
PARAMS = {"alpha": 0.1, "gamma": 1.0, "lam": 0.0}
# divisive gain matching the subtractive model's mean reduction over the sizes: mean(r) (1 - 1 / (1 + k s)) = s
KAPPA = float((1.0 / (1.0 - STIM / np.mean(SIZES)) - 1.0) / STIM)
MODELS = {"subtractive": "TD(0), GABA subtracts", "divisive": "TD(0), GABA divides (shunting)"}


def design() -> PavlovianDesign:
    tts = []
    for r in SIZES:
        tts.append(TrialType(f"expected {r:g}", [Cue("odour", duration=US)], us_time=US, magnitude=r))
        tts.append(TrialType(f"unexpected {r:g}", [], us_time=US, magnitude=r))
        tts.append(TrialType(f"unexpected {r:g} + GABA stim", [], us_time=US, magnitude=r,
                             stimulation=[(US, STIM)]))
    return PavlovianDesign(tts, [Phase("training", {t.name: 150 for t in tts}, order="random")], dt=0.1,
                           window=(-0.5, 2.5), name=NAME)


def _fit(x, y) -> tuple[float, float]:
    slope, intercept = np.polyfit(np.asarray(x), np.asarray(y), 1)
    return float(slope), float(intercept)


@register(NAME, "VTA GABA subtraction: expectation and GABA excitation lower dopamine reward responses "
          "subtractively", CITATION, default_agents=50, topic="circuit & motivation")
def run(n_agents: int = 50, seed: int = 0) -> ExperimentResult:
    sims, resp, resp_agents, gaba_trace = {}, {}, {}, {}
    checks = []
    for key, label in MODELS.items():
        model = GabaTD(key)
        params = dict(PARAMS, **({"kappa": KAPPA} if key == "divisive" else {}))
        sim = single(simulate(design(), model, params, n_agents=n_agents, seed=seed))
        sims[label] = sim
        late = sim.trial > sim.sizes["trial"] // 2
        at_us = sim.rpe.sel(time=US, method="nearest")

        def mean(kind):
            return float(at_us.where((sim.trial_type == kind) & late).mean())

        rows = {c: [mean(f"{c} {r:g}") for r in SIZES] for c in ("expected", "unexpected")}
        rows["stim"] = [mean(f"unexpected {r:g} + GABA stim") for r in SIZES]
        resp[key] = rows
        kinds = {"unexpected": "unexpected {}", "expected": "expected {}", "stim": "unexpected {} + GABA stim"}
        resp_agents[key] = [[at_us.where((sim.trial_type == f.format(f"{r:g}")) & late).mean("trial").values
                             for r in SIZES] for f in kinds.values()]
        gaba_trace[key] = {c: sim.gaba.where((sim.trial_type == f"{c} 0.6") & late).mean("trial")
                           for c in ("expected", "unexpected")}
        s_exp, i_exp = _fit(rows["unexpected"], rows["expected"])
        s_stim, i_stim = _fit(rows["unexpected"], rows["stim"])
        fails = key == "divisive"
        why = (" — expected failure: division scales the response, so stimulation removes more from a large reward "
               "than from a small one; Eshel et al. found a constant shift") if fails else ""
        delay_gaba = float(gaba_trace[key]["expected"].sel(time=slice(0.5, US - 0.1)).mean())  # over agents too
        checks += [
            Check("expectation_subtracts", "offset of expected vs unexpected reward responses (regression over the "
                  "four sizes; Eshel et al.: a downward shift)", i_exp, "<", -0.2, model=label,
                  kind="direction"),
            Check("expectation_not_divisive", "|slope - 1| of expected vs unexpected reward responses over sizes "
                  "(1: subtraction)", abs(s_exp - 1.0), "<", 0.1, model=label, kind="direction"),
            Check("gaba_stim_lowers_reward_response", "mean over sizes of (stimulated - unstimulated) response to "
                  "unexpected reward", float(np.mean(np.subtract(rows["stim"], rows["unexpected"]))), "<", -0.1,
                  model=label, kind="direction"),
            Check("gaba_stim_subtractive", "|slope - 1| of stimulated vs unstimulated responses over sizes "
                  "(Eshel et al.: subtraction)" + why, abs(s_stim - 1.0), "<", 0.1, model=label,
                  kind="direction", expected_failure=fails),
            Check("gaba_carries_expectation", "GABA input during the late cue-reward delay on expected trials / "
                  "mean reward size (1: the expectation)", delay_gaba / float(np.mean(SIZES)), ">", 0.9,
                  model=label, kind="property"),
        ]
    ds = xr.Dataset({
        "reward_response": (("model", "condition", "size"),
                            [[resp[k][c] for c in ("unexpected", "expected", "stim")] for k in MODELS],
                            {"long_name": "dopamine RPE at the reward", "units": "a.u."}),
        "reward_response_by_agent": (("model", "condition", "size", "agent"), [resp_agents[k] for k in MODELS],
                                     {"long_name": "dopamine RPE at the reward, each agent's mean"}),
        "gaba": xr.concat([xr.concat([gaba_trace[k][c] for c in ("expected", "unexpected")], "cued")
                           for k in MODELS], "model").drop_vars("phase", errors="ignore"),
        "dopamine": xr.concat([sims[MODELS[k]].rpe.where(
            (sims[MODELS[k]].trial_type == "expected 0.6") & (sims[MODELS[k]].trial > sims[MODELS[k]].sizes["trial"]
                                                              // 2)).mean("trial") for k in MODELS],
            "model").drop_vars("phase", errors="ignore"),
    }, coords={"model": list(MODELS), "condition": ["unexpected", "expected", "unexpected + GABA stim"],
               "size": list(SIZES), "cued": ["expected", "unexpected"]},
        attrs={"stim": STIM, "kappa_divisive": KAPPA, "us_time": US, **{f"param_{k}": v for k, v in PARAMS.items()}})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, stim=STIM, kappa=KAPPA),
                            sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), constrained_layout=True)
    for ax, k in zip(axes[:2], ds.model.values):
        for c, col, mk in zip(ds.condition.values, (plot.BLUE, plot.VERMILLION, plot.GREEN), "osD"):
            plot.band(ax, ds["size"], ds.reward_response_by_agent.sel(model=k, condition=c), "agent", marker=mk,
                      color=col, label=c)
        ax.axhline(0, color=plot.GREY, lw=0.6)
        ax.set_xlabel("reward size")
        ax.set_ylabel("dopamine response (RPE at reward)")
        ax.set_title(f"GABA input {k}: stimulation {'shifts' if k == 'subtractive' else 'scales'} the curve")
        ax.legend()
    c = axes[2]
    for cue, col in zip(ds.cued.values, (plot.VERMILLION, plot.BLUE)):
        plot.band(c, ds.time, ds.gaba.sel(model="subtractive", cued=cue), "agent", color=col,
                  label=f"GABA input, {cue}")
    plot.band(c, ds.time, ds.dopamine.sel(model="subtractive"), "agent", color=plot.GREY, ls="--",
              label="dopamine, expected")
    plot.mark_events(c, {"odour": 0.0, "reward": ds.attrs["us_time"]})
    c.set_xlabel("time from odour onset (s)")
    c.set_ylabel("a.u.")
    c.set_title("GABA input carries the expectation (size 0.6)", pad=14)
    c.legend(fontsize=7)
    fig.suptitle("Eshel et al. (2015): expectation and VTA GABA excitation subtract from the dopamine response")
    plot.note(fig, f"Last half of training; {ds.sizes['agent']} agents. Bands: 95 % confidence interval of the mean "
                   "over agents (narrow: the responses barely vary between agents).")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "cued": ("the reward was expected (cued) or unexpected", None),
    "size": ("reward size", "1", RN),
}
