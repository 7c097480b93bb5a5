"""Identity unblocking and sensory prediction errors (Takahashi et al. 2017; Gardner, Schoenbaum & Gershman 2018): an SR learner's vector error responds when an outcome changes identity at equal value; scalar TD does not.

Design: phase 1, cue A (1 s) is followed by a banana pellet (reward 1); phase
2, compounds AX and AY, interleaved: AX is followed by the same banana pellet,
AY by a chocolate pellet of the same value (1); phase 3, X and Y alone, without
outcome. 150 + 50 + 50 + 10 + 10 trials. Each pellet's sensory identity is a
cue at the outcome's time. Learners with a complete serial compound: the
successor-representation learner :class:`mesolimbic.models.SuccessorTD`
(alpha 0.2, alpha_r 0.2, gamma 0.98) and scalar TD(0) (alpha 0.2, gamma 0.98).
Measured: errors at the pellet on the first five AY trials; what X and Y
predict on their first test trial.

Signatures: dopamine neurons respond when the predicted pellet is replaced by
one of another flavour at the same value (Takahashi et al. 2017); a cue added
when the identity changes is learned about although value is unchanged
(identity unblocking; McDannald et al. 2011), and dopamine is needed for it
(Sharpe et al. 2017, Nat Neurosci 20:735; Keiflin et al. 2019). A scalar RPE
is zero at the swap and blocks X and Y alike — its expected failures. The SR
learner's vector error carries the identity change while its scalar error
stays at zero, and Y comes to predict chocolate while X predicts nothing new.

References: Takahashi, Y. K., Batchelor, H. M., Liu, B., Khanna, A.,
Morales, M. & Schoenbaum, G. (2017). Dopamine neurons respond to errors in the
prediction of sensory features of expected rewards. Neuron 95:1395-1405.
Gardner, M. P. H., Schoenbaum, G. & Gershman, S. J. (2018). Rethinking dopamine
as generalized prediction error. Proc R Soc B 285:20181645. McDannald, M. A.,
Lucantonio, F., Burke, K. A., Niv, Y. & Schoenbaum, G. (2011). Ventral striatum
and orbitofrontal cortex are both required for model-based, but not
model-free, reinforcement learning. J Neurosci 31:2700-2705.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..models import TD, SuccessorTD
from ..results import single
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "takahashi2017_identity_unblocking"
CITATION = ("Takahashi, Batchelor, Liu, Khanna, Morales & Schoenbaum (2017). Dopamine neurons respond to errors in "
            "the prediction of sensory features of expected rewards. Neuron 95:1395-1405")
US = 1.0
SR_PARAMS = {"alpha": 0.2, "alpha_r": 0.2, "gamma": 0.98}
TD_PARAMS = {"alpha": 0.2, "gamma": 0.98, "lam": 0.0}
SR, TDL = "SR-TD (vector error)", "TD(0), scalar"
FIRST = 5


def design() -> PavlovianDesign:
    def pellet(name):
        return Cue(name, onset=US, duration=0.1)

    tts = [TrialType("A banana", [Cue("A", duration=US), pellet("banana")], us_time=US),
           TrialType("AX banana", [Cue("A", duration=US), Cue("X", duration=US), pellet("banana")], us_time=US),
           TrialType("AY chocolate", [Cue("A", duration=US), Cue("Y", duration=US), pellet("chocolate")], us_time=US),
           TrialType("X-", [Cue("X", duration=US)]), TrialType("Y-", [Cue("Y", duration=US)])]
    return PavlovianDesign(tts, [Phase("conditioning", {"A banana": 150}),
                                 Phase("compound", {"AX banana": 50, "AY chocolate": 50}, order="random"),
                                 Phase("test", {"X-": 10, "Y-": 10}, order="random")],
                           dt=0.1, window=(-0.5, 2.0), name=NAME)


def _first(sim: xr.Dataset, kind: str, n: int) -> xr.DataArray:
    """Boolean [agent, trial]: each agent's first ``n`` trials of ``kind``."""
    m = sim.trial_type == kind
    return m & (m.cumsum("trial") <= n)


