"""Trial-aligned recordings in, as arrays on the design's time grid.

A recording becomes a :class:`NeuralData`: per session (a subject's photometry
fiber, a unit, or a subject's behaviour), the sequence of trial types and the
reward delivered, and the signal of every trial on the time grid of a
:class:`~mesolimbic.tasks.pavlovian.PavlovianDesign` (bins of ``dt`` seconds
from CS onset). The trial types *are* the design's trial types, so the model is
run on exactly the recorded session (:func:`mesolimbic.neural.fit.fit_neural`).

Sources:

* a tidy table (:func:`read_table`): one row per trial and time bin with
  ``subject``, ``trial``, ``trial_type``, ``reward``, ``time`` (s from CS
  onset) and ``signal`` (behaviour: one row per trial, no ``time``);
* NWB files (:func:`read_nwb`), the format of the DANDI archive: a ``trials``
  table with ``start_time``, ``stop_time``, ``cs_time`` (session time of CS
  onset), ``trial_type`` and ``reward``; photometry as a
  ``FiberPhotometryResponseSeries`` (``ndx-fiber-photometry``) or any
  ``TimeSeries`` in ``acquisition``; spikes as the ``units`` table (each unit
  one session, binned into counts); behaviour as a ``response`` column of the
  trials table. :func:`write_nwb` writes the same layout (used by the tests and
  the round-trip experiment).

Every problem with the input raises a one-line ``ValueError`` that names what
is wrong (a missing trials table, a signal not aligned with the design's grid,
no units, an unknown trial type).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..tasks.pavlovian import PavlovianDesign, Phase
from datetime import UTC

__all__ = ["NeuralData", "READOUTS", "read_table", "read_nwb", "write_nwb", "design_for", "to_table"]

READOUTS = ("photometry", "spikes", "behaviour")


@dataclass
class NeuralData:
    """Recorded sessions on a design's grid.

    Attributes:
      design: the :class:`PavlovianDesign` the sessions ran (its trial types, cue and US timing
        and time grid; the phases only record the counts).
      readout: ``"photometry"`` (also voltammetry: any continuous signal), ``"spikes"``
        (counts per bin) or ``"behaviour"`` (one response per trial).
      subjects: ``[N]`` session IDs.
      trial_type: ``[N, T]`` index into the design's trial types (padded trials: 0).
      reward: ``[N, T]`` US magnitude delivered.
      signal: ``[N, T, S]`` (behaviour: ``[N, T, 1]``); NaN where not recorded.
      mask: ``[N, T]`` True for real trials (False for padding).
      cs_time: ``[N, T]`` session time of CS onset (s), for events files (NaN if unknown).
    """

    design: PavlovianDesign
    readout: str
    subjects: np.ndarray
    trial_type: np.ndarray
    reward: np.ndarray
    signal: np.ndarray
    mask: np.ndarray
    cs_time: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.readout not in READOUTS:
            raise ValueError(f"readout must be one of {list(READOUTS)}, got {self.readout!r}")
        N, T = self.trial_type.shape
        S = 1 if self.readout == "behaviour" else self.design.n_steps
        if self.signal.shape != (N, T, S):
            raise ValueError(f"signal not aligned: expected shape {(N, T, S)} (sessions, trials, time bins of the "
                             f"design), got {self.signal.shape}")
        if self.cs_time is None:
            self.cs_time = np.full((N, T), np.nan)

    @property
    def n_subjects(self) -> int:
        return int(self.trial_type.shape[0])

    @property
    def n_trials_subject(self) -> np.ndarray:
        return self.mask.sum(1)

    @property
    def n_obs_subject(self) -> np.ndarray:
        """Observations per session (finite signal values on real trials): the n of BIC."""
        return (np.isfinite(self.signal) & self.mask[..., None]).sum((1, 2))

    @property
    def times(self) -> np.ndarray:
        return self.design.times


def _check_columns(df: pd.DataFrame, need: Sequence[str], what: str) -> None:
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s) {missing}; it has {list(df.columns)}")


def design_for(trial_types: Sequence[str], design: PavlovianDesign | None = None, *, dt: float = 0.1,
               window: tuple[float, float] | None = None, us_time: float = 1.0,
               name: str = "recorded") -> PavlovianDesign:
    """The design of a recorded session.

    With ``design`` given, every recorded trial type must be one of its trial types. Otherwise
    the labels are read in the conditioning notation of :meth:`PavlovianDesign.from_notation`
    (``"A+"``, ``"A+0.5"``, ``"AB-"``, ``"B>A-"``), with the US ``us_time`` s after the last
    element's onset, on a grid of ``dt`` over ``window`` (default: from ``-2 dt`` to 3 steps
    past the latest US)."""
    labels = [str(t) for t in pd.unique(np.asarray(trial_types, dtype=object))]
    if design is not None:
        known = [t.name for t in design.trial_types]
        unknown = [t for t in labels if t not in known]
        if unknown:
            raise ValueError(f"trial type(s) {unknown} are not in the design {design.name!r}; its trial types: {known}")
        return design
    if not labels:
        raise ValueError("no trials: the recording has no trial types")
    base = PavlovianDesign.from_notation([("recorded", {t: 1 for t in labels})], us_time=us_time, dt=dt,
                                         name=name)
    if window is None:
        return base
    return PavlovianDesign(base.trial_types, base.phases, dt=dt, window=tuple(window), iti=base.iti, name=name)


def _with_counts(design: PavlovianDesign, names: np.ndarray) -> PavlovianDesign:
    """The design with one phase holding the recorded count of each trial type (the recorded
    order itself is in the data)."""
    vals, counts = np.unique(names, return_counts=True)
    trials = {str(v): int(c) for v, c in zip(vals, counts)}
    return PavlovianDesign(design.trial_types, [Phase("recorded", trials, "random" if len(trials) > 1 else None)],
                           dt=design.dt, window=design.window, iti=design.iti, name=design.name)


def _grid_index(design: PavlovianDesign, t: np.ndarray, what: str) -> np.ndarray:
    """Bin index of times ``t`` on the design's grid; one-line error if any is off the grid."""
    grid = design.times
    k = np.rint((np.asarray(t, float) - grid[0]) / design.dt).astype(int)
    bad = (k < 0) | (k >= grid.size) | ~np.isclose(grid[np.clip(k, 0, grid.size - 1)], t, atol=1e-3 * design.dt)
    if bad.any():
        first = np.asarray(t)[bad][0]
        raise ValueError(f"signal not aligned: {what} time {first!r} s is not on the design's grid "
                         f"({grid[0]:g} to {grid[-1]:g} s in steps of {design.dt:g} s)")
    return k


