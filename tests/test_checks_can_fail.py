"""The checks can fail: perturb the model of five experiments (no learning, or the sign of the
prediction error flipped) and their finding/direction checks fail; checks must declare a kind."""

import pytest

from mesolimbic.experiments import get
from mesolimbic.experiments.registry import Check


@pytest.fixture
def fresh_compiles():
    """Compiled runners are cached per learner; a perturbed learner must be traced anew."""
    from mesolimbic import affine, session

    def clear():
        session._pavlovian_runner.cache_clear()
        session._choice_runner.cache_clear()
        affine._affine_runner.cache_clear()

    clear()
    yield
    clear()


def _failing(result) -> set[str]:
    return {c.name for c in result.checks if c.reproduces and c.status == "fail"}


def test_a_check_must_say_what_it_is():
    with pytest.raises(ValueError, match="must declare its kind"):
        Check("x", "d", 1.0, ">", 0.0)
    with pytest.raises(ValueError, match="give its source"):
        Check("x", "d", 1.0, ">", 0.0, kind="finding")
    with pytest.raises(ValueError, match="claim must be one of"):
        Check("x", "d", 1.0, ">", 0.0, kind="direction", claim="most seeds")


def test_schultz1997_without_learning_fails(monkeypatch, fresh_compiles):
    from mesolimbic.experiments import schultz1997

    monkeypatch.setitem(schultz1997.PARAMS, "alpha", 1e-6)
    failing = _failing(get("schultz1997").run(n_agents=20, seed=0))
    assert {"reward_predicted.burst_at_cs", "learning.rpe_moves_to_cs", "reward_omitted.dip_at_reward_time"} \
        <= failing


def test_schultz1997_without_temporal_difference_fails(monkeypatch, fresh_compiles):
    """gamma = 0: the error no longer bootstraps from the next state's value, so nothing
    carries the prediction back to the cue (a Rescorla–Wagner learner in real time)."""
    from mesolimbic.experiments import schultz1997

    monkeypatch.setitem(schultz1997.PARAMS, "gamma", 0.0)
    failing = _failing(get("schultz1997").run(n_agents=20, seed=0))
    assert {"reward_predicted.burst_at_cs", "learning.rpe_moves_to_cs"} <= failing


def test_kamin_blocking_with_the_error_sign_flipped_fails(monkeypatch, fresh_compiles):
    import mesolimbic.models.rw as rw

    monkeypatch.setattr(rw, "rescorla_wagner_error", lambda r, v: v - r)
    result = get("kamin1969_blocking").run(n_agents=20, seed=0)
    assert "control_learned" in {c.name for c in result.checks if c.status == "fail" and c.model.startswith("Resc")}


def test_fiorillo_without_learning_fails(monkeypatch, fresh_compiles):
    from mesolimbic.experiments import fiorillo2003_probability as fio

    monkeypatch.setitem(fio.PARAMS, "alpha", 1e-6)
    failing = _failing(get("fiorillo2003_probability").run(n_agents=20, seed=0))
    assert {"cs_rises_with_p", "ramp_rises"} <= failing


def test_daw_two_step_without_learning_fails(monkeypatch, fresh_compiles):
    from mesolimbic.experiments import daw2011_two_step as daw

    monkeypatch.setitem(daw.PARAMS, "alpha1", 1e-6)
    monkeypatch.setitem(daw.PARAMS, "alpha2", 1e-6)
    failing = _failing(get("daw2011_two_step").run(n_agents=200, seed=0))
    assert "hybrid.both" in failing


def test_guitart_masip_without_pavlovian_bias_fails(monkeypatch, fresh_compiles):
    from mesolimbic.experiments import guitart_masip2012_gonogo as gng

    monkeypatch.setattr(gng, "PIS", (0.0, 0.0, 0.0))
    failing = _failing(get("guitart_masip2012_gonogo").run(n_agents=200, seed=0))
    assert {"bias_interaction", "conflict_hurts"} <= failing
