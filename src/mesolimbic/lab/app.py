"""The lab's web app (Dash): three views — Pavlovian, circuit, choice — over one
simulation engine (:mod:`mesolimbic.lab.engine`).

Everything the page needs (Dash's React bundles, plotly.js, the stylesheet below) is
served by this process from the installed packages: the page works with no network.
Each view keeps its last good result; bad input shows the package's one-line error
next to the field and leaves the result on screen. Results are cached by their
inputs, so moving the trial slider or re-selecting a view does not re-simulate.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from . import engine as E
from . import figures as F

CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0; color: #222; background: #fafafa; }
.lab-header { padding: 8px 16px; background: #2b3a55; color: white; display: flex; gap: 16px; align-items: baseline; }
.lab-header h1 { font-size: 20px; margin: 0; } .lab-header span { opacity: .8; font-size: 13px; }
.lab-view { display: flex; gap: 12px; padding: 10px; }
.lab-controls { width: 300px; flex: none; font-size: 13px; }
.lab-controls > label, .lab-section { font-weight: 600; display: block; margin-top: 10px; }
.lab-main { flex: 1; min-width: 0; }
.lab-error { color: #b00020; font-size: 12px; min-height: 16px; white-space: pre-wrap; }
.lab-status { color: #555; font-size: 12px; margin: 4px 0; }
.lab-code { background: #f0f0f0; padding: 8px; font-size: 12px; white-space: pre-wrap; border-radius: 4px; }
.lab-buttons button { margin-right: 8px; }
textarea { width: 100%; font-family: monospace; font-size: 13px; }
.lab-param { margin-bottom: 2px; }
"""

_INDEX = """<!DOCTYPE html>
<html lang="en"><head>{%metas%}<title>mesolimbic lab</title>{%favicon%}{%css%}<style>""" + CSS + """</style></head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body></html>"""


