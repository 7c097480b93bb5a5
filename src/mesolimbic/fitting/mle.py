"""Per-subject maximum likelihood (or MAP) for every subject at once.

Parameters are optimised on an unconstrained scale, ``theta = low + (high - low)
sigmoid(z)``, with the learner's declared ranges. Every subject and every random
start is its own optimisation problem (:func:`batched_lbfgs`): each runs its own
L-BFGS with its own line search and convergence test, and all of them are
evaluated together in one batched call per step (gradients from JAX through the
learner's own step). So a subject whose likelihood is not finite, or that does
not converge, is reported as such (``MLEFit.status``) and cannot move another
subject's estimate: the estimates of the others are those of fitting them alone.
(An earlier version ran one L-BFGS on the summed objective; one subject with a
NaN log-likelihood then stopped it for everyone.) The best of ``n_starts`` starts
with a finite objective is kept per subject; a subject with none gets NaN
estimates and a ``failed`` status. Standard errors come from
the inverse Hessian of each subject's negative log-likelihood on the natural
scale (NaN when the estimate sits on a bound or the Hessian is not positive
definite); the per-subject Hessian blocks are P Hessian-vector products of the
summed objective, so the cost does not grow with the square of the number of
subjects. ``prior_sd`` turns MLE into MAP with a N(0, prior_sd^2) prior on z.
AIC = 2k - 2 LL, BIC = k ln(n) - 2 LL, with n the subject's number of trials.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .._seed import check_seed
from .._validate import check_count, check_range
from .data import ChoiceData
from .likelihood import data_arrays, natural, subject_loglik
from .models import FitModel, get_model

__all__ = ["MLEFit", "fit_mle", "hessian_blocks", "batched_lbfgs"]


@dataclass
class MLEFit:
    model: FitModel
    data: ChoiceData
    params: dict  # name -> [subject]
    se: dict
    loglik: np.ndarray
    converged: bool  # every subject's optimisation converged
    method: str
    status: list | None = None  # per subject: "converged", or why not (see batched_lbfgs)

    @property
    def not_converged(self) -> dict:
        """Subject ID -> status, for the subjects whose fit did not converge."""
        return {s: st for s, st in zip(self.data.subjects, self.status or []) if st != CONVERGED}

    @property
    def n_params(self) -> int:
        return len(self.params)

    @property
    def aic(self) -> np.ndarray:
        return 2 * self.n_params - 2 * self.loglik

    @property
    def bic(self) -> np.ndarray:
        return self.n_params * np.log(self.data.n_trials_subject) - 2 * self.loglik

    def table(self, names: str = "mesolimbic") -> pd.DataFrame:
        """One row per subject, the same columns for every method
        (:func:`~mesolimbic.fitting.parameter_table`): estimates, their standard errors as
        ``<name>_sd``, log-likelihood, AIC, BIC, trials, status."""
        from .tables import parameter_table

        return parameter_table(self, names=names)

    def regressors(self, onsets=None) -> pd.DataFrame:
        from .regressors import regressors

        return regressors(self.model, self.params, self.data)


def hessian_blocks(f, x):
    """Per-row Hessian blocks ``[N, P, P]`` of ``f(x) = sum_n f_n(x_n)`` at ``x`` ``[N, P]``
    (P Hessian-vector products of the sum)."""
    g = jax.grad(f)
    cols = [jax.jvp(g, (x,), (jnp.zeros_like(x).at[:, j].set(1.0),))[1] for j in range(x.shape[1])]
    return jnp.stack(cols, axis=-1)


def _objective(model, data, inputs, shape, with_prior: bool):
    """Jitted ``(z, m, v) -> (per, grad)``: the per-start, per-subject negative log-posterior
    ``[R, N]`` at ``z`` ``[R, N, P]`` and its gradient, each subject's gradient from its own
    term only (the prior mean ``m`` and variance ``v`` are arguments, so an EM loop that
    changes the prior does not recompile)."""
    names = model.param_names
    bounds = jnp.asarray(model.bounds(), jnp.float32)
    R, N, P = shape

    def per(z, m, v):
        def one(zs):
            theta = natural(zs, bounds)
            return -subject_loglik(model, {k: theta[:, j] for j, k in enumerate(names)}, data, inputs)

        out = jax.vmap(one)(z)
        if with_prior:
            out = out + 0.5 * jnp.sum((z - m) ** 2 / v, -1)
        return out

    def total(z, m, v):
        # the terms are independent, so d(sum)/dz[r, n] = d(term[r, n])/dz[r, n]: one reverse
        # pass gives every row its own gradient (the sum itself is not used, so a NaN term
        # reaches nothing but its own row)
        terms = per(z, m, v)
        return terms.sum(), terms

    vg = jax.jit(jax.value_and_grad(total, has_aux=True))
    return lambda z, m, v: (lambda r: (r[0][1], r[1]))(vg(z, m, v))


#: statuses of one subject's (or start's) optimisation
CONVERGED, NONFINITE_START, NONFINITE, MAXITER, STALLED = ("converged", "non-finite objective at the start",
                                                           "non-finite objective", "iteration limit reached",
                                                           "line search stalled")


def batched_lbfgs(fg, x0: np.ndarray, *, maxiter: int = 2000, history: int = 10, gtol: float = 1e-5,
                  ftol: float = 1e-6, flat_gtol: float = 1e-3, max_trials: int = 40):
    """Minimise ``B`` independent functions at once: row ``b`` of ``x0`` ``[B, P]`` is the start of
    problem ``b``; ``fg(X) -> (f [B], g [B, P])`` evaluates every row at its own point.

    Each row runs its own L-BFGS: the two-loop recursion over its last ``history`` pairs,
    and the bisection line search for the weak Wolfe conditions (Lewis & Overton 2013:
    Armijo with c1 = 1e-4 and a strict decrease; curvature with c2 = 0.9), with its own
    convergence test. A row's path depends only on its own values and gradients, so a row
    that diverges, stalls or returns NaN cannot move another's result; every step costs
    one batched evaluation of all rows. A trial point with a non-finite value counts as too
    long a step. When the line search finds no decrease along the quasi-Newton direction,
    the row's history is dropped and it tries steepest descent.

    Rows stop with a status: ``converged`` when the largest gradient entry is <= ``gtol``,
    or the decrease the quasi-Newton model still predicts (half the Newton decrement,
    ``g' H g / 2``) is <= ``ftol * max(|f|, 1)`` — below what a float32 objective can
    resolve, about 8 units in its last place — or no decrease is found along steepest
    descent while the gradient is below ``flat_gtol``;
    ``non-finite objective at the start``, ``line search stalled`` (no decrease along
    steepest descent with a larger gradient) or ``iteration limit reached``.

    Returns ``x`` ``[B, P]``, ``f`` ``[B]`` and ``status`` (array of strings).

    Reference: Lewis, A. S. & Overton, M. L. (2013). Nonsmooth optimization via quasi-Newton
    methods. Math Program 141:135-163 (the weak Wolfe bisection); Nocedal, J. & Wright, S. J.
    (2006). Numerical Optimization, 2nd ed., Algorithm 7.4 (the two-loop recursion).
    """
    x = np.array(x0, dtype=float)
    B, P = x.shape
    f, g = fg(x)
    f, g = np.asarray(f, float).copy(), np.asarray(g, float).copy()
    status = np.full(B, "", dtype=object)
    status[~(np.isfinite(f) & np.isfinite(g).all(1))] = NONFINITE_START
    S, Y = np.zeros((B, history, P)), np.zeros((B, history, P))
    rho = np.zeros((B, history))
    n_hist = np.zeros(B, int)
    rows = np.arange(B)
    for _ in range(maxiter):
        gmax = np.abs(g).max(1)
        status[(status == "") & (gmax <= gtol)] = CONVERGED
        active = status == ""
        if not active.any():
            break
        d = -_two_loop(g, S, Y, rho, n_hist)
        slope = (d * g).sum(1)
        flat = active & (n_hist > 0) & (slope < 0) & (-0.5 * slope <= ftol * np.maximum(np.abs(f), 1.0))
        status[flat] = CONVERGED
        active &= ~flat
        uphill = active & ~(slope < 0)
        if uphill.any():  # not a descent direction: steepest descent instead
            d[uphill], n_hist[uphill] = -g[uphill], 0
            slope[uphill] = -(g[uphill] ** 2).sum(1)
        steepest = n_hist == 0
        # the first step along steepest descent moves no coordinate by more than 1
        a = np.where(steepest, np.minimum(1.0, 1.0 / np.maximum(np.abs(d).max(1), 1e-12)), 1.0)
        lo, hi = np.zeros(B), np.full(B, np.inf)
        x_lo, f_lo, g_lo = x.copy(), f.copy(), g.copy()
        searching = active.copy()
        for _ in range(max_trials):
            trial = np.where(searching[:, None], x + a[:, None] * d, x)
            ft, gt = fg(trial)
            ft, gt = np.asarray(ft, float), np.asarray(gt, float)
            finite = np.isfinite(ft) & np.isfinite(gt).all(1)
            armijo = finite & (ft <= f + 1e-4 * a * slope) & (ft < f)
            curvature = (gt * d).sum(1) >= 0.9 * slope
            too_long = searching & ~armijo
            too_short = searching & armijo & ~curvature
            done = searching & armijo & curvature
            hi[too_long] = a[too_long]
            for m_ in (too_short, done):  # the best acceptable point so far
                x_lo[m_], f_lo[m_], g_lo[m_] = trial[m_], ft[m_], gt[m_]
            lo[too_short] = a[too_short]
            searching &= ~done
            if not searching.any():
                break
            a = np.where(np.isinf(hi), 2.0 * np.maximum(lo, a), 0.5 * (lo + hi))
        moved = active & (f_lo < f)
        # no decrease at all: drop the history and retry along steepest descent, or stop
        stuck = active & ~moved
        retry = stuck & ~steepest
        n_hist[retry] = 0
        final = stuck & steepest
        status[final & (gmax <= flat_gtol)] = CONVERGED
        status[final & (gmax > flat_gtol)] = STALLED
        s_, y_ = x_lo - x, g_lo - g
        sy = (s_ * y_).sum(1)
        keep = moved & (sy > 1e-10 * np.maximum((y_ * y_).sum(1), 1e-30))
        if keep.any():
            k = rows[keep]
            S[k] = np.roll(S[k], -1, axis=1)
            Y[k] = np.roll(Y[k], -1, axis=1)
            rho[k] = np.roll(rho[k], -1, axis=1)
            S[k, -1], Y[k, -1], rho[k, -1] = s_[k], y_[k], 1.0 / sy[k]
            n_hist[k] = np.minimum(n_hist[k] + 1, history)
        x[moved], f[moved], g[moved] = x_lo[moved], f_lo[moved], g_lo[moved]
    status[status == ""] = MAXITER
    return x, f, status


def _two_loop(g, S, Y, rho, n_hist):
    """``H g`` for every row, with each row's own L-BFGS inverse-Hessian approximation (its last
    ``n_hist`` pairs, newest last); ``g`` itself where a row has no pairs yet."""
    B, m, _ = S.shape
    q = g.copy()
    alpha = np.zeros((B, m))
    for j in range(m - 1, -1, -1):
        valid = j >= m - n_hist
        a = np.where(valid, rho[:, j] * (S[:, j] * q).sum(1), 0.0)
        q -= a[:, None] * Y[:, j]
        alpha[:, j] = a
    yy = (Y[:, -1] ** 2).sum(1)
    gamma = np.where(n_hist > 0, (S[:, -1] * Y[:, -1]).sum(1) / np.where(yy > 0, yy, 1.0), 1.0)
    r = gamma[:, None] * q
    for j in range(m):
        valid = j >= m - n_hist
        b = rho[:, j] * (Y[:, j] * r).sum(1)
        r += np.where(valid, alpha[:, j] - b, 0.0)[:, None] * S[:, j]
    return r


def _optimise(model, data, inputs, z0, prior_mean=None, prior_var=None, maxiter=2000, fns=None):
    """Minimise every start's and subject's negative log-posterior over ``z0`` ``[R, N, P]``, each
    on its own (:func:`batched_lbfgs`: one batched evaluation per step, a separate optimiser
    per row); returns the optima ``[R, N, P]``, the objective ``[R, N]``, the status ``[R, N]``
    and the compiled function (pass it back as ``fns`` to reuse it)."""
    with_prior = prior_mean is not None
    vg = fns if fns is not None else _objective(model, data, inputs, z0.shape, with_prior)
    m = jnp.asarray(0.0 if prior_mean is None else prior_mean, jnp.float32)
    v = jnp.asarray(1.0 if prior_var is None else prior_var, jnp.float32)
    shape = z0.shape

    def fg(x):
        val, g = vg(jnp.asarray(x.reshape(shape), jnp.float32), m, v)
        return np.asarray(val, float).ravel(), np.asarray(g, float).reshape(-1, shape[-1])

    x, f, status = batched_lbfgs(fg, np.asarray(z0, float).reshape(-1, shape[-1]), maxiter=maxiter)
    return x.reshape(shape), f.reshape(shape[:-1]), status.reshape(shape[:-1]), vg


def random_starts(subjects, n_starts: int, n_params: int, seed: int) -> np.ndarray:
    """Starting points ``[n_starts, subject, P]`` on the unconstrained scale: the first at the
    middle of every range (z = 0), the others N(0, 1) draws from a stream of ``seed`` and the
    subject's ID — so a subject starts from the same points whichever other subjects are fitted
    with it."""
    z0 = np.zeros((n_starts, len(subjects), n_params))
    if n_starts > 1:
        for i, sid in enumerate(subjects):
            key = sid.item() if isinstance(sid, np.generic) else sid
            h = int.from_bytes(hashlib.sha256(str(key).encode()).digest()[:8], "little")
            z0[1:, i] = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(h,))).normal(
                0.0, 1.0, (n_starts - 1, n_params))
    return z0


def fit_mle(data: ChoiceData, model: FitModel | str, *, n_starts: int = 5, seed: int = 0,
            prior_sd: float | None = None, maxiter: int = 2000) -> MLEFit:
    """Fit ``model`` to every subject of ``data`` by maximum likelihood (MAP with ``prior_sd``)."""
    model = get_model(model) if isinstance(model, str) else model
    n_starts = check_count("n_starts", n_starts, 1)
    if prior_sd is not None:
        check_range("prior_sd", prior_sd, 0.0, np.inf, low_open=True)
    names = model.param_names
    bounds = jnp.asarray(model.bounds(), jnp.float32)
    N, P = data.n_subjects, len(names)
    inputs = data_arrays(model, data)
    z0 = random_starts(data.subjects, n_starts, P, check_seed("seed", seed))
    prior = (None, None) if prior_sd is None else (0.0, prior_sd ** 2)
    z, per, status, _ = _optimise(model, data, inputs, z0, *prior, maxiter=maxiter)
    # the best start per subject among those with a finite objective; a subject with none failed
    finite = np.isfinite(per)
    best = np.argmin(np.where(finite, per, np.inf), 0)
    failed = ~finite.any(0)
    zb = z[best, np.arange(N)]
    subject_status = np.array([status[best[i], i] for i in range(N)], dtype=object)
    subject_status[failed] = "failed: non-finite log-likelihood from every start (check this subject's data)"
    theta = np.asarray(natural(jnp.asarray(zb, jnp.float32), bounds), float)
    theta[failed] = np.nan
    params = {k: theta[:, j] for j, k in enumerate(names)}
    ll = np.asarray(subject_loglik(model, params, data, inputs), float)
    # standard errors: inverse of each subject's Hessian block on the natural scale
    nll = lambda th: -subject_loglik(model, {k: th[:, j] for j, k in enumerate(names)}, data, inputs).sum()  # noqa: E731
    H = np.asarray(jax.jit(lambda th: hessian_blocks(nll, th))(jnp.asarray(theta, jnp.float32)), float)
    lo, hi = model.bounds().T
    interior = (theta - lo > 1e-3 * (hi - lo)) & (hi - theta > 1e-3 * (hi - lo))
    se = np.full((N, P), np.nan)
    for s in range(N):
        try:
            d = np.diag(np.linalg.inv(H[s]))
            se[s] = np.where(interior[s] & (d > 0), np.sqrt(np.abs(d)), np.nan)
        except np.linalg.LinAlgError:
            continue  # a singular Hessian: this subject's standard errors stay NaN
    status = [str(x) for x in subject_status]
    return MLEFit(model, data, params, {k: se[:, j] for j, k in enumerate(names)}, ll,
                  all(x == CONVERGED for x in status), "map" if prior_sd is not None else "mle", status)
