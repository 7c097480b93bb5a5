"""Incentive salience computed on the fly (Zhang, Berridge, Tindell, Smith & Aldridge 2009): a cue for a disliked salt taste becomes wanted the moment the animal is salt-deprived, without new learning.

Design: cue A predicts sucrose (+1) and cue B an intense salt solution (-1), 30
trials each, interleaved; then a test phase of cue-only trials (A-, B-; 5
each). During the test the animal is salt-deprived: a physiological state with
kappa = e^2 acting on cue B's outcome — multiplicative for appetitive
predictions (kappa V) and additive for aversive ones (V + log kappa), Zhang et
al.'s Eqs. 3a/3b — in the full circuit (alpha 0.1, gamma 0.98, lambda 0.9; 20
subjects). A control group runs the same design without deprivation.

Signatures (Tindell, Smith, Berridge & Aldridge 2009): cue B, wanted less than
nothing before, is wanted on the very first deprived test trial; cue A is not
changed; the learned weights are identical with and without deprivation (no new
learning). For contrast, the number of trials a TD learner would need to re-learn
B's value if salt became +1 by experience is reported.

References: Zhang, J., Berridge, K. C., Tindell, A. J., Smith, K. S. & Aldridge,
J. W. (2009). A neural computational model of incentive salience. PLoS Comput
Biol 5:e1000437. Tindell, A. J., Smith, K. S., Berridge, K. C. & Aldridge, J. W.
(2009). Dynamic computation of incentive salience: "wanting" what was never
"liked". J Neurosci 29:12220-12228.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from ..circuit import Circuit, PhysiologicalState, simulate_circuit
from ._circuit import PARAMS, by_type, design
from ..results import single
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "zhang2009_incentive_salience"
CITATION = ("Zhang, Berridge, Tindell, Smith & Aldridge (2009). A neural computational model of incentive "
            "salience. PLoS Comput Biol 5:e1000437")
KAPPA = math.exp(2.0)


@register(NAME, "Incentive salience: salt deprivation makes a salt cue wanted at once, without learning", CITATION,
          default_agents=20, topic="circuit & motivation")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    sims = {}
    d = design({"A+": ("A", 1.0), "B+": ("B", -1.0), "A-": ("A", 0.0), "B-": ("B", 0.0)},
               [("training", {"A+": 30, "B+": 30}), ("test", {"A-": 5, "B-": 5})], NAME)
    normal = single(simulate_circuit(d, Circuit(), PARAMS, n_agents=n_agents, seed=seed))
    sims["normal"] = normal
    deprived = single(simulate_circuit(d, Circuit(manipulations=[PhysiologicalState(KAPPA, ("B",), phases=("test",))]),
                                PARAMS, n_agents=n_agents, seed=seed))
    sims["salt-deprived at test"] = deprived

    def first_test(ds, label):  # test trials are cue-only types, so the first of that type is the first test
        return float(by_type(ds, "wanting_cs", label)[:, 0].mean())

    def last_train(ds, label):
        return float(by_type(ds, "wanting_cs", label)[:, -1].mean())

    b_before, b_dep, b_norm = last_train(deprived, "B+"), first_test(deprived, "B-"), first_test(normal, "B-")
    a_dep, a_norm = first_test(deprived, "A-"), first_test(normal, "A-")
    same = max(float(np.abs(normal[w] - deprived[w]).max()) for w in ("w_nac", "w_pos", "w_neg"))
    # re-learning by experience instead: trials until a TD-like value crosses 0 when salt turns +1
    alpha, v, n = PARAMS["alpha_nac"], -1.0 * 0.98 ** 4, 0
    while v <= 0:
        v += alpha * (0.98 ** 4 - v)
        n += 1
    circuit = "circuit, Zhang kappa at cue time"
    checks = [
        Check("salt_cue_disliked_before", "wanting of cue B at the end of training", b_before, "<", -0.5, model=circuit, kind="direction"),
        Check("salt_cue_wanted_when_deprived", "wanting of cue B on the first deprived test trial", b_dep, ">", 0.5,
              model=circuit, kind="direction"),
        Check("not_wanted_without_deprivation", "wanting of cue B on the first test trial, no deprivation", b_norm,
              "<", -0.5, model=circuit, kind="direction"),
        Check("sucrose_cue_unchanged", "|wanting of cue A, deprived - normal| on its first test trial",
              abs(a_dep - a_norm), "<", 1e-6, model=circuit, kind="property"),
        Check("no_new_learning", "largest |weight difference| between the deprived and normal runs", same, "<", 1e-6,
              model=circuit, kind="property"),
    ]
    out = xr.Dataset({
        "wanting_cs": (("group", "agent", "trial"), np.stack([normal.wanting_cs.values, deprived.wanting_cs.values])),
        "trial_type": (("agent", "trial"), normal.trial_type.values),
    }, coords={"group": ["normal", "salt-deprived at test"], "agent": normal.agent.values, "trial": normal.trial.values,
               "phase": ("trial", normal.phase.values)},
        attrs={"kappa": KAPPA, "relearning_trials": n,
               **PARAMS})
    return ExperimentResult(NAME, out, checks, lambda: figure(out), params={**PARAMS, "kappa": KAPPA}, sims=sims)


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), constrained_layout=True, sharey=True)
    for ax, g in zip(axes, ds.group.values):
        sub = ds.sel(group=g)
        for label, colour in (("A+", plot.GREEN), ("B+", plot.BLUE), ("A-", plot.GREEN), ("B-", plot.BLUE)):
            v = by_type(sub, "wanting_cs", label)  # [agent, k]: that cue's k-th presentation
            start = 0 if label.endswith("+") else 31
            x = start + np.arange(1, v.shape[1] + 1)
            what = f"cue {label[0]} ({'sucrose' if label[0] == 'A' else 'salt'})"
            if label.endswith("+"):
                plot.band(ax, x, v, 0, color=colour, label=f"{what}, training")
            else:
                plot.errorbar(ax, x, v, 0, fmt="o", color=colour, label=f"{what}, test (no outcome)")
        ax.axvline(30.5, color=plot.GREY, ls="--", lw=0.8)
        ax.axhline(0, color=plot.GREY, lw=0.6)
        ax.set_title(str(g))
        ax.set_xlabel("presentation of the cue")
    axes[0].set_ylabel("wanting at cue onset (a.u.)")
    fig.suptitle(f"Salt appetite revalues the salt cue at once (κ = e², additive for aversive predictions); "
                 f"re-learning would take {ds.attrs['relearning_trials']} trials")
    plot.legend_below(fig, ncol=4)
    plot.note(fig, f"Mean over {ds.sizes['agent']} simulated rats; bands and error bars: 95 % confidence interval of "
                   "the mean. Dashed line: training ends, test begins.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "wanting_cs": ("incentive salience (wanting) at cue onset, each agent", "1", RN),
}