def _assemble(design, readout, sessions) -> NeuralData:
    """``sessions``: list of (id, names [T], reward [T], signal [T, S], cs_time [T])."""
    if not sessions:
        raise ValueError("no sessions to fit: the recording holds no trials")
    all_names = np.concatenate([s[1] for s in sessions]).astype(str)
    design = _with_counts(design, all_names)
    type_names = [t.name for t in design.trial_types]
    N, T = len(sessions), max(len(s[1]) for s in sessions)
    S = 1 if readout == "behaviour" else design.n_steps
    types, reward = np.zeros((N, T), np.int32), np.zeros((N, T), np.float32)
    signal, mask, cs = np.full((N, T, S), np.nan), np.zeros((N, T), bool), np.full((N, T), np.nan)
    for i, (_, names, rew, sig, cst) in enumerate(sessions):
        n = len(names)
        types[i, :n] = [type_names.index(str(x)) for x in names]
        reward[i, :n], signal[i, :n], mask[i, :n], cs[i, :n] = rew, sig, True, cst
    if not np.isfinite(reward[mask]).all():
        raise ValueError("reward has missing or non-finite values; give the US magnitude delivered (0 if omitted)")
    subjects = np.asarray([s[0] for s in sessions], dtype=object)
    if len(set(map(str, subjects))) != N:
        raise ValueError(f"session IDs are not unique: {list(map(str, subjects))}")
    return NeuralData(design, readout, subjects, types, reward, signal, mask, cs)


