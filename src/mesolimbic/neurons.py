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

__all__ = ["firing_rate", "habenula_rate", "salience_rate", "concentration", "adaptive_code", "outcome_spread",
           "poisson_spikes", "psth", "spike_times"]


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


def habenula_rate(
    rpe: xr.DataArray | np.ndarray,
    *,
    baseline: float = 25.0,
    gain_positive: float = 15.0,
    gain_negative: float = 15.0,
    floor: float = 0.0,
    latency: float = 0.05,
) -> xr.DataArray | np.ndarray:
    r"""Lateral habenula (LHb) neuron firing rate (Hz) from the RPE: a tonically active
    cell that reward *inhibits* and omission or punishment *excites*,

    .. math:: f_{\text{LHb}} = \max\big(f_{\text{floor}},\; f_0 - g_+ [\delta]_+ + g_- [-\delta]_+\big)

    the mirror image of :func:`firing_rate` about a baseline: an unpredicted reward
    pauses the cell, an omitted one or an aversive outcome drives it (Matsumoto &
    Hikosaka 2007, Nature 447:1111: LHb neurons fire tonically, are inhibited by
    reward and reward-predicting targets and excited by their absence, and respond
    before dopamine neurons; punishment: Matsumoto & Hikosaka 2009, Nat Neurosci
    12:77). Defaults are assumptions of this package: a 25 Hz baseline (LHb
    background rates are several times dopamine's) with equal gains, so that the
    cell — unlike dopamine neurons, which a full omission silences — codes
    negative errors by excitation and positive ones by inhibition with room on
    both sides. ``latency`` (s) is shorter than dopamine's 0.1 s default, as LHb
    responses precede them. Trial by trial it is anti-correlated with
    :func:`firing_rate` of the same RPE. DataArrays with a ``time`` coordinate
    are shifted by the latency, like :func:`firing_rate`.
    """
    check_range("baseline", baseline, 0.0)
    check_range("gain_positive", gain_positive, 0.0)
    check_range("gain_negative", gain_negative, 0.0)
    check_range("floor", floor, 0.0, baseline)
    check_range("latency", latency, 0.0)

    def rate(d):
        d = np.asarray(d, float)
        return np.maximum(baseline - gain_positive * np.maximum(d, 0) + gain_negative * np.maximum(-d, 0), floor)

    if isinstance(rpe, xr.DataArray):
        out = xr.apply_ufunc(rate, rpe)
        if latency > 0 and "time" in rpe.dims:
            dt = float(rpe.time[1] - rpe.time[0]) if rpe.sizes["time"] > 1 else latency
            out = out.shift(time=int(round(latency / dt)), fill_value=baseline)
        out.attrs = {"long_name": "lateral habenula neuron firing rate", "units": "Hz", "region": "lhb",
                     "baseline_rate": baseline, "latency_s": latency, "gain_positive": gain_positive,
                     "gain_negative": gain_negative, "floor": floor}
        out.name = "lhb_rate"
        return out
    return rate(rpe)


