"""Refuse a run that cannot fit in memory, before allocating anything.

``--agents 100000000`` used to allocate until a ``MemoryError`` or the kernel's
out-of-memory killer (rc 137). The simulator estimates what a run needs and calls
:func:`check_memory`, which refuses with the estimate and the limit, on one line.

The limit is, in order: the ``limit`` argument; the environment variable
``MESOLIMBIC_MEMORY_LIMIT`` (bytes, or a number with a unit: ``512M``, ``8G``,
``1.5GiB``); else :data:`FRACTION` of the memory available now (``MemAvailable`` in
``/proc/meminfo``, or physical memory from ``os.sysconf`` where there is no
``/proc``). When none can be found nothing is refused.
"""

from __future__ import annotations

import os
import re

__all__ = ["check_memory", "memory_limit", "available_memory", "parse_bytes", "FRACTION", "ENV"]

#: share of the available memory a single run may claim by default
FRACTION = 0.8
ENV = "MESOLIMBIC_MEMORY_LIMIT"
GiB = 2 ** 30
_UNITS = {"": 1, "b": 1, "k": 2 ** 10, "kb": 10 ** 3, "kib": 2 ** 10, "m": 2 ** 20, "mb": 10 ** 6,
          "mib": 2 ** 20, "g": GiB, "gb": 10 ** 9, "gib": GiB, "t": 2 ** 40, "tb": 10 ** 12, "tib": 2 ** 40}


def parse_bytes(text: str, name: str = ENV) -> int:
    """``"8G"``, ``"512MiB"``, ``"1e9"`` -> bytes; a one-line ``ValueError`` naming ``name`` otherwise."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", str(text))
    unit = m.group(2).lower() if m else None
    if not m or unit not in _UNITS:
        raise ValueError(f"{name} must be a number of bytes, optionally with a unit (e.g. 8G, 512MiB), "
                         f"got {text!r}")
    value = float(m.group(1)) * _UNITS[unit]
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be a positive number of bytes, got {text!r}")
    return int(value)


def available_memory() -> int | None:
    """Bytes available to a new allocation now (``MemAvailable``), or physical memory, or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def memory_limit() -> int | None:
    """The limit :func:`check_memory` applies when given none (see the module docstring)."""
    env = os.environ.get(ENV)
    if env is not None and env.strip():
        return parse_bytes(env)
    avail = available_memory()
    return None if avail is None else int(FRACTION * avail)


def _gib(n: float) -> str:
    return f"{n / GiB:.3g} GiB"


def check_memory(n_bytes: int, what: str, limit: int | None = None) -> int:
    """Raise a one-line ``ValueError`` when ``n_bytes`` (the estimate for ``what``, e.g.
    ``"simulating 100000000 agents"``) exceeds ``limit`` (default :func:`memory_limit`).
    Returns the estimate."""
    try:
        n_bytes = int(n_bytes)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"memory estimate for {what} must be a number of bytes, got {n_bytes!r}") from None
    if n_bytes < 0:
        raise ValueError(f"memory estimate for {what} must be >= 0 bytes, got {n_bytes}")
    if limit is None:
        limit = memory_limit()
        source = f"{ENV}" if os.environ.get(ENV, "").strip() else f"{FRACTION:.0%} of the available memory"
    else:
        source = "the given limit"
    if limit is not None and n_bytes > limit:
        raise ValueError(f"{what} needs about {_gib(n_bytes)} of memory, more than the limit of {_gib(limit)} "
                         f"({source}); make the run smaller, or set {ENV} to raise the limit")
    return n_bytes
