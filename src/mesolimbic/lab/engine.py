"""What the lab computes, without any web code: designs, models, simulations, and the
equivalent Python call of each view.

Every function here takes plain values (what the page's controls hold) and returns a
labelled result from :func:`mesolimbic.simulate` — the page only draws it. The same
functions serve the benchmark (``benchmarks/bench_lab.py``) and the tests.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np
import xarray as xr

N_AGENTS = 100
N_RASTER = 20  # agents drawn in the raster
DEFAULT_COUNT = 50  # trials of a trial type written without a count

# ----------------------------------------------------------------------------- Pavlovian designs
#: the registered Pavlovian designs offered by the page: key -> (label, experiment module, design() kwargs)
DESIGNS = {
    "schultz1997": ("Schultz, Dayan & Montague 1997 — reward prediction error", "schultz1997", {}),
    "fiorillo2003": ("Fiorillo et al. 2003 — reward probability", "fiorillo2003_probability", {}),
    "hollerman1998": ("Hollerman & Schultz 1998 — reward timing", "hollerman1998_timing", {"reset": False}),
    "kamin1969": ("Kamin 1969 — blocking", "kamin1969_blocking", {}),
    "waelti2001": ("Waelti, Dickinson & Schultz 2001 — dopamine blocking", "waelti2001_blocking", {}),
    "kobayashi2008": ("Kobayashi & Schultz 2008 — reward delay", "kobayashi2008_delay", {}),
    "ludvig2008": ("Ludvig, Sutton & Kehoe 2008 — interval timing", "ludvig2008_microstimulus", {}),
    "tobler2005": ("Tobler, Fiorillo & Schultz 2005 — adaptive coding", "tobler2005_adaptive_coding", {}),
    "td_backward_shift": ("The RPE moves from reward to cue", "td_backward_shift", {}),
}
NOTATION = "notation"
DEFAULT_NOTATION = "A+ x40\nAB+ x40\nB- x5"

#: Pavlovian learners offered: key -> label
PAV_MODELS = {
    "td": "TD(λ), complete serial compound",
    "microstimulus": "TD(λ), microstimuli",
    "rw": "Rescorla–Wagner (trial level)",
    "distributional": "Distributional RPE (trial level)",
    "circuit": "The circuit (VTA, NAc, amygdala, PFC)",
}
DIST_TAUS = tuple(np.round(np.linspace(0.1, 0.9, 9), 2).tolist())

_OPTION = re.compile(r"^\s*(?P<key>[a-z_]+)\s*=\s*(?P<value>.+?)\s*$")
_OPTIONS = ("us_time", "dt", "window")


def parse_notation(text: str):
    """A :class:`~mesolimbic.tasks.PavlovianDesign` from the lab's design field
    (see :func:`notation_parts`)."""
    from ..tasks import PavlovianDesign

    phases, options = notation_parts(text)
    kw = {k: options[k] for k in ("us_time", "dt") if k in options}
    design = PavlovianDesign.from_notation(phases, name="lab", **kw)
    if "window" in options:
        design = dataclasses.replace(design, window=options["window"])
    return design


def notation_parts(text: str) -> tuple[list, dict]:
    """The lab's design field as ``(phases, options)`` for
    :meth:`~mesolimbic.tasks.PavlovianDesign.from_notation`.

    One phase a line (or separated by ``;``), optionally named ``name:``; in a phase,
    trial types in the package notation (``A+``, ``AB-``, ``CD+0.5``, ``B>A-``) separated
    by commas or spaces, each with an optional count ``x N`` (default 50). Lines
    ``us_time = 1.5``, ``dt = 0.1`` and ``window = -0.5, 2`` set the time grid. Errors are
    the package's own one-line ``ValueError``\\ s.
    """
    options: dict = {}
    phases = []
    for raw in re.split(r"[;\n]", text or ""):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        opt = _OPTION.match(line)
        if opt:
            key, value = opt["key"], opt["value"]
            if key not in _OPTIONS:
                raise ValueError(f"unknown design option {key!r}; the options are {', '.join(_OPTIONS)}")
            try:
                nums = [float(v) for v in value.replace(",", " ").split()]
            except ValueError:
                raise ValueError(f"{key} must be a number{' pair' if key == 'window' else ''}, got {value!r}") from None
            if key == "window":
                if len(nums) != 2:
                    raise ValueError(f"window must be two numbers (start, end) in seconds, got {value!r}")
                options[key] = tuple(nums)
            else:
                if len(nums) != 1:
                    raise ValueError(f"{key} must be one number, got {value!r}")
                options[key] = nums[0]
            continue
        name = f"phase {len(phases) + 1}"
        if ":" in line:
            name, line = (s.strip() for s in line.split(":", 1))
            if not name:
                raise ValueError(f"a phase name before ':' is empty in {raw.strip()!r}")
        trials: dict[str, int] = {}
        last = None
        line = re.sub(r"(?<=[+\-\d.])([x×*])(?=\s*\d)", r" \1", line)  # 'A+x30' -> 'A+ x30'
        for tok in re.findall(r"[x×*]\s*\d+|[^\s,]+", line):
            count = re.fullmatch(r"[x×*]\s*(\d+)", tok)
            if count:
                if last is None or last[1]:
                    raise ValueError(f"the count {tok!r} in {raw.strip()!r} follows no trial type")
                n = int(count[1])
                if n < 1:
                    raise ValueError(f"the count of {last[0]!r} must be >= 1, got {n}")
                trials[last[0]] += n - DEFAULT_COUNT
                last = (last[0], True)
                continue
            trials[tok] = trials.get(tok, 0) + DEFAULT_COUNT
            last = (tok, False)
        if not trials:
            raise ValueError(f"phase {name!r} has no trial types")
        phases.append((name, trials))
    if not phases:
        raise ValueError("the design is empty: write at least one trial type, e.g. 'A+ x20'")
    return phases, options


def registered_design(key: str):
    """The design of a registered experiment (see :data:`DESIGNS`)."""
    import importlib

    if key not in DESIGNS:
        raise ValueError(f"unknown design {key!r}; the designs are {', '.join(DESIGNS)}")
    _, module, kw = DESIGNS[key]
    return importlib.import_module(f"mesolimbic.experiments.{module}").design(**kw)


def pavlovian_design(key: str, text: str):
    return parse_notation(text) if key == NOTATION else registered_design(key)


def pavlovian_model(key: str):
    """``(model, representation)`` for a key of :data:`PAV_MODELS`."""
    from ..models import TD, DistributionalRPE, RescorlaWagner
    from ..representations import Microstimulus

    if key == "td":
        return TD(), None
    if key == "microstimulus":
        return TD(), Microstimulus()
    if key == "rw":
        return RescorlaWagner(), None
    if key == "distributional":
        return DistributionalRPE(DIST_TAUS), None
    if key == "circuit":
        from ..circuit import Circuit

        return Circuit(), None
    raise ValueError(f"unknown model {key!r}; the models are {', '.join(PAV_MODELS)}")


def model_params(model) -> list:
    """The model's declared parameters (:class:`~mesolimbic.models.Param`), for sliders."""
    return list(model.params)


