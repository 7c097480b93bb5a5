"""Many-chain adaptive HMC: ChEES-HMC (Hoffman, Radul & Sountsov 2021) on a flat potential.

Every chain takes the same number of leapfrog steps in an iteration, so a batch of
chains is one vectorised computation with no chain waiting for another's tree (the
cost of vectorised NUTS). Per iteration ``t``: each chain draws a momentum
``p ~ N(0, M)`` (``M^{-1}`` diagonal), runs ``L_t = ceil(u_t T / eps)`` leapfrog steps
with ``u_t`` from a Halton sequence (trajectory-length jitter, shared by the chains),
and accepts by Metropolis. Warm-up adapts

* the step size ``eps`` by Nesterov dual averaging (Stan's constants) of the harmonic
  mean of the chains' acceptance probabilities towards ``target_accept`` (the
  harmonic mean is dragged down by any chain that gets stuck, so no chain is left
  behind);
* the trajectory length ``T`` by Adam on ``log T`` following the gradient of the ChEES
  criterion ``E[(|q' - E q'|^2 - |q - E q|^2)^2] / 4`` in the metric's whitened
  coordinates, estimated across chains (acceptance-weighted);
* the diagonal inverse metric from the ensemble's variance over the later warm-up
  windows (Stan's regularisation), starting from the caller's initial scale.

After warm-up ``eps`` and ``T`` are fixed at their averaged values, and sampling
runs in blocks until the bulk ESS of every monitored quantity reaches the target.
Chains are split over the available JAX devices (sharded along the chain axis); on the CPU,
over no more devices than the cores the process may run on (more threads than cores only
shrink each device's batch: 32 chains on 4 CPU devices pinned to one core took 101 s on
bandit2arm against 57 s on one device).

Convergence for many short chains: chains come in ``superchains`` that share a
starting point; nested R-hat (Margossian, Hoffman, Sountsov, Riou-Durand, Vehtari &
Gelman 2024) compares superchain means with the spread inside superchains, and is
meaningful even when each chain is short.

References: Hoffman, M. D., Radul, A. & Sountsov, P. (2021). An adaptive MCMC scheme
for setting trajectory lengths in Hamiltonian Monte Carlo. AISTATS 130:3907-3915.
Margossian, C. C. et al. (2024). Nested R-hat: assessing the convergence of Markov
chain Monte Carlo when running many short chains. Bayesian Analysis.
Hoffman, M. D. & Gelman, A. (2014) (dual averaging), Stan Reference Manual (metric
regularisation).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .._seed import jax_key

__all__ = ["ChEESSettings", "ChEESResult", "chees_hmc", "nested_rhat", "enable_compilation_cache", "halton"]

DIVERGENCE = 1000.0  # energy error counted as a divergence (Stan's and NumPyro's threshold)


@dataclass(frozen=True)
class ChEESSettings:
    """Settings of :func:`chees_hmc` (validated on construction)."""

    chains: int = 32
    superchain_size: int = 4
    warmup: int = 200
    target_ess: float = 12_000.0
    block: int = 50
    max_draws: int = 4_000
    target_accept: float = 0.8
    max_leapfrog: int = 256
    init_spread: float = 1.0

    def __post_init__(self):
        from .._validate import check_count, check_range

        for name, low in (("chains", 1), ("superchain_size", 1), ("warmup", 20), ("block", 10), ("max_draws", 10),
                          ("max_leapfrog", 1)):
            check_count(name, getattr(self, name), low)
        if self.chains % self.superchain_size:
            raise ValueError(f"chains ({self.chains}) must be a multiple of superchain_size ({self.superchain_size}) for "
                             "the ChEES sampler; choose a multiple, or the NUTS sampler for a few chains")
        if not np.isfinite(self.target_ess) or self.target_ess < 100:
            raise ValueError(f"target_ess must be a number >= 100, got {self.target_ess!r}")
        check_range("target_accept", self.target_accept, 0.0, 1.0, low_open=True, high_open=True)
        check_range("init_spread", self.init_spread, 0.0, 10.0)


@dataclass
class ChEESResult:
    """Draws ``[chain, draw, dim]`` of the flat parameter vector and per-iteration statistics."""

    draws: np.ndarray
    diverging: np.ndarray
    n_steps: np.ndarray
    accept: np.ndarray
    potential: np.ndarray
    step_size: float
    trajectory_length: float
    inverse_metric: np.ndarray
    devices: int
    times: dict = field(default_factory=dict)
    ess_history: list = field(default_factory=list)


def enable_compilation_cache(path: str | os.PathLike | None = None) -> str:
    """Turn on JAX's persistent compilation cache (unless the caller already chose a directory):
    ``$MESOLIMBIC_JAX_CACHE`` or ``~/.cache/mesolimbic/jax``. A second process fitting the same
    model to data of the same shapes then loads the compiled programs instead of compiling."""
    current = jax.config.jax_compilation_cache_dir
    if current and path is None:
        return current
    path = str(path or os.environ.get("MESOLIMBIC_JAX_CACHE") or Path.home() / ".cache" / "mesolimbic" / "jax")
    Path(path).mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


def halton(i, base: int = 2):
    """The ``i``-th element (``i >= 1``) of the van der Corput sequence in ``base``, in (0, 1)."""
    i = jnp.asarray(i, jnp.int32)

    def body(k, s):
        n, f, r = s
        r = r + f * (n % base)
        return n // base, f / base, r

    _, _, r = jax.lax.fori_loop(0, 31, body, (i, jnp.float32(1.0 / base), jnp.float32(0.0)))
    return r


def nested_rhat(x, superchain_size: int) -> float:
    """Nested R-hat of draws ``x`` ``[chain, draw]`` with consecutive groups of ``superchain_size``
    chains forming superchains: ``sqrt(1 + B / W)`` with ``B`` the variance of superchain means
    and ``W`` the mean within-superchain variance (between its chains' means plus within its
    chains), Margossian et al. (2024), eq. (3)-(5)."""
    x = np.asarray(x, float)
    C, n = x.shape
    M = superchain_size
    K = C // M
    if K < 2:
        return float("nan")
    x = x[: K * M].reshape(K, M, n)
    chain_mean = x.mean(2)  # [K, M]
    super_mean = chain_mean.mean(1)  # [K]
    B = super_mean.var(ddof=1)
    b_within = chain_mean.var(1, ddof=1) if M > 1 else np.zeros(K)
    w_within = x.var(2, ddof=1).mean(1) if n > 1 else np.zeros(K)
    W = np.mean(b_within + w_within)
    return float(np.sqrt(1.0 + B / W)) if W > 0 else float("inf")


def _no_aux(potential, q, aux):
    return potential(q)


def _dual_averaging_update(state, stat, target, mu, t0=10.0, gamma=0.05, kappa=0.75):
    """Nesterov dual averaging in log step size (Hoffman & Gelman 2014, Stan's constants)."""
    t, h_bar, log_eps_bar = state
    t = t + 1.0
    h_bar = (1.0 - 1.0 / (t + t0)) * h_bar + (target - stat) / (t + t0)
    log_eps = mu - jnp.sqrt(t) / gamma * h_bar
    eta = t ** (-kappa)
    log_eps_bar = eta * log_eps + (1.0 - eta) * log_eps_bar
    return (t, h_bar, log_eps_bar), log_eps


@functools.lru_cache(maxsize=16)
def _build(potential, dim: int, settings: ChEESSettings, mesh):
    """Jitted warm-up window and sampling block for a flat ``potential(q, aux)`` (negative log
    density; ``aux``: the data, an argument so that data of the same shapes reuse the programs)."""
    vg = jax.vmap(jax.value_and_grad(potential), in_axes=(0, None))
    C = settings.chains
    shard = (lambda a: a) if mesh is None else (
        lambda a: jax.lax.with_sharding_constraint(
            a, jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("chain", *([None] * (a.ndim - 1))))))

    def transition(key, q, U, g, eps, n_leap, imm, aux):
        kp, ku = jax.random.split(key)
        p0 = jax.random.normal(kp, q.shape, q.dtype) / jnp.sqrt(imm)

        def leap(_, s):
            q_, p_, U_, g_ = s
            p_ = p_ - 0.5 * eps * g_
            q_ = q_ + eps * imm * p_
            U_, g_ = vg(q_, aux)
            p_ = p_ - 0.5 * eps * g_
            return shard(q_), p_, U_, g_

        q1, p1, U1, g1 = jax.lax.fori_loop(0, n_leap, leap, (q, p0, U, g))
        H0 = U + 0.5 * jnp.sum(imm * p0 ** 2, -1)
        H1 = U1 + 0.5 * jnp.sum(imm * p1 ** 2, -1)
        dH = jnp.where(jnp.isfinite(H1), H1 - H0, jnp.inf)
        acc = jnp.exp(jnp.minimum(0.0, -dH))
        take = jax.random.uniform(ku, (C,)) < acc
        qn = jnp.where(take[:, None], q1, q)
        return (shard(qn), jnp.where(take, U1, U), jnp.where(take[:, None], g1, g), acc, dH > DIVERGENCE,
                q1, p1)

    def n_steps_for(i, eps, T):
        u = halton(i + 1)
        return jnp.clip(jnp.ceil(u * T / eps), 1, settings.max_leapfrog).astype(jnp.int32), u

    @jax.jit
    def warm_window(key, q, U, g, imm, da, mu_da, log_eps, adam, log_T, log_T_bar, it0, collect, aux):
        n = WINDOW

        def one(carry, i):
            q, U, g, da, log_eps, adam, log_T, log_T_bar, s1, s2 = carry
            it = it0 + i
            eps = jnp.exp(log_eps)
            T = jnp.exp(log_T)
            L, u = n_steps_for(it, eps, T)
            qn, Un, gn, acc, div, q1, p1 = transition(jax.random.fold_in(key, i), q, U, g, eps, L, imm, aux)
            # step size: harmonic mean of the acceptance probabilities
            hm = 1.0 / jnp.mean(1.0 / jnp.maximum(acc, 1e-10))
            da, log_eps = _dual_averaging_update(da, hm, settings.target_accept, mu_da)
            # trajectory length: ChEES gradient in whitened coordinates, acceptance-weighted
            w = acc / (jnp.sum(acc) + 1e-20)
            sd = jnp.sqrt(imm)
            ok = jnp.all(jnp.isfinite(q1), -1) & jnp.all(jnp.isfinite(p1), -1)
            w = jnp.where(ok, w, 0.0)
            q1s = jnp.where(ok[:, None], q1, q) / sd
            m1 = jnp.sum(w[:, None] * q1s, 0)
            m0 = jnp.mean(q / sd, 0)
            d1 = jnp.sum((q1s - m1) ** 2, -1)
            d0 = jnp.sum((q / sd - m0) ** 2, -1)
            v1 = jnp.sum((q1s - m1) * jnp.where(ok[:, None], p1, 0.0) * sd, -1)  # (q' - m) . M^{-1} p' whitened
            grad = jnp.sum(w * (d1 - d0) * v1) * u * T
            m_a, v_a, t_a = adam
            t_a = t_a + 1.0
            gnorm = -grad  # minimise -ChEES
            m_a = 0.0 * m_a + (1.0 - 0.0) * gnorm
            v_a = 0.95 * v_a + 0.05 * gnorm ** 2
            step = 0.025 * (m_a / (1.0 - 0.0 ** t_a)) / (jnp.sqrt(v_a / (1.0 - 0.95 ** t_a)) + 1e-8)
            step = jnp.where(jnp.isfinite(step), jnp.clip(step, -0.35, 0.35), 0.0)
            log_T = jnp.clip(log_T - step, jnp.log(eps), jnp.log(eps * settings.max_leapfrog))
            log_T_bar = 0.9 * log_T_bar + 0.1 * log_T
            s1 = s1 + collect * jnp.sum(qn, 0)
            s2 = s2 + collect * jnp.sum(qn ** 2, 0)
            return (qn, Un, gn, da, log_eps, (m_a, v_a, t_a), log_T, log_T_bar, s1, s2), (acc, div, L)

        z = jnp.zeros(dim, q.dtype)
        carry = (q, U, g, da, log_eps, adam, log_T, log_T_bar, z, z)
        carry, (acc, div, L) = jax.lax.scan(one, carry, jnp.arange(n))
        return carry, acc, div, L

    @jax.jit
    def sample_block(key, q, U, g, imm, eps, T, it0, aux):
        def one(carry, i):
            q, U, g = carry
            L, _ = n_steps_for(it0 + i, eps, T)
            qn, Un, gn, acc, div, _, _ = transition(jax.random.fold_in(key, i), q, U, g, eps, L, imm, aux)
            return (qn, Un, gn), (qn, Un, acc, div, L)

        (q, U, g), out = jax.lax.scan(one, (q, U, g), jnp.arange(settings.block))
        return q, U, g, out

    WINDOW = settings.warmup // 4
    return jax.jit(vg), warm_window, sample_block, WINDOW


