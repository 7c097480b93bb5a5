"""`mesolimbic lab` (issue 19): the engine without a browser, then the page in real
headless Chromium (Debian's chromium + chromium-driver, driven by Selenium; no
network: every host but 127.0.0.1 is unresolvable in the browser).

The browser tests share one lab process and one page, in file order: Pavlovian
slider, bad designs, the trial slider, the netCDF download, the circuit, the choice
view, console errors and resources, then Ctrl-C. Each view's screenshot goes to
docs/img/ (linked from the README)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from mesolimbic.lab import engine as E

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"


# ----------------------------------------------------------------------------- the engine
def test_notation_phases_counts_and_options():
    d = E.parse_notation("pretraining: A+ x30\ncompound: AB+ x30, CD+x30; test: B- x1 D- x1\nus_time = 1.5")
    assert [(p.name, dict(p.trials)) for p in d.phases] == [
        ("pretraining", {"A+": 30}), ("compound", {"AB+": 30, "CD+": 30}), ("test", {"B-": 1, "D-": 1})]
    assert d.phases[1].order == "random"
    assert {tt.name: tt.us_time for tt in d.trial_types}["A+"] == 1.5
    assert dict(E.parse_notation("A+0.5").phases[0].trials) == {"A+0.5": E.DEFAULT_COUNT}


@pytest.mark.parametrize("text, message", [
    ("Q", "is not in the notation"),
    ("A+2 x10", "probability must be in [0, 1]"),
    ("A+ x10\nwindow = -0.4, 0.8", "the US must fall inside the trial window"),
    ("x5", "follows no trial type"),
    ("", "the design is empty"),
    ("A+\nspeed = 3", "unknown design option"),
])
def test_bad_designs_are_one_line_value_errors(text, message):
    with pytest.raises(ValueError) as e:
        E.parse_notation(text)
    assert message in E.one_line(e.value) and "\n" not in E.one_line(e.value)


def test_every_registered_design_and_slider_range():
    for key in E.DESIGNS:
        assert E.registered_design(key).compile().n_trials > 0
    for key in E.PAV_MODELS:
        model, _ = E.pavlovian_model(key)
        for p in model.params:
            lo, hi, step = E.slider_range(p)
            assert np.isfinite([lo, hi]).all() and lo < hi and step > 0
            assert lo <= min(max(float(p.default), lo), hi) <= hi


def test_trial_level_models_draw():
    """The Pavlovian view's figures for the trial-level learners (TD's is drawn in the browser below)."""
    import json

    from mesolimbic.lab import figures as F

    for key in ("rw", "distributional"):
        _, ds = E.run_pavlovian(E.NOTATION, "A+ x10\nA- x5", key, {})
        fig, n = F.pavlovian_figure(ds, "A-", 99, key)
        assert n == 5 and fig["data"] and json.dumps(fig)
    for key in E.PAV_MODELS:
        assert E.pavlovian_code(E.NOTATION, "A+ x10", key, {}).startswith("import mesolimbic as ml")
        assert E.pavlovian_model(key)[0].params


def test_the_shown_design_code_builds_the_same_design():
    text = "pre: A+ x20\nAB+ x20, CD+0.5 x10\nus_time = 1.5\nwindow = -0.6, 2"
    code = E.pavlovian_code(E.NOTATION, text, "rw", {"alpha": 0.2})
    design_code = code.split("\nfrom mesolimbic.models")[0]
    scope: dict = {}
    exec(design_code, scope)  # noqa: S102 - the code the page shows, up to the simulation
    mine, shown = E.parse_notation(text), scope["design"]
    assert shown.window == mine.window == (-0.6, 2.0)
    assert [dict(p.trials) for p in shown.phases] == [dict(p.trials) for p in mine.phases]
    assert [t.us_time for t in shown.trial_types] == [t.us_time for t in mine.trial_types]


def test_the_shown_circuit_call_gives_the_same_result():
    ds = E.run_circuit(["opioid"], {"alpha_nac": 0.2})
    code = E.circuit_code(["opioid"], {"alpha_nac": 0.2}).replace("save_netcdf(ds, 'lab.nc')", "")
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - the code the page shows
    np.testing.assert_array_equal(scope["ds"].liking_us.values, ds.liking_us.values)
    assert E.circuit_summary(ds)["liking"]["food"] == pytest.approx(3.0)  # the opioid's gain


def test_the_shown_python_call_gives_the_same_result():
    params = {"alpha": 0.4, "beta": 3.0}
    ds = E.run_choice("bandit", "q", params, p_high=0.7, seed=0)
    code = E.choice_code("bandit", "q", params, p_high=0.7).replace("save_netcdf(ds, 'lab.nc')", "")
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - the code the page shows
    np.testing.assert_array_equal(scope["ds"].choice.values, ds.choice.values)


# ----------------------------------------------------------------------------- the page
@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    pytest.importorskip("dash", reason="the lab needs the `lab` extra (dash)")
    pytest.importorskip("selenium", reason="the browser tests need selenium (the `test` extra)")
    from lab_browser import Lab, Page, chromium

    if chromium() is None:
        pytest.skip("the browser tests need Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver); not found")
    server = Lab(env={"MESOLIMBIC_LAB_PRECOMPILE": "0"})  # compile only what the tests use, when they use it
    downloads = tmp_path_factory.mktemp("downloads")
    page = Page(server.url, downloads)
    page.downloads = downloads
    page.server = server
    try:
        page.wait("pav")
        yield page
    finally:
        page.close()
        server.stop()


def _heatmap(page) -> np.ndarray:
    z = page.d.execute_script("return document.querySelector('#pav-graph .js-plotly-plot').data[0].z")
    return np.array([[np.nan if v is None else v for v in row] for row in z], float)


def test_slider_resimulates_and_redraws(lab):
    from selenium.webdriver.common.keys import Keys

    before, meta = _heatmap(lab), lab.meta("pav")
    thumb = lab.slider("pav", "td", "alpha")
    alpha = float(thumb.get_attribute("aria-valuenow"))
    lab.press(thumb, Keys.ARROW_RIGHT, 5)
    after_meta = lab.wait("pav", meta["rev"])
    lab.wait_for("return document.querySelector('#pav-status').textContent.includes('simulated')", what="status")
    # the key presses may arrive as one change or several: wait for the last
    lab.wait_for(f"return Math.abs(document.querySelector('[id*=\"pav-param\"][id*=\"alpha\"] [role=slider]')"
                 f".getAttribute('aria-valuenow') - {alpha + 0.05}) < 1e-6", what="alpha slider")
    time.sleep(1.0)
    after = _heatmap(lab)
    assert after_meta["simulated"]
    assert before.shape == after.shape and not np.allclose(before, after, equal_nan=True)
    assert "'alpha': 0.15" in lab.css("#pav-code").text
    lab.screenshot(IMG / "lab_pavlovian.png")


def _apply(lab, text: str):
    from selenium.webdriver.common.keys import Keys

    box = lab.css("#pav-text")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(text)
    lab.css("#pav-apply").click()


@pytest.mark.parametrize("text, message", [
    ("Q", "is not in the notation"),
    ("A+ x10\nwindow = -0.4, 0.8", "the US must fall inside the trial window"),
    ("A+2 x10", "probability must be in [0, 1], got 2"),
])
def test_bad_design_shows_the_error_and_keeps_the_result(lab, text, message):
    rev = lab.meta("pav")["rev"]
    _apply(lab, text)
    shown = lab.wait_for(f"var t = document.querySelector('#pav-error').textContent;"
                         f"return t.includes({message!r}) ? t : null", what="the error")
    assert "\n" not in shown.strip()
    time.sleep(0.5)
    assert lab.meta("pav")["rev"] == rev  # the last good figure stays
    assert lab.d.execute_script("return document.querySelector('#pav-graph .js-plotly-plot').data.length") > 0


def test_good_design_clears_the_error_and_trial_slider_scrubs(lab):
    from selenium.webdriver.common.keys import Keys

    rev = lab.meta("pav")["rev"]
    _apply(lab, "A+ x30\nAB+ x30\nB- x5")
    meta = lab.wait("pav", rev)
    assert meta["simulated"]
    assert lab.css("#pav-error").text.strip() == ""
    title = lab.d.execute_script("return document.querySelector('#pav-graph .js-plotly-plot').layout.title.text")
    assert title.startswith("lab")
    assert "from_notation([('phase 1', {'A+': 30})" in lab.css("#pav-code").text
    # scrub: a redraw without a new simulation
    thumb = lab.css("#pav-trial [role=slider]")
    lab.press(thumb, Keys.ARROW_LEFT, 3)
    meta2 = lab.wait("pav", meta["rev"])
    assert meta2["simulated"] is False


def test_download_netcdf_opens_in_xarray(lab):
    import xarray as xr

    lab.css("#pav-nc").click()
    path = lab.downloads / "lab_pavlovian.nc"
    t0 = time.time()
    while not (path.exists() and not list(lab.downloads.glob("*.crdownload"))) and time.time() - t0 < 30:
        time.sleep(0.1)
    assert path.exists(), list(lab.downloads.iterdir())
    with xr.open_dataset(path) as ds:
        assert ds.sizes["agent"] == E.N_AGENTS
        assert set(ds.trial_type.values.ravel()) == {"A+", "AB+", "B-"}
        assert "rpe" in ds and "time" in ds.rpe.dims and ds.attrs["model"] == "td"
    lab.css("#pav-png").click()  # drawn by plotly.js in the browser
    png = lab.downloads / "lab_pavlovian.png"
    t0 = time.time()
    while not (png.exists() and png.stat().st_size > 0) and time.time() - t0 < 30:
        time.sleep(0.1)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_circuit_view_manipulation_changes_wanting(lab):
    lab.tab("Circuit")
    meta = lab.wait("circ")
    wanting = "return document.querySelector('#circ-graph .js-plotly-plot').data[1].y"
    before = lab.d.execute_script(wanting)
    lab.css("#circ-manips input[value='ldopa']").click()
    lab.wait("circ", meta["rev"], timeout=180)  # a new combination compiles once
    after = lab.d.execute_script(wanting)
    assert after[0] > before[0]  # L-DOPA raises the incentive salience of the food cue
    assert "LDopa(2.0)" in lab.css("#circ-code").text
    lab.screenshot(IMG / "lab_circuit.png")


def test_choice_view_two_step_stay_bars(lab):
    from selenium.webdriver.common.keys import Keys

    lab.tab("Choice")
    meta = lab.wait("cho")
    lab.choose("cho-task", "Two-step task")
    lab.wait_for("var e = document.querySelector('#cho-graph .js-plotly-plot');"
                 "return e && e.data.some(t => t.type === 'bar' && t.name === 'rare')", timeout=180,
                 what="the stay bars")
    meta = lab.meta("cho")
    lab.press(lab.slider("cho", "hybrid", "w"), Keys.ARROW_RIGHT, 2)
    assert lab.wait("cho", meta["rev"])["simulated"]
    stay = lab.d.execute_script("return document.querySelector('#cho-graph .js-plotly-plot').data[0].y")
    assert all(0 <= s <= 1 for s in stay)
    assert "HybridTwoStep()" in lab.css("#cho-code").text
    lab.screenshot(IMG / "lab_choice.png")


def test_no_console_errors_and_nothing_from_the_network(lab):
    assert lab.console_errors() == []
    assert lab.foreign_resources() == []


def test_ctrl_c_stops_the_lab(lab):
    code = lab.server.stop()
    assert code == 130, lab.server.output
    assert "the lab stopped" in lab.server.output
