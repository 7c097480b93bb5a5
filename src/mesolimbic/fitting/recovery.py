"""Parameter and model recovery (Wilson & Collins 2019): simulate subjects with the same
learner, refit, and see whether the parameters and the model come back.

Simulated subjects' parameters are drawn uniformly from the middle of each
parameter's hBayesDM range (5th-95th percentile of the range, so that the
truth is not on a bound), their behaviour is simulated on the model's task by
the package's simulator, written to the field's table format and read back by
:func:`~mesolimbic.fitting.data.load_choices` — the same path real data take —
and refitted by maximum likelihood.

Reference: Wilson, R. C. & Collins, A. G. E. (2019). Ten simple rules for the
computational modeling of behavioral data. eLife 8:e49547.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .._memory import check_memory
from .._seed import check_seed, seed_attr
from .._validate import check_count
from ..instrumental import simulate_choices, to_dataframe, two_step_dataframe
from ..tasks.bandit import Bandit, reversal_learning
from ..tasks.gonogo import GoNoGo
from ..tasks.two_step import TwoStep
from .data import load_choices
from .mle import fit_mle
from .models import FitModel, get_model

__all__ = ["simulate_dataset", "parameter_recovery", "model_recovery", "recovery_figure"]


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


def simulate_dataset(model: FitModel | str, params: dict, n_trials: int = 200, seed: int = 0):
    """Simulate one subject per entry of ``params`` (arrays) and return it as ``ChoiceData``."""
    model = get_model(model) if isinstance(model, str) else model
    task = _task(model, n_trials)
    ds = simulate_choices(task, model.learner, params, n_agents=1, seed=seed)
    if model.task == "ts":
        df = two_step_dataframe(ds)
    else:
        df = to_dataframe(ds, style="gng" if model.task == "gng" else "choice")
    return load_choices(df, model.task)


def _fit_bytes(n_subjects: int, n_trials: int, n_starts: int) -> int:
    """A rough upper estimate of the memory of simulating and fitting ``n_subjects`` x ``n_trials``:
    the simulated table and padded arrays, and per start the scan's saved states and outputs for
    the gradient (about 64 bytes per subject, trial and start, plus as much again for the data)."""
    return int(n_subjects) * int(n_trials) * 64 * (int(n_starts) + 2)


def parameter_recovery(model: FitModel | str, n_subjects: int = 100, n_trials: int = 200, seed: int = 0,
                       n_starts: int = 3, prior_sd: float | None = 2.0) -> xr.Dataset:
    """True and recovered parameters of ``n_subjects`` simulated subjects, with the Pearson
    correlation per parameter in ``attrs`` (``r_<name>``).

    The refit is MAP with a weak N(0, ``prior_sd``^2) prior on the unconstrained scale
    (``prior_sd=None``: plain MLE). Plain MLE of the delta rule trades the learning
    rate against the inverse temperature at the edges (alpha -> 0 with beta -> its
    upper bound fits a near-random chooser as well as a small alpha does), and a
    handful of such subjects ruin a Pearson correlation; the weak prior is the usual
    remedy (Daw 2011; Wilson & Collins 2019)."""
    model = get_model(model) if isinstance(model, str) else model
    n_subjects, n_trials = check_count("n_subjects", n_subjects, 2), check_count("n_trials", n_trials, 1)
    n_starts = check_count("n_starts", n_starts, 1)
    seed = check_seed("seed", seed)
    check_memory(_fit_bytes(n_subjects, n_trials, n_starts), f"recovering {n_subjects} subjects x {n_trials} trials")
    rng = np.random.default_rng(seed)
    B = model.hbayes_bounds()
    true = {k: rng.uniform(B[j, 0] + 0.05 * (B[j, 1] - B[j, 0]), B[j, 0] + 0.95 * (B[j, 1] - B[j, 0]), n_subjects)
            for j, k in enumerate(model.param_names)}
    data = simulate_dataset(model, {**model.fixed, **true}, n_trials, seed)
    fit = fit_mle(data, model, n_starts=n_starts, seed=seed, prior_sd=prior_sd)
    names = list(model.param_names)
    ds = xr.Dataset({"true": (("subject", "parameter"), np.stack([true[k] for k in names], 1)),
                     "fitted": (("subject", "parameter"), np.stack([fit.params[k] for k in names], 1))},
                    coords={"subject": np.arange(n_subjects), "parameter": names},
                    attrs={"model": model.name, "n_trials": n_trials, "seed": seed_attr(seed), "method": fit.method,
                           "prior_sd": -1.0 if prior_sd is None else float(prior_sd)})
    for k in names:
        ds.attrs[f"r_{k}"] = float(np.corrcoef(true[k], fit.params[k])[0, 1])
    return ds


def model_recovery(models, n_subjects: int = 30, n_trials: int = 200, seed: int = 0, n_starts: int = 2) -> pd.DataFrame:
    """Confusion matrix: rows the generating model, columns the share of simulated subjects
    best fitted (lowest BIC) by each candidate."""
    models = [get_model(m) if isinstance(m, str) else m for m in models]
    n_subjects, n_trials = check_count("n_subjects", n_subjects, 1), check_count("n_trials", n_trials, 1)
    n_starts = check_count("n_starts", n_starts, 1)
    seed = check_seed("seed", seed)
    check_memory(_fit_bytes(n_subjects, n_trials, n_starts), f"model recovery on {n_subjects} subjects x "
                 f"{n_trials} trials")
    tasks = {m.task for m in models}
    if len(tasks) != 1:
        raise ValueError(f"model recovery needs models of one task, got {sorted(tasks)}")
    rng = np.random.default_rng(seed)
    rows = {}
    for gen in models:
        B = gen.hbayes_bounds()
        true = {k: rng.uniform(B[j, 0] + 0.05 * (B[j, 1] - B[j, 0]), B[j, 0] + 0.95 * (B[j, 1] - B[j, 0]),
                               n_subjects) for j, k in enumerate(gen.param_names)}
        data = simulate_dataset(gen, true, n_trials, seed)
        bic = np.stack([fit_mle(data, m, n_starts=n_starts, seed=seed).bic for m in models], 1)
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