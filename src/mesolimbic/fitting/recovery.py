"""Parameter and model recovery (Wilson & Collins 2019): simulate subjects with the same
learner, refit, and see whether the parameters and the model come back.

Simulated subjects' parameters are drawn uniformly from the middle of each
parameter's hBayesDM range (5th-95th percentile of the range, so that the
truth is not on a bound), their behaviour is simulated on the model's task by
the package's simulator, written to the field's table format and read back by
:func:`~mesolimbic.fitting.data.load_choices` — the same path real data take —
and refitted by maximum likelihood.

The subjects are cut into blocks of ``subjects_per_task`` (default
:data:`SUBJECTS_PER_TASK`), and each block and model is one task
(:mod:`mesolimbic.cluster`): in this process one after another, or with ``client=``
on a Dask cluster. Every subject is simulated with the same random stream (agent 0
of each parameter set: common random numbers, so a block's data are exactly its
subjects' rows of the whole set) and fitted as its own problem, starting from
points drawn from the seed and its ID. The blocks are part of the study, not of
where it runs: the same arguments give the same numbers in this process and on
any cluster, whatever the number of workers (tested). A *different* block size
gives the same data but fits that agree only to the optimiser's tolerance (about
1e-4 here): XLA computes a batch of another size with differently vectorised code
(AVX-512 lanes vs. the scalar remainder loop) and the float32 objective's last bits
steer L-BFGS's line search. Up to 50 subjects (one block) the numbers are those of
the single batched call this module made before it ran on clusters.

Reference: Wilson, R. C. & Collins, A. G. E. (2019). Ten simple rules for the
computational modeling of behavioral data. eLife 8:e49547.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .._memory import check_memory
from .._seed import check_seed, numpy_rng, seed_attr
from .._validate import check_count
from ..instrumental import simulate_choices, to_dataframe, two_step_dataframe
from ..tasks.bandit import Bandit, reversal_learning
from ..tasks.gonogo import GoNoGo
from ..tasks.two_step import TwoStep
from .data import load_choices
from .mle import fit_mle
from .models import MODELS, FitModel, get_model

__all__ = ["simulate_dataset", "parameter_recovery", "model_recovery", "recovery_figure", "SUBJECTS_PER_TASK"]


def _task(model: FitModel, n_trials: int):
    if model.task == "bandit2arm":
        return Bandit((0.7, 0.3), n_trials=n_trials, reward_value=1.0, loss_value=-1.0)
    if model.task == "prl":
        t = reversal_learning(n_trials=n_trials, reversal_every=max(10, n_trials // 5))
        return Bandit(t.probabilities, n_trials=n_trials, reversal_every=t.reversal_every, reward_value=1.0,
                      loss_value=-1.0, name="reversal_learning")
    if model.task == "gng":
        return GoNoGo(trials_per_cue=max(1, n_trials // 4))
    if model.task == "ts":
        return TwoStep(n_trials=n_trials)
    raise ValueError(f"recovery is available for tasks bandit2arm, prl, gng and ts; model {model.name!r} is "
                     f"for {model.task!r}")


def simulate_dataset(model: FitModel | str, params: dict, n_trials: int = 200, seed: int = 0,
                     first_subject: int = 0):
    """Simulate one subject per entry of ``params`` (arrays) and return it as ``ChoiceData``.
    Subjects are numbered from ``first_subject + 1`` (a block of a larger set keeps its IDs).

    Every subject has its own random numbers (reward draws and choice draws): the subjects
    are independent, as the hierarchical model assumes, and a block of a larger set
    (``first_subject``) draws other numbers than the block before it. (Until 2 Dec 2026 all
    subjects of a call shared one stream — the simulator's common random numbers across
    parameter sets — which biased group-level recovery: 1,000 subjects put the posterior
    group mean of alpha ~5 posterior sd from the generating value.)"""
    model = get_model(model) if isinstance(model, str) else model
    task = _task(model, n_trials)
    seed = check_seed("seed", seed)
    block_seed = seed if not first_subject else int(numpy_rng(seed, int(first_subject)).integers(2 ** 62))
    ds = simulate_choices(task, model.learner, params, n_agents=1, seed=block_seed, streams="independent")
    if model.task == "ts":
        df = two_step_dataframe(ds)
    else:
        df = to_dataframe(ds, style="gng" if model.task == "gng" else "choice")
    if first_subject:
        df["subjID"] = df["subjID"] + int(first_subject)
    return load_choices(df, model.task)


def _ref(model: FitModel):
    """A registered model travels to a worker by name (the worker's registry has the same one)."""
    return model.name if MODELS.get(model.name) is model else model


def _blocks(n: int, size: int | None) -> list[tuple[int, int, int]]:
    """``(start, stop, keep_from)`` per block of ``size`` subjects: the last block is computed
    full-size, ending at ``n`` (its first subjects repeat the previous block's, and are dropped),
    so every task has the same shapes and a worker compiles the fit once."""
    size = min(check_count("subjects_per_task", SUBJECTS_PER_TASK if size is None else size, 1), n)
    return [(max(0, min(lo + size, n) - size), min(lo + size, n), lo) for lo in range(0, n, size)]


#: subjects per block (task) of a recovery study, wherever it runs
SUBJECTS_PER_TASK = 50


def _fit_block(gen, fit_models, true: dict, n_trials: int, seed: int, first: int, n_starts: int,
               prior_sd, what: str) -> dict:
    """One task: simulate subjects ``first + 1 ..`` of ``gen`` with the parameter values ``true``
    and fit each model of ``fit_models`` to them; per model its ``params`` (``what="params"``) or
    per-subject ``bic``."""
    gen = get_model(gen) if isinstance(gen, str) else gen
    n = len(next(iter(true.values())))
    check_memory(_fit_bytes(n, n_trials, n_starts), f"recovering {n} subjects x {n_trials} trials")
    data = simulate_dataset(gen, {**gen.fixed, **true}, n_trials, seed, first_subject=first)
    out = {}
    for m in fit_models:
        m = get_model(m) if isinstance(m, str) else m
        fit = fit_mle(data, m, n_starts=n_starts, seed=seed, prior_sd=prior_sd)
        out[m.name] = ({k: np.asarray(fit.params[k]) for k in m.param_names}, fit.method) if what == "params" \
            else np.asarray(fit.bic)
    return out


def _run_blocks(tasks, client, on_progress):
    from ..cluster import TasksFailed, executor

    ex = executor(client)
    try:
        results, failures = ex.run(tasks, on_progress=on_progress)
    finally:
        if ex is not client:
            ex.close()
    if failures:
        raise TasksFailed(failures, len(tasks))
    return results


def _fit_bytes(n_subjects: int, n_trials: int, n_starts: int) -> int:
    """A rough upper estimate of the memory of simulating and fitting ``n_subjects`` x ``n_trials``:
    the simulated table and padded arrays, and per start the scan's saved states and outputs for
    the gradient (about 64 bytes per subject, trial and start, plus as much again for the data)."""
    return int(n_subjects) * int(n_trials) * 64 * (int(n_starts) + 2)


def parameter_recovery(model: FitModel | str, n_subjects: int = 100, n_trials: int = 200, seed: int = 0,
                       n_starts: int = 3, prior_sd: float | None = 2.0, *, client=None,
                       subjects_per_task: int | None = None, on_progress=None) -> xr.Dataset:
    """True and recovered parameters of ``n_subjects`` simulated subjects, with the Pearson
    correlation per parameter in ``attrs`` (``r_<name>``).

    The refit is MAP with a weak N(0, ``prior_sd``^2) prior on the unconstrained scale
    (``prior_sd=None``: plain MLE). Plain MLE of the delta rule trades the learning
    rate against the inverse temperature at the edges (alpha -> 0 with beta -> its
    upper bound fits a near-random chooser as well as a small alpha does), and a
    handful of such subjects ruin a Pearson correlation; the weak prior is the usual
    remedy (Daw 2011; Wilson & Collins 2019).

    One task per block of ``subjects_per_task`` subjects (default :data:`SUBJECTS_PER_TASK`):
    in this process, or with ``client`` (a ``distributed.Client`` or a scheduler address) on
    a Dask cluster, with the same numbers (see the module docstring).
    ``on_progress(done, total, label)`` after each block."""
    from ..cluster import Task, executor

    model = get_model(model) if isinstance(model, str) else model
    n_subjects, n_trials = check_count("n_subjects", n_subjects, 2), check_count("n_trials", n_trials, 1)
    n_starts = check_count("n_starts", n_starts, 1)
    seed = check_seed("seed", seed)
    if prior_sd is not None:
        from .._validate import check_range

        check_range("prior_sd", prior_sd, 0.0, np.inf, low_open=True)
    ex = executor(client)
    try:
        if ex.kind != "dask":  # in this process: refuse a run that cannot fit before any work
            check_memory(_fit_bytes(n_subjects, n_trials, n_starts),
                         f"recovering {n_subjects} subjects x {n_trials} trials")
        rng = np.random.default_rng(seed)
        B = model.hbayes_bounds()
        true = {k: rng.uniform(B[j, 0] + 0.05 * (B[j, 1] - B[j, 0]), B[j, 0] + 0.95 * (B[j, 1] - B[j, 0]),
                               n_subjects) for j, k in enumerate(model.param_names)}
        blocks = _blocks(n_subjects, subjects_per_task)
        tasks = [Task(f"recover-{model.name}-{keep}", f"subjects {keep + 1}-{hi} of {model.name}", _fit_block,
                      (_ref(model), [_ref(model)], {k: v[lo:hi] for k, v in true.items()}, n_trials, seed, lo,
                       n_starts, prior_sd, "params")) for lo, hi, keep in blocks]
        results = _run_blocks(tasks, ex, on_progress)
    finally:
        if ex is not client:
            ex.close()
    names = list(model.param_names)
    fitted = {k: np.concatenate([results[t.key][model.name][0][k][keep - lo:] for t, (lo, _, keep)
                                 in zip(tasks, blocks)]) for k in names}
    method = results[tasks[0].key][model.name][1]
    ds = xr.Dataset({"true": (("subject", "parameter"), np.stack([true[k] for k in names], 1)),
                     "fitted": (("subject", "parameter"), np.stack([fitted[k] for k in names], 1))},
                    coords={"subject": np.arange(n_subjects), "parameter": names},
                    attrs={"model": model.name, "n_trials": n_trials, "seed": seed_attr(seed), "method": method,
                           "prior_sd": -1.0 if prior_sd is None else float(prior_sd)})
    for k in names:
        ds.attrs[f"r_{k}"] = float(np.corrcoef(true[k], fitted[k])[0, 1])
    return ds


def model_recovery(models, n_subjects: int = 30, n_trials: int = 200, seed: int = 0, n_starts: int = 2, *,
                   client=None, subjects_per_task: int | None = None, on_progress=None) -> pd.DataFrame:
    """Confusion matrix: rows the generating model, columns the share of simulated subjects
    best fitted (lowest BIC) by each candidate.

    One task per (generating model's block of subjects, candidate model): ``client``,
    ``subjects_per_task`` and ``on_progress`` as in :func:`parameter_recovery`. (Each task
    simulates its block again: simulating costs little next to fitting.)"""
    from ..cluster import Task, executor

    models = [get_model(m) if isinstance(m, str) else m for m in models]
    n_subjects, n_trials = check_count("n_subjects", n_subjects, 1), check_count("n_trials", n_trials, 1)
    n_starts = check_count("n_starts", n_starts, 1)
    seed = check_seed("seed", seed)
    task_names = {m.task for m in models}
    if len(task_names) != 1:
        raise ValueError(f"model recovery needs models of one task, got {sorted(task_names)}")
    ex = executor(client)
    try:
        if ex.kind != "dask":
            check_memory(_fit_bytes(n_subjects, n_trials, n_starts), f"model recovery on {n_subjects} subjects x "
                         f"{n_trials} trials")
        rng = np.random.default_rng(seed)
        blocks = _blocks(n_subjects, subjects_per_task)
        tasks = []
        for g, gen in enumerate(models):
            B = gen.hbayes_bounds()
            true = {k: rng.uniform(B[j, 0] + 0.05 * (B[j, 1] - B[j, 0]), B[j, 0] + 0.95 * (B[j, 1] - B[j, 0]),
                                   n_subjects) for j, k in enumerate(gen.param_names)}
            for lo, hi, keep in blocks:
                for c, cand in enumerate(models):
                    tasks.append(Task(f"confusion-{g}-{keep}-{c}", f"{cand.name} fitted to subjects {keep + 1}-{hi} "
                                      f"of {gen.name}", _fit_block,
                                      (_ref(gen), [_ref(cand)], {k: v[lo:hi] for k, v in true.items()}, n_trials,
                                       seed, lo, n_starts, None, "bic")))
        results = _run_blocks(tasks, ex, on_progress)
    finally:
        if ex is not client:
            ex.close()
    rows = {}
    for g, gen in enumerate(models):
        bic = np.stack([np.concatenate([results[f"confusion-{g}-{keep}-{c}"][cand.name][keep - lo:]
                                        for lo, _, keep in blocks]) for c, cand in enumerate(models)], 1)
        rows[gen.name] = np.bincount(bic.argmin(1), minlength=len(models)) / n_subjects
    return pd.DataFrame(rows, index=[m.name for m in models]).T.rename_axis("generating model")


def recovery_figure(ds: xr.Dataset, confusion: pd.DataFrame | None = None):
    """Parameter recovery (true against recovered, one panel per parameter, identity dashed) and,
    with ``confusion``, model recovery: rows the generating model, columns the model that
    fitted best (lowest BIC), cells the share of the generating model's simulated subjects."""
    from .. import plot
    from ..plot import plt

    with plot.style():
        names = list(ds.parameter.values)
        n = len(names) + (confusion is not None)
        width = [1.0] * len(names) + ([1.45] if confusion is not None else [])
        fig, axes = plt.subplots(1, n, figsize=(3.5 * sum(width), 3.7), constrained_layout=True,
                                 gridspec_kw={"width_ratios": width})
        axes = np.atleast_1d(axes)
        for ax, k in zip(axes, names):
            t, f = ds.true.sel(parameter=k), ds.fitted.sel(parameter=k)
            ax.plot(t, f, "o", ms=3.5, alpha=0.6, color=plot.BLUE, markeredgewidth=0)
            lo, hi = float(min(t.min(), f.min())), float(max(t.max(), f.max()))
            ax.plot([lo, hi], [lo, hi], color=plot.GREY, lw=0.8, ls="--", label="identity")
            ax.set_xlabel(f"true {k} (simulated)")
            ax.set_ylabel(f"recovered {k} (fitted)")
            ax.set_title(f"{k}: r = {ds.attrs[f'r_{k}']:.2f}, {ds.sizes.get('subject', t.size)} subjects")
            ax.legend(loc="upper left")
        if confusion is not None:
            ax = axes[-1]
            m = confusion.to_numpy(dtype=float)
            im = ax.imshow(m, vmin=0, vmax=1, cmap="Blues")
            ax.set_xticks(range(confusion.shape[1]), confusion.columns, rotation=30, ha="right")
            ax.set_yticks(range(confusion.shape[0]), confusion.index)
            ax.set_xlabel("fitted model (lowest BIC)")
            ax.set_ylabel("generating model (simulated)")
            for i in range(m.shape[0]):
                for j in range(m.shape[1]):
                    ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=8.5,
                            color="white" if m[i, j] > 0.6 else "black")
            ax.set_title("Model recovery: each row sums to 1")
            ax.spines[["top", "right"]].set_visible(True)
            fig.colorbar(im, ax=ax, shrink=0.8, label="share of the simulated subjects")
        fig.suptitle(f"Recovery: {ds.attrs['model']}, {ds.attrs['n_trials']} trials per subject")
    return fig
