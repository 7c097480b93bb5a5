import numpy as np
import pytest

import mesolimbic as ml
from mesolimbic.representations import CSC, Microstimulus, Presence


def basic_design(**kw):
    args = dict(
        trial_types=[
            ml.TrialType("paired", cues=["light"], us_time=1.0),
            ml.TrialType("omission", cues=["light"], us_time=1.0, probability=0.0),
            ml.TrialType("free_reward", us_time=1.0),
            ml.TrialType("compound", cues=["light", ml.Cue("tone", onset=0.5, duration=0.3)], us_time=1.0),
            ml.TrialType("partial", cues=["tone"], us_time=1.0, probability=0.5, magnitude=2.0),
        ],
        phases=[
            ml.Phase("acquisition", {"paired": 5}),
            ml.Phase("probe", {"paired": 4, "omission": 3, "free_reward": 3}, order="random"),
            ml.Phase("compound", {"compound": 4, "partial": 400}, order="random"),
            ml.Phase("extinction", {"omission": 5}),
        ],
        dt=0.1, window=(-0.5, 1.5),
    )
    args.update(kw)
    return ml.PavlovianDesign(**args)


def test_compile_arrays():
    c = basic_design().compile()
    assert c.n_steps == 20 and c.times[0] == -0.5 and c.times[5] == 0.0
    assert c.cue_names == ("light", "tone")
    k = c.type_names.index("compound")
    tone = c.presence[k, :, 1]
    assert tone.tolist() == [0] * 10 + [1, 1, 1] + [0] * 7  # on 0.5-0.8 s
    assert c.us_step.tolist() == [15] * 5
    assert c.cs_step[c.type_names.index("free_reward")] == -1
    assert c.n_trials == 5 + 10 + 404 + 5
    assert not c.agent_invariant


def test_sampled_sequences_follow_the_phases():


    d = basic_design()
    c = d.compile()
    types, reward, iti = c.sample_trials(0, 3)
    types, reward = np.asarray(types), np.asarray(reward)
    names = np.asarray(c.type_names)[types]
    assert (names[:, :5] == "paired").all()
    for a in range(3):  # the probe is a permutation with the declared counts
        probe = list(names[a, 5:15])
        assert probe.count("omission") == 3 and probe.count("free_reward") == 3
    assert not (names[0, 5:15] == names[1, 5:15]).all()  # shuffled per agent
    om = names == "omission"
    assert (reward[om] == 0).all()
    partial = names == "partial"
    frac = (reward[partial] == 2.0).mean()
    assert 0.4 < frac < 0.6 and set(np.unique(reward[partial])) <= {0.0, 2.0}
    assert (np.asarray(iti) == 10.0).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(dt=0.0), r"dt must be in \(0, inf\], got 0.0"),
        (dict(dt=-0.1), "dt must be in"),
        (dict(iti=-1.0), r"iti must be in \[0, inf\], got -1.0"),
        (dict(window=(1.0, 0.0)), "window must be"),
    ],
)
def test_bad_design_fields(kwargs, match):
    with pytest.raises(ValueError, match=match):
        basic_design(**kwargs)


@pytest.mark.parametrize(
    "tt, match",
    [
        (ml.TrialType("x", cues=["a"], us_time=5.0), r"trial type 'x': us_time .* must be in \[-0.5, 1.5\), got 5.0"),
        (ml.TrialType("x", cues=["a"], us_time=1.0, probability=1.5), r"probability must be in \[0, 1\], got 1.5"),
        (ml.TrialType("x", cues=[ml.Cue("a", onset=-3.0)]), "onset of cue 'a'"),
        (ml.TrialType("x", cues=[ml.Cue("a", duration=-1.0)]), "duration of cue 'a'"),
    ],
)
def test_bad_trial_types(tt, match):
    with pytest.raises(ValueError, match=match):
        ml.PavlovianDesign([tt], [ml.Phase("p", {"x": 1})], dt=0.1, window=(-0.5, 1.5))


def test_bad_phases():
    tt = [ml.TrialType("x", cues=["a"], us_time=1.0)]
    with pytest.raises(ValueError, match="phase 'p' is empty"):
        ml.PavlovianDesign(tt, [ml.Phase("p", {"x": 0})])
    with pytest.raises(ValueError, match=r"number of 'x' trials must be an integer >= 0, got -2"):
        ml.PavlovianDesign(tt, [ml.Phase("p", {"x": -2})])
    with pytest.raises(ValueError, match="not declared"):
        ml.PavlovianDesign(tt, [ml.Phase("p", {"y": 3})])
    with pytest.raises(ValueError, match="order must be one of"):
        ml.PavlovianDesign(tt, [ml.Phase("p", {"x": 3}, order="shuffled")])
    with pytest.raises(ValueError, match="at least one phase"):
        ml.PavlovianDesign(tt, [])


def test_csc_is_a_delay_line_from_onset():
    presence = np.zeros((6, 1), np.float32)
    presence[2:4, 0] = 1.0  # on at step 2, off at step 4
    x = CSC().features(presence, 0.1)
    assert x.shape == (6, 6)
    np.testing.assert_array_equal(np.argmax(x, 1)[2:], [0, 1, 2, 3])  # keeps counting after offset
    assert x[:2].sum() == 0 and (x.sum(1)[2:] == 1).all()
    x_off = CSC(until_offset=True).features(presence, 0.1)
    assert x_off[4:].sum() == 0
    assert CSC(n_delays=2).features(presence, 0.1).shape == (6, 2)


def test_presence_and_microstimulus():
    presence = np.zeros((30, 1), np.float32)
    presence[5:, 0] = 1.0
    assert (Presence().features(presence, 0.1) == presence).all()
    ms = Microstimulus(n=10, sigma=0.08, tau=0.5)
    x = ms.features(presence, 0.1)
    assert x.shape == (30, 11) and x[:5].sum() == 0
    peaks = np.argmax(x[:, :10], axis=0)
    # microstimuli centred on lower trace heights peak later, and are lower and broader
    assert (np.diff(peaks[::-1]) >= 0).all()
    assert x[:, 9].max() > x[:, 2].max()
    with pytest.raises(ValueError, match="sigma must be in"):
        Microstimulus(sigma=0)


def test_notation():
    d = ml.PavlovianDesign.from_notation([("pre", {"A+": 3}), ("comp", {"AB+": 2, "CD+0.5": 2}),
                                          ("so", {"B>A-": 2}, "sequential")], us_time=1.0, dt=0.2)
    c = d.compile()
    assert c.type_names == ("A+", "AB+", "CD+0.5", "B>A-")
    np.testing.assert_allclose(c.probability, [1, 1, 0.5, 0])
    assert d.phases[1].order == "random" and d.phases[2].order == "sequential" and d.phases[0].order == "sequential"
    serial = c.presence[3]
    a, b = c.cue_names.index("A"), c.cue_names.index("B")
    assert serial[:, b].nonzero()[0].tolist() == [2, 3, 4, 5, 6]  # B from 0 to 1 s
    assert serial[:, a].nonzero()[0].tolist() == [7, 8, 9, 10, 11]  # then A from 1 to 2 s
    assert c.us_step[3] == 12  # the omitted US is due at 2 s
    for bad in ["A", "A*", "+", "A-0.5", "A+x"]:
        with pytest.raises(ValueError, match="notation|probability"):
            ml.PavlovianDesign.from_notation([("p", {bad: 1})])
