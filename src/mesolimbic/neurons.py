"""From RPE to what an electrophysiologist records: firing rate, spikes, PSTH.

The readout is separate from learning (DESIGN.md, principle 4): a model
produces the RPE; this module turns it into a dopamine neuron's firing.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any, overload

import jax
import numpy as np
import xarray as xr

from ._seed import check_seed, jax_key, seed_attr
from ._validate import check_choice, check_range

__all__ = ["firing_rate", "poisson_spikes", "psth", "spike_times"]


@overload
def firing_rate(rpe: xr.DataArray, *, baseline: float = ..., gain_positive: float = ..., gain_negative: float = ...,
                floor: float = ..., latency: float = ..., form: str = ..., beta: float = ...) -> xr.DataArray: ...
@overload
def firing_rate(rpe: np.ndarray | Sequence[float], *, baseline: float = ..., gain_positive: float = ...,
                gain_negative: float = ..., floor: float = ..., latency: float = ..., form: str = ...,
                beta: float = ...) -> np.ndarray: ...
def firing_rate(
    rpe: xr.DataArray | np.ndarray | Sequence[float],
    *,
    baseline: float = 4.0,
    gain_positive: float = 20.0,
    gain_negative: float = 4.0,
    floor: float = 0.0,
    latency: float = 0.1,
    form: str = "linear",
    beta: float = 1.0,
) -> xr.DataArray | np.ndarray:
    r"""Dopamine neuron firing rate (Hz) from the RPE.

    ``form="linear"`` (default): a baseline with separate gains for bursts and
    dips and a floor,

    .. math:: f = \max\big(f_{\text{floor}},\; f_0 + g_+ [\delta]_+ - g_- [-\delta]_+\big)

    so dips are shallower than bursts: with the defaults (4 Hz baseline, 20 Hz
    per unit positive RPE, 4 Hz per unit negative RPE, floor 0 Hz) a full
    omission silences the cell while a full unpredicted reward adds 20 Hz, as in
    the asymmetric coding recorded by Bayer & Glimcher (2005, Neuron 47:129).
    Baseline rates of 3-5 Hz are typical of midbrain dopamine neurons
    (Schultz 1998, J Neurophysiol 80:1).

    ``form="exponential"``: :math:`f = f_0 \exp(\beta\,\delta)` (positive, with
    compressed dips).

    ``latency`` (s) delays the response, as dopamine responses follow events by
    ~50-150 ms; it is applied when ``rpe`` is a DataArray with a ``time``
    coordinate (rounded to whole time steps; the first steps take the baseline).

    >>> from mesolimbic.neurons import firing_rate
    >>> firing_rate([1.0, 0.0, -1.0, -2.0])          # burst, baseline, silence, floor
    array([24.,  4.,  0.,  0.])
    """
    check_range("baseline", baseline, 0.0)
    check_range("gain_positive", gain_positive, 0.0)
    check_range("gain_negative", gain_negative, 0.0)
    check_range("floor", floor, 0.0, baseline)
    check_range("latency", latency, 0.0)
    check_choice("form", form, ("linear", "exponential"))
    check_range("beta", beta, 0.0)

    def rate(d):
        d = np.asarray(d, float)
        if form == "linear":
            f = baseline + gain_positive * np.maximum(d, 0) - gain_negative * np.maximum(-d, 0)
            return np.maximum(f, floor)
        return baseline * np.exp(beta * d)

    if isinstance(rpe, xr.DataArray):
        out = xr.apply_ufunc(rate, rpe)
        if latency > 0 and "time" in rpe.dims:
            dt = float(rpe.time[1] - rpe.time[0]) if rpe.sizes["time"] > 1 else latency
            shift = int(round(latency / dt))
            out = out.shift(time=shift, fill_value=baseline)
        out.attrs = {"long_name": "dopamine neuron firing rate", "units": "Hz", "baseline_rate": baseline,
                     "latency_s": latency, "form": form, "gain_positive": gain_positive,
                     "gain_negative": gain_negative, "floor": floor}
        out.name = "firing_rate"
        return out
    return rate(rpe)


def poisson_spikes(rate: xr.DataArray, *, seed: int = 0, resolution: float = 0.001) -> xr.DataArray:
    """Inhomogeneous Poisson spike trains from a rate with a ``time`` dimension.

    The rate is held constant within each time step; spikes are drawn on a fine
    grid of ``resolution`` seconds (at most one per bin, probability
    ``rate * resolution``). Returns a boolean DataArray with the rate's other
    dimensions and ``spike_time`` (s) in place of ``time``.
    """
    if not isinstance(rate, xr.DataArray) or "time" not in rate.dims:
        raise ValueError("rate must be an xarray.DataArray with a 'time' dimension (e.g. from firing_rate)")
    check_range("resolution", resolution, 0.0, math.inf, low_open=True)
    seed = check_seed("seed", seed)
    t = rate.time.values
    dt = float(t[1] - t[0]) if t.size > 1 else resolution
    sub = max(1, int(round(dt / resolution)))
    r = rate.transpose(..., "time").values
    fine = np.repeat(r, sub, axis=-1) * (dt / sub)
    if np.nanmax(fine, initial=0.0) > 1:
        raise ValueError(f"resolution {resolution} s is too coarse for rates up to {np.nanmax(r):.0f} Hz")
    u = np.asarray(jax.random.uniform(jax_key(seed), fine.shape))
    spikes = u < fine
    fine_t = t[0] + (np.arange(t.size * sub)) * (dt / sub)
    dims = [d for d in rate.dims if d != "time"] + ["spike_time"]
    coords: dict[Hashable, Any] = {d: rate[d] for d in dims[:-1] if d in rate.coords}
    coords["spike_time"] = ("spike_time", fine_t, {"units": "s"})
    return xr.DataArray(spikes, dims=dims, coords=coords, name="spikes",
                        attrs={"resolution_s": dt / sub, "seed": seed_attr(seed)})


def spike_times(spikes: xr.DataArray) -> list[np.ndarray]:
    """Spike times (s) of each train, flattening every dimension but ``spike_time``."""
    arr = spikes.transpose(..., "spike_time")
    t = arr.spike_time.values
    flat = arr.values.reshape(-1, t.size)
    return [t[row] for row in flat]


def psth(spikes: xr.DataArray, *, bin_width: float = 0.05, over: tuple[str, ...] | None = None) -> xr.DataArray:
    """Peri-stimulus time histogram: mean firing rate (Hz) in bins of ``bin_width`` s.

    Averages over the dimensions in ``over`` (default: all but ``spike_time``).
    """
    check_range("bin_width", bin_width, 0.0, math.inf, low_open=True)
    res = float(spikes.attrs.get("resolution_s", float(spikes.spike_time[1] - spikes.spike_time[0])))
    per = max(1, int(round(bin_width / res)))
    over = tuple(str(d) for d in spikes.dims if d != "spike_time") if over is None else over
    n_bins = spikes.sizes["spike_time"] // per
    trimmed = spikes.isel(spike_time=slice(0, n_bins * per))
    counts = trimmed.coarsen(spike_time=per).sum()
    rate = counts.astype(float).mean(over) / (per * res)
    edges = spikes.spike_time.values[: n_bins * per : per]
    rate = rate.rename(spike_time="time").assign_coords(time=("time", edges, {"units": "s"}))
    rate.attrs = {"long_name": "PSTH", "units": "Hz", "bin_width_s": per * res}
    rate.name = "psth"
    return rate
