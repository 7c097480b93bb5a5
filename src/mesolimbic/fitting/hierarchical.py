"""Hierarchical Bayesian fits with NumPyro's NUTS, returned as ArviZ InferenceData.

The hBayesDM parameterisation (``parameterisation="hbayesdm"``): for every free
parameter j,

.. math::
   \\mu^{pr}_j \\sim N(0, 1),\\quad \\sigma_j \\sim N^+(0, 0.2),\\quad x^{pr}_{ij} \\sim N(0, 1),\\quad
   \\theta_{ij} = l_j + (h_j - l_j)\\,\\Phi_{approx}(\\mu^{pr}_j + \\sigma_j x^{pr}_{ij})

(non-centred), with hBayesDM's ranges ``[l_j, h_j]`` where the model mirrors an
hBayesDM one (``FitModel.hbayes``), and the group means reported as
``mu_<name> = l + (h - l) Phi_approx(mu_pr)``, hBayesDM's names. ``"independent"``
drops the group level (``theta = l + (h - l) Phi_approx(x_pr)``, a fixed prior
per subject) — useful as a check, since each subject's posterior is then a
low-dimensional integral. Chains run vectorised. The likelihood is the learner's
own step on the data (:mod:`mesolimbic.fitting.likelihood`).

Groups of the InferenceData, shaped so that ArviZ works on it with no extra arguments
(``az.loo``, ``az.compare``, ``az.plot_ppc``, ``az.summary``): ``posterior`` (the subject
parameters over ``subject``; the group means ``mu_<name>``; ``mu_pr``, ``sigma`` and
``x_pr`` over ``parameter`` whose labels are the same names), ``log_likelihood`` (one
variable, ``choice``: per subject by default — hBayesDM's unit for LOOIC — or per trial over
``obs`` with ``per_trial=True``), ``posterior_predictive`` (``choice`` over ``obs``:
one-step-ahead choices drawn from the model's choice probabilities given each subject's
observed history, for ``ppc_draws`` draws), ``observed_data`` (``choice`` over ``obs``, the
real trials only, 0-based), ``constant_data`` (``outcome`` over ``obs``) and
``sample_stats``. ``obs`` carries the ``subject``, ``sequence`` and ``trial`` (1-based) of
each trial as coordinates. One naming scheme throughout: the package's parameter names by
default (``alpha``, ``mu_alpha``), hBayesDM's with ``names="hbayesdm"`` (``A``, ``mu_A``).
R-hat, bulk/tail ESS and divergences are checked after every fit; a warning says what to
do when they are bad.

References: Ahn, W.-Y., Haines, N. & Zhang, L. (2017). Revealing neurocomputational
mechanisms of reinforcement learning and decision-making with the hBayesDM
package. Comput Psychiatry 1:24-57. Hoffman, M. D. & Gelman, A. (2014). The
No-U-Turn sampler. JMLR 15:1593-1623. Phan, D., Pradhan, N. & Jankowiak, M.
(2019). Composable effects for flexible and accelerated probabilistic
programming in NumPyro. arXiv:1912.11554.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .._memory import check_memory
from .._seed import check_seed, jax_key, numpy_rng, seed_attr
from .._validate import check_choice, check_count, check_range
from .data import ChoiceData
from .likelihood import data_arrays, per_subject, phi_approx, subject_loglik, trial_outputs
from .models import FitModel, get_model
from .tables import label_map

__all__ = ["fit_hierarchical", "numpyro_model", "diagnostics", "warm_start", "phi_approx_inverse"]

RHAT_MAX, NESTED_RHAT_MAX, ESS_MIN = 1.01, 1.01, 400


def _need():
    try:
        import arviz  # noqa: F401
        import numpyro  # noqa: F401
    except ImportError as e:  # pragma: no cover - both are core dependencies
        raise ImportError("hierarchical fitting needs numpyro and arviz: pip install numpyro 'arviz<1'") from e


def _params(model, data, x, mu_pr=None, sigma=None, hb=True):
    B = jnp.asarray(model.hbayes_bounds() if hb else model.bounds(), jnp.float32)
    lin = x if mu_pr is None else mu_pr + sigma * x
    theta = B[:, 0] + (B[:, 1] - B[:, 0]) * phi_approx(lin)
    return {k: theta[..., j] for j, k in enumerate(model.param_names)}


def numpyro_model(data: ChoiceData, model: FitModel | str, parameterisation: str = "hbayesdm"):
    """The NumPyro model that :func:`fit_hierarchical` samples: with
    ``"hbayesdm"``, ``mu_pr ~ N(0, 1)``, ``sigma ~ half-N(0, 0.2)``, ``x_pr ~ N(0, 1)``
    per subject and parameter, ``theta = low + (high - low) Phi_approx(mu_pr + sigma x_pr)``;
    with ``"independent"``, ``theta = low + (high - low) Phi_approx(x_pr)``; then the
    learner's log-likelihood of the choices as a factor. Called with no arguments it uses
    ``data``'s arrays; ``npmodel(inputs, mask)`` takes the per-trial inputs
    (:func:`~mesolimbic.fitting.likelihood.data_arrays`) and the mask as arguments instead, so a
    compiled potential can be reused for other data of the same shapes and subject layout."""
    _need()
    import dataclasses

    import numpyro
    import numpyro.distributions as dist

    model = get_model(model) if isinstance(model, str) else model
    check_choice("parameterisation", parameterisation, ("hbayesdm", "independent"))
    N, P = data.n_subjects, len(model.param_names)
    own_inputs = data_arrays(model, data)
    hier = parameterisation == "hbayesdm"

    def npmodel(inputs=None, mask=None):
        if hier:
            mu_pr = numpyro.sample("mu_pr", dist.Normal(0.0, 1.0).expand([P]).to_event(1))
            sigma = numpyro.sample("sigma", dist.HalfNormal(0.2).expand([P]).to_event(1))
        else:
            mu_pr = sigma = None
        x_pr = numpyro.sample("x_pr", dist.Normal(0.0, 1.0).expand([N, P]).to_event(2))
        params = _params(model, data, x_pr, mu_pr, sigma)
        d = data if mask is None else dataclasses.replace(data, mask=mask)
        numpyro.factor("loglik", subject_loglik(model, params, d, own_inputs if inputs is None else inputs).sum())

    return npmodel


def fit_hierarchical(data: ChoiceData, model: FitModel | str, *, parameterisation: str = "hbayesdm",
                     sampler: str = "chees", chains: int | None = None, warmup: int | None = None,
                     draws: int = 3000, target_accept: float | None = None, target_ess: float = 12_000.0,
                     max_draws: int = 4_000, superchain_size: int = 4, init: dict | str | None = None, seed: int = 0,
                     ppc_draws: int = 200, per_trial: bool = False, names: str = "mesolimbic",
                     progress=False, chain_method: str = "auto"):
    """Hierarchical Bayesian fit of ``model`` to ``data``; returns ``arviz.InferenceData`` (see the
    module docstring). Both samplers run on the same NumPyro model (:func:`numpyro_model`).

    ``sampler="chees"`` (default): many-chain ChEES-HMC (:mod:`mesolimbic.fitting.samplers`),
    ``chains`` (default 32) in superchains of ``superchain_size`` sharing a starting point,
    split over the JAX devices, warm-started from the empirical-Bayes Laplace fit
    (:func:`~mesolimbic.fitting.fit_approx`) whose scale is the initial diagonal metric;
    ``warmup`` (default 200) iterations, then sampling until the bulk ESS of every group mean
    and group SD (every ``x_pr`` with ``"independent"``) reaches ``target_ess`` or each chain has
    ``max_draws`` draws. ``target_accept`` (default 0.8) is the harmonic-mean acceptance the
    step size aims at. ``init``: a starting point ``{"mu_pr", "sigma", "x_pr"}`` on the
    natural scale instead of the warm start.

    ``sampler="nuts"``: NumPyro's NUTS with hBayesDM's defaults: ``chains`` 4, ``warmup`` 1,000
    and ``draws`` 3,000 each, ``target_accept`` 0.95, and chains started near an approximate
    posterior as hBayesDM's default ``inits="vb"`` does: at the empirical-Bayes warm start, each
    with its own jitter of the Laplace scale, which is also the initial diagonal metric (``init``
    a dict: that point instead; ``init="random"``: NumPyro's uniform(-2, 2) on the unconstrained
    scale, Stan's ``init="random"``). ``chain_method``: ``"vectorized"`` (all
    chains in one batched computation), ``"parallel"`` (one JAX device per chain),
    ``"grouped"`` (the chains split evenly over the devices, vectorised on each: on a 2-core
    machine 4 chains as 2 x 2, which costs ~30 % less wall time than 4 devices on 2 cores
    for the two-step models) or ``"auto"`` (parallel when JAX has a device per chain,
    grouped when it has several devices but fewer than chains and they divide evenly,
    else vectorised). JAX has one CPU device unless told otherwise before it is first
    imported: ``XLA_FLAGS=--xla_force_host_platform_device_count=2``, or
    ``numpyro.set_host_device_count(2)`` at the top of a script (the CLI does this).

    ``progress``: ``True`` shows NumPyro's progress bar (NUTS, but for the grouped layout); a callable receives a dict
    after each warm-up window and sampling block (``phase``, ``done``/``total``, per-chain
    ``divergences``, ``min_ess``, ``elapsed_s``, ``eta_s``; see
    :func:`~mesolimbic.fitting.samplers.chees_hmc`) — NUTS then runs its draws in chunks of 250.

    ``per_trial``: the log-likelihood per trial (over ``obs``, for trial-wise LOO) instead of
    per subject; it makes the file ~``chains x draws x trials x 4`` bytes larger.
    ``names``: ``"mesolimbic"`` (the package's parameter names) or ``"hbayesdm"`` (hBayesDM's,
    e.g. ``A`` and ``tau``, in every variable and coordinate of the posterior).
    """
    _need()
    import time

    import arviz as az

    t_start = time.perf_counter()
    model = get_model(model) if isinstance(model, str) else model
    check_choice("parameterisation", parameterisation, ("hbayesdm", "independent"))
    check_choice("sampler", sampler, ("chees", "nuts"))
    nuts = sampler == "nuts"
    chains = check_count("chains", (4 if nuts else 32) if chains is None else chains, 1)
    warmup = check_count("warmup", (1000 if nuts else 200) if warmup is None else warmup, 1 if nuts else 20)
    draws = check_count("draws", draws, 1)
    target_accept = (0.95 if nuts else 0.8) if target_accept is None else target_accept
    check_range("target_accept", target_accept, 0.0, 1.0, low_open=True, high_open=True)
    check_choice("chain_method", chain_method, ("auto", "vectorized", "parallel", "grouped"))
    seed = check_seed("seed", seed)
    check_choice("names", names, ("mesolimbic", "hbayesdm"))
    if isinstance(init, str) and (init != "random" or not nuts):
        choices = "None (the warm start), a dict {'mu_pr', 'sigma', 'x_pr'}" + (" or 'random'" if nuts else "")
        why = " ('random' is for sampler='nuts')" if init == "random" else ""
        raise ValueError(f"init must be {choices}; got {init!r}{why}")
    N, P = data.n_subjects, len(model.param_names)
    inputs = data_arrays(model, data)
    hier = parameterisation == "hbayesdm"
    _check_finite_start(model, data, inputs, hier)
    npmodel = numpyro_model(data, model, parameterisation)
    attrs = {"sampler": sampler, "chains": chains, "warmup": warmup, "target_accept": target_accept}
    if nuts:
        start = None if isinstance(init, str) else starting_point(data, model, hier, seed, init)  # str: 'random'
        s, stats = _run_nuts(npmodel, chains, warmup, draws, target_accept, seed, progress, chain_method, start)
        attrs["draws"] = draws
    else:
        from .samplers import ChEESSettings

        settings = ChEESSettings(chains=chains, superchain_size=superchain_size, warmup=warmup,
                                 target_ess=target_ess, max_draws=max_draws, target_accept=target_accept)
        s, stats, info = _run_chees(npmodel, model, data, inputs, hier, settings, seed, init,
                                    progress if callable(progress) else None)
        draws = s["x_pr"].shape[1]
        attrs.update(draws=draws, target_ess=target_ess, superchain_size=superchain_size, **info)
    flat = {k: v.reshape((chains * draws,) + v.shape[2:]) for k, v in s.items()}
    zeros = jnp.zeros((chains * draws, P))
    params = jax.jit(jax.vmap(lambda x, m, sg: _params(model, data, x, m if hier else None, sg)))(
        flat["x_pr"], flat.get("mu_pr", zeros), flat.get("sigma", zeros))
    # one pass over the draws: the log-likelihood per subject, or per trial when asked for (kept
    # only then: at 1,000 subjects x 200 trials x 16,000 draws the per-trial array is 12.8 GB)
    S, T = data.mask.shape
    batch = int(np.clip(4_000_000 // (S * T), 1, chains * draws))  # ~16 MB of log-likelihood per batch
    if per_trial:
        check_memory(2 * 4 * chains * draws * S * T, f"the per-trial log-likelihood of {chains * draws} draws x "
                     f"{S} sequences x {T} trials (per_trial=True; leave it off for per-subject sums)")
        trial_fn = jax.jit(lambda p: subject_loglik(model, p, data, inputs, per_trial=True))
        lt = jax.lax.map(trial_fn, params, batch_size=batch)  # [draws, S, T]
        ll = per_subject(lt.sum(-1), data)  # [draws, subject]
    else:
        subject_fn = jax.jit(lambda p: subject_loglik(model, p, data, inputs))
        ll = jax.lax.map(subject_fn, params, batch_size=batch)  # [draws, subject]
    var = label_map(model, names)  # the posterior's names for the parameters
    labels = [var[k] for k in model.param_names]
    posterior = {var[k]: np.asarray(v).reshape(chains, draws, N) for k, v in params.items()}
    coords = {"subject": list(map(str, data.subjects)), "parameter": labels}
    dims = {var[k]: ["subject"] for k in model.param_names}
    hnames = {k: model.hbayes[k][0] for k in model.param_names}
    if hier:
        posterior["mu_pr"], posterior["sigma"] = np.asarray(s["mu_pr"]), np.asarray(s["sigma"])
        dims.update(mu_pr=["parameter"], sigma=["parameter"])
        B = model.hbayes_bounds()
        for j, k in enumerate(model.param_names):
            posterior[f"mu_{var[k]}"] = B[j, 0] + (B[j, 1] - B[j, 0]) * np.asarray(phi_approx(s["mu_pr"][..., j]))
    posterior["x_pr"] = np.asarray(s["x_pr"])
    dims["x_pr"] = ["subject", "parameter"]
    # the real trials, flattened: the unit of observed_data and posterior_predictive (and of the
    # per-trial log-likelihood), with the subject, sequence and trial of each as coordinates
    seq, tri = np.nonzero(data.mask)
    n_obs = len(seq)
    obs_coords = {"subject": ("obs", np.asarray(coords["subject"], object)[np.asarray(data.subject)[seq]]),
                  "sequence": ("obs", seq), "trial": ("obs", tri + 1)}
    if per_trial:
        log_lik = {"choice": np.asarray(lt)[:, seq, tri].reshape(chains, draws, n_obs)}
        dims["log_lik_choice"] = ["obs"]
    else:
        log_lik = {"choice": np.asarray(ll).reshape(chains, draws, N)}
        dims["log_lik_choice"] = ["subject"]
    # posterior predictive: one-step-ahead choices given the observed history
    ppc_draws = min(check_count("ppc_draws", ppc_draws, 1), chains * draws)
    pick = np.linspace(0, chains * draws - 1, ppc_draws).astype(int)
    sub = jax.tree_util.tree_map(lambda v: v[pick], params)
    probs = jax.lax.map(jax.jit(lambda p: _choice_prob(model, p, data, inputs)), sub, batch_size=64)
    u = np.random.default_rng(seed).random(np.shape(probs)[:3])
    y_pred = (u < np.asarray(probs)).astype(np.int16)[:, seq, tri]  # [ppc draw, obs]
    attrs.update({"model": model.name, "task": data.task, "parameterisation": parameterisation, "seed": seed_attr(seed),
                  "names": names, "hbayesdm_names": str(hnames), "per_trial": int(bool(per_trial)),
                  "wall_time_s": time.perf_counter() - t_start,
                  "posterior_predictive": f"one-step-ahead choices given the observed history, {len(pick)} "
                                          f"draws of the posterior (every {max(1, (chains * draws) // len(pick))}th)",
                  "choice_coding": "0-based action index (the TSV files are 1-based)"})
    stage1 = data.choice[..., 0] if data.choice.ndim == 3 else data.choice
    idata = az.from_dict(
        posterior=posterior, sample_stats=stats,
        posterior_predictive={"choice": y_pred[None]},
        observed_data={"choice": np.asarray(stage1)[seq, tri].astype(np.int16)},
        constant_data={"outcome": np.asarray(data.outcome, float)[seq, tri]},
        coords={**coords, "obs": np.arange(n_obs)},
        dims={**dims, "choice": ["obs"], "outcome": ["obs"]},
        attrs=attrs)
    # ArviZ's from_dict takes one dims entry per name; the log-likelihood shares "choice" with
    # the observations but not (per subject) their dims, so it is added as its own group
    ll_dims = dims.pop("log_lik_choice")
    idata.add_groups(log_likelihood=az.dict_to_dataset(
        log_lik, coords={**coords, "obs": np.arange(n_obs)}, dims={"choice": ll_dims}, attrs=idata.posterior.attrs))
    for g in ("posterior_predictive", "observed_data", "constant_data") + (("log_likelihood",) if per_trial else ()):
        setattr(idata, g, getattr(idata, g).assign_coords(obs_coords))
    idata.posterior_predictive = idata.posterior_predictive.assign_coords(ppc_draw=("draw", pick))
    diagnostics(idata, warn=True)
    return idata


def _check_finite_start(model, data, inputs, hier: bool) -> None:
    """Refuse, naming them, subjects whose log-likelihood is not finite at the centre of the
    prior: one such subject would stop NUTS for all (every subject shares the sampler)."""
    N, P = data.n_subjects, len(model.param_names)
    centre = _params(model, data, jnp.zeros((N, P)), jnp.zeros(P) if hier else None, jnp.ones(P) if hier else None)
    ll = np.asarray(subject_loglik(model, centre, data, inputs), float)
    bad = [s.item() if isinstance(s, np.generic) else s for s, v in zip(data.subjects, ll) if not np.isfinite(v)]
    if bad:
        raise ValueError(f"{model.name}: subject(s) {bad[:10]}{' ...' if len(bad) > 10 else ''} have a non-finite "
                         f"log-likelihood at the centre of the parameter ranges, so the sampler cannot run; check "
                         f"their outcomes (e.g. huge values), or fit with --method mle to fit the others")


def _run_nuts(npmodel, chains, warmup, draws, target_accept, seed, progress, chain_method, start=None):
    """NumPyro's NUTS. ``start`` ``(q0, scale, unravel)`` (:func:`starting_point`): each chain
    starts at ``q0`` plus its own N(0, scale^2) jitter (dispersed starts, for R-hat), with
    ``scale^2`` as the initial diagonal inverse metric, so the first adaptation window (75
    iterations before the metric is first estimated) does not run at the identity metric;
    None: NumPyro's default, uniform(-2, 2) on the unconstrained scale."""
    import time

    from numpyro.infer import MCMC, NUTS

    n_dev = jax.local_device_count()
    if chain_method == "auto":
        chain_method = ("parallel" if chains > 1 and n_dev >= chains else
                        "grouped" if 1 < n_dev < chains and chains % n_dev == 0 else "vectorized")
    if chain_method == "grouped" and (n_dev < 2 or chains % n_dev):
        raise ValueError(f"chain_method='grouped' splits the chains evenly over the JAX devices: {chains} chains on "
                         f"{n_dev} device(s) cannot be")
    fields = ("diverging", "num_steps", "energy")
    kw: dict = {}
    init_params = None
    if start is not None:
        q0, scale, unravel = start
        jitter = numpy_rng(seed, 7).standard_normal((chains, q0.size))
        q = (q0 + scale * jitter).astype(np.float32)
        init_params = jax.vmap(unravel)(jnp.asarray(q)) if chains > 1 else unravel(jnp.asarray(q[0]))
        kw["inverse_mass_matrix"] = jnp.asarray(scale, jnp.float32) ** 2
    if chain_method == "grouped":
        return _run_nuts_grouped(NUTS(npmodel, target_accept_prob=target_accept, **kw), chains, warmup, draws, seed,
                                 progress, init_params)
    if not callable(progress):
        mcmc = MCMC(NUTS(npmodel, target_accept_prob=target_accept, **kw), num_warmup=warmup, num_samples=draws,
                    num_chains=chains, chain_method=chain_method, progress_bar=bool(progress))
        mcmc.run(jax_key(seed), extra_fields=fields, init_params=init_params)
        s = mcmc.get_samples(group_by_chain=True)
        extra = mcmc.get_extra_fields(group_by_chain=True)
    else:
        # in chunks, reporting after each: warm-up, then the draws from where the last chunk ended
        # (each chunk has its own random key, so the draws differ from an unchunked run's)
        chunk = max(1, min(draws, 250))
        mcmc = MCMC(NUTS(npmodel, target_accept_prob=target_accept, **kw), num_warmup=warmup, num_samples=chunk,
                    num_chains=chains, chain_method=chain_method, progress_bar=False)
        key = jax_key(seed)
        t0 = time.perf_counter()
        mcmc.warmup(jax.random.fold_in(key, 0), extra_fields=fields, collect_warmup=True, init_params=init_params)
        wdiv = np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"]).reshape(chains, -1).sum(1)
        el = time.perf_counter() - t0
        progress({"phase": "warmup", "done": warmup, "total": warmup, "divergences": wdiv, "min_ess": None,
                  "target_ess": None, "elapsed_s": el, "eta_s": el * draws / max(warmup, 1)})
        parts, extras, done, t1 = [], [], 0, time.perf_counter()
        while done < draws:
            mcmc.num_samples = min(chunk, draws - done)
            mcmc.post_warmup_state = mcmc.last_state
            mcmc.run(jax.random.fold_in(key, 1 + done), extra_fields=fields)
            parts.append(mcmc.get_samples(group_by_chain=True))
            extras.append(mcmc.get_extra_fields(group_by_chain=True))
            done += mcmc.num_samples
            div = np.concatenate([np.asarray(e["diverging"]).reshape(chains, -1) for e in extras], 1).sum(1)
            el = time.perf_counter() - t1
            progress({"phase": "sampling", "done": done, "total": draws, "divergences": div, "min_ess": None,
                      "target_ess": None, "elapsed_s": el, "eta_s": el / done * (draws - done)})
        cat = lambda ds: {k: np.concatenate([np.asarray(d[k]) for d in ds], 1) for k in ds[0]}  # noqa: E731
        s, extra = cat(parts), cat(extras)
    stats = {"diverging": np.asarray(extra["diverging"]), "n_steps": np.asarray(extra["num_steps"]),
             "energy": np.asarray(extra["energy"])}
    return s, stats