def read_table(table: pd.DataFrame | str | os.PathLike, readout: str = "photometry", *,
               design: PavlovianDesign | None = None, dt: float | None = None, us_time: float = 1.0) -> NeuralData:
    """Recordings from a tidy table (a DataFrame or a CSV/TSV path).

    Columns: ``subject``, ``trial`` (order within the session), ``trial_type`` (a trial type of
    ``design``, or a label in the conditioning notation), ``reward`` (US magnitude delivered),
    ``time`` (s from CS onset; not for behaviour) and ``signal``; optional ``cs_time`` (session
    time of CS onset). Each (subject, trial) must have one trial type and reward; each time must
    fall on the design's grid (``dt`` defaults to the spacing of the recorded times)."""
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {list(READOUTS)}, got {readout!r}")
    if not isinstance(table, pd.DataFrame):
        path = Path(table)
        if not path.exists():
            raise ValueError(f"data file {str(path)!r} does not exist")
        table = pd.read_csv(path, sep="\t" if path.suffix in (".tsv", ".txt") else ",")
    df = table
    need = ["subject", "trial", "trial_type", "reward", "signal"] + ([] if readout == "behaviour" else ["time"])
    _check_columns(df, need, "the recordings table")
    if df.empty:
        raise ValueError("the recordings table has no rows")
    for c in ("reward", "signal") + (() if readout == "behaviour" else ("time",)):
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise ValueError(f"column {c!r} must be numeric, got dtype {df[c].dtype}")
    if readout == "spikes" and ((df["signal"] < 0) | (df["signal"] % 1 != 0)).any():
        raise ValueError("spike counts in column 'signal' must be non-negative integers")
    if readout != "behaviour":
        times = np.unique(df["time"].to_numpy(float))
        if dt is None:
            if times.size < 2:
                raise ValueError("signal not aligned: a single time bin; give dt")
            dt = float(np.min(np.diff(times)))
        window = (float(times.min()), float(times.max()) + dt)
        if design is None:
            design = design_for(df["trial_type"], dt=dt, window=window, us_time=us_time)
        else:
            design_for(df["trial_type"], design)
    else:
        design = design_for(df["trial_type"], design, dt=dt or 0.1, us_time=us_time)
    per_trial = df.groupby(["subject", "trial"], sort=True)
    clash = per_trial[["trial_type", "reward"]].nunique()
    bad = clash[(clash > 1).any(axis=1)]
    if len(bad):
        s, t = bad.index[0]
        raise ValueError(f"subject {s!r} trial {t!r} has more than one trial_type or reward")
    sessions = []
    S = design.n_steps
    for subj, g in df.groupby("subject", sort=True):
        trials = np.sort(g["trial"].unique())
        first = g.groupby("trial", sort=True).first().loc[trials]
        if readout == "behaviour":
            if g.duplicated("trial").any():
                raise ValueError(f"subject {subj!r}: behaviour has one row per trial; trial "
                                 f"{g.loc[g.duplicated('trial'), 'trial'].iloc[0]!r} has several")
            sig = first["signal"].to_numpy(float)[:, None]
        else:
            k = _grid_index(design, g["time"].to_numpy(float), f"subject {subj!r}:")
            ti = np.searchsorted(trials, g["trial"].to_numpy())
            if pd.Series(list(zip(ti, k))).duplicated().any():
                raise ValueError(f"signal not aligned: subject {subj!r} has two rows for the same trial and time bin")
            sig = np.full((trials.size, S), np.nan)
            sig[ti, k] = g["signal"].to_numpy(float)
        cst = first["cs_time"].to_numpy(float) if "cs_time" in first else np.full(trials.size, np.nan)
        sessions.append((subj, first["trial_type"].astype(str).to_numpy(), first["reward"].to_numpy(float),
                         sig, cst))
    return _assemble(design, readout, sessions)


def to_table(data: NeuralData) -> pd.DataFrame:
    """The tidy table of :func:`read_table` (round trip)."""
    names = np.asarray([t.name for t in data.design.trial_types])
    rows = []
    for i, s in enumerate(data.subjects):
        n = int(data.mask[i].sum())
        base = {"subject": s, "trial": np.arange(1, n + 1), "trial_type": names[data.trial_type[i, :n]],
                "reward": data.reward[i, :n], "cs_time": data.cs_time[i, :n]}
        if data.readout == "behaviour":
            rows.append(pd.DataFrame({**base, "signal": data.signal[i, :n, 0]}))
        else:
            S = data.signal.shape[-1]
            rows.append(pd.DataFrame({k: np.repeat(v, S) if isinstance(v, np.ndarray) else v for k, v in base.items()}
                                     | {"time": np.tile(data.times, n), "signal": data.signal[i, :n].ravel()}))
    return pd.concat(rows, ignore_index=True)


