"""The lab's figures as plain Plotly figure dictionaries (no validation pass, so
building one costs a few milliseconds), drawn by the browser from the locally served
plotly.js."""

from __future__ import annotations

import numpy as np
import xarray as xr

from . import engine as E

DIVERGING = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, "#b2182b"]]
BLUE, RED, GREY, GREEN, ORANGE, PURPLE = "#1f77b4", "#d62728", "#9a9a9a", "#2ca02c", "#ff7f0e", "#9467bd"


def _list(a) -> list:
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), np.round(a, 5), None).tolist()


class Grid:
    """Axes on a rows x cols grid, filled in reading order."""

    def __init__(self, rows: int, cols: int, titles, hgap: float = 0.07, vgap: float = 0.16):
        self.layout: dict = {"annotations": [], "shapes": []}
        self.refs = []
        w = (1 - hgap * (cols - 1)) / cols
        h = (1 - vgap * (rows - 1)) / rows
        self.w, self.h = w, h
        for i, title in enumerate(titles):
            r, c = divmod(i, cols)
            n = "" if i == 0 else str(i + 1)
            x0 = c * (w + hgap)
            y1 = 1 - r * (h + vgap)
            self.layout[f"xaxis{n}"] = {"domain": [x0, x0 + w], "anchor": f"y{n}", "automargin": True}
            self.layout[f"yaxis{n}"] = {"domain": [y1 - h, y1], "anchor": f"x{n}", "automargin": True}
            self.layout["annotations"].append({"text": f"<b>{title}</b>", "x": x0 + w / 2, "y": y1 + 0.01,
                                               "xref": "paper", "yref": "paper", "showarrow": False,
                                               "xanchor": "center", "yanchor": "bottom", "font": {"size": 12}})
            self.refs.append((f"x{n}", f"y{n}", n))

    def trace(self, i: int, trace: dict) -> dict:
        x, y, _ = self.refs[i]
        return {**trace, "xaxis": x, "yaxis": y}

    def axis(self, i: int, x: str | None = None, y: str | None = None, **kw):
        n = self.refs[i][2]
        if x is not None:
            self.layout[f"xaxis{n}"]["title"] = {"text": x, "standoff": 2}
        if y is not None:
            self.layout[f"yaxis{n}"]["title"] = {"text": y, "standoff": 2}
        for k, v in kw.items():
            axis, prop = k.split("axis_", 1)
            self.layout[f"{axis}axis{n}"][prop] = v

    def vline(self, i: int, x: float, color: str = "black", dash: str = "dot"):
        xr_, yr, _ = self.refs[i]
        self.layout["shapes"].append({"type": "line", "xref": xr_, "yref": f"{yr} domain", "x0": x, "x1": x,
                                      "y0": 0, "y1": 1, "line": {"color": color, "width": 1, "dash": dash}})

    def hline(self, i: int, y: float, color: str = "black", dash: str = "dot"):
        xr_, yr, _ = self.refs[i]
        self.layout["shapes"].append({"type": "line", "xref": f"{xr_} domain", "yref": yr, "x0": 0, "x1": 1,
                                      "y0": y, "y1": y, "line": {"color": color, "width": 1, "dash": dash}})

    def figure(self, traces, title: str, height: int = 620) -> dict:
        layout = {**self.layout, "title": {"text": title, "x": 0.01, "font": {"size": 14}}, "height": height,
                  "margin": {"l": 55, "r": 20, "t": 60, "b": 45}, "showlegend": True,
                  "legend": {"orientation": "h", "y": -0.12, "x": 0}, "template": None,
                  "paper_bgcolor": "white", "plot_bgcolor": "white", "uirevision": "keep"}
        return {"data": traces, "layout": layout}


def _line(x, y, name, color, **kw) -> dict:
    return {"type": "scatter", "mode": "lines", "x": _list(x), "y": _list(y), "name": name,
            "line": {"color": color, "width": 2}, **kw}


# ----------------------------------------------------------------------------- Pavlovian
def pavlovian_types(ds: xr.Dataset, design=None) -> list[str]:
    """The trial types that occur, in the design's order (else in order of first occurrence)."""
    seen = dict.fromkeys(np.asarray(ds.trial_type.isel(agent=0).values).ravel().tolist())
    if design is None:
        return list(seen)
    return [tt.name for tt in design.trial_types if tt.name in seen]