def _run_nuts_grouped(kernel, chains, warmup, draws, seed, progress, init_params):
    """NUTS with the chains split evenly over the JAX devices and vectorised within each
    device (4 chains on 2 CPU devices: 2 chains per device in one batched gradient). Each
    chain is the same NUTS chain as in the other layouts (its own trees, step size and
    metric), but a device's chains advance in lock-step, so an iteration costs the longest
    of their trees there. It pays where the gradient is a long sequential scan whose cost is
    mostly per step rather than per chain: on the two-step likelihood (11 subjects x 200
    trials) one chain's gradient costs ~1.0 ms, two chains' batched ~1.35 ms."""
    import time

    G = jax.local_device_count()
    C = chains // G
    key = jax_key(seed)
    state = kernel.init(jax.random.split(jax.random.fold_in(key, 0), chains), warmup, init_params, (), {})
    postprocess = kernel.postprocess_fn((), {})
    state = jax.tree_util.tree_map(lambda a: a.reshape((G, C) + a.shape[1:]), state)

    def run(st, n):
        def body(s, _):
            s = kernel.sample(s, (), {})  # vectorised over this device's chains (kernel.init above)
            return s, (s.z, s.diverging, s.num_steps, s.energy)

        return jax.lax.scan(body, st, None, length=n)

    runners: dict = {}

    def block(st, n):
        if n not in runners:
            runners[n] = jax.pmap(lambda s: run(s, n))
        st, out = runners[n](st)
        # [device, draw, chain of the device, ...] -> [chain, draw, ...]
        return st, jax.tree_util.tree_map(
            lambda a: np.swapaxes(np.asarray(a), 1, 2).reshape((chains, n) + a.shape[3:]), out)

    chunk = max(1, min(draws, 250)) if callable(progress) else draws
    t0 = time.perf_counter()
    state, (_, wdiv, _, _) = block(state, warmup)
    el = time.perf_counter() - t0
    if callable(progress):
        progress({"phase": "warmup", "done": warmup, "total": warmup, "divergences": wdiv.sum(1), "min_ess": None,
                  "target_ess": None, "elapsed_s": el, "eta_s": el * draws / max(warmup, 1)})
    parts: list = []
    done, t1 = 0, time.perf_counter()
    while done < draws:
        n = min(chunk, draws - done)
        state, out = block(state, n)
        parts.append(out)
        done += n
        if callable(progress):
            el = time.perf_counter() - t1
            progress({"phase": "sampling", "done": done, "total": draws,
                      "divergences": np.concatenate([p[1] for p in parts], 1).sum(1), "min_ess": None,
                      "target_ess": None, "elapsed_s": el, "eta_s": el / done * (draws - done)})
    z, div, n_steps, energy = (jax.tree_util.tree_map(lambda *a: np.concatenate(a, 1), *[p[i] for p in parts])
                               for i in range(4))
    flat = jax.tree_util.tree_map(lambda a: a.reshape((chains * draws,) + a.shape[2:]), z)
    constrained = jax.jit(jax.vmap(postprocess))(flat)
    s = {k: np.asarray(v).reshape((chains, draws) + v.shape[1:]) for k, v in constrained.items()}
    return s, {"diverging": div, "n_steps": n_steps, "energy": energy}


