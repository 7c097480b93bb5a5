"""Trial-wise regressors: every internal signal of a fitted model on every trial, as a
tidy table, and as BIDS-style events for fMRI design matrices (nilearn's
``make_first_level_design_matrix`` takes ``onset``, ``duration``, ``trial_type``,
``modulation``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data import ChoiceData
from .likelihood import data_arrays, trial_outputs
from .models import FitModel, get_model

__all__ = ["regressors", "events", "write_bids_events", "posterior_point"]


def regressors(model: FitModel | str, params: dict, data: ChoiceData) -> pd.DataFrame:
    """One row per real trial: ``subjID`` (``block``), ``trial``, ``choice`` (1-based),
    ``outcome``, and every output of the learner's step with ``params`` (per-subject
    arrays): scalars by name (``rpe``, ...), ``p_choice`` (probability of the choice
    made), and for per-action vectors (values ``q``, probabilities ``p``...) the
    ``_chosen`` and ``_unchosen`` entries (the mean of the others when there are more
    than two) and one column per action. For the two-step task every output comes per
    stage, with the suffix ``_stage1`` or ``_stage2`` (``rpe_stage1`` is the first-stage
    error, ``p_2_stage1`` the probability of first-stage option 2)."""
    model = get_model(model) if isinstance(model, str) else model
    inputs = data_arrays(model, data)
    out = {k: np.asarray(v) for k, v in trial_outputs(model, params, data, inputs).items()}
    mask = data.mask
    seq, trial = np.nonzero(mask)
    df = pd.DataFrame({"subjID": np.asarray(data.subjects, dtype=object)[data.subject[seq]]})
    if data.task == "prl_multipleB":
        df["block"] = np.concatenate([np.full(n, i) for i, n in enumerate(data.n_trials)])  # sequence index
    df["trial"] = trial + 1
    choice = data.choice[seq, trial]
    df["choice"] = choice + 1
    df["outcome"] = data.outcome[seq, trial]
    K = data.n_actions
    staged = data.task == "ts"
    actions = np.asarray(inputs["action"])[seq, trial]  # [rows, stages]
    for j in range(actions.shape[1]):
        sfx = f"_stage{j + 1}" if staged else ""
        chosen_a = actions[:, j]
        for k, v in out.items():
            v = v[seq, trial]
            if staged:
                v = v[:, j]
            if k == "log_prob":
                df[f"p_choice{sfx}"] = np.exp(v)
            elif v.ndim == 1:
                df[f"{k}{sfx}"] = v
            elif v.ndim == 2 and v.shape[1] == K and K >= 2:
                chosen = v[np.arange(len(v)), chosen_a] if v.shape[1] > int(chosen_a.max()) else np.full(len(v), np.nan)
                df[f"{k}_chosen{sfx}"] = chosen
                df[f"{k}_unchosen{sfx}"] = (v.sum(1) - chosen) / (K - 1)
                for a in range(K):
                    df[f"{k}_{a + 1}{sfx}"] = v[:, a]
            else:
                for a in range(v.shape[1]):
                    df[f"{k}_{a + 1}{sfx}"] = v[:, a]
    return df


def events(table: pd.DataFrame, onsets, names=("rpe",), duration: float = 0.0) -> pd.DataFrame:
    """BIDS-style events from a regressor ``table``: one row per trial and regressor with
    ``onset`` (seconds; a column of ``table`` or an array aligned with its rows),
    ``duration``, ``trial_type`` (the regressor's name) and ``modulation`` (its value),
    plus ``subjID``. Ready for ``nilearn.glm.first_level.make_first_level_design_matrix``
    (one subject at a time)."""
    on = table[onsets].to_numpy(float) if isinstance(onsets, str) else np.asarray(onsets, float)
    if on.shape != (len(table),):
        raise ValueError(f"onsets must give one time per row of the table ({len(table)}), got shape {on.shape}")
    missing = [n for n in names if n not in table]
    if missing:
        raise ValueError(f"regressor(s) {missing} are not in the table; available: {list(table.columns)}")
    rows = [pd.DataFrame({"subjID": table["subjID"].to_numpy(), "onset": on, "duration": float(duration),
                          "trial_type": n, "modulation": table[n].to_numpy(float)}) for n in names]
    return pd.concat(rows, ignore_index=True).sort_values(["subjID", "onset", "trial_type"], kind="stable") \
        .reset_index(drop=True)


#: what the columns of a BIDS events file mean (its JSON sidecar)
EVENT_COLUMNS = {
    "onset": {"LongName": "event onset", "Description": "time of the event from the start of the run",
              "Units": "s"},
    "duration": {"LongName": "event duration", "Description": "0 for an impulse at the onset", "Units": "s"},
    "trial_type": {"LongName": "regressor", "Description": "the model signal this row modulates"},
    "modulation": {"LongName": "parametric modulation", "Description": "the regressor's value on the trial, "
                   "computed by the fitted model (e.g. the reward prediction error)", "Units": "a.u."},
}


def _bids_label(x) -> str:
    import re

    label = re.sub(r"[^A-Za-z0-9]", "", str(x))
    if not label:
        raise ValueError(f"subject {x!r} has no letters or digits to make a BIDS label from")
    return label


def write_bids_events(table: pd.DataFrame, out_dir, task: str, descriptions: dict | None = None) -> list:
    """Write ``events(...)`` output as BIDS events files, one per subject:
    ``sub-<label>/func/sub-<label>_task-<task>_events.tsv`` (columns ``onset``,
    ``duration``, ``trial_type``, ``modulation``; subject labels keep the letters and
    digits of ``subjID``), plus the JSON sidecar ``task-<task>_events.json`` at the
    top of ``out_dir`` describing the columns and the regressors (``descriptions``:
    ``{regressor: text}`` for the ``trial_type`` levels). Returns the paths written.
    Files are written atomically; nilearn reads them with
    ``nilearn.glm.first_level.first_level_from_bids`` or directly with pandas."""
    import json
    from pathlib import Path

    from ..io import atomic_path

    need = {"subjID", "onset", "duration", "trial_type", "modulation"}
    if not need <= set(table.columns):
        raise ValueError(f"events table needs columns {sorted(need)} (from fitting.events), got {list(table.columns)}")
    task_label = _bids_label(task)
    out = Path(out_dir)
    labels = {s: _bids_label(s) for s in pd.unique(table["subjID"])}
    clash = len(set(labels.values())) != len(labels)
    if clash:
        raise ValueError(f"subject IDs {list(labels)} give clashing BIDS labels {list(labels.values())}")
    written = []
    for subj, label in labels.items():
        rows = table.loc[table["subjID"] == subj, ["onset", "duration", "trial_type", "modulation"]]
        path = out / f"sub-{label}" / "func" / f"sub-{label}_task-{task_label}_events.tsv"
        with atomic_path(path) as tmp:
            rows.to_csv(tmp, sep="\t", index=False, na_rep="n/a")
        written.append(path)
    levels = {str(k): (descriptions or {}).get(k, f"model regressor {k!r}") for k in pd.unique(table["trial_type"])}
    sidecar = {**EVENT_COLUMNS, "trial_type": {**EVENT_COLUMNS["trial_type"], "Levels": levels}}
    path = out / f"task-{task_label}_events.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(sidecar, indent=1), encoding="utf-8")
    written.append(path)
    return written


def posterior_point(idata, model: FitModel | str, stat: str = "mean") -> dict:
    """Per-subject parameters at the posterior mean or median of an InferenceData fit."""
    model = get_model(model) if isinstance(model, str) else model
    if stat not in ("mean", "median"):
        raise ValueError(f"stat must be 'mean' or 'median', got {stat!r}")
    from .tables import label_map

    post = idata.posterior
    var = label_map(model, idata.attrs.get("names", "mesolimbic"))  # the names the posterior was written with
    red = (lambda v: v.mean(("chain", "draw"))) if stat == "mean" else (lambda v: v.median(("chain", "draw")))
    return {k: np.asarray(red(post[var[k]]), float) for k in model.param_names}