# ----------------------------------------------------------------------------- NWB
def _need_pynwb():
    try:
        import pynwb  # noqa: F401
    except ImportError as e:  # pragma: no cover - exercised without the extra
        raise ImportError("reading NWB needs pynwb: pip install 'mesolimbic[neural]'") from e
    import pynwb

    return pynwb


def _session_times(data: NeuralData, i: int, iti: float) -> np.ndarray:
    """CS onset times of session ``i``: recorded ones, or laid out back to back with ``iti``."""
    n = int(data.mask[i].sum())
    cs = data.cs_time[i, :n]
    if np.isfinite(cs).all():
        return cs
    t0, t1 = data.design.window
    return -t0 + np.arange(n) * ((t1 - t0) + iti) + 1.0


def write_nwb(data: NeuralData, out_dir: str | os.PathLike, *, iti: float = 2.0, seed: int = 0) -> list[Path]:
    """Write each session as an NWB file ``<out_dir>/<session>.nwb`` (the layout :func:`read_nwb`
    reads): the trials table (``cs_time``, ``trial_type``, ``reward``; behaviour adds
    ``response``), photometry as a ``FiberPhotometryResponseSeries`` named ``photometry``
    (sampled at ``1/dt``, NaN between trials), spikes as one unit whose spike times are spread
    evenly within each bin. CS onsets are ``cs_time`` where known, else trials laid back to back
    with ``iti`` s between windows. Files are written atomically."""
    pynwb = _need_pynwb()
    from datetime import datetime

    from ..io import atomic_path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = np.asarray([t.name for t in data.design.trial_types])
    d, (t0, t1) = data.design, data.design.window
    paths = []
    for i, subj in enumerate(data.subjects):
        n = int(data.mask[i].sum())
        cs = _session_times(data, i, iti)
        nwb = pynwb.NWBFile(session_description=f"mesolimbic {d.name} ({data.readout})", identifier=f"{subj}",
                            session_start_time=datetime(2000, 1, 1, tzinfo=UTC),
                            subject=pynwb.file.Subject(subject_id=str(subj), species="Mus musculus"))
        for col, desc in (("cs_time", "session time of CS onset (s)"), ("trial_type", "trial type of the design"),
                          ("reward", "US magnitude delivered")):
            nwb.add_trial_column(name=col, description=desc)
        if data.readout == "behaviour":
            nwb.add_trial_column(name="response", description="conditioned response on the trial")
        for j in range(n):
            row = dict(start_time=float(cs[j] + t0), stop_time=float(cs[j] + t1), cs_time=float(cs[j]),
                       trial_type=str(names[data.trial_type[i, j]]), reward=float(data.reward[i, j]))
            if data.readout == "behaviour":
                row["response"] = float(data.signal[i, j, 0])
            nwb.add_trial(**row)
        if data.readout == "photometry":
            from ndx_fiber_photometry import FiberPhotometryResponseSeries

            S = d.n_steps
            total = int(np.ceil((cs[-1] + t1) / d.dt)) + 1
            series = np.full(total, np.nan)
            for j in range(n):
                k0 = int(round((cs[j] + t0) / d.dt))
                series[k0:k0 + S] = data.signal[i, j]
            nwb.add_acquisition(FiberPhotometryResponseSeries(
                name="photometry", data=series, unit="dF/F", rate=1.0 / d.dt, starting_time=0.0,
                description="dopamine sensor fluorescence, one sample per design time bin"))
        elif data.readout == "spikes":
            nwb.add_unit_column(name="session", description="session the unit belongs to")
            spikes = []
            for j in range(n):
                for k, c in enumerate(np.nan_to_num(data.signal[i, j]).astype(int)):
                    start = cs[j] + d.times[k]
                    spikes.append(start + (np.arange(c) + 0.5) * d.dt / max(c, 1))
            nwb.add_unit(spike_times=np.sort(np.concatenate(spikes)) if spikes else np.zeros(0),
                         session=str(subj))
        path = out / f"{subj}.nwb"
        with atomic_path(path) as tmp, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not end in '.nwb'")  # the temporary name
            with pynwb.NWBHDF5IO(str(tmp), "w") as io:
                io.write(nwb)
        paths.append(path)
    return paths