def phi_approx_inverse(u):
    """The inverse of ``Phi_approx`` on (0, 1): solves ``0.07056 y^3 + 1.5976 y = logit(u)`` (Newton)."""
    u = np.clip(np.asarray(u, float), 1e-9, 1 - 1e-9)
    c = np.log(u) - np.log1p(-u)
    y = c / 1.5976
    for _ in range(50):
        y = y - (0.07056 * y ** 3 + 1.5976 * y - c) / (3 * 0.07056 * y ** 2 + 1.5976)
    return y


def warm_start(data: ChoiceData, model: FitModel, hier: bool = True, seed: int = 0) -> tuple[dict, dict]:
    """A starting point ``{"mu_pr", "sigma", "x_pr"}`` (natural scale) and the scale of each on the
    sampler's unconstrained scale (``log sigma`` for ``sigma``), from the empirical-Bayes Laplace
    fit: each subject's estimate and Laplace sd mapped to hBayesDM's probit scale ``y``
    (``theta = low + (high - low) Phi_approx(y)``); ``mu_pr`` the mean of ``y``, ``sigma`` the
    spread of ``y`` including the Laplace variance, ``x_pr = (y - mu_pr) / sigma``."""
    from .approx import fit_approx

    ap = fit_approx(data, model, seed=seed)
    lo, hi = model.bounds()[:, 0], model.bounds()[:, 1]
    hb = model.hbayes_bounds()

    def y_of(z):
        theta = lo + (hi - lo) / (1 + np.exp(-z))
        return phi_approx_inverse((theta - hb[:, 0]) / (hb[:, 1] - hb[:, 0]))

    z, zsd = np.asarray(ap.z, float), np.asarray(ap.z_sd, float)
    y = y_of(z)
    sd_y = np.clip(np.abs(y_of(z + zsd) - y_of(z - zsd)) / 2, 0.05, 3.0)
    if not np.all(np.isfinite(y)):
        raise ValueError("the empirical-Bayes warm start is not finite; pass init= to fit_hierarchical")
    N = data.n_subjects
    if not hier:
        return {"x_pr": y}, {"x_pr": np.clip(sd_y, 0.05, 1.0)}
    mu = y.mean(0)
    sig = np.clip(np.sqrt(y.var(0) + (sd_y ** 2).mean(0)), 0.02, 2.0)
    x = (y - mu) / sig
    scale = {"mu_pr": np.clip(sig / np.sqrt(N), 0.02, 1.0), "sigma": np.full(len(mu), 0.5),
             "x_pr": np.clip(sd_y / sig, 0.1, 1.0)}
    return {"mu_pr": mu, "sigma": sig, "x_pr": x}, scale


