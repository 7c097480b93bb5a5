"""Shared pieces of the circuit experiments: designs with several US kinds, and defaults."""

from __future__ import annotations

from ..tasks import Cue, Phase, PavlovianDesign, TrialType

PARAMS = {"alpha_nac": 0.1, "alpha_amygdala": 0.1, "gamma": 0.98, "lam": 0.9}
DT, US_TIME = 0.2, 1.0


def design(trials: dict[str, tuple[str, float]], phases: list[tuple[str, dict[str, int]]], name: str):
    """A design from ``{label: (cue, US magnitude)}`` (magnitude 0: no US) and
    ``[(phase, {label: count})]`` — for designs where US kinds differ by trial type."""
    types = [TrialType(label, cues=(Cue(cue, 0.0, US_TIME),), us_time=US_TIME, magnitude=mag if mag else 1.0,
                       probability=1.0 if mag else 0.0) for label, (cue, mag) in trials.items()]
    ph = [Phase(n, dict(c), "random" if len(c) > 1 else "sequential") for n, c in phases]
    return PavlovianDesign(types, ph, dt=DT, window=(-2 * DT, US_TIME + 3 * DT), iti=10.0, name=name)


def by_type(ds, var: str, label: str | None = None):
    """``[agent, k]``: ``var`` on each agent's trials of type ``label`` in the order they
    came (trial orders differ between agents, so trial indices do not line up)."""
    import numpy as np

    v = ds[var].transpose("agent", "trial").values
    if label is None:
        return v
    mask = (ds.trial_type == label).transpose("agent", "trial").values
    return np.stack([v[a][mask[a]] for a in range(v.shape[0])])


def last(ds, var: str, label: str | None = None, n: int = 5) -> float:
    """Mean of ``var`` over agents and their last ``n`` trials (of type ``label``)."""
    return float(by_type(ds, var, label)[:, -n:].mean())
