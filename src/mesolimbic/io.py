"""Writing results safely: atomic files (temporary name, then rename), no silent overwrite."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import xarray as xr

__all__ = ["atomic_path", "save_netcdf", "save_figure", "check_writable"]


def check_writable(paths: list[Path], force: bool) -> None:
    """Refuse to overwrite existing outputs unless ``force`` (checked before any work)."""
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise FileExistsError(f"output already exists: {', '.join(existing)} (use --force to overwrite)")


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it into place, on error delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_netcdf(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to netCDF-4 (h5netcdf engine) atomically."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    return Path(path)


def save_figure(fig, path: str | os.PathLike, dpi: int = 150) -> Path:
    """Save a matplotlib figure atomically (format from the file suffix)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    return Path(path)