@register(NAME, "Identity unblocking: an SR learner's vector prediction error responds to a change of outcome "
          "identity at equal value; scalar TD does not", CITATION, default_agents=30, topic="associative learning")
def run(n_agents: int = 30, seed: int = 0) -> ExperimentResult:
    d = design()
    sr = single(simulate(d, SuccessorTD(("banana", "chocolate")), SR_PARAMS, n_agents=n_agents, seed=seed))
    td = single(simulate(d, TD(), TD_PARAMS, n_agents=n_agents, seed=seed))
    swap = _first(sr, "AY chocolate", FIRST)
    same = _first(sr, "AX banana", FIRST)
    at_us = dict(time=US, method="nearest")
    at_cue = dict(time=0.0, method="nearest")
    spe_choc = float(sr.spe_chocolate.sel(**at_us).where(swap).mean())
    pellet_err = (np.abs(sr.spe_banana) + np.abs(sr.spe_chocolate)).sel(**at_us)
    spe_norm_swap = float(pellet_err.where(swap).mean())
    spe_norm_same = float(pellet_err.where(same).mean())
    sr_rpe_swap = float(sr.rpe.sel(**at_us).where(swap).mean())
    td_rpe_swap = float(td.rpe.sel(**at_us).where(_first(td, "AY chocolate", FIRST)).mean())
    # first test trial of X and of Y: what each predicts at its onset
    tx, ty = _first(sr, "X-", 1), _first(sr, "Y-", 1)
    y_choc = float(sr.psi_chocolate.sel(**at_cue).where(ty).mean())
    x_banana = float(sr.psi_banana.sel(**at_cue).where(tx).mean())
    x_any = float((sr.psi_banana + sr.psi_chocolate).sel(**at_cue).where(tx).mean())
    v_y = float(td.value.sel(**at_cue).where(_first(td, "Y-", 1)).mean())
    v_x = float(td.value.sel(**at_cue).where(_first(td, "X-", 1)).mean())
    checks = [
        Check("identity_error_at_swap", f"chocolate component of the vector error at the pellet, first {FIRST} AY "
              "trials (Takahashi et al. 2017: dopamine neurons respond to the flavour change)", spe_choc, ">", 0.5,
              model=SR, kind="direction"),
        Check("swap_larger_than_same", f"pellet components of the vector error at the pellet (|banana| + "
              f"|chocolate|), first {FIRST} AY minus first {FIRST} AX trials", spe_norm_swap - spe_norm_same, ">",
              0.5, model=SR, kind="direction"),
        Check("scalar_error_zero_at_swap", f"|scalar RPE of the SR value| at the pellet, first {FIRST} AY trials "
              "(same value)", abs(sr_rpe_swap), "<", 0.15, model=SR, kind="property"),
        Check("identity_unblocking", "first test trial: Y's prediction of chocolate minus X's prediction of any "
              "pellet (Y learned the new identity; X is blocked)", y_choc - x_any, ">", 0.2, model=SR,
              kind="direction"),
        Check("identity_error_at_swap", f"scalar RPE at the pellet, first {FIRST} AY trials — expected failure: "
              "the chocolate pellet is worth what the banana pellet was, so a scalar error is zero at the swap",
              td_rpe_swap, ">", 0.3, model=TDL, kind="direction", expected_failure=True),
        Check("identity_unblocking", "first test trial: V(Y) - V(X) — expected failure: with no value error in "
              "either compound a scalar learner blocks X and Y alike", v_y - v_x, ">", 0.2, model=TDL,
              kind="direction", expected_failure=True),
    ]
    ds = xr.Dataset({
        "measure": ("quantity", [spe_choc, spe_norm_swap, spe_norm_same, sr_rpe_swap, td_rpe_swap, y_choc, x_banana,
                                 x_any, v_y, v_x]),
        "sr_pellet_error_ay": (np.abs(sr.spe_banana) + np.abs(sr.spe_chocolate)).where(swap).mean(
            "trial").drop_vars("phase", errors="ignore"),
        "sr_pellet_error_ax": (np.abs(sr.spe_banana) + np.abs(sr.spe_chocolate)).where(same).mean(
            "trial").drop_vars("phase", errors="ignore"),
        "sr_rpe_ay": sr.rpe.where(swap).mean("trial").drop_vars("phase", errors="ignore"),
        "td_rpe_ay": td.rpe.where(_first(td, "AY chocolate", FIRST)).mean("trial").drop_vars(
            "phase", errors="ignore"),
        "test_prediction": xr.concat([sr.psi_chocolate.sel(**at_cue).where(ty).mean("trial"),
                                      (sr.psi_banana + sr.psi_chocolate).sel(**at_cue).where(tx).mean("trial"),
                                      td.value.sel(**at_cue).where(_first(td, "Y-", 1)).mean("trial"),
                                      td.value.sel(**at_cue).where(_first(td, "X-", 1)).mean("trial")],
                                     "test").drop_vars(["phase", "time"], errors="ignore").assign_attrs(
            long_name="first test trial, at the cue: SR predicted pellet (Y: chocolate, X: any) or TD value"),
    }, coords={"test": ["Y (SR)", "X (SR)", "Y (TD)", "X (TD)"], "quantity": ["spe_chocolate_AY", "pellet_error_AY", "pellet_error_AX", "sr_rpe_AY", "td_rpe_AY",
                            "psi_chocolate_Y", "psi_banana_X", "psi_any_X", "td_value_Y", "td_value_X"]},
        attrs={"us_time": US, **{f"sr_{k}": v for k, v in SR_PARAMS.items()},
               **{f"td_{k}": v for k, v in TD_PARAMS.items()}})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params={**{f"sr_{k}": v for k, v in
                                                                             SR_PARAMS.items()}, **{
        f"td_{k}": v for k, v in TD_PARAMS.items()}}, sims={SR: sr, TDL: td})


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.4), constrained_layout=True)
    plot.band(a, ds.time, ds.sr_pellet_error_ay, "agent", color=plot.BLUE,
              label="SR vector error, pellet components, AY: chocolate")
    plot.band(a, ds.time, ds.sr_pellet_error_ax, "agent", color=plot.BLUE, ls="--",
              label="SR vector error, pellet components, AX: banana")
    plot.band(a, ds.time, ds.sr_rpe_ay, "agent", color=plot.GREEN, label="SR scalar RPE, AY")
    plot.band(a, ds.time, ds.td_rpe_ay, "agent", color=plot.VERMILLION, label="TD scalar RPE, AY")
    a.axhline(0, color=plot.GREY, lw=0.6)
    plot.mark_events(a, {"cues": 0.0, "pellet": ds.attrs["us_time"]})
    a.set_xlabel("time from cue onset (s)")
    a.set_ylabel("prediction error")
    a.set_title(f"First {FIRST} compound trials: the flavour swap", pad=14)
    a.legend(fontsize=7)
    pos = [0, 1, 2.2, 3.2]
    for p_, t, col in zip(pos, ds.test.values, (plot.BLUE, plot.BLUE, plot.VERMILLION, plot.VERMILLION)):
        plot.bars(b, [p_], ds.test_prediction.sel(test=t).expand_dims("bar"), "agent", width=0.35, color=col)
    b.set_xticks(pos, ds.test.values)
    b.set_xlabel("test cue (learner)")
    b.set_ylabel("SR: predicted pellet; TD: value")
    b.set_title("Identity unblocking: Y learns, X is blocked — only in the SR")
    fig.suptitle("Sensory prediction errors and identity unblocking: SR-TD vs scalar TD")
    plot.note(fig, f"{ds.sizes['agent']} agents. Bands and error bars: 95 % confidence interval of the mean over "
                   "agents.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "test": ("test cue and model (SR or TD)", None),
    "quantity": ("summary quantity (name)", None),
    "measure": ("value of the summary quantity named by quantity", "1", RN),
    "sr_pellet_error_ay": ("|sensory prediction error| summed over the pellet features, AY trials (identity swap), SR model", "1", RN),
    "sr_pellet_error_ax": ("|sensory prediction error| summed over the pellet features, AX trials (same pellet), SR model", "1", RN),
}
