import numpy as np
import pytest
import xarray as xr

from mesolimbic import neurons


def rpe_da():
    t = np.round(np.arange(-0.5, 1.0, 0.1), 6)
    d = np.zeros((2, t.size))
    d[0, 5] = 1.0   # burst at 0 s
    d[1, 10] = -1.0  # dip at 0.5 s
    return xr.DataArray(d, dims=("trial", "time"), coords={"time": t})


def test_linear_readout_hand_values():
    f = neurons.firing_rate(np.array([-2.0, -0.5, 0.0, 0.5, 1.0]), baseline=4, gain_positive=20, gain_negative=4)
    np.testing.assert_allclose(f, [0.0, 2.0, 4.0, 14.0, 24.0])  # floor at 0 Hz for the big dip


def test_exponential_readout():
    f = neurons.firing_rate(np.array([0.0, 1.0]), baseline=5.0, form="exponential", beta=0.5)
    np.testing.assert_allclose(f, [5.0, 5.0 * np.exp(0.5)])


def test_latency_shifts_along_time_and_attrs():
    f = neurons.firing_rate(rpe_da(), latency=0.1)
    assert f.attrs["units"] == "Hz" and f.attrs["baseline_rate"] == 4.0
    assert float(f.isel(trial=0, time=6)) == 24.0 and float(f.isel(trial=0, time=5)) == 4.0
    assert float(f.isel(trial=1, time=11)) == 0.0
    assert float(f.isel(trial=0, time=0)) == 4.0  # filled with the baseline


def test_bursts_larger_than_dips():
    f = neurons.firing_rate(np.array([-1.0, 1.0]))
    assert (f[1] - 4.0) > 2 * (4.0 - f[0])


def test_poisson_spikes_rate_and_psth():
    t = np.round(np.arange(0, 1.0, 0.1), 6)
    rate = xr.DataArray(np.full((400, t.size), 20.0), dims=("trial", "time"), coords={"time": t})
    rate[:, 5] = 100.0
    spikes = neurons.poisson_spikes(rate, seed=3)
    assert spikes.dtype == bool and spikes.sizes["spike_time"] == 1000
    p = neurons.psth(spikes, bin_width=0.1)
    assert p.attrs["units"] == "Hz" and p.sizes["time"] == 10
    np.testing.assert_allclose(p.values[[0, 1, 2, 3, 4, 6, 7, 8, 9]], 20.0, rtol=0.2)
    assert p.values[5] == pytest.approx(100.0, rel=0.1)
    again = neurons.poisson_spikes(rate, seed=3)
    assert (again.values == spikes.values).all()
    assert len(neurons.spike_times(spikes)) == 400


def test_readout_errors():
    with pytest.raises(ValueError, match="form must be one of"):
        neurons.firing_rate(np.zeros(3), form="sigmoid")
    with pytest.raises(ValueError, match=r"baseline must be in \[0, inf\], got -1"):
        neurons.firing_rate(np.zeros(3), baseline=-1)
    with pytest.raises(ValueError, match="'time' dimension"):
        neurons.poisson_spikes(np.zeros(3))
