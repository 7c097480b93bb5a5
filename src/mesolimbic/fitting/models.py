"""The models offered for fitting: each is a learner of :mod:`mesolimbic.models` (the
same ``step`` that simulates) plus the task it reads and its hBayesDM-style
parameterisation. No model is written a second time for fitting."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..models import (ActorCritic, DeltaRule, FictitiousUpdate, HybridTwoStep, OpAL, PavlovianBiasGoNoGo,
                      StimulusValueLearner, Sticky)
from ..models.base import Model, Param
from ..tasks.pst import PAIRS

__all__ = ["FitModel", "MODELS", "get_model"]


@dataclass(frozen=True, eq=False)  # hashed by identity: the registry's models are singletons
class FitModel:
    """A fittable model.

    ``hbayes`` maps each free parameter to ``(hBayesDM name, low, high)``: the range
    of the hierarchical transform ``low + (high - low) Phi_approx(mu_pr + sigma x_pr)``.
    ``sign_outcome``: outcomes are replaced by their sign (hBayesDM's prl models).
    ``mirrors``: which hBayesDM model it corresponds to, and any difference.
    """

    name: str
    task: str
    learner: Model
    hbayes: dict
    mirrors: str = ""
    sign_outcome: bool = False
    fixed: dict = field(default_factory=dict)

    @property
    def free(self) -> tuple[Param, ...]:
        return tuple(p for p in self.learner.params if p.name not in self.fixed)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.free)

    def bounds(self) -> np.ndarray:
        """``[P, 2]`` the declared ranges of the free parameters (the MLE transform)."""
        return np.array([[p.low, p.high] for p in self.free], float)

    def hbayes_bounds(self) -> np.ndarray:
        return np.array([self.hbayes[p.name][1:] for p in self.free], float)


def _m(name, task, learner, hb, mirrors, **kw):
    return name, FitModel(name, task, learner, hb, mirrors, **kw)


_STICK = {"kappa": ("kappa", -10.0, 10.0)}
_TS7 = {"alpha1": ("a1", 0, 1), "alpha2": ("a2", 0, 1), "lam": ("lambda", 0, 1), "beta1": ("beta1", 0, 20),
        "beta2": ("beta2", 0, 20), "w": ("w", 0, 1), "kappa": ("pi", -5, 5)}
MODELS = dict([
    _m("bandit2arm_delta", "bandit2arm", DeltaRule(), {"alpha": ("A", 0, 1), "beta": ("tau", 0, 5)},
       "hBayesDM bandit2arm_delta (A = alpha, tau = beta: the inverse temperature); identical likelihood"),
    _m("bandit2arm_delta_stick", "bandit2arm", DeltaRule(perseveration=True),
       {"alpha": ("A", 0, 1), "beta": ("tau", 0, 5), **_STICK},
       "bandit2arm_delta plus choice perseveration kappa (stickiness); not in hBayesDM"),
    _m("prl_rp", "prl", DeltaRule(separate_rates=True),
       {"alpha_pos": ("Arew", 0, 1), "alpha_neg": ("Apun", 0, 1), "beta": ("beta", 0, 10)},
       "hBayesDM prl_rp (reward / punishment learning rates). hBayesDM picks the rate by the sign of the "
       "outcome, this learner by the sign of the RPE; with outcomes coded +1/-1 (signed, as hBayesDM does) "
       "and values inside (-1, 1) the two are the same", sign_outcome=True),
    _m("prl_rp_stick", "prl", DeltaRule(separate_rates=True, perseveration=True),
       {"alpha_pos": ("Arew", 0, 1), "alpha_neg": ("Apun", 0, 1), "beta": ("beta", 0, 10), **_STICK},
       "prl_rp plus choice perseveration; not in hBayesDM", sign_outcome=True),
    _m("prl_rp_multipleB", "prl_multipleB", DeltaRule(separate_rates=True),
       {"alpha_pos": ("Arew", 0, 1), "alpha_neg": ("Apun", 0, 1), "beta": ("beta", 0, 10)},
       "hBayesDM prl_rp_multipleB: values restart in every block", sign_outcome=True),
    _m("prl_fictitious", "prl", FictitiousUpdate(),
       {"alpha": ("eta", 0, 1), "indecision": ("alpha", -10, 10), "beta": ("beta", 0, 5)},
       "hBayesDM prl_fictitious (Glascher et al. 2009); hBayesDM leaves the indecision point alpha unbounded, "
       "here it is bounded to [-10, 10]", sign_outcome=True),
    _m("ts_par7", "ts", HybridTwoStep(transition=0.7, trace_after_update=True), _TS7,
       "hBayesDM ts_par7 (Daw et al. 2011 as coded in hBayesDM): transitions fixed at 0.7 and the eligibility "
       "update uses r - Q2 after the second-stage update, as in hBayesDM's Stan code; differences: beta bounded "
       "to [0, 20] (hBayesDM: exp, unbounded) and pi to [-5, 5] (hBayesDM: [0, 5], no alternation)"),
    _m("ts_par6", "ts", HybridTwoStep(transition=0.7, trace_after_update=True),
       {k: v for k, v in _TS7.items() if k != "lam"},
       "hBayesDM ts_par6: ts_par7 with lambda fixed at 1 (hBayesDM's code keeps the eligibility update with "
       "weight a1, i.e. lambda = 1, although its documentation says 'without lambda'); same bounds as ts_par7",
       fixed={"lam": 1.0}),
    _m("ts_par4", "ts", HybridTwoStep(transition=0.7, trace_after_update=True, shared=True),
       {"alpha": ("a", 0, 1), "beta": ("beta", 0, 20), "w": ("w", 0, 1), "kappa": ("pi", -5, 5)},
       "hBayesDM ts_par4: one learning rate a and one inverse temperature beta for both stages, lambda = 1 as "
       "in its code; same bounds as ts_par7", fixed={"lam": 1.0}),
    _m("ts_daw2011", "ts", HybridTwoStep(), _TS7,
       "Daw et al. (2011) as published: transition model learned by counting, eligibility update with the "
       "second-stage error before its update; not in hBayesDM (closest: ts_par7)"),
    _m("gng_m4", "gng", PavlovianBiasGoNoGo(),
       {"epsilon": ("xi", 0, 1), "alpha": ("ep", 0, 1), "go_bias": ("b", -20, 20), "pi": ("pi", -20, 20),
        "sensitivity_rew": ("rhoRew", 0, 50), "sensitivity_pun": ("rhoPun", 0, 50)},
       "hBayesDM gng_m4 (Cavanagh et al. 2013); hBayesDM leaves b and pi unbounded and puts rho on a log "
       "scale, here every parameter is bounded by the learner's declared range"),
    *[_m(f"gng_{v}", "gng", PavlovianBiasGoNoGo(v),
         {k: b for k, b in {"epsilon": ("xi", 0, 1), "alpha": ("ep", 0, 1), "go_bias": ("b", -20, 20),
                            "pi": ("pi", -20, 20), "sensitivity": ("rho", 0, 50)}.items()
          if k in PavlovianBiasGoNoGo.VARIANTS[v]},
         f"hBayesDM gng_{v}; b and pi bounded here (unbounded in hBayesDM), rho on a bounded rather than a log "
         f"scale") for v in ("m1", "m2", "m3")],
    _m("pst_Q", "pst", StimulusValueLearner(PAIRS[:3], single_rate=True),
       {"alpha": ("alpha", 0, 1), "beta": ("beta", 0, 10)}, "hBayesDM pst_Q (one learning rate)"),
    _m("pst_gainloss_Q", "pst", StimulusValueLearner(PAIRS[:3]),
       {"alpha_pos": ("alpha_pos", 0, 1), "alpha_neg": ("alpha_neg", 0, 1), "beta": ("beta", 0, 10)},
       "hBayesDM pst_gainloss_Q (Frank et al. 2007)"),
    _m("pst_opal", "pst", OpAL(PAIRS[:3]),
       {"alpha_critic": ("alpha_c", 0, 1), "alpha_go": ("alpha_g", 0, 1), "alpha_nogo": ("alpha_n", 0, 1),
        "beta": ("beta", 0, 10), "rho": ("rho", -1, 1)},
       "OpAL (Collins & Frank 2014) on the PST; not in hBayesDM"),
    _m("bandit2arm_actor_critic", "bandit2arm", ActorCritic(),
       {"alpha_critic": ("alpha_c", 0, 1), "alpha_actor": ("alpha_a", 0, 1), "beta": ("beta", 0, 10)},
       "one-step actor-critic; not in hBayesDM"),
])


def _with_stickiness(models: dict) -> dict:
    """Every model without a perseveration parameter also comes as ``<name>_stick``:
    the same learner wrapped in :class:`~mesolimbic.models.Sticky`."""
    out = dict(models)
    for name, m in models.items():
        has = any(p.name == "kappa" for p in m.learner.params)
        if not has and f"{name}_stick" not in models:
            out[f"{name}_stick"] = FitModel(f"{name}_stick", m.task, Sticky(m.learner), {**m.hbayes, **_STICK},
                                            f"{m.mirrors}; plus choice perseveration kappa (stickiness on the "
                                            f"previous action), not in hBayesDM", m.sign_outcome, dict(m.fixed))
    return out


MODELS = _with_stickiness(MODELS)


def get_model(name: str) -> FitModel:
    if name not in MODELS:
        from ..experiments.registry import did_you_mean

        raise ValueError(f"unknown model {name!r}{did_you_mean(name, MODELS)} (`mesolimbic models` lists all "
                         f"{len(MODELS)} with their parameters)")
    return MODELS[name]
