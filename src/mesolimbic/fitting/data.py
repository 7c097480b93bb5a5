"""Subjects' choices in: tidy tables (TSV/CSV or a DataFrame, one row per trial) in the field's conventions.

hBayesDM's example files load as they are. Column names match case- and
underscore-insensitively, as in hBayesDM (``level1_choice`` == ``Level1Choice``).
Subjects may have different numbers of trials: every array is padded to the
longest subject and comes with a ``mask`` (padding is never silently dropped
or truncated). Blocks (``prl_multipleB``) are separate sequences whose values
start afresh, mapped to their subject.

Validation errors name the problem, the column and the subject: a missing
required column (listing those present), non-numeric values, NaNs (an error
unless ``drop_nan=True``, which drops those rows and reports how many per
subject in ``ChoiceData.dropped``), choices outside the task's action set, a
subject with no trials left, duplicated trial numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["TASKS", "ChoiceData", "load_choices", "normalise"]

#: task -> required columns (hBayesDM names), optional columns, and the block column if any
TASKS = {
    "bandit2arm": {"columns": ("subjID", "choice", "outcome"), "trial": "trial", "n_actions": 2},
    "prl": {"columns": ("subjID", "choice", "outcome"), "trial": "trial", "n_actions": 2},
    "prl_multipleB": {"columns": ("subjID", "block", "choice", "outcome"), "trial": "trial", "n_actions": 2},
    "ts": {"columns": ("subjID", "level1_choice", "level2_choice", "reward"), "trial": "trial", "n_actions": 2},
    "gng": {"columns": ("subjID", "cue", "keyPressed", "outcome"), "trial": "trialNum", "n_actions": 2},
    "pst": {"columns": ("subjID", "type", "choice", "reward"), "trial": None, "n_actions": 2},
}
_PST_TYPES = {12: 0, 34: 1, 56: 2}


def normalise(name: str) -> str:
    """Column-name key: lower case, underscores removed (hBayesDM's rule)."""
    return str(name).lower().replace("_", "")


@dataclass
class ChoiceData:
    """Padded ``[sequence, trial]`` arrays of one task's data, with a mask.

    ``choice`` (0-based action), ``outcome``, ``cue`` (0-based state/cue; 0 when
    the task has one), ``mask`` (True on real trials), ``subject`` (the subject
    index of each sequence), ``subjects`` (the IDs, in order of first
    appearance), ``n_trials`` per sequence; two-step data also carry ``state2``
    and ``choice2``. ``dropped``: rows removed per subject by ``drop_nan``.
    """

    task: str
    subjects: list
    subject: np.ndarray
    choice: np.ndarray
    outcome: np.ndarray
    cue: np.ndarray
    mask: np.ndarray
    n_actions: int
    n_states: int = 1
    extra: dict = field(default_factory=dict)
    dropped: dict = field(default_factory=dict)
    table: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def n_subjects(self) -> int:
        return len(self.subjects)

    @property
    def n_trials(self) -> np.ndarray:
        """Trials per sequence."""
        return self.mask.sum(1)

    @property
    def one_sequence_each(self) -> bool:
        """True when sequence i is subject i (no blocks): parameters need no per-sequence copy."""
        return len(self.subject) == self.n_subjects and bool(np.all(self.subject == np.arange(self.n_subjects)))

    @property
    def n_trials_subject(self) -> np.ndarray:
        """Trials per subject (summed over blocks)."""
        return np.bincount(self.subject, weights=self.mask.sum(1), minlength=self.n_subjects).astype(int)


def _read(source) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    path = Path(source)
    if not path.exists():
        raise ValueError(f"data file {str(path)!r} does not exist")
    sep = "," if path.suffix.lower() == ".csv" else "\t"
    df = pd.read_csv(path, sep=sep)
    if df.shape[1] == 1 and sep == "\t" and "," in df.columns[0]:
        df = pd.read_csv(path, sep=",")
    return df


def load_choices(source, task: str, *, drop_nan: bool = False, n_actions: int | None = None) -> ChoiceData:
    """Read and validate one task's trial table (path or DataFrame); see the module docstring."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; the tasks are {sorted(TASKS)}")
    spec = TASKS[task]
    df = _read(source)
    present = {normalise(c): c for c in df.columns}
    need = list(spec["columns"])
    trial_col = spec["trial"]
    missing = [c for c in need if normalise(c) not in present]
    if missing:
        raise ValueError(f"{task} data: missing required column(s) {missing}; the columns present are "
                         f"{list(df.columns)}")
    cols = {c: present[normalise(c)] for c in need}
    if trial_col is not None and normalise(trial_col) in present:
        cols[trial_col] = present[normalise(trial_col)]
    else:
        trial_col = None
    df = df.rename(columns={v: k for k, v in cols.items()})[list(cols)]
    numeric = [c for c in cols if c != "subjID"]
    for c in numeric:
        conv = pd.to_numeric(df[c], errors="coerce")
        bad = conv.isna() & df[c].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.values)[0])
            raise ValueError(f"{task} data: column {c!r} must be numeric; row {i + 2} has {df[c].iloc[i]!r} "
                             f"({int(bad.sum())} such value(s))")
        df[c] = conv
    nan = df[list(cols)].isna()
    dropped: dict = {}
    if nan.values.any():
        if not drop_nan:
            counts = {c: int(nan[c].sum()) for c in cols if nan[c].any()}
            raise ValueError(f"{task} data: missing values (NaN) in required column(s) {counts}; fix the data or "
                             f"pass drop_nan=True to drop those rows")
        rows = nan.any(axis=1)
        dropped = {_py(k): int(v) for k, v in df.loc[rows, "subjID"].value_counts(dropna=False).items()}
        subjects_before = list(pd.unique(df["subjID"].dropna()))
        df = df.loc[~rows]
        gone = [_py(s) for s in subjects_before if s not in set(df["subjID"])]
        if gone:
            raise ValueError(f"{task} data: subject(s) {gone} have no trials left after dropping rows with NaNs")
    if df.empty:
        raise ValueError(f"{task} data: no trials")
    subjects = list(pd.unique(df["subjID"]))
    keys = ["subjID"] + (["block"] if "block" in df else [])
    if trial_col is not None:
        dup = df.duplicated(keys + [trial_col], keep=False)
        if dup.any():
            r = df.loc[dup].iloc[0]
            where = ", ".join(f"{k} {_py(r[k])!r}" for k in keys)
            raise ValueError(f"{task} data: duplicated trial number {int(r[trial_col])} ({where}); "
                             f"{int(dup.sum())} rows are duplicates")
        df = df.sort_values(keys + [trial_col], kind="stable")

    # per task: 0-based actions and cues
    if task == "ts":
        c1, c2 = df["level1_choice"].to_numpy(), df["level2_choice"].to_numpy()
        _check_values(task, "level1_choice", c1, {1, 2}, df)
        _check_values(task, "level2_choice", c2, {1, 2, 3, 4}, df)
        choice, state2, choice2 = (c1 - 1).astype(int), ((c2 - 1) // 2).astype(int), ((c2 - 1) % 2).astype(int)
        outcome, cue = df["reward"].to_numpy(float), np.zeros(len(df), int)
        extra_cols = {"state2": state2, "choice2": choice2}
    elif task == "gng":
        _check_values(task, "cue", df["cue"].to_numpy(), {1, 2, 3, 4}, df)
        _check_values(task, "keyPressed", df["keyPressed"].to_numpy(), {0, 1}, df)
        choice, cue = df["keyPressed"].to_numpy().astype(int), (df["cue"].to_numpy() - 1).astype(int)
        outcome, extra_cols = df["outcome"].to_numpy(float), {}
    elif task == "pst":
        _check_values(task, "type", df["type"].to_numpy(), set(_PST_TYPES), df)
        _check_values(task, "choice", df["choice"].to_numpy(), {0, 1}, df)
        cue = np.array([_PST_TYPES[int(t)] for t in df["type"]])
        choice = np.where(df["choice"].to_numpy() == 1, 0, 1)  # hBayesDM: 1 = the pair's first (better) option
        outcome, extra_cols = df["reward"].to_numpy(float), {}
    else:
        k = n_actions or spec["n_actions"]
        _check_values(task, "choice", df["choice"].to_numpy(), set(range(1, k + 1)), df)
        choice, cue = (df["choice"].to_numpy() - 1).astype(int), np.zeros(len(df), int)
        outcome, extra_cols = df["outcome"].to_numpy(float), {}

    seq_keys = list(zip(*(df[k] for k in keys)))
    seqs = list(dict.fromkeys(seq_keys))
    lengths = pd.Series(seq_keys).value_counts()
    T = int(lengths.max())
    S = len(seqs)
    idx = {s: i for i, s in enumerate(seqs)}
    row_seq = np.array([idx[s] for s in seq_keys])
    pos = np.zeros(len(df), int)
    counter = np.zeros(S, int)
    for r, s in enumerate(row_seq):
        pos[r] = counter[s]
        counter[s] += 1

    def pad(values, fill=0, dtype=None):
        out = np.full((S, T), fill, dtype or np.asarray(values).dtype)
        out[row_seq, pos] = values
        return out

    mask = pad(np.ones(len(df), bool), False, bool)
    data = ChoiceData(task=task, subjects=subjects, subject=np.array([subjects.index(s[0]) for s in seqs]),
                      choice=pad(choice, 0, np.int32), outcome=pad(outcome, 0.0, np.float32),
                      cue=pad(cue, 0, np.int32), mask=mask, n_actions=n_actions or spec["n_actions"],
                      n_states={"gng": 4, "pst": 3}.get(task, 1),
                      extra={k: pad(v, 0, np.int32) for k, v in extra_cols.items()}, dropped=dropped,
                      table=df.reset_index(drop=True))
    return data


def _check_values(task, column, values, allowed, df) -> None:
    bad = ~np.isin(values, list(allowed))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{task} data: column {column!r} must take values in {sorted(allowed)}; subject "
                         f"{_py(df['subjID'].iloc[i])!r} has {_py(values[i])!r} ({int(bad.sum())} such row(s))")


def _py(x):
    """A NumPy scalar as the plain Python value (for readable messages)."""
    x = x.item() if hasattr(x, "item") else x
    return int(x) if isinstance(x, float) and x.is_integer() else x
