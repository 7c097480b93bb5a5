"""Rutledge, Dean, Caplin & Glimcher (2010): the axiomatic test of the RPE hypothesis, applied to TD, to "dopamine = reward" and to a salience signal.

Design: five cues are lotteries that pay a prize of 1 with probability 0, .25,
.5, .75 or 1 (else 0), 1 s after the cue; 300 trials each, interleaved;
measured on the last half. Learner: TD(0) with a complete serial compound
(alpha 0.2, gamma 1). Three candidate signals at the outcome, each laid out
over (prize, lottery) and tested by :func:`mesolimbic.axioms.rpe_axioms`
(tolerance 0.03): the TD error; the reward itself ("dopamine = reward", the
hedonic reading the RPE hypothesis replaced); and the unsigned error |TD error|,
a salience or surprise signal (as some dopamine neurons carry; Matsumoto &
Hikosaka 2009).

Signatures (Caplin & Dean 2008): a signal is an RPE for some assignment of
values if and only if it orders prizes alike in every lottery (A1), orders
lotteries alike for every prize (A2) and gives the same response to every
fully predicted prize (A3). Rutledge et al. found the human striatal BOLD
signal at the outcome satisfied all three. TD satisfies them once learned;
"dopamine = reward" violates A3 (a predicted prize still evokes its value; it
satisfies A2 only trivially, never depending on the lottery);
salience violates A1 and A2 (a surprising 0 and a surprising 1 both excite it,
and which lottery is "worse" flips with the prize).

References: Caplin, A. & Dean, M. (2008). Axiomatic methods, dopamine and reward
prediction error. Curr Opin Neurobiol 18:197-202. Rutledge, R. B., Dean, M.,
Caplin, A. & Glimcher, P. W. (2010). Testing the reward prediction error
hypothesis with an axiomatic model. J Neurosci 30:13525-13536.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..axioms import AXIOMS, rpe_axioms
from ..models import TD
from ..results import single
from ..simulate import simulate
from ..tasks import Cue, PavlovianDesign, Phase, TrialType
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "rutledge2010_axioms"
CITATION = ("Rutledge, Dean, Caplin & Glimcher (2010). Testing the reward prediction error hypothesis with an "
            "axiomatic model. J Neurosci 30:13525-13536")
PROBS = (0.0, 0.25, 0.5, 0.75, 1.0)
PRIZES = (0.0, 1.0)
US = 1.0
PARAMS = {"alpha": 0.2, "gamma": 1.0, "lam": 0.0}
TOL = 0.03
SIGNALS = {"TD error": "TD(0) error", "reward": "dopamine = reward", "salience": "salience |TD error|"}
#: the axioms each signal is known to violate, and why
FAILS = {
    "reward": {"no_surprise_equivalence": "a fully predicted prize still evokes its value, so a certain 1 and a "
                                          "certain 0 differ by the prize"},
    "salience": {"consistent_prize_ordering": "an unsigned error ranks the prize 1 above 0 in lotteries that make 0 "
                                              "likely and below it in those that make 1 likely",
                 "consistent_lottery_ordering": "for the prize 1 the low-probability lotteries give the larger "
                                                "response, for the prize 0 the high-probability ones"},
}


def design() -> PavlovianDesign:
    tts = [TrialType(f"p={p:g}", [Cue(f"lottery_{p:g}", duration=US)], us_time=US, probability=p) for p in PROBS]
    return PavlovianDesign(tts, [Phase("training", {t.name: 300 for t in tts}, order="random")], dt=0.1,
                           window=(-0.5, 2.0), name=NAME)


@register(NAME, "Axiomatic test of the RPE hypothesis (Caplin & Dean): TD passes, 'dopamine = reward' and salience "
          "fail", CITATION, default_agents=50, topic="dopamine RPE")
def run(n_agents: int = 50, seed: int = 0) -> ExperimentResult:
    sim = single(simulate(design(), TD(), PARAMS, n_agents=n_agents, seed=seed))
    late = sim.trial > sim.sizes["trial"] // 2
    rpe = sim.rpe.sel(time=US, method="nearest")
    candidates = {"TD error": rpe, "reward": sim.reward, "salience": np.abs(rpe)}
    grids, agent_grids, results, checks = {}, {}, {}, []
    for key, sig in candidates.items():
        grid = np.full((len(PRIZES), len(PROBS)), np.nan)
        by_agent = np.full((len(PRIZES), len(PROBS), sim.sizes["agent"]), np.nan)
        for j, p in enumerate(PROBS):
            for i, z in enumerate(PRIZES):
                if (z == 1.0 and p == 0.0) or (z == 0.0 and p == 1.0):
                    continue  # the lottery cannot give this prize
                m = (sim.trial_type == f"p={p:g}") & late & (sim.reward == z)
                grid[i, j] = float(sig.where(m).mean())
                by_agent[i, j] = sig.where(m).mean("trial").values
        agent_grids[key] = by_agent
        da = xr.DataArray(grid, dims=("prize", "lottery"), coords={"prize": list(PRIZES), "lottery": list(PROBS)})
        grids[key] = da
        res = rpe_axioms(da, tol=TOL)
        results[key] = res
        for ax in AXIOMS:
            why = FAILS.get(key, {}).get(ax)
            checks.append(Check(
                ax, f"{AXIOMS[ax]}: worst violation beyond {TOL:g} ({res.worst.sel(axiom=ax).item() or 'none'})"
                + (f" — expected failure: {why}" if why else ""),
                float(res.violation.sel(axiom=ax)), "<=", 0.0, model=SIGNALS[key], kind="property",
                expected_failure=why is not None))
    keys = list(SIGNALS)
    ds = xr.Dataset({
        "signal": (("candidate", "prize", "lottery"), [grids[k].values for k in keys],
                   {"long_name": "mean signal at the outcome (NaN: the lottery cannot give the prize)"}),
        "signal_by_agent": (("candidate", "prize", "lottery", "agent"), [agent_grids[k] for k in keys],
                            {"long_name": "each agent's mean signal at the outcome"}),
        "violation": (("candidate", "axiom"), [results[k].violation.values for k in keys]),
        "holds": (("candidate", "axiom"), [results[k].holds.values for k in keys]),
    }, coords={"candidate": keys, "prize": list(PRIZES), "agent": sim.agent.values, "lottery": ("lottery", list(PROBS),
                                                                     {"long_name": "P(prize 1)"}),
               "axiom": list(AXIOMS)},
        attrs={"tol": TOL, **{f"param_{k}": v for k, v in PARAMS.items()}})
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds), params=dict(PARAMS, tol=TOL), sims={"TD(0)": sim})


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    blue, verm, grey = plot.BLUE, plot.VERMILLION, plot.GREY
    short = {"consistent_prize_ordering": "A1", "consistent_lottery_ordering": "A2", "no_surprise_equivalence": "A3"}
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.0), constrained_layout=True)
    for ax, k in zip(axes, ds.candidate.values):
        for z, col, mk in zip(ds.prize.values, (verm, blue), "vo"):
            plot.band(ax, ds.lottery, ds.signal_by_agent.sel(candidate=k, prize=z), "agent", marker=mk, color=col,
                      label=f"prize {z:g}")
        ax.axhline(0, color=grey, lw=0.6)
        ax.set_xlabel("lottery: P(prize 1)")
        ax.set_ylabel("signal at the outcome")
        verdict = ", ".join(f"{short[a]} {'holds' if h else 'fails'}" for a, h in
                            zip(ds.axiom.values, ds.holds.sel(candidate=k).values))
        ax.set_title(f"{SIGNALS[k]}\n{verdict}")
        ax.legend()
    fig.suptitle("Axiomatic test of the reward prediction error hypothesis (Caplin & Dean 2008; Rutledge et al. 2010)")
    plot.note(fig, f"Last half of training; {ds.sizes['agent']} agents. Bands: 95 % confidence interval of the mean "
                   "over agents; the axioms are tested on the pooled means.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "candidate": ("candidate signal at the outcome (TD error, reward, salience)", None),
    "prize": ("prize the lottery paid", "1", RN),
    "lottery": ("lottery: P(prize 1)", "1"),
    "axiom": ("axiom of the RPE hypothesis (Caplin & Dean 2008)", None),
    "signal": ("mean signal at the outcome (NaN: the lottery cannot give the prize)", "1", RN),
    "violation": ("largest violation of the axiom beyond the tolerance", "1", RN),
    "holds": ("the axiom holds (1) or not (0)", "1"),
}
