"""Writing results safely: one command's outputs appear together or not at all.

Two layers:

* :func:`atomic_path` (and :func:`save_netcdf`, :func:`save_figure`,
  :func:`write_text`): one file, written under a temporary name beside it and
  renamed into place, with the permissions the umask gives a new file;
* :class:`OutputFolder`: a set of files in one folder, written by one command. On
  opening it (before any computation) it checks that the folder can be created
  and written, takes an exclusive lock on it (a second command writing to the same
  folder fails at once with a one-line error), and refuses to overwrite unless
  ``force``. Outputs are written into a staging folder inside it; :meth:`OutputFolder.commit`
  moves the whole set into place. Until then the folder holds what it held before
  (the old complete set, if there was one); an error, Ctrl-C or SIGTERM removes
  the staging folder and any folder the command created.

The commit is a handful of renames inside one file system. They run inside
:func:`mesolimbic._interrupt.critical`, so Ctrl-C or SIGTERM waits for the last
one; and they are preceded by a journal (``.mesolimbic-commit.json``, itself
written atomically) listing them, so that if the process is killed outright
(SIGKILL, power loss) in those milliseconds, the next command that opens the
folder completes the commit before anything else. At the end of every command,
then, the folder holds either the old complete set or the new complete set. (A
program reading the folder *during* the commit's few milliseconds can see some
new files beside old ones; a reader that needs more should take the same lock,
``fcntl.flock`` on ``.mesolimbic.lock`` in the folder.)

Test hook: ``MESOLIMBIC_FAULT_PAUSE="point:seconds"`` sleeps at a named
:func:`fault_point` (``write``: after a report's first experiment is staged;
``staged``: before the commit; ``commit``: after the commit's first rename;
``shard``: at the start of each shard of a sharded sweep, :mod:`mesolimbic.sweeps`),
so the test suite can interrupt a command, or kill a worker, at that moment.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Iterator, Sequence

import xarray as xr

from . import _interrupt

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: create-or-fail lock files instead (see OutputFolder._lock)
    fcntl = None  # type: ignore[assignment]  # the module is absent: OutputFolder._lock checks for None

__all__ = ["atomic_path", "save_netcdf", "save_figure", "write_text", "check_writable", "OutputFolder",
           "OutputBusy", "file_mode", "fault_point", "json_safe", "dumps_json", "LOCK_NAME", "JOURNAL_NAME",
           "STAGING_PREFIX"]

#: the lock file a command holds in its output folder while it runs
LOCK_NAME = ".mesolimbic.lock"
#: the journal of a commit in progress (completed by the next command if a crash left it)
JOURNAL_NAME = ".mesolimbic-commit.json"
#: prefix of the staging folders where outputs are written before the commit
STAGING_PREFIX = ".mesolimbic-staging-"
FAULT_ENV = "MESOLIMBIC_FAULT_PAUSE"

_umask_lock = threading.Lock()


def _current_umask() -> int:
    try:  # Linux >= 4.7: read it without changing it
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # elsewhere: set and restore (briefly visible to other threads)
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets under the process's current umask (``0o666 & ~umask``); files
    from ``mkstemp`` (always 0600) are given it before they are moved into place."""
    return 0o666 & ~_current_umask()


def fault_point(name: str) -> None:
    """Sleep here when ``MESOLIMBIC_FAULT_PAUSE`` names this point (the fault-injection tests' hook)."""
    spec = os.environ.get(FAULT_ENV, "")
    for item in spec.split(","):
        point, _, seconds = item.partition(":")
        if point.strip() == name:
            try:
                time.sleep(float(seconds))
            except ValueError:
                pass


def check_writable(paths: list[Path], force: bool) -> None:
    """Refuse to overwrite existing outputs unless ``force`` (for a single command's own checks;
    :class:`OutputFolder` does this under its lock)."""
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise FileExistsError(f"output already exists: {', '.join(existing)} (use --force to overwrite)")