def concentration(
    rate: xr.DataArray | np.ndarray,
    *,
    dt: float | None = None,
    release: float = 0.1,
    vmax: float = 4.0,
    km: float = 0.2,
    substep: float = 0.001,
    c0: float | None = None,
) -> xr.DataArray | np.ndarray:
    r"""Extracellular dopamine concentration (µM) in the striatum from the firing rate of
    the dopamine neurons that project there: release per spike and Michaelis–Menten
    reuptake by the dopamine transporter,

    .. math:: \frac{dC}{dt} = R\, f(t) - \frac{V_{\max}\, C}{K_m + C}

    with ``release`` :math:`R` (µM per spike per second of firing, i.e. the
    concentration added by one spike of the population's mean rate), ``vmax``
    (µM/s) and ``km`` (µM). Defaults: :math:`V_{\max}` = 4 µM/s and
    :math:`K_m` = 0.2 µM, the order of the striatal uptake constants measured by
    voltammetry and used by Dreyer et al. (2010); :math:`R` = 0.1 µM per spike is an
    assumption chosen so that 4 Hz tonic firing gives a steady ~20 nM, the order
    of tonic striatal dopamine. The steady state of a constant rate ``f`` is
    :math:`C^* = K_m R f / (V_{\max} - R f)` (no steady state when
    :math:`R f \ge V_{\max}`: uptake saturates). Integrated by forward Euler on
    ``substep`` seconds (the reuptake time constant :math:`K_m/V_{\max}` is 50 ms),
    holding the rate constant within each step of ``rate``. An uptake blocker such
    as cocaine is a smaller ``vmax`` or a larger ``km``. The trace starts at
    ``c0`` (default: the steady state of the first step's rate).

    ``rate``: a DataArray with a ``time`` dimension (e.g. from :func:`firing_rate`;
    its step gives ``dt``) or an array whose last axis is time (``dt`` required).
    Returns the concentration on the same grid (the value at the end of each step).

    Reference: Dreyer, J. K., Herrik, K. F., Berg, R. W. & Hounsgaard, J. D. (2010).
    Influence of phasic and tonic dopamine release on receptor activation. J Neurosci
    30:14273-14283. For comparison with voltammetry of reward learning: Hart,
    Rutledge, Glimcher & Phillips (2014), J Neurosci 34:698.
    """
    import jax.numpy as jnp

    check_range("release", release, 0.0, math.inf, low_open=True)
    check_range("vmax", vmax, 0.0, math.inf, low_open=True)
    check_range("km", km, 0.0, math.inf, low_open=True)
    check_range("substep", substep, 0.0, math.inf, low_open=True)
    da = isinstance(rate, xr.DataArray)
    if da:
        if "time" not in rate.dims:
            raise ValueError("rate must have a 'time' dimension (e.g. from firing_rate)")
        t = rate.time.values
        if dt is None:
            if t.size < 2:
                raise ValueError("dt is needed when rate has a single time step")
            dt = float(t[1] - t[0])
        arr = rate.transpose(..., "time").values
    else:
        if dt is None:
            raise ValueError("dt (seconds per step of rate's last axis) is required for a plain array")
        arr = np.asarray(rate, float)
    check_range("dt", dt, 0.0, math.inf, low_open=True)
    if np.any(arr < 0):
        raise ValueError("rate must be a firing rate (>= 0 Hz)")
    n_sub = max(1, int(round(dt / substep)))
    h = dt / n_sub
    f0 = arr[..., 0]
    if c0 is None:
        drive = release * f0
        if np.any(drive >= vmax):
            raise ValueError(f"the first step's release {np.max(drive):.3g} µM/s is at or above vmax {vmax:g} µM/s: "
                             f"no steady state to start from; give c0")
        start = km * drive / (vmax - drive)
    else:
        start = np.broadcast_to(np.asarray(check_range("c0", c0, 0.0), float), f0.shape)

    def one_step(c, f):
        def sub(c, _):
            c = c + h * (release * f - vmax * c / (km + c))
            return jnp.maximum(c, 0.0), None

        c, _ = jax.lax.scan(sub, c, None, length=n_sub)
        return c, c

    x = jnp.moveaxis(jnp.asarray(arr, jnp.float32), -1, 0)
    _, cs = jax.jit(lambda c, x: jax.lax.scan(one_step, c, x))(jnp.asarray(start, jnp.float32), x)
    out = np.moveaxis(np.asarray(cs, float), 0, -1)
    if not da:
        return out
    dims = [d for d in rate.dims if d != "time"] + ["time"]
    res = xr.DataArray(out, dims=dims, coords={k: v for k, v in rate.coords.items() if set(v.dims) <= set(dims)},
                       name="concentration",
                       attrs={"long_name": "extracellular dopamine concentration", "units": "µM",
                              "release_uM_per_spike": release, "vmax_uM_per_s": vmax, "km_uM": km})
    return res.transpose(*rate.dims)


def adaptive_code(
    response: xr.DataArray | np.ndarray,
    spread: xr.DataArray | np.ndarray | float,
    *,
    centre: xr.DataArray | np.ndarray | float = 0.0,
    floor: float = 1e-6,
) -> xr.DataArray | np.ndarray:
    r"""Adaptive coding of reward (Tobler, Fiorillo & Schultz 2005): a response divided by
    the spread of the rewards the context predicts,

    .. math:: \tilde\delta = \frac{\delta - c}{\max(s, s_{\min})}

    where ``spread`` :math:`s` is the range or the standard deviation of the
    predicted outcomes (see :func:`outcome_spread`) and ``centre`` :math:`c` an
    optional offset (0: the RPE is already centred on the expectation). Dopamine
    neurons' responses to the larger of two equiprobable outcomes were about the
    same whatever the cue's range (0.05, 0.15 or 0.5 ml): the gain adapts to the
    range, so one firing-rate range codes outcomes at very different scales.
    ``floor`` :math:`s_{\min}` keeps a cue that predicts one certain outcome
    (spread 0) finite. Arrays broadcast (xarray: by dimension name).

    Reference: Tobler, P. N., Fiorillo, C. D. & Schultz, W. (2005). Adaptive coding
    of reward value by dopamine neurons. Science 307:1642-1645.
    """
    check_range("floor", floor, 0.0, math.inf, low_open=True)
    if isinstance(response, xr.DataArray) or isinstance(spread, xr.DataArray):
        out = (response - centre) / np.maximum(spread, floor)
        if isinstance(out, xr.DataArray):
            out.attrs = {"long_name": "adaptively coded response (divided by the predicted spread)", "units": "1"}
        return out
    s = np.asarray(spread, float)
    if np.any(s < 0):
        raise ValueError(f"spread must be >= 0 (a range or an SD), got {s.min():g}")
    return (np.asarray(response, float) - centre) / np.maximum(s, floor)