def pavlovian_figure(ds: xr.Dataset, trial_type: str, k: int, title: str, seed: int = 0,
                     design=None) -> tuple[dict, int]:
    """The Pavlovian view's figure for the ``k``-th trial (0-based) of ``trial_type``;
    returns the figure and the number of trials of that type."""
    d = ds.isel(param_set=0)
    types = pavlovian_types(d, design)
    if trial_type not in types:
        trial_type = types[0]
    index = E.type_index(d.trial_type, trial_type)
    rpe = E.by_type(d.rpe, d.trial_type, trial_type, index)  # [agent, n, (time | unit)]
    n = rpe.shape[1]
    k = int(min(max(k, 0), n - 1))
    occ = np.arange(1, n + 1)
    if "time" in d.rpe.dims:
        return _pav_realtime(d, rpe, trial_type, k, occ, title, seed, index), n
    if "unit" in d.rpe.dims:
        return _pav_distributional(d, rpe, trial_type, k, occ, title, index), n
    return _pav_trial(d, trial_type, k, occ, title, types), n


def _pav_realtime(d, rpe, label, k, occ, title, seed, index) -> dict:
    t = d.time.values
    value = E.by_type(d.value, d.trial_type, label, index)
    mean_rpe = rpe.mean(0)
    g = Grid(2, 3, hgap=0.09, titles=[f"RPE, trials of {label} × time", f"Dopamine neuron: raster, trial {k + 1}",
                    f"Firing rate and PSTH, trial {k + 1}", f"RPE and value within trial {k + 1}",
                    "RPE at the cue and at the US over trials", "Value before the US over trials"])
    lim = float(np.nanmax(np.abs(mean_rpe))) or 1.0
    tr = [g.trace(0, {"type": "heatmap", "x": _list(t), "y": occ.tolist(), "z": [_list(r) for r in mean_rpe],
                      "colorscale": DIVERGING, "zmin": -lim, "zmax": lim, "name": "RPE",
                      "showlegend": False, "colorbar": {"len": g.h, "y": 1 - g.h / 2, "x": g.w + 0.004, "xanchor": "left",
                                                  "thickness": 8}})]
    g.hline(0, k + 1, color="black", dash="solid")
    g.axis(0, "time from CS onset (s)", f"trial of {label}")
    nr = E.neuron(rpe[:, k], t, seed=seed)
    # the raster as one path (a vertical tick per spike, None between ticks): one SVG element, not one per spike
    xs, ys = [], []
    for i, times in enumerate(nr.raster):
        for x in np.round(times, 4).tolist():
            xs += [x, x, None]
            ys += [i + 0.6, i + 1.4, None]
    tr.append(g.trace(1, {"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": "spikes",
                          "line": {"color": "black", "width": 1}, "showlegend": False, "hoverinfo": "skip"}))
    g.axis(1, "time (s)", "agent", yaxis_range=[0.5, E.N_RASTER + 0.5])
    dt = float(nr.psth_time[1] - nr.psth_time[0]) if nr.psth_time.size > 1 else 0.05
    edges = np.r_[nr.psth_time, nr.psth_time[-1] + dt] if nr.psth_time.size else nr.psth_time
    tr.append(g.trace(2, {"type": "scatter", "mode": "lines", "x": _list(edges), "y": _list(np.r_[nr.psth, nr.psth[-1:]]),
                          "name": "PSTH", "line": {"shape": "hv", "color": "#b0b0b0", "width": 1},
                          "fill": "tozeroy", "fillcolor": "rgba(180,180,180,0.6)"}))
    tr.append(g.trace(2, _line(t, nr.rate, "firing rate (Hz)", BLUE)))
    g.axis(2, "time (s)", "Hz")
    tr.append(g.trace(3, _line(t, rpe[:, k].mean(0), "RPE", RED)))
    tr.append(g.trace(3, _line(t, value[:, k].mean(0), "value", GREEN)))
    g.axis(3, "time (s)", "a.u.")
    for i in (1, 2, 3):
        g.vline(i, 0.0, GREY)
    cs = E.by_type(d.rpe_cs, d.trial_type, label, index).mean(0) if "rpe_cs" in d else None
    us = E.by_type(d.rpe_us, d.trial_type, label, index).mean(0) if "rpe_us" in d else None
    if cs is not None:
        tr.append(g.trace(4, _line(occ, cs, "RPE at cue", ORANGE)))
    if us is not None:
        tr.append(g.trace(4, _line(occ, us, "RPE at US", PURPLE)))
    g.vline(4, k + 1)
    g.axis(4, f"trial of {label}", "RPE")
    if "value_pre_us" in d:
        tr.append(g.trace(5, _line(occ, E.by_type(d.value_pre_us, d.trial_type, label, index).mean(0), "value before US",
                                   GREEN, showlegend=False)))
    g.vline(5, k + 1)
    g.axis(5, f"trial of {label}", "value")
    return g.figure(tr, title)