def json_safe(obj):
    """``obj`` with every non-finite float (NaN, inf) replaced by ``None`` and NumPy scalars and
    arrays turned into Python values, so that it is valid JSON (``null`` where a number could
    not be computed). Keys become strings."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return str(obj)


def dumps_json(obj, indent: int | None = 1) -> str:
    """Strict JSON (no ``NaN``/``Infinity`` tokens) of :func:`json_safe` ``(obj)``."""
    return json.dumps(json_safe(obj), indent=indent, allow_nan=False)


# ------------------------------------------------------------------ one file
class _TempFiles:
    """Temporary files of :func:`atomic_path` that a Ctrl-C / SIGTERM of the command must remove."""

    def __init__(self):
        self.paths: set[Path] = set()
        self.lock = threading.Lock()

    def interrupt(self) -> str:
        with self.lock:
            for p in list(self.paths):
                try:
                    p.unlink()
                except OSError:
                    pass
            self.paths.clear()
        return ""


_temp_files = _TempFiles()
_interrupt.register(_temp_files)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it into place (with the
    umask's permissions), on error delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    with _temp_files.lock:
        _temp_files.paths.add(tmp)
    try:
        yield tmp
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    finally:
        with _temp_files.lock:
            _temp_files.paths.discard(tmp)
        if tmp.exists():
            tmp.unlink()


def save_netcdf(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to netCDF-4 (h5netcdf engine) atomically."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    return Path(path)


def save_figure(fig, path: str | os.PathLike, dpi: int | None = None) -> Path:
    """Save a matplotlib figure atomically (format from the file suffix), at the package's one
    figure resolution :data:`mesolimbic.plot.DPI` unless ``dpi`` says otherwise; a PNG gets the
    same bytes as the report embeds (:func:`mesolimbic.plot.png_bytes`)."""
    from .plot import DPI, png_bytes

    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    with atomic_path(path) as tmp:
        if fmt == "png":
            tmp.write_bytes(png_bytes(fig, dpi=dpi or DPI))
        else:
            fig.savefig(tmp, dpi=dpi or DPI, format=fmt)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


# ------------------------------------------------------------------ a set of files in one folder
class OutputBusy(OSError):
    """Another command holds the output folder's lock."""


def _why(e: OSError) -> str:
    return e.strerror or str(e)


def _rmtree(path: Path) -> None:
    for _ in range(5):  # a writer may still be creating files in it (interrupt from another thread)
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return


def _roll_forward(out: Path) -> None:
    """Finish a commit that a killed process left half done (see the module docstring), and
    remove staging folders and journal drafts of dead processes. Called under the lock."""
    journal = out / JOURNAL_NAME
    if journal.exists():
        try:
            plan = json.loads(journal.read_text(encoding="utf-8"))
            staging, names, remove = out / plan["staging"], list(plan["names"]), list(plan.get("remove", []))
        except (ValueError, KeyError, TypeError, OSError) as e:
            raise ValueError(f"{journal} is unreadable ({e}); it records an interrupted commit: remove it and "
                             f"check the folder's files") from None
        for n in names:
            if (staging / n).exists():
                os.replace(staging / n, out / n)
        for n in remove:
            (out / n).unlink(missing_ok=True)
        journal.unlink()
    for p in out.glob(STAGING_PREFIX + "*"):
        if p.is_dir():
            _rmtree(p)
    (out / (JOURNAL_NAME + ".tmp")).unlink(missing_ok=True)


