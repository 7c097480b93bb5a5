"""One figure style for every experiment, and the plots of the dopamine literature.

* **Style.** :data:`RC` (applied by :func:`style`; the registry draws every
  experiment's figure inside it): the Okabe–Ito colour-blind-safe palette as the
  colour cycle, no top/right spines, legible sizes, one resolution :data:`DPI`
  for every saved figure (``mesolimbic run``, ``mesolimbic reproduce``, the
  fitting outputs). Named colours (:data:`BLUE`, :data:`VERMILLION`, ...) say
  what a colour means where a figure needs a fixed one; :func:`ordered` gives
  colours for an ordered variable (reward probability, interval) from a
  colour-blind-safe sequential map without its pale end.
* **Spread.** Where agents or seeds vary, figures show the mean with a 95 %
  confidence interval of the mean (Student's t over the agents present):
  :func:`band` for curves, :func:`errorbar` for points, :func:`bars` for bars,
  :func:`mean_ci` for the numbers; :func:`note` says so under the figure.
* **Plots.** Raster, PSTH, RPE heat map, event markers, phase labels, two-step
  stay bars.
"""

from __future__ import annotations

import contextlib
import functools

import matplotlib

matplotlib.use("Agg")  # headless by default; figures are written to files

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from cycler import cycler  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from .neurons import spike_times  # noqa: E402

__all__ = ["DPI", "RC", "PALETTE", "OKABE_ITO", "BLACK", "ORANGE", "SKY", "GREEN", "YELLOW", "BLUE", "VERMILLION",
           "PURPLE", "GREY", "style", "styled", "ordered", "mean_ci", "band", "errorbar", "bars", "note",
           "label_phases", "legend_below", "overlapping", "DASHED", "raster", "psth_bars", "rpe_heatmap", "mark_events", "stay_bars", "is_style_colour",
           "audit", "png_bytes", "plt"]

#: one resolution for every saved figure (``run``, ``reproduce``, fitting outputs), dots per inch
DPI = 100

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7"}
BLACK, ORANGE, SKY, GREEN = OKABE_ITO["black"], OKABE_ITO["orange"], OKABE_ITO["sky blue"], OKABE_ITO["bluish green"]
YELLOW, BLUE, VERMILLION, PURPLE = (OKABE_ITO["yellow"], OKABE_ITO["blue"], OKABE_ITO["vermillion"],
                                    OKABE_ITO["reddish purple"])
#: neutral elements (reference lines, controls)
GREY = "0.45"
#: the colour cycle: Okabe–Ito without yellow (too pale for lines on white)
PALETTE = (BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY, BLACK)
#: the sequential map of :func:`ordered` and the part of it used (its pale yellow end is left out)
SEQUENTIAL, SEQUENTIAL_RANGE = "viridis", (0.0, 0.8)

RC = {
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.labelsize": 9.5,
    "axes.titlepad": 6,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8,
    "legend.frameon": True,
    "legend.framealpha": 0.85,
    "legend.edgecolor": "none",
    "legend.fancybox": False,
    "figure.titlesize": 11,
    "lines.linewidth": 1.6,
    "lines.markersize": 4.5,
    "image.cmap": SEQUENTIAL,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.family": "DejaVu Sans",
}


def png_bytes(fig, *, dpi: int = DPI) -> bytes:
    """The figure as PNG at ``dpi`` (:data:`DPI`): what ``mesolimbic run`` saves and ``mesolimbic
    reproduce`` saves and embeds in the report (the same bytes for the same figure). The image
    is reduced to 256 colours (median cut, no dithering), which keeps line art and colour maps
    intact at about a third of the size."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    img = Image.open(buf).convert("RGB")
    out = io.BytesIO()
    img.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True, dpi=(dpi, dpi))
    return out.getvalue()


def style():
    """Context manager: figures created inside it use :data:`RC`."""
    return plt.rc_context(RC)


def styled(draw):
    """Decorator: ``draw(...)`` builds its figure inside :func:`style`."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with style():
            return draw(*args, **kwargs)

    return wrapper


def ordered(n: int) -> list[tuple[float, float, float, float]]:
    """``n`` colours for an ordered variable, dark (low) to light (high)."""
    cmap = plt.get_cmap(SEQUENTIAL)
    lo, hi = SEQUENTIAL_RANGE
    return [cmap(v) for v in (np.linspace(lo, hi, n) if n > 1 else [lo])]


# --- spread -----------------------------------------------------------------------------------------------


