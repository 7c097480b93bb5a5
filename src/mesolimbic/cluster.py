"""The one executor setting: work runs in-process, or on a Dask cluster when asked.

DESIGN.md, principle 8: everything runs in-process with no service to start; the
same calls take a Dask scheduler when the work outgrows one machine. Commands and
functions that have independent pieces of work — ``mesolimbic reproduce`` (one task
per experiment), sharded sweeps (:mod:`mesolimbic.sweeps`, one task per block of
parameter sets and agents), ``mesolimbic recover`` and ``mesolimbic fit`` over several
models or datasets (one task per dataset and model) — hand them, as :class:`Task`\\ s,
to an :class:`Executor`:

* :class:`InProcess` (the default): the tasks run one after another in this process,
  exactly the code that ran before there was a cluster; no Dask needed;
* :class:`DaskExecutor`: the tasks are submitted to a Dask ``distributed`` cluster —
  a running scheduler (``--scheduler ADDRESS``, the environment variable
  ``MESOLIMBIC_SCHEDULER``, or ``client=`` in Python: a ``distributed.Client``, for
  instance one of a ``dask_jobqueue.SLURMCluster``), or a local cluster of ``N``
  worker processes started for the command (``--workers N``).

:func:`executor` resolves the setting: a ``client`` (a ``distributed.Client`` or a
scheduler address), else ``scheduler``, else ``workers``, else (where ``env``) the
environment variable, else in-process.

Both executors behave the same way towards the caller: results are handed to
``on_result`` in this process as each task finishes (so a report can be built, and
files staged, while the others still run); a task that raises becomes a
:class:`Failure` naming its label (``experiment schultz1997``, ``parameter sets
0-99``) and the error, and the other tasks go on; what a task computes depends only
on its arguments — seeds are derived from the root seed and the task's own key
(:mod:`mesolimbic._seed`), never from which worker ran it or when — so a worker that
dies mid-run (Dask runs its tasks again elsewhere) changes nothing in the results.
On Ctrl-C or SIGTERM of the command line the cluster's pending tasks are cancelled
(:mod:`mesolimbic._interrupt`), and a local cluster is shut down with the command.

Dask is an optional extra (``pip install 'mesolimbic[dask]'``), imported only when
a cluster is asked for; without it, asking for one raises an ImportError that names
the extra.
"""

from __future__ import annotations

import abc
import logging
import os
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

from . import _interrupt
from ._version import __version__

__all__ = ["ENV", "CONNECT_TIMEOUT", "Task", "Failure", "TasksFailed", "Executor", "InProcess", "DaskExecutor",
           "executor", "require_distributed", "check_workers", "progress_bar"]

#: the environment variable naming a running scheduler (read by the command line)
ENV = "MESOLIMBIC_SCHEDULER"
#: seconds to wait for a scheduler before giving up
CONNECT_TIMEOUT = 5.0


def require_distributed(feature: str = "running on a Dask cluster"):
    """Import ``distributed``, or raise an ImportError naming the extra that provides it."""
    try:
        import distributed
    except ImportError as e:
        raise ImportError(f"{feature} needs dask.distributed, which is not installed; install the optional "
                          f"extra: pip install 'mesolimbic[dask]'") from e
    return distributed