class OutputFolder:
    """All-or-nothing, exclusive writing of the files ``names`` into ``out_dir``.

    ::

        with OutputFolder(out, ["a.nc", "a.png"], force=False) as tx:   # checks, lock: before any work
            ...compute...
            save_netcdf(ds, tx.path("a.nc"))
            save_figure(fig, tx.path("a.png"))
            tx.commit()                                                   # the set appears at once

    Leaving the block without :meth:`commit` (an exception, Ctrl-C) removes what was
    staged and any folder it created. ``replaces``: other files of the same command
    that this run does not write (``posterior.nc`` of an earlier hierarchical fit, when
    this one is MLE); they count as existing outputs, and the commit removes them, so
    the folder never shows a new set beside a stale file of an old one. ``option`` names the folder in messages
    (``--out`` on the command line). Errors are one line: ``ValueError`` (not a
    folder, not writable), ``FileExistsError`` (outputs exist and not ``force``),
    :class:`OutputBusy` (another command is writing there).
    """

    def __init__(self, out_dir: str | os.PathLike, names: Sequence[str], *, force: bool,
                 option: str = "--out", replaces: Sequence[str] = ()) -> None:
        self.out = Path(out_dir)
        self.names = list(dict.fromkeys(names))
        self.replaces = [n for n in dict.fromkeys(replaces) if n not in self.names]
        for n in self.names + self.replaces:
            if not n or Path(n).name != n or n.startswith("."):
                raise ValueError(f"output name {n!r} must be a plain file name")
        self.force = bool(force)
        self.option = option
        self.staging: Path | None = None
        self.committed = False
        self._fd: int | None = None
        self._created: list[Path] = []
        self._state = threading.RLock()
        self._closed = False

    # -------------------------------------------------------------- opening
    def __enter__(self) -> OutputFolder:
        self.open()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    def _label(self) -> str:
        return f"{self.option} {self.out}" if self.option else str(self.out)

    def open(self) -> OutputFolder:
        """Create the folder if needed, lock it, check for existing outputs, make the staging folder."""
        try:
            self._make_folder()
            self._lock()
            _interrupt.register(self)
            _roll_forward(self.out)
            for n in self.names + self.replaces:
                p = self.out / n
                if p.is_dir():
                    raise ValueError(f"{self._label()}: {n} is a folder; an output file of that name cannot "
                                     f"replace it")
            existing = [str(self.out / n) for n in self.names + self.replaces if (self.out / n).exists()]
            if existing and not self.force:
                raise FileExistsError(f"output already exists: {', '.join(existing)} (use --force to overwrite)")
            try:
                self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out))
            except OSError as e:
                raise ValueError(f"cannot write to {self._label()}: {_why(e)}") from None
        except BaseException:
            self.close()
            raise
        return self

    def _make_folder(self) -> None:
        out = self.out
        if out.exists() and not out.is_dir():
            raise ValueError(f"{self._label()} is a file, not a folder")
        missing, p = [], out
        while not p.exists() and p != p.parent:
            missing.append(p)
            p = p.parent
        if p.exists() and not p.is_dir():
            raise ValueError(f"{self._label()}: {p} is a file, not a folder")
        for d in reversed(missing):
            try:
                os.mkdir(d)
                self._created.append(d)
            except FileExistsError:
                if not d.is_dir():
                    raise ValueError(f"{self._label()}: {d} is a file, not a folder") from None
            except OSError as e:
                raise ValueError(f"cannot create {self._label()}: {_why(e)}") from None
        if not os.access(out, os.W_OK | os.X_OK):
            raise ValueError(f"cannot write to {self._label()}: permission denied")

    def _lock(self) -> None:
        if fcntl is None:
            return self._lock_exclusive_create()
        path = self.out / LOCK_NAME
        for _ in range(20):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, file_mode())
            except FileNotFoundError:  # the folder was removed under us: recreate and retry
                self._make_folder()
                continue
            except OSError as e:
                raise ValueError(f"cannot write to {self._label()}: {_why(e)}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                holder = ""
                try:
                    pid = os.pread(fd, 32, 0).decode().strip()
                    holder = f" (pid {pid})" if pid.isdigit() else ""
                except OSError:
                    pass
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise OutputBusy(f"{self._label()} is in use by another mesolimbic command{holder}; wait for "
                                     f"it to finish or choose another folder") from None
                raise ValueError(f"cannot lock {self._label()}: {_why(e)}") from None
            # the lock file may have been unlinked by its previous holder between our open and flock
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self._fd = fd
            return
        raise OutputBusy(f"{self._label()}: could not take its lock (it keeps changing); is another command "
                         f"writing there?")

    def _lock_exclusive_create(self) -> None:
        """Where there is no ``flock``: the lock is the lock file itself, created or failed atomically
        (a lock left by a killed command must then be removed by hand; the message says so)."""
        path = self.out / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, file_mode())
        except FileExistsError:
            try:
                pid = path.read_text().strip()
            except OSError:
                pid = ""
            holder = f" (pid {pid})" if pid.isdigit() else ""
            raise OutputBusy(f"{self._label()} is in use by another mesolimbic command{holder}; wait for it to "
                             f"finish, or remove {path} if no such command is running") from None
        except OSError as e:
            raise ValueError(f"cannot write to {self._label()}: {_why(e)}") from None
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    # -------------------------------------------------------------- writing
    def path(self, name: str) -> Path:
        """Where to write the output ``name`` (inside the staging folder)."""
        if self.staging is None or self.committed:
            raise RuntimeError("OutputFolder.path() needs an open, uncommitted folder")
        if name not in self.names:
            raise ValueError(f"{name!r} is not one of this folder's outputs {self.names}")
        return self.staging / name

    def leave_out(self, names: Sequence[str]) -> None:
        """This run will not write ``names`` after all (e.g. the files of an experiment that
        failed): they are no longer expected at the commit, and, like ``replaces``, an old file
        of that name is removed by it, so the folder never shows the new set beside a stale file."""
        with self._state:
            if self.committed:
                raise RuntimeError("OutputFolder.leave_out() needs an uncommitted folder")
            for n in names:
                if n in self.names:
                    self.names.remove(n)
                    if self.staging is not None:
                        (self.staging / n).unlink(missing_ok=True)
                    if n not in self.replaces:
                        self.replaces.append(n)

    def final(self, name: str) -> Path:
        """Where ``name`` will be once committed."""
        return self.out / name

    def commit(self) -> list[Path]:
        """Move every staged output into place (see the module docstring); return their final paths."""
        if self.staging is None or self.committed:
            raise RuntimeError("OutputFolder.commit() needs an open, uncommitted folder")
        missing = [n for n in self.names if not (self.staging / n).is_file()]
        if missing:
            raise RuntimeError(f"outputs not written before commit: {missing}")
        mode = file_mode()
        for n in self.names:
            os.chmod(self.staging / n, mode)
        fault_point("staged")
        with _interrupt.critical(), self._state:
            if not self.force:  # something outside mesolimbic may have created one meanwhile
                existing = [str(self.out / n) for n in self.names + self.replaces if (self.out / n).exists()]
                if existing:
                    raise FileExistsError(f"output already exists: {', '.join(existing)} (use --force to "
                                          f"overwrite)")
            journal, draft = self.out / JOURNAL_NAME, self.out / (JOURNAL_NAME + ".tmp")
            with open(draft, "w", encoding="utf-8") as f:
                json.dump({"staging": self.staging.name, "names": self.names, "remove": self.replaces,
                           "pid": os.getpid()}, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(draft, journal)
            for i, n in enumerate(self.names):
                os.replace(self.staging / n, self.out / n)
                if i == 0:
                    fault_point("commit")
            for n in self.replaces:
                (self.out / n).unlink(missing_ok=True)
            self._fsync_folder()
            journal.unlink()
            self.committed = True
        return [self.out / n for n in self.names]

    def _fsync_folder(self) -> None:
        try:
            fd = os.open(self.out, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    # -------------------------------------------------------------- closing
    def close(self) -> None:
        """Remove what is staged but not committed, release the lock, remove folders created for
        nothing. Idempotent."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            if self.staging is not None:
                _rmtree(self.staging)
            if self._fd is not None:
                try:
                    path = self.out / LOCK_NAME
                    try:
                        if os.path.samestat(os.fstat(self._fd), os.stat(path)):
                            path.unlink()  # while still holding it (see _lock for the race this covers)
                    except FileNotFoundError:
                        pass
                finally:
                    os.close(self._fd)
                    self._fd = None
            for d in reversed(self._created):
                try:
                    d.rmdir()  # only if empty: a folder we created and filled stays
                except OSError:
                    break
            if self.committed:
                _interrupt.note(f"the new outputs in {self.out} are complete")
        _interrupt.unregister(self)

    def interrupt(self) -> str:
        """Called on Ctrl-C / SIGTERM (after any commit in progress): clean up, say what is left."""
        self.close()
        return "" if self.committed else f"{self.out} is as it was before the command"
