"""Shared machinery of the associative-learning experiments (Rescorla–Wagner and TD side by side).

Each experiment declares its design in the field's notation
(:meth:`~mesolimbic.tasks.PavlovianDesign.from_notation`), runs both learners on
the same trial sequences, and reads the learned prediction on test trials:

* Rescorla–Wagner: ``value``, the summed strength of the cues present;
* TD(lambda) with a complete serial compound: ``value_pre_us``, the value one
  step before the US is due (the learned prediction of the US).

Test trials are non-reinforced single presentations at the end of a design; the
prediction is read before the trial's own update.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from ..models import TD, RescorlaWagner
from ..representations import CompleteSerialCompound
from ..results import single
from ..simulate import simulate
from ..tasks import PavlovianDesign
from .registry import Check

RW = "Rescorla–Wagner"
TDL = "TD(λ)"
RW_PARAMS = {"alpha": 0.2}
TD_PARAMS = {"alpha": 0.1, "gamma": 0.98, "lam": 0.9}


def run_both(design: PavlovianDesign, n_agents: int, seed: int, *, rw_model=None, rw_params=None,
             td_params=None) -> tuple[xr.Dataset, xr.Dataset]:
    """Simulate RW and TD(lambda)/CSC on the same design, seed and trial sequences."""
    rw = single(simulate(design, rw_model or RescorlaWagner(), rw_params or RW_PARAMS, n_agents=n_agents,
                         seed=seed))
    td = single(simulate(design, TD(), td_params or TD_PARAMS, representation=CompleteSerialCompound(),
                         n_agents=n_agents, seed=seed, record="trials"))
    return rw, td


def prediction(ds: xr.Dataset) -> xr.DataArray:
    """The learned prediction of the US on each trial, for either model."""
    return ds["value"] if ds.attrs["model"] == "rw" else ds["value_pre_us"]


def on(ds: xr.Dataset, trial_type: str, phase: str | None = None) -> float:
    """Mean prediction over agents and over the trials of ``trial_type`` (in ``phase``)."""
    mask = ds.trial_type == trial_type
    if phase is not None:
        mask = mask & (ds.phase == phase)
    if not bool(mask.any()):
        raise ValueError(f"no {trial_type!r} trials{'' if phase is None else f' in phase {phase!r}'}")
    return float(prediction(ds).where(mask).mean())


def curve(ds: xr.Dataset, trial_type: str) -> xr.DataArray:
    """Mean prediction on ``trial_type`` trials, by trial (NaN where another type ran)."""
    return prediction(ds).where(ds.trial_type == trial_type).mean("agent")


def tag(model: str, checks: list[Check]) -> list[Check]:
    return [dataclasses.replace(c, model=model) for c in checks]


def agents_on(ds: xr.Dataset, var: str, trial_type: str, phase: str | None = None,
              how: str = "mean") -> xr.DataArray:
    """Per agent: ``var`` over that agent's ``trial_type`` trials (in ``phase``), reduced by
    ``how``: their ``mean``, ``max``, or the ``first`` or ``last`` of them."""
    mask = ds.trial_type == trial_type
    if phase is not None:
        mask = mask & (ds.phase == phase)
    v = ds[var].where(mask)
    if how in ("mean", "max"):
        return getattr(v, how)("trial")
    if how in ("first", "last"):
        vals = v.transpose("agent", "trial").values
        pick = [row[np.isfinite(row)][0 if how == "first" else -1] for row in vals]
        return xr.DataArray(pick, dims="agent", coords={"agent": v.agent})
    raise ValueError(f"how must be 'mean', 'max', 'first' or 'last', got {how!r}")


def presentations(ds: xr.Dataset, var: str, trial_type: str) -> tuple[np.ndarray, np.ndarray]:
    """``var`` on each agent's k-th ``trial_type`` trial: ``(x, samples)`` with ``x[k]`` the mean
    trial number of the k-th presentation over agents and ``samples[k, agent]`` (trial orders
    differ between agents, so the trial number alone does not line up their presentations)."""
    mask = (ds.trial_type == trial_type).transpose("agent", "trial").values
    v = ds[var].transpose("agent", "trial").values
    counts = mask.sum(1)
    k = int(counts.min())
    trial = ds.trial.values
    x = np.stack([trial[m][:k] for m in mask]).mean(0)
    samples = np.stack([row[m][:k] for row, m in zip(v, mask)], 1)  # [k, agent]
    return x, samples


def figure(title: str, ds: xr.Dataset, tests: dict, curves: list[str] | None = None):
    """Left: RW cue strengths over trials; middle: TD prediction per trial type; right: the
    test values of both models side by side. Mean over agents with its 95 % confidence
    interval (bands, error bars); phases marked and named. ``tests``: label -> either
    ``(trial_type, phase[, how])``, read per agent from both models (:func:`agents_on`), or
    ``(rw value, td value)``."""
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.3), constrained_layout=True,
                             gridspec_kw={"width_ratios": [1.25, 1.25, 1]})
    trial = ds.trial.values
    phase = ds.phase.values
    bounds = [trial[i] - 0.5 for i in range(1, trial.size) if phase[i] != phase[i - 1]]
    names = [str(phase[0])] + [str(phase[i]) for i in range(1, trial.size) if phase[i] != phase[i - 1]]
    n = ds.sizes["agent"]
    a, b, c = axes
    # cues always presented together have the same strength: dashes keep both in view
    same = plot.overlapping({str(c): ds.rw_weights.sel(cue=c).mean("agent") for c in ds.cue.values})
    for k, (cue, colour) in enumerate(zip(ds.cue.values, plot.PALETTE * 3)):
        cue = str(cue)
        plot.band(a, trial, ds.rw_weights.sel(cue=cue), "agent", color=colour, zorder=2 + k,
                  label=f"{cue} (dashed: ≈ {same[cue]})" if cue in same else cue,
                  **(plot.DASHED if cue in same else {}))
    a.set_ylabel("associative strength V after the trial (a.u.)")
    a.set_title(f"{RW}: strength of each cue")
    types = curves if curves is not None else list(dict.fromkeys(np.asarray(ds.trial_type).ravel().tolist()))
    for t, colour in zip(types, plot.PALETTE * 3):
        x, samples = presentations(ds, "td_value_pre_us", t)
        if x.size <= 2:  # single test trials: points with error bars
            plot.errorbar(b, x, samples, 1, fmt="o", color=colour, label=t, ms=5)
        else:
            plot.band(b, x, samples, 1, color=colour, label=t, lw=1.3)
    b.set_ylabel("predicted US before the US (a.u.)")
    b.set_title(f"{TDL}, CSC: prediction on each trial type")
    rows = 1
    for ax in (a, b):
        ax.axhline(0, color=plot.GREY, lw=0.6)
        ax.set_xlabel("trial")
        ax.set_xlim(trial[0] - 0.5, trial[-1] + 0.5)
        rows = max(rows, plot.label_phases(ax, bounds, names))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2, handlelength=1.5)
    labels = list(tests)
    x = np.arange(len(labels))
    for k, (model, var, colour) in enumerate(((RW, "rw_value", "0.65"), (TDL, "td_value_pre_us", "0.25"))):
        offset = -0.2 if k == 0 else 0.2
        for i, lab in enumerate(labels):
            spec = tests[lab]
            if all(isinstance(v, str) for v in spec):
                plot.bars(c, [x[i] + offset], agents_on(ds, var, *spec).expand_dims("x"), "agent", width=0.4,
                          color=colour, label=model if i == 0 else None)
            else:
                c.bar(x[i] + offset, spec[k], 0.4, color=colour, label=model if i == 0 else None)
    c.set_xticks(x, labels, fontsize=8)
    c.axhline(0, color=plot.GREY, lw=0.6)
    c.set_xlabel("test")
    per_agent = all(all(isinstance(v, str) for v in spec) for spec in tests.values())
    c.set_ylabel("learned prediction (a.u.)" if per_agent else "measured value (as in the checks)")
    for ax in axes:
        ax.set_title(ax.get_title(), pad=6 + 10 * rows)
    c.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, borderaxespad=0.1)
    c.set_title("Test", pad=6 + 10 * rows + 14)
    fig.suptitle(title)
    plot.note(fig, f"Mean over {n} agents; bands and error bars: 95 % confidence interval of the mean (zero where every "
                   "agent sees the same trials). TD: the k-th trial of each type, at its mean position over agents.")
    return fig


def combined(rw: xr.Dataset, td: xr.Dataset) -> xr.Dataset:
    """One Dataset with both models' signals, prefixed ``rw_`` and ``td_``."""
    keep_rw = {f"rw_{k}": rw[k] for k in ("value", "rpe", "weights")}
    keep_td = {f"td_{k}": td[k] for k in ("value_pre_us", "value_cs", "rpe_cs", "rpe_us")}
    out = xr.Dataset({**keep_rw, **keep_td, "reward": rw.reward})
    if "trial_type" in rw.data_vars:
        out["trial_type"] = rw.trial_type
    out.attrs = {"design": rw.attrs["design"]}
    return out


def result(name: str, title: str, rw: xr.Dataset, td: xr.Dataset, checks: list[Check],
           tests: dict[str, tuple], curves: list[str] | None = None, sims: dict | None = None,
           **params):
    """The experiment's result: both models' signals in one Dataset, the figure, and the two
    simulations (plus ``sims``) whose provenance the registry keeps. ``tests``: the figure's
    test bars, label -> ``(trial_type, phase[, how])`` (read per agent, with a confidence
    interval) or ``(rw value, td value)``."""
    from .registry import ExperimentResult

    ds = combined(rw, td)
    return ExperimentResult(name, ds, checks, lambda: figure(title, ds, tests, curves),
                            params={"rw": rw.attrs["params"], "td": td.attrs["params"], **params},
                            sims={RW: rw, TDL: td, **(sims or {})})
