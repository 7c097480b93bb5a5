"""Kim et al. (2020): ramping dopamine in virtual reality is the TD error of a convex value, not value — TD over an uncertain position ramps, its teleport bursts grow towards the goal, a pause dips, double speed steepens the ramp.

Design: a linear virtual track of 40 positions run at one position per 0.1 s step
(4 s at normal speed), reward (1) on reaching the goal. 2,000 training trials at
normal speed with learning on; then probe trials with learning off, each
condition repeated 100 times (the position noise drawn afresh): the normal run;
teleports of 10 positions forward from positions 5, 15 or 25 (landing on 16, 26
or 36); a pause of 1 s (10 steps) at position 30; double speed (two positions
per step) from position 10 to the goal. Equal-length jumps from several places
along the track follow Kim et al.'s teleport design as Jeong et al. (2022)
rebuilt it for their own simulations (jumps of 1 s from 1, 3 or 5 s after the
first cue, in 3 % of trials; speed x2 or x0.5 in 20 %; namboodirilab/ANCCR,
simulation/figS13); slowed running and the mixing of probes into training are
not modelled here.

Models: :class:`mesolimbic.models.TrackTD` (TD(0), alpha 0.1, gamma 0.95 per
step, a value table over the *estimated* position). "TD, position uncertainty":
the agent's position estimate is the true position plus Gaussian noise whose sd
shrinks linearly from sigma (each agent draws it from U(6, 10) positions) at
the start to 0 at the goal — sensory feedback sharpening the estimate as the goal
nears (Mikhael et al. 2022). "TD, exact position": sigma = 0. "Dopamine =
value": the value account, read off the uncertain learner's value V(t) instead
of its TD error. Agents also differ in their initial values (U(0, 0.1)) and
their noise draws.

Signatures. Kim et al. (2020) used teleport and speed manipulations in virtual
reality to tell a TD error from a value, and concluded that ramping dopamine is
consistent with the TD error (a derivative-like computation over value) rather
than value (their summary). The checks are what the two accounts predict here
(the pause is a TD consequence, checked as a property; that the paper tested a
pause is not claimed): the teleport response grows the nearer the goal it lands
(a jump of equal length is a larger value change where the value is convex) and
is transient (the TD error returns to its ramp after the jump; a value readout
stays up); a pause gives a dip below the ongoing level (gamma V - V < 0), value
stays flat; double speed raises the RPE at the same positions (about dV/dt),
value at a position does not change with speed; with position uncertainty the
RPE ramps during the run, and with an exact position TD learns the value and
the ramp goes away (only the onset response remains).

References: Kim, H. R., Malik, A. N., Mikhael, J. G., Bech, P., Tsutsui-Kimura,
I., Sun, F., Zhang, Y., Li, Y., Watabe-Uchida, M., Gershman, S. J. & Uchida, N.
(2020). A unified framework for dopamine signals across timescales. Cell
183:1600-1616. Mikhael, J. G., Kim, H. R., Uchida, N. & Gershman, S. J. (2022).
The role of state uncertainty in the dynamics of dopamine. Curr Biol
32:1077-1087. Howe, M. W., Tierney, P. L., Sandberg, S. G., Phillips, P. E. M. &
Graybiel, A. M. (2013). Prolonged dopamine signalling in striatum signals
proximity and value of distant rewards. Nature 500:575-579. Mohebi, A. et al.
(2019). Dissociable dopamine dynamics for learning and motivation. Nature
570:65-70.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from ..kernel import ReplayWorld, scan_session
from ..models import TrackTD
from .registry import REWARD_UNITS_NOTE as RN
from .registry import Check, ExperimentResult, register

NAME = "kim2020_ramps"
CITATION = ("Kim, Malik, Mikhael, Bech, Tsutsui-Kimura, Sun, Zhang, Li, Watabe-Uchida, Gershman & Uchida (2020). "
            "A unified framework for dopamine signals across timescales. Cell 183:1600-1616")
L = 40                      # positions before the goal
DT = 0.1                    # s per step
N_TRAIN = 2000
N_REPEAT = 100              # probe repetitions per condition
JUMP = 10                   # teleport length (positions)
TELEPORT_FROM = (5, 15, 25)
PAUSE_AT, PAUSE_STEPS = 30, 10
FAST_FROM = 10
PARAMS = {"alpha": 0.1, "gamma": 0.95}
SIGMA_RANGE = (6.0, 10.0)
N_STEPS = L + 1 + PAUSE_STEPS + 4
MARGIN = 0.005              # ramp and dip margins (0.5 % of the reward)
TD_U, TD_X, VALUE = "TD, position uncertainty", "TD, exact position", "dopamine = value"
CONDITIONS = ("normal", *(f"teleport {x}->{x + 1 + JUMP}" for x in TELEPORT_FROM), "pause", "speed x2")
WHY = {
    "transient": "a value readout steps up to the value of the new position and stays there: the response a "
                 "few steps after the jump is as large as at the jump, not a phasic response to the change",
    "pause": "value stays at the value of the position where the scene stopped, so there is no dip",
    "speed": "the value of a position does not depend on how fast the agent got there",
    "ramp": "with an exact position tabular TD learns V(x) = gamma^(L-1-x), so gamma V(x+1) - V(x) = 0 on the way: "
            "no ramp, only the response at the track's onset (the conventional TD account Mikhael et al. 2022 "
            "start from)",
}


def positions(condition: str) -> np.ndarray:
    """The true position at each step of a trial (``-1`` after the goal, ``L`` at the goal)."""
    if condition == "normal":
        path = list(range(L + 1))
    elif condition.startswith("teleport"):
        x = int(condition.split()[1].split("->")[0])
        path = list(range(x + 1)) + list(range(x + 1 + JUMP, L + 1))
    elif condition == "pause":
        path = list(range(PAUSE_AT + 1)) + [PAUSE_AT] * PAUSE_STEPS + list(range(PAUSE_AT + 1, L + 1))
    elif condition == "speed x2":
        path = list(range(FAST_FROM + 1)) + list(range(FAST_FROM + 2, L + 1, 2))
        path += [] if path[-1] == L else [L]
    else:
        raise ValueError(f"unknown condition {condition!r}; expected one of {CONDITIONS}")
    return np.array(path + [-1] * (N_STEPS - len(path)), np.float32)


def _inputs(rng: np.random.Generator, n_agents: int) -> dict:
    """Per-agent trial inputs ``[agent, trial, step]``: training (normal runs) then the probes."""
    paths = np.stack([positions("normal")] * N_TRAIN + [positions(c) for c in CONDITIONS for _ in range(N_REPEAT)])
    n_trials = paths.shape[0]
    pos = np.broadcast_to(paths, (n_agents, n_trials, N_STEPS))
    start = np.zeros(pos.shape, np.float32)
    start[..., 0] = 1.0
    r = (pos == L).astype(np.float32)
    learn = np.broadcast_to((np.arange(n_trials) < N_TRAIN)[None, :, None], pos.shape).astype(np.float32)
    noise = rng.standard_normal(pos.shape).astype(np.float32)
    return {"pos": pos, "noise": noise, "r": r, "start": start, "learn": learn}


def _simulate(model: TrackTD, sigma: np.ndarray, w0: np.ndarray, xs: dict) -> dict:
    """Every agent through the session kernel (ReplayWorld over the given positions): ``rpe`` and ``value``
    ``[agent, trial, step]``."""

    def one(sig, w, x):
        p = {"alpha": jnp.float32(PARAMS["alpha"]), "gamma": jnp.float32(PARAMS["gamma"]), "sigma": sig}
        state = dict(model.init(p), w=w)
        _, out = scan_session(model, p, (state, {}), x, ReplayWorld(N_STEPS, keep=("rpe", "value")))
        return out

    out = jax.jit(jax.vmap(one))(jnp.asarray(sigma, jnp.float32), jnp.asarray(w0, jnp.float32),
                                 {k: jnp.asarray(v) for k, v in xs.items()})
    return {k: np.asarray(v) for k, v in out.items()}


@register(NAME, "Dopamine ramps as TD errors of a convex value: teleport bursts grow towards the goal, a pause dips, "
          "double speed steepens the ramp; a value readout does none of the three", CITATION, default_agents=20,
          topic="dopamine RPE")
def run(n_agents: int = 20, seed: int = 0) -> ExperimentResult:
    rng = np.random.default_rng(seed)
    model = TrackTD(L)
    xs = _inputs(rng, 2 * n_agents)
    sigma = np.concatenate([rng.uniform(*SIGMA_RANGE, n_agents), np.zeros(n_agents)])
    w0 = rng.uniform(0.0, 0.1, (2 * n_agents, L))
    out = _simulate(model, sigma, w0, xs)
    # probe trials, averaged over repetitions: [model, condition, agent, step]
    probe = {k: v[:, N_TRAIN:].reshape(2, n_agents, len(CONDITIONS), N_REPEAT, N_STEPS).mean(3).transpose(0, 2, 1, 3)
             for k, v in out.items()}
    tds = [TD_U, TD_X]
    time = np.arange(N_STEPS) * DT
    ds = xr.Dataset({
        "rpe_by_agent": (("model", "condition", "agent", "time"), probe["rpe"],
                         {"long_name": "TD error (probe trials, mean over repetitions)"}),
        "value_by_agent": (("model", "condition", "agent", "time"), probe["value"],
                           {"long_name": "value of the estimated position (probe trials, mean over repetitions)"}),
        "position": (("condition", "time"), np.stack([positions(c) for c in CONDITIONS]),
                     {"long_name": "true position on the track (-1 after the goal)"}),
        "sigma": (("model", "agent"), sigma.reshape(2, n_agents), {"long_name": "position uncertainty at the start"}),
    }, coords={"model": tds, "condition": list(CONDITIONS), "agent": np.arange(n_agents),
               "time": ("time", time, {"units": "s"})},
        attrs={**{f"param_{k}": v for k, v in PARAMS.items()}, "dt": DT, "n_positions": L})
    checks: list[Check] = []
    normal_rpe = ds.rpe_by_agent.sel(condition="normal")
    readouts = (TD_U, TD_X, VALUE)
    measures = {}
    for label in readouts:
        sig = (ds.value_by_agent.sel(model=TD_U) if label == VALUE else ds.rpe_by_agent.sel(model=label))
        resp = measures[label] = {k: v.drop_vars(["model", "condition", "time"], errors="ignore")
                                  for k, v in _responses(sig).items()}
        mean = {k: v.mean("agent").values for k, v in resp.items()}
        transient = float(np.max(mean["teleport_after"] / mean["teleport"]))
        rv = {k: float(mean[k]) for k in ("pause", "speed")}
        value = label == VALUE
        growth = float(mean["teleport"][-1] - mean["teleport"][0])
        checks += [
            Check("teleport_response_grows_towards_goal", "response at the landing step minus the normal run at the "
                  f"same step, landing on {TELEPORT_FROM[-1] + 1 + JUMP} minus on {TELEPORT_FROM[0] + 1 + JUMP} (a "
                  "jump of equal length late on the convex value is a larger change)"
                  + (" — the value account predicts this too (value is convex), so it does not tell them apart"
                     if value else ""), growth, ">", 0.05, model=label, kind="direction"),
            Check("teleport_response_transient", "largest ratio, over the three teleports, of the mean response 3 "
                  "steps after landing to the mean response at landing (a phasic response to the change in value)"
                  + (f" — expected failure: {WHY['transient']}" if value else ""), transient,
                  "<", 0.5, model=label, kind="direction", expected_failure=value),
            Check("pause_dip", "mean signal during the pause minus the step before it: "
                  "gamma V - V < 0 for TD" + (f" — expected failure: {WHY['pause']}" if value else ""),
                  rv["pause"], "<", -2 * MARGIN, model=label, kind="property", expected_failure=value),
            Check("speed_steepens", "mean signal over the positions run at double speed minus the normal run at the "
                  "same positions (the RPE is about dV/dt)" + (f" — expected failure: {WHY['speed']}" if value
                                                               else ""),
                  rv["speed"], ">", 2 * MARGIN, model=label, kind="direction", expected_failure=value),
        ]
    for k in measures[TD_U]:
        ds[f"{k}_by_agent"] = xr.concat([measures[m][k] for m in readouts], "readout").assign_coords(
            readout=list(readouts))
    ramp = (normal_rpe.isel(time=slice(L - 10, L)).mean("time") - normal_rpe.isel(time=slice(1, 11)).mean("time"))
    ds["ramp_by_agent"] = ramp.assign_attrs(long_name="normal run: mean RPE over the last 10 positions minus the "
                                                      "first 10 after onset")
    for label in tds:
        x = label == TD_X
        checks.append(Check("rpe_ramps", "normal run: mean RPE over the last 10 positions before the goal minus "
                            "positions 1-10 (a ramp)" + (f" — expected failure: {WHY['ramp']}" if x else ""),
                            float(ramp.sel(model=label).mean("agent")), ">", MARGIN, model=label, kind="direction",
                            expected_failure=x))
    return ExperimentResult(NAME, ds, checks, lambda: figure(ds),
                            params=dict(PARAMS, dt=DT, n_positions=L, n_train=N_TRAIN, n_repeat=N_REPEAT,
                                        sigma_low=SIGMA_RANGE[0], sigma_high=SIGMA_RANGE[1]))


def _responses(sig: xr.DataArray) -> dict[str, xr.DataArray]:
    """Per-agent measures of one signal ``[condition, agent, time]`` against its normal run."""
    normal = sig.sel(condition="normal")
    tele, trans = [], []
    for x in TELEPORT_FROM:
        d = sig.sel(condition=f"teleport {x}->{x + 1 + JUMP}") - normal
        at = d.isel(time=x + 1)
        tele.append(at)
        trans.append(d.isel(time=x + 4))
    land = ("landing", [x + 1 + JUMP for x in TELEPORT_FROM])
    p = sig.sel(condition="pause")
    pause = p.isel(time=slice(PAUSE_AT + 1, PAUSE_AT + 1 + PAUSE_STEPS)).mean("time") - p.isel(time=PAUSE_AT)
    # double speed: positions FAST_FROM+2, +4, ... reached at steps FAST_FROM+1, +2, ...; the normal run reaches x at step x
    fast_pos = np.arange(FAST_FROM + 2, L, 2)
    fast = sig.sel(condition="speed x2").isel(time=FAST_FROM + 1 + np.arange(len(fast_pos))).mean("time")
    speed = fast - normal.isel(time=fast_pos).mean("time")
    return {"teleport": xr.concat(tele, "landing").assign_coords(landing=land[1]),
            "teleport_after": xr.concat(trans, "landing").assign_coords(landing=land[1]),
            "pause": pause.drop_vars("condition"), "speed": speed}


def figure(ds: xr.Dataset):
    from .. import plot
    from ..plot import plt

    fig, axes = plt.subplots(2, 2, figsize=(12.5, 8.6), constrained_layout=True)
    axes = axes.ravel()
    a = axes[0]
    t = ds.time.values
    on = ds.position.sel(condition="normal").values >= 1  # from the step after the track's onset
    for m, c in zip(ds.model.values, (plot.BLUE, plot.GREEN)):
        plot.band(a, t[on], ds.rpe_by_agent.sel(model=m, condition="normal").isel(time=on).transpose("time", "agent"),
                  "agent", color=c, label=f"RPE, {m}")
    plot.mark_events(a, {"reward": L * DT})
    a.set_xlabel("time from track onset (s)")
    a.set_ylabel("TD error (reward = 1)")
    a.set_title("Normal run: the RPE ramps only with position uncertainty", pad=14)
    a.legend(fontsize=7, loc="upper left")
    b = axes[1]
    u = ds.sel(model=TD_U)
    colours = plot.ordered(len(TELEPORT_FROM))
    for x, colour in zip(TELEPORT_FROM, colours):
        cond = f"teleport {x}->{x + 1 + JUMP}"
        keep = ds.position.sel(condition=cond).values >= 0
        plot.band(b, t[keep], u.rpe_by_agent.sel(condition=cond).isel(time=keep).transpose("time", "agent"), "agent",
                  color=colour, label=f"jump {x}->{x + 1 + JUMP}")
    b.set_xlabel("time from track onset (s)")
    b.set_ylabel("TD error (reward = 1)")
    b.set_title("Teleport 10 positions ahead: the burst grows towards the goal", pad=14)
    b.legend(fontsize=7, loc="upper left")
    c = axes[2]
    keep = ds.position.sel(condition="pause").values >= 0
    plot.band(c, t[keep], u.rpe_by_agent.sel(condition="pause").isel(time=keep).transpose("time", "agent"), "agent",
              color=plot.BLUE, label="RPE (TD)")
    c2 = c.twinx()
    c2.spines["right"].set_visible(True)
    plot.band(c2, t[keep], u.value_by_agent.sel(condition="pause").isel(time=keep).transpose("time", "agent"), "agent",
              color=plot.VERMILLION, label="value (right axis)", ls="--")
    c2.set_ylabel("value V(t) (reward = 1)")
    c2.set_ylim(0, 1.05)
    plot.mark_events(c, {"pause": (PAUSE_AT + 1) * DT, "resume": (PAUSE_AT + 1 + PAUSE_STEPS) * DT})
    c.axhline(0, color=plot.GREY, lw=0.6)
    c.set_xlabel("time from track onset (s)")
    c.set_ylabel("TD error (reward = 1)")
    c.set_ylim(-0.06, 0.25)
    c.set_title("Pause 1 s at position 30: the RPE dips, the value stays flat", pad=14)
    hs = [h for ax in (c, c2) for h in ax.get_legend_handles_labels()[0]]
    c.legend(hs, [h.get_label() for h in hs], fontsize=7, loc="upper left")
    d = axes[3]
    for cond, col in (("normal", plot.BLUE), ("speed x2", plot.ORANGE)):
        pos = ds.position.sel(condition=cond).values
        keep = (pos >= 1) & (pos < L)
        plot.band(d, pos[keep], u.rpe_by_agent.sel(condition=cond).isel(time=keep).transpose("time", "agent"),
                  "agent", color=col, label=f"RPE, {cond}")
    plot.mark_events(d, {"speed x2 from here": FAST_FROM})
    d.set_xlabel("true position on the track (positions; goal = 40)")
    d.set_ylabel("TD error (reward = 1)")
    d.set_title("Double speed: a steeper ramp at the same positions", pad=14)
    d.legend(fontsize=7, loc="upper left")
    fig.suptitle("Kim et al. (2020): ramps, teleports, pauses and speed as TD errors of a convex value")
    plot.note(fig, f"Probe trials (learning off, {N_REPEAT} repetitions) after {N_TRAIN} training runs; "
                   f"{ds.sizes['agent']} agents per learner. Panel 1 from the step after onset; panels 2-4: the "
                   "uncertain learner (value: its V). Bands: 95 % CI of the mean over agents.")
    return fig


#: CF long_name/units of this experiment's Dataset variables (name -> (long_name, units[, units_note]));
#: units None: a text label. Applied by :func:`.registry.describe`.
VARIABLES = {
    "condition": ("probe condition (normal run, teleport, pause, double speed)", None),
    "readout": ("what is read as dopamine: a TD learner's error, or the value", None),
    "landing": ("position a teleport lands on", "1"),
    "time": ("time from track onset", "s"),
    "rpe_by_agent": ("TD error on probe trials, each agent's mean over repetitions", "1", RN),
    "value_by_agent": ("value of the estimated position on probe trials, each agent's mean", "1", RN),
    "position": ("true position on the track (-1 after the goal, 40 at the goal)", "1"),
    "sigma": ("position uncertainty (sd) at the track's start", "1"),
    "teleport_by_agent": ("teleport response: signal at landing minus the normal run at that step", "1", RN),
    "teleport_after_by_agent": ("teleport response 3 steps after landing, minus the normal run at that step", "1",
                                RN),
    "pause_by_agent": ("mean signal during the pause minus the step before it", "1", RN),
    "speed_by_agent": ("mean signal at double speed minus the normal run at the same positions", "1", RN),
    "ramp_by_agent": ("normal run: mean RPE over the last 10 positions minus positions 1-10", "1", RN),
}