def _nwb_paths(source) -> list[Path]:
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        if p.is_dir():
            paths = sorted(p.glob("*.nwb"))
            if not paths:
                raise ValueError(f"folder {str(p)!r} holds no .nwb files")
            return paths
        if not p.exists():
            raise ValueError(f"NWB file {str(p)!r} does not exist")
        return [p]
    return [Path(x) for x in source]


def read_nwb(source, readout: str = "photometry", *, design: PavlovianDesign | None = None,
             series: str | None = None, dt: float = 0.1, window: tuple[float, float] | None = None,
             us_time: float = 1.0) -> NeuralData:
    """Recordings from NWB files (a path, a folder of ``.nwb`` files or a list of paths).

    The trials table needs ``trial_type`` and ``reward``, and ``cs_time`` (else ``start_time``
    minus the window's start is taken as CS onset). ``photometry``: the series ``series`` of
    ``acquisition`` (default: the only ``FiberPhotometryResponseSeries`` or ``TimeSeries``), its
    samples averaged within each bin of the design's grid from each trial's CS onset (a bin with
    no sample is NaN); one session per file, named by the subject ID. ``spikes``: every unit of
    the ``units`` table is a session (``<subject>/unit<id>``), its spikes counted per bin.
    ``behaviour``: the trials table's ``response`` column. Without ``design`` the trial-type
    labels are read in the conditioning notation on a grid of ``dt`` over ``window``."""
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {list(READOUTS)}, got {readout!r}")
    pynwb = _need_pynwb()
    sessions, all_types = [], []
    loaded = []
    for path in _nwb_paths(source):
        try:
            io = pynwb.NWBHDF5IO(str(path), "r")
            nwb = io.read()
        except Exception as e:  # a corrupt or non-NWB file: one line naming it
            raise ValueError(f"{str(path)!r} is not a readable NWB file ({type(e).__name__}: "
                             f"{' '.join(str(e).split())[:200]})") from e
        try:
            if nwb.trials is None:
                raise ValueError(f"{path.name}: missing trials table (NWB 'trials' with trial_type and reward)")
            trials = nwb.trials.to_dataframe()
            _check_columns(trials, ["trial_type", "reward"], f"{path.name}: the trials table")
            loaded.append((path, nwb, trials))
            all_types.extend(trials["trial_type"].astype(str))
        except BaseException:
            io.close()
            raise
        loaded[-1] = loaded[-1] + (io,)
    try:
        design = design_for(all_types, design, dt=dt, window=window, us_time=us_time)
        grid, S, step = design.times, design.n_steps, design.dt
        for path, nwb, trials, _ in loaded:
            subj = (nwb.subject.subject_id if nwb.subject is not None and nwb.subject.subject_id else path.stem)
            cs = (trials["cs_time"].to_numpy(float) if "cs_time" in trials
                  else trials["start_time"].to_numpy(float) - grid[0])
            names, rew = trials["trial_type"].astype(str).to_numpy(), trials["reward"].to_numpy(float)
            if readout == "behaviour":
                _check_columns(trials, ["response"], f"{path.name}: the trials table (behaviour)")
                sessions.append((subj, names, rew, trials["response"].to_numpy(float)[:, None], cs))
            elif readout == "photometry":
                ts = _photometry_series(nwb, series, path.name)
                t = ts.get_timestamps()
                y = np.asarray(ts.data[:], float) * float(ts.conversion) + float(getattr(ts, "offset", 0.0) or 0.0)
                if y.ndim != 1:
                    y = y.reshape(y.shape[0], -1)[:, 0]
                sig = np.full((len(cs), S), np.nan)
                for j, c in enumerate(cs):
                    lo, hi = c + grid[0], c + grid[-1] + step
                    if lo < t[0] - step or hi > t[-1] + 2 * step:
                        raise ValueError(f"signal not aligned: {path.name} trial {j + 1}'s window [{lo:g}, {hi:g}] s "
                                         f"lies outside series {ts.name!r} ({t[0]:g} to {t[-1]:g} s)")
                    a, b = np.searchsorted(t, [lo - 1e-6 * step, hi - 1e-6 * step])
                    k = np.floor((t[a:b] - lo) / step + 1e-6).astype(int)
                    ok = (k >= 0) & (k < S) & np.isfinite(y[a:b])
                    sums = np.bincount(k[ok], y[a:b][ok], S)
                    cnt = np.bincount(k[ok], None, S)
                    sig[j] = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)
                sessions.append((subj, names, rew, sig, cs))
            else:
                if nwb.units is None or len(nwb.units) == 0:
                    raise ValueError(f"{path.name}: units missing (the NWB 'units' table with spike_times) for "
                                     f"readout 'spikes'")
                units = nwb.units
                for u in range(len(units)):
                    st = np.asarray(units["spike_times"][u], float)
                    counts = np.zeros((len(cs), S))
                    edges = grid[0] + step * np.arange(S + 1)
                    for j, c in enumerate(cs):
                        counts[j] = np.histogram(st, bins=c + edges)[0]
                    sessions.append((f"{subj}/unit{units.id[u]}", names, rew, counts, cs))
    finally:
        for *_, io in loaded:
            io.close()
    return _assemble(design, readout, sessions)