def slider_range(p) -> tuple[float, float, float]:
    """``(low, high, step)`` of a slider for parameter ``p``: its declared range, with
    infinite bounds cut to a useful span and open bounds nudged inside."""
    lo, hi = float(p.low), float(p.high)
    if not np.isfinite(hi):
        hi = max(10.0, 4 * abs(float(p.default)))
    if not np.isfinite(lo):
        lo = -hi
    span = hi - lo
    step = 0.01 if span <= 2 else (0.1 if span <= 20 else 0.5)
    if p.low_open:
        lo = lo + step
    if getattr(p, "high_open", False):
        hi = hi - step
    return round(lo, 6), round(hi, 6), step


def run_pavlovian(design_key: str, text: str, model_key: str, params: dict, seed: int = 0):
    """Simulate :data:`N_AGENTS` agents: ``(design, dataset)``."""
    from ..simulate import simulate

    design = pavlovian_design(design_key, text)
    model, rep = pavlovian_model(model_key)
    known = {p.name for p in model.params}
    p = {k: float(v) for k, v in (params or {}).items() if k in known and v is not None}
    ds = simulate(design, model, p, representation=rep, n_agents=N_AGENTS, seed=seed)
    return design, ds


def type_index(trial_type: xr.DataArray, label: str) -> np.ndarray:
    """``[agent, k]``: the trial index of each agent's ``k``-th trial of type ``label``
    (every agent has the same number of trials of each type)."""
    mask = np.asarray(trial_type.transpose("agent", "trial").values == label)
    n = int(mask[0].sum())
    return np.argsort(~mask, axis=1, kind="stable")[:, :n]


