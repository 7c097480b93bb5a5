"""Property-based tests of the Pavlovian design constructors: every combination of field values
either builds a design whose every event lies on its time grid (and compiles to finite arrays
in which every cue is shown), or raises one line naming the field — never an IndexError,
OverflowError or TypeError, never a silently missing cue.

And the probes' cases, with window=(-1, 2), dt=0.1: us_time=1.96 or stimulation at 1.96
(IndexError), a cue at 1.96 (never shown), window=(-1, inf) (OverflowError), dt=10
(IndexError), iti=[1, 2] (TypeError)."""

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import mesolimbic as ml
from mesolimbic.tasks.pavlovian import Cue, PavlovianDesign, Phase, TrialType

SETTINGS = settings(max_examples=int(os.environ.get("HYPO_N", 150)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

odd = st.one_of(st.none(), st.booleans(), st.text(max_size=3), st.sampled_from([math.nan, math.inf, -math.inf,
                                                                                  1e39, -1e39, 1e300]))


def mostly(valid):
    """``valid`` values, with an odd one about one time in twenty."""
    return st.sampled_from(range(20)).flatmap(lambda i: odd if i == 7 else valid)


times = mostly(st.one_of(st.floats(-1.2, 2.2), st.sampled_from([0.0, 1.0, -1.0, 1.96, 1.94, 1.95, 2.0])))
positive = mostly(st.one_of(st.floats(1e-3, 4), st.sampled_from([0.1, 10.0, 3.0, 2.9, 0.0, -0.5])))
numbers = mostly(st.floats(-5, 5))
pairs = mostly(st.one_of(st.tuples(st.floats(-1, 3), st.floats(-1, 3)), st.lists(st.floats(0, 5), max_size=3),
                         st.builds(lambda a, b: np.array([a, b]), st.floats(0, 5), st.floats(0, 5))))
windows = st.sampled_from(range(8)).flatmap(
    lambda i: pairs if i == 5 else st.tuples(st.floats(-1.5, 0), st.floats(0.5, 3)))
itis = st.sampled_from(range(8)).flatmap(
    lambda i: pairs if i == 5 else st.one_of(st.floats(0, 20), st.tuples(st.floats(0, 5), st.floats(5, 9))))


@st.composite
def cues(draw):
    if draw(st.booleans()):
        return draw(st.sampled_from(["a", "b", "light"]))
    return Cue(draw(st.sampled_from(["a", "b"])), onset=draw(times),
               duration=draw(st.one_of(st.none(), positive)), intensity=draw(st.one_of(positive, numbers)))


@st.composite
def trial_types(draw, name):
    return TrialType(name, cues=draw(mostly(st.lists(cues(), max_size=3))),
                     us_time=draw(st.one_of(st.none(), times)), magnitude=draw(numbers),
                     probability=draw(mostly(st.floats(0, 1))),
                     stimulation=draw(st.lists(mostly(st.tuples(times, numbers)), max_size=2)),
                     reset_after_us=draw(mostly(st.booleans())))


@st.composite
def designs(draw):
    n = draw(st.integers(1, 3))
    tts = [draw(trial_types(f"t{i}")) for i in range(n)]
    counts = {f"t{i}": draw(mostly(st.integers(0, 3))) for i in range(n)}
    phases = [Phase("p", counts, order=draw(mostly(st.sampled_from(["sequential", "random"]))))]
    return dict(trial_types=tts, phases=phases, dt=draw(st.one_of(positive, st.just(0.1))),
                window=draw(windows), iti=draw(itis))


def _check(design: PavlovianDesign):
    c = design.compile()
    S = design.n_steps
    assert S >= 1 and c.times.shape == (S,) and np.isfinite(c.times).all()
    for arr in (c.presence, c.stimulation, c.magnitude, c.probability):
        assert np.isfinite(arr).all()
    for k, tt in enumerate(design.trial_types):
        if tt.us_time is not None:
            assert 0 <= c.us_step[k] < S
            assert c.times[c.us_step[k]] == pytest.approx(tt.us_time, abs=design.dt / 2 + 1e-9)
        for cue in tt.cue_list():  # every cue is shown at its onset
            j = c.cue_names.index(cue.name)
            assert c.presence[k, design.step_of(cue.onset), j] > 0
    types, reward, iti = c.sample_trials(0, 2)
    assert np.isfinite(iti).all() and np.isfinite(reward).all()


@SETTINGS
@given(kw=designs())
def test_any_design_builds_on_its_grid_or_raises_one_line(kw):
    try:
        d = PavlovianDesign(**kw)
    except ValueError as e:
        event("refused")
        assert str(e) and "\n" not in str(e)
        return
    event("built")
    _check(d)


@SETTINGS
@given(us=st.floats(-1, 2.2), onset=st.floats(-1, 2.2), dt=st.floats(0.01, 1.0))
def test_valid_event_times_compile(us, onset, dt):
    """Over plain numbers: built designs always have their events on the grid."""
    try:
        d = PavlovianDesign([TrialType("x", cues=[Cue("a", onset=onset)], us_time=us, stimulation=[(us, 0.5)])],
                            [Phase("p", {"x": 1})], dt=dt, window=(-1.0, 2.0))
    except ValueError as e:
        event("refused")
        assert "must fall" in str(e) and "\n" not in str(e)
        return
    event("built")
    _check(d)


# ------------------------------------------------------------------ the probes' cases
def _design(**kw):
    tt = kw.pop("tt", TrialType("x", cues=["a"], us_time=1.0))
    return ml.PavlovianDesign([tt], [ml.Phase("p", {"x": 2})], **{"dt": 0.1, "window": (-1.0, 2.0), **kw})


@pytest.mark.parametrize("kw, match", [
    (dict(tt=TrialType("x", cues=["a"], us_time=1.96)), r"trial type 'x': us_time must fall on the trial's time "
                                                        r"grid, -1 to 1.9 s in steps of 0.1 s .* got 1.96"),
    (dict(tt=TrialType("x", cues=["a"], us_time=1.0, stimulation=[(1.96, 1.0)])), "stimulation time must fall on"),
    (dict(tt=TrialType("x", cues=[Cue("a", onset=1.96)], us_time=1.0)), "onset of cue 'a' must fall on"),
    (dict(window=(-1.0, math.inf)), r"window must be \(start, end\) in seconds with finite numbers"),
    (dict(dt=10.0), r"dt = 10 s is longer than the window"),
    (dict(iti="5"), r"iti must be a number of seconds or a \(low, high\) range, got '5'"),
    (dict(iti=[1.0, 2.0, 3.0]), r"iti must be"),
    (dict(tt=TrialType("x", cues="light", us_time=1.0)), "cues must be a list of Cue or cue names, got 'light'"),
    (dict(tt=TrialType("x", cues=[Cue("a", intensity=-1.0)])), "intensity of cue 'a' must be in"),
    (dict(tt=TrialType("x", cues=["a"], magnitude=1e39)), "magnitude must be in"),
    (dict(tt=TrialType("x", cues=["a"], us_time=1.0, stimulation=[(1.0,)])), r"stimulation\[0\] must be a \(time, "
                                                                               r"size\) pair"),
    (dict(dt=1e-10), r"the time grid of 30000000000 steps .* needs about"),
])
def test_designs_that_used_to_misbehave(kw, match):
    with pytest.raises(ValueError, match=match) as e:
        _design(**kw)
    assert "\n" not in str(e.value)


def test_iti_list_and_array_windows_are_accepted_as_pairs():
    d = _design(iti=[1, 2], window=np.array([-1, 2]))
    assert d.iti == (1.0, 2.0) and d.window == (-1.0, 2.0)
    types, reward, iti = d.compile().sample_trials(0, 3)
    assert ((iti >= 1) & (iti <= 2)).all()


def test_an_event_that_rounds_onto_the_last_step_is_accepted():
    d = _design(tt=TrialType("x", cues=[Cue("a", onset=1.94)], us_time=1.94, stimulation=[(1.94, 0.5)]))
    c = d.compile()
    assert c.us_step[0] == 29 and c.presence[0, 29, 0] == 1 and c.stimulation[0, 29] == 0.5