def _pav_trial(d, label, k, occ, title, types) -> dict:
    g = Grid(1, 3, hgap=0.09, titles=["RPE per trial, each trial type", f"RPE of {label} over trials",
                    f"Value of {label} over trials"], vgap=0.2)
    n_max = max(E.by_type(d.rpe, d.trial_type, t).shape[1] for t in types)
    z = []
    for t_ in types:
        m = E.by_type(d.rpe, d.trial_type, t_).mean(0)
        z.append(_list(np.pad(m, (0, n_max - m.size), constant_values=np.nan)))
    lim = float(np.nanmax(np.abs(np.array(z, dtype=float)))) if z else 1.0
    tr = [g.trace(0, {"type": "heatmap", "x": list(range(1, n_max + 1)), "y": types, "z": z, "colorscale": DIVERGING,
                      "zmin": -lim, "zmax": lim, "showlegend": False, "name": "RPE",
                      "colorbar": {"thickness": 8, "x": g.w + 0.004, "xanchor": "left"}})]
    g.axis(0, "trial of the type", None)
    rpe = E.by_type(d.rpe, d.trial_type, label)
    tr.append(g.trace(1, _line(occ, rpe.mean(0), "RPE", RED)))
    g.vline(1, k + 1)
    g.axis(1, f"trial of {label}", "RPE")
    tr.append(g.trace(2, _line(occ, E.by_type(d.value, d.trial_type, label).mean(0), "value", GREEN)))
    g.vline(2, k + 1)
    g.axis(2, f"trial of {label}", "value (prediction)")
    fig = g.figure(tr, title + " — a trial-level learner: no time within the trial, no neuron", height=420)
    return fig


def _pav_distributional(d, rpe, label, k, occ, title, index) -> dict:
    taus = np.asarray(E.DIST_TAUS)
    value = E.by_type(d.value, d.trial_type, label, index)
    g = Grid(1, 3, hgap=0.09, titles=[f"RPE of each unit, trials of {label}", f"Each unit's value at trial {k + 1}",
                    f"Each unit's RPE at trial {k + 1}"], vgap=0.2)
    m = rpe.mean(0)  # [n, unit]
    lim = float(np.nanmax(np.abs(m))) or 1.0
    tr = [g.trace(0, {"type": "heatmap", "x": occ.tolist(), "y": _list(taus), "z": [_list(r) for r in m.T],
                      "colorscale": DIVERGING, "zmin": -lim, "zmax": lim, "showlegend": False,
                      "name": "RPE", "colorbar": {"thickness": 8, "x": g.w + 0.004, "xanchor": "left"}})]
    g.vline(0, k + 1, color="black", dash="solid")
    g.axis(0, f"trial of {label}", "unit asymmetry τ")
    tr.append(g.trace(1, {**_line(taus, value[:, k].mean(0), "value (expectile)", GREEN), "mode": "lines+markers"}))
    g.axis(1, "unit asymmetry τ", "value")
    tr.append(g.trace(2, {"type": "bar", "x": _list(taus), "y": _list(m[k]), "name": "RPE",
                          "marker": {"color": RED}, "width": 0.06}))
    g.axis(2, "unit asymmetry τ", "RPE")
    return g.figure(tr, title, height=420)


# ----------------------------------------------------------------------------- circuit
def circuit_figure(summary: dict, reference: dict, ds: xr.Dataset, title: str) -> dict:
    labels = list(E.CIRCUIT_TRIALS)
    cues = [f"{lab} ({E.CIRCUIT_TRIALS[lab][0]})" for lab in labels]
    names = {"wanting": "Wanting (at the cue)", "liking": "Liking (at the US)", "fear": "Fear (at the cue)",
             "approach": "Approach (P, at the cue)"}
    g = Grid(2, 4, [names[s] for s in E.CIRCUIT_SIGNALS] + ["Wanting over trials", "Fear over trials",
                                                             "Dopamine RPE at the cue", "Dopamine RPE at the US"],
             hgap=0.06, vgap=0.2)
    tr = []
    for i, sig in enumerate(E.CIRCUIT_SIGNALS):
        tr.append(g.trace(i, {"type": "bar", "x": cues, "y": _list([reference[sig][lab] for lab in labels]),
                              "name": "intact", "marker": {"color": GREY}, "showlegend": i == 0,
                              "legendgroup": "intact"}))
        tr.append(g.trace(i, {"type": "bar", "x": cues, "y": _list([summary[sig][lab] for lab in labels]),
                              "name": "manipulated", "marker": {"color": BLUE}, "showlegend": i == 0,
                              "legendgroup": "manip"}))
    d = ds.isel(param_set=0)
    colors = {"food": GREEN, "salt": ORANGE, "neutral": GREY}
    for i, var in enumerate(("wanting_cs", "fear_cs", "rpe_cs", "rpe_us")):
        for lab in labels:
            y = E.by_type(d[var], d.trial_type, lab).mean(0)
            tr.append(g.trace(4 + i, _line(np.arange(1, y.size + 1), y, lab, colors[lab], showlegend=i == 0,
                                           legendgroup=lab)))
        g.axis(4 + i, "trial of the type", None)
    layout_fig = g.figure(tr, title, height=600)
    layout_fig["layout"]["barmode"] = "group"
    return layout_fig