def by_type(da: xr.DataArray, trial_type: xr.DataArray, label: str, index: np.ndarray | None = None) -> np.ndarray:
    """``[agent, k, ...]``: ``da`` (over agent, trial, ...) on each agent's trials of type
    ``label`` in the order they came (``index``: :func:`type_index`, if already known)."""
    idx = type_index(trial_type, label) if index is None else index
    v = da.values if da.dims[:2] == ("agent", "trial") else da.transpose("agent", "trial", ...).values
    return v[np.arange(v.shape[0])[:, None], idx]


@dataclass
class NeuronReadout:
    """The dopamine neuron on one trial (of the chosen type) of :data:`N_RASTER` agents."""

    time: np.ndarray  # s
    rate: np.ndarray  # [time] mean rate, Hz
    raster: list  # spike times of each agent
    psth_time: np.ndarray
    psth: np.ndarray  # Hz


def neuron(rpe_trial: np.ndarray, time: np.ndarray, seed: int = 0) -> NeuronReadout:
    """Firing rate, spikes and PSTH (:mod:`mesolimbic.neurons`) from ``rpe_trial``
    ``[agent, time]``."""
    from .. import neurons

    da = xr.DataArray(rpe_trial[:N_RASTER], dims=("agent", "time"), coords={"time": time})
    rate = neurons.firing_rate(da)
    spikes = neurons.poisson_spikes(rate, seed=seed)
    h = neurons.psth(spikes, bin_width=max(0.05, float(time[1] - time[0])) if time.size > 1 else 0.05)
    return NeuronReadout(time, rate.mean("agent").values, neurons.spike_times(spikes), h.time.values, h.values)


# ----------------------------------------------------------------------------- circuit
def _us_time() -> float:
    return CIRCUIT_GRID["us_time"]


#: toggles of the circuit view: key -> (label, manipulation factory, its code)
def _manipulations():
    from ..circuit import (
        DopamineAgonist,
        DopamineDepletion,
        Drug,
        LDopa,
        Lesion,
        Opioid,
        Optogenetic,
        PhysiologicalState,
    )

    return {
        "lesion_amygdala": ("Amygdala lesion", lambda: Lesion("amygdala"), "Lesion('amygdala')"),
        "lesion_nac": ("NAc lesion", lambda: Lesion("nac"), "Lesion('nac')"),
        "lesion_pfc": ("PFC lesion", lambda: Lesion("pfc"), "Lesion('pfc')"),
        "depletion": ("Dopamine depletion 80 %", lambda: DopamineDepletion(0.8), "DopamineDepletion(0.8)"),
        "agonist": ("Dopamine agonist ×2", lambda: DopamineAgonist(2.0), "DopamineAgonist(2.0)"),
        "ldopa": ("L-DOPA ×2", lambda: LDopa(2.0), "LDopa(2.0)"),
        "drug": ("Drug of abuse (+0.5 at the US)", lambda: Drug(0.5), "Drug(0.5)"),
        "opioid": ("Opioid in the NAc hotspot ×3", lambda: Opioid(3.0), "Opioid(3.0)"),
        "opto": ("Optogenetic burst when N's US would come", lambda: Optogenetic(at=_us_time(), size=1.0,
                                                                                trial_types=("neutral",)),
                 f"Optogenetic(at={_us_time()!r}, size=1.0, trial_types=('neutral',))"),
        "salt": ("Salt appetite (κ = 20 for the salt cue S)",
                 lambda: PhysiologicalState(20.0, ("S",), phases=("test",)),
                 "PhysiologicalState(20.0, ('S',), phases=('test',))"),
    }


def manipulation_labels() -> dict[str, str]:
    return {k: v[0] for k, v in _manipulations().items()}


#: the circuit view's design: cue A predicts food, cue S (intensely salty) an aversive US, cue N nothing
CIRCUIT_TRIALS = {"food": ("A", 1.0), "salt": ("S", -1.0), "neutral": ("N", 0.0)}
CIRCUIT_SIGNALS = ("wanting", "liking", "fear", "approach")


#: the circuit view's time grid: CS at 0 s, US at 1 s, 0.2-s steps
CIRCUIT_GRID = {"us_time": 1.0, "dt": 0.2, "window": (-0.4, 1.6)}
_CIRCUIT_DESIGN_CODE = """from mesolimbic.tasks import Cue, PavlovianDesign, Phase, TrialType
trials = {trials!r}  # label: (cue, US magnitude; 0 = no US)
d = PavlovianDesign(
    [TrialType(k, cues=[Cue(cue, 0.0, {us_time!r})], us_time={us_time!r}, magnitude=m or 1.0, probability=1.0 if m else 0.0)
     for k, (cue, m) in trials.items()],
    [Phase("training", {{k: 40 for k in trials}}, "random"), Phase("test", {{k: 5 for k in trials}}, "random")],
    dt={dt!r}, window={window!r}, name="lab_circuit")"""


