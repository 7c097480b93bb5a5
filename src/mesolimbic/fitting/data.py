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

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_count

__all__ = ["TASKS", "ChoiceData", "load_choices", "normalise"]

#: task -> required columns (hBayesDM names), optional columns, and the block column if any
TASKS: dict[str, dict[str, Any]] = {
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
    the task has one), ``mask`` (True on real trials; padding only after a sequence's
    last real trial, which the likelihood relies on and construction checks), ``subject`` (the subject
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

    def __post_init__(self) -> None:
        # padding only at the end of a sequence: the likelihood relies on it (no real trial
        # follows a padded one, so the learner's state is never frozen mid-sequence)
        m = self.mask
        if isinstance(m, np.ndarray) and m.ndim == 2 and m.size:
            gap = m[:, 1:] & ~m[:, :-1]
            if gap.any():
                s, t = np.argwhere(gap)[0]
                raise ValueError(f"mask: sequence {s} has a real trial ({t + 2}) after a padded one; padding "
                                 f"must come after the last real trial of each sequence")

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


_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"PK\x03\x04", "zip"))
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8-sig"),
         (b"\xfe\xff", "utf-16"), (b"\xff\xfe", "utf-16"))
_F32_MAX = float(np.finfo(np.float32).max)


def _decompress(raw: bytes, name: str) -> bytes:
    """gzip, bz2 and xz files are read through; a zip archive is refused (it may hold several files)."""
    for magic, kind in _COMPRESSED:
        if raw.startswith(magic):
            if kind == "zip":
                raise ValueError(f"data file {name} is a zip archive; unzip it and pass the table inside")
            import bz2
            import gzip
            import lzma

            try:
                return {"gzip": gzip.decompress, "bz2": bz2.decompress, "xz": lzma.decompress}[kind](raw)
            except (OSError, EOFError, ValueError, lzma.LZMAError) as e:
                raise ValueError(f"data file {name} looks {kind}-compressed but cannot be decompressed "
                                 f"({' '.join(str(e).split())})") from None
    return raw


def _decode(raw: bytes, name: str) -> str:
    """UTF-8 (with or without a byte-order mark), or UTF-16/32 with a byte-order mark (Excel's
    "Unicode text"); anything else is refused with the offending byte named."""
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(enc).lstrip("\ufeff")
            except UnicodeDecodeError as e:
                raise ValueError(f"data file {name} starts with a {enc.upper()} byte-order mark but is not valid "
                                 f"{enc.upper()} (at byte {e.start}); save it as UTF-8") from None
    head = raw[:4096]
    if b"\x00" in head and len(raw) % 2 == 0:  # UTF-16 without a byte-order mark: ASCII text has
        for enc, zeros in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):  # every other byte 0
            if zeros.count(0) >= 0.9 * len(zeros):
                try:
                    text = raw.decode(enc)
                except UnicodeDecodeError:
                    break
                if "\x00" not in text:
                    return text
                break
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if b"\x00" in head:
            raise ValueError(f"data file {name} is binary, not a text table; save it as UTF-8 tab- or "
                             f"comma-separated text") from None
        line = raw[:e.start].count(b"\n") + 1
        raise ValueError(f"data file {name} is not UTF-8 text (byte 0x{raw[e.start]:02x} on line {line}, e.g. "
                         f"Latin-1 or Windows-1252); save it as UTF-8, e.g. iconv -f latin1 -t utf-8") from None
    if "\x00" in text:
        raise ValueError(f"data file {name} is binary (it contains NUL bytes), not a text table")
    return text


