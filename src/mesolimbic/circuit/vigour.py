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

Reference: Niv, Y., Daw, N. D., Joel, D. & Dayan, P. (2007). Tonic dopamine:
opportunity costs and the control of response vigor. Psychopharmacology
191:507-520.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .._validate import check_count, check_range
from .core import Circuit

__all__ = ["simulate_vigour"]


def simulate_vigour(circuit: Circuit, reward: float = 1.0, p_reward: float = 0.3, *, n_responses: int = 500,
                    cost_vigour: float = 1.0, alpha_rate: float = 0.05, noise: float = 0.2, n_agents: int = 50,
                    seed: int = 0) -> xr.Dataset:
    """Free-operant responding on a random-ratio schedule (each response rewarded with
    ``reward`` with probability ``p_reward``): latency of every response, the learned
    average reward rate and the tonic dopamine that reports it."""
    if not isinstance(circuit, Circuit):
        raise ValueError(f"circuit must be a mesolimbic.circuit.Circuit, got {type(circuit).__name__}")
    if "vta" not in circuit.regions:
        raise ValueError("response vigour needs region 'vta' (the tonic dopamine signal)")
    check_range("reward", reward, 0.0, np.inf, low_open=True)
    check_range("p_reward", p_reward, 0.0, 1.0, low_open=True)
    check_range("cost_vigour", cost_vigour, 0.0, np.inf, low_open=True)
    check_range("alpha_rate", alpha_rate, 0.0, 1.0, low_open=True)
    check_range("noise", noise, 0.0, 5.0)
    n_responses, n_agents = check_count("n_responses", n_responses, 1), check_count("n_agents", n_agents, 1)
    scale = circuit.knobs["tonic_scale"] if circuit.works("vta") else 0.0
    floor = 1e-3  # a rate of zero would mean waiting forever

    def agent(key):
        u_key, n_key = jax.random.split(key)
        u = jax.random.uniform(u_key, (n_responses,))
        z = jax.random.normal(n_key, (n_responses,))

        def respond(rate, inp):
            u_t, z_t = inp
            tonic = scale * rate
            tau = jnp.sqrt(cost_vigour / jnp.maximum(tonic, floor)) * jnp.exp(noise * z_t)
            r = jnp.where(u_t < p_reward, reward, 0.0)
            rate = rate + alpha_rate * (r / tau - rate)
            return rate, (tau, tonic, r)

        _, out = jax.lax.scan(respond, jnp.asarray(p_reward * reward, jnp.float32), (u, z))
        return out

    keys = jax.random.split(jax.random.PRNGKey(seed), n_agents)
    tau, tonic, r = (np.asarray(a) for a in jax.jit(jax.vmap(agent))(keys))
    return xr.Dataset({
        "latency": (("agent", "response"), tau, {"long_name": "time to the response", "units": "s"}),
        "tonic": (("agent", "response"), tonic, {"long_name": "tonic dopamine (reported reward rate)"}),
        "reward": (("agent", "response"), r),
    }, coords={"agent": np.arange(n_agents), "response": np.arange(1, n_responses + 1)},
        attrs={"reward": reward, "p_reward": p_reward, "cost_vigour": cost_vigour, "tonic_scale": scale,
               "manipulations": str([m.to_dict() for m in circuit.manipulations]), "seed": seed})
