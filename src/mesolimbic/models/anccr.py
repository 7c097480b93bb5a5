"""ANCCR: retrospective causal learning over an event log in continuous time (Jeong et al. 2022)."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import check_range

__all__ = ["ANCCR", "EventLog"]

CITATION = ("Jeong, H., Taylor, A., Floeder, J. R., Lohmann, M., Mihalas, S., Wu, B., Zhou, M., Burke, D. A. & "
            "Namboodiri, V. M. K. (2022). Mesolimbic dopamine release conveys causal associations. Science "
            "378:eabq6740")


@dataclass(frozen=True)
class EventLog:
    """Events of several agents, padded to one length.

    ``kind[a, n]`` the event type (0 .. n_types-1), ``time[a, n]`` its time in
    seconds (non-decreasing along ``n``), ``magnitude[a, n]`` its size (the
    reward's magnitude; 0 for a cue), ``valid[a, n]`` False for padding after an
    agent's last event. Simultaneous events must be separated beforehand (the
    reference code adds a small Gaussian jitter to them).
    """

    kind: np.ndarray
    time: np.ndarray
    magnitude: np.ndarray
    valid: np.ndarray

    @classmethod
    def from_lists(cls, logs: list[list[tuple[int, float, float]]]) -> EventLog:
        """From one list of ``(kind, time, magnitude)`` per agent (sorted by time here)."""
        n = max(len(x) for x in logs)
        kind = np.zeros((len(logs), n), np.int32)
        time = np.zeros((len(logs), n))
        mag = np.zeros((len(logs), n))
        valid = np.zeros((len(logs), n), bool)
        for a, log in enumerate(logs):
            log = sorted(log, key=lambda e: e[1])
            m = len(log)
            kind[a, :m] = [e[0] for e in log]
            time[a, :m] = [e[1] for e in log]
            mag[a, :m] = [e[2] for e in log]
            valid[a, :m] = True
            if m:
                time[a, m:] = time[a, m - 1]
        if np.any(np.diff(time, axis=1) < 0):
            raise ValueError("EventLog: event times must be non-decreasing for every agent")
        return cls(kind, time, mag, valid)


class ANCCR:
    r"""Adjusted net contingency for causal relations (ANCCR), run over an event log.

    Jeong et al. (2022) propose that mesolimbic dopamine reports whether an
    event is a *cause* of a meaningful outcome, learned retrospectively ("does
    the cue precede reward?"), rather than a prospective reward prediction
    error. Events are points in continuous time. With :math:`\gamma =
    e^{-1/T}` per second and :math:`t` the time of the current event (of type
    :math:`j`, magnitude :math:`r`), in the order the update runs:

    .. math::
       E_i &\leftarrow E_i\,\gamma^{t - t_\text{prev}} + [i = j]
            && \text{eligibility trace of each event type}\\
       M_{i\leftarrow j} &\leftarrow M_{i\leftarrow j} + \alpha\,(E_i - M_{i\leftarrow j})\,I_j
            && \text{predecessor representation, learned at } j \text{ if } j \text{ is meaningful}\\
       \mathrm{PRC}_{ij} &= M_{i\leftarrow j} - \bar M_i, \qquad
       \mathrm{SRC}_{ij} = \mathrm{PRC}_{ij}\,\bar M_j / \bar M_i
            && \text{predecessor / successor contingency (Bayes' rule)}\\
       \mathrm{NC}_{ij} &= w\,\mathrm{SRC}_{ij} + (1-w)\,\mathrm{PRC}_{ij}
            && \text{net contingency}\\
       \mathrm{ANCCR}_{kl} &= \mathrm{NC}_{kl}\,R_{kl}
            - \textstyle\sum_{i \neq k,\ \mathrm{NC}_{ik} > \theta} \mathrm{ANCCR}_{il}\,\Delta_i
            && \text{for } k = 1, 2, \dots \text{ in turn}\\
       \mathrm{DA} &= \textstyle\sum_l \mathrm{ANCCR}_{jl}\, I_l
            && \text{the dopamine response to the event}

    :math:`\bar M_i` is the baseline trace, a running average of :math:`E_i`
    sampled every ``sampling_period`` seconds whatever happens,
    :math:`\bar M_i \leftarrow \bar M_i + k\alpha(E_i(s) - \bar M_i)`; here the
    updates between two events are summed in closed form (a geometric series),
    which equals sampling the trace step by step. :math:`\Delta_i` is
    :math:`\gamma^{\text{time since the last } i}` (1 at an event of type i, not
    cumulative), so the subtraction removes the part of an outcome's causal
    signal already carried by a recent cause. :math:`\mathrm{SRC}_{ij}` is 0 while
    :math:`\bar M_i / T` is below ``minimum_rate``, and every contingency of a type
    not yet seen is 0. :math:`I_j` marks *meaningful causal targets*: it starts
    as ``beta_j > threshold`` and becomes true once :math:`\mathrm{DA} + \beta_j >
    \theta` at an event of type j. :math:`R_{jj}` is set to the event's
    magnitude; after the event, when DA >= 0, :math:`R_{ij} \leftarrow R_{ij} +
    \alpha_R (r - R_{ij})` for every i; when DA < 0, the :math:`R_{ij}` of the
    predecessors of j (:math:`\mathrm{NC}_{ij} > \theta`) fall by
    :math:`\alpha_R R_{ij}` times their share of :math:`\Delta_i / n_i`
    (:math:`n_i` the number of i events so far).

    Source: the equations are the paper's (Fig. 1 and its supplementary
    methods) as implemented in the authors' MATLAB function ``calculateANCCR.m``
    (github.com/namboodirilab/ANCCR, ``functions/``), which this follows line by
    line for everything above. Left out: the omission state (``omidx``), the
    optogenetic override of DA (``optolog``), the exact-mean and decaying
    learning rates, the averaging of NC over the last events for the edge test
    (``nevent_for_edge``, default 0 there too), and the jitter of simultaneous
    events (give distinct times instead).

    Defaults are those of the reference simulation scripts
    (``simulation/fig2/*.m``, ``fig3``, ``figS5``): ``alpha`` 0.02, ``alpha_r``
    0.2, ``k`` 1, ``w`` 0.5, ``threshold`` 0.6, ``minimum_rate`` 1e-3,
    ``sampling_period`` 0.2 s; ``T`` is 1.2 times the mean inter-reward interval
    in those scripts, so it has no default here; ``beta`` is 1 for rewards and
    0 for cues there.

    Why not the session kernel: the kernel steps a learner over the time steps
    of trials that each start from an inter-trial state it does not simulate.
    ANCCR's quantities are built from the inter-trial interval itself — the
    baseline :math:`\bar M` and the trace decay between trials are what make a
    background reward degrade a cue's contingency — and it updates only at
    events, with the time elapsed between them. Stepping it at a fixed ``dt``
    through ITIs of tens of seconds would cost hundreds of empty steps per trial
    for updates that have a closed form. So it is its own loop: one
    ``lax.scan`` over an agent's events, vmapped over agents, jitted once.

    Args:
      n_types: number of event types (e.g. 2: cue 0 and reward 1).
      beta: initial meaningfulness of each type (length ``n_types``).
    """

    name = "anccr"
    citation = CITATION
    defaults = {"alpha": 0.02, "alpha_r": 0.2, "k": 1.0, "w": 0.5, "threshold": 0.6, "minimum_rate": 1e-3,
                "sampling_period": 0.2}

    def __init__(self, n_types: int, beta) -> None:
        self.n_types = int(n_types)
        self.beta = np.asarray(beta, float)
        if self.beta.shape != (self.n_types,):
            raise ValueError(f"ANCCR: beta must have one entry per event type ({self.n_types}), got shape "
                             f"{self.beta.shape}")

    def params(self, T: float, **overrides) -> dict:
        """The default parameters with the time constant ``T`` (seconds) and any overrides."""
        p = dict(self.defaults, T=float(T), **overrides)
        unknown = set(p) - set(self.defaults) - {"T"}
        if unknown:
            raise ValueError(f"ANCCR: unknown parameters {sorted(unknown)}")
        check_range("T", p["T"], 0.0, np.inf, low_open=True)
        for name in ("alpha", "alpha_r", "w"):
            check_range(name, p[name], 0.0, 1.0)
        check_range("sampling_period", p["sampling_period"], 0.0, np.inf, low_open=True)
        return p

    def init(self, params) -> dict:
        n, dtype = self.n_types, params["T"].dtype
        z, zz = jnp.zeros(n, dtype), jnp.zeros((n, n), dtype)
        return {"E": z, "delta": z, "Mbar": z, "M": zz, "R": zz, "anccr": zz, "count": z,
                "mct": jnp.asarray(self.beta) > params["threshold"], "t": jnp.zeros((), dtype),
                "next_sample": jnp.zeros((), dtype)}

    def _event(self, p, s, kind, t, mag):
        """Update at one event; returns the new state and the outputs at it."""
        n = self.n_types
        gamma = jnp.exp(-1.0 / p["T"])
        beta, theta = jnp.asarray(self.beta), p["threshold"]
        decay = gamma ** (t - s["t"])
        onehot = jax.nn.one_hot(kind, n)
        count = s["count"] + onehot
        seen = count > 0
        delta = jnp.where(onehot > 0, 1.0, s["delta"] * decay)
        E = s["E"] * decay + onehot
        mct_j = s["mct"][kind]
        M = s["M"].at[:, kind].add(p["alpha"] * (E - s["M"][:, kind]) * mct_j)
        Mbar = s["Mbar"]
        prc = M - Mbar[:, None]
        ok = (Mbar / p["T"] >= p["minimum_rate"]) & (Mbar > 0)
        src = jnp.where(ok[:, None], prc * Mbar[None, :] / jnp.where(ok, Mbar, 1.0)[:, None], 0.0)
        both = seen[:, None] & seen[None, :]
        prc, src = jnp.where(both, prc, 0.0), jnp.where(both, src, 0.0)
        R = jnp.where(both, s["R"], 0.0)
        nc = p["w"] * src + (1 - p["w"]) * prc
        R = R.at[kind, kind].set(mag)
        # every row is recomputed in turn, each using the rows already updated (the reference's loop order)
        anccr = s["anccr"].at[kind].set(0.0)
        for k in range(n):
            edge = (nc[:, k] > theta) & (jnp.arange(n) != k)
            anccr = anccr.at[k].set(nc[k] * R[k] - jnp.sum(anccr * (delta * edge)[:, None], axis=0))
        mct = s["mct"]
        da = jnp.sum(anccr[kind] * mct)
        mct = mct.at[kind].set(mct[kind] | (da + beta[kind] > theta))
        # magnitude of j given each predecessor: toward the outcome if DA >= 0, else shared decrease
        pred = (nc[:, kind] > theta) & (jnp.arange(n) != kind)
        share = jnp.where(pred, delta / jnp.maximum(count, 1.0), 0.0)
        share = share / jnp.where(share.sum() > 0, share.sum(), 1.0)
        col_up = R[:, kind] + p["alpha_r"] * (mag - R[:, kind])
        col_down = R[:, kind] - p["alpha_r"] * R[:, kind] * share
        R = R.at[:, kind].set(jnp.where(da >= 0, col_up, col_down))
        s = dict(s, E=E, delta=delta, M=M, R=R, anccr=anccr, count=count, mct=mct, t=t)
        return s, {"da": da, "nc": nc, "prc": prc, "src": src}

    def _baseline(self, p, s, t_next):
        """Baseline updates at the sampling times in [last sample due, t_next), in closed form."""
        dt, a = p["sampling_period"], p["k"] * p["alpha"]
        gamma = jnp.exp(-1.0 / p["T"])
        # the first sampling time not yet used, at or after the current event (samples before the first event
        # see a zero trace and a zero baseline: nothing to do)
        first = jnp.maximum(s["next_sample"], jnp.ceil(s["t"] / dt - 1e-6) * dt)
        n_s = jnp.maximum(jnp.ceil((t_next - first) / dt - 1e-9), 0.0)
        e1 = s["E"] * gamma ** (first - s["t"])  # the trace at the first sampling time
        g, q = gamma ** dt, 1.0 - a
        # sum_{m=1..n} q^(n-m) g^(m-1), with its limit n q^(n-1) when q == g
        close = jnp.abs(q - g) < 1e-9
        geo = jnp.where(close, n_s * q ** jnp.maximum(n_s - 1, 0.0), (q ** n_s - g ** n_s) / jnp.where(close, 1.0,
                                                                                                        q - g))
        Mbar = q ** n_s * s["Mbar"] + a * e1 * geo
        return dict(s, Mbar=Mbar, next_sample=first + n_s * dt)

    def run(self, params: dict, log: EventLog) -> dict[str, np.ndarray]:
        """Run every agent over its events. Returns ``da`` [agent, event] (the
        dopamine response at each event; NaN at padding), ``nc``, ``prc`` and
        ``src`` [agent, event, i, j] and the final ``R``, ``M`` and ``Mbar``."""
        if getattr(self, "_compiled", None) is None:
            self._compiled = jax.jit(jax.vmap(self._agent, in_axes=(None, 0, 0, 0, 0, 0)))
        p = {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}
        time = np.asarray(log.time, np.float64)
        nxt = np.concatenate([time[:, 1:], time[:, -1:]], axis=1)
        out = self._compiled(p, jnp.asarray(log.kind, jnp.int32), jnp.asarray(time, jnp.float32),
                             jnp.asarray(log.magnitude, jnp.float32), jnp.asarray(log.valid), jnp.asarray(nxt,
                                                                                                   jnp.float32))
        return {k: np.asarray(v) for k, v in out.items()}

    def _agent(self, p, kind, time, mag, valid, nxt):
        def body(s, ev):
            kd, t, m, ok, tn = ev
            s1, out = self._event(p, s, kd, t, m)
            s1 = self._baseline(p, s1, tn)
            s = jax.tree.map(lambda new, old: jnp.where(ok, new, old), s1, s)
            return s, dict(out, da=jnp.where(ok, out["da"], jnp.nan))

        s, outs = jax.lax.scan(body, self.init(p), (kind, time, mag, valid, nxt))
        return dict(outs, R=s["R"], M=s["M"], Mbar=s["Mbar"])