_POTENTIALS: dict = {}


def _layout(model, parameterisation, data):
    """What a compiled potential depends on besides the data's values."""
    extra = tuple(sorted((k, np.shape(v)) for k, v in data.extra.items()))
    return (id(model), model.name, parameterisation, data.task, data.n_subjects, data.mask.shape, data.n_actions,
            data.n_states, tuple(np.asarray(data.subject).tolist()), extra)


def _flat_potential(model, parameterisation, data, npmodel):
    """``potential(q, (inputs, mask))`` of the NumPyro model on a flat unconstrained vector ``q``
    (NumPyro's own transforms and Jacobians), one function object per model and data layout so that
    the sampler's compiled programs are reused for any data of that layout."""
    from jax.flatten_util import ravel_pytree
    from numpyro.infer.util import potential_energy

    key = _layout(model, parameterisation, data)
    if key not in _POTENTIALS:
        hier = parameterisation == "hbayesdm"
        N, P = data.n_subjects, len(model.param_names)
        shapes = {"mu_pr": (P,), "sigma": (P,), "x_pr": (N, P)} if hier else {"x_pr": (N, P)}
        _, unravel = ravel_pytree({k: jnp.zeros(v, jnp.float32) for k, v in shapes.items()})

        def potential(q, aux):
            inputs, mask = aux
            return potential_energy(npmodel, (inputs, mask), {}, unravel(q))

        _POTENTIALS[key] = (potential, unravel)
    return _POTENTIALS[key]


