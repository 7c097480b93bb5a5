"""Ctrl-C and SIGTERM for the command line: one line, exit 130 / 143, nothing half-written.

Python's default Ctrl-C raises ``KeyboardInterrupt`` in the main thread at the next
bytecode; during JAX work that happened inside XLA callbacks or while the
interpreter tore down with XLA's threads running, and the command died with a
segmentation fault (or the interrupt was swallowed and the run finished). SIGTERM
had no handler, so temporary files stayed behind.

:func:`install` (called by the ``mesolimbic`` command before anything heavy is
imported) replaces both: the C-level signal handler writes the signal number to a
pipe (``signal.set_wakeup_fd``), and a watcher thread reading that pipe wakes at
once, even while the main thread is inside a long XLA call. It then

1. waits for a commit in progress to finish (:func:`critical`: the few renames that
   put a complete set of outputs in place are never cut in half),
2. asks every open output folder (:func:`register`) to remove its staging files
   and release its lock, leaving the folder as it was (or, after a commit, with
   the complete new set),
3. prints one line to stderr and ends the process with ``os._exit`` — 130 for
   SIGINT, 143 for SIGTERM (128 + the signal number, the shell's convention) —
   without running the interpreter's teardown.

When the command is done, :func:`finish` flushes its output and ends the process
the same way, so a signal during the interpreter's teardown (where Python restores
the default handlers and XLA's threads are still running) cannot kill it silently
after it has reported success.

Library users are unaffected: nothing is installed unless the command line asks.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Protocol
from collections.abc import Iterator

__all__ = ["install", "installed", "register", "unregister", "critical", "finish", "stopping", "wait_for_exit",
           "EXIT_CODES"]

EXIT_CODES: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}
_WHAT: dict[int, str] = {signal.SIGINT: "interrupted (Ctrl-C)", signal.SIGTERM: "terminated (SIGTERM)"}


class _Cleanup(Protocol):
    def interrupt(self) -> str:
        """Undo what is unfinished; return a short phrase saying what the folder holds now."""


_active: list[_Cleanup] = []
_notes: list[str] = []  # what completed commands have left, for the message
_pending: list[int] = []  # signals seen by the Python-level handler (main thread)
_active_lock = threading.Lock()
_critical = threading.RLock()
_installed = False
_stopping = threading.Event()  # set when a signal is being handled: the process is about to end


def register(obj: _Cleanup) -> None:
    with _active_lock:
        _active.append(obj)


def unregister(obj: _Cleanup) -> None:
    with _active_lock:
        if obj in _active:
            _active.remove(obj)


@contextmanager
def critical() -> Iterator[None]:
    """A section that a SIGINT/SIGTERM waits for (it is handled as soon as the section ends)."""
    with _critical:
        yield


def installed() -> bool:
    return _installed


def stopping() -> bool:
    """True once a SIGINT/SIGTERM is being handled (the process ends in a moment)."""
    return _stopping.is_set()


def wait_for_exit() -> None:
    """Block the calling thread while a signal is handled, so that it does not go on with work
    whose outputs are being removed (e.g. a cancelled cluster run returning early); returns at
    once when no signal is being handled."""
    if _stopping.is_set():
        threading.Event().wait(60.0)


def note(text: str) -> None:
    """Record what a finished step left behind (``"the new outputs in r are complete"``) for the
    message printed if a signal comes later."""
    with _active_lock:
        _notes.append(text)


def _python_handler(signum, frame) -> None:
    """Runs in the main thread at its next bytecode: only records the signal for :func:`finish`
    (the watcher thread, already woken by the C-level handler, does the work)."""
    _pending.append(signum)


def _stop(signum: int) -> None:
    _stopping.set()
    with _critical:  # a commit in progress finishes first
        with _active_lock:
            active = list(_active)
        states = []
        for obj in active:
            try:
                states.append(obj.interrupt())
            except Exception as e:  # keep going: the other folders still need their cleanup
                states.append(f"cleanup failed: {e}")
        with _active_lock:
            notes = list(_notes)  # after the cleanups: a folder committed just now adds its note
        where = "; ".join([s for s in states if s] + notes) or "nothing was written"
        try:
            if sys.stderr.isatty():
                sys.stderr.write("\r\x1b[2K\x1b[?25h")  # clear the progress line, show the cursor
            sys.stderr.write(f"mesolimbic: {_WHAT.get(signum, f'signal {signum}')}; {where}\n")
            sys.stderr.flush()
        finally:
            os._exit(EXIT_CODES.get(signum, 128 + signum))


def _watch(fd: int) -> None:
    while True:
        try:
            data = os.read(fd, 64)
        except InterruptedError:
            continue
        except OSError:
            return
        for b in data:
            if b in EXIT_CODES:
                _stop(b)


def finish(code: int) -> None:
    """End the command with ``code`` after flushing stdout and stderr, skipping the interpreter's
    teardown (see the module docstring). A signal that arrives while flushing is handled as usual."""
    with _critical:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        if not _pending:
            os._exit(code)
    # a signal came in while the command was ending: the watcher thread reports it and exits
    threading.Event().wait(10.0)
    os._exit(EXIT_CODES.get(_pending[0], 128 + _pending[0]))


def install() -> None:
    """Handle SIGINT and SIGTERM as described in the module docstring (main thread only; idempotent)."""
    global _installed
    if _installed:
        return
    r, w = os.pipe()
    try:
        os.set_blocking(w, False)
        signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except (OSError, ValueError):  # pragma: no cover - e.g. Windows, whose wakeup fd must be a socket
        os.close(r)
        os.close(w)
        return
    os.set_inheritable(r, False)
    os.set_inheritable(w, False)
    threading.Thread(target=_watch, args=(r,), name="mesolimbic-signals", daemon=True).start()
    for s in EXIT_CODES:
        signal.signal(s, _python_handler)
    _installed = True
