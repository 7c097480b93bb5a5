"""Model-based fMRI: a fitted model's regressors as BIDS events and a first-level design matrix.

The trial-wise RPE of a fitted model (:meth:`NeuralFit.regressors`, or any table with
``subjID`` and regressor columns) becomes BIDS events — impulses at CS onset and at
the US with the RPE as the parametric modulation, written with
:func:`mesolimbic.fitting.regressors.write_bids_events` — and the events become a
first-level design matrix through nilearn's ``make_first_level_design_matrix``,
which convolves each regressor with the haemodynamic response (SPM's canonical HRF
by default; Friston et al. 1998, NeuroImage 7:30). Parametric modulators are
mean-centred per regressor, as SPM does, so the onset regressors carry the mean
response and the modulators the trial-by-trial RPE (O'Doherty et al. 2003, Neuron
38:329; O'Doherty, Hampton & Kim 2007, Ann NY Acad Sci 1104:35).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..fitting.regressors import events as _events
from ..fitting.regressors import write_bids_events

__all__ = ["bids_events", "design_matrix", "write_events", "fit_glm"]

#: regressor column -> (onset column, events name)
DEFAULT_REGRESSORS = {"rpe_cs": ("cs_time", "rpe_cs"), "rpe_us": ("us_time", "rpe_us")}


def bids_events(table: pd.DataFrame, regressors: dict | None = None, *, onsets: bool = True,
                demean: bool = True) -> pd.DataFrame:
    """BIDS events from a regressor table: for each ``{column: (onset column, name)}`` one
    impulse per trial with the column's value as ``modulation`` (mean-centred per subject with
    ``demean``), and with ``onsets`` an unmodulated regressor per onset column (``cs``, ``us``)."""
    regressors = DEFAULT_REGRESSORS if regressors is None else regressors
    parts = []
    for col, (on, name) in regressors.items():
        for c in (col, on):
            if c not in table:
                raise ValueError(f"regressor table has no column {c!r}; columns: {list(table.columns)}")
        sub = table[np.isfinite(table[col].to_numpy(float)) & np.isfinite(table[on].to_numpy(float))]
        if sub.empty:
            raise ValueError(f"no trial has both {col!r} and an onset in {on!r} (the CS onset times are needed; "
                             f"give cs_time in the recordings)")
        ev = _events(sub.rename(columns={col: name}), on, names=(name,))
        if demean:
            ev["modulation"] = ev["modulation"] - ev.groupby("subjID")["modulation"].transform("mean")
        parts.append(ev)
        if onsets:
            parts.append(ev.assign(trial_type=on.replace("_time", ""), modulation=1.0))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["subjID", "onset", "trial_type"], kind="stable").reset_index(drop=True)


def write_events(table: pd.DataFrame, out_dir, task: str = "pavlovian", **kwargs) -> list:
    """:func:`bids_events` written as BIDS events files (one per subject, plus the sidecar)."""
    return write_bids_events(bids_events(table, **kwargs), out_dir, task,
                             {"rpe_cs": "model RPE at CS onset (mean-centred)",
                              "rpe_us": "model RPE at the US (mean-centred)", "cs": "CS onset", "us": "US time"})


def design_matrix(events: pd.DataFrame, frame_times: np.ndarray, *, hrf_model: str = "spm",
                  drift_model: str | None = "cosine", high_pass: float = 0.01) -> pd.DataFrame:
    """nilearn's first-level design matrix of one subject's events (columns ``onset``,
    ``duration``, ``trial_type``, ``modulation``; e.g. a file from :func:`write_events`)."""
    try:
        from nilearn.glm.first_level import make_first_level_design_matrix
    except ImportError as e:  # pragma: no cover
        raise ImportError("the fMRI design matrix needs nilearn: pip install 'mesolimbic[neural]'") from e
    ev = events
    if "subjID" in ev and ev["subjID"].nunique() > 1:
        raise ValueError(f"events of one subject at a time; got {ev['subjID'].nunique()} subjects")
    ev = ev[["onset", "duration", "trial_type", "modulation"]]
    import warnings

    with warnings.catch_warnings():  # impulses (duration 0) are what the events mean
        warnings.filterwarnings("ignore", message="The following conditions contain events with null duration")
        return make_first_level_design_matrix(np.asarray(frame_times, float), ev, hrf_model=hrf_model,
                                              drift_model=drift_model, high_pass=high_pass)


def fit_glm(bold: np.ndarray, X: pd.DataFrame, noise_model: str = "ar1") -> pd.DataFrame:
    """Fit nilearn's first-level GLM (``run_glm``) to ``bold`` ``[scans, voxels]``; returns the
    estimates ``[regressor x voxel]`` with their t statistics as ``<regressor>_t`` rows."""
    from nilearn.glm.first_level import run_glm

    Y = np.asarray(bold, float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.shape[0] != len(X):
        raise ValueError(f"BOLD has {Y.shape[0]} scans but the design matrix {len(X)} rows")
    labels, results = run_glm(Y, X.to_numpy(), noise_model=noise_model)
    beta = np.zeros((X.shape[1], Y.shape[1]))
    tval = np.zeros_like(beta)
    for lab, res in results.items():
        idx = labels == lab
        beta[:, idx] = res.theta
        for j in range(X.shape[1]):
            c = np.zeros(X.shape[1])
            c[j] = 1.0
            tval[j, idx] = res.Tcontrast(c).t
    cols = list(X.columns)
    return pd.DataFrame(np.vstack([beta, tval]), index=cols + [f"{c}_t" for c in cols])
