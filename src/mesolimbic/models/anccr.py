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

    :math:`\bar M_i` is the baseline trace, a running average of a sampled copy
    of :math:`E_i` taken every ``sampling_period`` seconds whatever happens,
    :math:`\bar M_i \leftarrow \bar M_i + k\alpha(E_i(s) - \bar M_i)`. As in the
    reference loop, the baseline is also updated once after an event that no
    sampling time separates from the next one (with the sampled trace decayed by
    one more sampling period); the updates between two events are summed in
    closed form (a geometric series), equal to the reference's loop (checked
    against a literal transcription to 1e-5 in ``tests/test_anccr.py``).
    ``T`` may be one value per event, as in the reference (the update at event
    ``jt``, and the sampling after it, use ``T(jt)``). :math:`\Delta_i` is
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

    def params(self, T, **overrides) -> dict:
        """The default parameters with the time constant ``T`` (seconds) and any overrides.

        ``T`` is a number, or an array of one value per event (``[event]`` or
        ``[agent, event]``, broadcast to the log's shape): as in the reference,
        where a vector ``T`` gives the calculation at event ``jt`` (and the
        baseline sampling after it) the value ``T(jt)``."""
        T = np.asarray(T, float)
        p = dict(self.defaults, T=float(T) if T.ndim == 0 else T, **overrides)
        unknown = set(p) - set(self.defaults) - {"T"}
        if unknown:
            raise ValueError(f"ANCCR: unknown parameters {sorted(unknown)}")
        check_range("T", p["T"], 0.0, np.inf, low_open=True)
        for name in ("alpha", "alpha_r", "w"):
            check_range(name, p[name], 0.0, 1.0)
        check_range("sampling_period", p["sampling_period"], 0.0, np.inf, low_open=True)
        check_range("k * alpha", p["k"] * p["alpha"], 0.0, 1.0, high_open=True)  # the baseline's rate
        return p

    def init(self, params) -> dict:
        n, dtype = self.n_types, params["alpha"].dtype
        z, zz = jnp.zeros(n, dtype), jnp.zeros((n, n), dtype)
        return {"E": z, "delta": z, "Mbar": z, "Ei": z, "pending": z, "M": zz, "R": zz, "anccr": zz, "count": z,
                "mct": jnp.asarray(self.beta) > params["threshold"]}

    def _event(self, p, s, kind, T, gap, mag):
        """Update at one event (``gap`` seconds after the previous one); returns the new state and the outputs."""
        n = self.n_types
        beta, theta = jnp.asarray(self.beta), p["threshold"]
        decay = jnp.exp(-gap / T)  # gamma(jt) ** (t(jt) - t(jt-1)), gamma = exp(-1/T)
        onehot = jax.nn.one_hot(kind, n)
        count = s["count"] + onehot
        seen = count > 0
        delta = jnp.where(onehot > 0, 1.0, s["delta"] * decay)
        E = s["E"] * decay + onehot
        pending = s["pending"] * decay + onehot  # the events since the last baseline sample, as a trace
        mct_j = s["mct"][kind]
        M = s["M"].at[:, kind].add(p["alpha"] * (E - s["M"][:, kind]) * mct_j)
        Mbar = s["Mbar"]
        prc = M - Mbar[:, None]
        ok = (Mbar / T >= p["minimum_rate"]) & (Mbar > 0)
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
        s = dict(s, E=E, delta=delta, pending=pending, M=M, R=R, anccr=anccr, count=count, mct=mct)
        return s, {"da": da, "nc": nc, "prc": prc, "src": src}

    def _baseline(self, p, s, T, n_samples, first_offset, has_next):
        """The baseline updates between this event and the next, as the reference's loop makes them.

        The reference keeps a sampled trace ``Ei``. After every event but the
        last it decays ``Ei`` by ``gamma**dt`` and updates the baseline once,
        *whether or not* a sampling time falls before the next event; if some
        do (``n_samples`` of them, the first ``first_offset`` s after the event),
        the events since the last sample are added to ``Ei`` at the first, and
        each further sample decays ``Ei`` by ``gamma**dt`` and updates the
        baseline again. ``M <- M + k*alpha*(Ei - M)`` over ``n`` updates with
        ``Ei`` falling geometrically is summed in closed form here.
        """
        dt, a = p["sampling_period"], p["k"] * p["alpha"]
        sampled = n_samples >= 1
        e1 = s["Ei"] * jnp.exp(-dt / T) + jnp.where(sampled, jnp.exp(-first_offset / T), 0.0) * s["pending"]
        n_up = jnp.where(has_next, jnp.maximum(n_samples, 1.0), 0.0)
        # sum_{m=1..n} q^(n-m) g^(m-1) = q^(n-1) (r^n - 1) / (r - 1), r = g / q, written with expm1 (stable as r -> 1)
        log_q, log_r = jnp.log1p(-a), -dt / T - jnp.log1p(-a)
        small = jnp.abs(log_r) < 1e-12
        ratio = jnp.where(small, n_up, jnp.expm1(n_up * log_r) / jnp.where(small, 1.0, jnp.expm1(log_r)))
        geo = jnp.exp((n_up - 1.0) * log_q) * ratio
        Mbar = jnp.exp(n_up * log_q) * s["Mbar"] + a * e1 * geo
        Ei = jnp.where(n_up > 0, e1 * jnp.exp(-(n_up - 1.0) * dt / T), s["Ei"])
        pending = jnp.where(sampled & has_next, 0.0, s["pending"])
        return dict(s, Mbar=Mbar, Ei=Ei, pending=pending)

    @staticmethod
    def _sampling(time: np.ndarray, valid: np.ndarray, dt: float):
        """For every event: the number of sampling times ``0, dt, 2 dt, ...`` (up to the agent's last event) in
        [this event, the next), the first one's offset after the event, and whether a next event exists."""
        n_s = np.zeros(time.shape)
        first = np.zeros(time.shape)
        has_next = np.zeros(time.shape, bool)
        for a in range(time.shape[0]):
            t = time[a, valid[a]]
            if t.size == 0:
                continue
            grid = np.arange(int(np.floor(t[-1] / dt + 1e-9)) + 1) * dt  # the reference's 0:dt:t(end)
            lo = np.searchsorted(grid, t, side="left")  # index of the first sampling time >= t
            m = t.size
            n_s[a, :m - 1] = lo[1:] - lo[:-1]
            first[a, :m - 1] = np.where(lo[:-1] < grid.size, grid[np.minimum(lo[:-1], grid.size - 1)], t[:-1]) \
                - t[:-1]
            has_next[a, :m - 1] = True
        return n_s, first, has_next

    def run(self, params: dict, log: EventLog) -> dict[str, np.ndarray]:
        """Run every agent over its events. Returns ``da`` [agent, event] (the
        dopamine response at each event; NaN at padding), ``nc``, ``prc`` and
        ``src`` [agent, event, i, j] and the final ``R``, ``M`` and ``Mbar``."""
        if getattr(self, "_compiled", None) is None:
            self._compiled = jax.jit(jax.vmap(self._agent, in_axes=(None,) + (0,) * 8))
        time = np.asarray(log.time, np.float64)
        T = np.broadcast_to(np.asarray(params["T"], np.float64), time.shape)
        # times are differenced here, in double precision, so that long sessions lose nothing in float32
        gap = np.concatenate([np.zeros((time.shape[0], 1)), np.diff(time, axis=1)], axis=1)
        n_s, first, has_next = self._sampling(time, np.asarray(log.valid, bool), float(params["sampling_period"]))
        p = {k: jnp.asarray(v, jnp.float32) for k, v in params.items() if k != "T"}
        f32 = lambda x: jnp.asarray(x, jnp.float32)  # noqa: E731
        out = self._compiled(p, jnp.asarray(log.kind, jnp.int32), f32(T), f32(gap), f32(log.magnitude),
                             jnp.asarray(log.valid), f32(n_s), f32(first), jnp.asarray(has_next))
        return {k: np.asarray(v) for k, v in out.items()}

    def _agent(self, p, kind, T, gap, mag, valid, n_s, first, has_next):
        def body(s, ev):
            kd, tc, g, m, ok, ns, fo, hn = ev
            s1, out = self._event(p, s, kd, tc, g, m)
            s1 = self._baseline(p, s1, tc, ns, fo, hn)
            s = jax.tree.map(lambda new, old: jnp.where(ok, new, old), s1, s)
            return s, dict(out, da=jnp.where(ok, out["da"], jnp.nan))

        s, outs = jax.lax.scan(body, self.init(p), (kind, T, gap, mag, valid, n_s, first, has_next))
        return dict(outs, R=s["R"], M=s["M"], Mbar=s["Mbar"])
