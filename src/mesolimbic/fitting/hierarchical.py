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

Groups of the InferenceData: ``posterior`` (``mu_pr``, ``sigma``, ``x_pr``, the
subject parameters over ``subject``, the group means), ``log_likelihood``
(``log_lik`` per subject; ``log_lik_trial`` per trial when it fits in memory),
``posterior_predictive`` (one-step-ahead choices drawn from the model's choice
probabilities given each subject's observed history, for ``ppc_draws`` draws),
``observed_data`` and ``sample_stats``. R-hat, bulk/tail ESS and divergences are
checked after every fit; a warning says what to do when they are bad.

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

from .._validate import check_choice, check_count, check_range
from .data import ChoiceData
from .likelihood import data_arrays, per_subject, phi_approx, subject_loglik, trial_outputs
from .models import FitModel, get_model

__all__ = ["fit_hierarchical", "numpyro_model", "diagnostics"]

RHAT_MAX, ESS_MIN = 1.01, 400


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
    """The NumPyro model that :func:`fit_hierarchical` samples (no arguments): with
    ``"hbayesdm"``, ``mu_pr ~ N(0, 1)``, ``sigma ~ half-N(0, 0.2)``, ``x_pr ~ N(0, 1)``
    per subject and parameter, ``theta = low + (high - low) Phi_approx(mu_pr + sigma x_pr)``;
    with ``"independent"``, ``theta = low + (high - low) Phi_approx(x_pr)``; then the
    learner's log-likelihood of the choices as a factor."""
    _need()
    import numpyro
    import numpyro.distributions as dist

    model = get_model(model) if isinstance(model, str) else model
    check_choice("parameterisation", parameterisation, ("hbayesdm", "independent"))
    N, P = data.n_subjects, len(model.param_names)
    inputs = data_arrays(model, data)
    hier = parameterisation == "hbayesdm"

    def npmodel():
        if hier:
            mu_pr = numpyro.sample("mu_pr", dist.Normal(0.0, 1.0).expand([P]).to_event(1))
            sigma = numpyro.sample("sigma", dist.HalfNormal(0.2).expand([P]).to_event(1))
        else:
            mu_pr = sigma = None
        x_pr = numpyro.sample("x_pr", dist.Normal(0.0, 1.0).expand([N, P]).to_event(2))
        params = _params(model, data, x_pr, mu_pr, sigma)
        numpyro.factor("loglik", subject_loglik(model, params, data, inputs).sum())

    return npmodel


def fit_hierarchical(data: ChoiceData, model: FitModel | str, *, parameterisation: str = "hbayesdm",
                     chains: int = 4, warmup: int = 1000, draws: int = 3000, target_accept: float = 0.95,
                     seed: int = 0, ppc_draws: int = 200, per_trial: bool | None = None, progress: bool = False,
                     chain_method: str = "auto"):
    """NUTS fit of ``model`` to ``data``; returns ``arviz.InferenceData`` (see the module docstring).

    Defaults are hBayesDM's: 4 chains, 1,000 warm-up and 3,000 draws each, target
    acceptance 0.95. ``per_trial`` (default: when the array stays under ~50 M
    numbers) adds the per-trial log-likelihood for trial-wise LOO.
    ``chain_method``: ``"vectorized"`` (all chains in one batched computation),
    ``"parallel"`` (one JAX device per chain) or ``"auto"`` (parallel when JAX has
    a device per chain: on CPU, set ``XLA_FLAGS=--xla_force_host_platform_device_count=4``
    before JAX is first imported, or ``numpyro.set_host_device_count(4)`` at the top
    of a script).
    """
    _need()
    import arviz as az
    from numpyro.infer import MCMC, NUTS

    model = get_model(model) if isinstance(model, str) else model
    check_choice("parameterisation", parameterisation, ("hbayesdm", "independent"))
    chains, warmup, draws = (check_count(n, v, 1) for n, v in (("chains", chains), ("warmup", warmup),
                                                                ("draws", draws)))
    check_range("target_accept", target_accept, 0.0, 1.0, low_open=True, high_open=True)
    check_choice("chain_method", chain_method, ("auto", "vectorized", "parallel"))
    if chain_method == "auto":
        chain_method = "parallel" if chains > 1 and jax.local_device_count() >= chains else "vectorized"
    names = model.param_names
    N, P = data.n_subjects, len(names)
    inputs = data_arrays(model, data)
    hier = parameterisation == "hbayesdm"
    npmodel = numpyro_model(data, model, parameterisation)
    mcmc = MCMC(NUTS(npmodel, target_accept_prob=target_accept), num_warmup=warmup, num_samples=draws,
                num_chains=chains, chain_method=chain_method, progress_bar=progress)
    mcmc.run(jax.random.PRNGKey(seed), extra_fields=("diverging", "num_steps", "energy"))
    s = mcmc.get_samples(group_by_chain=True)
    flat = {k: v.reshape((chains * draws,) + v.shape[2:]) for k, v in s.items()}
    zeros = jnp.zeros((chains * draws, P))
    params = jax.jit(jax.vmap(lambda x, m, sg: _params(model, data, x, m if hier else None, sg)))(
        flat["x_pr"], flat.get("mu_pr", zeros), flat.get("sigma", zeros))
    # one pass over the draws: the per-trial log-likelihood, summed per subject
    trial_fn = jax.jit(lambda p: subject_loglik(model, p, data, inputs, per_trial=True))
    S, T = data.mask.shape
    batch = int(np.clip(4_000_000 // (S * T), 1, chains * draws))  # ~16 MB of log-likelihood per batch
    lt = jax.lax.map(trial_fn, params, batch_size=batch)  # [draws, S, T]
    ll = per_subject(lt.sum(-1), data)  # [draws, subject]
    posterior = {k: np.asarray(v).reshape(chains, draws, N) for k, v in params.items()}
    coords = {"subject": list(map(str, data.subjects)), "parameter": list(names)}
    dims = {k: ["subject"] for k in names}
    hnames = {k: model.hbayes[k][0] for k in names}
    if hier:
        posterior["mu_pr"], posterior["sigma"] = np.asarray(s["mu_pr"]), np.asarray(s["sigma"])
        dims.update(mu_pr=["parameter"], sigma=["parameter"])
        B = model.hbayes_bounds()
        for j, k in enumerate(names):
            posterior[f"mu_{hnames[k]}"] = B[j, 0] + (B[j, 1] - B[j, 0]) * np.asarray(phi_approx(s["mu_pr"][..., j]))
    posterior["x_pr"] = np.asarray(s["x_pr"])
    dims["x_pr"] = ["subject", "parameter"]
    log_lik = {"log_lik": np.asarray(ll).reshape(chains, draws, N)}
    dims["log_lik"] = ["subject"]
    if per_trial is None:
        per_trial = chains * draws * S * T <= 50_000_000
    if per_trial:
        log_lik["log_lik_trial"] = np.asarray(lt).reshape(chains, draws, S, T)
        dims["log_lik_trial"] = ["sequence", "trial"]
        coords.update(sequence=np.arange(S), trial=np.arange(1, T + 1))
    # posterior predictive: one-step-ahead choices given the observed history
    ppc_draws = min(check_count("ppc_draws", ppc_draws, 1), chains * draws)
    pick = np.linspace(0, chains * draws - 1, ppc_draws).astype(int)
    sub = jax.tree_util.tree_map(lambda v: v[pick], params)
    probs = jax.lax.map(jax.jit(lambda p: _choice_prob(model, p, data, inputs)), sub, batch_size=64)
    u = np.random.default_rng(seed).random(np.shape(probs)[:3])
    y_pred = np.where(data.mask[None], (u < np.asarray(probs)).astype(np.int16), -1)
    stats = {"diverging": np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"]),
             "n_steps": np.asarray(mcmc.get_extra_fields(group_by_chain=True)["num_steps"]),
             "energy": np.asarray(mcmc.get_extra_fields(group_by_chain=True)["energy"])}
    coords.update(sequence=np.arange(S), trial=np.arange(1, T + 1), ppc_draw=pick)
    idata = az.from_dict(
        posterior=posterior, log_likelihood=log_lik, sample_stats=stats,
        posterior_predictive={"choice": y_pred[None]},
        observed_data={"choice": np.where(data.mask, data.choice, -1), "outcome": data.outcome,
                       "mask": data.mask.astype(np.int8)},
        coords=coords, dims={**dims, "choice": ["sequence", "trial"], "outcome": ["sequence", "trial"],
                             "mask": ["sequence", "trial"]},
        attrs={"model": model.name, "task": data.task, "parameterisation": parameterisation, "chains": chains,
               "warmup": warmup, "draws": draws, "target_accept": target_accept, "seed": seed,
               "hbayesdm_names": str(hnames), "posterior_predictive": "one-step-ahead choices given the observed "
                                                                      "history, draws listed in ppc_draw"})
    diagnostics(idata, warn=True)
    return idata


def _choice_prob(model, p, data, inputs):
    """P(choosing action 1) per trial ``[sequence, trial]`` (the first stage for the two-step task)."""
    p_all = trial_outputs(model, p, data, inputs, keep=("p",))["p"]
    return (p_all[:, :, 0] if p_all.ndim == 4 else p_all)[..., 1]


def diagnostics(idata, warn: bool = True) -> dict:
    """R-hat, bulk and tail ESS of the group-level (or subject) parameters, and the number of
    divergent transitions; with ``warn``, a warning that says what to do when they are bad."""
    import arviz as az

    post = idata.posterior
    names = [v for v in post.data_vars if v.startswith("mu_") and v != "mu_pr"] + (["sigma"] if "sigma" in post else [])
    if not names:
        names = [v for v in post.data_vars if v not in ("x_pr",)]
    # unrounded: ArviZ rounds to 2 decimals by default, which would let an R-hat of 1.014 pass as 1.01
    summ = az.summary(idata, var_names=names, kind="diagnostics", round_to="none")
    div = int(np.asarray(idata.sample_stats["diverging"]).sum())
    out = {"max_r_hat": float(summ["r_hat"].max()), "min_ess_bulk": float(summ["ess_bulk"].min()),
           "min_ess_tail": float(summ["ess_tail"].min()), "divergences": div, "summary": summ}
    if warn:
        problems = []
        if out["max_r_hat"] > RHAT_MAX:
            problems.append(f"R-hat up to {out['max_r_hat']:.3f} (> {RHAT_MAX}): chains disagree — run longer "
                            f"(more warmup and draws) or check the model for multimodality")
        if out["min_ess_bulk"] < ESS_MIN or out["min_ess_tail"] < ESS_MIN:
            problems.append(f"effective sample size down to {min(out['min_ess_bulk'], out['min_ess_tail']):.0f} "
                            f"(< {ESS_MIN}): draw more samples before trusting intervals")
        if div:
            problems.append(f"{div} divergent transitions: raise target_accept (e.g. 0.99) or reparameterise; "
                            f"estimates may be biased")
        if problems:
            warnings.warn("NUTS diagnostics: " + "; ".join(problems), RuntimeWarning, stacklevel=2)
    return out