def starting_point(data: ChoiceData, model: FitModel, hier: bool, seed: int = 0, init: dict | None = None):
    """Where both samplers start, on NumPyro's unconstrained scale (``log sigma`` for
    ``sigma``): ``(q0, scale, unravel)``, flat vectors in NumPyro's order of the latent sites
    and the function back to ``{"mu_pr", "sigma", "x_pr"}``. ``init`` None: the empirical-Bayes
    warm start (:func:`warm_start`: our counterpart of hBayesDM's default ``inits="vb"``) and its
    scale; a dict: that point on the natural scale, with scale 0.5."""
    from jax.flatten_util import ravel_pytree
    from numpyro.distributions import constraints
    from numpyro.distributions.transforms import biject_to

    names = ("mu_pr", "sigma", "x_pr") if hier else ("x_pr",)
    N, P = data.n_subjects, len(model.param_names)
    if init is None:
        start, scale = warm_start(data, model, hier, seed)
    else:
        missing = [k for k in names if k not in init]
        if missing:
            raise ValueError(f"init must give {', '.join(names)}; missing {', '.join(missing)}")
        start = {k: np.asarray(init[k], float) for k in names}
        for k in names:
            if not np.all(np.isfinite(start[k])):
                raise ValueError(f"the initial point is not finite: init[{k!r}] has non-finite values")
        if hier and np.any(start["sigma"] <= 0):
            raise ValueError("the initial point is not valid: init['sigma'] must be > 0")
        scale = {k: np.full(np.shape(start[k]), 0.5) for k in names}
    to_sigma = biject_to(constraints.positive)  # NumPyro's transform for the half-normal's support
    shapes = {"mu_pr": (P,), "sigma": (P,), "x_pr": (N, P)}
    start = {k: np.broadcast_to(np.asarray(start[k], np.float32), shapes[k]) for k in names}
    unc = {k: (np.asarray(to_sigma.inv(jnp.asarray(v))) if k == "sigma" else v) for k, v in start.items()}
    q0, unravel = ravel_pytree({k: jnp.asarray(v, jnp.float32) for k, v in unc.items()})
    s0, _ = ravel_pytree({k: jnp.asarray(np.broadcast_to(scale[k], shapes[k]), jnp.float32) for k in names})
    return np.asarray(q0), np.asarray(s0), unravel