def check_workers(value, name: str = "--workers") -> int:
    """``value`` as a number of worker processes (an integer >= 1), else a one-line ValueError."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise ValueError(f"{name} must be a number of worker processes >= 1, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class Task:
    """One independent piece of work: ``fn(*args, **kwargs)``.

    ``key`` names it uniquely within a run (and in the cluster's task names);
    ``label`` says what it is to a person (``experiment schultz1997``)."""

    key: str
    label: str
    fn: Callable
    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    """A task that raised: its key, label and the error, as one line."""

    key: str
    label: str
    error: str

    def __str__(self) -> str:
        return f"{self.label} ({self.error})"


class TasksFailed(RuntimeError):
    """Some tasks of a run raised (the others finished). ``failures``: the :class:`Failure` s."""

    def __init__(self, failures: Sequence[Failure], total: int, note: str = ""):
        self.failures = list(failures)
        self.total = int(total)
        shown = "; ".join(str(f) for f in self.failures[:5])
        more = f"; and {len(self.failures) - 5} more" if len(self.failures) > 5 else ""
        super().__init__(f"{len(self.failures)} of {total} tasks failed: {shown}{more}{note}")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe_error(e: BaseException) -> str:
    """An exception as ``Type: message`` on one line (with what to do for the usual cluster faults)."""
    name = type(e).__name__
    msg = _one_line(e) or name
    if name == "KilledWorker":
        return f"KilledWorker: the workers that ran it died ({msg}); it may need more memory than a worker has"
    if isinstance(e, ModuleNotFoundError) and "mesolimbic" in msg:
        return (f"ModuleNotFoundError: a Dask worker cannot import mesolimbic ({msg}); install the same "
                f"mesolimbic on every worker")
    return f"{name}: {msg}"


def _call(fn: Callable, args: tuple, kwargs: dict, version: str):
    """What a Dask worker runs for a task: the task, after checking that the worker's
    mesolimbic is the client's."""
    if version != __version__:
        raise RuntimeError(f"this Dask worker has mesolimbic {__version__}, the client {version}: install the "
                           f"same version on every worker")
    return fn(*args, **kwargs)


# ----------------------------------------------------------------------------- executors
OnResult = Callable[[Task, Any], None]
OnProgress = Callable[[int, int, str], None]


class Executor(abc.ABC):
    """Runs :class:`Task` s (see the module docstring). Use as a context manager, or call
    :meth:`close` (which shuts down a cluster the executor started)."""

    kind = "in-process"

    @property
    def n_workers(self) -> int:
        """Worker threads available now (at least 1)."""
        return 1

    def describe(self) -> str:
        return "in-process"

    @abc.abstractmethod
    def run(self, tasks: Sequence[Task], *, on_result: OnResult | None = None,
            on_start: Callable[[Task], None] | None = None,
            on_progress: OnProgress | None = None) -> tuple[dict[str, Any], list[Failure]]:
        """Run every task. ``on_result(task, value)`` is called in this thread as each
        finishes (in the order they finish); ``on_start(task)`` before each starts, where
        that is known (in-process); ``on_progress(done, total, label)`` after each ends.
        A task that raises is recorded as a :class:`Failure` and the others go on; an
        error raised by ``on_result`` stops the run (pending tasks are cancelled).
        Returns ``({key: value}`` of the tasks that finished, the failures in task order)."""

    def close(self) -> None:  # noqa: B027 - an optional override: in-process there is nothing to release
        """Release what the executor holds (nothing in-process; a cluster it started)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_keys(tasks: Sequence[Task]) -> None:
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError(f"task keys must be unique, got {keys}")


class InProcess(Executor):
    """The tasks one after another in this process (no Dask involved)."""

    def run(self, tasks, *, on_result=None, on_start=None, on_progress=None):
        _check_keys(tasks)
        results: dict[str, Any] = {}
        failures: list[Failure] = []
        for i, t in enumerate(tasks):
            if on_start:
                on_start(t)
            try:
                value = t.fn(*t.args, **dict(t.kwargs))
            except Exception as e:  # the task's own error: record it, run the others
                failures.append(Failure(t.key, t.label, describe_error(e)))
            else:
                results[t.key] = value
                if on_result:
                    on_result(t, value)
            if on_progress:
                on_progress(i + 1, len(tasks), t.label)
        return results, failures


class DaskExecutor(Executor):
    """Tasks submitted to a Dask cluster through ``client``. ``owns``: close the client
    (and ``cluster``, a cluster started for this executor) in :meth:`close`."""

    kind = "dask"

    def __init__(self, client, *, cluster=None, owns: bool = False, source: str = ""):
        self.client = client
        self.cluster = cluster
        self.owns = owns
        self.source = source
        self._pending: set = set()
        self._lock = threading.Lock()
        self._closed = False

    @property
    def n_workers(self) -> int:
        try:
            return max(1, sum(self.client.nthreads().values()))
        except Exception:  # noqa: BLE001 - a scheduler that does not answer: plan for one
            return 1

    def describe(self) -> str:
        try:
            n = len(self.client.nthreads())
        except Exception:  # noqa: BLE001
            n = "?"
        where = "a local Dask cluster" if self.cluster is not None else f"the Dask scheduler at {self.address}"
        return f"{where} ({n} workers)"

    @property
    def address(self) -> str:
        try:
            return self.client.scheduler.address
        except AttributeError:
            return "?"

    def run(self, tasks, *, on_result=None, on_start=None, on_progress=None):
        distributed = require_distributed()
        _check_keys(tasks)
        run_id = uuid.uuid4().hex[:10]
        futures = {}
        for t in tasks:
            f = self.client.submit(_call, t.fn, tuple(t.args), dict(t.kwargs), __version__,
                                   key=f"mesolimbic-{t.key}-{run_id}", pure=False)
            futures[f] = t
        with self._lock:
            self._pending = set(futures)
        results: dict[str, Any] = {}
        failures: list[Failure] = []
        order = {t.key: i for i, t in enumerate(tasks)}
        _interrupt.register(self)
        try:
            for done, fut in enumerate(distributed.as_completed(list(futures), loop=self.client.loop), 1):
                _interrupt.wait_for_exit()  # Ctrl-C: the tasks were cancelled and the command is ending
                t = futures[fut]
                if fut.status == "finished":
                    try:
                        value = fut.result()
                    except Exception as e:  # noqa: BLE001 - e.g. the result cannot be deserialised here
                        failures.append(Failure(t.key, t.label, describe_error(e)))
                    else:
                        results[t.key] = value
                        if on_result:
                            on_result(t, value)
                elif fut.status == "error":
                    failures.append(Failure(t.key, t.label, describe_error(fut.exception())))
                else:
                    failures.append(Failure(t.key, t.label, f"the cluster dropped the task (status {fut.status})"))
                with self._lock:
                    self._pending.discard(fut)
                fut.release()
                if on_progress:
                    on_progress(done, len(tasks), t.label)
        finally:
            _interrupt.unregister(self)
            self._cancel_pending()
        failures.sort(key=lambda f: order[f.key])
        return results, failures

    def _cancel_pending(self) -> int:
        with self._lock:
            pending, self._pending = list(self._pending), set()
        if pending:
            try:
                self.client.cancel(pending, force=True)
            except Exception:  # noqa: BLE001 - the cluster may already be gone
                pass
        return len(pending)

    def interrupt(self) -> str:
        """Ctrl-C / SIGTERM of the command line: cancel the pending tasks and shut down a cluster
        started for the command (bounded: at most about 10 s)."""
        n = len(self._pending)
        th = threading.Thread(target=lambda: (self._cancel_pending(), self.close()), daemon=True)
        th.start()
        th.join(10.0)
        return f"{n} Dask task{'s' if n != 1 else ''} cancelled" if n else ""

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if not self.owns:
            return
        with _quiet_dask():
            try:
                self.client.close(timeout=5)
            except Exception:  # noqa: BLE001
                pass
            if self.cluster is not None:
                try:
                    self.cluster.close(timeout=10)
                except Exception:  # noqa: BLE001
                    pass


@contextmanager
def _quiet_dask(level: int = logging.CRITICAL) -> Iterator[None]:
    """Silence distributed's loggers (connection retries, shutdown chatter) for a while."""
    loggers = [logging.getLogger(n) for n in ("distributed", "distributed.client", "distributed.core",
                                              "distributed.comm", "distributed.batched", "tornado")]
    old = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(level)
    try:
        yield
    finally:
        for lg, lv in zip(loggers, old):
            lg.setLevel(lv)


def _probe(address: str, timeout: float) -> str | None:
    """Why a plain TCP scheduler address cannot be reached, found at once (a refused connection,
    an unknown host) rather than after the client's retries; None when it answers or is not
    plain TCP (tls://, ucx://, ...: the client finds out)."""
    import socket

    rest = address[len("tcp://"):] if address.startswith("tcp://") else address if "://" not in address else None
    if rest is None:
        return None
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        return None
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return None
    except socket.gaierror as e:
        return f"unknown host {host!r} ({e.strerror or e})"
    except ConnectionRefusedError:
        return "connection refused (is a scheduler running there?)"
    except (socket.timeout, TimeoutError):
        return "no answer"
    except OSError as e:
        return e.strerror or str(e)


def _connect(address: str, source: str, timeout: float) -> DaskExecutor:
    distributed = require_distributed(f"{source} {address}")
    address = str(address).strip()
    if not address:
        raise ValueError(f"{source} must be a scheduler address such as tcp://host:8786, got an empty string")
    why = _probe(address, timeout)
    if why:
        raise ValueError(f"cannot reach the Dask scheduler at {address} ({source}): {why}")
    with _quiet_dask():
        try:
            client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except Exception as e:  # noqa: BLE001 - refused, unknown host, timed out, bad address: one line
            raise ValueError(f"cannot reach the Dask scheduler at {address} ({source}) within {timeout:g} s: "
                             f"{_one_line(e) or type(e).__name__}") from None
    return DaskExecutor(client, owns=True, source=source)


def _local(workers: int, **cluster_kwargs) -> DaskExecutor:
    distributed = require_distributed("--workers")
    # the workers' own logs are silenced: what goes wrong with a task comes back as its Failure
    # the scheduler's HTTP server (health routes, and the dashboard where bokeh is installed) on a free
    # port: with no address it takes 8787 and warns on stderr when another cluster holds that port
    kw = dict(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0",
              silence_logs=logging.CRITICAL)
    kw.update(cluster_kwargs)
    # Ctrl-C ends the command with os._exit once the cluster is closed (bounded wait), so the
    # multiprocessing resource tracker, a separate process started here, reclaims the workers'
    # semaphores itself and would print a "leaked semaphore objects" warning on top of the one
    # line the command prints. It reads its warning filters from the environment it inherits.
    if "resource_tracker" not in os.environ.get("PYTHONWARNINGS", ""):
        extra = "ignore:resource_tracker:UserWarning"
        os.environ["PYTHONWARNINGS"] = ",".join(w for w in (os.environ.get("PYTHONWARNINGS"), extra) if w)
    with _quiet_dask(logging.ERROR):
        cluster = distributed.LocalCluster(**kw)
        try:
            client = distributed.Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            raise
    return DaskExecutor(client, cluster=cluster, owns=True, source="--workers")


def executor(client=None, *, scheduler: str | None = None, workers: int | None = None, env: bool = False,
             timeout: float = CONNECT_TIMEOUT, **cluster_kwargs) -> Executor:
    """The executor for one command or call (see the module docstring).

    ``client``: a ``distributed.Client`` (used as it is, not closed afterwards), an
    :class:`Executor`, or a scheduler address. ``scheduler``: a scheduler address.
    ``workers``: start a local cluster of that many single-threaded worker processes on
    127.0.0.1 (``cluster_kwargs`` go to ``distributed.LocalCluster``). ``env``: read
    :data:`ENV` when none of these is given. Nothing given: :class:`InProcess`.
    An unreachable scheduler is a one-line ValueError after ``timeout`` seconds."""
    if isinstance(client, Executor):
        return client
    if client is not None and scheduler is not None:
        raise ValueError("give a client or a scheduler address, not both")
    if (client is not None or scheduler is not None) and workers is not None:
        raise ValueError("give --scheduler (a running cluster) or --workers (start a local one), not both")
    if isinstance(client, str):
        return _connect(client, "client", timeout)
    if client is not None:
        if type(client).__name__ != "Client" or not hasattr(client, "submit"):
            raise ValueError(f"client must be a distributed.Client or a scheduler address, got "
                             f"{type(client).__name__}")
        return DaskExecutor(client, owns=False, source="client")
    if scheduler is not None:
        return _connect(scheduler, "--scheduler", timeout)
    if workers is not None:
        return _local(check_workers(workers), **cluster_kwargs)
    if env and os.environ.get(ENV, "").strip():
        return _connect(os.environ[ENV], ENV, timeout)
    return InProcess()


# ----------------------------------------------------------------------------- progress
@contextmanager
def progress_bar(description: str, total: int, *, console=None, enabled: bool | None = None
                 ) -> Iterator[OnProgress]:
    """A rich progress bar over ``total`` tasks on stderr (shown only on a terminal unless
    ``enabled``); yields the ``on_progress`` callback that advances it."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                               TimeElapsedColumn)

    console = console or Console(stderr=True)
    show = console.is_terminal if enabled is None else enabled
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True, disable=not show) as bar:
        task = bar.add_task(description, total=total)

        def advance(done: int, total_: int, label: str) -> None:
            bar.update(task, completed=done, total=total_, description=f"{description} (last: {label})")

        yield advance