def _samples(samples, axis):
    """``(values, axis)`` with ``axis`` an integer, from a DataArray and a dimension name or an array."""
    if isinstance(samples, xr.DataArray):
        if isinstance(axis, str):
            if axis not in samples.dims:
                raise ValueError(f"samples have no dimension {axis!r}; they have {samples.dims}")
            return np.asarray(samples.values, dtype=float), samples.dims.index(axis)
        return np.asarray(samples.values, dtype=float), int(axis)
    if isinstance(axis, str):
        raise ValueError(f"axis={axis!r} names a dimension: pass the samples as an xarray.DataArray")
    return np.asarray(samples, dtype=float), int(axis)


def mean_ci(samples, axis="agent", level: float = 0.95):
    """Mean over ``axis`` and the ``level`` confidence interval of the mean (Student's t),
    NaN-aware: ``(mean, lo, hi, n)``, where fewer than two samples give ``lo = hi = mean``."""
    from scipy.stats import t as student_t

    v, ax = _samples(samples, axis)
    n = np.sum(np.isfinite(v), axis=ax)
    with np.errstate(invalid="ignore", divide="ignore"):
        with warnings_off():
            mean = np.nanmean(v, axis=ax)
            sd = np.nanstd(v, axis=ax, ddof=1)
        half = student_t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    half = np.where(n > 1, half, 0.0)
    return mean, mean - half, mean + half, n


@contextlib.contextmanager
def warnings_off():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def band(ax, x, samples, axis="agent", *, color=None, label=None, alpha: float = 0.22, fmt: str | None = None,
         level: float = 0.95, **line_kw):
    """A curve: the mean of ``samples`` over ``axis`` (a dimension name, or an axis number
    for arrays) against ``x``, with its ``level`` confidence interval as a shaded band.
    Points where no sample is finite are left out. Returns the line."""
    mean, lo, hi, n = mean_ci(samples, axis, level)
    x = np.asarray(x)
    ok = np.isfinite(mean)
    args = (x[ok], mean[ok]) if fmt is None else (x[ok], mean[ok], fmt)
    (line,) = ax.plot(*args, color=color, label=label, **line_kw)
    if np.any(n[ok] > 1):
        step = {"steps-post": "post", "steps-pre": "pre", "steps": "pre", "steps-mid": "mid"}.get(
            line_kw.get("drawstyle", line_kw.get("ds")))
        ax.fill_between(x[ok], lo[ok], hi[ok], color=line.get_color(), alpha=alpha, lw=0, step=step,
                        zorder=line.get_zorder() - 1)
    return line



def _centred(mean, lo, hi, center):
    """The interval moved to ``center`` (a pooled estimate), keeping its half-widths."""
    if center is None:
        return mean, lo, hi
    center = np.asarray(center, dtype=float)
    return center, center - (mean - lo), center + (hi - mean)


def errorbar(ax, x, samples, axis="agent", *, fmt: str = "o-", color=None, label=None, level: float = 0.95,
             center=None, **kw):
    """Points (and lines): the mean over ``axis`` with ``level`` confidence-interval error bars;
    ``center``: plot this estimate instead of the mean of the samples (e.g. a mean pooled over
    trials, when agents have different numbers of them), with the samples' interval widths."""
    mean, lo, hi = _centred(*mean_ci(samples, axis, level)[:3], center)
    return ax.errorbar(x, mean, yerr=np.vstack([mean - lo, hi - mean]), fmt=fmt, color=color, label=label,
                       capsize=2.5, elinewidth=1, **kw)


def bars(ax, x, samples, axis="agent", *, width: float = 0.8, color=None, label=None, level: float = 0.95,
         center=None, **kw):
    """Bars of the mean over ``axis`` with ``level`` confidence-interval error bars (black);
    ``center`` as in :func:`errorbar`."""
    mean, lo, hi, n = mean_ci(samples, axis, level)
    mean, lo, hi = _centred(mean, lo, hi, center)
    err = np.vstack([mean - lo, hi - mean]) if np.any(n > 1) else None
    return ax.bar(x, mean, width, color=color, label=label, yerr=err,
                  error_kw={"ecolor": BLACK, "elinewidth": 1, "capsize": 2.5}, **kw)


NOTE_ROOM, LEGEND_ROOM = 0.26, 0.32  # inches kept free under the axes for a footnote, a legend row


def _keep_bottom(fig, inches: float) -> None:
    """Keep the bottom ``inches`` of the figure free of axes (constrained layout)."""
    engine = fig.get_layout_engine()
    frac = inches / fig.get_figheight()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, frac, 1, 1 - frac))