def _run_chees(npmodel, model, data, inputs, hier, settings, seed, init, progress=None):
    from numpyro.distributions import constraints
    from numpyro.distributions.transforms import biject_to

    from .samplers import chees_hmc, enable_compilation_cache

    enable_compilation_cache()
    names = ("mu_pr", "sigma", "x_pr") if hier else ("x_pr",)
    N, P = data.n_subjects, len(model.param_names)
    shapes = {"mu_pr": (P,), "sigma": (P,), "x_pr": (N, P)}
    to_sigma = biject_to(constraints.positive)
    q0, s0, _ = starting_point(data, model, hier, seed, init)
    potential, unravel = _flat_potential(model, "hbayesdm" if hier else "independent", data, npmodel)
    aux = (inputs, jnp.asarray(data.mask))
    n_mon = 2 * P

    def monitor(x):  # group means and log-SDs (mu_pr, sigma come first in the flat vector)
        return x[..., :n_mon] if hier else x

    res = chees_hmc(potential, q0, s0, settings, seed=seed, monitor=monitor, aux=aux,
                    progress=progress)
    C, n, _ = res.draws.shape
    u = jax.vmap(unravel)(jnp.asarray(res.draws.reshape(C * n, -1)))
    s = {k: np.asarray(to_sigma(u[k]) if k == "sigma" else u[k]).reshape((C, n) + shapes[k]) for k in names}
    stats = {"diverging": res.diverging, "n_steps": res.n_steps, "acceptance_rate": res.accept,
             "lp": -res.potential}
    info = {"step_size": res.step_size, "trajectory_length": res.trajectory_length, "devices": res.devices,
            "warmup_time_s": res.times.get("warmup_s", np.nan), "sampling_time_s": res.times.get("sampling_s", np.nan),
            "ess_history": str(res.ess_history)}
    return s, stats, info


