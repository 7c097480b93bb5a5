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
_GNG = {"epsilon": ("xi", 0, 1), "alpha": ("ep", 0, 1), "go_bias": ("b", -20, 20), "pi": ("pi", -20, 20),
        "sensitivity": ("rho", 0, 50)}


def _gng_mirrors(v: str) -> str:
    """gng_m1 - m3: what differs from hBayesDM (the ranges of the parameters it leaves unbounded)."""
    free = PavlovianBiasGoNoGo.VARIANTS[v]
    linear = [_GNG[k][0] for k in ("go_bias", "pi") if k in free]
    ranges = ", ".join(f"{n} [{lo}, {hi}]" for k, (n, lo, hi) in _GNG.items() if k in free and n in ("b", "pi", "rho"))
    text = (f"hBayesDM gng_{v}; identical likelihood. Bounded here (unbounded in hBayesDM: "
            f"{' and '.join(linear) + ' linear, ' if linear else ''}rho exp): {ranges}")
    if linear:
        text += (f"; hBayesDM's hyperpriors for {' and '.join(linear)} (mu_pr ~ N(0, 10), sigma ~ half-Cauchy(0, 1)) "
                 f"are N(0, 1) and half-N(0, 0.2) here, like every parameter's")
    return text


#: model name -> :class:`FitModel`: every model ``fit_mle``, ``fit_approx`` and ``fit_hierarchical`` take by name
MODELS = dict([
    _m("bandit2arm_delta", "bandit2arm", DeltaRule(), {"alpha": ("A", 0, 1), "beta": ("tau", 0, 5)},
       "hBayesDM bandit2arm_delta (A = alpha, tau = beta: the inverse temperature); identical likelihood"),
    _m("bandit2arm_delta_stick", "bandit2arm", DeltaRule(perseveration=True),
       {"alpha": ("A", 0, 1), "beta": ("tau", 0, 5), **_STICK},
       "bandit2arm_delta plus choice perseveration kappa (stickiness); not in hBayesDM"),
    _m("prl_rp", "prl", DeltaRule(separate_rates=True),
       {"alpha_pos": ("Arew", 0, 1), "alpha_neg": ("Apun", 0, 1), "beta": ("beta", 0, 10)},
       "hBayesDM prl_rp (Arew = alpha_pos, Apun = alpha_neg, beta); outcomes replaced by their sign, as "
       "hBayesDM's preprocessing does; same ranges. One difference: hBayesDM takes Arew when the outcome is > 0 "
       "and Apun otherwise, this learner takes the rate by the sign of the RPE (alpha_pos when >= 0). With "
       "signed outcomes +1/-1 the RPE has the outcome's sign and the likelihoods are equal; after an outcome 0 "
       "(sign 0) the RPE is minus the chosen value, so a negative value gets alpha_pos here and Apun in hBayesDM",
       sign_outcome=True),
    _m("prl_rp_stick", "prl", DeltaRule(separate_rates=True, perseveration=True),
       {"alpha_pos": ("Arew", 0, 1), "alpha_neg": ("Apun", 0, 1), "beta": ("beta", 0, 10), **_STICK},
       "prl_rp plus choice perseveration; not in hBayesDM", sign_outcome=True),
    _m("prl_rp_multipleB", "prl_multipleB", DeltaRule(separate_rates=True),
       {"alpha_pos": ("Arew", 0, 1), "alpha_neg": ("Apun", 0, 1), "beta": ("beta", 0, 10)},
       "hBayesDM prl_rp_multipleB: prl_rp with the values restarting at 0 in every block, blocks summed per "
       "subject; same ranges, and the same difference as prl_rp (the rate by the sign of the RPE, which "
       "differs from hBayesDM only after an outcome 0)", sign_outcome=True),
    _m("prl_fictitious", "prl", FictitiousUpdate(),
       {"alpha": ("eta", 0, 1), "indecision": ("alpha", -10, 10), "beta": ("beta", 0, 10)},
       "hBayesDM prl_fictitious (Glascher et al. 2009; eta = alpha, alpha = indecision, beta = beta); outcomes "
       "replaced by their sign as hBayesDM's preprocessing does; identical likelihood. Bounded here "
       "(unbounded in hBayesDM, linear): alpha [-10, 10], whose hyperprior sigma is half-Cauchy(0, 1) in "
       "hBayesDM and half-N(0, 0.2) here like every parameter's", sign_outcome=True),
    _m("ts_par7", "ts", HybridTwoStep(transition=0.7, trace_after_update=True), _TS7,
       "hBayesDM ts_par7 (Daw et al. 2011 as coded in hBayesDM): transitions fixed at 0.7 and the eligibility "
       "update uses r - Q2 after the second-stage update, as in hBayesDM's Stan code; identical likelihood. "
       "Bounded here (unbounded in hBayesDM, exp): beta1 [0, 20], beta2 [0, 20]; another range: "
       "pi [-5, 5] (hBayesDM [0, 5], no alternation)"),
    _m("ts_par6", "ts", HybridTwoStep(transition=0.7, trace_after_update=True),
       {k: v for k, v in _TS7.items() if k != "lam"},
       "hBayesDM ts_par6: ts_par7 with lambda fixed at 1 (hBayesDM's code keeps the eligibility update with "
       "weight a1, i.e. lambda = 1, although its documentation says 'without lambda'); identical likelihood. "
       "Bounded here (unbounded in hBayesDM, exp): beta1 [0, 20], beta2 [0, 20]; another range: "
       "pi [-5, 5] (hBayesDM [0, 5], no alternation)",
       fixed={"lam": 1.0}),
    _m("ts_par4", "ts", HybridTwoStep(transition=0.7, trace_after_update=True, shared=True),
       {"alpha": ("a", 0, 1), "beta": ("beta", 0, 20), "w": ("w", 0, 1), "kappa": ("pi", -5, 5)},
       "hBayesDM ts_par4: one learning rate a and one inverse temperature beta for both stages, lambda = 1 as "
       "in its code; identical likelihood. Bounded here (unbounded in hBayesDM, exp): beta [0, 20]; another "
       "range: pi [-5, 5] (hBayesDM [0, 5], no alternation)", fixed={"lam": 1.0}),
    _m("ts_daw2011", "ts", HybridTwoStep(), _TS7,
       "Daw et al. (2011) as published: transition model learned by counting, eligibility update with the "
       "second-stage error before its update; not in hBayesDM (closest: ts_par7)"),
    _m("gng_m4", "gng", PavlovianBiasGoNoGo(),
       {"epsilon": ("xi", 0, 1), "alpha": ("ep", 0, 1), "go_bias": ("b", -20, 20), "pi": ("pi", -20, 20),
        "sensitivity_rew": ("rhoRew", 0, 50), "sensitivity_pun": ("rhoPun", 0, 50)},
       "hBayesDM gng_m4 (Cavanagh et al. 2013; xi = epsilon, ep = alpha, b = go_bias, rhoRew / rhoPun = "
       "sensitivity_rew / _pun); identical likelihood. Bounded here (unbounded in hBayesDM: b and pi linear, "
       "rho exp): b [-20, 20], pi [-20, 20], rhoRew [0, 50], rhoPun [0, 50]; hBayesDM's hyperpriors for b and "
       "pi (mu_pr ~ N(0, 10), sigma ~ half-Cauchy(0, 1)) are N(0, 1) and half-N(0, 0.2) here, like every "
       "parameter's"),
    *[_m(f"gng_{v}", "gng", PavlovianBiasGoNoGo(v),
         {k: b for k, b in _GNG.items() if k in PavlovianBiasGoNoGo.VARIANTS[v]},
         _gng_mirrors(v)) for v in ("m1", "m2", "m3")],
    _m("pst_Q", "pst", StimulusValueLearner(PAIRS[:3], single_rate=True),
       {"alpha": ("alpha", 0, 1), "beta": ("beta", 0, 10)},
       "hBayesDM pst_Q (one learning rate; the pair's first option, choice 1 in hBayesDM's data, is action 0); "
       "identical likelihood and ranges"),
    _m("pst_gainloss_Q", "pst", StimulusValueLearner(PAIRS[:3]),
       {"alpha_pos": ("alpha_pos", 0, 1), "alpha_neg": ("alpha_neg", 0, 1), "beta": ("beta", 0, 10)},
       "hBayesDM pst_gainloss_Q (Frank et al. 2007): the rate by the sign of the prediction error "
       "(alpha_pos when >= 0) as in hBayesDM; identical likelihood and ranges"),
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
