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


def figure(title: str, rw: xr.Dataset, td: xr.Dataset, tests: dict[str, tuple[float, float]],
           curves: list[str] | None = None):
    """Left: RW cue strengths over trials; middle: TD prediction per trial type;
    right: the test values of both models side by side."""
    from ..plot import plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True,
                             gridspec_kw={"width_ratios": [1.3, 1.3, 1]})
    trial = rw.trial.values
    bounds = [trial[i] - 0.5 for i in range(1, trial.size) if rw.phase.values[i] != rw.phase.values[i - 1]]
    w = rw.weights.mean("agent")
    for cue in rw.cue.values:
        axes[0].plot(trial, w.sel(cue=cue), lw=1.6, label=str(cue))
    axes[0].set_title(f"{RW}: associative strength V", fontsize=10)
    axes[0].legend(fontsize=8, ncol=2, frameon=False)
    types = curves if curves is not None else list(dict.fromkeys(np.asarray(td.trial_type).ravel().tolist()))
    for t in types:
        c = curve(td, t)
        ok = np.isfinite(c.values)
        axes[1].plot(trial[ok], c.values[ok], ".", ms=3, label=t)
    axes[1].set_title(f"{TDL}: prediction before the US, per trial type", fontsize=10)
    axes[1].legend(fontsize=8, ncol=2, frameon=False, markerscale=3)
    for ax in axes[:2]:
        for b in bounds:
            ax.axvline(b, color="0.6", lw=0.8, ls="--")
        ax.axhline(0, color="0.3", lw=0.6)
        ax.set_xlabel("trial")
    labels = list(tests)
    x = np.arange(len(labels))
    axes[2].bar(x - 0.2, [tests[k][0] for k in labels], 0.4, label=RW, color="tab:blue")
    axes[2].bar(x + 0.2, [tests[k][1] for k in labels], 0.4, label=TDL, color="tab:orange")
    axes[2].set_xticks(x, labels, fontsize=8, rotation=15)
    axes[2].axhline(0, color="0.3", lw=0.6)
    axes[2].set_title("test: learned prediction", fontsize=10)
    axes[2].legend(fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
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
           tests: dict[str, tuple[float, float]], curves: list[str] | None = None, sims: dict | None = None,
           **params):
    """The experiment's result: both models' signals in one Dataset, the figure, and the two
    simulations (plus ``sims``) whose provenance the registry keeps."""
    from .registry import ExperimentResult

    return ExperimentResult(name, combined(rw, td), checks, lambda: figure(title, rw, td, tests, curves),
                            params={"rw": rw.attrs["params"], "td": td.attrs["params"], **params},
                            sims={RW: rw, TDL: td, **(sims or {})})