def _choice_prob(model, p, data, inputs):
    """P(choosing action 1) per trial ``[sequence, trial]`` (the first stage for the two-step task)."""
    p_all = trial_outputs(model, p, data, inputs, keep=("p",))["p"]
    return (p_all[:, :, 0] if p_all.ndim == 4 else p_all)[..., 1]


def _finite_values(ds) -> dict:
    """Variable -> flat array of a diagnostics Dataset's values."""
    return {k: np.asarray(ds[k].values, float).ravel() for k in ds.data_vars}


def diagnostics(idata, warn: bool = True) -> dict:
    """R-hat, bulk and tail ESS of the group-level parameters (group means and SDs; every subject
    parameter when there is no group level), the number of divergent transitions and, for
    ChEES fits (chains in superchains), nested R-hat (Margossian et al. 2024); with ``warn``, a
    warning that says what to do when any of them is bad.

    Values are ArviZ's rank-normalised split R-hat and ESS, unrounded (the thresholds are
    tested on them: an R-hat of 1.014 fails ``<= 1.01``). A diagnostic that cannot be
    computed is ``None`` and named in ``problems`` (R-hat needs at least 2 chains and both
    need at least 4 draws per chain; a variable whose value is NaN is named) — never a
    silent NaN. Returns ``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail``, ``divergences``,
    ``chains``, ``draws``, ``problems`` (one sentence each), ``summary`` (ArviZ's
    unrounded diagnostics table) and, for ChEES fits, ``max_nested_r_hat``."""
    import logging

    import arviz as az

    from .samplers import nested_rhat

    post = idata.posterior
    names = [v for v in post.data_vars if v.startswith("mu_") and v != "mu_pr"] + (["sigma"] if "sigma" in post else [])
    if not names:
        names = [v for v in post.data_vars if v not in ("x_pr",)]
    chains, draws = int(post.sizes["chain"]), int(post.sizes["draw"])
    problems: list[str] = []
    log = logging.getLogger("arviz")
    level = log.level
    log.setLevel(logging.ERROR)  # its shape warnings are replaced by the sentences in ``problems``
    try:
        summ = az.summary(idata, var_names=names, kind="diagnostics", round_to="none")
        rhat = _finite_values(az.rhat(idata, var_names=names)) if chains >= 2 and draws >= 4 else None
        ess_b = _finite_values(az.ess(idata, var_names=names, method="bulk")) if draws >= 4 else None
        ess_t = _finite_values(az.ess(idata, var_names=names, method="tail")) if draws >= 4 else None
    finally:
        log.setLevel(level)
    if rhat is None:
        problems.append(f"R-hat not computed: it needs >= 2 chains of >= 4 draws, got {chains} chain(s) of "
                        f"{draws} draw(s); run 4 chains (--chains 4) to check convergence")
    if ess_b is None:
        problems.append(f"effective sample size not computed: it needs >= 4 draws per chain, got {draws}")

    def extreme(values, fn, label):
        if values is None:
            return None
        nan = [k for k, v in values.items() if not np.all(np.isfinite(v))]
        if nan:
            problems.append(f"{label} is not a number for {', '.join(nan)} (a chain that never moved?): do not "
                            f"trust these draws")
        finite = np.concatenate([v[np.isfinite(v)] for v in values.values()])
        return float(fn(finite)) if finite.size else None

    max_rhat = extreme(rhat, np.max, "R-hat")
    min_bulk = extreme(ess_b, np.min, "bulk ESS")
    min_tail = extreme(ess_t, np.min, "tail ESS")
    div = int(np.asarray(idata.sample_stats["diverging"]).sum())
    out = {"max_r_hat": max_rhat, "min_ess_bulk": min_bulk, "min_ess_tail": min_tail, "divergences": div,
           "chains": chains, "draws": draws, "summary": summ}
    sampler = idata.attrs.get("sampler", "nuts")
    m = int(idata.attrs.get("superchain_size", 0) or 0)
    if m and chains // m >= 2 and draws >= 4:
        nr = []
        for v in names:
            x = np.asarray(post[v])
            x = x.reshape(x.shape[:2] + (-1,))
            nr += [nested_rhat(x[..., j], m) for j in range(x.shape[-1])]
        out["max_nested_r_hat"] = float(np.max(nr))
    if max_rhat is not None and max_rhat > RHAT_MAX:
        problems.append(f"R-hat up to {max_rhat:.4f} (> {RHAT_MAX}): chains disagree — run longer "
                        f"(more warmup and draws) or check the model for multimodality")
    if out.get("max_nested_r_hat", 1.0) > NESTED_RHAT_MAX:
        problems.append(f"nested R-hat up to {out['max_nested_r_hat']:.3f} (> {NESTED_RHAT_MAX}): superchains "
                        f"started apart have not forgotten their starts — more warmup")
    low = [v for v in (min_bulk, min_tail) if v is not None]
    target = float(idata.attrs.get("target_ess", ESS_MIN))
    if low and min(low) < ESS_MIN:
        problems.append(f"effective sample size down to {min(low):.0f} (< {ESS_MIN}): draw more samples before "
                        f"trusting intervals")
    elif sampler == "chees" and min_bulk is not None and min_bulk < 0.9 * target:
        problems.append(f"bulk ESS reached {min_bulk:.0f} of the {target:.0f} asked for before max_draws: raise "
                        f"max_draws or chains")
    if div:
        problems.append(f"{div} divergent transitions: raise target_accept (e.g. 0.99) or reparameterise; "
                        f"estimates may be biased")
    out["problems"] = problems
    if warn and problems:
        warnings.warn(f"{sampler.upper()} diagnostics: " + "; ".join(problems), RuntimeWarning, stacklevel=2)
    return out
