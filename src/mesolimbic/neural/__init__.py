"""Recordings to parameters: fit Pavlovian learners to dopamine recordings and behaviour.

* :mod:`.io` — trial-aligned recordings from NWB files or a tidy table onto a design's grid;
* :mod:`.observation` — the readouts as observation models (photometry/voltammetry,
  spikes, conditioned responding);
* :mod:`.fit` — per-session MLE/MAP with the package's batched L-BFGS, Laplace draws,
  model comparison by AIC/BIC and PSIS-LOO;
* :mod:`.recovery` — simulated recordings and parameter recovery;
* :mod:`.glm` — model-based fMRI: regressors to BIDS events to a nilearn design matrix.

NWB needs the ``neural`` extra (``pynwb``, ``ndx-fiber-photometry``); the GLM needs ``nilearn``.
"""

import importlib

# Names are imported on first use, so that `mesolimbic --help` (whose `fit-neural` command lives in
# this package) does not import JAX.
_WHERE = {"NeuralFit": "fit", "compare_models": "fit", "fit_neural": "fit", "NeuralData": "io", "read_nwb": "io",
          "read_table": "io", "to_table": "io", "write_nwb": "io", "NEURAL_MODELS": "observation",
          "NeuralModel": "observation", "parameter_recovery": "recovery", "simulate_recordings": "recovery"}

__all__ = ["NeuralData", "read_table", "read_nwb", "write_nwb", "to_table", "NeuralModel", "NEURAL_MODELS",
           "fit_neural", "NeuralFit", "compare_models", "simulate_recordings", "parameter_recovery"]


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_WHERE))