class Lab:
    """The app and its state: the last good result of each view, cached by inputs."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.cache: dict = {}  # view -> (key, value)
        self.last: dict = {}  # view -> the last good Dataset (for downloads)
        self.rev = {"pavlovian": 0, "circuit": 0, "choice": 0}
        self.tmp = Path(tempfile.mkdtemp(prefix="mesolimbic-lab-"))
        self.app = self._build()

    # ------------------------------------------------------------------ compute with a cache
    def _cached(self, view: str, key, compute):
        with self.lock:
            hit = self.cache.get(view)
            if hit is not None and hit[0] == key:
                return hit[1], False
            value = compute()
            self.cache[view] = (key, value)
            return value, True

    def warm(self, full: bool = False) -> None:
        """Compile what the first views use (JAX caches); ``full``: the other models and
        tasks, so that switching to them is quick (run in a background thread, beside the
        page's own work: JAX compiles and runs from several threads)."""
        jobs = [lambda: F.pavlovian_figure(E.run_pavlovian("schultz1997", "", "td", {})[1], "paired", 0, ""),
                lambda: E.run_circuit([], {}),
                lambda: F.choice_figure(E.run_choice("bandit", "q", {}), "bandit", "")]
        if full:
            jobs = [*(lambda mk=mk: E.run_pavlovian("schultz1997", "", mk, {})
                      for mk in ("rw", "distributional", "microstimulus")),
                    lambda: E.run_pavlovian(E.NOTATION, E.DEFAULT_NOTATION, "td", {}),
                    *(lambda tk=tk, mk=mk: E.run_choice(tk, mk, {})
                      for tk, mk in (("reversal", "q"), ("two_step", "hybrid"), ("bandit", "delta2"),
                                     ("bandit", "actor_critic"))),
                    # each manipulation alone (a combination of several compiles when first chosen)
                    *(lambda k=k: E.run_circuit([k], {}) for k in E.manipulation_labels()),
                    # every registered design with the default model (a design's arrays have their own shapes)
                    *(lambda k=k: E.run_pavlovian(k, "", "td", {}) for k in E.DESIGNS if k != "schultz1997")]
        for job in jobs:
            if full:  # in the background: compile beside the page's work, not in its way
                job()
            else:
                with self.lock:
                    job()

    # ------------------------------------------------------------------ layout
    def _build(self):
        from dash import Dash, dcc, html

        app = Dash(__name__, title="mesolimbic lab", serve_locally=True, update_title=None,
                   assets_ignore=".*")
        app.index_string = _INDEX
        app.layout = html.Div([
            html.Div([html.H1("mesolimbic lab"),
                      html.Span("reward prediction errors, dopamine neurons and the reward circuit — "
                                f"{E.N_AGENTS} simulated agents per change")], className="lab-header"),
            dcc.Tabs(id="tabs", value="pavlovian", children=[
                dcc.Tab(label="Pavlovian", value="pavlovian", children=self._pavlovian_layout()),
                dcc.Tab(label="Circuit", value="circuit", children=self._circuit_layout()),
                dcc.Tab(label="Choice", value="choice", children=self._choice_layout()),
            ]),
        ])
        self._callbacks(app)
        return app

    @staticmethod
    def _slider(view: str, group: str, p, value=None):
        from dash import dcc, html

        lo, hi, step = E.slider_range(p)
        v = float(p.default if value is None else value)
        v = min(max(v, lo), hi)
        return html.Div([
            html.Span([f"{p.name} = ", html.Span(f"{v:g}", id={"type": f"{view}-value", "group": group,
                                                                 "name": p.name})],
                      title=p.doc, className="lab-section"),
            dcc.Slider(id={"type": f"{view}-param", "group": group, "name": p.name}, min=lo, max=hi, step=step,
                       value=v, marks=None, allow_direct_input=True,
                       updatemode="mouseup"),
        ], className="lab-param", title=p.doc)

    def _downloads(self, view: str):
        from dash import dcc, html

        return html.Div([
            html.Button("Download netCDF", id=f"{view}-nc"), html.Button("Download PNG", id=f"{view}-png"),
            dcc.Download(id=f"{view}-download"), html.Span(id=f"{view}-png-done", style={"display": "none"}),
        ], className="lab-buttons")

    def _main(self, view: str, height: int):
        from dash import dcc, html

        return html.Div([
            html.Div(id=f"{view}-status", className="lab-status"),
            dcc.Loading(dcc.Graph(id=f"{view}-graph", style={"height": f"{height}px"},
                                  config={"displaylogo": False,
                                          "toImageButtonOptions": {"filename": f"lab_{view}", "scale": 1}}),
                        delay_show=400, type="dot"),
            self._downloads(view),
            html.Div("The same in Python:", className="lab-section"),
            html.Pre(id=f"{view}-code", className="lab-code"),
        ], className="lab-main")

    def _pavlovian_layout(self):
        from dash import dcc, html

        design_opts = [{"label": lab, "value": k} for k, (lab, _, _) in E.DESIGNS.items()]
        design_opts.append({"label": "Notation (edit below)", "value": E.NOTATION})
        sliders = []
        for mk in E.PAV_MODELS:
            model, _ = E.pavlovian_model(mk)
            sliders.append(html.Div([self._slider("pav", mk, p) for p in E.model_params(model)],
                                    id=f"pav-params-{mk}", style={"display": "block" if mk == "td" else "none"}))
        return html.Div([
            html.Div([
                html.Label("Design", htmlFor="pav-design"),
                dcc.Dropdown(id="pav-design", options=design_opts, value="schultz1997", clearable=False),
                html.Label("Design in notation", htmlFor="pav-text"),
                dcc.Textarea(id="pav-text", value=E.DEFAULT_NOTATION, rows=4,
                             placeholder="one phase a line: A+ x40, AB+ x40, CD+0.5 x20; options: us_time = 1"),
                html.Button("Apply design", id="pav-apply"),
                html.Div(id="pav-error", className="lab-error", role="alert"),
                html.Label("Model", htmlFor="pav-model"),
                dcc.Dropdown(id="pav-model", options=[{"label": v, "value": k} for k, v in E.PAV_MODELS.items()],
                             value="td", clearable=False),
                html.Div(sliders, id="pav-params"),
                html.Label("Trial type", htmlFor="pav-type"),
                dcc.Dropdown(id="pav-type", options=[], value=None, clearable=False),
                html.Label("Trial (scrub through learning)"),
                dcc.Slider(id="pav-trial", min=1, max=2, step=1, value=2, marks=None,
                           tooltip={"placement": "bottom", "always_visible": True}, updatemode="drag"),
            ], className="lab-controls"),
            self._main("pav", 640),
        ], className="lab-view")

    def _circuit_layout(self):
        from dash import dcc, html

        from ..circuit import Circuit

        labels = E.manipulation_labels()
        return html.Div([
            html.Div([
                html.Label("Manipulations"),
                dcc.Checklist(id="circ-manips", options=[{"label": f" {v}", "value": k} for k, v in labels.items()],
                              value=[], labelStyle={"display": "block"}),
                html.Div("A new combination is compiled once (a few seconds); after that it is live.",
                         className="lab-status"),
                html.Div(id="circ-error", className="lab-error", role="alert"),
                html.Div("Cue A predicts food, S an aversive salty taste, N nothing; 40 training trials "
                         "each, then 5 test trials each (the bars).", className="lab-status"),
                html.Label("Parameters"),
                html.Div([self._slider("circ", "circuit", p) for p in Circuit().params], id="circ-params"),
            ], className="lab-controls"),
            self._main("circ", 620),
        ], className="lab-view")

    def _choice_layout(self):
        from dash import dcc, html

        sliders = []
        for mk in {m for ms in E.CHOICE_MODELS.values() for m in ms}:
            model = E.choice_model(next(t for t, ms in E.CHOICE_MODELS.items() if mk in ms), mk)
            sliders.append(html.Div([self._slider("cho", mk, p) for p in model.params],
                                    id=f"cho-params-{mk}", style={"display": "block" if mk == "q" else "none"}))
        return html.Div([
            html.Div([
                html.Label("Task", htmlFor="cho-task"),
                dcc.Dropdown(id="cho-task", options=[{"label": v, "value": k} for k, v in E.CHOICE_TASKS.items()],
                             value="bandit", clearable=False),
                html.Label("Learner", htmlFor="cho-model"),
                dcc.Dropdown(id="cho-model", options=[{"label": v, "value": k}
                                                      for k, v in E.CHOICE_MODELS["bandit"].items()],
                             value="q", clearable=False),
                html.Div([
                    html.Label("P(reward) of the better arm"),
                    dcc.Slider(id="cho-phigh", min=0.55, max=0.95, step=0.05, value=0.8, marks=None,
                               tooltip={"placement": "bottom", "always_visible": True}),
                    html.Div("A new task setting is compiled once (a few seconds).", className="lab-status"),
                ], id="cho-phigh-box"),
                html.Div(id="cho-error", className="lab-error", role="alert"),
                html.Label("Parameters"),
                html.Div(sliders, id="cho-params"),
            ], className="lab-controls"),
            self._main("cho", 600),
        ], className="lab-view")

    # ------------------------------------------------------------------ callbacks
    def _callbacks(self, app) -> None:
        from dash import ALL, MATCH, Input, Output, State, ctx, dcc, no_update

        def params_of(group, values, ids):
            return {i["name"]: v for i, v in zip(ids, values) if i["group"] == group}

        def stamp(fig, view, t_sim, t_fig, simulated):
            self.rev[view] += 1
            fig["layout"]["meta"] = {**fig["layout"].get("meta", {}), "rev": self.rev[view],
                                     "simulate_ms": round(1000 * t_sim, 1), "draw_ms": round(1000 * t_fig, 1),
                                     "simulated": simulated}
            return fig

        # ---------------- Pavlovian
        @app.callback(*[Output(f"pav-params-{mk}", "style") for mk in E.PAV_MODELS], Input("pav-model", "value"))
        def pav_show(model):
            return [{"display": "block" if mk == model else "none"} for mk in E.PAV_MODELS]

        @app.callback(Output("pav-design", "value"), Input("pav-apply", "n_clicks"), prevent_initial_call=True)
        def pav_to_notation(_):
            return E.NOTATION

        @app.callback(
            Output("pav-graph", "figure"), Output("pav-error", "children"), Output("pav-status", "children"),
            Output("pav-code", "children"), Output("pav-type", "options"), Output("pav-type", "value"),
            Output("pav-trial", "max"), Output("pav-trial", "value"),
            Input("pav-design", "value"), Input("pav-apply", "n_clicks"), Input("pav-model", "value"),
            Input({"type": "pav-param", "group": ALL, "name": ALL}, "value"),
            Input("pav-type", "value"), Input("pav-trial", "value"),
            State("pav-text", "value"), State({"type": "pav-param", "group": ALL, "name": ALL}, "id"),
        )
        def pav_update(design_key, _n, model_key, values, trial_type, trial, text, ids):
            try:
                return pav_compute(design_key, model_key, values, trial_type, trial, text, ids)
            except Exception as e:  # noqa: BLE001 - any bad input: its one line, the last good result stays
                return (no_update, E.one_line(e), *[no_update] * 6)

        def pav_compute(design_key, model_key, values, trial_type, trial, text, ids):
            params = params_of(model_key, values, ids)
            text_key = text if design_key == E.NOTATION else ""
            key = (design_key, text_key, model_key, tuple(sorted(params.items())))
            t0 = time.perf_counter()
            (design, ds), simulated = self._cached(
                "pavlovian", key, lambda: E.run_pavlovian(design_key, text_key, model_key, params))
            t1 = time.perf_counter()
            types = F.pavlovian_types(ds, design)
            new_design = simulated and ctx.triggered_id in ("pav-design", "pav-apply", None)
            if trial_type not in types:
                trial_type = types[0]
                new_design = True
            n = int(E.type_index(ds.trial_type.isel(param_set=0, missing_dims="ignore"), trial_type).shape[1])
            trial = n if (new_design or trial is None) else int(min(max(trial, 1), n))
            title = f"{design.name} · {E.PAV_MODELS[model_key]}"
            fig, _ = F.pavlovian_figure(ds, trial_type, trial - 1, title, design=design)
            t2 = time.perf_counter()
            self.last["pavlovian"] = ds
            fig = stamp(fig, "pavlovian", t1 - t0, t2 - t1, simulated)
            status = (f"{E.N_AGENTS} agents × {ds.sizes['trial']} trials · "
                      + (f"simulated in {1000 * (t1 - t0):.0f} ms, " if simulated else "")
                      + f"drawn in {1000 * (t2 - t1):.0f} ms")
            code = E.pavlovian_code(design_key, text_key, model_key, params)
            return (fig, "", status, code, [{"label": t, "value": t} for t in types], trial_type, n, trial)

        # ---------------- circuit
        @app.callback(
            Output("circ-graph", "figure"), Output("circ-error", "children"), Output("circ-status", "children"),
            Output("circ-code", "children"),
            Input("circ-manips", "value"), Input({"type": "circ-param", "group": ALL, "name": ALL}, "value"),
            State({"type": "circ-param", "group": ALL, "name": ALL}, "id"),
        )
        def circ_update(selected, values, ids):
            try:
                return circ_compute(selected, values, ids)
            except Exception as e:  # noqa: BLE001
                return no_update, E.one_line(e), no_update, no_update

        def circ_compute(selected, values, ids):
            params = params_of("circuit", values, ids)
            selected = sorted(selected or [])
            key = (tuple(selected), tuple(sorted(params.items())))
            t0 = time.perf_counter()
            (ds, ref), simulated = self._cached(
                "circuit", key, lambda: (E.run_circuit(selected, params), E.run_circuit([], params)))
            t1 = time.perf_counter()
            labels = E.manipulation_labels()
            what = ", ".join(labels[k] for k in selected) or "intact"
            fig = F.circuit_figure(E.circuit_summary(ds), E.circuit_summary(ref), ds, f"The circuit: {what}")
            t2 = time.perf_counter()
            self.last["circuit"] = ds
            fig = stamp(fig, "circuit", t1 - t0, t2 - t1, simulated)
            status = (f"{E.N_AGENTS} agents, manipulated and intact · "
                      + (f"simulated in {1000 * (t1 - t0):.0f} ms, " if simulated else "")
                      + f"drawn in {1000 * (t2 - t1):.0f} ms")
            return fig, "", status, E.circuit_code(selected, params)

        # ---------------- choice
        @app.callback(Output("cho-model", "options"), Output("cho-model", "value"), Input("cho-task", "value"),
                      State("cho-model", "value"))
        def cho_models(task, model):
            opts = E.CHOICE_MODELS.get(task, {})
            return [{"label": v, "value": k} for k, v in opts.items()], (model if model in opts else next(iter(opts)))

        groups = sorted({m for ms in E.CHOICE_MODELS.values() for m in ms})

        @app.callback(*[Output(f"cho-params-{mk}", "style") for mk in groups], Output("cho-phigh-box", "style"),
                      Input("cho-model", "value"), Input("cho-task", "value"))
        def cho_show(model, task):
            return (*[{"display": "block" if mk == model else "none"} for mk in groups],
                    {"display": "none" if task == "two_step" else "block"})

        @app.callback(
            Output("cho-graph", "figure"), Output("cho-error", "children"), Output("cho-status", "children"),
            Output("cho-code", "children"),
            Input("cho-task", "value"), Input("cho-model", "value"), Input("cho-phigh", "value"),
            Input({"type": "cho-param", "group": ALL, "name": ALL}, "value"),
            State({"type": "cho-param", "group": ALL, "name": ALL}, "id"),
        )
        def cho_update(task, model, p_high, values, ids):
            try:
                return cho_compute(task, model, p_high, values, ids)
            except Exception as e:  # noqa: BLE001
                return no_update, E.one_line(e), no_update, no_update

        def cho_compute(task, model, p_high, values, ids):
            if model not in E.CHOICE_MODELS.get(task, {}):
                model = next(iter(E.CHOICE_MODELS.get(task, {"q": ""})))
            params = params_of(model, values, ids)
            p_high = float(p_high if p_high is not None else 0.8)
            key = (task, model, round(p_high, 4), tuple(sorted(params.items())))
            t0 = time.perf_counter()
            ds, simulated = self._cached("choice", key, lambda: E.run_choice(task, model, params, p_high))
            t1 = time.perf_counter()
            fig = F.choice_figure(ds, task, f"{E.CHOICE_TASKS[task]} · {E.CHOICE_MODELS[task][model]}")
            t2 = time.perf_counter()
            self.last["choice"] = ds
            fig = stamp(fig, "choice", t1 - t0, t2 - t1, simulated)
            status = (f"{E.N_AGENTS} agents × {ds.sizes['trial']} trials · "
                      + (f"simulated in {1000 * (t1 - t0):.0f} ms, " if simulated else "")
                      + f"drawn in {1000 * (t2 - t1):.0f} ms")
            return fig, "", status, E.choice_code(task, model, params, p_high)

        # ---------------- the value next to each slider, drawn in the browser
        for short in ("pav", "circ", "cho"):
            app.clientside_callback(
                "function(v) { return (v === null || v === undefined) ? '' : String(+v.toPrecision(4)); }",
                Output({"type": f"{short}-value", "group": MATCH, "name": MATCH}, "children"),
                Input({"type": f"{short}-param", "group": MATCH, "name": MATCH}, "value"))

        # ---------------- downloads
        for view, short in (("pavlovian", "pav"), ("circuit", "circ"), ("choice", "cho")):
            self._download_callbacks(app, view, short, Input, Output, dcc, no_update)

    def _download_callbacks(self, app, view, short, Input, Output, dcc, no_update):
        @app.callback(Output(f"{short}-download", "data"),
                      Output(f"{short}-error", "children", allow_duplicate=True),
                      Input(f"{short}-nc", "n_clicks"), prevent_initial_call=True)
        def download_nc(_):
            from ..io import save_netcdf

            ds = self.last.get(view)
            if ds is None:
                return no_update, "nothing to download yet"
            path = self.tmp / f"lab_{view}.nc"
            try:
                with self.lock:
                    save_netcdf(ds, path)
            except Exception as e:  # noqa: BLE001 - e.g. a full disk: its one line next to the controls
                return no_update, f"could not write the netCDF file: {E.one_line(e)}"
            return dcc.send_file(str(path), filename=f"lab_{view}.nc"), no_update

        app.clientside_callback(
            """function(n) {
                var el = document.querySelector('#%s-graph .js-plotly-plot');
                if (!n || !el || !window.Plotly) { return window.dash_clientside.no_update; }
                window.Plotly.downloadImage(el, {format: 'png', filename: 'lab_%s', width: 1400, height: 700});
                return String(n);
            }""" % (short, view),
            Output(f"{short}-png-done", "children"), Input(f"{short}-png", "n_clicks"), prevent_initial_call=True)


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def serve(port: int | None = None, open_browser: bool = True, host: str = "127.0.0.1", warm: bool = True,
          quiet: bool = False) -> None:
    """Start the lab on ``host:port`` (a free port if None) and serve until interrupted."""
    import logging

    from .._interrupt import installed, register

    if port is not None:
        port = int(port)
        if not 1 <= port <= 65535:
            raise ValueError(f"--port must be in 1..65535, got {port}")
        import socket

        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError as e:
                raise ValueError(f"port {port} on {host} cannot be used ({e.strerror or e}); choose another with "
                                 f"--port, or leave it out for a free one") from None
    lab = Lab()
    if warm:
        if not quiet:
            print("mesolimbic lab: compiling the models (once)…", flush=True)
        lab.warm()
    port = free_port(host) if port is None else port
    url = f"http://{host}:{port}/"

    class _Stop:
        def interrupt(self) -> str:
            import shutil

            shutil.rmtree(lab.tmp, ignore_errors=True)
            return "the lab stopped"

    if installed():
        register(_Stop())
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    background = os.environ.get("MESOLIMBIC_LAB_PRECOMPILE", "1") != "0"
    if warm and background:  # the other models and tasks, in the background, beside the page's work
        def _rest():
            try:
                lab.warm(full=True)
            except Exception:  # noqa: BLE001 - warming is an optimisation only
                return
            if not quiet:
                print("mesolimbic lab: every model compiled", flush=True)

        threading.Thread(target=_rest, daemon=True).start()
    if open_browser:
        import webbrowser

        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    print(f"mesolimbic lab: {url} (Ctrl-C to stop)", flush=True)
    try:
        lab.app.run(host=host, port=port, debug=False, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        import shutil

        shutil.rmtree(lab.tmp, ignore_errors=True)
    if not quiet:
        print("mesolimbic lab: stopped", flush=True)


def main() -> None:  # python -m mesolimbic.lab.app [port]
    import sys

    serve(int(sys.argv[1]) if len(sys.argv) > 1 else None, open_browser=False)


if __name__ == "__main__":
    main()