# ----------------------------------------------------------------------------- choice
def choice_figure(ds: xr.Dataset, task_key: str, title: str) -> dict:
    d = ds.isel(param_set=0)
    if task_key == "two_step":
        return _two_step_figure(d, title)
    trials = d.trial.values
    g = Grid(2, 2, ["Choices: P(arm 1) and its reward probability", "Values (Q) of each arm",
                    "Reward prediction error", "P(correct)"], vgap=0.18)
    p_reward = d.p_reward.isel(agent=0, action=0).values
    tr = [g.trace(0, _line(trials, (d.choice == 0).mean("agent").values, "P(choose arm 1)", BLUE)),
          g.trace(0, _line(trials, p_reward, "P(reward | arm 1)", GREY, line={"color": GREY, "dash": "dash"}))]
    g.axis(0, "trial", "probability", yaxis_range=[0, 1])
    q = d.q.mean("agent").values if "q" in d else None
    if q is not None:
        for a, c in zip(range(q.shape[-1]), (BLUE, ORANGE, GREEN, PURPLE)):
            tr.append(g.trace(1, _line(trials, q[:, a], f"Q(arm {a + 1})", c)))
    g.axis(1, "trial", "value")
    tr.append(g.trace(2, _line(trials, d.rpe.mean("agent").values, "mean RPE", RED)))
    g.hline(2, 0.0, GREY)
    g.axis(2, "trial", "RPE")
    tr.append(g.trace(3, _line(trials, d.correct.mean("agent").values, "P(correct)", GREEN)))
    g.axis(3, "trial", "probability", yaxis_range=[0, 1])
    return g.figure(tr, title)


def _two_step_figure(d, title) -> dict:
    from ..tasks.two_step import STAY_CONDITIONS

    trials = d.trial.values
    g = Grid(2, 2, ["Stay probability (Daw et al. 2011)", "First-stage choice: P(action 1)",
                    "Reward prediction error, each stage", "Second-stage reward probabilities"], vgap=0.18)
    stay = E.stays(d.expand_dims("param_set"))
    tr = [g.trace(0, {"type": "bar", "x": ["rewarded", "rewarded", "unrewarded", "unrewarded"][::2],
                      "y": _list(stay[[0, 2]]), "name": "common", "marker": {"color": BLUE}}),
          g.trace(0, {"type": "bar", "x": ["rewarded", "unrewarded"], "y": _list(stay[[1, 3]]), "name": "rare",
                      "marker": {"color": RED}})]
    g.axis(0, None, "P(stay)", yaxis_range=[0, 1])
    tr.append(g.trace(1, _line(trials, (d.choice.sel(stage=0) == 0).mean("agent").values, "P(action 1)", BLUE,
                               showlegend=False)))
    g.axis(1, "trial", "probability", yaxis_range=[0, 1])
    for s, c in ((0, ORANGE), (1, PURPLE)):
        tr.append(g.trace(2, _line(trials, d.rpe.sel(stage=s).mean("agent").values, f"RPE, stage {s + 1}", c)))
    g.axis(2, "trial", "RPE")
    pr = d.p_reward.isel(agent=0).values
    for o in range(pr.shape[-1]):
        tr.append(g.trace(3, _line(trials, pr[:, o], f"P(reward), option {o + 1}", GREY,
                                   line={"color": [GREEN, GREY, ORANGE, PURPLE][o % 4], "width": 1},
                                   showlegend=False)))
    g.axis(3, "trial", "probability", yaxis_range=[0, 1])
    fig = g.figure(tr, title)
    fig["layout"]["barmode"] = "group"
    fig["layout"]["meta"] = {"stay_conditions": list(STAY_CONDITIONS)}
    return fig
