"""Response vigour set by tonic dopamine (Niv, Daw, Joel & Dayan 2007).

In free-operant responding, acting fast costs effort (``C_v / tau`` for a
latency ``tau``) and acting slowly costs time, whose price is the average reward
rate ``R`` — the opportunity cost. The latency that maximises the net reward
rate is

.. math:: \\tau^* = \\sqrt{C_v / R}

so a richer environment, or more tonic dopamine (which reports ``R``), gives
faster responding, and dopamine depletion slow, sparse responding. Here the
agent learns ``R`` online, ``R += alpha_rate (r / tau - R)`` per response, and the
circuit's VTA reports it scaled by its tonic knob (depletion, agonist, L-DOPA):
``tau = sqrt(C_v / (tonic_scale * R))``, with log-normal motor noise.

:class:`ResponseVigour` is that agent as a trial-level learner (one "trial" per
response); :func:`simulate_vigour` runs it with :func:`mesolimbic.simulate` on a
random-ratio schedule written as a design whose every trial is one response,
rewarded with probability ``p_reward`` (on a random-ratio schedule whether a
response pays does not depend on its timing, so the outcomes can be drawn in
advance like any design's).

Reference: Niv, Y., Daw, N. D., Joel, D. & Dayan, P. (2007). Tonic dopamine:
opportunity costs and the control of response vigor. Psychopharmacology
191:507-520.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._validate import check_count, check_range
from ..models.base import Model, Output, Param
from .core import Circuit

__all__ = ["simulate_vigour", "ResponseVigour"]

FLOOR = 1e-3  # a rate of zero would mean waiting forever


class ResponseVigour(Model):
    r"""The free-operant agent of Niv et al. (2007): latency from the learned reward rate.

    .. math::
       \tau_t = \sqrt{C_v / \max(s\,R_t,\ 10^{-3})}\; e^{\sigma z_t}, \qquad
       R_{t+1} = R_t + \alpha_R\,(r_t / \tau_t - R_t)

    with ``s`` the tonic-dopamine scaling (``tonic_scale``, structural: 1 intact, < 1
    depleted, > 1 on an agonist), :math:`z_t \sim N(0, 1)` motor noise, and
    :math:`r_t` the reward the response earned. Parameters: ``cost_vigour``
    (:math:`C_v`) > 0, ``alpha_rate`` in (0, 1], ``noise`` (:math:`\sigma`) in [0, 5],
    ``initial_rate`` (:math:`R_0`) >= 0.
    """

    name = "response_vigour"
    level = "trial"
    params = (
        Param("cost_vigour", 1.0, 0.0, np.inf, low_open=True, high_open=True, doc="cost of vigour C_v"),
        Param("alpha_rate", 0.05, 0.0, 1.0, low_open=True, doc="learning rate of the average reward rate"),
        Param("noise", 0.2, 0.0, 5.0, doc="sd of the log-normal motor noise"),
        Param("initial_rate", 0.3, 0.0, np.inf, high_open=True, doc="average reward rate before responding"),
    )
    noise_inputs = ("z",)
    outputs = {"latency": Output("time to the response", "s"),
               "tonic": Output("tonic dopamine (the reported average reward rate)", "1/s")}

    def __init__(self, tonic_scale: float = 1.0) -> None:
        self.tonic_scale = float(check_range("tonic_scale", tonic_scale, 0.0, np.inf))

    def options(self):
        return {"tonic_scale": self.tonic_scale}

    def init(self, params, spec):
        return {"rate": jnp.asarray(params["initial_rate"], jnp.float32)}

    def step(self, params, state, inputs):
        """One response: ``r`` the reward it earned, ``z`` a standard normal draw."""
        tonic = self.tonic_scale * state["rate"]
        tau = jnp.sqrt(params["cost_vigour"] / jnp.maximum(tonic, FLOOR)) * jnp.exp(params["noise"] * inputs["z"])
        rate = state["rate"] + params["alpha_rate"] * (inputs["r"] / tau - state["rate"])
        return {"rate": rate}, {"latency": tau, "tonic": tonic}


def simulate_vigour(circuit: Circuit, reward: float = 1.0, p_reward: float = 0.3, *, n_responses: int = 500,
                    cost_vigour: float = 1.0, alpha_rate: float = 0.05, noise: float = 0.2, n_agents: int = 50,
                    seed: int = 0) -> xr.Dataset:
    """Free-operant responding on a random-ratio schedule (each response rewarded with
    ``reward`` with probability ``p_reward``) under ``circuit``'s tonic dopamine: latency
    of every response, the reward it earned and the tonic dopamine that reports the
    learned rate, over ``agent`` x ``trial`` (one trial per response)."""
    from ..simulate import simulate
    from ..tasks import Phase, PavlovianDesign, TrialType

    if not isinstance(circuit, Circuit):
        raise ValueError(f"circuit must be a mesolimbic.circuit.Circuit, got {type(circuit).__name__}")
    if "vta" not in circuit.regions:
        raise ValueError("response vigour needs region 'vta' (the tonic dopamine signal)")
    check_range("reward", reward, 0.0, np.inf, low_open=True)
    check_range("p_reward", p_reward, 0.0, 1.0, low_open=True)
    n_responses = check_count("n_responses", n_responses, 1)
    scale = circuit.knobs["tonic_scale"] if circuit.works("vta") else 0.0
    design = PavlovianDesign([TrialType("response", us_time=0.0, magnitude=reward, probability=p_reward)],
                             [Phase("responding", {"response": n_responses})], iti=0.0,
                             name="random_ratio_responding")
    ds = simulate(design, ResponseVigour(scale),
                  {"cost_vigour": cost_vigour, "alpha_rate": alpha_rate, "noise": noise,
                   "initial_rate": p_reward * reward}, n_agents=n_agents, seed=seed, record="trials")
    ds["trial"].attrs.update(long_name="response")
    ds.attrs.update(manipulations=str([m.to_dict() for m in circuit.manipulations]), tonic_scale=scale,
                    p_reward=p_reward)
    return ds
