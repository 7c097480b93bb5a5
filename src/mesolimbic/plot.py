"""Figures: raster, PSTH and learning heat maps in the style of the dopamine literature."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless by default; figures are written to files

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from .neurons import spike_times  # noqa: E402

__all__ = ["raster", "psth_bars", "rpe_heatmap", "mark_events", "stay_bars", "plt"]


def stay_bars(ax, observed, model=None) -> None:
    """Two-step stay probabilities as bars (common blue, rare red) after rewarded and
    unrewarded trials, in the order of :data:`mesolimbic.tasks.two_step.STAY_CONDITIONS`;
    ``model``: predicted values drawn as black dots on the bars."""
    observed = np.asarray(observed)
    x = {"common": np.array([0.0, 1.0]), "rare": np.array([0.38, 1.38])}
    ax.bar(x["common"], observed[[0, 2]], 0.35, label="common", color="tab:blue")
    ax.bar(x["rare"], observed[[1, 3]], 0.35, label="rare", color="tab:red")
    if model is not None:
        model = np.asarray(model)
        ax.plot(np.r_[x["common"], x["rare"]], model[[0, 2, 1, 3]], "o", color="k", ms=5, label="model")
    ax.set_xticks([0.19, 1.19], ["rewarded", "unrewarded"])


def mark_events(ax, events: dict[str, float], *, top: bool = True) -> None:
    """Dashed vertical lines at event times, labelled (e.g. ``{"CS": 0, "R": 1}``)."""
    for label, t in events.items():
        ax.axvline(t, color="0.45", lw=0.8, ls="--", zorder=0)
        if top and label:
            ax.annotate(label, (t, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=9, color="0.25")


def raster(ax, spikes: xr.DataArray, *, color: str = "black", tick_height: float = 0.8) -> None:
    """One row of ticks per spike train (every dimension but ``spike_time`` flattened)."""
    trains = spike_times(spikes)
    ax.eventplot(trains, colors=color, linelengths=tick_height, linewidths=0.8)
    ax.set_ylim(-0.5, len(trains) - 0.5)
    ax.invert_yaxis()
    ax.set_yticks([])
    ax.set_xlim(float(spikes.spike_time[0]), float(spikes.spike_time[-1]))
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def psth_bars(ax, psth: xr.DataArray, *, color: str = "0.15", baseline: float | None = None) -> None:
    """PSTH as a bar histogram (Hz), with the baseline rate as a dotted line."""
    t = psth.time.values
    width = float(t[1] - t[0]) if t.size > 1 else 0.05
    ax.bar(t, psth.values, width=width, align="edge", color=color, edgecolor="none")
    if baseline is not None:
        ax.axhline(baseline, color="tab:blue", lw=0.8, ls=":")
    ax.set_xlim(t[0], t[-1] + width)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def rpe_heatmap(ax, rpe: xr.DataArray, *, trial_dim: str = "trial", cmap: str = "RdBu_r"):
    """RPE over trials (rows) x time (columns), symmetric colour scale around 0."""
    lim = float(np.nanmax(np.abs(rpe.values))) or 1.0
    t = rpe.time.values
    dt = float(t[1] - t[0]) if t.size > 1 else 1.0
    trials = rpe[trial_dim].values
    im = ax.imshow(rpe.transpose(trial_dim, "time").values, aspect="auto", cmap=cmap, vmin=-lim, vmax=lim,
                   origin="upper", interpolation="nearest",
                   extent=(t[0], t[-1] + dt, trials[-1] + 0.5, trials[0] - 0.5))
    return im