def chees_hmc(potential, init, scale, settings: ChEESSettings, seed: int = 0, monitor=None, aux=None,
              progress=None) -> ChEESResult:
    """Sample ``exp(-potential(q, aux))`` for a flat ``q`` ``[dim]`` with ChEES-HMC (``aux``: data
    passed through to the potential; with ``aux=None`` the potential may take ``q`` alone).

    ``init`` ``[dim]``: centre of the starting points; ``scale`` ``[dim]``: initial metric scale
    (the inverse metric starts at ``scale**2``); superchain starting points are
    ``init + init_spread * scale * N(0, 1)``, shared by the chains of a superchain.
    ``monitor(draws [chain, draw, dim]) -> [chain, draw, k]``: the quantities whose bulk ESS must
    reach ``settings.target_ess`` (default: every coordinate); sampling stops there, or at
    ``settings.max_draws`` per chain, or when the stored draws would pass ~1 GB. Raises ``ValueError`` if the
    potential is not finite at a starting point."""
    import time

    import arviz as az

    if aux is None:
        one = potential
        potential = functools.partial(_no_aux, one)
    init = np.asarray(init, np.float32)
    scale = np.asarray(scale, np.float32)
    dim = init.size
    if init.shape != (dim,) or scale.shape != (dim,):
        raise ValueError(f"init and scale must be flat vectors of the same length, got {init.shape} and {scale.shape}")
    if not np.all(np.isfinite(init)):
        bad = np.flatnonzero(~np.isfinite(init))[:5].tolist()
        raise ValueError(f"the initial point is not finite (coordinates {bad})")
    if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
        raise ValueError("the initial metric scale must be finite and positive")
    C, M = settings.chains, settings.superchain_size
    devices = jax.local_devices()
    usable = len(devices)
    if devices[0].platform == "cpu":  # CPU "devices" are threads: no more of them than cores we may run on
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        usable = min(usable, cores)
    n_dev = max(d for d in range(1, min(usable, C) + 1) if C % d == 0)
    mesh = jax.sharding.Mesh(np.array(devices[:n_dev]), ("chain",)) if n_dev > 1 else None
    put = (lambda a: jnp.asarray(a)) if mesh is None else (
        lambda a: jax.device_put(a, jax.sharding.NamedSharding(
            mesh, jax.sharding.PartitionSpec("chain", *([None] * (np.ndim(a) - 1))))))
    vg, warm_window, sample_block, window = _build(potential, dim, settings, mesh)
    times = {}
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    K = C // M
    starts = init + settings.init_spread * scale * rng.standard_normal((K, dim)).astype(np.float32)
    starts[0] = init
    q = put(np.repeat(starts, M, axis=0))
    U, g = vg(q, aux)
    U_np = np.asarray(U)
    if not np.all(np.isfinite(U_np)):
        # a drawn start in a bad region: fall back to the centre for those superchains
        bad_super = np.unique(np.flatnonzero(~np.isfinite(U_np)) // M)
        starts[bad_super] = init
        q = put(np.repeat(starts, M, axis=0))
        U, g = vg(q, aux)
        if not np.all(np.isfinite(np.asarray(U))):
            raise ValueError("the log density is not finite at the initial point; check the data and the model's "
                             "parameter ranges, or pass a different init")
    imm = jnp.asarray(scale ** 2)
    key = jax_key(seed)
    log_eps = jnp.float32(np.log(0.25))
    da = (jnp.float32(0.0), jnp.float32(0.0), jnp.float32(0.0))
    adam = (jnp.float32(0.0), jnp.float32(0.0), jnp.float32(0.0))
    log_T = log_T_bar = jnp.float32(np.log(1.0))
    it = 0
    accs, divs, Ls = [], [], []
    for w in range(4):
        collect = jnp.float32(1.0 if w >= 1 else 0.0)
        carry, acc, div, L = warm_window(jax.random.fold_in(key, 10_000 + w), q, U, g, imm, da,
                                         jnp.log(10.0) + log_eps, log_eps, adam, log_T, log_T_bar, it, collect,
                                         aux)
        q, U, g, da, log_eps, adam, log_T, log_T_bar, s1, s2 = carry
        it += window
        accs.append(np.asarray(acc))
        divs.append(np.asarray(div))
        Ls.append(np.asarray(L))
        if w in (1, 2):  # metric from the ensemble over this window (Stan's regularisation)
            n = window * C
            mean = s1 / n
            var = jnp.maximum(s2 / n - mean ** 2, 0.0) * n / (n - 1)
            imm = (n / (n + 5.0)) * var + 1e-3 * (5.0 / (n + 5.0))
            U, g = vg(q, aux)
        # each window ends at its averaged step size; the next restarts dual averaging from there
        log_eps = da[2]
        da = (jnp.float32(0.0), jnp.float32(0.0), jnp.float32(0.0))
        if w == 0:
            times["first_window_s"] = time.perf_counter() - t0
        if progress is not None:
            el = time.perf_counter() - t0
            progress({"phase": "warmup", "done": w + 1, "total": 4, "divergences": np.concatenate(divs).sum(0), "min_ess": None,
                      "target_ess": settings.target_ess, "elapsed_s": el, "eta_s": el / (w + 1) * (3 - w)})
    eps = float(jnp.exp(log_eps))
    T = float(jnp.exp(log_T_bar))
    times["warmup_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    draws, pots, acc_s, div_s, L_s = [], [], [], [], []
    history = []
    # at most max_draws per chain, and no more than ~1 GB of stored draws
    max_draws = min(settings.max_draws, max(2 * settings.block, int(2.5e8 // (C * dim))))
    max_blocks = -(-max_draws // settings.block)
    for b in range(max_blocks):
        q, U, g, (qs, Us, acc, div, L) = sample_block(jax.random.fold_in(key, 20_000 + b), q, U, g, imm,
                                                      jnp.float32(eps), jnp.float32(T), it, aux)
        it += settings.block
        draws.append(np.swapaxes(np.asarray(qs), 0, 1))
        pots.append(np.asarray(Us).T)
        acc_s.append(np.asarray(acc).T)
        div_s.append(np.asarray(div).T)
        L_s.append(np.asarray(L))
        x = np.concatenate(draws, 1)
        mon = monitor(x) if monitor is not None else x
        if x.shape[1] >= 2 * settings.block or b == max_blocks - 1:
            ess = np.asarray([az.ess(mon[..., k], method="bulk") for k in range(mon.shape[-1])], float)
            history.append((x.shape[1], float(np.nanmin(ess))))
            if progress is not None:
                n_now, e_now = x.shape[1], float(np.nanmin(ess))
                need = n_now * (settings.target_ess / e_now - 1) if e_now > 0 else np.inf  # ESS ~ linear in draws
                left = min(max(need, 0.0), (max_blocks - b - 1) * settings.block)
                el = time.perf_counter() - t1
                progress({"phase": "sampling", "done": n_now, "total": max_blocks * settings.block,
                          "divergences": np.concatenate(div_s, 1).sum(1), "min_ess": e_now,
                          "target_ess": settings.target_ess, "elapsed_s": el, "eta_s": el / n_now * left})
            if np.nanmin(ess) >= settings.target_ess:
                break
    times["sampling_s"] = time.perf_counter() - t1
    Ls_all = np.concatenate(L_s)
    return ChEESResult(draws=np.concatenate(draws, 1), diverging=np.concatenate(div_s, 1),
                       n_steps=np.broadcast_to(Ls_all, (C, Ls_all.size)).copy(), accept=np.concatenate(acc_s, 1),
                       potential=np.concatenate(pots, 1), step_size=eps, trajectory_length=T,
                       inverse_metric=np.asarray(imm), devices=n_dev, times=times, ess_history=history)
