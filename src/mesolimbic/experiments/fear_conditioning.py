"""Fear conditioning and extinction: a CS paired with shock acquires negative value; the omitted shock in extinction gives a positive prediction error.

Design: 30 trials of cue A followed after 1 s by a shock (a US of -1), then 30
trials of A alone (extinction); dt = 0.2 s. Learners: Rescorla–Wagner
(alpha 0.2) and TD(lambda) with a complete serial compound (alpha 0.1, gamma
0.98, lambda 0.9) — the same update as for reward, with a negative US
(negative valence). Conditioned fear is read as minus the learned prediction of
the US.

Signatures: conditioned fear rises over acquisition and falls in extinction
(Pavlov 1927; Rescorla & Wagner 1972); in TD the error at the shock is negative
and shrinks as the shock becomes predicted, and the CS itself comes to evoke a
negative error (dopamine neurons are mostly depressed by aversive stimuli and
their predictors: Mirenowicz & Schultz 1996); early in extinction the omitted
shock yields a positive error at the time it was due — the "relief" signal that
VTA dopamine neurons emit and that drives extinction learning
(Salinas-Hernández et al. 2018).

References: Mirenowicz, J. & Schultz, W. (1996). Preferential activation of
midbrain dopamine neurons by appetitive rather than aversive stimuli. Nature
379:449-451. Salinas-Hernández, X. I., Vogel, P., Betz, S., Kalisch, R.,
Sigurdsson, T. & Duvarci, S. (2018). Dopamine neurons drive fear extinction
learning by signaling the omission of expected aversive outcomes. eLife
7:e38818. Rescorla & Wagner (1972).
"""

from __future__ import annotations

import numpy as np

from ..tasks.aversive import fear_conditioning
from . import _associative as A
from .registry import Check, ExperimentResult, register

NAME = "fear_conditioning"
CITATION = ("Salinas-Hernández et al. (2018). Dopamine neurons drive fear extinction learning by signaling the "
            "omission of expected aversive outcomes. eLife 7:e38818")
N_ACQ = N_EXT = 30


@register(NAME, "Fear conditioning: negative CS value rises and extinguishes; shock omission gives a positive RPE",
          CITATION, default_agents=20, topic="aversive")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    rw, td = A.run_both(fear_conditioning(N_ACQ, N_EXT), n_agents, seed)
    fear_rw = -rw.value.mean("agent").values
    fear_td = -td.value_pre_us.mean("agent").values
    rpe_us = td.rpe_us.mean("agent").values
    rpe_cs = td.rpe_cs.mean("agent").values
    end_acq = slice(N_ACQ - 3, N_ACQ)
    checks = A.tag(A.RW, [
        Check("fear_acquired", "conditioned fear (-V) over the last 3 acquisition trials",
              float(fear_rw[end_acq].mean()), ">", 0.8, kind="direction"),
        Check("fear_extinguished", "fear on the last extinction trial / at the end of acquisition",
              float(fear_rw[-1] / fear_rw[end_acq].mean()), "<", 0.2, kind="direction"),
    ]) + A.tag(A.TDL, [
        Check("fear_acquired", "conditioned fear (-prediction of the US) over the last 3 acquisition trials",
              float(fear_td[end_acq].mean()), ">", 0.8, kind="direction"),
        Check("negative_rpe_at_shock", "RPE at the shock on the first trial", float(rpe_us[0]), "<", -0.9, kind="property"),
        Check("shock_rpe_shrinks", "|RPE at the shock| over the last 3 acquisition trials",
              float(np.abs(rpe_us[end_acq]).mean()), "<", 0.2, kind="direction"),
        Check("negative_rpe_at_cs", "RPE at CS onset over the last 3 acquisition trials (dip)",
              float(rpe_cs[end_acq].mean()), "<", -0.5, kind="direction"),
        Check("relief_at_omitted_shock", "RPE at the time of the omitted shock, first 3 extinction trials",
              float(rpe_us[N_ACQ:N_ACQ + 3].mean()), ">", 0.5, kind="direction"),
        Check("relief_fades", "that RPE on the last 3 extinction trials / on the first 3",
              float(rpe_us[-3:].mean() / rpe_us[N_ACQ:N_ACQ + 3].mean()), "<", 0.2, kind="direction"),
        Check("fear_extinguished", "fear on the last extinction trial / at the end of acquisition",
              float(fear_td[-1] / fear_td[end_acq].mean()), "<", 0.2, kind="direction"),
    ])
    ds = A.combined(rw, td)
    ds.attrs.update(n_acquisition=N_ACQ, n_extinction=N_EXT)
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params={"rw": rw.attrs["params"],
                                                                          "td": td.attrs["params"], "shock": -1.0},
                            sims={A.RW: rw, A.TDL: td})


def figure(ds):
    from .. import plot
    from ..plot import plt

    trial = ds.trial.values
    n_acq = ds.attrs["n_acquisition"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    plot.band(a, trial, -ds.rw_value, "agent", color=plot.BLUE, label=A.RW)
    plot.band(a, trial, -ds.td_value_pre_us, "agent", color=plot.VERMILLION, label=f"{A.TDL}, CSC")
    a.set_ylabel("conditioned fear, −V (a.u.)")
    a.set_title("Fear of the CS", pad=16)
    plot.band(b, trial, ds.td_rpe_cs, "agent", color=plot.PURPLE, label="at CS onset")
    plot.band(b, trial, ds.td_rpe_us, "agent", color=plot.GREEN, label="at the (omitted) shock")
    b.axhline(0, color=plot.GREY, lw=0.6)
    b.set_ylabel(f"TD error δ ({A.TDL}, a.u.)")
    b.set_title("Prediction errors: dip at the CS, relief when the shock is omitted", pad=16)
    for ax in (a, b):
        ax.set_xlabel("trial")
        ax.set_xlim(trial[0] - 0.5, trial[-1] + 0.5)
        plot.label_phases(ax, [n_acq + 0.5], ["acquisition", "extinction"])
        ax.legend(loc="upper right")
    fig.suptitle("Fear conditioning (CS → shock = −1) and extinction")
    plot.note(fig, f"Mean over {ds.sizes['agent']} agents; bands: 95 % confidence interval of the mean (zero where "
                   "every agent sees the same trials).")
    return fig