def circuit_design():
    """The circuit view's design: built by running the code the page shows."""
    scope: dict = {}
    exec(_CIRCUIT_DESIGN_CODE.format(trials=CIRCUIT_TRIALS, **CIRCUIT_GRID), scope)  # noqa: S102 - our own text
    return scope["d"]


def run_circuit(selected, params: dict, seed: int = 0) -> xr.Dataset:
    """The circuit with the ``selected`` manipulations (keys of :func:`manipulation_labels`)."""
    from ..circuit import Circuit, simulate_circuit

    table = _manipulations()
    bad = [k for k in selected if k not in table]
    if bad:
        raise ValueError(f"unknown manipulation(s) {bad}; they are {', '.join(table)}")
    circuit = Circuit(manipulations=[table[k][1]() for k in table if k in selected])
    known = {p.name for p in circuit.params}
    p = {k: float(v) for k, v in (params or {}).items() if k in known and v is not None}
    return simulate_circuit(circuit_design(), circuit, p, n_agents=N_AGENTS, seed=seed)


def circuit_summary(ds: xr.Dataset) -> dict[str, dict[str, float]]:
    """Mean of each signal over agents and the test trials of each trial type:
    wanting and approach at the cue, liking at the US, fear at the cue."""
    at = {"wanting": "wanting_cs", "liking": "liking_us", "fear": "fear_cs", "approach": "approach_cs"}
    d = ds.isel(param_set=0)
    test = (d.phase == "test")
    out = {}
    for sig, var in at.items():
        out[sig] = {label: float(d[var].where((d.trial_type == label) & test).mean()) for label in CIRCUIT_TRIALS}
    return out


# ----------------------------------------------------------------------------- choice
CHOICE_TASKS = {"bandit": "Two-armed bandit", "reversal": "Reversal learning", "two_step": "Two-step task"}
CHOICE_MODELS = {
    "bandit": {"q": "Q-learning", "delta2": "Delta rule, two learning rates", "actor_critic": "Actor–critic"},
    "reversal": {"q": "Q-learning", "delta2": "Delta rule, two learning rates", "actor_critic": "Actor–critic"},
    "two_step": {"hybrid": "Hybrid model-based / model-free (Daw 2011)"},
}


def choice_task(key: str, p_high: float = 0.8, n_trials: int = 200):
    from ..tasks.bandit import Bandit, reversal_learning
    from ..tasks.two_step import TwoStep

    if key == "bandit":
        return Bandit((p_high, round(1.0 - p_high, 6)), n_trials=n_trials)
    if key == "reversal":
        return reversal_learning(n_trials=n_trials, p_high=p_high)
    if key == "two_step":
        return TwoStep(n_trials=n_trials)
    raise ValueError(f"unknown task {key!r}; the tasks are {', '.join(CHOICE_TASKS)}")


_CHOICE_MODEL_CODE = {"q": "QLearning()", "delta2": "DeltaRule(separate_rates=True)", "actor_critic": "ActorCritic()",
                      "hybrid": "HybridTwoStep()"}


def choice_model(task_key: str, key: str):
    from ..models import ActorCritic, DeltaRule, HybridTwoStep, QLearning

    allowed = CHOICE_MODELS.get(task_key, {})
    if key not in allowed:
        raise ValueError(f"model {key!r} does not run task {task_key!r}; choose one of {', '.join(allowed)}")
    return {"q": QLearning, "delta2": lambda: DeltaRule(separate_rates=True), "actor_critic": ActorCritic,
            "hybrid": HybridTwoStep}[key]()


def run_choice(task_key: str, model_key: str, params: dict, p_high: float = 0.8, seed: int = 0) -> xr.Dataset:
    from ..simulate import simulate

    task = choice_task(task_key, p_high)
    model = choice_model(task_key, model_key)
    known = {p.name for p in model.params}
    p = {k: float(v) for k, v in (params or {}).items() if k in known and v is not None}
    return simulate(task, model, p, n_agents=N_AGENTS, seed=seed)


def stays(ds: xr.Dataset) -> np.ndarray:
    """The two-step stay probabilities, in the order of ``STAY_CONDITIONS``."""
    from ..tasks.two_step import stays_of

    return stays_of(ds)[0]