def note(fig, text: str) -> None:
    """A footnote under the figure (e.g. what the bands are), with room made for it."""
    fig._ml_note = True
    _keep_bottom(fig, NOTE_ROOM + LEGEND_ROOM * getattr(fig, "_ml_legend_rows", 0))
    fig.text(0.005, 0.008, text, ha="left", va="bottom", fontsize=8, color="0.3")


def legend_below(fig, ax=None, *, ncol: int | None = None, **kw):
    """One legend for the figure, centred under the axes (outside every axes, so it hides no
    data) and above the footnote, from ``ax``'s handles (the first axes by default)."""
    ax = ax or fig.axes[0]
    handles, labels = ax.get_legend_handles_labels()
    ncol = ncol or len(labels)
    rows = -(-len(labels) // ncol) + (0.8 if kw.get("title") else 0)
    fig._ml_legend_rows = rows
    _keep_bottom(fig, NOTE_ROOM + LEGEND_ROOM * rows)
    return fig.legend(handles, labels, loc="lower center", ncol=ncol, bbox_to_anchor=(0.5, NOTE_ROOM / fig.get_figheight()),
                      **kw)


#: how a curve that coincides with an earlier one is drawn, so that neither hides the other
DASHED = {"ls": (0, (4, 2)), "lw": 2.2}


def overlapping(curves: dict, *, atol: float = 1e-3, share: float = 0.8) -> dict:
    """Label -> an earlier label whose curve (mean, 1-D) it equals, within ``atol``, on at least
    ``share`` of the points (e.g. a manipulation that does not change a signal): draw those
    with :data:`DASHED` over the earlier one and say so in the legend."""
    out: dict = {}
    labels = list(curves)
    for i, k in enumerate(labels):
        v = np.asarray(curves[k], dtype=float)
        for other in labels[:i]:
            w = np.asarray(curves[other], dtype=float)
            if other not in out and v.shape == w.shape and np.mean(np.isclose(v, w, atol=atol)) >= share:
                out[k] = other
                break
    return out


def label_phases(ax, bounds, names, *, top: bool = True) -> int:
    """Dashed lines at the phase boundaries ``bounds`` (x values) and each phase's name
    centred over it at the top of the axes (``names``: one more than ``bounds``), names of
    narrow phases raised to a second or third row where they would overlap. Returns the
    number of rows of names (pad the axes title by 10 points per row)."""
    lo, hi = ax.get_xlim()
    edges = [lo, *bounds, hi]
    for b in bounds:
        ax.axvline(b, color=GREY, lw=0.8, ls="--", zorder=0)
    if top:
        width_in = ax.get_position().width * ax.figure.get_figwidth()
        per_char = 8 * 0.55 / 72 / width_in * (hi - lo)  # data units per character at 8 pt
        ends: list[float] = []  # the right end of the last name on each row
        for name, a, b in zip(names, edges[:-1], edges[1:]):
            centre, half = (a + b) / 2, (len(str(name)) + 1) * per_char / 2
            row = next((r for r, end in enumerate(ends) if centre - half > end), len(ends))
            if row == len(ends):
                ends.append(centre + half)
            ends[row] = centre + half
            ax.annotate(str(name), (centre, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2 + 10 * row),
                        textcoords="offset points", ha="center", va="bottom", fontsize=8, color="0.25")
        ax.set_xlim(lo, hi)
        return max(1, len(ends))
    ax.set_xlim(lo, hi)
    return 0


# --- plots ------------------------------------------------------------------------------------------------


def stay_bars(ax, observed, model=None, *, err=None) -> None:
    """Two-step stay probabilities as bars (common blue, rare vermillion) after rewarded and
    unrewarded trials, in the order of :data:`mesolimbic.tasks.two_step.STAY_CONDITIONS`;
    ``model``: predicted values drawn as black dots on the bars; ``err``: ``(lo, hi)`` arrays
    of a confidence interval in the same order, drawn as error bars."""
    observed = np.asarray(observed)
    x = {"common": np.array([0.0, 1.0]), "rare": np.array([0.38, 1.38])}
    for kind, idx, color in (("common", [0, 2], BLUE), ("rare", [1, 3], VERMILLION)):
        yerr = None
        if err is not None:
            lo, hi = (np.asarray(e)[idx] for e in err)
            yerr = np.vstack([observed[idx] - lo, hi - observed[idx]])
        ax.bar(x[kind], observed[idx], 0.35, label=kind, color=color, yerr=yerr,
               error_kw={"ecolor": BLACK, "elinewidth": 1, "capsize": 2.5})
    if model is not None:
        model = np.asarray(model)
        ax.plot(np.r_[x["common"], x["rare"]], model[[0, 2, 1, 3]], "o", color=BLACK, ms=5, label="model")
    ax.set_xticks([0.19, 1.19], ["rewarded", "unrewarded"])
    ax.set_xlabel("previous trial's outcome")


def mark_events(ax, events: dict[str, float], *, top: bool = True) -> None:
    """Dashed vertical lines at event times, labelled (e.g. ``{"CS": 0, "R": 1}``)."""
    for label, t in events.items():
        ax.axvline(t, color=GREY, lw=0.8, ls="--", zorder=0)
        if top and label:
            ax.annotate(label, (t, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=9, color="0.25")


def raster(ax, spikes: xr.DataArray, *, color: str = BLACK, tick_height: float = 0.8) -> None:
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
        ax.axhline(baseline, color=BLUE, lw=0.8, ls=":")
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


# --- checking a figure against the style -----------------------------------------------------------------


def is_style_colour(c, tol: float = 0.02) -> bool:
    """True for a colour of the style: the palette (yellow included, for fills), a grey, or
    a colour of :func:`ordered`'s sequential map."""
    rgb = np.asarray(to_rgb(c))
    if np.ptp(rgb) < tol:
        return True
    if any(np.abs(rgb - to_rgb(p)).max() < tol for p in OKABE_ITO.values()):
        return True
    lo, hi = SEQUENTIAL_RANGE
    lut = plt.get_cmap(SEQUENTIAL)(np.linspace(lo, hi, 512))[:, :3]
    return bool(np.abs(lut - rgb).max(axis=1).min() < tol)


def audit(fig) -> list[str]:
    """What a reviewer would flag mechanically: every axes with data needs x and y labels
    (an axes may say ``ax.yaxis.set_visible(False)`` or share its neighbour's y label
    through ``sharey``), and every line, marker and bar uses a colour of the style.
    Returns the problems, one line each (empty: none)."""
    from matplotlib.collections import Collection
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    problems = []
    for i, ax in enumerate(fig.axes):
        if ax.get_label() == "<colorbar>":
            if not ax.get_ylabel() and not ax.get_xlabel():
                problems.append(f"axes {i}: colour bar without a label")
            continue
        has_data = bool(ax.lines or ax.collections or ax.patches or ax.images)
        if not has_data:
            continue
        name = f"axes {i} ({ax.get_title() or 'untitled'})"
        if ax.xaxis.get_visible() and not _label_or_shared(ax, "x"):
            problems.append(f"{name}: no x label")
        if ax.yaxis.get_visible() and not _label_or_shared(ax, "y"):
            problems.append(f"{name}: no y label")
        colours = []
        for ln in ax.lines:
            if not isinstance(ln, Line2D) or not ln.get_visible():
                continue
            if ln.get_linestyle() not in ("None", "", " ", "none"):
                colours.append(ln.get_color())
            if ln.get_marker() not in (None, "", "None", " ", "none"):
                colours.append(ln.get_markeredgecolor())
                if ln.get_marker() in Line2D.filled_markers and ln.get_fillstyle() != "none":
                    colours.append(ln.get_markerfacecolor())
        for p in ax.patches:
            if isinstance(p, Rectangle) and p.get_width() != 0 and p.get_height() != 0:
                colours.append(p.get_facecolor())
        for col in ax.collections:
            if isinstance(col, Collection) and not isinstance(col, AxesImage):
                for arr in (col.get_facecolor(), col.get_edgecolor()):
                    colours += [tuple(c) for c in np.atleast_2d(arr) if len(c) and c[3] > 0]
        bad = {str(c) for c in colours if not _none(c) and not is_style_colour(c)}
        if bad:
            problems.append(f"{name}: colours outside the style: {sorted(bad)[:4]}")
    return problems


def _none(c) -> bool:
    return isinstance(c, str) and c.lower() in ("none", "auto")


def _label_or_shared(ax, which: str) -> bool:
    if (ax.get_xlabel() if which == "x" else ax.get_ylabel()).strip():
        return True
    group = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    siblings = [a for a in group.get_siblings(ax) if a is not ax]
    return any((a.get_xlabel() if which == "x" else a.get_ylabel()).strip() for a in siblings)
