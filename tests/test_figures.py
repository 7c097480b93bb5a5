"""The figure style: the helpers' numbers, the audit that every experiment's figure passes
(tests/test_reproduce.py runs it on the whole suite), one resolution for `run` and `reproduce`,
and a topic for every experiment."""

import io

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from mesolimbic import plot
from mesolimbic.cli import app

runner = CliRunner()


def test_mean_ci_is_the_t_interval_of_the_mean():
    from scipy import stats

    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3))
    x[0, 2] = np.nan  # NaN-aware: the third column has 11 samples
    mean, lo, hi, n = plot.mean_ci(x, 0)
    assert n.tolist() == [12, 12, 11]
    for j in range(3):
        col = x[:, j][np.isfinite(x[:, j])]
        want = stats.t.interval(0.95, col.size - 1, loc=col.mean(), scale=stats.sem(col))
        assert mean[j] == pytest.approx(col.mean())
        assert (lo[j], hi[j]) == pytest.approx(want)
    # a DataArray by dimension name; one sample gives no interval
    da = xr.DataArray(x[:1], dims=("agent", "t"))
    m1, lo1, hi1, _ = plot.mean_ci(da, "agent")
    assert np.array_equal(lo1, m1, equal_nan=True) and np.array_equal(hi1, m1, equal_nan=True)
    with pytest.raises(ValueError, match="no dimension 'trial'"):
        plot.mean_ci(da, "trial")


def test_band_errorbar_and_bars_draw_the_interval():
    rng = np.random.default_rng(1)
    samples = xr.DataArray(rng.normal(size=(30, 5)), dims=("agent", "time"))
    with plot.style():
        fig, ax = plot.plt.subplots()
        line = plot.band(ax, np.arange(5), samples, "agent", label="x")
        assert np.allclose(line.get_ydata(), samples.mean("agent"))
        (poly,) = ax.collections
        _, lo, hi, _ = plot.mean_ci(samples, "agent")
        ys = poly.get_paths()[0].vertices[:, 1]
        assert ys.min() == pytest.approx(lo.min()) and ys.max() == pytest.approx(hi.max())
        bars = plot.bars(ax, [0], samples.isel(time=[0]), "agent", center=[10.0])
        assert bars[0].get_height() == 10.0  # a pooled estimate, with the samples' interval width
        plot.plt.close(fig)


def test_the_audit_flags_what_a_reviewer_would():
    with plot.style():
        fig, (a, b) = plot.plt.subplots(1, 2)
        a.plot([0, 1], [0, 1])  # palette colour, no labels
        b.plot([0, 1], [1, 0], color="tab:red")  # not a colour of the style
        b.set_xlabel("time (s)")
        b.set_ylabel("rate (Hz)")
        problems = plot.audit(fig)
        plot.plt.close(fig)
    assert any("axes 0" in p and "no x label" in p for p in problems)
    assert any("axes 0" in p and "no y label" in p for p in problems)
    assert any("axes 1" in p and "colours outside the style" in p for p in problems)
    assert not any("axes 1" in p and "label" in p for p in problems)


def test_overlapping_curves_are_found():
    t = np.linspace(0, 1, 50)
    same = plot.overlapping({"control": t ** 2, "drug": 2 * t, "opioid": t ** 2 + 1e-5})
    assert same == {"opioid": "control"}


def test_ordered_colours_leave_out_the_pale_end():
    cols = plot.ordered(5)
    assert len(cols) == 5 and all(plot.is_style_colour(c) for c in cols)
    assert not plot.is_style_colour(plot.plt.get_cmap("viridis")(1.0))  # the yellow end


def _png_dpi(png: bytes) -> float:
    from PIL import Image

    return Image.open(io.BytesIO(png)).info["dpi"][0]


def test_run_and_reproduce_save_the_same_png(tmp_path, monkeypatch):
    """One resolution for every saved figure: `run` and `reproduce` write the same bytes."""
    from mesolimbic.experiments import registry
    from mesolimbic.experiments.registry import Check, Experiment, ExperimentResult

    def run(n_agents=3, seed=0):
        def figure():
            fig, ax = plot.plt.subplots(figsize=(4, 3))
            ax.plot([0, 1, 2], [seed, 1, 0])
            ax.set_xlabel("trial")
            ax.set_ylabel("value (a.u.)")
            return fig

        checks = [Check("fine", "a check that passes", 1.0, ">", 0.0, model="M", kind="property")]
        return ExperimentResult("tiny", xr.Dataset({"x": ("t", [1.0])}), checks, registry._styled(figure))

    monkeypatch.setitem(registry._REGISTRY, "tiny", Experiment("tiny", "a tiny finding", "nobody (2026)", run,
                                                               topic="dopamine RPE"))
    monkeypatch.setattr(registry, "_load_all", lambda: None)
    assert runner.invoke(app, ["run", "tiny", "--out", str(tmp_path / "run")]).exit_code == 0
    assert runner.invoke(app, ["reproduce", "--only", "tiny", "--out", str(tmp_path / "rep")]).exit_code == 0
    a, b = (tmp_path / "run" / "tiny.png").read_bytes(), (tmp_path / "rep" / "tiny.png").read_bytes()
    assert a == b
    assert _png_dpi(a) == pytest.approx(plot.DPI, abs=0.1)
    from PIL import Image

    assert Image.open(io.BytesIO(a)).size == (4 * plot.DPI, 3 * plot.DPI)


def test_every_experiment_declares_a_topic():
    from mesolimbic.experiments import all_experiments
    from mesolimbic.experiments.registry import TOPICS, register

    for exp in all_experiments():
        assert exp.topic in TOPICS, (exp.name, exp.topic)
    with pytest.raises(ValueError, match="topic must be one of"):
        register("x", "x", "x", topic="astrology")