# ----------------------------------------------------------------------------- the equivalent Python call
def _params_code(params: dict) -> str:
    return "{" + ", ".join(f"{k!r}: {float(v):g}" for k, v in sorted(params.items()) if v is not None) + "}"


def pavlovian_code(design_key: str, text: str, model_key: str, params: dict, seed: int = 0) -> str:
    lines = ["import mesolimbic as ml"]
    if design_key == NOTATION:
        try:
            phases, opts = notation_parts(text)
        except ValueError:
            phases, opts = [], {}
        lines.append("from mesolimbic.tasks import PavlovianDesign")
        kw = "".join(f", {k}={opts[k]!r}" for k in ("us_time", "dt") if k in opts)
        lines.append(f"design = PavlovianDesign.from_notation({phases!r}{kw})")
        if "window" in opts:
            lines.insert(0, "import dataclasses")
            lines.append(f"design = dataclasses.replace(design, window={opts['window']!r})")
    else:
        module = DESIGNS[design_key][1]
        kw = ", ".join(f"{k}={v!r}" for k, v in DESIGNS[design_key][2].items())
        lines.append(f"from mesolimbic.experiments import {module}")
        lines.append(f"design = {module}.design({kw})")
    model_code = {"td": ("from mesolimbic.models import TD", "TD()", None),
                  "microstimulus": ("from mesolimbic.models import TD\nfrom mesolimbic.representations import Microstimulus",
                                    "TD()", "Microstimulus()"),
                  "rw": ("from mesolimbic.models import RescorlaWagner", "RescorlaWagner()", None),
                  "distributional": ("from mesolimbic.models import DistributionalRPE",
                                     f"DistributionalRPE({list(DIST_TAUS)})", None),
                  "circuit": ("from mesolimbic.circuit import Circuit", "Circuit()", None)}[model_key]
    lines.append(model_code[0])
    rep = f", representation={model_code[2]}" if model_code[2] else ""
    lines.append(f"ds = ml.simulate(design, {model_code[1]}, {_params_code(params)}{rep}, "
                 f"n_agents={N_AGENTS}, seed={seed})")
    if model_key not in ("rw", "distributional"):
        lines.append("rate = ml.neurons.firing_rate(ds.rpe)  # the dopamine neuron, Hz")
    lines.append("from mesolimbic.io import save_netcdf\nsave_netcdf(ds, 'lab.nc')")
    return "\n".join(lines)


def circuit_code(selected, params: dict, seed: int = 0) -> str:
    table = _manipulations()
    manips = ", ".join(table[k][2] for k in table if k in selected)
    names = sorted({table[k][2].split("(")[0] for k in table if k in selected})
    imports = ", ".join(["Circuit", "simulate_circuit", *names])
    return "\n".join([
        f"from mesolimbic.circuit import {imports}",
        _CIRCUIT_DESIGN_CODE.format(trials=CIRCUIT_TRIALS, **CIRCUIT_GRID),
        (f"ds = simulate_circuit(d, Circuit(manipulations=[{manips}]), {_params_code(params)}, "
         f"n_agents={N_AGENTS}, seed={seed})"),
        "from mesolimbic.io import save_netcdf",
        "save_netcdf(ds, 'lab.nc')",
    ])


def choice_code(task_key: str, model_key: str, params: dict, p_high: float = 0.8, seed: int = 0) -> str:
    task = {"bandit": f"Bandit(({p_high:g}, {1 - p_high:g}), n_trials=200)",
            "reversal": f"reversal_learning(n_trials=200, p_high={p_high:g})",
            "two_step": "TwoStep(n_trials=200)"}[task_key]
    imp = {"bandit": "from mesolimbic.tasks.bandit import Bandit",
           "reversal": "from mesolimbic.tasks.bandit import reversal_learning",
           "two_step": "from mesolimbic.tasks.two_step import TwoStep, stays_of"}[task_key]
    model = _CHOICE_MODEL_CODE[model_key]
    lines = ["import mesolimbic as ml", imp, f"from mesolimbic.models import {model.split('(')[0]}",
             f"ds = ml.simulate({task}, {model}, {_params_code(params)}, n_agents={N_AGENTS}, seed={seed})"]
    if task_key == "two_step":
        lines.append("stay = stays_of(ds)  # P(stay) after rewarded/unrewarded x common/rare")
    lines.append("from mesolimbic.io import save_netcdf\nsave_netcdf(ds, 'lab.nc')")
    return "\n".join(lines)


def one_line(e: BaseException) -> str:
    """The package's one-line error text."""
    return " ".join(str(e).split()) or type(e).__name__