def outcome_spread(values, probs=None, *, kind: str = "range") -> float:
    """The spread of a cue's predicted outcomes for :func:`adaptive_code`: ``"range"``
    (max - min of the outcomes with nonzero probability) or ``"sd"`` (standard
    deviation under ``probs``, default equiprobable)."""
    check_choice("kind", kind, ("range", "sd"))
    v = np.asarray(values, float).ravel()
    p = np.full(v.size, 1.0 / v.size) if probs is None else np.asarray(probs, float).ravel()
    if p.shape != v.shape or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError(f"probs must be {v.size} non-negative numbers summing to 1, got {p.tolist()}")
    if kind == "range":
        on = v[p > 0]
        return float(on.max() - on.min())
    m = float(np.sum(p * v))
    return float(np.sqrt(np.sum(p * (v - m) ** 2)))


def salience_rate(
    rpe_appetitive: xr.DataArray | np.ndarray,
    rpe_aversive: xr.DataArray | np.ndarray,
    *,
    baseline: float = 4.0,
    gain: float = 20.0,
    latency: float = 0.1,
) -> xr.DataArray | np.ndarray:
    r"""Firing rate (Hz) of *salience-coding* dopamine neurons: excited when an event is
    more rewarding *or* more aversive than predicted,

    .. math:: f = f_0 + g\,\big([\delta_{\text{app}}]_+ + [\delta_{\text{av}}]_+\big)

    where :math:`\delta_{\text{app}}` is the prediction error of reward and
    :math:`\delta_{\text{av}}` that of punishment (each from a critic of its own
    valence, punishment counted positive). *Value-coding* neurons are
    :func:`firing_rate` of :math:`\delta_{\text{app}} - \delta_{\text{av}}` (the error
    of a single signed critic): excited by reward, inhibited by punishment and
    its predictors. Matsumoto & Hikosaka (2009) found both types in the monkey
    midbrain, value coding more ventromedially and salience coding dorsolaterally;
    Bromberg-Martin, Matsumoto & Hikosaka (2010) proposed the salience type
    supports orienting and arousal. Omissions are not modelled as salient here
    (the negative parts are dropped), an assumption of this readout. ``latency``
    as in :func:`firing_rate`.

    References: Matsumoto, M. & Hikosaka, O. (2009). Two types of dopamine neuron
    distinctly convey positive and negative motivational signals. Nature
    459:837-841. Bromberg-Martin, E. S., Matsumoto, M. & Hikosaka, O. (2010).
    Dopamine in motivational control: rewarding, aversive, and alerting. Neuron
    68:815-834.
    """
    check_range("baseline", baseline, 0.0)
    check_range("gain", gain, 0.0)
    check_range("latency", latency, 0.0)

    def rate(a, v):
        return baseline + gain * (np.maximum(np.asarray(a, float), 0) + np.maximum(np.asarray(v, float), 0))

    if isinstance(rpe_appetitive, xr.DataArray):
        out = xr.apply_ufunc(rate, rpe_appetitive, rpe_aversive)
        if latency > 0 and "time" in out.dims:
            dt = float(out.time[1] - out.time[0]) if out.sizes["time"] > 1 else latency
            out = out.shift(time=int(round(latency / dt)), fill_value=baseline)
        out.attrs = {"long_name": "salience-coding dopamine neuron firing rate", "units": "Hz",
                     "baseline_rate": baseline, "gain": gain, "latency_s": latency}
        out.name = "salience_rate"
        return out
    return rate(rpe_appetitive, rpe_aversive)
