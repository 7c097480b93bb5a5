"""Seeds of any size (all bits used) and the memory guard."""

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesolimbic._memory import ENV, check_memory, memory_limit, parse_bytes
from mesolimbic._seed import check_seed, jax_key, numpy_rng, seed_attr


@pytest.mark.parametrize("bad", [-1, -(2 ** 70), 1.0, 0.5, "3", None, True, np.bool_(False)])
def test_check_seed_refuses_with_the_option_named(bad):
    with pytest.raises(ValueError, match=r"^--seed must be a non-negative integer") as e:
        check_seed("--seed", bad)
    assert "\n" not in str(e.value)


def test_check_seed_accepts_any_size_and_numpy_integers():
    assert check_seed("--seed", np.uint64(2 ** 64 - 1)) == 2 ** 64 - 1
    assert check_seed("--seed", 2 ** 200) == 2 ** 200
    assert type(check_seed("--seed", np.int32(3))) is int


def test_keys_use_every_bit_of_the_seed():
    """The bug: PRNGKey(2**32) == PRNGKey(0) (32-bit truncation); 2**63 raised OverflowError."""
    seeds = [0, 1, 2 ** 32, 2 ** 32 + 1, 2 ** 63, 2 ** 64, 2 ** 64 + 2 ** 32, 2 ** 128]
    draws = [float(jax.random.uniform(jax_key(s))) for s in seeds]
    assert len(set(draws)) == len(seeds)
    np.testing.assert_array_equal(jax_key(2 ** 64), jax_key(2 ** 64))  # deterministic
    assert not np.array_equal(jax_key(7), jax_key(7, 0))  # a path is a separate stream
    assert jax_key(3).dtype == np.uint32 and jax_key(3).shape == (2,)
    assert jax.random.split(jax_key(3), 4).shape == (4, 2)  # works like jax.random.PRNGKey's keys
    assert numpy_rng(2 ** 64).random() != numpy_rng(0).random()


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2 ** 256))
def test_seed_attr_round_trips_through_netcdf_types(seed):
    a = seed_attr(seed)
    assert (isinstance(a, int) and a <= 2 ** 63 - 1) or (isinstance(a, str) and int(a) == seed)
    assert int(a) == seed


def test_seed_attr_is_stored_by_h5netcdf(tmp_path):
    import xarray as xr

    for s in (2 ** 63 - 1, 2 ** 63, 2 ** 64):
        ds = xr.Dataset({"x": ("a", [1.0])}, attrs={"seed": seed_attr(s)})
        ds.to_netcdf(tmp_path / f"{s}.nc", engine="h5netcdf")
        with xr.open_dataset(tmp_path / f"{s}.nc", engine="h5netcdf") as back:
            assert int(back.attrs["seed"]) == s


def test_check_memory_refuses_with_estimate_and_limit(monkeypatch):
    with pytest.raises(ValueError) as e:
        check_memory(800 * 10 ** 9, "simulating 100000000 agents", limit=2 ** 30)
    msg = str(e.value)
    assert "\n" not in msg and "simulating 100000000 agents" in msg and "745 GiB" in msg and "1 GiB" in msg
    assert check_memory(10, "x", limit=100) == 10
    monkeypatch.setenv(ENV, "512MiB")
    assert memory_limit() == 512 * 2 ** 20
    with pytest.raises(ValueError, match=ENV):
        check_memory(2 ** 30, "y")
    monkeypatch.setenv(ENV, "lots")
    with pytest.raises(ValueError, match=f"{ENV} must be a number of bytes"):
        check_memory(1, "z")
    monkeypatch.delenv(ENV)
    lim = memory_limit()
    assert lim is None or 0 < lim < 2 ** 50


@pytest.mark.parametrize("text, n", [("1024", 1024), ("8G", 8 * 2 ** 30), ("1.5GiB", int(1.5 * 2 ** 30)),
                                     ("2e9", 2 * 10 ** 9), ("512 mb", 512 * 10 ** 6)])
def test_parse_bytes(text, n):
    assert parse_bytes(text) == n


def test_torch_seed_keeps_small_seeds_and_hashes_large_ones():
    from mesolimbic._seed import torch_seed

    assert torch_seed(0) == 0 and torch_seed(2 ** 63 - 1) == 2 ** 63 - 1  # existing runs keep their numbers
    big = [torch_seed(s) for s in (2 ** 63, 2 ** 64 - 1, 2 ** 64, 2 ** 64 + 1, 2 ** 200)]
    assert len(set(big)) == len(big) and all(0 <= b < 2 ** 63 for b in big)  # torch takes 63 bits


def test_poisson_spikes_use_every_bit_of_the_seed():
    import xarray as xr

    from mesolimbic.neurons import poisson_spikes

    rate = xr.DataArray(np.full((3, 50), 40.0), dims=("trial", "time"), coords={"time": np.arange(50) * 0.01})
    a, b, c = (poisson_spikes(rate, seed=s) for s in (0, 2 ** 32, 2 ** 64))
    assert not np.array_equal(a.values, b.values) and not np.array_equal(a.values, c.values)
    assert c.attrs["seed"] == str(2 ** 64) and a.attrs["seed"] == 0
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        poisson_spikes(rate, seed=-1)