def _read(source) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if not isinstance(source, (str, Path)) and not hasattr(source, "__fspath__"):
        raise ValueError(f"data must be a path to a TSV/CSV file or a pandas DataFrame, got {type(source).__name__}")
    path = Path(source)
    name = repr(str(path))
    if not path.exists():
        raise ValueError(f"data file {name} does not exist")
    if path.is_dir():
        raise ValueError(f"data file {name} is a folder, not a file")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read data file {name}: {e.strerror or e}") from None
    text = _decode(_decompress(raw, name), name)
    if not text.strip():
        raise ValueError(f"data file {name} is empty; expected a header line and one row per trial")
    header = text.splitlines()[0]
    suffixes = [x.lower() for x in path.suffixes]
    sep = "," if ".csv" in suffixes else "\t"
    if sep == "\t" and "\t" not in header and "," in header:
        sep = ","  # a comma-separated file with another suffix
    import csv

    names = next(csv.reader([header], delimiter=sep))
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"data file {name}: column name(s) {dup} appear more than once in the header")
    try:
        return pd.read_csv(io.StringIO(text), sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as e:
        what = "comma" if sep == "," else "tab"
        raise ValueError(f"data file {name} is not a {what}-separated table: {' '.join(str(e).split())}") from None


def load_choices(source, task: str, *, drop_nan: bool = False, n_actions: int | None = None) -> ChoiceData:
    """Read and validate one task's trial table (path or DataFrame); see the module docstring."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; the tasks are {sorted(TASKS)}")
    spec = TASKS[task]
    if n_actions is not None:
        n_actions = check_count("n_actions", n_actions, 2)
    df = _read(source)
    if df.columns.duplicated().any():
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise ValueError(f"{task} data: column name(s) {dup} appear more than once")
    need = list(spec["columns"])
    trial_col = spec["trial"]
    matches: dict[str, list] = {}
    for c in df.columns:
        matches.setdefault(normalise(c), []).append(c)
    for c in need + ([trial_col] if trial_col else []):
        if len(matches.get(normalise(c), [])) > 1:
            raise ValueError(f"{task} data: columns {[str(x) for x in matches[normalise(c)]]} all match the column "
                             f"{c!r} (names match case- and underscore-insensitively); keep one of them")
    present = {k: v[0] for k, v in matches.items()}
    missing = [c for c in need if normalise(c) not in present]
    if missing:
        raise ValueError(f"{task} data: missing required column(s) {missing}; the columns present are "
                         f"{[str(c) for c in df.columns]}")
    cols = {c: present[normalise(c)] for c in need}
    if trial_col is not None and normalise(trial_col) in present:
        cols[trial_col] = present[normalise(trial_col)]
    else:
        trial_col = None
    df = pd.DataFrame({k: df[v].to_numpy() for k, v in cols.items()})
    _check_ids(task, df["subjID"])
    numeric = [c for c in cols if c != "subjID"]
    for c in numeric:
        df[c] = _numeric(task, c, df[c])
    nan = df[list(cols)].isna()
    dropped: dict = {}
    if nan.values.any():
        if not drop_nan:
            counts = {c: int(nan[c].sum()) for c in cols if nan[c].any()}
            first = int(np.flatnonzero(nan.values.any(1))[0])
            raise ValueError(f"{task} data: missing values (NaN) in required column(s) {counts}, first in row "
                             f"{first + 2}; fix the data or pass drop_nan=True to drop those rows")
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
            raise ValueError(f"{task} data: duplicated trial number {_py(r[trial_col])} ({where}); "
                             f"{int(dup.sum())} rows are duplicates")
        # subjects in order of first appearance (their IDs may be of mixed types, which do not sort)
        order = pd.DataFrame({"_s": pd.factorize(df["subjID"])[0], **{k: df[k] for k in keys[1:]},
                              "_t": df[trial_col]}, index=df.index)
        df = df.loc[order.sort_values(["_s", *keys[1:], "_t"], kind="stable").index]

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


def _check_ids(task, ids: pd.Series) -> None:
    """Subject IDs are names or numbers (one value per row)."""
    ok = ids.map(lambda v: v is None or isinstance(v, (str, bytes, int, float, np.number, np.bool_)))
    if not ok.all():
        i = int(np.flatnonzero(~ok.to_numpy())[0])
        raise ValueError(f"{task} data: column 'subjID' must hold a name or a number per row; row {i + 2} has "
                         f"{ids.iloc[i]!r}")


def _numeric(task, column, values: pd.Series) -> pd.Series:
    """``values`` as float64, refusing text, complex numbers, infinities and values that overflow
    float32 (the arrays handed to the models are float32: 1e39 would become inf there) with the
    row and the column named. NaN stays NaN (missing)."""
    try:
        conv = pd.to_numeric(values, errors="coerce")
    except (TypeError, ValueError):
        conv = pd.Series([_to_float(v) for v in values], index=values.index, dtype=float)
    if np.iscomplexobj(conv.to_numpy()):
        conv = pd.Series([_to_float(v) for v in values], index=values.index, dtype=float)
    bad = conv.isna() & values.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{task} data: column {column!r} must be numeric; row {i + 2} has {values.iloc[i]!r} "
                         f"({int(bad.sum())} such value(s))")
    conv = conv.astype(float)
    x = conv.to_numpy()
    inf = np.isinf(x)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise ValueError(f"{task} data: column {column!r} must hold finite numbers; row {i + 2} has "
                         f"{_cell(values.iloc[i])} ({int(inf.sum())} such value(s))")
    big = np.abs(np.nan_to_num(x)) > _F32_MAX
    if big.any():
        i = int(np.flatnonzero(big)[0])
        raise ValueError(f"{task} data: column {column!r} has {_cell(values.iloc[i])} in row {i + 2}, beyond the "
                         f"float32 range (|x| <= {_F32_MAX:.4g}) the models compute in; rescale the column")
    return conv


def _cell(v) -> str:
    """A cell as the user would write it: ``inf``, ``1e+39``, ``'text'``."""
    v = v.item() if isinstance(v, np.generic) else v
    return repr(v)


def _to_float(v) -> float:
    """One cell as a real number, NaN when it is not one (complex numbers included)."""
    if v is None or isinstance(v, (complex, np.complexfloating, bool, np.bool_)):
        return np.nan if not isinstance(v, (bool, np.bool_)) else float(v)
    try:
        return float(v)
    except (TypeError, ValueError, OverflowError):
        return np.nan


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