def _photometry_series(nwb, name, fname):
    from pynwb import TimeSeries

    acq = {k: v for k, v in nwb.acquisition.items() if isinstance(v, TimeSeries)}
    for mod in nwb.processing.values():
        for k, v in mod.data_interfaces.items():
            if isinstance(v, TimeSeries):
                acq.setdefault(k, v)
    if name is not None:
        if name not in acq:
            raise ValueError(f"{fname}: no time series {name!r}; it has {sorted(acq)}")
        return acq[name]
    fp = [v for v in acq.values() if type(v).__name__ == "FiberPhotometryResponseSeries"]
    cands = fp or list(acq.values())
    if len(cands) != 1:
        raise ValueError(f"{fname}: {'no photometry series' if not cands else 'several series'} in acquisition "
                         f"({sorted(acq)}); name one with series=")
    return cands[0]


def design_from_json(text: str) -> PavlovianDesign:
    """A design from :meth:`PavlovianDesign.to_json` output (as stored in results' attrs)."""
    import json

    from ..tasks.pavlovian import Cue, TrialType

    try:
        d = json.loads(text)
        tts = [TrialType(t["name"], cues=[Cue(**c) for c in t["cues"]], us_time=t["us_time"],
                         magnitude=t["magnitude"], probability=t["probability"],
                         stimulation=[tuple(s) for s in t.get("stimulation", ())],
                         reset_after_us=t.get("reset_after_us", False)) for t in d["trial_types"]]
        phases = [Phase(p["name"], p["trials"], p.get("order")) for p in d["phases"]]
        iti = d.get("iti", 10.0)
        return PavlovianDesign(tts, phases, dt=d["dt"], window=tuple(d["window"]),
                               iti=tuple(iti) if isinstance(iti, list) else iti, name=d.get("name", "pavlovian"))
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"design JSON is not a PavlovianDesign.to_json() document ({type(e).__name__}: {e})") from e


def parse_design(spec: str | None, *, dt: float = 0.1, us_time: float = 1.0) -> PavlovianDesign | None:
    """``--design`` of the command line: a JSON file (:meth:`PavlovianDesign.to_json`), or trial types in
    the conditioning notation with counts, ``"A+0.8:140,B-:40"``; None: inferred from the data."""
    if spec is None:
        return None
    p = Path(spec)
    if p.suffix == ".json":
        if not p.exists():
            raise ValueError(f"design file {spec!r} does not exist")
        return design_from_json(p.read_text(encoding="utf-8"))
    trials = {}
    for item in spec.split(","):
        label, _, count = item.strip().partition(":")
        try:
            trials[label] = int(count) if count else 1
        except ValueError:
            raise ValueError(f"--design item {item!r} is not TRIAL:COUNT (e.g. 'A+0.8:140')") from None
    return PavlovianDesign.from_notation([("recorded", trials)], us_time=us_time, dt=dt)
